// A study's target check (docs/study.md): after the proxy rounds, the law's recommendation is
// trained for real at the target size. PlanTarget reads the last round's fit and plans the LRs to
// train there; RunTargetCheck trains them as sweeps (widening the ladder while the lowest loss
// sits at an end of it) and CheckTarget sets the law and the direct-transfer baseline against
// what the target measured, with intervals over its seeds.
#ifndef MIXLAW_STUDY_TARGET_H_
#define MIXLAW_STUDY_TARGET_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "fitter/observations.h"
#include "fitter/recommend.h"
#include "fitter/target_check.h"
#include "nlohmann/json.hpp"
#include "orchestrator/sweep_spec.h"
#include "study/study_spec.h"

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
  double transfer_lr = 0;     // the largest proxy's observed criterion optimum at transfer_almr
  // `almr`, or where a study did not train the largest proxy at two LRs there, the swept ALMR
  // nearest it at which it did
  double transfer_almr = 0;
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

// Plans the check at criterion.target_params from `fit`, the coupling law fitted to `proxies`
// (the study's last round); `threads` for leave-one-size-out's refits.
absl::StatusOr<TargetPlan> PlanTarget(const ObservationSet& proxies, LawFit fit,
                                      const RecommendOptions& criterion, int threads);

// The target sweep's spec: `target_template` (a sweep spec of the target model) with its grid
// set to `almrs` x `lrs` and, when given, `points` (the ALMR check's) beside it; a non-empty
// `suffix` names a later sweep ("-2": the ladder widened).
nlohmann::json TargetSpec(const nlohmann::json& target_template, const TargetPlan& plan,
                          const std::vector<double>& almrs, const std::vector<double>& lrs,
                          const std::string& suffix = "",
                          const std::vector<SweepPoint>& points = {});

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

// What one target sweep trained.
struct TargetSweep {
  std::string name;
  ObservationSet observations;  // its CPT runs as the fitter reads them
  int succeeded = 0;            // its runs that succeeded, pretraining included
  std::string counts;           // its runs by state, in words
};

// Trains a target sweep to its end; `round` 1 is the first ladder, 2 and 3 its widenings. Called
// again with the same spec after a restart, it resumes that sweep.
class TargetRunner {
 public:
  virtual ~TargetRunner() = default;
  virtual absl::StatusOr<TargetSweep> Train(const nlohmann::json& spec, int round) = 0;
};

// The target check's outcome.
struct TargetStudy {
  TargetPlan plan;  // plan.lrs: every LR trained, the widenings' included
  TargetCheck check;
  ObservationSet runs;              // the target's runs at plan.almr
  std::vector<std::string> sweeps;  // the target sweeps' names, in order
  std::string model;                // the target model's name
};

inline constexpr int kMaxTargetRounds = 3;

// Trains the ladder plan.lrs at plan.almr (and the ALMR check's points beside it) from
// `target_template`; while the lowest loss sits at an end of what was trained, a later sweep adds
// two rungs beyond it, up to kMaxTargetRounds sweeps. A line per widening to `progress` (may be
// null). FailedPrecondition when a sweep ends with fewer than 2 succeeded runs.
absl::StatusOr<TargetStudy> RunTargetCheck(TargetPlan plan, const nlohmann::json& target_template,
                                           const TargetGoals& goals, TargetRunner& runner,
                                           std::ostream* progress);

// study.json's "target_check" (docs/study.md): the plan, the measured optimum, the law and the
// transfer with their intervals, the ALMR check, each goal's verdict, leave-one-size-out.
nlohmann::json TargetCheckJson(const TargetStudy& target);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_TARGET_H_
