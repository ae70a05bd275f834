// DetectDevices for CUDA builds: asks the CUDA runtime how many GPUs it sees.
#include <cuda_runtime.h>

#include "kernels/device_info.h"

namespace mixlaw {

std::vector<std::string> DetectDevices() {
  std::vector<std::string> devices = {"cpu"};
  int count = 0;
  // No driver or no GPU is an error here: such a machine has only its CPU.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return devices;
  }
  for (int i = 0; i < count; ++i) devices.push_back("cuda:" + std::to_string(i));
  return devices;
}

}  // namespace mixlaw
