// Studies run to their end on the synthetic trainer's law (PlantedRounds): the adaptive study
// against the truth and against the whole grid, its rounds as sweep specs, its JSON, and its
// resume after a round fails.
#include "study/study.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "common/json_fields.h"
#include "study/compute.h"
#include "tests/study/planted_rounds.h"

namespace mixlaw {
namespace {

// examples/study-synthetic.json with `patch` merged over it.
StudySpec Spec(const char* patch = "{}") {
  const std::string dir = std::string(MIXLAW_SOURCE_DIR) + "/examples";
  std::ifstream in(dir + "/study-synthetic.json");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str());
  j.merge_patch(nlohmann::json::parse(patch));
  auto spec = ParseStudySpec(j.dump(), "study-synthetic.json", dir);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

double Factor(double a, double b) { return std::exp(std::fabs(std::log(a / b))); }

// The goal on the synthetic trainer: the planted optimal LR at the target within a factor 1.1,
// for at most a third of the whole grid's compute.
TEST(StudyTest, AnAdaptiveStudyFindsThePlantedOptimumForAThirdOfTheGrid) {
  const StudySpec spec = Spec();
  PlantedRounds planted;
  StudyOptions options;
  options.progress = &std::cerr;
  auto result = RunStudy(spec, planted, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const SyntheticOptimum truth = TrueOptimum(4e7, 0.1, 0.75);
  EXPECT_LE(Factor(result->recommendation.lr, truth.lr), 1.1)
      << "recommended " << result->recommendation.lr << ", planted " << truth.lr;
  std::cerr << "planted optimum: ALMR " << truth.almr << ", LR " << truth.lr << "\n";
  EXPECT_LE(result->spent_flops, result->grid_flops / 3.0);
  double chosen = 0;  // every planted run succeeds: what was spent is what was chosen
  for (const StudyRound& r : result->rounds) {
    for (const DesignChoice& c : r.choices) chosen += c.run.Flops();
  }
  EXPECT_DOUBLE_EQ(result->spent_flops, chosen);
  EXPECT_GE(result->rounds.size(), 2u) << "the initial design alone is not enough here";
  EXPECT_TRUE(result->converged) << result->stop_reason;
  EXPECT_LE(result->rounds.back().LrFactor(), spec.stop.lr_factor);
  std::set<std::string> names;
  for (const StudyRound& r : result->rounds) {
    for (const DesignChoice& c : r.choices) {
      EXPECT_TRUE(names.insert(c.run.RunName()).second) << c.run.RunName() << " trained twice";
    }
  }
  EXPECT_EQ(static_cast<int>(names.size()), planted.runs_trained());
  EXPECT_EQ(result->rounds[0].choices.size(), 18u) << "3 sizes x 2 ALMRs x 3 LRs";
  EXPECT_EQ(planted.pretrained(), 3) << "each size pretrained once, in round 1";
  const nlohmann::json& round2 = planted.specs().at(2);
  EXPECT_EQ(round2["init_checkpoints"]["p10m"], "/checkpoints/p10m") << round2.dump(2);
  for (size_t i = 1; i < result->rounds.size(); ++i) {
    EXPECT_LE(result->rounds[i].choices.size(), 8u);
    EXPECT_GT(result->rounds[i].sd_before, 0);
  }
}

// The whole grid in one round: the baseline, as accurate and three times as dear at least.
TEST(StudyTest, AGridStudyTrainsTheWholeGridInOneRound) {
  const StudySpec spec = Spec(R"({"design": "grid"})");
  PlantedRounds planted;
  auto result = RunStudy(spec, planted, {});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->rounds.size(), 1u);
  EXPECT_EQ(planted.runs_trained(), 168);
  EXPECT_DOUBLE_EQ(result->spent_flops, result->grid_flops);
  EXPECT_EQ(result->stop_reason, "the whole grid is trained");
  const SyntheticOptimum truth = TrueOptimum(4e7, 0.1, 0.75);
  EXPECT_LE(Factor(result->recommendation.lr, truth.lr), 1.1)
      << "recommended " << result->recommendation.lr << " ["
      << result->recommendation.lr_interval.lower << ", "
      << result->recommendation.lr_interval.upper << "], planted " << truth.lr;
}

TEST(StudyTest, ARoundIsASweepOfItsChosenRunsThatRecordsWhy) {
  const StudySpec spec = Spec();
  StudyRound round;
  round.round = 3;
  round.sweep = "study-synthetic-r3";
  round.reason = "a reason";
  round.sd_before = 0.2;
  const double lr = spec.grid.lrs[2];
  round.choices = {{{"p3m", 3e6, 204800, 0.25, lr, 0}, 0.01, 0.15},
                   {{"p1m", 1e6, 204800, 0.25, lr, 1}, 0.005, 0.1}};
  const std::string lr_name = FormatNumber(lr);
  const nlohmann::json j = RoundSpec(spec, round);
  EXPECT_FALSE(j.contains("grid"));
  auto sweep = ParseSweepSpec(j.dump(), "round", "/");
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->name, "study-synthetic-r3");
  std::vector<std::string> cpt;
  int pretrain = 0;
  for (const PlannedRun& r : ExpandSweep(*sweep)) {
    if (r.stage == "cpt") cpt.push_back(r.name);
    pretrain += r.stage == "pretrain";
  }
  EXPECT_EQ(cpt, (std::vector<std::string>{"p1m/almr0.25/lr" + lr_name + "/seed1",
                                           "p3m/almr0.25/lr" + lr_name + "/seed0"}));
  EXPECT_EQ(pretrain, 2) << "p10m has no run in this round";
  auto read = ReadRoundSpec(spec, j);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->round, 3);
  EXPECT_EQ(read->reason, "a reason");
  ASSERT_EQ(read->choices.size(), 2u);
  EXPECT_EQ(read->choices[0].run.RunName(), "p3m/almr0.25/lr" + lr_name + "/seed0");
  EXPECT_DOUBLE_EQ(read->choices[0].gain, 0.01);
  EXPECT_DOUBLE_EQ(read->choices[1].run.params, 1e6);

  nlohmann::json other = j;
  other["study"]["name"] = "another";
  EXPECT_FALSE(ReadRoundSpec(spec, other).ok());
  other = j;
  other["study"]["choices"][0]["run"] = "p3m/almr0.3/lr" + lr_name + "/seed0";
  auto refused = ReadRoundSpec(spec, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(
      refused.status().message().find("'p3m/almr0.3/lr" + lr_name + "/seed0' is not in the grid"),
      std::string::npos)
      << refused.status();
}

// Killed after its second round: run again, the study trains the rounds it had planned from their
// specs, plans the rest, and ends where an uninterrupted study ends.
TEST(StudyTest, AStudyStoppedBetweenRoundsResumesWhereItStopped) {
  const StudySpec spec = Spec();
  PlantedRounds whole;
  auto uninterrupted = RunStudy(spec, whole, {});
  ASSERT_TRUE(uninterrupted.ok()) << uninterrupted.status();
  ASSERT_GE(uninterrupted->rounds.size(), 3u);

  PlantedRounds broken;
  broken.FailAtRound(3);
  auto failed = RunStudy(spec, broken, {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  ASSERT_EQ(broken.specs().size(), 3u) << "round 3 was planned and written before it failed";
  broken.FailAtRound(0);
  auto resumed = RunStudy(spec, broken, {});
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_EQ(resumed->rounds.size(), uninterrupted->rounds.size());
  for (size_t i = 0; i < resumed->rounds.size(); ++i) {
    ASSERT_EQ(resumed->rounds[i].choices.size(), uninterrupted->rounds[i].choices.size());
    for (size_t k = 0; k < resumed->rounds[i].choices.size(); ++k) {
      EXPECT_EQ(resumed->rounds[i].choices[k].run.RunName(),
                uninterrupted->rounds[i].choices[k].run.RunName());
    }
  }
  EXPECT_DOUBLE_EQ(resumed->recommendation.lr, uninterrupted->recommendation.lr);
}

TEST(StudyTest, StudyJsonCarriesEveryRoundItsChoicesAndTheRecommendation) {
  const StudySpec spec = Spec(R"({"stop": {"max_rounds": 2, "lr_factor": 1.01}, "bootstrap": 40})");
  PlantedRounds planted;
  auto result = RunStudy(spec, planted, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->converged);
  EXPECT_EQ(result->stop_reason, "the stop rule's 2 rounds are done");
  const nlohmann::json j = StudyToJson(spec, *result);
  EXPECT_EQ(j["study"], "study-synthetic");
  EXPECT_EQ(j["design"], "adaptive");
  EXPECT_EQ(j["grid"]["runs"], 168);
  ASSERT_EQ(j["rounds"].size(), 2u);
  EXPECT_EQ(j["rounds"][1]["reason"],
            "the runs that most narrow the target's recommended LR per FLOP");
  ASSERT_FALSE(j["rounds"][1]["runs"].empty());
  EXPECT_GT(j["rounds"][1]["runs"][0]["gain"].get<double>(), 0);
  EXPECT_DOUBLE_EQ(j["spent_flops"].get<double>(), result->spent_flops);
  EXPECT_EQ(j["recommendation"]["lr"], result->recommendation.lr);
  EXPECT_EQ(j["runs_trained"], planted.runs_trained());
}

// Stopped runs in the loop: each counts half its compute; "omit" fits without them, "predicted"
// with them at their predicted losses, "weighted" at those losses with their weights;
// study.json lists them with their rounds.
TEST(StudyTest, StoppedRunsCountToTheirStopAndTheFitOmitsOrTakesThem) {
  // One seed: 3 sizes x 4 ALMRs x 7 LRs.
  const char* grid = R"({"design": "grid", "bootstrap": 20, "proxies": {"seeds": [0]}})";
  for (const char* fit : {"omit", "predicted", "weighted"}) {
    nlohmann::json patch = nlohmann::json::parse(grid);
    patch["early_stop"] = {{"fit", fit}};
    const StudySpec spec = Spec(patch.dump().c_str());
    ASSERT_TRUE(spec.early_stop.enabled);
    PlantedRounds planted;
    planted.StopRunsFrom(spec.grid.lrs.back());  // the top LR: 12 of the 84 runs
    auto result = RunStudy(spec, planted, {});
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->stopped.size(), 12u) << fit;
    EXPECT_EQ(result->observations.runs.size(), 72u);
    double stopped_flops = 0;
    for (const StoppedRun& s : result->stopped) {
      stopped_flops += 0.5 * TrainingFlops(s.run.params, s.run.tokens);
    }
    EXPECT_DOUBLE_EQ(result->spent_flops, ObservedFlops(result->observations) + stopped_flops);
    EXPECT_NEAR(result->spent_flops / result->grid_flops, 1 - stopped_flops / result->grid_flops,
                1e-12);
    size_t points = 0;
    for (const ComponentFit& c : result->fit.components) points = std::max(points, c.points);
    EXPECT_EQ(points, std::string(fit) == "omit" ? 72u : 84u) << fit;
    const nlohmann::json j = StudyToJson(spec, *result);
    EXPECT_EQ(j["runs_stopped"], 12);
    EXPECT_EQ(j["early_stop"]["fit"], fit);
    ASSERT_EQ(j["rounds"][0]["stopped"].size(), 12u);
    EXPECT_EQ(j["rounds"][0]["stopped"][0]["trained_fraction"], 0.5);
    EXPECT_TRUE(j["rounds"][0]["stopped"][0]["predicted_final_loss"].contains(kSplitBase));
    // Every stopped run carries its prediction's weight; only "weighted" fits with it.
    const double w = j["rounds"][0]["stopped"][0]["prediction_weight"][kSplitBase].get<double>();
    EXPECT_GE(w, kMinPredictionWeight);
    EXPECT_LE(w, 1.0);
    size_t weighted = 0;
    for (const Observation& o : result->fit.runs) weighted += o.weight.empty() ? 0 : 1;
    EXPECT_EQ(weighted, std::string(fit) == "weighted" ? 12u : 0u) << fit;
  }
}

}  // namespace
}  // namespace mixlaw
