// A run's loss curve as a function of its LR schedule, to predict the final loss of a run from
// the first part of its curve (docs/study.md, early stopping):
//   L(s) = L0 + A S1(s)^-alpha - C S2(s)
// S1(s) is the schedule's forward area up to step s and S2(s) its annealing area
// (trainer/schedule.h's ScheduleAreas; the form of Tissue et al. 2024, warmup's rises left out).
// L0, A, alpha and C are fitted to one run's evaluations.
#ifndef MIXLAW_FITTER_CURVE_LAW_H_
#define MIXLAW_FITTER_CURVE_LAW_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/recommend.h"
#include "trainer/schedule.h"

namespace mixlaw {

// One evaluation of a run: its step (1-based) and loss.
struct CurveSample {
  int64_t step = 0;
  double loss = 0;
};

struct CurveParameters {
  double l0 = 0, a = 0, alpha = 0, c = 0;
  double LossAt(const ScheduleAreas& areas, int64_t step) const;
};

struct CurvePrediction {
  CurveParameters parameters;
  double loss = 0;  // at the schedule's last step
  // 95% predictive interval of one evaluation there: the fit's bootstrap (residuals, rescaled by
  // sqrt(n / (n - 4)) for the four parameters fitted, resampled) with a resampled residual on each
  // prediction.
  Interval interval;
  double rmse_log = 0;  // of the fit, in log space
  int samples = 0;      // evaluations fitted
};

struct CurveFitOptions {
  int min_samples = 5;  // fewer: FailedPrecondition, too little curve to read
  int bootstrap = 100;
  uint64_t seed = 1;
};

// Fits the law to `samples` (steps within the schedule, losses > 0) and predicts the loss at its
// last step. InvalidArgument for a sample outside the schedule or a loss that is not positive;
// FailedPrecondition with fewer than options.min_samples.
absl::StatusOr<CurvePrediction> PredictFinalLoss(const ScheduleAreas& areas,
                                                 const std::vector<CurveSample>& samples,
                                                 const CurveFitOptions& options = {});

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_CURVE_LAW_H_
