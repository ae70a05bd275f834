// Device names as specs, RUN.json, workers and `mixlaw train` write them: "cpu", "cuda" (any GPU)
// or "cuda:N" (the GPU of index N among those the process sees).
#ifndef MIXLAW_COMMON_DEVICE_NAME_H_
#define MIXLAW_COMMON_DEVICE_NAME_H_

#include <string>

#include "absl/status/statusor.h"

namespace mixlaw {

struct DeviceName {
  enum class Kind { kCpu, kCuda };
  Kind kind = Kind::kCpu;
  int index = -1;  // N of "cuda:N"; -1 for "cpu" and a bare "cuda"

  bool is_cuda() const { return kind == Kind::kCuda; }
  std::string ToString() const;
};

// Parses "cpu", "cuda" or "cuda:N" (N a decimal integer in [0, 1023]); InvalidArgument, with the
// text, otherwise.
absl::StatusOr<DeviceName> ParseDeviceName(const std::string& text);

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_DEVICE_NAME_H_
