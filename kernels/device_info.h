// The compute devices of this machine, as workers name them when they register.
#ifndef MIXLAW_KERNELS_DEVICE_INFO_H_
#define MIXLAW_KERNELS_DEVICE_INFO_H_

#include <string>
#include <vector>

namespace mixlaw {

// "cpu", then "cuda:0", "cuda:1", ... for each GPU the CUDA runtime sees. A build without CUDA,
// or a machine without a GPU or driver, has only "cpu".
std::vector<std::string> DetectDevices();

// The number of GPUs this process sees; 0 in a build without CUDA or on a machine without a GPU
// or driver, with *why_none (when given) saying which, for messages.
int CudaDeviceCount(std::string* why_none = nullptr);

// Makes GPU `index` (of those CudaDeviceCount counts) the calling thread's device. False, with
// *error set, when it cannot.
bool UseCudaDevice(int index, std::string* error);

}  // namespace mixlaw

#endif  // MIXLAW_KERNELS_DEVICE_INFO_H_
