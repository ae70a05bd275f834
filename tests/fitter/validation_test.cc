// The pieces of a check at a held-out size: the LR ladder, the observed optimum and the mean loss
// over seeds at one LR.
#include "fitter/validation.h"

#include <cmath>

#include "gtest/gtest.h"

namespace mixlaw {
namespace {

TEST(ValidationTest, LadderIsSpacedAroundThePredictionAndReachesTheTransferLr) {
  std::vector<double> lrs = CheckLrs(1e-2, 1.01e-2, 1.4, 2);
  ASSERT_EQ(lrs.size(), 5u) << "the transfer LR (1% above the middle rung) lies inside the ladder";
  EXPECT_DOUBLE_EQ(lrs[0], 0.0051);
  EXPECT_DOUBLE_EQ(lrs[2], 0.01);
  EXPECT_DOUBLE_EQ(lrs[4], 0.0196);
  for (size_t i = 1; i < lrs.size(); ++i) EXPECT_LE(lrs[i] / lrs[i - 1], 1.41);
  // Three digits exactly, for readable run names: 3.06e-3 is the double nearest 0.00306.
  EXPECT_EQ(CheckLrs(3.0593e-3, 3.0593e-3, 1.4, 0), std::vector<double>{0.00306});
  lrs = CheckLrs(1e-2, 1.9e-2, 1.4, 2);
  EXPECT_EQ(lrs.size(), 5u) << "inside the ladder: read off its parabola";
  lrs = CheckLrs(1e-2, 2.1e-2, 1.4, 2);
  ASSERT_EQ(lrs.size(), 6u) << "just beyond the top rung: trained";
  EXPECT_DOUBLE_EQ(lrs.back(), 0.021);
  lrs = CheckLrs(1e-2, 3.3e-2, 1.4, 2);
  ASSERT_EQ(lrs.size(), 6u);
  EXPECT_DOUBLE_EQ(lrs.back(), 0.033);
}

TEST(ValidationTest, BeyondTheEndsOfTheLadder) {
  const std::vector<double> lrs = {0.005, 0.007, 0.0098};
  EXPECT_EQ(BeyondLrs(lrs, true, 1.4, 2), (std::vector<double>{0.0137, 0.0192}));
  EXPECT_EQ(BeyondLrs(lrs, false, 1.4, 2), (std::vector<double>{0.00255, 0.00357}));
}

ObservationSet Bowl(double best_lr, double params, double almr) {
  ObservationSet set;
  for (int seed = 0; seed < 2; ++seed) {
    for (int k = -3; k <= 3; ++k) {
      Observation o;
      o.params = params;
      o.almr = almr;
      o.peak_lr = best_lr * std::pow(1.5, k) * 1.1;  // the grid misses the optimum by 10%
      o.seed = seed;
      const double x = std::log(o.peak_lr / best_lr);
      o.final_loss["eval/additional"] = 3.0 + 0.2 * x * x + (seed == 0 ? 0.01 : -0.01);
      set.runs.push_back(o);
    }
  }
  return set;
}

TEST(ValidationTest, OptimumIsRefinedBetweenGridPointsAndSeedsAreAveraged) {
  ObservationSet set = Bowl(7e-3, 1e6, 0.25);
  ObservationSet other = Bowl(2e-2, 4e6, 0.25);  // another size: ignored
  set.runs.insert(set.runs.end(), other.runs.begin(), other.runs.end());
  absl::StatusOr<GroupOptimum> g = OptimumAt(set, "eval/additional", 1e6, 0.25);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_TRUE(g->interior);
  EXPECT_NEAR(g->lr, 7e-3, 7e-3 * 1e-9) << "a parabola through an exact parabola";
  const double x = std::log(1.1);
  EXPECT_NEAR(g->loss, 3.0 + 0.2 * x * x, 1e-12) << "the seeds' mean at the best grid LR";
  absl::StatusOr<double> mean = MeanLossAt(set, "eval/additional", 1e6, 0.25, 7e-3 * 1.1);
  ASSERT_TRUE(mean.ok());
  EXPECT_NEAR(*mean, 3.0 + 0.2 * x * x, 1e-12);
  EXPECT_FALSE(MeanLossAt(set, "eval/additional", 1e6, 0.25, 1.0).ok());
  // Read off the parabola through the nearest three seed means: exact for this bowl.
  const double between = 7e-3 * 1.1 * std::pow(1.5, 0.4);
  absl::StatusOr<double> read = LossAt(set, "eval/additional", 1e6, 0.25, between);
  ASSERT_TRUE(read.ok()) << read.status();
  const double xb = std::log(between / 7e-3);
  EXPECT_NEAR(*read, 3.0 + 0.2 * xb * xb, 1e-9);
  EXPECT_EQ(LossAt(set, "eval/additional", 1e6, 0.25, 1.0).status().code(),
            absl::StatusCode::kOutOfRange);
  absl::StatusOr<GroupOptimum> none = OptimumAt(set, "eval/additional", 1e6, 0.5);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("ALMR 0.5"), std::string::npos) << none.status();
}

}  // namespace
}  // namespace mixlaw
