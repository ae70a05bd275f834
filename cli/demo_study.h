// The proxy-to-target study of `mixlaw demo`, between its two sweeps: the coupling law fitted to
// the proxy sizes, the recommendation at the target size, the LRs to train there; and, after the
// target sweep, what the measurements say against the law and the direct-transfer baseline.
#ifndef MIXLAW_CLI_DEMO_STUDY_H_
#define MIXLAW_CLI_DEMO_STUDY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "fitter/observations.h"
#include "fitter/recommend.h"
#include "fitter/target_check.h"
#include "nlohmann/json.hpp"
#include "orchestrator/sweep_spec.h"

namespace mixlaw {

// What the proxies predict for the target size. The check measures what the recommendation
// minimises (its criterion, split kSplitCriterion), at the swept ALMR nearest the recommended one.
struct TargetPlan {
  LawFit fit;
  Recommendation recommendation;
  RecommendOptions criterion;  // the recommendation's options: its criterion and target size
  double target_params = 0;
  double almr = 0;            // the swept ALMR nearest the recommended one: checked at the target
  double predicted_lr = 0;    // the criterion's LR at (almr, target) by the law
  double predicted_loss = 0;  // the criterion's value there
  double transfer_lr = 0;     // the largest proxy's observed criterion optimum at `almr`
  bool transfer_interior = true;  // false: at the edge of that proxy's LR grid
  double largest_proxy = 0;
  std::vector<double> lrs;  // to train at the target: spaced by kCheckSpacing (CheckLrs)
  // Each proxy size held out and predicted from the others, at `almr` (LeaveOneSizeOut).
  std::vector<HeldOutSize> held_out;
  // The swept ALMRs either side of `almr`: trained at the target at check_lr, the rung of `lrs`
  // nearest the law's LR, to see whether the recommended ALMR is the better one there.
  std::vector<double> almr_neighbours;
  double check_lr = 0;
};

inline constexpr double kCheckSpacing = 1.4;

// Fits the coupling law to the proxies' runs (bootstrap resamples for the intervals, `threads`)
// and plans the check at `target_params`.
absl::StatusOr<TargetPlan> PlanTarget(const ObservationSet& proxies, double target_params,
                                      int bootstrap, int threads);

// The target sweep's spec: `target_template` (a sweep spec of the target model) with its grid
// set to `almrs` x `lrs` and, when given, `points` (the ALMR check's) beside it; a non-empty
// `suffix` names a later sweep ("-2": the ladder widened).
nlohmann::json TargetSpec(const nlohmann::json& target_template, const TargetPlan& plan,
                          const std::vector<double>& almrs, const std::vector<double>& lrs,
                          const std::string& suffix = "",
                          const std::vector<SweepPoint>& points = {});

// The goals a study's target check is held to.
struct TargetGoals {
  double regret = 0.001;     // the law's regret at most this (0.1%)
  double lr_factor = 1.25;   // the law's LR within this factor of the measured optimum's
  double loss_error = 0.01;  // the predicted loss within this fraction of the measured optimum's
};

// One neighbouring ALMR against the recommended one at the target, both at plan.check_lr.
struct AlmrCheck {
  double almr = 0;
  Estimate excess;  // its criterion over the recommended ALMR's, minus 1 (seeds paired)
  Verdict verdict = Verdict::kNotResolved;  // met: the recommended ALMR is the lower
};

// What the target's runs show, with intervals over the seeds.
struct TargetCheck {
  CurveCheck curve;  // predicted: the law's LR; baseline: the direct transfer
  TargetGoals goals;
  std::vector<std::string> notes;
  Verdict regret = Verdict::kNotResolved;          // the law's regret within goals.regret
  Verdict lr_factor = Verdict::kNotResolved;       // the law's LR within goals.lr_factor
  Verdict loss_error = Verdict::kNotResolved;      // the predicted loss within goals.loss_error
  Verdict beats_transfer = Verdict::kNotResolved;  // the law's regret below the transfer's
  std::vector<AlmrCheck> almrs;                    // empty until the ALMR check's runs are in
};

// The ALMR check: each of plan.almr_neighbours against plan.almr at plan.check_lr, over the
// seeds that trained both. NotFound when a neighbour has no run there.
absl::StatusOr<std::vector<AlmrCheck>> CheckAlmrs(const TargetPlan& plan,
                                                  const ObservationSet& target);

// The ALMR check's goal, the recommended ALMR below every neighbour: met when each is met, not
// met when any is not met, else not resolved.
Verdict AlmrVerdict(const std::vector<AlmrCheck>& checks);

absl::StatusOr<TargetCheck> CheckTarget(const TargetPlan& plan, const ObservationSet& target,
                                        const TargetGoals& goals);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_DEMO_STUDY_H_
