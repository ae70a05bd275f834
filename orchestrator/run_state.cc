#include "orchestrator/run_state.h"

namespace mixlaw {

const char* RunStateName(v1::RunState state) {
  switch (state) {
    case v1::RUN_STATE_PENDING:
      return "pending";
    case v1::RUN_STATE_LEASED:
      return "leased";
    case v1::RUN_STATE_RUNNING:
      return "running";
    case v1::RUN_STATE_SUCCEEDED:
      return "succeeded";
    case v1::RUN_STATE_FAILED:
      return "failed";
    case v1::RUN_STATE_DIVERGED:
      return "diverged";
    case v1::RUN_STATE_CANCELLED:
      return "cancelled";
    case v1::RUN_STATE_STALE:
      return "stale";
    case v1::RUN_STATE_STOPPED:
      return "stopped";
    default:
      return "unknown";
  }
}

const char* SweepStateName(v1::SweepState state) {
  switch (state) {
    case v1::SWEEP_STATE_ACTIVE:
      return "active";
    case v1::SWEEP_STATE_FINISHED:
      return "finished";
    case v1::SWEEP_STATE_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

bool IsTerminal(v1::RunState state) {
  return state == v1::RUN_STATE_SUCCEEDED || state == v1::RUN_STATE_FAILED ||
         state == v1::RUN_STATE_DIVERGED || state == v1::RUN_STATE_CANCELLED ||
         state == v1::RUN_STATE_STOPPED;
}

}  // namespace mixlaw
