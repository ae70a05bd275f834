// DetectDevices for builds without CUDA.
#include "kernels/device_info.h"

namespace mixlaw {

namespace {

constexpr char kNoCuda[] = "this build has no CUDA backend (nvcc was not found when it was built)";

}  // namespace

std::vector<std::string> DetectDevices() { return {"cpu"}; }

int CudaDeviceCount(std::string* why_none) {
  if (why_none != nullptr) *why_none = kNoCuda;
  return 0;
}

bool UseCudaDevice(int /*index*/, std::string* error) {
  *error = kNoCuda;
  return false;
}

}  // namespace mixlaw
