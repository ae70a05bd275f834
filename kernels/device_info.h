// The compute devices of this machine, as workers name them when they register.
#ifndef MIXLAW_KERNELS_DEVICE_INFO_H_
#define MIXLAW_KERNELS_DEVICE_INFO_H_

#include <string>
#include <vector>

namespace mixlaw {

// "cpu", then "cuda:0", "cuda:1", ... for each GPU the CUDA runtime sees. A build without CUDA,
// or a machine without a GPU or driver, has only "cpu".
std::vector<std::string> DetectDevices();

}  // namespace mixlaw

#endif  // MIXLAW_KERNELS_DEVICE_INFO_H_
