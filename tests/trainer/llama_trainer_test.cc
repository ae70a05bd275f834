// The builtin Llama trainer as workers run it (`mixlaw train --config RUN.json`), on data
// prepared from the real demo corpora: it learns, continual pre-training teaches the new
// language, a killed run resumes bit-identically, and a run past its stable LR diverges.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/child_process.h"
#include "nlohmann/json.hpp"
#include "tests/trainer/trainer_test_data.h"
#include "trainer/data/prepare.h"
#include "trainer/protocol.h"

namespace mixlaw {
namespace {

std::filesystem::path& Dir() {
  static std::filesystem::path dir;
  return dir;
}

// The prepared demo corpora the runs read.
std::filesystem::path& Data() {
  static std::filesystem::path dir;
  return dir;
}

class LlamaTrainerTest : public testing::Test {
 protected:
  // Under CTest the data come from MIXLAW_TRAINER_TEST_DATA, prepared once for every test by the
  // fixture `llama_trainer_data` (prepare_trainer_data); a binary run by hand prepares its own.
  static void SetUpTestSuite() {
    Dir() = std::filesystem::temp_directory_path() / ("mixlaw-trainer-" + std::to_string(getpid()));
    std::filesystem::create_directories(Dir());
    if (const char* prepared = std::getenv("MIXLAW_TRAINER_TEST_DATA")) {
      Data() = prepared;
      ASSERT_TRUE(std::filesystem::exists(Data() / "tokenizer.model")) << Data();
      return;
    }
    Data() = Dir() / "data";
    auto summary = PrepareData(TrainerTestData(Data().string()));
    ASSERT_TRUE(summary.ok()) << summary.status();
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(Dir()); }

  static nlohmann::json Config(const std::string& name, const std::string& stage, double almr,
                               double lr, int steps) {
    return {
        {"protocol", 1},
        {"run_name", name},
        {"stage", stage},
        {"almr", almr},
        {"peak_lr", lr},
        {"seed", 1},
        {"model",
         {{"name", "t"},
          {"dim", 48},
          {"n_layers", 2},
          {"n_heads", 4},
          {"n_kv_heads", 2},
          {"ffn_dim", 128},
          {"vocab_size", 1536},
          {"max_seq_len", 64}}},
        {"data",
         {{"base", (Data() / "base").string()}, {"additional", (Data() / "additional").string()}}},
        {"training",
         {{"tokens", 16 * 64 * steps}, {"batch_size", 16}, {"seq_len", 64}, {"eval_every", 0}}},
        {"output_dir", (Dir() / name).string()}};
  }

  struct Outcome {
    ExitStatus status;
    std::vector<std::string> lines;
    std::string err;
    // The eval/SPLIT losses by step.
    std::map<int64_t, double> Eval(const std::string& split) const {
      std::map<int64_t, double> losses;
      for (const auto& l : lines) {
        TrainerLine parsed = ParseTrainerLine(l);
        if (auto* m = std::get_if<MetricLine>(&parsed); m && m->split == split) {
          losses[m->step] = m->loss;
        }
      }
      return losses;
    }
  };

  // Runs `mixlaw train`; with kill_after_step, kills it -9 once that train step is printed.
  static Outcome Train(const nlohmann::json& config, int64_t kill_after_step = 0) {
    std::string path = (Dir() / (config["run_name"].get<std::string>() + ".json")).string();
    std::ofstream(path) << config.dump();
    SpawnOptions options;
    options.argv = {MIXLAW_BINARY, "train", "--config", path};
    options.env = {"OMP_NUM_THREADS=2"};
    auto child = ChildProcess::Spawn(options);
    EXPECT_TRUE(child.ok());
    Outcome o;
    if (kill_after_step > 0) {
      std::string marker = "\"step\":" + std::to_string(kill_after_step) + ",";
      bool seen = false;
      while (!seen && (*child)->Poll(1000, &o.lines)) {
        for (const auto& l : o.lines)
          seen = seen ||
                 (l.find(marker) != std::string::npos && l.find("\"train\"") != std::string::npos);
      }
      (*child)->Signal(SIGKILL);
    }
    o.status = (*child)->Wait(&o.lines);
    o.err = (*child)->stderr_tail();
    return o;
  }
};

TEST_F(LlamaTrainerTest, TrainingLowersBothValidationLosses) {
  Outcome o = Train(Config("mixed", "cpt", 0.5, 3e-3, 60));
  ASSERT_EQ(o.status.code, kTrainerExitSuccess) << o.err;
  auto base = o.Eval("eval/base"), additional = o.Eval("eval/additional");
  ASSERT_TRUE(base.contains(0) && base.contains(60));
  // A new model's logits are near N(0, 1) (the head's std is 1/sqrt(dim) on unit-RMS inputs), so
  // it starts near ln(1536) + 1/2 = 7.84 nats; 60 steps must take at least 1 nat off each.
  EXPECT_NEAR(base[0], std::log(1536.0) + 0.5, 0.3);
  EXPECT_LT(base[60], base[0] - 1.0);
  EXPECT_LT(additional[60], additional[0] - 1.0);
  EXPECT_TRUE(std::filesystem::exists(Dir() / "mixed" / "final" / "model.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(Dir() / "mixed" / "final" / "tokenizer.model"))
      << "the tokenizer is recorded with the run";
}

TEST_F(LlamaTrainerTest, ContinualPretrainingFromAnEnglishBaseLearnsChinese) {
  Outcome base_run = Train(Config("base", "pretrain", 0.0, 3e-3, 80));
  ASSERT_EQ(base_run.status.code, kTrainerExitSuccess) << base_run.err;
  nlohmann::json cpt = Config("cpt", "cpt", 0.5, 3e-3, 40);
  cpt["init_checkpoint"] = (Dir() / "base" / "final").string();
  Outcome o = Train(cpt);
  ASSERT_EQ(o.status.code, kTrainerExitSuccess) << o.err;
  auto zh = o.Eval("eval/additional"), en = o.Eval("eval/base");
  auto en_base = base_run.Eval("eval/base"), zh_base = base_run.Eval("eval/additional");
  // The CPT run starts from the base model: its step-0 losses are the base model's final ones.
  EXPECT_DOUBLE_EQ(en[0], en_base[80]);
  EXPECT_DOUBLE_EQ(zh[0], zh_base[80]);
  // An English-only model knows little Chinese; 40 steps at ALMR 0.5 must take 0.75 nat off it,
  // while English stays far better than an untrained model's ln(1536).
  EXPECT_LT(zh[40], zh[0] - 0.75) << "Chinese loss " << zh[0] << " -> " << zh[40];
  EXPECT_LT(en[40], std::log(1536.0) - 1.0);
}

TEST_F(LlamaTrainerTest, KilledRunResumesWithBitIdenticalLosses) {
  nlohmann::json config = Config("whole", "cpt", 0.25, 3e-3, 30);
  config["training"]["checkpoint_every"] = 10;
  Outcome whole = Train(config);
  ASSERT_EQ(whole.status.code, kTrainerExitSuccess) << whole.err;

  config["run_name"] = "killed";
  config["output_dir"] = (Dir() / "killed").string();
  Outcome killed = Train(config, /*kill_after_step=*/25);
  EXPECT_FALSE(killed.status.exited);
  ASSERT_TRUE(std::filesystem::exists(Dir() / "killed" / "step-20" / "optimizer.safetensors"));

  config["run_name"] = "resumed";
  config["resume_checkpoint"] = (Dir() / "killed" / "step-20").string();
  Outcome resumed = Train(config);
  ASSERT_EQ(resumed.status.code, kTrainerExitSuccess) << resumed.err;
  // Every metric line after step 20, character for character (losses print all 17 digits).
  auto after20 = [](const Outcome& o) {
    std::vector<std::string> lines;
    for (const auto& l : o.lines) {
      TrainerLine parsed = ParseTrainerLine(l);
      if (auto* m = std::get_if<MetricLine>(&parsed); m && m->step > 20) lines.push_back(l);
    }
    return lines;
  };
  std::vector<std::string> expected = after20(whole), got = after20(resumed);
  ASSERT_EQ(expected.size(), 10u + 2u);
  EXPECT_EQ(got, expected);
}

// A damaged trainer_state.json is a clear error naming the file and the field, not a crash.
TEST_F(LlamaTrainerTest, ADamagedTrainerStateIsRefusedByField) {
  nlohmann::json config = Config("short", "cpt", 0.25, 3e-3, 10);
  config["training"]["checkpoint_every"] = 5;
  ASSERT_EQ(Train(config).status.code, kTrainerExitSuccess);
  const std::filesystem::path good = Dir() / "short" / "final";
  std::ifstream in(good / "trainer_state.json");
  const nlohmann::json state = nlohmann::json::parse(in);
  struct Damage {
    std::string text;      // the damaged file
    std::string expected;  // in the error
  };
  auto with = [&](const std::string& pointer, const nlohmann::json& value) {
    nlohmann::json j = state;
    j[nlohmann::json::json_pointer(pointer)] = value;
    return j.dump();
  };
  nlohmann::json no_loader = state;
  no_loader.erase("loader");
  const std::vector<Damage> damages = {
      {"{\"step\": 3,", "trainer_state.json: not a JSON object"},
      {with("/loader/base/index", 1000000000), "loader.base.index: 1000000000 is outside [0, "},
      {with("/loader/additional/epoch", "two"), "loader.additional.epoch: must be an integer"},
      {with("/step", -4), "step: -4 is outside [0, 10]"},
      {with("/loader/additional_sequences", 99999),
       "loader.additional_sequences: 99999 is outside"},
      {with("/loader", 7), "loader: must be an object"},
      {no_loader.dump(), "loader: is required"}};
  for (size_t i = 0; i < damages.size(); ++i) {
    const std::filesystem::path dir = Dir() / ("damaged-" + std::to_string(i));
    std::filesystem::create_directories(dir);
    std::filesystem::copy(good, dir,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    std::ofstream(dir / "trainer_state.json") << damages[i].text;
    nlohmann::json resume = config;
    resume["run_name"] = "resume-damaged-" + std::to_string(i);
    resume["output_dir"] = (Dir() / resume["run_name"].get<std::string>()).string();
    resume["resume_checkpoint"] = dir.string();
    Outcome o = Train(resume);
    EXPECT_TRUE(o.status.exited) << "a damaged state must not crash the trainer: " << o.err;
    EXPECT_EQ(o.status.code, kTrainerExitFailure) << o.err;
    EXPECT_NE(o.err.find((dir / "trainer_state.json").string()), std::string::npos) << o.err;
    EXPECT_NE(o.err.find(damages[i].expected), std::string::npos) << o.err;
  }
}

// The model's contract (seq_len within max_seq_len) is checked before any model is built.
TEST_F(LlamaTrainerTest, ASequenceLongerThanTheModelsIsAUsageError) {
  nlohmann::json config = Config("long", "cpt", 0.5, 3e-3, 2);
  config["model"]["max_seq_len"] = 32;
  Outcome o = Train(config);
  EXPECT_TRUE(o.status.exited) << o.err;
  EXPECT_EQ(o.status.code, kTrainerExitUsage) << o.err;
  EXPECT_NE(o.err.find("training.seq_len 64 exceeds model.max_seq_len 32"), std::string::npos)
      << o.err;
  // A model named by its size alone has no architecture to build: refused, with the flag named.
  nlohmann::json sized = Config("sized", "cpt", 0.5, 3e-3, 2);
  sized["model"] = {{"name", "t"}, {"params", 1e6}};
  Outcome refused = Train(sized);
  EXPECT_TRUE(refused.status.exited) << refused.status.Describe() << ": " << refused.err;
  EXPECT_EQ(refused.status.code, kTrainerExitUsage) << refused.err;
  EXPECT_NE(refused.err.find("the builtin trainer needs an architecture"), std::string::npos)
      << refused.err;
}

TEST_F(LlamaTrainerTest, LearningRateFarTooHighDiverges) {
  nlohmann::json config = Config("hot", "cpt", 0.5, 30.0, 40);
  config["training"]["grad_clip"] = 0.0;
  Outcome o = Train(config);
  EXPECT_EQ(o.status.code, kTrainerExitDiverged) << o.err;
  EXPECT_NE(o.err.find("diverged"), std::string::npos) << o.err;
}

TEST_F(LlamaTrainerTest, MissingDataIsAUsageError) {
  nlohmann::json config = Config("nodata", "cpt", 0.5, 3e-3, 10);
  config["data"]["base"] = "/nonexistent/base";
  Outcome o = Train(config);
  EXPECT_EQ(o.status.code, kTrainerExitUsage);
  EXPECT_NE(o.err.find("/nonexistent/base"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace mixlaw
