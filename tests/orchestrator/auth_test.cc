#include "orchestrator/auth.h"

#include <gtest/gtest.h>

namespace mixlaw {
namespace {

// "No tokens means loopback only": an address passes only when every address its host resolves
// to is a loopback one.
TEST(AuthTest, LoopbackMeansEveryResolvedAddressIsLoopback) {
  // localhost by its name (RFC 6761), also where no /etc/hosts resolves it (a minimal Debian).
  for (const char* address : {"127.0.0.1:7600", "127.1.2.3:80", "localhost:0", "LocalHost:1",
                              "[::1]:80", "[::ffff:127.0.0.1]:80", "unix:/tmp/mixlaw.sock"}) {
    EXPECT_TRUE(IsLoopbackAddress(address)) << address;
  }
  for (const char* address :
       {"127.example.internal:7600", "127.0.0.1.example.invalid:7600", "0.0.0.0:7600", ":7600",
        "[::]:7600", "10.1.2.3:80", "[::ffff:10.0.0.1]:80", "[::1", "192.168.0.127:80"}) {
    EXPECT_FALSE(IsLoopbackAddress(address)) << address;
  }
}

}  // namespace
}  // namespace mixlaw
