// How well a fitted law describes data: R^2 and RMSE of ln f - ln y, and leave-one-group-out
// cross-validation (refit without one model size, or one ALMR, and predict it).
#ifndef MIXLAW_FITTER_QUALITY_H_
#define MIXLAW_FITTER_QUALITY_H_

#include <string>
#include <vector>

#include "fitter/laws/law.h"
#include "fitter/solve.h"

namespace mixlaw {

// ln f(point; theta) - ln point.value for each point.
std::vector<double> LogResiduals(const Law& law, const std::vector<double>& theta,
                                 const std::vector<Point>& points);

// R^2 of ln y (1 - SS_res / SS_tot) and the RMSE of the log residuals.
double RSquaredLog(const std::vector<double>& residuals, const std::vector<Point>& points);
double RmseLog(const std::vector<double>& residuals);

// The LR in [lr_min, lr_max] where the law predicts the lowest value at (N, D, r) of `at`:
// a fine grid in ln LR, then a parabola through the best three.
double PredictedOptimalLr(const Law& law, const std::vector<double>& theta, const Point& at,
                          double lr_min, double lr_max);

// The parameters the data cannot identify (see Needs), by index.
std::vector<int> HeldParameters(const Law& law, const DataRange& range);

struct CvFold {
  std::string group;    // "params" or "almr": what was held out
  double held_out = 0;  // its value
  size_t points = 0;    // held-out points
  double rmse_log = 0;  // RMSE of the held-out log residuals
  // For laws that read the LR: held-out (N, D, r) groups with an interior observed optimum, and
  // exp|ln eta*_predicted - ln eta*_observed| over them (1 = placed exactly).
  size_t optima = 0;
  double lr_factor_median = 0, lr_factor_max = 0;
};

// Refits without each model size (when there are two or more) and without each ALMR, from
// `theta` (one start), and scores the held-out points.
std::vector<CvFold> CrossValidate(const Law& law, const std::vector<Point>& points,
                                  const std::vector<double>& theta, const SolveOptions& options,
                                  int threads);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_QUALITY_H_
