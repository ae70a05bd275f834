#include "worker/device_slots.h"

#include <gtest/gtest.h>

namespace mixlaw {
namespace {

TEST(DeviceSlotsTest, EachGpuGetsALoopThatSeesOnlyIt) {
  absl::StatusOr<std::vector<DeviceSlot>> slots = DeviceSlots({"cpu", "cuda:0", "cuda:3"});
  ASSERT_TRUE(slots.ok()) << slots.status();
  ASSERT_EQ(slots->size(), 3u);
  EXPECT_EQ((*slots)[0].name, "cpu");
  EXPECT_EQ((*slots)[0].devices, std::vector<std::string>{"cpu"});
  EXPECT_EQ((*slots)[0].cuda_visible_devices, "");
  EXPECT_EQ((*slots)[2].name, "cuda:3");
  EXPECT_EQ((*slots)[2].devices, std::vector<std::string>{"cuda:3"});
  EXPECT_EQ((*slots)[2].cuda_visible_devices, "3");
  // A bare cuda is one loop whose trainers see what the worker sees.
  slots = DeviceSlots({"cuda"});
  ASSERT_TRUE(slots.ok());
  EXPECT_EQ((*slots)[0].cuda_visible_devices, "");
}

TEST(DeviceSlotsTest, BadListsAreRefusedByDevice) {
  EXPECT_EQ(DeviceSlots({}).status().message(), "no devices to lease runs for");
  EXPECT_EQ(DeviceSlots({"cpu", "tpu"}).status().message(),
            "'tpu' is not a device: cpu, cuda or cuda:N (N from 0)");
  EXPECT_EQ(DeviceSlots({"cuda:1", "cuda:1"}).status().message(), "'cuda:1' is listed twice");
  EXPECT_EQ(DeviceSlots({"cuda", "cuda:1"}).status().message(),
            "cuda (every GPU) and cuda:N (one GPU each) cannot both be listed");
}

}  // namespace
}  // namespace mixlaw
