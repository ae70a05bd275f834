// Pieces of the store shared by its two source files: state numbers in SQL and row decoding.
// Only the store includes this.
#ifndef MIXLAW_ORCHESTRATOR_STORE_INTERNAL_H_
#define MIXLAW_ORCHESTRATOR_STORE_INTERNAL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mixlaw/v1/mixlaw.pb.h"
#include "nlohmann/json.hpp"
#include "orchestrator/sqlite.h"

namespace mixlaw::store_internal {

// SQL fragments naming states by number, in this one place (kept in step with the enum by the
// static_asserts).
static_assert(v1::RUN_STATE_PENDING == 1 && v1::RUN_STATE_LEASED == 2 &&
              v1::RUN_STATE_RUNNING == 3 && v1::RUN_STATE_SUCCEEDED == 4 &&
              v1::RUN_STATE_FAILED == 5 && v1::RUN_STATE_DIVERGED == 6 &&
              v1::RUN_STATE_CANCELLED == 7 && v1::RUN_STATE_STALE == 8 &&
              v1::RUN_STATE_STOPPED == 9);
static_assert(v1::SWEEP_STATE_ACTIVE == 1 && v1::SWEEP_STATE_FINISHED == 2 &&
              v1::SWEEP_STATE_CANCELLED == 3);
// Every state as SQL writes it: statements name these, never a bare number.
inline constexpr const char* kRunPending = "1";
inline constexpr const char* kRunLeased = "2";
inline constexpr const char* kRunRunning = "3";
inline constexpr const char* kRunSucceeded = "4";
inline constexpr const char* kRunFailed = "5";
inline constexpr const char* kRunCancelled = "7";
inline constexpr const char* kRunStopped = "9";
inline constexpr const char* kSweepActive = "1";
inline constexpr const char* kSweepFinished = "2";
inline constexpr const char* kSweepCancelled = "3";
// Sets of run states, for `state IN ...`.
inline constexpr const char* kLeasable = "(1, 8)";          // pending, stale
inline constexpr const char* kHeld = "(2, 3)";              // leased, running
inline constexpr const char* kUnfinished = "(1, 2, 3, 8)";  // leasable or held
// succeeded, failed, diverged, cancelled, stopped
inline constexpr const char* kEnded = "(4, 5, 6, 7, 9)";

inline std::string DeviceKind(const std::string& device) {
  size_t colon = device.find(':');
  return colon == std::string::npos ? device : device.substr(0, colon);
}

// The workers table's row id of a worker id the store gave ("w12" -> 12), or InvalidArgument.
inline absl::StatusOr<int64_t> WorkerRow(const std::string& worker_id) {
  int64_t row = 0;
  if (worker_id.size() < 2 || worker_id[0] != 'w' || !absl::SimpleAtoi(worker_id.substr(1), &row) ||
      row <= 0 || worker_id.substr(1) != absl::StrCat(row)) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker id '", worker_id,
                     "' is not one this orchestrator gives (w and a number): register first"));
  }
  return row;
}

inline nlohmann::json ParseObject(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

inline constexpr const char* kRunColumns =
    "id, sweep_id, name, stage, model, params, almr, peak_lr, seed, state, attempts, "
    "max_attempts, COALESCE(depends_on, 0), worker_id, failure_reason, step, total_steps, "
    "artifacts_json, tokens";

inline v1::Run RunFromRow(const Statement& s) {
  v1::Run r;
  r.set_id(s.Int(0));
  r.set_sweep_id(s.Int(1));
  r.set_name(s.Text(2));
  r.set_stage(s.Text(3));
  r.set_model(s.Text(4));
  r.set_params(s.Double(5));
  r.set_almr(s.Double(6));
  r.set_peak_lr(s.Double(7));
  r.set_seed(s.Int(8));
  r.set_state(static_cast<v1::RunState>(s.Int(9)));
  r.set_attempts(static_cast<int32_t>(s.Int(10)));
  r.set_max_attempts(static_cast<int32_t>(s.Int(11)));
  r.set_depends_on(s.Int(12));
  r.set_worker(s.Text(13));
  r.set_failure_reason(s.Text(14));
  r.set_step(s.Int(15));
  r.set_total_steps(s.Int(16));
  nlohmann::json artifacts = ParseObject(s.Text(17));
  for (const auto& [name, path] : artifacts.items()) {
    if (path.is_string()) (*r.mutable_artifacts())[name] = path.get<std::string>();
  }
  r.set_tokens(s.Int(18));
  return r;
}

}  // namespace mixlaw::store_internal

#endif  // MIXLAW_ORCHESTRATOR_STORE_INTERNAL_H_
