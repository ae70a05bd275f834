#include "common/device_name.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mixlaw {

std::string DeviceName::ToString() const {
  if (kind == Kind::kCpu) return "cpu";
  return index < 0 ? "cuda" : absl::StrCat("cuda:", index);
}

absl::StatusOr<DeviceName> ParseDeviceName(const std::string& text) {
  DeviceName device;
  if (text == "cpu") return device;
  device.kind = DeviceName::Kind::kCuda;
  if (text == "cuda") return device;
  const std::string prefix = "cuda:";
  int index = -1;
  if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() &&
      text.find_first_not_of("0123456789", prefix.size()) == std::string::npos &&
      absl::SimpleAtoi(text.substr(prefix.size()), &index) && index <= 1023) {
    device.index = index;
    return device;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a device: cpu, cuda or cuda:N (N from 0)"));
}

}  // namespace mixlaw
