// Where `fit`, `recommend` and `report` read a sweep: from a running orchestrator (gRPC, the
// client flags) or straight from a store file (--db) when none serves it, e.g. after `mixlaw
// demo` or `mixlaw sweep run`.
#ifndef MIXLAW_CLI_SWEEP_SOURCE_H_
#define MIXLAW_CLI_SWEEP_SOURCE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "cli/commands.h"
#include "fitter/observations.h"
#include "mixlaw/v1/mixlaw.pb.h"

namespace mixlaw {

struct SweepSourceFlags {
  ClientFlags client;
  std::string db;  // a store file: read it directly instead of asking an orchestrator
};

// Adds --db and the client flags (--orchestrator, --token-file, --tls-ca; --json with `json`).
void AddSweepSourceFlags(CLI::App* command, SweepSourceFlags* flags, bool json = true);

struct SweepData {
  v1::Sweep sweep;
  std::vector<v1::Run> runs;
  std::map<int64_t, std::vector<v1::MetricPoint>> points;  // by run id, with_points only
};

// The sweep's runs (and, with `with_points`, every metric point of each). Errors: NotFound for
// an unknown sweep, Unavailable (and the like) when the orchestrator cannot be reached,
// FailedPrecondition for a store file in use by a running orchestrator; ExitCodeForCode maps
// them to exit codes.
absl::StatusOr<SweepData> LoadSweep(const SweepSourceFlags& flags, int64_t sweep_id,
                                    bool with_points);

// The sweep's runs as the fitter reads them: exactly what `sweep export --table runs --format
// csv` writes, parsed by the same reader as `fit --csv` (pretraining rows skipped, diverged runs
// listed). With `last_evals` > 1 each run's loss on a split is the mean of its last `last_evals`
// evaluations of it (the data must hold the points) instead of the last one.
absl::StatusOr<ObservationSet> SweepObservations(const SweepData& data, int last_evals = 1);

// LoadSweep (with the points when `with_points` or `last_evals` > 1) into *data, then
// SweepObservations of it. On failure *exit_code says how to exit: ExitCodeForCode of the load's
// error, kExitError when the runs cannot be read.
absl::StatusOr<ObservationSet> LoadSweepObservations(const SweepSourceFlags& flags,
                                                     int64_t sweep_id, int last_evals,
                                                     bool with_points, SweepData* data,
                                                     int* exit_code);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_SWEEP_SOURCE_H_
