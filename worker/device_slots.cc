#include "worker/device_slots.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/device_name.h"

namespace mixlaw {

absl::StatusOr<std::vector<DeviceSlot>> DeviceSlots(const std::vector<std::string>& devices) {
  if (devices.empty()) return absl::InvalidArgumentError("no devices to lease runs for");
  std::vector<DeviceSlot> slots;
  std::set<std::string> seen;
  bool bare_cuda = false, numbered_cuda = false;
  for (const std::string& text : devices) {
    absl::StatusOr<DeviceName> device = ParseDeviceName(text);
    if (!device.ok()) return device.status();
    const std::string name = device->ToString();
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is listed twice"));
    }
    if (device->is_cuda()) (device->index < 0 ? bare_cuda : numbered_cuda) = true;
    if (bare_cuda && numbered_cuda) {
      return absl::InvalidArgumentError(
          "cuda (every GPU) and cuda:N (one GPU each) cannot both be listed");
    }
    DeviceSlot slot;
    slot.name = name;
    slot.devices = {name};
    if (device->index >= 0) slot.cuda_visible_devices = std::to_string(device->index);
    slots.push_back(slot);
  }
  return slots;
}

}  // namespace mixlaw
