// Checking a prediction against a held-out size's measured LR curve, and saying how sure the
// check is: the regret of an LR (the loss trained there over the measured optimum, minus 1), the
// LR factor and the loss error, each with a bootstrap interval over the seeds, and goals that
// count as met or not met only when their interval decides them.
//
// The seeds are resampled whole (a resample keeps each drawn seed's losses at every LR), because
// a seed's data order and initialisation shift its whole curve: most of the spread between seeds
// is common to every LR and cancels in a regret, which compares LRs within one resample.
#ifndef MIXLAW_FITTER_TARGET_CHECK_H_
#define MIXLAW_FITTER_TARGET_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "fitter/observations.h"
#include "fitter/recommend.h"

namespace mixlaw {

// The split a check of a recommendation reads: what its criterion minimises, from each run's
// measured losses (L_additional + W L_base; L_additional under a forgetting budget).
inline constexpr char kSplitCriterion[] = "criterion";

// `runs` with each run's criterion value as final_loss[kSplitCriterion] (none for a run that
// lacks either split).
ObservationSet WithCriterion(const ObservationSet& runs, const RecommendOptions& options);

// The losses of one (N, r) on one split, by seed and LR.
struct SeedCurves {
  std::vector<double> lrs;                // ascending, distinct
  std::vector<int64_t> seeds;             // ascending, distinct
  std::vector<std::vector<double>> loss;  // loss[seed][lr]; NaN where that run was not measured
};

// The curves of the runs at size `params` and ALMR `almr` on `split`. NotFound when fewer than
// three LRs were measured there.
absl::StatusOr<SeedCurves> CurvesAt(const ObservationSet& runs, const std::string& split,
                                    double params, double almr);

// One reading of a curve: the mean over some seeds at each LR.
class CurveReading {
 public:
  // The mean over `seeds` (indexes into curves.seeds, repeats allowed) of each LR's measured
  // losses; an LR that none of them measured is left out.
  CurveReading(const SeedCurves& curves, const std::vector<int>& seeds);
  // The mean over every seed.
  explicit CurveReading(const SeedCurves& curves);

  size_t lrs() const { return ln_lr_.size(); }
  // The optimum: the minimum, over the LRs measured, of the curve LossAt reads (with three LRs
  // or more; else the lowest mean). interior(): the lowest mean is not at an end of the LRs.
  double optimum_lr() const { return optimum_lr_; }
  double optimum_loss() const { return optimum_loss_; }
  bool interior() const { return interior_; }
  // The loss at `lr` read off the parabola through the three measured LRs nearest it (exact at
  // a measured LR); NaN outside the measured LRs by more than 1%.
  double LossAt(double lr) const;
  // LossAt(lr) / optimum_loss() - 1.
  double Regret(double lr) const { return LossAt(lr) / optimum_loss_ - 1; }

 private:
  std::vector<double> ln_lr_, mean_;
  double optimum_lr_ = kNaN, optimum_loss_ = kNaN;
  bool interior_ = false;
};

// A measured quantity: the estimate of all seeds together and its 95% bootstrap interval.
struct Estimate {
  double value = kNaN;
  Interval interval;
};

enum class Verdict { kMet, kNotMet, kNotResolved };
const char* VerdictName(Verdict v);  // "met", "not met", "not resolved"

// Met when the whole interval lies at or below `bound`, not met when it lies above it, else not
// resolved.
Verdict AtMost(const Interval& interval, double bound);
// Met when the interval lies within [1 / factor, factor], not met when it lies outside it.
Verdict WithinFactor(const Interval& ratio, double factor);
// Met when the interval lies above 0, not met when it lies below it.
Verdict Positive(const Interval& interval);

// One LR set against the measured curve.
struct LrCheck {
  double lr = 0;
  Estimate regret;                     // the loss trained at lr over the measured optimum, minus 1
  Estimate lr_ratio;                   // lr / the measured optimum's LR
  std::vector<double> regret_by_seed;  // each seed's curve alone, in the order of SeedCurves::seeds
};

struct TargetCheckOptions {
  int resamples = 2000;
  uint64_t seed = 1;
};

// The measured curve against two LRs: a prediction (with its predicted loss) and a baseline.
struct CurveCheck {
  std::vector<int64_t> seeds;
  std::vector<double> lrs;
  Estimate optimum_lr, optimum_loss;
  bool interior = true;  // false: the lowest loss (all seeds) is at an end of the LRs
  std::vector<double> optimum_lr_by_seed;
  LrCheck predicted, baseline;
  double predicted_loss = kNaN;  // what the law predicted for the optimum's loss
  Estimate loss_error;           // predicted_loss / the measured optimum's loss - 1
  Estimate regret_advantage;     // the baseline's regret minus the prediction's
  int resamples = 0;             // resamples with an optimum (some may lack one: too few LRs)
};

// Sets `predicted_lr` (with `predicted_loss`) and `baseline_lr` against `curves`. Resample k
// draws the seeds from a generator seeded by options.seed and k. InvalidArgument when the curves
// hold fewer than three LRs measured by every seed's mean, or an LR lies outside them.
absl::StatusOr<CurveCheck> CheckCurve(const SeedCurves& curves, double predicted_lr,
                                      double predicted_loss, double baseline_lr,
                                      const TargetCheckOptions& options = {});

// How much higher `other` is than `reference`, each one loss a seed paired by index (the same
// seed trained both): mean(other) / mean(reference) - 1 over the seeds, with a 95% interval from
// resampling the seeds (the pairs) as CheckCurve does; no interval with fewer than two seeds.
Estimate RelativeExcess(const std::vector<double>& reference, const std::vector<double>& other,
                        const TargetCheckOptions& options = {});

// One proxy size held out: the coupling law fitted to the other sizes, its criterion's LR at
// that size, and the regret measured there.
struct HeldOutSize {
  double params = 0;
  double predicted_lr = 0;
  std::string problem;  // why there is no regret (the LR outside the size's grid, ...); else empty
  CurveCheck check;     // predicted: the law's LR (the baseline is the same LR)
};

// Leave-one-size-out over `proxies` at ALMR `almr`: for each size, the coupling law fitted to the
// rest (`fit` options; without the runs above criterion.max_lr_over_best times their group's
// best LR, as a recommendation's fit) and checked on the held-out size's measured criterion
// (`criterion`: what Recommend minimises; its target_params is set to each held-out size). Sizes a
// fit cannot support leave a problem, not an error.
std::vector<HeldOutSize> LeaveOneSizeOut(const ObservationSet& proxies, double almr,
                                         const FitOptions& fit, const RecommendOptions& criterion);

// The median and the largest regret of the held-out sizes that have one (NaN when none).
struct RegretSummary {
  double median = kNaN, worst = kNaN;
  int sizes = 0;
};
RegretSummary SummarizeRegrets(const std::vector<HeldOutSize>& held_out);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_TARGET_CHECK_H_
