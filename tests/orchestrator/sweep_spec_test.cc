#include "orchestrator/sweep_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace mixlaw {
namespace {

constexpr const char* kValid = R"({
  "name": "t",
  "data": {"base": "data/en", "additional": "/abs/zh"},
  "models": [{"name": "s1", "params": 1e6},
             {"name": "s2", "dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2,
              "ffn_dim": 192, "vocab_size": 3072, "max_seq_len": 128}],
  "grid": {"almr": [0.1, 0.5], "lr": {"min": 1e-3, "max": 1e-2, "num": 3}},
  "seeds": [0, 1],
  "training": {"tokens": 20480, "batch_size": 16, "seq_len": 128, "eval_every": 5},
  "pretrain": {"lr": 3e-3, "training": {"tokens": 40960}},
  "trainer": {"kind": "synthetic"},
  "fit": {"target_params": 7e7}
})";

TEST(SweepSpecTest, ParsesAndExpandsTheGrid) {
  auto spec = ParseSweepSpec(kValid, "s.json", "/specs");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->data_base, "/specs/data/en");
  EXPECT_EQ(spec->data_additional, "/abs/zh");
  EXPECT_EQ(spec->output_root, "") << "the orchestrator chooses";
  EXPECT_FALSE(spec->max_lr_over_best.has_value()) << "every run fitted";
  spec->output_root = "/specs/runs";
  ASSERT_EQ(spec->lr.size(), 3u);
  EXPECT_DOUBLE_EQ(spec->lr[1], 0.00316228);
  // Non-embedding parameters of the architecture: 2 layers x (attention + SwiGLU + norms) + norm.
  EXPECT_EQ(spec->models[1].NonEmbeddingParams(),
            2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 192 + 128) + 64);

  std::vector<PlannedRun> runs = ExpandSweep(*spec);
  // Per model: one pretraining run and 2 ALMR x 3 LR x 2 seeds.
  ASSERT_EQ(runs.size(), 2u * (1 + 12));
  EXPECT_EQ(runs[0].name, "s1/pretrain");
  EXPECT_EQ(runs[0].stage, "pretrain");
  EXPECT_EQ(runs[0].total_steps, 40960 / (16 * 128));
  EXPECT_EQ(runs[1].name, "s1/almr0.1/lr0.001/seed0");
  EXPECT_EQ(runs[1].depends_on, 0);
  EXPECT_EQ(runs[1].total_steps, 10);
  EXPECT_EQ(runs[1].config.output_dir, "/specs/runs/t/s1/almr0.1/lr0.001/seed0");
  EXPECT_EQ(runs[14].depends_on, 13);
  EXPECT_EQ(runs[14].model, "s2");
}

TEST(SweepSpecTest, PointsTrainBesideTheGridOrWithoutOne) {
  nlohmann::json j = nlohmann::json::parse(kValid);
  j["points"] = {{{"almr", 0.25}, {"lr", 2e-3}}, {{"almr", 0.75}, {"lr", 2e-3}}};
  auto spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_TRUE(spec.ok()) << spec.status();
  std::vector<PlannedRun> runs = ExpandSweep(*spec);
  // Per model: pretraining, 2 ALMR x 3 LR x 2 seeds, then 2 points x 2 seeds after the grid.
  ASSERT_EQ(runs.size(), 2u * (1 + 12 + 4));
  EXPECT_EQ(runs[13].name, "s1/almr0.25/lr0.002/seed0");
  EXPECT_EQ(runs[16].name, "s1/almr0.75/lr0.002/seed1");
  EXPECT_EQ(runs[16].depends_on, 0) << "a point's run starts from its model's base";
  EXPECT_DOUBLE_EQ(runs[16].almr, 0.75);
  EXPECT_DOUBLE_EQ(runs[16].config.peak_lr, 2e-3);
  EXPECT_EQ(runs[17].name, "s2/pretrain");
  EXPECT_EQ(runs[16].config.training.precision, "auto") << "unless the spec names one";
  j["training"]["precision"] = "bf16";
  spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(ExpandSweep(*spec)[16].config.training.precision, "bf16");
  EXPECT_EQ(ExpandSweep(*spec)[16].config.ToJson()["training"]["precision"], "bf16");

  j.erase("grid");
  spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(ExpandSweep(*spec).size(), 2u * (1 + 4));
  j.erase("points");
  spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("s.json: grid: is required (or points)"),
            std::string::npos)
      << spec.status();
}

// A study's round: points restricted to one model and seed each, no grid; a model left without
// runs is not pretrained, and the round's "study" record is kept as given.
TEST(SweepSpecTest, PointsNamingModelsAndSeedsTrainOnlyThose) {
  nlohmann::json j = nlohmann::json::parse(kValid);
  j.erase("grid");
  j["points"] = {{{"almr", 0.25}, {"lr", 2e-3}, {"models", {"s1"}}, {"seeds", {1}}},
                 {{"almr", 0.25}, {"lr", 2e-3}, {"models", {"s1"}}, {"seeds", {0, 5}}},
                 {{"almr", 0.5}, {"lr", 4e-3}, {"seeds", {2}}}};
  j["study"] = {{"name", "st"}, {"round", 2}};
  auto spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->study["round"], 2);
  std::vector<std::string> names;
  for (const PlannedRun& r : ExpandSweep(*spec)) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "s1/pretrain", "s1/almr0.25/lr0.002/seed1", "s1/almr0.25/lr0.002/seed0",
                       "s1/almr0.25/lr0.002/seed5", "s1/almr0.5/lr0.004/seed2", "s2/pretrain",
                       "s2/almr0.5/lr0.004/seed2"}));

  j["points"] = {{{"almr", 0.25}, {"lr", 2e-3}, {"models", {"s2"}}}};
  spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_TRUE(spec.ok()) << spec.status();
  names.clear();
  for (const PlannedRun& r : ExpandSweep(*spec)) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"s2/pretrain", "s2/almr0.25/lr0.002/seed0",
                                             "s2/almr0.25/lr0.002/seed1"}))
      << "s1 has no runs: no pretraining either";
}

// A model trained before: not pretrained again, its CPT runs start from the checkpoint given.
TEST(SweepSpecTest, AModelWithAnInitCheckpointIsNotPretrained) {
  nlohmann::json j = nlohmann::json::parse(kValid);
  j["init_checkpoints"] = {{"s2", "ckpt/s2"}};
  auto spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->init_checkpoints.at("s2"), "/specs/ckpt/s2");
  const std::vector<PlannedRun> runs = ExpandSweep(*spec);
  ASSERT_EQ(runs.size(), (1u + 12) + 12) << "s1 pretrained, s2 not";
  EXPECT_EQ(runs[13].name, "s2/almr0.1/lr0.001/seed0");
  EXPECT_EQ(runs[13].depends_on, -1);
  EXPECT_EQ(runs[13].config.init_checkpoint, "/specs/ckpt/s2");
  EXPECT_EQ(runs[13].config.ToJson()["init_checkpoint"], "/specs/ckpt/s2");
  EXPECT_EQ(runs[1].depends_on, 0);
  EXPECT_EQ(runs[1].config.init_checkpoint, "") << "filled from s1's pretraining at lease time";
}

// Each bad spec must be refused with every listed problem, named by its JSON path.
struct BadSpec {
  const char* patch;  // merged over kValid
  std::vector<std::string> problems;
};

class BadSpecTest : public testing::TestWithParam<BadSpec> {};

TEST_P(BadSpecTest, IsRefusedWithThePathsOfItsProblems) {
  nlohmann::json j = nlohmann::json::parse(kValid);
  j.merge_patch(nlohmann::json::parse(GetParam().patch));
  auto spec = ParseSweepSpec(j.dump(), "s.json", "/specs");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(spec.status().message());
  for (const std::string& p : GetParam().problems) {
    EXPECT_NE(message.find(p), std::string::npos) << "missing '" << p << "' in:\n" << message;
  }
  size_t lines = std::count(message.begin(), message.end(), '\n') + 1;
  EXPECT_EQ(lines, GetParam().problems.size()) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Specs, BadSpecTest,
    testing::Values(
        BadSpec{R"({"grid": {"almr": [0.1, 0.5, 1.3], "lr": [1e-3, -1e-4]}})",
                {"s.json: grid.almr[2]: 1.3 is outside [0, 1]",
                 "s.json: grid.lr[1]: -0.0001 must be > 0"}},
        BadSpec{R"({"training": {"precision": "fp16"}})",
                {"s.json: training.precision: 'fp16' is not a precision (expected auto, bf16 "
                 "or fp32)"}},
        BadSpec{R"({"typo_field": 1, "training": {"tokens": 20480, "batchsize": 4}})",
                {"s.json: typo_field: unknown field", "s.json: training.batchsize: unknown field"}},
        BadSpec{R"({"models": [{"name": "a b", "dim": 60, "n_layers": 2, "n_heads": 8,
                    "ffn_dim": 10, "vocab_size": 100}]})",
                {"models[0].name: must be letters", "models[0].n_heads: 8 does not divide dim 60"}},
        BadSpec{
            R"({"grid": {"almr": [], "lr": {"min": 1e-2, "max": 1e-3, "num": 3}}})",
            {"grid.almr: must list at least one value", "grid.lr.max: 0.001 is below min 0.01"}},
        BadSpec{R"({"trainer": {"kind": "exec", "command": "torchrun train.py {cfg}"}})",
                {"trainer.command: must contain {config}",
                 "trainer.command: {cfg} is not a placeholder"}},
        BadSpec{R"({"seeds": [0, 0], "max_attempts": 0, "name": ""})",
                {"seeds[1]: 0 appears twice", "max_attempts: 0 is outside [1, 100]",
                 "name: must be 1 to 100 letters"}},
        BadSpec{R"({"training": {"tokens": 100}, "grid": {"lr": [1e-3, 1e-3]}})",
                {"training.tokens: 100 is less than one step", "grid.lr: 0.001 appears twice"}},
        BadSpec{
            R"({"points": [{"almr": 0.5, "lr": 0.001}, {"almr": 0.2, "lr": 1e-4},
                               {"almr": 0.2, "lr": 0.0001}, {"almr": 2, "lr": 1}, {"lr": 1},
                               {"almr": 0.2, "lr": 1, "seed": 3}]})",
            {"points[0]: almr 0.5, lr 0.001 is already in the grid",
             "points[2]: almr 0.2, lr 0.0001 appears twice", "points[3].almr: 2 is outside [0, 1]",
             "points[4].almr: is required", "points[5].seed: unknown field"}},
        BadSpec{R"({"points": []})", {"points: must be a non-empty list"}},
        BadSpec{R"({"fit": {"target_params": 7e7, "max_lr_over_best": 1, "cliff": 2}})",
                {"fit.cliff: unknown field", "fit.max_lr_over_best: 1 must be > 1"}},
        BadSpec{R"({"init_checkpoints": {"s1": "", "nope": "x", "s2": 3}})",
                {"init_checkpoints.s1: must be a checkpoint's path",
                 "init_checkpoints.nope: must name a model of `models`",
                 "init_checkpoints.s2: must be a checkpoint's path"}},
        BadSpec{R"({"points": [{"almr": 0.3, "lr": 1, "models": ["s1", "nope", "s1"]},
                               {"almr": 0.3, "lr": 2, "seeds": [1, 1, -2]},
                               {"almr": 0.3, "lr": 3, "models": ["s1"], "seeds": [4]},
                               {"almr": 0.3, "lr": 3, "seeds": [4, 6]},
                               {"almr": 0.3, "lr": 3, "models": ["s2"], "seeds": [4]},
                               {"almr": 0.3, "lr": 4, "models": []}], "study": 3})",
                {"points[0].models[1]: must name a model of `models`",
                 "points[0].models[2]: 's1' appears twice", "points[1].seeds[1]: 1 appears twice",
                 "points[1].seeds[2]: must be an integer >= 0",
                 "points[3]: almr 0.3, lr 3 appears twice for the same model and seed",
                 "points[5].models: must be a non-empty list of model names",
                 "study: must be an object (written by mixlaw study run)"}},
        BadSpec{R"({"trainer": {"kind": "synthetic", "synthetic": {"noise": 2, "bogus": 1}}})",
                {"trainer.synthetic.bogus: unknown field",
                 "trainer.synthetic.noise: 2 is outside [0, 1]"}}));

TEST(SweepSpecTest, RefusesInvalidJsonWithItsPosition) {
  auto spec = ParseSweepSpec("{\"name\": \"x\",,}", "s.json", "/");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("s.json: not valid JSON"), std::string::npos);
  EXPECT_NE(spec.status().message().find("line 1"), std::string::npos);
}

// Found by fuzzing (tests/fuzz/corpus/sweep_spec): a number too large for a double escaped the
// parser as an exception.
TEST(SweepSpecTest, RefusesANumberOutOfRangeAsInvalidJson) {
  auto spec = ParseSweepSpec(R"({"name": "x", "seeds": [1.6e77777]})", "s.json", "/");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("s.json: not valid JSON: "), std::string::npos)
      << spec.status().message();
  EXPECT_NE(spec.status().message().find("number overflow"), std::string::npos)
      << spec.status().message();
}

// Every demo preset: both specs parse, the target is one model of at least 4 times the largest
// proxy's parameters, and the proxies' spec names exactly that size as its fit target.
class DemoPresetTest : public testing::TestWithParam<std::string> {};

absl::StatusOr<SweepSpec> ParseExample(const std::string& name) {
  std::string path = std::string(MIXLAW_SOURCE_DIR) + "/examples/" + name;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseSweepSpec(text.str(), path, std::string(MIXLAW_SOURCE_DIR) + "/examples");
}

TEST_P(DemoPresetTest, TargetIsOneModelFourTimesTheLargestProxy) {
  absl::StatusOr<SweepSpec> proxies = ParseExample(GetParam() + ".json");
  absl::StatusOr<SweepSpec> target = ParseExample(GetParam() + "-target.json");
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_EQ(target->models.size(), 1u);
  ASSERT_GE(proxies->models.size(), 3u) << "a ladder of at least three proxy sizes";
  double largest = 0;
  for (const ModelConfig& m : proxies->models) largest = std::max(largest, m.FitParams());
  const double n = target->models[0].FitParams();
  EXPECT_GE(n, 4 * largest);
  ASSERT_TRUE(proxies->target_params.has_value());
  EXPECT_EQ(*proxies->target_params, n);
  EXPECT_GE(target->seeds.size(), 2u) << "several seeds at the target";
}

// The full preset extrapolates as 8B to 70B does: at least 8 times the largest proxy, with
// seeds enough at the target for the check's intervals.
TEST(DemoPresetTest, TheFullPresetExtrapolatesAtThePapersRatio) {
  absl::StatusOr<SweepSpec> proxies = ParseExample("demo-full.json");
  absl::StatusOr<SweepSpec> target = ParseExample("demo-full-target.json");
  ASSERT_TRUE(proxies.ok()) << proxies.status();
  ASSERT_TRUE(target.ok()) << target.status();
  std::vector<double> sizes;
  for (const ModelConfig& m : proxies->models) sizes.push_back(m.FitParams());
  EXPECT_EQ(sizes, (std::vector<double>{24736, 50928, 98624}));
  const double n = target->models[0].FitParams();
  EXPECT_EQ(n, 836736);
  EXPECT_GE(n / sizes.back(), 8.0);
  EXPECT_EQ(*proxies->target_params, n);
  EXPECT_GE(target->seeds.size(), 4u);
  EXPECT_GE(proxies->almr.size(), 3u) << "ALMRs enough to bracket the recommended one";
  // The recipe measured at the target (docs/benchmarks.md): LRs a factor 1.41 apart, the runs
  // above twice their group's best left out of the fit.
  ASSERT_EQ(proxies->lr.size(), 9u);
  EXPECT_NEAR(proxies->lr[1] / proxies->lr[0], std::sqrt(2.0), 1e-5);
  EXPECT_EQ(proxies->max_lr_over_best, 2.0);
}

INSTANTIATE_TEST_SUITE_P(Examples, DemoPresetTest,
                         testing::Values("demo", "demo-full", "demo-synthetic"));

}  // namespace
}  // namespace mixlaw
