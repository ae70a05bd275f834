#include "common/device_name.h"

#include <gtest/gtest.h>

namespace mixlaw {
namespace {

TEST(DeviceNameTest, ReadsCpuCudaAndNumberedGpus) {
  EXPECT_FALSE(ParseDeviceName("cpu")->is_cuda());
  EXPECT_TRUE(ParseDeviceName("cuda")->is_cuda());
  EXPECT_EQ(ParseDeviceName("cuda")->index, -1);
  EXPECT_EQ(ParseDeviceName("cuda:7")->index, 7);
  for (const char* name : {"cpu", "cuda", "cuda:0", "cuda:12"}) {
    EXPECT_EQ(ParseDeviceName(name)->ToString(), name);
  }
}

TEST(DeviceNameTest, AnythingElseIsRefusedWithTheText) {
  for (const char* name : {"", "gpu", "cuda:", "cuda:-1", "cuda:1x", "cuda:+1", "cuda:99999999999",
                           "cuda:1024", "CPU", " cpu"}) {
    absl::StatusOr<DeviceName> device = ParseDeviceName(name);
    ASSERT_FALSE(device.ok()) << name;
    EXPECT_EQ(device.status().message(),
              "'" + std::string(name) + "' is not a device: cpu, cuda or cuda:N (N from 0)");
  }
}

}  // namespace
}  // namespace mixlaw
