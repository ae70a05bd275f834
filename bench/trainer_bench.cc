// Llama trainer throughput on the CPU: full training steps (forward, backward, gradient clipping,
// AdamW) on random tokens for configs A, B and D (below), with model FLOPs utilisation
// against this machine's measured fp32 matrix-product peak, and the process's peak memory.
// Configs A and B have a 260-token vocabulary (the byte tokenizer's); D is the demo's held-out
// target (d96, 3 layers, the demo's 3,072-piece vocabulary), where the classifier is a large share.
//
//   trainer_bench --config A --steps 20 --out a.json
#include <sys/resource.h>

#include <Eigen/Core>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>

#include "CLI/CLI.hpp"
#include "nlohmann/json.hpp"
#include "trainer/llama/model.h"
#include "trainer/llama/optimizer.h"

namespace mixlaw {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchConfig {
  ModelConfig model;
  int B, T;
};

BenchConfig Named(const std::string& name) {
  BenchConfig c;
  c.model.name = name;
  c.model.vocab_size = 260;
  if (name == "D") {
    c.model.dim = 96, c.model.n_layers = 3, c.model.n_heads = 4, c.model.n_kv_heads = 2;
    c.model.ffn_dim = 384, c.model.max_seq_len = 128, c.model.vocab_size = 3072;
    c.B = 16, c.T = 128;
  } else if (name == "A") {
    c.model.dim = 128, c.model.n_layers = 4, c.model.n_heads = 4, c.model.n_kv_heads = 2;
    c.model.ffn_dim = 384, c.model.max_seq_len = 128, c.B = 16, c.T = 128;
  } else {
    c.model.dim = 256, c.model.n_layers = 6, c.model.n_heads = 8, c.model.n_kv_heads = 4;
    c.model.ffn_dim = 768, c.model.max_seq_len = 256, c.B = 8, c.T = 256;
  }
  return c;
}

// fp32 GFLOP/s of a 2048^3 matrix product through Eigen on all threads: the practical peak.
double MatmulPeakGflops() {
  const int n = 2048;
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  c.noalias() = a * b;  // warm up
  auto start = Clock::now();
  const int reps = 3;
  for (int i = 0; i < reps; ++i) c.noalias() = a * b;
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return 2.0 * n * n * n * reps / seconds / 1e9 + 0.0 * c(0, 0);
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"mixlaw Llama trainer benchmark (CPU)"};
  std::string name = "A", out;
  int steps = 20;
  app.add_option("--config", name, "A, B or D")->check(CLI::IsMember({"A", "B", "D"}));
  app.add_option("--steps", steps, "Timed steps (after 3 warm-up steps)");
  app.add_option("--out", out, "Write the result as JSON here");
  CLI11_PARSE(app, argc, argv);
  BenchConfig c = Named(name);
  LlamaModel model(c.model, CpuKernels(), c.B, c.T);
  model.layout().Initialise(model.params(), 1);
  AdamW optimizer(model);
  std::mt19937 rng(1);
  std::vector<int32_t> inputs(static_cast<size_t>(c.B) * c.T), targets(inputs.size());
  auto step = [&](int64_t i) {
    const auto vocab = static_cast<uint32_t>(c.model.vocab_size);
    for (auto& t : inputs) t = static_cast<int32_t>(rng() % vocab);
    for (auto& t : targets) t = static_cast<int32_t>(rng() % vocab);
    model.ZeroGrads();
    double loss = model.Forward(inputs.data(), targets.data());
    model.Backward(1.0f / static_cast<float>(inputs.size()));
    AdamW::Clip(model, AdamW::GradientNorm(model), 1.0);
    optimizer.Step(model, 1e-3, i + 1, {});
    return loss;
  };
  for (int i = 0; i < 3; ++i) step(i);
  auto start = Clock::now();
  for (int i = 0; i < steps; ++i) step(3 + i);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  double tokens_per_s = static_cast<double>(inputs.size()) * steps / seconds;
  // Model FLOPs per token: 6 N (matrix products forward and backward) + 12 L C T (attention).
  double n_params = static_cast<double>(c.model.TotalParams());
  double flops_per_token = 6.0 * n_params + 12.0 * c.model.n_layers * c.model.dim * c.T;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double peak = MatmulPeakGflops();
  nlohmann::json result = {{"config", name},
                           {"params", n_params},
                           {"tokens_per_s", tokens_per_s},
                           {"step_ms", seconds / steps * 1000},
                           {"model_gflops", tokens_per_s * flops_per_token / 1e9},
                           {"matmul_peak_gflops", peak},
                           {"mfu_vs_matmul_peak", tokens_per_s * flops_per_token / 1e9 / peak},
                           {"peak_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024.0}};
  std::cout << result.dump(2) << "\n";
  if (!out.empty()) std::ofstream(out) << result.dump(2) << "\n";
  return 0;
}

}  // namespace mixlaw

int main(int argc, char** argv) { return mixlaw::Main(argc, argv); }
