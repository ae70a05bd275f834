// Early stopping: which running runs of a group (one proxy size and ALMR, its LRs) to stop
// because their predicted final loss (fitter/curve_law.h) is worse than the group's best by more
// than the prediction's interval. A run that could still end best is never stopped.
#ifndef MIXLAW_STUDY_EARLY_STOP_H_
#define MIXLAW_STUDY_EARLY_STOP_H_

#include <optional>
#include <string>
#include <vector>

#include "fitter/curve_law.h"

namespace mixlaw {

struct GroupRun {
  std::string name;
  bool finished = false;
  double final_loss = kNaN;                   // a finished run's
  std::optional<CurvePrediction> prediction;  // a running run's, once its curve can be read
};

struct StopDecision {
  std::string run;
  CurvePrediction prediction;
  double best = 0;       // the group's best: a finished run's final loss or a prediction's upper
  std::string best_run;  // whose it is
  std::string reason;    // in words, to store with the stopped run
};

// The running runs of `group` to stop: those whose predicted final loss has its whole interval
// above the group's best, the lowest of the finished runs' final losses and the running runs'
// prediction upper bounds. Runs without a prediction (or without an interval) are kept.
std::vector<StopDecision> RunsToStop(const std::vector<GroupRun>& group);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_EARLY_STOP_H_
