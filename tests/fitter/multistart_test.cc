// The multi-start finds the global optimum where a single start does not: a Chinchilla fit from
// a start of the replication's grid where the token term B / D^beta is negligible stops in the
// local minimum of a law without it, while the best of the grid's starts recovers the planted law.
#include <cmath>

#include "fitter/fit.h"
#include "fitter/laws/chinchilla.h"
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
