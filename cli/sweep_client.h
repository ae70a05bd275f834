// Client-side pieces shared by the sweep commands and the embedded runner.
#ifndef MIXLAW_CLI_SWEEP_CLIENT_H_
#define MIXLAW_CLI_SWEEP_CLIENT_H_

#include <atomic>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "mixlaw/v1/mixlaw.grpc.pb.h"
#include "orchestrator/client.h"

namespace mixlaw {

// Reads a spec file and submits it; relative paths in it start from the file's directory.
// Refusals keep the orchestrator's message (every problem with its JSON path).
grpc::Status SubmitSpecFile(v1::SweepService::Stub& stub, const ConnectionOptions& connection,
                            const std::string& spec_path, bool resume_existing,
                            v1::SubmitSweepResponse* response);

// Follows a sweep until it ends, printing progress to `out`: a bar redrawn in place on a
// terminal, a line at most every `line_interval_ms` otherwise, a JSON object a line with `json`.
// Stores the last state seen in `last`. Returns early (CANCELLED) once `*stop` is set.
grpc::Status WatchProgress(v1::SweepService::Stub& stub, const ConnectionOptions& connection,
                           int64_t sweep_id, bool json, bool terminal, int64_t line_interval_ms,
                           std::ostream& out, v1::Sweep* last,
                           const std::atomic<bool>* stop = nullptr);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_SWEEP_CLIENT_H_
