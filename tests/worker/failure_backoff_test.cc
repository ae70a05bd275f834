// The worker's wait after failed runs: none before a failure, doubling with each failure in a
// row, capped, and off at 0.
#include "gtest/gtest.h"
#include "worker/worker.h"

namespace mixlaw {
namespace {

TEST(FailureBackoffTest, DoublesWithEachFailureInARowUpToTheCap) {
  WorkerOptions options;  // 2 s, at most 120 s
  EXPECT_EQ(Worker::FailureBackoffMs(options, 0), 0);
  EXPECT_EQ(Worker::FailureBackoffMs(options, 1), 2000);
  EXPECT_EQ(Worker::FailureBackoffMs(options, 2), 4000);
  EXPECT_EQ(Worker::FailureBackoffMs(options, 6), 64000);
  EXPECT_EQ(Worker::FailureBackoffMs(options, 7), 120000);
  EXPECT_EQ(Worker::FailureBackoffMs(options, 1000), 120000);
}

TEST(FailureBackoffTest, ZeroTurnsItOffAndALongerWaitIsItsOwnCap) {
  WorkerOptions options;
  options.failure_backoff_ms = 0;
  EXPECT_EQ(Worker::FailureBackoffMs(options, 5), 0);
  options.failure_backoff_ms = 600000;
  EXPECT_EQ(Worker::FailureBackoffMs(options, 1), 600000);
  EXPECT_EQ(Worker::FailureBackoffMs(options, 3), 600000);
}

}  // namespace
}  // namespace mixlaw
