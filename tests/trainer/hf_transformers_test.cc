// Checkpoints against Hugging Face transformers itself (the project's .venv, scripts/setup.sh):
// a checkpoint the builtin trainer saves, loaded by LlamaForCausalLM.from_pretrained, gives the
// builtin model's logits; a model transformers initialises and writes with save_pretrained loads
// in the builtin trainer and gives transformers' logits. Both in float32, within 1e-4 relative
// (whole-tensor norm).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "common/child_process.h"
#include "trainer/llama/checkpoint.h"
#include "trainer/llama/model.h"
#include "trainer/safetensors.h"

namespace mixlaw {
namespace {

constexpr int kB = 2, kT = 12;

ModelConfig TinyConfig(bool tied) {
  ModelConfig c;
  c.name = "tiny";
  c.dim = 32;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.ffn_dim = 48;
  c.vocab_size = 37;
  c.max_seq_len = 16;
  c.rope_theta = 500000.0;
  c.tied_embeddings = tied;
  return c;
}

double RelativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    ref += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(diff / std::max(ref, 1e-30));
}

class HfTransformersTest : public testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mixlaw-hf-transformers-" + std::to_string(getpid()) + (GetParam() ? "-tied" : ""));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::mt19937 rng(11);
    inputs_.resize(kB * kT);
    for (auto& t : inputs_) t = static_cast<int32_t>(rng() % 37);
    nlohmann::json batch = {{"inputs", nlohmann::json::array()}};
    for (int b = 0; b < kB; ++b) {
      batch["inputs"].push_back(
          std::vector<int32_t>(inputs_.begin() + b * kT, inputs_.begin() + (b + 1) * kT));
    }
    std::ofstream(dir_ / "batch.json") << batch.dump();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs tests/trainer/hf_transformers.py in the project's virtual environment.
  void Python(std::vector<std::string> args) {
    SpawnOptions py;
    py.argv = {MIXLAW_VENV_PYTHON,
               std::string(MIXLAW_SOURCE_DIR) + "/tests/trainer/hf_transformers.py"};
    py.argv.insert(py.argv.end(), args.begin(), args.end());
    auto child = ChildProcess::Spawn(py);
    ASSERT_TRUE(child.ok()) << child.status();
    std::vector<std::string> lines;
    ExitStatus status = (*child)->Wait(&lines);
    ASSERT_TRUE(status.exited && status.code == 0) << (*child)->stderr_tail();
  }

  std::vector<float> PythonLogits() {
    auto file = ReadSafetensors((dir_ / "logits.safetensors").string());
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? file->tensors["logits"].data : std::vector<float>();
  }

  std::vector<float> OurLogits(LlamaModel& model) {
    std::vector<int32_t> targets(inputs_.size(), 0);
    model.Forward(inputs_.data(), targets.data());
    return model.Logits();
  }

  std::filesystem::path dir_;
  std::vector<int32_t> inputs_;
};

TEST_P(HfTransformersTest, OurCheckpointGivesOurLogitsInTransformers) {
  LlamaModel model(TinyConfig(GetParam()), CpuKernels(), kB, kT);
  model.layout().Initialise(model.params(), 3);
  std::vector<float> ours = OurLogits(model);
  ASSERT_TRUE(SaveCheckpoint((dir_ / "ours").string(), model, nullptr, nullptr, {}).ok());
  Python({"logits", (dir_ / "ours").string(), (dir_ / "batch.json").string(),
          (dir_ / "logits.safetensors").string()});
  std::vector<float> theirs = PythonLogits();
  ASSERT_EQ(theirs.size(), ours.size());
  double err = RelativeError(ours, theirs);
  std::cout << "logits relative error, ours in transformers: " << err << "\n";
  EXPECT_LT(err, 1e-4);
  // The comparison means something only if the logits are far from constant.
  double spread =
      *std::max_element(ours.begin(), ours.end()) - *std::min_element(ours.begin(), ours.end());
  EXPECT_GT(spread, 1.0);
}

TEST_P(HfTransformersTest, SavePretrainedCheckpointLoadsInTheBuiltinTrainer) {
  ModelConfig config = TinyConfig(GetParam());
  nlohmann::json hf = HfLlamaConfig(config);
  hf.erase("architectures");
  hf.erase("model_type");
  hf.erase("torch_dtype");
  std::ofstream(dir_ / "config.json") << hf.dump();
  Python({"create", (dir_ / "hf").string(), (dir_ / "config.json").string(),
          (dir_ / "batch.json").string(), (dir_ / "logits.safetensors").string()});
  LlamaModel model(config, CpuKernels(), kB, kT);
  absl::Status loaded = LoadWeights((dir_ / "hf").string(), model);
  ASSERT_TRUE(loaded.ok()) << loaded;
  std::vector<float> theirs = PythonLogits();
  std::vector<float> ours = OurLogits(model);
  ASSERT_EQ(theirs.size(), ours.size());
  double err = RelativeError(ours, theirs);
  std::cout << "logits relative error, transformers' save_pretrained in ours: " << err << "\n";
  EXPECT_LT(err, 1e-4);
  double norm = 0;
  for (float x : theirs) norm += static_cast<double>(x) * x;
  EXPECT_GT(norm, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Heads, HfTransformersTest, testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Tied" : "Untied"; });

}  // namespace
}  // namespace mixlaw
