// Early stopping on planted curves: a group of runs at seven LRs whose evaluations follow the
// curve law with noise, ending at final losses with an optimum in LR. The prediction from part of
// a curve must land near the planted end, and no run that ends best may be stopped.
#include "study/early_stop.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"

namespace mixlaw {
namespace {

constexpr int64_t kSteps = 400;
constexpr int64_t kEvalEvery = 10;

// Linear warmup over 5% of the steps, then cosine down to a tenth of the peak.
std::vector<double> Cosine(double peak) {
  std::vector<double> lrs;
  const int64_t warmup = kSteps / 20;
  for (int64_t s = 1; s <= kSteps; ++s) {
    if (s <= warmup) {
      lrs.push_back(peak * static_cast<double>(s) / warmup);
    } else {
      const double p = static_cast<double>(s - warmup) / (kSteps - warmup);
      lrs.push_back(peak * (0.1 + 0.45 * (1 + std::cos(M_PI * p))));
    }
  }
  return lrs;
}

struct PlantedRun {
  std::string name;
  double lr = 0;
  ScheduleAreas areas;
  CurveParameters truth;
  std::vector<CurveSample> evals;  // every evaluation to the end, with noise
  double final_loss = 0;           // the planted curve's last value, without noise
};

// Final losses 2.5 + 0.05 (ln(lr / 3e-3))^2: best at 3e-3; the curve reaches it through the law
// with alpha 0.5 and an annealing term.
std::vector<PlantedRun> Group(double noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise);
  std::vector<PlantedRun> runs;
  for (int i = 0; i < 7; ++i) {
    PlantedRun r;
    r.lr = 3e-3 * std::pow(2.0, i - 3);
    r.name = absl::StrCat("lr", r.lr);
    r.areas = AreasOf(Cosine(r.lr));
    r.final_loss = 2.5 + 0.05 * std::pow(std::log(r.lr / 3e-3), 2);
    r.truth.alpha = 0.5;
    r.truth.a = 0.4;
    r.truth.c = 0.4;
    // L0 so that the curve ends at the planted final loss.
    r.truth.l0 = 0;
    r.truth.l0 = r.final_loss - r.truth.LossAt(r.areas, kSteps);
    for (int64_t s = kEvalEvery; s <= kSteps; s += kEvalEvery) {
      r.evals.push_back({s, r.truth.LossAt(r.areas, s) * std::exp(normal(rng))});
    }
    runs.push_back(std::move(r));
  }
  return runs;
}

std::vector<CurveSample> Until(const PlantedRun& r, double progress) {
  std::vector<CurveSample> part;
  for (const CurveSample& s : r.evals) {
    if (s.step <= progress * kSteps) part.push_back(s);
  }
  return part;
}

TEST(CurveLawTest, AreasFollowTheSchedule) {
  const ScheduleAreas constant = AreasOf(std::vector<double>(10, 0.01));
  EXPECT_DOUBLE_EQ(constant.forward.back(), 0.1);
  EXPECT_DOUBLE_EQ(constant.annealing.back(), 0.0) << "a constant LR anneals nothing";
  const ScheduleAreas step = AreasOf({0.02, 0.02, 0.01, 0.01}, 0.5);
  // m = 0, 0, 0.01, 0.005: S2 = 0, 0, 0.01, 0.015.
  EXPECT_DOUBLE_EQ(step.annealing[2], 0.01);
  EXPECT_DOUBLE_EQ(step.annealing[3], 0.015);
  EXPECT_DOUBLE_EQ(step.forward[3], 0.06);
  const ScheduleAreas warmup = AreasOf({0.01, 0.02, 0.03});
  EXPECT_DOUBLE_EQ(warmup.annealing.back(), 0.0) << "rises are left out";
}

TEST(CurveLawTest, HalfACurvePredictsItsEndWithinItsInterval) {
  const std::vector<PlantedRun> runs = Group(0.003, 3);
  int covered = 0;
  for (const PlantedRun& r : runs) {
    auto p = PredictFinalLoss(r.areas, Until(r, 0.5));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_NEAR(p->loss, r.final_loss, 0.05 * r.final_loss)
        << r.name << " fitted " << p->parameters.l0 << " " << p->parameters.a << " "
        << p->parameters.alpha << " " << p->parameters.c << " truth " << r.truth.l0 << " "
        << r.truth.a << " " << r.truth.alpha << " " << r.truth.c << " interval "
        << p->interval.lower << " " << p->interval.upper << " rmse " << p->rmse_log;
    EXPECT_LT(p->interval.lower, p->loss);
    EXPECT_GT(p->interval.upper, p->loss);
    covered += r.final_loss >= p->interval.lower && r.final_loss <= p->interval.upper;
  }
  EXPECT_GE(covered, 6) << "the 95% interval holds the planted end";
}

TEST(CurveLawTest, TooLittleCurveOrABadSampleIsRefused) {
  const std::vector<PlantedRun> runs = Group(0.003, 3);
  auto few = PredictFinalLoss(runs[0].areas, Until(runs[0], 0.1));
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().code(), absl::StatusCode::kFailedPrecondition);
  std::vector<CurveSample> bad = Until(runs[0], 0.5);
  bad.push_back({kSteps + 5, 2.0});
  auto outside = PredictFinalLoss(runs[0].areas, bad);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("step 405 is outside the schedule's 400 steps"),
            std::string::npos)
      << outside.status();
  bad.back() = {100, std::nan("")};
  EXPECT_EQ(PredictFinalLoss(runs[0].areas, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// At 30% and 60% of the runs, over three noise draws: the run that ends best is never stopped;
// by 60% the runs far from the optimum are.
TEST(EarlyStopTest, NoRunThatEndsBestIsStoppedAndFarOnesAre) {
  for (uint64_t seed : {1, 2, 3}) {
    const std::vector<PlantedRun> runs = Group(0.003, seed);
    size_t best = 0;
    for (size_t i = 1; i < runs.size(); ++i) {
      if (runs[i].final_loss < runs[best].final_loss) best = i;
    }
    for (double progress : {0.3, 0.6}) {
      std::vector<GroupRun> group;
      for (const PlantedRun& r : runs) {
        GroupRun g;
        g.name = r.name;
        auto p = PredictFinalLoss(r.areas, Until(r, progress));
        if (p.ok()) g.prediction = *p;
        group.push_back(g);
      }
      const std::vector<StopDecision> stop = RunsToStop(group);
      for (const StopDecision& d : stop) {
        EXPECT_NE(d.run, runs[best].name) << "seed " << seed << " at " << progress;
        EXPECT_GT(d.prediction.interval.lower, d.best);
        EXPECT_NE(d.reason.find("above the group's best"), std::string::npos) << d.reason;
      }
      if (progress > 0.5) {
        bool far_stopped = false;
        for (const StopDecision& d : stop) far_stopped = far_stopped || d.run == runs[0].name;
        EXPECT_TRUE(far_stopped) << "the LR 8 times below the optimum, seed " << seed;
      }
    }
  }
  // A finished run sets the best; one without a prediction is kept.
  std::vector<GroupRun> group(3);
  group[0] = {"done", true, 2.5, std::nullopt};
  group[1].name = "unread";
  group[2].name = "worse";
  CurvePrediction worse;
  worse.loss = 2.7;
  worse.interval = {2.6, 2.8};
  group[2].prediction = worse;
  const std::vector<StopDecision> stop = RunsToStop(group);
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].run, "worse");
  EXPECT_EQ(stop[0].best_run, "done");
}

}  // namespace
}  // namespace mixlaw
