// A prediction checked against a held-out size's measured LR curve: regret by hand, the bootstrap
// over seeds, and verdicts that only an interval can decide.
#include "fitter/target_check.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tests/fitter/synthetic_data.h"

namespace mixlaw {
namespace {

// Runs at one size and ALMR: loss[seed][lr] on eval/additional (NaN: not trained).
ObservationSet Runs(const std::vector<double>& lrs, const std::vector<std::vector<double>>& loss) {
  ObservationSet set;
  set.source = "test";
  for (size_t s = 0; s < loss.size(); ++s) {
    for (size_t l = 0; l < lrs.size(); ++l) {
      if (std::isnan(loss[s][l])) continue;
      Observation o;
      o.params = 4e5;
      o.almr = 0.5;
      o.peak_lr = lrs[l];
      o.seed = static_cast<int64_t>(s);
      o.final_loss[kSplitAdditional] = loss[s][l];
      o.final_loss[kSplitBase] = loss[s][l] - 1;
      set.runs.push_back(o);
    }
  }
  return set;
}

TEST(TargetCheckTest, RegretAgainstAHandComputedCase) {
  // One seed, LRs e^-1, 1, e at losses 3.2, 3.0, 3.1 (x = ln LR = -1, 0, 1). The parabola
  // through them is y = 3.0 - 0.05 x + 0.15 x^2: its vertex at x = 1/6, y = 3.0 - 0.05/6 +
  // 0.15/36 = 2.9958333...; at x = 0.5 it is 3.0 - 0.025 + 0.0375 = 3.0125.
  const std::vector<double> lrs = {std::exp(-1.0), 1.0, std::exp(1.0)};
  absl::StatusOr<SeedCurves> curves =
      CurvesAt(Runs(lrs, {{3.2, 3.0, 3.1}}), kSplitAdditional, 4e5, 0.5);
  ASSERT_TRUE(curves.ok()) << curves.status();
  const CurveReading reading(*curves, {0});
  EXPECT_NEAR(std::log(reading.optimum_lr()), 1.0 / 6, 1e-12);
  EXPECT_NEAR(reading.optimum_loss(), 3.0 - 0.05 / 6 + 0.15 / 36, 1e-12);
  EXPECT_TRUE(reading.interior());
  EXPECT_NEAR(reading.LossAt(std::exp(0.5)), 3.0125, 1e-12);
  EXPECT_NEAR(reading.LossAt(1.0), 3.0, 1e-12) << "exact at a measured LR";
  EXPECT_NEAR(reading.Regret(std::exp(0.5)), 3.0125 / (3.0 - 0.05 / 6 + 0.15 / 36) - 1, 1e-12);
  EXPECT_TRUE(std::isnan(reading.LossAt(3.0))) << "beyond the measured LRs";

  absl::StatusOr<CurveCheck> check = CheckCurve(*curves, std::exp(0.5), 3.1, 1.0);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_NEAR(check->predicted.regret.value, 3.0125 / reading.optimum_loss() - 1, 1e-12);
  EXPECT_NEAR(check->baseline.regret.value, 3.0 / reading.optimum_loss() - 1, 1e-12);
  EXPECT_NEAR(check->loss_error.value, 3.1 / reading.optimum_loss() - 1, 1e-12);
  EXPECT_EQ(check->resamples, 0) << "one seed: nothing to resample";
  EXPECT_TRUE(std::isnan(check->predicted.regret.interval.lower));
  EXPECT_EQ(AtMost(check->predicted.regret.interval, 1.0), Verdict::kNotResolved)
      << "without an interval no goal resolves, however far inside it the estimate is";
}

TEST(TargetCheckTest, ASeedsCommonShiftCancelsInTheRegret) {
  // Four seeds whose curves differ by a constant (0.1 nats apart, as data orders make them)
  // and by small independent wiggles: the optimum's loss spreads over the shift, its regret not.
  const std::vector<double> lrs = {0.01, 0.014, 0.0196, 0.0274, 0.0384};
  std::vector<std::vector<double>> loss;
  const double shift[] = {0.0, 0.1, 0.05, -0.04};
  const double wiggle[4][5] = {{0.0004, -0.0003, 0.0002, 0.0, -0.0002},
                               {-0.0002, 0.0003, -0.0001, 0.0002, 0.0001},
                               {0.0001, 0.0, 0.0003, -0.0003, 0.0},
                               {-0.0003, 0.0001, -0.0002, 0.0001, 0.0003}};
  for (int s = 0; s < 4; ++s) {
    std::vector<double> row;
    for (size_t l = 0; l < lrs.size(); ++l) {
      const double x = std::log(lrs[l] / 0.02);
      row.push_back(4.7 + shift[s] + 0.02 * x * x + wiggle[s][l]);
    }
    loss.push_back(row);
  }
  absl::StatusOr<SeedCurves> curves = CurvesAt(Runs(lrs, loss), kSplitAdditional, 4e5, 0.5);
  ASSERT_TRUE(curves.ok()) << curves.status();
  EXPECT_EQ(curves->seeds.size(), 4u);
  // The law at 0.021 (regret about 0.02 * 0.049^2 / 4.7 = 1e-5), the transfer at 0.0384
  // (0.02 * 0.652^2 / 4.7 = 0.18%).
  absl::StatusOr<CurveCheck> check = CheckCurve(*curves, 0.021, 4.72, 0.0384);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_GT(check->resamples, 1900);
  const Interval& loss_interval = check->optimum_loss.interval;
  EXPECT_GT(loss_interval.upper - loss_interval.lower, 0.05) << "the shift spreads the level";
  const Interval& law = check->predicted.regret.interval;
  EXPECT_LT(law.upper, 0.0003);
  EXPECT_EQ(AtMost(law, 0.001), Verdict::kMet);
  const Interval& transfer = check->baseline.regret.interval;
  EXPECT_GT(transfer.lower, 0.0015);
  EXPECT_LT(transfer.upper, 0.0022);
  EXPECT_EQ(AtMost(transfer, 0.001), Verdict::kNotMet);
  EXPECT_EQ(Positive(check->regret_advantage.interval), Verdict::kMet);
  EXPECT_EQ(WithinFactor(check->predicted.lr_ratio.interval, 1.25), Verdict::kMet);
  EXPECT_EQ(WithinFactor(check->baseline.lr_ratio.interval, 1.25), Verdict::kNotMet);
  ASSERT_EQ(check->predicted.regret_by_seed.size(), 4u);
  for (double r : check->predicted.regret_by_seed) EXPECT_LT(r, 0.0005);
  // The same resamples every time: the check is reproducible.
  absl::StatusOr<CurveCheck> again = CheckCurve(*curves, 0.021, 4.72, 0.0384);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->predicted.regret.interval.upper, law.upper);
}

TEST(TargetCheckTest, VerdictsNeedTheWholeInterval) {
  EXPECT_EQ(AtMost({0.0002, 0.0009}, 0.001), Verdict::kMet);
  EXPECT_EQ(AtMost({0.0002, 0.0011}, 0.001), Verdict::kNotResolved);
  EXPECT_EQ(AtMost({0.0012, 0.003}, 0.001), Verdict::kNotMet);
  EXPECT_EQ(WithinFactor({0.85, 1.2}, 1.25), Verdict::kMet);
  EXPECT_EQ(WithinFactor({0.7, 1.2}, 1.25), Verdict::kNotResolved);
  EXPECT_EQ(WithinFactor({1.3, 1.9}, 1.25), Verdict::kNotMet);
  EXPECT_EQ(WithinFactor({0.5, 0.79}, 1.25), Verdict::kNotMet);
  EXPECT_EQ(Positive({0.001, 0.01}), Verdict::kMet);
  EXPECT_EQ(Positive({-0.001, 0.01}), Verdict::kNotResolved);
  EXPECT_EQ(Positive({-0.01, -0.001}), Verdict::kNotMet);
  EXPECT_EQ(AtMost({kNaN, kNaN}, 1.0), Verdict::kNotResolved);
  EXPECT_STREQ(VerdictName(Verdict::kNotResolved), "not resolved");
}

TEST(TargetCheckTest, TheCriterionIsWhatTheRecommendationMinimises) {
  ObservationSet runs = Runs({0.01, 0.02, 0.04}, {{4.8, 4.7, 4.75}});
  RecommendOptions weighted;
  weighted.weight = 2.0;
  ObservationSet with = WithCriterion(runs, weighted);
  EXPECT_NEAR(with.runs[1].final_loss.at(kSplitCriterion), 4.7 + 2 * 3.7, 1e-12);
  RecommendOptions budget;
  budget.forgetting_budget = 0.1;
  with = WithCriterion(runs, budget);
  EXPECT_NEAR(with.runs[1].final_loss.at(kSplitCriterion), 4.7, 1e-12)
      << "under a forgetting budget the recommendation minimises L_additional";
}

TEST(TargetCheckTest, TooFewLrsOrAnLrOutsideThemIsRefused) {
  absl::StatusOr<SeedCurves> two =
      CurvesAt(Runs({0.01, 0.02}, {{4.8, 4.7}}), kSplitAdditional, 4e5, 0.5);
  EXPECT_EQ(two.status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<SeedCurves> curves = CurvesAt(
      Runs({0.01, 0.02, 0.04}, {{4.8, 4.7, 4.75}, {4.9, 4.8, 4.85}}), kSplitAdditional, 4e5, 0.5);
  ASSERT_TRUE(curves.ok());
  absl::StatusOr<CurveCheck> check = CheckCurve(*curves, 0.08, 4.7, 0.02);
  EXPECT_EQ(check.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(check.status().message().find("outside the LRs measured"), std::string::npos);
}

TEST(TargetCheckTest, LeaveOneSizeOutMeasuresEachHeldOutSizesRegret) {
  // Runs drawn from the planted law with little noise, two seeds: each size the other three
  // predict lands near its measured criterion optimum (the law holds exactly, so the regret
  // left is the grid's and the noise's).
  ObservationSet runs;
  for (int64_t seed : {0, 1}) {
    ObservationSet one = CouplingRuns(PlantedAdditional(), PlantedBase(), {1e7, 3e7, 1e8, 3e8},
                                      {0.1, 0.25, 0.5}, 9, 0.0005, 40 + seed);
    for (Observation& o : one.runs) o.seed = seed;
    runs.runs.insert(runs.runs.end(), one.runs.begin(), one.runs.end());
  }
  runs.source = "synthetic";
  FitOptions fit;
  fit.cross_validate = false;
  RecommendOptions criterion;
  criterion.target_params = 1;  // set per held-out size
  std::vector<HeldOutSize> held = LeaveOneSizeOut(runs, 0.25, fit, criterion);
  ASSERT_EQ(held.size(), 4u);
  for (const HeldOutSize& h : held) {
    SCOPED_TRACE(h.params);
    ASSERT_TRUE(h.problem.empty()) << h.problem;
    EXPECT_EQ(h.check.seeds.size(), 2u);
    EXPECT_LT(h.check.predicted.regret.value, 0.001);
    EXPECT_NEAR(std::log(h.predicted_lr / h.check.optimum_lr.value), 0, std::log(1.25));
  }
  const RegretSummary summary = SummarizeRegrets(held);
  EXPECT_EQ(summary.sizes, 4);
  EXPECT_LE(summary.median, summary.worst);
  EXPECT_LT(summary.worst, 0.001);
}

}  // namespace
}  // namespace mixlaw
