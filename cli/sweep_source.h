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
#include "study/sweep_fit.h"

namespace mixlaw {

struct SweepSourceFlags {
  ClientFlags client;
  std::string db;  // a store file: read it directly instead of asking an orchestrator
};

// Adds --db and the client flags (--orchestrator, --token-file, --tls-ca; --json with `json`).
void AddSweepSourceFlags(CLI::App* command, SweepSourceFlags* flags, bool json = true);

// The sweep's runs (and, with `with_points`, every metric point of each). Errors: NotFound for
// an unknown sweep, Unavailable (and the like) when the orchestrator cannot be reached,
// FailedPrecondition for a store file in use by a running orchestrator; ExitCodeForCode maps
// them to exit codes.
absl::StatusOr<SweepData> LoadSweep(const SweepSourceFlags& flags, int64_t sweep_id,
                                    bool with_points);

// LoadSweep (with the points when `with_points` or `last_evals` > 1) into *data, then
// SweepObservations of it. On failure *exit_code says how to exit: ExitCodeForCode of the load's
// error, kExitError when the runs cannot be read.
absl::StatusOr<ObservationSet> LoadSweepObservations(const SweepSourceFlags& flags,
                                                     int64_t sweep_id, int last_evals,
                                                     bool with_points, SweepData* data,
                                                     int* exit_code);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_SWEEP_SOURCE_H_
