// Leaving the runs far above their group's best LR out of a recommendation's fit: which runs go,
// by what criterion, and that on curves with a cliff above the optimum the law fitted without
// them places an extrapolated size's optimum where the planted law has it.
#include "fitter/lr_cliff.h"

#include <cmath>

#include "fitter/fit.h"
#include "fitter/laws/registry.h"
#include "gtest/gtest.h"
#include "tests/fitter/synthetic_data.h"

namespace mixlaw {
namespace {

Observation MakeRun(double params, double almr, double lr, int64_t seed, double additional,
                    double base) {
  Observation o;
  o.name = "run" + std::to_string(static_cast<int>(lr * 1e4)) + "s" + std::to_string(seed);
  o.params = params;
  o.almr = almr;
  o.peak_lr = lr;
  o.seed = seed;
  o.final_loss[kSplitAdditional] = additional;
  o.final_loss[kSplitBase] = base;
  return o;
}

// One group, LRs 0.01 to 0.08 by 1.41: the sum of the two losses lowest at 0.02 over the two
// seeds (seed 1 alone would put it at 0.0283), the additional loss alone lowest at 0.04.
ObservationSet OneGroup() {
  ObservationSet set;
  set.source = "test";
  const double lrs[] = {0.01, 0.01414, 0.02, 0.02828, 0.04, 0.05657, 0.08};
  const double additional[] = {5.0, 4.8, 4.6, 4.55, 4.45, 4.7, 5.2};
  const double base[] = {3.0, 3.05, 3.1, 3.2, 3.35, 3.5, 3.9};
  for (int i = 0; i < 7; ++i) {
    set.runs.push_back(MakeRun(1e5, 0.5, lrs[i], 0, additional[i], base[i]));
    // Seed 1 is lower at 0.0283 than at 0.02, but not by enough to move the mean.
    const double shift = i == 3 ? -0.06 : 0.0;
    set.runs.push_back(MakeRun(1e5, 0.5, lrs[i], 1, additional[i] + shift, base[i]));
  }
  return set;
}

TEST(LrCliffTest, TheBestLrIsTheLowestSeedMeanOfWhatIsMinimised) {
  RecommendOptions sum;
  EXPECT_DOUBLE_EQ(BestLrByGroup(OneGroup(), sum).at({1e5, 0.5}), 0.02);
  RecommendOptions weighted;
  weighted.weight = 0.1;  // 4.45 + 0.335 at 0.04 against 4.6 + 0.31 at 0.02
  EXPECT_DOUBLE_EQ(BestLrByGroup(OneGroup(), weighted).at({1e5, 0.5}), 0.04);
  RecommendOptions budget;
  budget.forgetting_budget = 0.5;  // the additional loss alone
  EXPECT_DOUBLE_EQ(BestLrByGroup(OneGroup(), budget).at({1e5, 0.5}), 0.04);
}

TEST(LrCliffTest, RunsAboveTheFactorOfTheirGroupsBestAreListedNotFitted) {
  RecommendOptions criterion;
  criterion.max_lr_over_best = 2;
  ObservationSet set = OneGroup();
  Observation elsewhere = MakeRun(2e5, 0.5, 0.5, 0, 4.0, 3.0);  // its group's only LR: its best
  set.runs.push_back(elsewhere);
  const ObservationSet kept = LeaveOutAboveBest(set, criterion);
  EXPECT_EQ(kept.max_lr_over_best, 2);
  // 0.04 is exactly twice the best and stays; 0.0566 and 0.08 go, with both seeds.
  ASSERT_EQ(kept.above_best.size(), 4u);
  for (const Observation& o : kept.above_best) EXPECT_GT(o.peak_lr, 0.05);
  EXPECT_EQ(kept.runs.size(), set.runs.size() - 4);
  EXPECT_EQ(kept.runs.back().params, 2e5);

  criterion.max_lr_over_best = 0;
  const ObservationSet all = LeaveOutAboveBest(set, criterion);
  EXPECT_EQ(all.runs.size(), set.runs.size());
  EXPECT_TRUE(all.above_best.empty());
  EXPECT_EQ(all.max_lr_over_best, 0);
}

TEST(LrCliffTest, TheFitListsTheRunsItLeftOut) {
  RecommendOptions criterion;
  criterion.max_lr_over_best = 2;
  ObservationSet set = CouplingRuns(PlantedAdditional(), PlantedBase(), {1e7, 3e7, 1e8, 3e8},
                                    {0.1, 0.25, 0.5}, 9, 0.001, 5);
  const ObservationSet kept = LeaveOutAboveBest(set, criterion);
  FitOptions options;
  options.cross_validate = false;
  absl::StatusOr<LawFit> fit =
      FitObservations(*FindLaw("coupling"), kept, kSplitAdditional, options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_EQ(fit->max_lr_over_best, 2);
  EXPECT_EQ(fit->above_best.size(), kept.above_best.size());
  EXPECT_GT(fit->above_best.size(), 0u);
  EXPECT_EQ(fit->data.runs, kept.runs.size());
  // The grid is every LR swept: the runs left out still count for the LRs recommend checks an
  // optimum against and for the edge warnings.
  EXPECT_EQ(fit->data.lrs.at(1e7).size(), 9u);
  for (const std::string& w : fit->warnings) EXPECT_EQ(w.find("edge"), std::string::npos) << w;
}

// The LR minimising the planted L_additional + L_base at (n, r): a fine grid over ln eta.
double PlantedCriterionLr(double n, double r) {
  CouplingAdditionalLaw law_a;
  CouplingBaseLaw law_b;
  const std::vector<double> a = PlantedAdditional(), b = PlantedBase();
  double best_lr = 0, best = HUGE_VAL;
  for (double ln_lr = std::log(1e-5); ln_lr < std::log(1.0); ln_lr += 1e-4) {
    Point p{n, 0, r, std::exp(ln_lr), 1.0, 0};
    const double v = law_a.Predict(a.data(), p) + law_b.Predict(b.data(), p);
    if (v < best) best = v, best_lr = std::exp(ln_lr);
  }
  return best_lr;
}

TEST(LrCliffTest, WithoutTheCliffsRunsTheLawFindsAnExtrapolatedSizesOptimum) {
  // The planted law, with a cliff from 3 times each group's optimum up: both losses rise by
  // 0.5 (ln(eta / 3 eta*))^2 nats on top of the law's parabola, as runs that begin to blow up.
  ObservationSet set = CouplingRuns(PlantedAdditional(), PlantedBase(), {1e7, 3e7, 1e8, 3e8},
                                    {0.1, 0.25, 0.5}, 9, 0.0, 1);
  int in_cliff = 0;
  for (Observation& o : set.runs) {
    const double x = std::log(o.peak_lr / (3 * PlantedCriterionLr(o.params, o.almr)));
    if (x <= 0) continue;
    ++in_cliff;
    for (auto& [split, loss] : o.final_loss) loss += 0.5 * x * x;
  }
  ASSERT_GT(in_cliff, 20) << "the grid reaches into the cliff";
  const double target = 3e9;
  const double planted = PlantedCriterionLr(target, 0.25);
  FitOptions options;
  options.cross_validate = false;
  double lr[2];
  for (int leave_out : {0, 1}) {
    RecommendOptions criterion;
    criterion.target_params = target;
    criterion.max_lr_over_best = leave_out ? 2 : 0;
    absl::StatusOr<LawFit> fit = FitObservations(
        *FindLaw("coupling"), LeaveOutAboveBest(set, criterion), kSplitAdditional, options);
    ASSERT_TRUE(fit.ok()) << fit.status();
    absl::StatusOr<AlmrRow> row = RecommendAtAlmr(*fit, criterion, 0.25);
    ASSERT_TRUE(row.ok()) << row.status();
    lr[leave_out] = row->lr;
  }
  const double error_all = std::fabs(std::log(lr[0] / planted));
  const double error_kept = std::fabs(std::log(lr[1] / planted));
  EXPECT_LT(error_kept, std::log(1.1)) << "the law's LR " << lr[1] << ", planted " << planted;
  EXPECT_LT(error_kept, error_all) << "fitted on every run: " << lr[0];
}

}  // namespace
}  // namespace mixlaw
