// A study's target check in words (the console of `mixlaw demo` and `mixlaw study run`) and as
// the report draws it.
#ifndef MIXLAW_CLI_TARGET_OUTPUT_H_
#define MIXLAW_CLI_TARGET_OUTPUT_H_

#include <string>
#include <vector>

#include "fitter/observations.h"
#include "report/report.h"
#include "study/target.h"

namespace mixlaw {

// The fit, the recommendation, what is checked at the target, leave-one-size-out, the LRs to
// train: on stdout.
void PrintPlan(const TargetPlan& plan);

// Each goal with its verdict: "the law's regret at most 0.1%: met (+0.05% [...])".
std::vector<std::string> GoalLines(const TargetCheck& check);

// The measured optimum, the law and the transfer with their intervals, and the goals: on stdout.
void PrintCheck(const TargetPlan& plan, const TargetCheck& check, const std::string& model);

// The target check as the report draws it; `target` the runs at plan.almr.
TargetValidation ValidationOf(const TargetPlan& plan, const TargetCheck& check,
                              const ObservationSet& target, const std::string& model);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_TARGET_OUTPUT_H_
