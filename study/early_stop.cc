#include "study/early_stop.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/number_format.h"

namespace mixlaw {

std::vector<StopDecision> RunsToStop(const std::vector<GroupRun>& group) {
  double best = HUGE_VAL;
  std::string best_run;
  for (const GroupRun& r : group) {
    double bound = kNaN;
    if (r.finished) {
      bound = r.final_loss;
    } else if (r.prediction.has_value()) {
      bound = r.prediction->interval.upper;
    }
    if (std::isfinite(bound) && bound < best) {
      best = bound;
      best_run = r.name;
    }
  }
  std::vector<StopDecision> stop;
  if (!std::isfinite(best)) return stop;
  for (const GroupRun& r : group) {
    if (r.finished || !r.prediction.has_value() || r.name == best_run) continue;
    const CurvePrediction& p = *r.prediction;
    if (!std::isfinite(p.interval.lower) || !(p.interval.lower > best)) continue;
    stop.push_back({r.name, p, best, best_run,
                    absl::StrCat("predicted final loss ", FormatLoss(p.loss), " [",
                                 FormatLoss(p.interval.lower), ", ", FormatLoss(p.interval.upper),
                                 "] from ", p.samples, " evaluations is above the group's best ",
                                 FormatLoss(best), " (", best_run, ")")});
  }
  return stop;
}

}  // namespace mixlaw
