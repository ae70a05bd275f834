// The multi-start finds the global optimum where a single start does not: a Chinchilla fit from
// a start of the replication's grid where the token term B / D^beta is negligible stops in the
// local minimum of a law without it, while the best of the grid's starts recovers the planted law.
//
// And the solver's one-block objective (fitter/huber_block.h) is the per-point formulation's: the
// sum of each point's Huber loss of its log residual, with the same gradient.
#include <cmath>
#include <memory>
#include <random>

#include "ceres/loss_function.h"
#include "fitter/fit.h"
#include "fitter/laws/chinchilla.h"
#include "fitter/laws/coupling.h"
#include "gtest/gtest.h"
#include "tests/fitter/synthetic_data.h"

namespace mixlaw {
namespace {

const std::vector<double> kPlanted = {std::log(1.69), std::log(406.4), 0.34, std::log(410.7), 0.28};

std::vector<Point> Points() {
  std::vector<Point> at;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) {
      at.push_back({1e7 * std::pow(2.0, i), 1e8 * std::pow(2.7, j), 0, 0, 0, 0});
    }
  }
  return LawPoints(ChinchillaLaw(), kPlanted, at, 0.003, 3);
}

// Cost and gradient of `rows` at theta, per point (a HuberLoss on each point's block) and as one
// Huber-rooted block; theta is moved by neither.
void ExpectSameObjective(const Law& law, const std::vector<Point>& points,
                         const std::vector<int>& rows, std::vector<double> theta, double delta) {
  ResidualSet set(law, points);
  ceres::HuberLoss huber(delta);
  double per_point = 0;
  std::vector<double> per_point_gradient;
  BuildProblem(set, rows, {}, &huber, theta.data())
      ->Evaluate(ceres::Problem::EvaluateOptions(), &per_point, nullptr, &per_point_gradient,
                 nullptr);
  // The formula itself: sum_i huber_delta(ln f_i - ln y_i).
  double by_formula = 0;
  for (int row : rows) {
    const Point& p = points[static_cast<size_t>(row)];
    const double r = std::log(law.Predict(theta.data(), p)) - std::log(p.value);
    by_formula += std::fabs(r) <= delta ? 0.5 * r * r : delta * (std::fabs(r) - 0.5 * delta);
  }
  ceres::Problem one_block;
  one_block.AddResidualBlock(law.NewHuberBlock(points, rows, delta), nullptr, theta.data());
  double blocked = 0;
  std::vector<double> blocked_gradient;
  one_block.Evaluate(ceres::Problem::EvaluateOptions(), &blocked, nullptr, &blocked_gradient,
                     nullptr);
  EXPECT_NEAR(blocked, per_point, 1e-12 * per_point);
  EXPECT_NEAR(blocked, by_formula, 1e-12 * by_formula);
  double norm = 0;
  for (double g : per_point_gradient) norm = std::max(norm, std::fabs(g));
  ASSERT_EQ(blocked_gradient.size(), per_point_gradient.size());
  for (size_t k = 0; k < per_point_gradient.size(); ++k) {
    EXPECT_NEAR(blocked_gradient[k], per_point_gradient[k], 1e-12 * norm) << k;
  }
}

// n points spread over the coordinates both laws read, and a bootstrap-like draw of n rows
// (repeats, some points left out); weighted: every point but each third at a weight in (0, 1].
std::vector<Point> RandomPoints(std::mt19937_64& rng, int n, bool weighted,
                                std::vector<int>* rows) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Point> points;
  for (int i = 0; i < n; ++i) {
    points.push_back({std::exp(16 + 8 * unit(rng)), std::exp(20 + 6 * unit(rng)), unit(rng),
                      std::exp(-9 + 5 * unit(rng)), 1.8 + 2 * unit(rng), i});
    if (weighted && i % 3 != 0) points.back().weight = 0.01 + 0.99 * unit(rng);
  }
  rows->clear();
  for (int i = 0; i < n; ++i) rows->push_back(static_cast<int>(unit(rng) * n));
  return points;
}

TEST(MultiStartTest, OneBlockObjectiveIsTheSumOfPerPointHuberLosses) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  ChinchillaLaw chinchilla;
  CouplingAdditionalLaw coupling;
  for (int trial = 0; trial < 20; ++trial) {
    SCOPED_TRACE(trial);
    std::vector<int> rows;
    const std::vector<Point> points = RandomPoints(rng, 100, false, &rows);
    // Small deltas put most points on Huber's linear part, large ones most on its square.
    const double delta = std::pow(10.0, -4 + 4 * unit(rng));
    for (const Law* law :
         {static_cast<const Law*>(&chinchilla), static_cast<const Law*>(&coupling)}) {
      std::vector<double> theta;
      for (const ParameterSpec& spec : law->parameters()) {
        const double lower = std::max(spec.lower, -2.0), upper = std::min(spec.upper, 8.0);
        theta.push_back(lower + (upper - lower) * unit(rng));
      }
      ExpectSameObjective(*law, points, rows, theta, delta);
      ExpectSameObjective(*law, points, AllRows(points.size()), theta, delta);
    }
  }
}

// A point of weight w counts w times its Huber loss in the one block, and w times its square in
// the per-point problem the standard errors are computed on; a weight of 1 changes nothing.
TEST(MultiStartTest, AWeightedPointCountsItsWeightTimesInTheObjective) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  ChinchillaLaw chinchilla;
  CouplingAdditionalLaw coupling;
  for (int trial = 0; trial < 10; ++trial) {
    SCOPED_TRACE(trial);
    std::vector<int> rows;
    const std::vector<Point> points = RandomPoints(rng, 60, true, &rows);
    const double delta = std::pow(10.0, -4 + 4 * unit(rng));
    for (const Law* law :
         {static_cast<const Law*>(&chinchilla), static_cast<const Law*>(&coupling)}) {
      std::vector<double> theta;
      for (const ParameterSpec& spec : law->parameters()) {
        const double lower = std::max(spec.lower, -2.0), upper = std::min(spec.upper, 8.0);
        theta.push_back(lower + (upper - lower) * unit(rng));
      }
      double huber_sum = 0, square_sum = 0;
      for (int row : rows) {
        const Point& p = points[static_cast<size_t>(row)];
        const double r = std::log(law->Predict(theta.data(), p)) - std::log(p.value);
        huber_sum +=
            p.weight * (std::fabs(r) <= delta ? 0.5 * r * r : delta * (std::fabs(r) - 0.5 * delta));
        square_sum += p.weight * 0.5 * r * r;
      }
      ceres::Problem one_block;
      one_block.AddResidualBlock(law->NewHuberBlock(points, rows, delta), nullptr, theta.data());
      double blocked = 0;
      one_block.Evaluate(ceres::Problem::EvaluateOptions(), &blocked, nullptr, nullptr, nullptr);
      EXPECT_NEAR(blocked, huber_sum, 1e-12 * huber_sum);
      ResidualSet set(*law, points);
      double per_point = 0;
      BuildProblem(set, rows, {}, nullptr, theta.data())
          ->Evaluate(ceres::Problem::EvaluateOptions(), &per_point, nullptr, nullptr, nullptr);
      EXPECT_NEAR(per_point, square_sum, 1e-12 * square_sum);
    }
  }
}

// An outlier at a small weight pulls the fit less: its parameters lie nearer the fit without it
// than the fit that counts it fully.
TEST(MultiStartTest, AnOutlierAtASmallWeightPullsTheFitLess) {
  ChinchillaLaw law;
  std::vector<Point> points = Points();
  FitOptions options;
  options.max_starts = 16;
  options.cross_validate = false;
  options.solve.huber_delta = 1.0;  // least squares: an outlier pulls in proportion
  auto without = FitComponent(law, points, static_cast<int>(points.size()), options);
  points.push_back(points.front());
  points.back().value *= 1.3;
  points.back().unit = static_cast<int>(points.size()) - 1;
  auto full = FitComponent(law, points, static_cast<int>(points.size()), options);
  points.back().weight = 0.05;
  auto light = FitComponent(law, points, static_cast<int>(points.size()), options);
  ASSERT_TRUE(without.ok() && full.ok() && light.ok());
  double full_shift = 0, light_shift = 0;
  for (size_t i = 0; i < kPlanted.size(); ++i) {
    full_shift += std::fabs(full->parameters[i].value - without->parameters[i].value);
    light_shift += std::fabs(light->parameters[i].value - without->parameters[i].value);
  }
  EXPECT_GT(full_shift, 0);
  EXPECT_LT(light_shift, 0.2 * full_shift);
}

TEST(MultiStartTest, FindsTheGlobalOptimumWhereASingleStartDoesNot) {
  ChinchillaLaw law;
  const std::vector<Point> points = Points();
  ResidualSet set(law, points);
  // On the grid: log_E -1, log_A 0, alpha 0, log_B 0, beta 2. B D^-2 is below 1e-16 of the loss,
  // so is its gradient: E, A and alpha fit the data without it.
  const std::vector<double> start = {-1, 0, 0, 0, 2};
  StartOutcome single = SolveFrom(set, AllRows(points.size()), start, {}, SolveOptions());
  ASSERT_TRUE(single.usable()) << single.termination;

  FitOptions options;
  options.max_starts = 64;
  options.cross_validate = false;
  auto fit = FitComponent(law, points, static_cast<int>(points.size()), options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_EQ(fit->starts.size(), 64u);
  EXPECT_GT(single.cost, 10 * fit->cost);
  EXPECT_GT(std::fabs(single.parameters[4] - kPlanted[4]), 1.0);  // beta stayed where it began
  for (size_t i = 0; i < kPlanted.size(); ++i) {
    EXPECT_NEAR(fit->parameters[i].value, kPlanted[i], 5 * fit->parameters[i].std_error)
        << fit->parameters[i].name;
  }
  // Every start's outcome is kept, the failures to reach the optimum among them.
  size_t elsewhere = 0;
  for (const StartOutcome& s : fit->starts) elsewhere += s.cost > 2 * fit->cost ? 1 : 0;
  EXPECT_GT(elsewhere, 0u);
}

TEST(MultiStartTest, ResultsDoNotDependOnTheThreadCount) {
  ChinchillaLaw law;
  const std::vector<Point> points = Points();
  FitOptions options;
  options.max_starts = 16;
  options.bootstrap = 8;
  options.cross_validate = false;
  options.threads = 1;
  auto one = FitComponent(law, points, static_cast<int>(points.size()), options);
  options.threads = 2;
  auto two = FitComponent(law, points, static_cast<int>(points.size()), options);
  ASSERT_TRUE(one.ok() && two.ok());
  EXPECT_EQ(one->cost, two->cost);
  EXPECT_EQ(one->bootstrap, two->bootstrap);
}

}  // namespace
}  // namespace mixlaw
