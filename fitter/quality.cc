#include "fitter/quality.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "fitter/parallel.h"

namespace mixlaw {

std::vector<double> LogResiduals(const Law& law, const std::vector<double>& theta,
                                 const std::vector<Point>& points) {
  std::vector<double> residuals;
  residuals.reserve(points.size());
  for (const Point& p : points) {
    residuals.push_back(std::log(law.Predict(theta.data(), p)) - std::log(p.value));
  }
  return residuals;
}

double RSquaredLog(const std::vector<double>& residuals, const std::vector<Point>& points) {
  double mean = 0;
  for (const Point& p : points) mean += std::log(p.value);
  mean /= static_cast<double>(points.size());
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    ss_res += residuals[i] * residuals[i];
    ss_tot += (std::log(points[i].value) - mean) * (std::log(points[i].value) - mean);
  }
  return ss_tot > 0 ? 1.0 - ss_res / ss_tot : 0.0;
}

double RmseLog(const std::vector<double>& residuals) {
  double sum = 0;
  for (double r : residuals) sum += r * r;
  return residuals.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(residuals.size()));
}

double PredictedOptimalLr(const Law& law, const std::vector<double>& theta, const Point& at,
                          double lr_min, double lr_max) {
  constexpr int kSteps = 800;
  const double lo = std::log(lr_min), step = (std::log(lr_max) - lo) / kSteps;
  auto f = [&](double ln_lr) {
    Point p = at;
    p.lr = std::exp(ln_lr);
    return law.Predict(theta.data(), p);
  };
  int best = 0;
  double best_value = f(lo);
  for (int i = 1; i <= kSteps; ++i) {
    double v = f(lo + i * step);
    if (v < best_value) {
      best_value = v;
      best = i;
    }
  }
  if (best == 0 || best == kSteps) return std::exp(lo + best * step);
  double x = lo + best * step, y0 = f(x - step), y2 = f(x + step);
  double curvature = y0 - 2 * best_value + y2;
  return std::exp(curvature > 0 ? x + 0.5 * step * (y0 - y2) / curvature : x);
}

std::vector<int> HeldParameters(const Law& law, const DataRange& range) {
  std::vector<int> held;
  for (int i = 0; i < law.num_parameters(); ++i) {
    Needs needs = law.parameters()[static_cast<size_t>(i)].needs;
    if ((needs == Needs::kSizes && range.sizes < 2) ||
        (needs == Needs::kAlmrs && range.almrs < 2) ||
        (needs == Needs::kTokens && range.token_budgets < 2)) {
      held.push_back(i);
    }
  }
  return held;
}

namespace {

struct Fold {
  std::string group;
  double value;
  std::function<double(const Point&)> key;
};

// Observed and predicted optima of the held-out groups, as factors exp|ln ratio|.
void ScoreOptima(const Law& law, const std::vector<double>& theta,
                 const std::vector<Point>& held_out, double lr_min, double lr_max, CvFold* fold) {
  std::vector<double> factors;
  for (const GroupOptimum& g : ObservedOptima(held_out)) {
    if (!g.interior) continue;
    Point at{g.params, g.tokens, g.almr, g.lr, 1.0, 0};
    double predicted = PredictedOptimalLr(law, theta, at, lr_min, lr_max);
    factors.push_back(std::exp(std::fabs(std::log(predicted / g.lr))));
  }
  fold->optima = factors.size();
  if (factors.empty()) return;
  std::sort(factors.begin(), factors.end());
  size_t n = factors.size();
  fold->lr_factor_median =
      n % 2 == 1 ? factors[n / 2] : 0.5 * (factors[n / 2 - 1] + factors[n / 2]);
  fold->lr_factor_max = factors.back();
}

}  // namespace

std::vector<CvFold> CrossValidate(const Law& law, const std::vector<Point>& points,
                                  const std::vector<double>& theta, const SolveOptions& options,
                                  int threads) {
  std::vector<Fold> folds;
  std::set<double> sizes, almrs;
  for (const Point& p : points) {
    sizes.insert(p.params);
    almrs.insert(p.almr);
  }
  if (sizes.size() >= 2) {
    for (double n : sizes) folds.push_back({"params", n, [](const Point& p) { return p.params; }});
  }
  if (almrs.size() >= 2) {
    for (double r : almrs) folds.push_back({"almr", r, [](const Point& p) { return p.almr; }});
  }
  const DataRange all = RangeOf(points);
  std::vector<CvFold> results(folds.size());
  std::vector<char> scored(folds.size(), 0);  // not vector<bool>: written by several threads
  ParallelFor(static_cast<int>(folds.size()), threads, [&](int f) {
    const Fold& fold = folds[static_cast<size_t>(f)];
    std::vector<Point> train, held_out;
    for (const Point& p : points) (fold.key(p) == fold.value ? held_out : train).push_back(p);
    std::vector<int> held = HeldParameters(law, RangeOf(train));
    if (train.size() <= static_cast<size_t>(law.num_parameters()) - held.size()) return;
    std::vector<double> start = theta;
    for (int i : held) {
      start[static_cast<size_t>(i)] = law.parameters()[static_cast<size_t>(i)].held;
    }
    ResidualSet set(law, train);
    StartOutcome outcome = SolveFrom(set, AllRows(train.size()), start, held, options);
    if (!outcome.usable()) return;
    CvFold& result = results[static_cast<size_t>(f)];
    result.group = fold.group;
    result.held_out = fold.value;
    result.points = held_out.size();
    result.rmse_log = RmseLog(LogResiduals(law, outcome.parameters, held_out));
    if (law.uses_lr()) {
      ScoreOptima(law, outcome.parameters, held_out, all.min_lr / 10, all.max_lr * 10, &result);
    }
    scored[static_cast<size_t>(f)] = 1;
  });
  std::vector<CvFold> kept;
  for (size_t f = 0; f < folds.size(); ++f) {
    if (scored[f]) kept.push_back(results[f]);
  }
  return kept;
}

}  // namespace mixlaw
