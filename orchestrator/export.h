// The sweep export's formats, one place for each: sweeps, runs and points as JSON, runs and points
// as CSV (docs/formats.md), and the counts by state that `sweep status` and the dashboard show.
#ifndef MIXLAW_ORCHESTRATOR_EXPORT_H_
#define MIXLAW_ORCHESTRATOR_EXPORT_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "mixlaw/v1/mixlaw.pb.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

// Every run state, in the order counts are shown.
inline constexpr v1::RunState kRunStateOrder[] = {
    v1::RUN_STATE_SUCCEEDED, v1::RUN_STATE_RUNNING, v1::RUN_STATE_LEASED,
    v1::RUN_STATE_PENDING,   v1::RUN_STATE_STALE,   v1::RUN_STATE_STOPPED,
    v1::RUN_STATE_DIVERGED,  v1::RUN_STATE_FAILED,  v1::RUN_STATE_CANCELLED};

// "12 succeeded, 3 running, 30 pending": every state with runs, in a fixed order.
std::string CountsText(const v1::Sweep& sweep);
// The same as (state name, runs) pairs, in the same order.
std::vector<std::pair<std::string, int64_t>> StateCounts(const v1::Sweep& sweep);
// The count of runs in `state`.
int64_t CountOf(const v1::Sweep& sweep, v1::RunState state);
// True when some run failed or was cancelled.
bool HasFailures(const v1::Sweep& sweep);

nlohmann::json SweepJson(const v1::Sweep& sweep);
nlohmann::json RunJson(const v1::Run& run);
nlohmann::json PointJson(const v1::Run& run, const v1::MetricPoint& point);

// The evaluation splits that have a final loss in any run, sorted.
std::vector<std::string> EvalSplits(const std::vector<v1::Run>& runs);

// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
std::string CsvField(const std::string& value);
// One row a run: its coordinates, state and the final loss of each evaluation split.
void WriteRunsCsv(const std::vector<v1::Run>& runs, std::ostream& out);
void WritePointsCsvHeader(std::ostream& out);
void WritePointsCsv(const v1::Run& run, const std::vector<v1::MetricPoint>& points,
                    std::ostream& out);

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_EXPORT_H_
