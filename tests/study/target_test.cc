// The target check on the synthetic trainer's law (PlantedRounds): planned from a grid study's
// fit, trained as planted target sweeps, checked against the truth; the direct transfer where the
// largest proxy lacks the checked ALMR; a target sweep with too few runs.
#include "study/target.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/study/planted_rounds.h"

namespace mixlaw {
namespace {

// Target sweeps trained as PlantedRounds trains rounds; each spec kept.
class PlantedTargets : public TargetRunner {
 public:
  absl::StatusOr<TargetSweep> Train(const nlohmann::json& spec, int round) override {
    specs.push_back(spec);
    absl::StatusOr<RoundOutcome> trained = rounds_.Run(spec, 100 + round, nullptr);
    if (!trained.ok()) return trained.status();
    TargetSweep sweep;
    sweep.name = spec.value("name", "");
    sweep.observations = std::move(trained->observations);
    sweep.succeeded = succeeded >= 0 ? succeeded : static_cast<int>(sweep.observations.runs.size());
    sweep.counts = absl::StrCat(sweep.succeeded, " succeeded");
    return sweep;
  }

  std::vector<nlohmann::json> specs;
  int succeeded = -1;  // >= 0: what every sweep reports as succeeded

 private:
  PlantedRounds rounds_{11};
};

// examples/study-synthetic.json as a grid study with the synthetic demo's target as its check.
StudySpec Spec() {
  const std::string dir = std::string(MIXLAW_SOURCE_DIR) + "/examples";
  std::ifstream in(dir + "/study-synthetic.json");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str());
  j["design"] = "grid";
  j["bootstrap"] = 50;
  j["target"] = {{"sweep", "demo-synthetic-target.json"}};
  auto spec = ParseStudySpec(j.dump(), "study-synthetic.json", dir);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

class TargetTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    spec_ = new StudySpec(Spec());
    PlantedRounds planted;
    auto result = RunStudy(*spec_, planted, {});
    ASSERT_TRUE(result.ok()) << result.status();
    result_ = new StudyResult(*std::move(result));
  }
  static void TearDownTestSuite() {
    delete spec_;
    delete result_;
  }
  static StudySpec* spec_;
  static StudyResult* result_;
};

StudySpec* TargetTest::spec_ = nullptr;
StudyResult* TargetTest::result_ = nullptr;

TEST_F(TargetTest, TheCheckTrainsTheLadderAroundTheLawsLrAndFindsThePlantedOptimum) {
  auto plan = PlanTarget(result_->observations, result_->fit, spec_->criterion, 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_DOUBLE_EQ(plan->target_params, 4e7);
  EXPECT_DOUBLE_EQ(plan->largest_proxy, 1e7);
  EXPECT_DOUBLE_EQ(plan->transfer_almr, plan->almr) << "the grid trained it at every ALMR";
  const std::vector<double>& almrs = spec_->grid.almrs;
  for (double r : almrs) {
    EXPECT_LE(std::fabs(plan->almr - plan->recommendation.almr),
              std::fabs(r - plan->recommendation.almr) + 1e-12)
        << "the swept ALMR nearest the recommended one";
  }
  ASSERT_GE(plan->lrs.size(), 5u);
  EXPECT_EQ(plan->held_out.size(), 3u);

  PlantedTargets targets;
  auto study =
      RunTargetCheck(*plan, spec_->target_check.sweep, spec_->target_check.goals, targets, nullptr);
  ASSERT_TRUE(study.ok()) << study.status();
  ASSERT_EQ(targets.specs.size(), 1u) << "bracketed by the first ladder";
  const nlohmann::json& sweep = targets.specs[0];
  EXPECT_EQ(sweep["grid"]["almr"], nlohmann::json::array({plan->almr}));
  EXPECT_EQ(sweep["grid"]["lr"].size(), plan->lrs.size());
  ASSERT_EQ(sweep["points"].size(), plan->almr_neighbours.size());
  for (const auto& p : sweep["points"]) EXPECT_DOUBLE_EQ(p["lr"].get<double>(), plan->check_lr);
  EXPECT_EQ(study->sweeps, std::vector<std::string>{"demo-synthetic-target"});
  EXPECT_EQ(study->model, "p40m");
  // The planted law is the coupling law's own form: its LR lands near the measured optimum.
  const CurveCheck& c = study->check.curve;
  EXPECT_TRUE(c.interior);
  EXPECT_EQ(study->check.lr_factor, Verdict::kMet)
      << "x" << c.predicted.lr_ratio.value << " [" << c.predicted.lr_ratio.interval.lower << ", "
      << c.predicted.lr_ratio.interval.upper << "]";
  EXPECT_LT(c.predicted.regret.value, 0.001);
  EXPECT_LT(c.predicted.regret.value, c.baseline.regret.value);
  EXPECT_EQ(study->check.almrs.size(), plan->almr_neighbours.size());
  const nlohmann::json j = TargetCheckJson(*study);
  EXPECT_EQ(j["target"]["model"], "p40m");
  EXPECT_EQ(j["goals"]["lr_factor"]["verdict"], "met");
  EXPECT_DOUBLE_EQ(j["direct_transfer"]["proxy_almr"].get<double>(), plan->almr);
  EXPECT_EQ(j["leave_one_size_out"]["sizes"].size(), 3u);
}

// An adaptive study may leave the largest proxy untrained at the checked ALMR: the transfer then
// reads its optimum at the nearest swept ALMR where it has runs.
TEST_F(TargetTest, TheTransferTakesTheNearestAlmrTheLargestProxyWasTrainedAt) {
  auto full = PlanTarget(result_->observations, result_->fit, spec_->criterion, 2);
  ASSERT_TRUE(full.ok()) << full.status();
  ObservationSet partial = result_->observations;
  std::erase_if(partial.runs, [&](const Observation& o) {
    return o.params == 1e7 && std::fabs(o.almr - full->almr) < 1e-9;
  });
  auto plan = PlanTarget(partial, result_->fit, spec_->criterion, 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_DOUBLE_EQ(plan->almr, full->almr);
  EXPECT_NE(plan->transfer_almr, plan->almr);
  for (double r : spec_->grid.almrs) {
    if (r == plan->almr) continue;
    EXPECT_LE(std::fabs(plan->transfer_almr - plan->almr), std::fabs(r - plan->almr) + 1e-12);
  }
  EXPECT_GT(plan->transfer_lr, 0);

  // With no run of the largest proxy at all, the plan says what is missing.
  std::erase_if(partial.runs, [](const Observation& o) { return o.params == 1e7; });
  auto none = PlanTarget(partial, result_->fit, spec_->criterion, 2);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("the direct transfer needs the largest proxy (10M)"),
            std::string::npos)
      << none.status();
}

TEST_F(TargetTest, ATargetSweepWithTooFewSucceededRunsEndsTheCheckByName) {
  auto plan = PlanTarget(result_->observations, result_->fit, spec_->criterion, 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  PlantedTargets targets;
  targets.succeeded = 1;
  auto study =
      RunTargetCheck(*plan, spec_->target_check.sweep, spec_->target_check.goals, targets, nullptr);
  ASSERT_FALSE(study.ok());
  EXPECT_EQ(study.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(study.status().message().find("demo-synthetic-target ended with too few"),
            std::string::npos)
      << study.status();
}

}  // namespace
}  // namespace mixlaw
