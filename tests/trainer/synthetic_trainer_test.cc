#include "trainer/synthetic_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "trainer/protocol.h"

namespace mixlaw {
namespace {

RunConfig Config(double almr, double lr) {
  RunConfig c;
  c.almr = almr;
  c.peak_lr = lr;
  c.model.name = "m";
  c.model.params = 1e6;
  c.training.tokens = 16 * 128 * 50;
  c.training.eval_every = 10;
  c.output_dir = (std::filesystem::temp_directory_path() / "mixlaw-synthetic-test").string();
  c.synthetic = nlohmann::json::object();
  return c;
}

std::vector<MetricLine> Metrics(const std::string& out) {
  std::vector<MetricLine> metrics;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    TrainerLine parsed = ParseTrainerLine(line);
    if (auto* m = std::get_if<MetricLine>(&parsed)) metrics.push_back(*m);
  }
  return metrics;
}

TEST(SyntheticTrainerTest, SameConfigSameLossesAndEndsAtTheLaw) {
  std::ostringstream a, b, err;
  ASSERT_EQ(RunSyntheticTrainer(Config(0.25, 3e-3), a, err), kTrainerExitSuccess) << err.str();
  ASSERT_EQ(RunSyntheticTrainer(Config(0.25, 3e-3), b, err), kTrainerExitSuccess);
  EXPECT_EQ(a.str(), b.str());
  std::vector<MetricLine> metrics = Metrics(a.str());
  // 50 training points and 5 evaluations of two splits.
  ASSERT_EQ(metrics.size(), 50u + 10u);
  SyntheticConfig law = DefaultSyntheticConfig();
  double expected = law.additional.FinalLoss(0.25, 3e-3, 1e6);
  const MetricLine& last = metrics.back();
  EXPECT_EQ(last.split, "eval/additional");
  EXPECT_EQ(last.step, 50);
  EXPECT_NEAR(last.loss, expected, expected * 0.01);
  EXPECT_NE(a.str().find("\"artifact\":\"checkpoint\""), std::string::npos);
}

// The curve follows the LR schedule as the curve law says: from the initial loss (ln of the
// vocabulary) down to the law's final loss; under warmup-stable-decay it falls faster once the LR
// decays (the annealing term), and at a constant LR it has no annealing part.
TEST(SyntheticTrainerTest, CurvesFollowTheSchedule) {
  const auto eval_curve = [](RunConfig c) {
    c.synthetic = {{"noise", 0.0}};
    c.training.eval_every = 1;
    std::ostringstream out, err;
    EXPECT_EQ(RunSyntheticTrainer(c, out, err), kTrainerExitSuccess) << err.str();
    std::vector<double> curve;
    for (const MetricLine& m : Metrics(out.str())) {
      if (m.split == "eval/additional") curve.push_back(m.loss);
    }
    return curve;
  };
  RunConfig wsd = Config(0.25, 3e-3);
  wsd.model.vocab_size = 4096;
  wsd.training.schedule.kind = ScheduleKind::kWarmupStableDecay;
  wsd.training.schedule.decay_frac = 0.2;
  const std::vector<double> curve = eval_curve(wsd);
  ASSERT_EQ(curve.size(), 50u);
  const double final_loss = DefaultSyntheticConfig().additional.FinalLoss(0.25, 3e-3, 1e6);
  EXPECT_NEAR(curve.front(), std::log(4096.0), 0.05);
  EXPECT_DOUBLE_EQ(curve.back(), final_loss);
  for (size_t i = 1; i < curve.size(); ++i) EXPECT_LE(curve[i], curve[i - 1]) << "step " << i + 1;
  // The stable phase's last five steps (35 to 40) against the decay's last five (45 to 50): the
  // forward term alone would make the later drop the smaller.
  const double stable_drop = curve[34] - curve[39];
  const double decay_drop = curve[44] - curve[49];
  EXPECT_GT(decay_drop, 1.5 * stable_drop) << "the decay anneals";

  RunConfig constant = wsd;
  constant.training.schedule.kind = ScheduleKind::kConstant;
  const std::vector<double> flat = eval_curve(constant);
  ASSERT_EQ(flat.size(), 50u);
  EXPECT_DOUBLE_EQ(flat.back(), final_loss);
  // Without annealing the tail follows S1^-1/2 alone: equal LR steps, shrinking drops.
  EXPECT_GT(flat[40] - flat[44], flat[44] - flat[48]);
}

TEST(SyntheticTrainerTest, PastTheThresholdItDiverges) {
  RunConfig c = Config(0.25, 1.0);
  c.synthetic = {{"diverge_lr_factor", 8.0}};
  std::ostringstream out, err;
  EXPECT_EQ(RunSyntheticTrainer(c, out, err), kTrainerExitDiverged);
  std::vector<MetricLine> metrics = Metrics(out.str());
  ASSERT_FALSE(metrics.empty());
  EXPECT_TRUE(std::isnan(metrics.back().loss));
}

TEST(SyntheticTrainerTest, MissingInitCheckpointFails) {
  RunConfig c = Config(0.25, 3e-3);
  c.init_checkpoint = "/nonexistent/base.safetensors";
  std::ostringstream out, err;
  EXPECT_EQ(RunSyntheticTrainer(c, out, err), kTrainerExitFailure);
  EXPECT_NE(err.str().find("/nonexistent/base.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace mixlaw

namespace mixlaw {
namespace {

// The planted optimum is a minimum: every nearby (ALMR, LR) within the range scores worse.
TEST(SyntheticOptimumTest, NothingNearbyScoresBetter) {
  const SyntheticConfig law = DefaultSyntheticConfig();
  for (double weight : {0.5, 1.0, 2.0}) {
    const SyntheticOptimum best = PlantedOptimum(law, 4e7, 0.1, 0.75, weight);
    EXPECT_GT(best.almr, 0.1);
    EXPECT_LT(best.almr, 0.75) << "inside the range: the default law has an interior optimum";
    for (double dr : {-0.01, 0.0, 0.01}) {
      for (double f : {0.98, 1.0, 1.02}) {
        if (dr == 0.0 && f == 1.0) continue;
        const double r = best.almr + dr, lr = best.lr * f;
        const double v =
            law.additional.FinalLoss(r, lr, 4e7) + weight * law.base.FinalLoss(r, lr, 4e7);
        EXPECT_GT(v, best.value) << "weight " << weight << " at " << r << ", " << lr;
      }
    }
  }
}

}  // namespace
}  // namespace mixlaw
