// DetectDevices for CUDA builds: asks the CUDA runtime how many GPUs it sees.
#include <cuda_runtime.h>

#include "kernels/device_info.h"

namespace mixlaw {

std::vector<std::string> DetectDevices() {
  std::vector<std::string> devices = {"cpu"};
  const int count = CudaDeviceCount();
  for (int i = 0; i < count; ++i) devices.push_back("cuda:" + std::to_string(i));
  return devices;
}

int CudaDeviceCount(std::string* why_none) {
  int count = 0;
  // No driver or no GPU is an error here: such a machine has only its CPU.
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    if (why_none != nullptr)
      *why_none = std::string("the CUDA runtime: ") + cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && why_none != nullptr) *why_none = "the CUDA runtime sees no GPU";
  return count;
}

bool UseCudaDevice(int index, std::string* error) {
  const cudaError_t status = cudaSetDevice(index);
  if (status != cudaSuccess) {
    cudaGetLastError();
    *error = std::string("cuda:") + std::to_string(index) + ": " + cudaGetErrorString(status);
    return false;
  }
  return true;
}

}  // namespace mixlaw
