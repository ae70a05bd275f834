// How a worker's devices become lease loops: one for the CPU, when it is listed, and one for each
// GPU, so that a machine with eight GPUs trains eight runs at once, each trainer seeing only its
// own GPU (CUDA_VISIBLE_DEVICES).
#ifndef MIXLAW_WORKER_DEVICE_SLOTS_H_
#define MIXLAW_WORKER_DEVICE_SLOTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

struct DeviceSlot {
  std::string name;                  // "cpu", "cuda:3", or "cuda" (every GPU, unnumbered)
  std::vector<std::string> devices;  // what this loop's lease requests name: {name}
  // CUDA_VISIBLE_DEVICES for the trainers of its cuda runs: "3" for cuda:3; empty for cpu and
  // for a bare cuda, whose trainers see what the worker sees.
  std::string cuda_visible_devices;
};

// The slots of `devices` (as `mixlaw worker --devices` lists them: cpu, cuda, cuda:N), in their
// order. InvalidArgument, naming the device, for a name that is not a device, a device listed
// twice, or cuda beside cuda:N; and for an empty list.
absl::StatusOr<std::vector<DeviceSlot>> DeviceSlots(const std::vector<std::string>& devices);

}  // namespace mixlaw

#endif  // MIXLAW_WORKER_DEVICE_SLOTS_H_
