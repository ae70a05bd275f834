// The study spec: the example, the proxies given inline or by path, and refusals that name the
// field and the problem.
#include "study/study_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace mixlaw {
namespace {

std::string ExamplesDir() { return absl::StrCat(MIXLAW_SOURCE_DIR, "/examples"); }

std::string ReadExample(const std::string& name) {
  std::ifstream in(ExamplesDir() + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(StudySpecTest, TheExampleParsesWithItsProxiesInlineOrFromTheirFile) {
  auto spec =
      ParseStudySpec(ReadExample("study-synthetic.json"), "study-synthetic.json", ExamplesDir());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "study-synthetic");
  EXPECT_EQ(spec->design, DesignKind::kAdaptive);
  EXPECT_EQ(spec->proxy_sweep.name, "study-synthetic-proxies");
  ASSERT_EQ(spec->grid.sizes.size(), 3u);
  EXPECT_EQ(spec->grid.sizes[0].model, "p1m");
  EXPECT_DOUBLE_EQ(spec->grid.sizes[2].params, 1e7);
  EXPECT_DOUBLE_EQ(spec->grid.sizes[2].tokens, 204800);
  EXPECT_EQ(spec->grid.almrs.size(), 4u);
  EXPECT_EQ(spec->grid.lrs.size(), 7u);
  EXPECT_EQ(spec->grid.seeds.size(), 2u);
  EXPECT_EQ(spec->grid.All().size(), 3u * 4 * 7 * 2);
  EXPECT_DOUBLE_EQ(spec->criterion.target_params, 4e7);
  EXPECT_EQ(spec->criterion.weight, 1.0);
  EXPECT_DOUBLE_EQ(spec->stop.lr_factor, 1.2);
  EXPECT_DOUBLE_EQ(spec->BudgetFlops(), 0.33 * spec->grid.Flops());
  EXPECT_EQ(spec->bootstrap, 200);
  EXPECT_EQ(spec->initial.stride, 2);
  EXPECT_EQ(spec->initial.lr_ratio, 0) << "no ratio unless given";

  // The same proxies from a file beside the spec; the target from their fit.target_params.
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "mixlaw-study-spec-test";
  std::filesystem::create_directories(dir);
  nlohmann::json j = nlohmann::json::parse(ReadExample("study-synthetic.json"));
  std::ofstream(dir / "proxies.json") << j["proxies"].dump();
  j["proxies"] = "proxies.json";
  j.erase("target");
  j["stop"] = {{"budget_flops", 1e15}};
  auto from_file = ParseStudySpec(j.dump(), "s.json", dir.string());
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_DOUBLE_EQ(from_file->criterion.target_params, 4e7);
  EXPECT_DOUBLE_EQ(from_file->BudgetFlops(), 1e15);
  EXPECT_EQ(from_file->grid.All().size(), spec->grid.All().size());
  EXPECT_EQ(from_file->proxies, spec->proxies);
}

struct BadStudy {
  const char* patch;  // merged over the example
  std::vector<std::string> problems;
};

class BadStudyTest : public testing::TestWithParam<BadStudy> {};

TEST_P(BadStudyTest, IsRefusedWithThePathsOfItsProblems) {
  nlohmann::json j = nlohmann::json::parse(ReadExample("study-synthetic.json"));
  j.merge_patch(nlohmann::json::parse(GetParam().patch));
  auto spec = ParseStudySpec(j.dump(), "s.json", ExamplesDir());
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(spec.status().message());
  for (const std::string& p : GetParam().problems) {
    EXPECT_NE(message.find(p), std::string::npos) << "missing '" << p << "' in:\n" << message;
  }
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n') + 1,
            static_cast<long>(GetParam().problems.size()))
      << message;
}

INSTANTIATE_TEST_SUITE_P(
    Specs, BadStudyTest,
    testing::Values(
        BadStudy{R"({"design": "random", "runs_per_round": 0, "bogus": 1})",
                 {"s.json: bogus: unknown field", "s.json: design: 'random' must be adaptive",
                  "s.json: runs_per_round: 0 is outside [1, 10000]"}},
        BadStudy{R"({"design": "random", "runs_per_round": 0})",
                 {"s.json: design: 'random' must be adaptive or grid",
                  "s.json: runs_per_round: 0 is outside [1, 10000]"}},
        BadStudy{R"({"stop": {"lr_factor": 1, "budget_fraction": 1.5, "max_rounds": 0}})",
                 {"s.json: stop.lr_factor: 1 must be > 1",
                  "s.json: stop.budget_fraction: 1.5 is outside [0, 1]",
                  "s.json: stop.max_rounds: 0 is outside [1, 1000]"}},
        BadStudy{R"({"initial": {"lr_ratio": 1, "stride": 0}})",
                 {"s.json: initial.lr_ratio: 1 must be > 1",
                  "s.json: initial.stride: 0 is outside [1, 100]"}},
        BadStudy{R"({"proxies": "missing.json"})", {"/examples/missing.json: cannot be read"}},
        BadStudy{R"({"proxies": 3, "name": "a b"})",
                 {"s.json: proxies: must be a sweep spec object or the path of one",
                  "s.json: name: must be 1 to 90 letters"}},
        BadStudy{R"({"proxies": {"name": "p", "models": [{"name": "m", "params": 1e6}],
                                "grid": {"almr": [0.2], "lr": [-1]},
                                "training": {"tokens": 20480, "batch_size": 16, "seq_len": 128},
                                "trainer": {"kind": "synthetic"}}})",
                 {"s.json: proxies: grid.lr[0]: -1 must be > 0"}},
        BadStudy{R"({"proxies": {"name": "p", "models": [{"name": "m", "params": 1e6}],
                                "grid": null, "points": [{"almr": 0.2, "lr": 0.01}],
                                "training": {"tokens": 20480, "batch_size": 16, "seq_len": 128},
                                "trainer": {"kind": "synthetic"}}})",
                 {"s.json: proxies.grid: is required: the grid is every run the study may "
                  "train"}},
        BadStudy{R"({"criterion": {"weight": 1, "forgetting_budget": 0.1}, "bootstrap": 3})",
                 {"s.json: criterion: gives weight and forgetting_budget: choose one",
                  "s.json: bootstrap: must be at least 20 in an adaptive study"}},
        BadStudy{R"({"target": {"params": 5e7, "sweep": "demo-synthetic-target.json"}})",
                 {"s.json: target.params: differs from target.sweep's model (40M"}},
        BadStudy{R"({"target": {"sweep": "demo-synthetic.json", "goals": {"lr_factor": 1}}})",
                 {"s.json: target.sweep.models: must be exactly one model",
                  "s.json: target.goals.lr_factor: 1 must be > 1"}},
        BadStudy{R"({"target": {"goals": {"regret": 0.01}}})",
                 {"s.json: target.goals: needs target.sweep"}},
        BadStudy{R"({"target": {"params": -4}})", {"s.json: target.params: -4 must be > 0"}},
        BadStudy{R"({"early_stop": {"min_fraction": 1, "min_evals": 2, "fit": "guess",
                                   "after": 3}})",
                 {"s.json: early_stop.after: unknown field",
                  "s.json: early_stop.min_fraction: 1 must be < 1",
                  "s.json: early_stop.min_evals: 2 is outside [4, 100000]",
                  "s.json: early_stop.fit: 'guess' must be omit, predicted or weighted"}}));

// A target check: the target model's sweep spec by path, its size the target's, its data paths
// made absolute; the goals default and can be set.
TEST(StudySpecTest, ATargetSweepGivesTheTargetSizeAndTheCheck) {
  nlohmann::json j = nlohmann::json::parse(ReadExample("study-synthetic.json"));
  j["target"] = {{"sweep", "demo-target.json"}, {"goals", {{"regret", 0.003}}}};
  auto spec = ParseStudySpec(j.dump(), "s.json", ExamplesDir());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->target_check.model, "d96");
  EXPECT_NEAR(spec->criterion.target_params, 415392, 1) << "d96's non-embedding parameters";
  EXPECT_DOUBLE_EQ(spec->target_check.goals.regret, 0.003);
  EXPECT_DOUBLE_EQ(spec->target_check.goals.lr_factor, 1.25);
  const std::string base = spec->target_check.sweep["data"]["base"];
  EXPECT_EQ(base, ExamplesDir() + "/data/base");
  EXPECT_TRUE(ParseStudySpec(ReadExample("study-synthetic.json"), "s.json", ExamplesDir())
                  ->target_check.sweep.is_null())
      << "no sweep: no check";
}

// Early stopping is off unless the spec has an early_stop object; its fields default.
TEST(StudySpecTest, EarlyStoppingIsOnWithItsObjectAndItsDefaults) {
  nlohmann::json j = nlohmann::json::parse(ReadExample("study-synthetic.json"));
  auto off = ParseStudySpec(j.dump(), "s.json", ExamplesDir());
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->early_stop.enabled);
  j["early_stop"] = nlohmann::json::object();
  auto on = ParseStudySpec(j.dump(), "s.json", ExamplesDir());
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->early_stop.enabled);
  EXPECT_DOUBLE_EQ(on->early_stop.min_fraction, 0.25);
  EXPECT_EQ(on->early_stop.min_evals, 5);
  EXPECT_EQ(on->early_stop.fit, StoppedRunFit::kPredicted);
  j["early_stop"] = {{"enabled", false}, {"fit", "omit"}, {"check_every_s", 0.5}};
  auto given = ParseStudySpec(j.dump(), "s.json", ExamplesDir());
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_FALSE(given->early_stop.enabled);
  EXPECT_EQ(given->early_stop.fit, StoppedRunFit::kOmit);
  EXPECT_DOUBLE_EQ(given->early_stop.check_every_s, 0.5);
  j["early_stop"] = {{"fit", "weighted"}};
  auto weighted = ParseStudySpec(j.dump(), "s.json", ExamplesDir());
  ASSERT_TRUE(weighted.ok()) << weighted.status();
  EXPECT_EQ(weighted->early_stop.fit, StoppedRunFit::kWeighted);
  EXPECT_STREQ(StoppedRunFitName(weighted->early_stop.fit), "weighted");
}

}  // namespace
}  // namespace mixlaw
