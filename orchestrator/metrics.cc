#include "orchestrator/metrics.h"

#include <algorithm>
#include <cmath>

namespace mixlaw {

void LatencyHistogram::Observe(double seconds) {
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(kBoundsS.begin(), kBoundsS.end(), seconds) - kBoundsS.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(std::llround(std::max(0.0, seconds) * 1e9)),
                    std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::Read() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  // The count is the +Inf bucket, so that the two always agree as the format requires.
  s.count = running;
  s.sum_s = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  return s;
}

void ServerMetrics::SawWorker(const std::string& worker_id, int64_t now_ms) {
  MutexLock lock(&mutex_);
  int64_t& seen = last_seen_ms_[worker_id];
  seen = std::max(seen, now_ms);
}

int64_t ServerMetrics::WorkersSeenSince(int64_t since_ms) const {
  MutexLock lock(&mutex_);
  return std::count_if(last_seen_ms_.begin(), last_seen_ms_.end(),
                       [&](const auto& w) { return w.second >= since_ms; });
}

}  // namespace mixlaw
