// The study spec (docs/study.md): the proxies' sweep spec, whose grid is every run the study may
// choose from; the target size and the criterion of the recommendation; how runs are chosen
// (the whole grid at once, or adaptively in rounds); and when to stop.
#ifndef MIXLAW_STUDY_STUDY_SPEC_H_
#define MIXLAW_STUDY_STUDY_SPEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "fitter/recommend.h"
#include "nlohmann/json.hpp"
#include "orchestrator/sweep_spec.h"
#include "study/design.h"

namespace mixlaw {

enum class DesignKind {
  kGrid,      // one round: the whole grid
  kAdaptive,  // the initial design, then rounds chosen by PlanRound
};

const char* DesignKindName(DesignKind kind);

// When an adaptive study ends: at the first of these.
struct StopRule {
  double lr_factor = 1.25;  // the recommended LR's 95% interval within this factor (upper/lower)
  // The proxy compute allowed, as a share of the whole grid's 6ND, or in FLOPs when budget_flops
  // is set; a round never spends past it.
  double budget_fraction = 1.0;
  double budget_flops = 0;
  int max_rounds = 12;
};

// Early stopping in a round (docs/study.md): runs whose predicted final loss is above their
// group's best by more than the prediction's interval are stopped.
enum class StoppedRunFit {
  kOmit,       // the fit leaves stopped runs out
  kPredicted,  // the fit takes a stopped run at its predicted final losses
  kWeighted,   // the same, each loss weighted by its prediction's certainty (PredictionWeight)
};

// The spec's word for `fit`: "omit", "predicted" or "weighted".
const char* StoppedRunFitName(StoppedRunFit fit);

struct EarlyStopRule {
  bool enabled = false;
  double min_fraction = 0.25;  // no run is judged before this share of its steps
  int min_evals = 5;           // nor from fewer evaluations
  int bootstrap = 100;         // resamples of each curve fit
  double check_every_s = 2.0;  // how often a round's curves are read
  // Predicted: as accurate at the target as omitting them and cheaper (docs/benchmarks.md).
  StoppedRunFit fit = StoppedRunFit::kPredicted;
};

// The goals a study's target check is held to.
struct TargetGoals {
  double regret = 0.001;     // the law's regret at most this (0.1%)
  double lr_factor = 1.25;   // the law's LR within this factor of the measured optimum's
  double loss_error = 0.01;  // the predicted loss within this fraction of the measured optimum's
};

// The target check after the proxy rounds (study/target.h): the target model's sweep spec, whose
// grid the check sets from the fit. Null sweep: no check.
struct TargetCheckSpec {
  nlohmann::json sweep;  // paths made absolute
  std::string model;     // its one model's name
  TargetGoals goals;
};

struct StudySpec {
  std::string name;
  nlohmann::json proxies;  // the proxies' sweep spec as given: every round's template
  SweepSpec proxy_sweep;   // the same, parsed
  CandidateGrid grid;      // proxy sizes x the grid's ALMRs x LRs x seeds
  DesignKind design = DesignKind::kAdaptive;
  InitialDesignOptions initial;
  int runs_per_round = 8;
  StopRule stop;
  EarlyStopRule early_stop;
  RecommendOptions criterion;  // target_params, and the weight or the forgetting budget
  TargetCheckSpec target_check;
  int bootstrap = 200;
  nlohmann::json canonical;  // the spec as given

  double BudgetFlops() const;  // stop.budget_flops, else budget_fraction x the grid's
};

// Parses and checks a study spec. `proxies` is a sweep spec object, or the path of one (relative
// paths start from `spec_dir`); it needs a grid, and no points. InvalidArgument lists every
// problem with its JSON path, prefixed with `source`.
absl::StatusOr<StudySpec> ParseStudySpec(const std::string& text, const std::string& source,
                                         const std::string& spec_dir);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_STUDY_SPEC_H_
