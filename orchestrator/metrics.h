// What the orchestrator has done since it started, counted where it happens and read by the
// dashboard's /metrics (dashboard/metrics_text.h). Counters are atomics, so that counting never
// waits on a lock a lease holds.
#ifndef MIXLAW_ORCHESTRATOR_METRICS_H_
#define MIXLAW_ORCHESTRATOR_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"

namespace mixlaw {

// A latency histogram with fixed buckets, in seconds (Prometheus' convention).
class LatencyHistogram {
 public:
  // Upper bounds of the buckets; a last one, +Inf, is implied.
  static constexpr std::array<double, 12> kBoundsS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
  void Observe(double seconds);

  struct Snapshot {
    std::array<uint64_t, kBoundsS.size() + 1> cumulative{};  // observations <= each bound, +Inf
    uint64_t count = 0;
    double sum_s = 0;
  };
  // The counts so far. Concurrent observations may land in one figure and not yet another.
  Snapshot Read() const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsS.size() + 1> buckets_{};  // not cumulative
  std::atomic<uint64_t> sum_ns_{0};
};

class ServerMetrics {
 public:
  std::atomic<uint64_t> leases_granted{0};
  std::atomic<uint64_t> leases_expired{0};
  std::atomic<uint64_t> heartbeats{0};
  std::atomic<uint64_t> points_ingested{0};  // new metric points stored
  LatencyHistogram write_transaction;        // BEGIN IMMEDIATE to COMMIT of the store

  // Records a call from worker `worker_id` at `now_ms`.
  void SawWorker(const std::string& worker_id, int64_t now_ms);
  // Workers that called at or after `since_ms`.
  int64_t WorkersSeenSince(int64_t since_ms) const;

 private:
  mutable Mutex mutex_;
  std::map<std::string, int64_t> last_seen_ms_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_METRICS_H_
