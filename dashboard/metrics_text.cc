#include "dashboard/metrics_text.h"

#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json_fields.h"
#include "orchestrator/export.h"
#include "orchestrator/run_state.h"

namespace mixlaw {

namespace {

constexpr v1::SweepState kSweepStates[] = {v1::SWEEP_STATE_ACTIVE, v1::SWEEP_STATE_FINISHED,
                                           v1::SWEEP_STATE_CANCELLED};

// A sample's value: integers as integers, other numbers with every digit they need.
std::string Value(double v) { return FormatNumber(v); }

void Header(const std::string& name, const std::string& type, const std::string& help,
            std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Sample(const std::string& name, double value, std::string* out) {
  absl::StrAppend(out, name, " ", Value(value), "\n");
}

void Counter(const std::string& name, const std::string& help, uint64_t value, std::string* out) {
  Header(name, "counter", help, out);
  Sample(name, static_cast<double>(value), out);
}

void Gauge(const std::string& name, const std::string& help, int64_t value, std::string* out) {
  Header(name, "gauge", help, out);
  Sample(name, static_cast<double>(value), out);
}

void ByState(const std::string& name, const std::string& help,
             const std::map<std::string, int64_t>& counts, std::string* out) {
  Header(name, "gauge", help, out);
  for (const auto& [state, n] : counts) {
    absl::StrAppend(out, name, "{state=\"", state, "\"} ", n, "\n");
  }
}

}  // namespace

absl::StatusOr<StoreGauges> ReadStoreGauges(Store& store, const std::string& db_path,
                                            const ServerMetrics& metrics, int64_t now_ms,
                                            int64_t lease_timeout_ms) {
  StoreGauges g;
  for (v1::RunState s : kRunStateOrder) g.runs_by_state[RunStateName(s)] = 0;
  for (v1::SweepState s : kSweepStates) g.sweeps_by_state[SweepStateName(s)] = 0;
  absl::StatusOr<std::vector<v1::Sweep>> sweeps = store.ListSweeps();
  if (!sweeps.ok()) return sweeps.status();
  for (const v1::Sweep& sweep : *sweeps) {
    ++g.sweeps_by_state[SweepStateName(sweep.state())];
    for (const v1::StateCount& c : sweep.counts()) {
      g.runs_by_state[RunStateName(c.state())] += c.count();
    }
  }
  g.workers_connected = metrics.WorkersSeenSince(now_ms - lease_timeout_ms);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const uintmax_t bytes = std::filesystem::file_size(db_path + suffix, ec);
    if (!ec) g.store_bytes += static_cast<int64_t>(bytes);
  }
  return g;
}

std::string MetricsText(const ServerMetrics& metrics, const StoreGauges& gauges) {
  std::string out;
  ByState("mixlaw_runs", "Runs in the store by state.", gauges.runs_by_state, &out);
  ByState("mixlaw_sweeps", "Sweeps in the store by state.", gauges.sweeps_by_state, &out);
  Counter("mixlaw_leases_granted_total", "Runs leased to workers since the orchestrator started.",
          metrics.leases_granted.load(), &out);
  Counter("mixlaw_leases_expired_total",
          "Leases taken back since the orchestrator started: no heartbeat within the timeout.",
          metrics.leases_expired.load(), &out);
  Counter("mixlaw_heartbeats_total", "Heartbeats accepted since the orchestrator started.",
          metrics.heartbeats.load(), &out);
  Counter("mixlaw_points_ingested_total",
          "Metric points stored from workers since the orchestrator started.",
          metrics.points_ingested.load(), &out);
  Gauge("mixlaw_workers_connected", "Workers that called within the lease timeout.",
        gauges.workers_connected, &out);
  Gauge("mixlaw_store_size_bytes", "Bytes of the store file, its write-ahead log and index.",
        gauges.store_bytes, &out);
  const std::string name = "mixlaw_store_write_transaction_seconds";
  Header(name, "histogram", "Store write transactions, BEGIN IMMEDIATE to COMMIT.", &out);
  const LatencyHistogram::Snapshot h = metrics.write_transaction.Read();
  for (size_t i = 0; i < LatencyHistogram::kBoundsS.size(); ++i) {
    absl::StrAppend(&out, name, "_bucket{le=\"", Value(LatencyHistogram::kBoundsS[i]), "\"} ",
                    h.cumulative[i], "\n");
  }
  absl::StrAppend(&out, name, "_bucket{le=\"+Inf\"} ", h.cumulative.back(), "\n");
  absl::StrAppend(&out, name, "_sum ", Value(h.sum_s), "\n");
  absl::StrAppend(&out, name, "_count ", h.count, "\n");
  return out;
}

}  // namespace mixlaw
