#include "fitter/curve_law.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ceres/ceres.h"
#include "fitter/uncertainty.h"

namespace mixlaw {

double CurveParameters::LossAt(const ScheduleAreas& areas, int64_t step) const {
  const size_t i = static_cast<size_t>(step - 1);
  return l0 + a * std::pow(areas.forward[i], -alpha) - c * areas.annealing[i];
}

namespace {

constexpr double kCurveParameters = 4;  // L0, A, alpha, C

// ln L(s) - ln y for one sample; theta = (ln L0, ln A, alpha, C).
struct CurveResidual {
  CurveResidual(double s1, double s2, double y) : s1_(s1), s2_(s2), ln_y_(std::log(y)) {}
  template <typename T>
  bool operator()(const T* theta, T* residual) const {
    using std::exp;
    using std::log;
    const T loss = exp(theta[0]) + exp(theta[1] - theta[2] * log(s1_)) - theta[3] * s2_;
    if (!(loss > T(0))) return false;
    residual[0] = log(loss) - ln_y_;
    return true;
  }
  double s1_, s2_, ln_y_;
};

struct Fitted {
  CurveParameters parameters;
  double cost = HUGE_VAL;
};

// The best of a few starts in alpha.
Fitted Fit(const ScheduleAreas& areas, const std::vector<CurveSample>& samples) {
  double lowest = HUGE_VAL;
  for (const CurveSample& s : samples) lowest = std::min(lowest, s.loss);
  const CurveSample& first = samples.front();
  Fitted best;
  for (double alpha : {0.3, 0.6, 1.2}) {
    for (double floor : {0.5, 0.9}) {
      const double s1 = areas.forward[static_cast<size_t>(first.step - 1)];
      const double excess = std::max(first.loss - floor * lowest, 1e-3 * lowest);
      double theta[4] = {std::log(floor * lowest), std::log(excess) + alpha * std::log(s1), alpha,
                         0.0};
      ceres::Problem problem;
      for (const CurveSample& s : samples) {
        const size_t i = static_cast<size_t>(s.step - 1);
        problem.AddResidualBlock(
            new ceres::AutoDiffCostFunction<CurveResidual, 1, 4>(
                new CurveResidual(areas.forward[i], areas.annealing[i], s.loss)),
            nullptr, theta);
      }
      problem.SetParameterLowerBound(theta, 2, 0.02);
      problem.SetParameterUpperBound(theta, 2, 4.0);
      problem.SetParameterLowerBound(theta, 3, 0.0);
      ceres::Solver::Options options;
      options.logging_type = ceres::SILENT;
      options.max_num_iterations = 200;
      ceres::Solver::Summary summary;
      ceres::Solve(options, &problem, &summary);
      if (!summary.IsSolutionUsable() || !(summary.final_cost < best.cost)) continue;
      best.cost = summary.final_cost;
      best.parameters = {std::exp(theta[0]), std::exp(theta[1]), theta[2], theta[3]};
    }
  }
  return best;
}

}  // namespace

absl::StatusOr<CurvePrediction> PredictFinalLoss(const ScheduleAreas& areas,
                                                 const std::vector<CurveSample>& samples,
                                                 const CurveFitOptions& options) {
  for (const CurveSample& s : samples) {
    if (s.step < 1 || s.step > areas.steps()) {
      return absl::InvalidArgumentError(absl::StrCat("an evaluation at step ", s.step,
                                                     " is outside the schedule's ", areas.steps(),
                                                     " steps"));
    }
    if (!(s.loss > 0) || !std::isfinite(s.loss)) {
      return absl::InvalidArgumentError(
          absl::StrCat("the evaluation at step ", s.step, " has loss ", s.loss));
    }
  }
  if (static_cast<int>(samples.size()) < options.min_samples) {
    return absl::FailedPreconditionError(absl::StrCat(
        samples.size(), " evaluations; predicting needs at least ", options.min_samples));
  }
  const Fitted fit = Fit(areas, samples);
  if (!std::isfinite(fit.cost)) {
    return absl::FailedPreconditionError("the curve law could not be fitted to the evaluations");
  }
  CurvePrediction p;
  p.parameters = fit.parameters;
  p.samples = static_cast<int>(samples.size());
  const int64_t last = areas.steps();
  p.loss = fit.parameters.LossAt(areas, last);
  std::vector<double> residuals;
  double squares = 0;
  for (const CurveSample& s : samples) {
    const double r = std::log(s.loss) - std::log(fit.parameters.LossAt(areas, s.step));
    residuals.push_back(r);
    squares += r * r;
  }
  p.rmse_log = std::sqrt(squares / static_cast<double>(samples.size()));
  // Fitted residuals are smaller than the noise by the four parameters they were fitted with:
  // resampled at their own size, the interval would hold the truth less often than it says.
  const double n = static_cast<double>(samples.size());
  const double rescale = std::sqrt(n / std::max(1.0, n - kCurveParameters));
  for (double& r : residuals) r *= rescale;
  // Residual bootstrap: the fitted curve times resampled (rescaled) residuals, refitted; each
  // prediction then carries one resampled residual of its own, as one evaluation at the end would.
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<size_t> pick(0, residuals.size() - 1);
  std::vector<double> predictions;
  for (int k = 0; k < options.bootstrap; ++k) {
    std::vector<CurveSample> resampled = samples;
    for (CurveSample& s : resampled) {
      s.loss = fit.parameters.LossAt(areas, s.step) * std::exp(residuals[pick(rng)]);
    }
    const Fitted refit = Fit(areas, resampled);
    if (!std::isfinite(refit.cost)) continue;
    const double at_end = refit.parameters.LossAt(areas, last);
    if (!(at_end > 0)) continue;
    predictions.push_back(at_end * std::exp(residuals[pick(rng)]));
  }
  if (!predictions.empty()) {
    p.interval = {Quantile(predictions, 0.025), Quantile(predictions, 0.975)};
  }
  return p;
}

}  // namespace mixlaw
