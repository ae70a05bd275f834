// The words every command uses for run and sweep states.
#ifndef MIXLAW_ORCHESTRATOR_RUN_STATE_H_
#define MIXLAW_ORCHESTRATOR_RUN_STATE_H_

#include "mixlaw/v1/mixlaw.pb.h"

namespace mixlaw {

// "pending", "leased", "running", "succeeded", "failed", "diverged", "cancelled", "stale",
// "stopped".
const char* RunStateName(v1::RunState state);
// "active", "finished", "cancelled".
const char* SweepStateName(v1::SweepState state);
// True for succeeded, failed, diverged, cancelled and stopped.
bool IsTerminal(v1::RunState state);

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_RUN_STATE_H_
