// DetectDevices for builds without CUDA.
#include "kernels/device_info.h"

namespace mixlaw {

std::vector<std::string> DetectDevices() { return {"cpu"}; }

}  // namespace mixlaw
