// /metrics in Prometheus' text exposition format (0.0.4): the orchestrator's counters, and what
// is read from the store at each scrape (runs and sweeps by state, workers connected, its size).
// docs/dashboard.md lists every metric.
#ifndef MIXLAW_DASHBOARD_METRICS_TEXT_H_
#define MIXLAW_DASHBOARD_METRICS_TEXT_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "orchestrator/metrics.h"
#include "orchestrator/store.h"

namespace mixlaw {

struct StoreGauges {
  std::map<std::string, int64_t> runs_by_state;    // every run state, zeros included
  std::map<std::string, int64_t> sweeps_by_state;  // every sweep state, zeros included
  int64_t workers_connected = 0;                   // workers that called within the lease timeout
  int64_t store_bytes = 0;  // the store file, its write-ahead log and its index
};

// The gauges now: `db_path` is the store's file, a worker is connected when it called within
// `lease_timeout_ms` of `now_ms`.
absl::StatusOr<StoreGauges> ReadStoreGauges(Store& store, const std::string& db_path,
                                            const ServerMetrics& metrics, int64_t now_ms,
                                            int64_t lease_timeout_ms);

// The exposition: a HELP and a TYPE line before each metric's samples, names mixlaw_*.
std::string MetricsText(const ServerMetrics& metrics, const StoreGauges& gauges);

}  // namespace mixlaw

#endif  // MIXLAW_DASHBOARD_METRICS_TEXT_H_
