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
#include "nlohmann/json.hpp"

namespace mixlaw {

// What the proxies predict for the target size.
struct TargetPlan {
  LawFit fit;
  Recommendation recommendation;
  double target_params = 0;
  double almr = 0;            // the swept ALMR nearest the recommended one: checked at the target
  double predicted_lr = 0;    // eta*_additional(almr, target) of the law
  double predicted_loss = 0;  // L_additional there
  double transfer_lr = 0;     // the largest proxy's observed optimum at `almr`
  bool transfer_interior = true;  // false: at the edge of that proxy's LR grid
  double largest_proxy = 0;
  std::vector<double> lrs;    // to train at the target: spaced by kCheckSpacing (CheckLrs)
};

inline constexpr double kCheckSpacing = 1.4;

// Fits the coupling law to the proxies' runs (bootstrap resamples for the intervals, `threads`)
// and plans the check at `target_params`.
absl::StatusOr<TargetPlan> PlanTarget(const ObservationSet& proxies, double target_params,
                                      int bootstrap, int threads);

// The target sweep's spec: `target_template` (a sweep spec of the target model) with its grid
// set to the plan's ALMR and `lrs`; `round` > 1 names a later sweep that widens the ladder.
nlohmann::json TargetSpec(const nlohmann::json& target_template, const TargetPlan& plan,
                          const std::vector<double>& lrs, int round = 1);

// What the target's runs show.
struct TargetCheck {
  double measured_lr = 0, measured_loss = 0;  // observed optimum (seeds averaged)
  bool bracketed = true;                      // false: the best LR is at an end of the ladder
  double predicted_lr_loss = 0;  // measured loss at the law's LR (seed means, see LossAt)
  double transfer_loss = 0;      // measured loss at the direct-transfer LR (likewise)
  int seeds = 0;
  std::vector<std::string> notes;
  // The demo's goals: the law's optimal LR within a factor 1.5 of the measured one, its loss
  // within 1% of the measured optimum's, its LR closer (in ln LR) than the direct transfer's.
  bool lr_within_1_5 = false, loss_within_1_percent = false, closer_than_transfer = false;
};

absl::StatusOr<TargetCheck> CheckTarget(const TargetPlan& plan, const ObservationSet& target);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_DEMO_STUDY_H_
