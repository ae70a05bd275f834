#include "kernels/device_info.h"

#include <gtest/gtest.h>

namespace mixlaw {
namespace {

TEST(DeviceInfoTest, CpuFirstThenNumberedGpus) {
  std::vector<std::string> devices = DetectDevices();
  ASSERT_FALSE(devices.empty());
  EXPECT_EQ(devices[0], "cpu");
  for (size_t i = 1; i < devices.size(); ++i) {
    EXPECT_EQ(devices[i], "cuda:" + std::to_string(i - 1));
  }
}

}  // namespace
}  // namespace mixlaw
