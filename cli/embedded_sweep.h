// A sweep on one machine with no server to start: the orchestrator and its workers in this
// process, talking real gRPC over loopback, on a local SQLite file. Running it again on the same
// file resumes the sweep instead of starting over.
#ifndef MIXLAW_CLI_EMBEDDED_SWEEP_H_
#define MIXLAW_CLI_EMBEDDED_SWEEP_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mixlaw/v1/mixlaw.pb.h"
#include "study/early_stop.h"

namespace mixlaw {

struct EmbeddedSweepOptions {
  std::string spec_path;
  std::string db_path;
  int workers = 2;
  double lease_timeout_s = 60.0;
  bool json_progress = false;
  bool terminal = false;             // redraw the progress bar in place
  std::ostream* progress = nullptr;  // where progress goes; null: nowhere
  // Called every monitor_interval_s while the sweep trains, with its runs and the points of those
  // running; the runs it returns are stopped through the orchestrator (StopRun, with the reason).
  std::function<std::vector<RunStop>(const std::vector<v1::Run>&, const PointsByRun&)> monitor;
  double monitor_interval_s = 2.0;
};

struct EmbeddedSweepResult {
  v1::Sweep sweep;
  std::vector<v1::Run> runs;
  bool resumed = false;
  bool interrupted = false;    // stopped by SIGINT or SIGTERM before the sweep ended
  PointsByRun stopped_points;  // the points of the runs that ended stopped
};

// Runs the sweep to its end. INVALID_ARGUMENT lists a refused spec's problems.
absl::StatusOr<EmbeddedSweepResult> RunEmbeddedSweep(const EmbeddedSweepOptions& options);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_EMBEDDED_SWEEP_H_
