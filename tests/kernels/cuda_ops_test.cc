// The CUDA backend against the CPU backend: every kernel of CudaKernels() on random inputs against
// CpuKernels(), through the kernel table, then one whole training step of a tiny Llama (loss and
// every gradient). Every test reports itself skipped, with the reason, on a machine without a GPU.
//
// Tolerances (fp32). Elements are compared as |cuda - cpu| <= rtol * (|cpu| + rms(cpu)): relative
// to the element, with the tensor's RMS as a floor, since an element that is a sum of terms
// cancelling to near zero carries the rounding of its terms, not of itself.
// - 0 (the same bits): copies and single adds in the same order (embedding forward and backward,
//   add, scale).
// - kFewUlps = 1e-6: elementwise kernels written in the CPU backend's order of fp32 operations
//   (RoPE, AdamW), expected to be bit-identical; the bound leaves room for a host compiler that
//   fuses a product and a sum into an FMA.
// - kSumOrder = 1e-5, the fp32 bound where the maths allows it: kernels that sum in another order
// than the CPU backend
//   (cuBLAS products, softmax and norm reductions) or use the device's expf (up to 2 ulps from
//   the host's). Their observed differences are a few 1e-7 with K <= 256 terms per sum.
// - The whole step: 1e-5 on the loss and 1e-4 on each gradient's norm-wise relative error (the
//   bound that tests/trainer/llama_model_test.cc holds the CPU backend to against float64):
//   differences of the kernels above compound through two layers and their backward passes.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "trainer/llama/model.h"

namespace mixlaw {
namespace {

constexpr double kSame = 0.0;
constexpr double kFewUlps = 1e-6;
constexpr double kSumOrder = 1e-5;

using Floats = std::vector<float>;
using Ints = std::vector<int32_t>;

// Why this process cannot run CUDA code, or "" when it sees a GPU.
std::string NoGpuReason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear it
    return std::string("cudaGetDeviceCount: ") + cudaGetErrorName(status) + ": " +
           cudaGetErrorString(status);
  }
  if (count == 0) return "cudaGetDeviceCount found no devices";
  return "";
}

class CudaOpsTest : public testing::Test {
 protected:
  void SetUp() override {
    const std::string why = NoGpuReason();
    if (!why.empty()) GTEST_SKIP() << "no CUDA GPU: " << why;
  }
};

Floats RandomFloats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Floats x(n);
  for (float& value : x) value = dist(rng);
  return x;
}

Ints RandomTokens(size_t n, int V, uint32_t seed) {
  std::mt19937 rng(seed);
  Ints tokens(n);
  for (int32_t& t : tokens) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(V));
  return tokens;
}

// A buffer of one backend, filled from the host; freed with the backend's free.
class Buffer {
 public:
  Buffer(const KernelTable& kernels, const Floats& host)
      : kernels_(kernels), n_(host.size()), data_(kernels.alloc(host.size())) {
    kernels_.from_host(data_, host.data(), n_);
  }
  ~Buffer() { kernels_.free(data_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  float* get() { return data_; }
  Floats ToHost() const {
    Floats host(n_);
    kernels_.to_host(host.data(), data_, n_);
    return host;
  }

 private:
  const KernelTable& kernels_;
  size_t n_;
  float* data_;
};

class IntBuffer {
 public:
  IntBuffer(const KernelTable& kernels, const Ints& host)
      : kernels_(kernels), data_(kernels.alloc_int(host.size())) {
    kernels_.ints_from_host(data_, host.data(), host.size());
  }
  ~IntBuffer() { kernels_.free(data_); }
  IntBuffer(const IntBuffer&) = delete;
  IntBuffer& operator=(const IntBuffer&) = delete;

  int32_t* get() { return data_; }

 private:
  const KernelTable& kernels_;
  int32_t* data_;
};

// Expects |got - want| <= rtol * (|want| + rms(want)) for every element; rtol 0 asks for the same
// bits. Reports how many elements fail and the worst one.
void ExpectClose(const std::string& name, const Floats& got, const Floats& want, double rtol) {
  ASSERT_EQ(got.size(), want.size()) << name;
  double sum_sq = 0.0;
  for (float w : want) sum_sq += static_cast<double>(w) * w;
  const double rms = want.empty() ? 0.0 : std::sqrt(sum_sq / static_cast<double>(want.size()));
  size_t failures = 0, worst = 0;
  double worst_ratio = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double bound = rtol * (std::fabs(static_cast<double>(want[i])) + rms);
    if (!(err <= bound)) {  // NaN fails too
      ++failures;
      const double ratio = bound > 0 ? err / bound : INFINITY;
      if (failures == 1 || !(ratio <= worst_ratio)) {
        worst_ratio = ratio;
        worst = i;
      }
    }
  }
  EXPECT_EQ(failures, 0u) << name << ": " << failures << " of " << want.size()
                          << " elements outside rtol " << rtol << "; worst [" << worst << "]: cuda "
                          << got[worst] << ", cpu " << want[worst] << " (rms " << rms << ")";
}

// Runs `op` on the CPU backend and on `gpu` (the fp32 CUDA backend unless given) and compares
// what it returns.
using Outputs = std::vector<Floats>;
void ExpectBackendsAgree(const std::string& name, double rtol,
                         const std::function<Outputs(const KernelTable&)>& op,
                         const KernelTable& gpu = CudaKernels()) {
  const Outputs want = op(CpuKernels());
  const Outputs got = op(gpu);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ExpectClose(name + " output " + std::to_string(i), got[i], want[i], rtol);
  }
}

TEST_F(CudaOpsTest, MatmulForwardAndBackward) {
  const int N = 67, C = 96, OC = 130;
  const Floats inp = RandomFloats(N * C, 1), weight = RandomFloats(OC * C, 2),
               dout = RandomFloats(N * OC, 3);
  // Gradients start non-zero: backward passes accumulate.
  const Floats dinp0 = RandomFloats(N * C, 4), dweight0 = RandomFloats(OC * C, 5);
  ExpectBackendsAgree("matmul", kSumOrder, [&](const KernelTable& k) {
    Buffer i(k, inp), w(k, weight), o(k, Floats(N * OC)), d(k, dout), di(k, dinp0), dw(k, dweight0),
        dw_only(k, dweight0);
    k.matmul_forward(o.get(), i.get(), w.get(), N, C, OC);
    k.matmul_backward(di.get(), dw.get(), d.get(), i.get(), w.get(), N, C, OC);
    k.matmul_backward(nullptr, dw_only.get(), d.get(), i.get(), w.get(), N, C, OC);
    return Outputs{o.ToHost(), di.ToHost(), dw.ToHost(), dw_only.ToHost()};
  });
}

// bf16 products: each operand is rounded to 8 significant bits (relative error up to 2^-9), so
// each of the K terms of a sum carries up to 2^-8 of its size and the sum's error, the terms'
// errors adding in quadrature, is about 2^-9 of rms(output) (element-wise std). 1e-2 x (|want| +
// rms) is about 5 such standard deviations: the largest of these ~30,000 outputs stays inside.
// And the products must not be the fp32 ones, or the test would pass on the fp32 table.
TEST_F(CudaOpsTest, Bf16MatmulIsWithinBf16RoundingOfTheFp32One) {
  const int N = 67, C = 96, OC = 130;
  const Floats inp = RandomFloats(N * C, 1), weight = RandomFloats(OC * C, 2),
               dout = RandomFloats(N * OC, 3);
  const Floats dinp0 = RandomFloats(N * C, 4), dweight0 = RandomFloats(OC * C, 5);
  auto op = [&](const KernelTable& k) {
    Buffer i(k, inp), w(k, weight), o(k, Floats(N * OC)), d(k, dout), di(k, dinp0), dw(k, dweight0);
    k.matmul_forward(o.get(), i.get(), w.get(), N, C, OC);
    k.matmul_backward(di.get(), dw.get(), d.get(), i.get(), w.get(), N, C, OC);
    return Outputs{o.ToHost(), di.ToHost(), dw.ToHost()};
  };
  ExpectBackendsAgree("bf16 matmul", 1e-2, op, CudaBf16Kernels());
  const Outputs fp32 = op(CudaKernels()), bf16 = op(CudaBf16Kernels());
  size_t differing = 0;
  for (size_t j = 0; j < fp32[0].size(); ++j) {
    differing += std::fabs(fp32[0][j] - bf16[0][j]) > 1e-5f * (std::fabs(fp32[0][j]) + 1e-3f);
  }
  EXPECT_GT(differing, fp32[0].size() / 2) << "the bf16 table's products look like fp32 ones";
}

TEST_F(CudaOpsTest, EmbeddingGathersAndScattersRepeatedTokensInCpuOrder) {
  const int N = 300, C = 70, V = 50;  // 300 tokens over 50 rows: every row repeats
  const Ints tokens = RandomTokens(N, V, 6);
  const Floats wte = RandomFloats(V * C, 7), dout = RandomFloats(N * C, 8),
               dwte0 = RandomFloats(V * C, 9);
  ExpectBackendsAgree("embedding", kSame, [&](const KernelTable& k) {
    IntBuffer t(k, tokens);
    Buffer w(k, wte), o(k, Floats(N * C)), d(k, dout), dw(k, dwte0);
    k.embedding_forward(o.get(), t.get(), w.get(), N, C);
    k.embedding_backward(dw.get(), d.get(), t.get(), N, C);
    return Outputs{o.ToHost(), dw.ToHost()};
  });
}

TEST_F(CudaOpsTest, RmsNormForwardAndBackward) {
  const int N = 67, C = 200;
  const Floats inp = RandomFloats(N * C, 10, -2.0f, 2.0f), weight = RandomFloats(C, 11, 0.5f, 1.5f),
               dout = RandomFloats(N * C, 12), dinp0 = RandomFloats(N * C, 13),
               dweight0 = RandomFloats(C, 14);
  ExpectBackendsAgree("rmsnorm", kSumOrder, [&](const KernelTable& k) {
    Buffer i(k, inp), w(k, weight), o(k, Floats(N * C)), r(k, Floats(N)), d(k, dout), di(k, dinp0),
        dw(k, dweight0);
    k.rmsnorm_forward(o.get(), r.get(), i.get(), w.get(), 1e-5f, N, C);
    k.rmsnorm_backward(di.get(), dw.get(), d.get(), i.get(), w.get(), r.get(), N, C);
    return Outputs{o.ToHost(), r.ToHost(), di.ToHost(), dw.ToHost()};
  });
}

TEST_F(CudaOpsTest, RopeTableForwardAndBackward) {
  const int B = 2, T = 19, H = 3, HS = 16;
  const Floats x = RandomFloats(B * T * H * HS, 15), dx = RandomFloats(B * T * H * HS, 16);
  // The table is computed by the same host code on both backends.
  ExpectBackendsAgree("rope table", kSame, [&](const KernelTable& k) {
    Buffer c(k, Floats(T * HS)), s(k, Floats(T * HS));
    k.rope_table(c.get(), s.get(), T, HS, 500000.0f);
    return Outputs{c.ToHost(), s.ToHost()};
  });
  ExpectBackendsAgree("rope", kFewUlps, [&](const KernelTable& k) {
    Buffer c(k, Floats(T * HS)), s(k, Floats(T * HS)), xb(k, x), dxb(k, dx);
    k.rope_table(c.get(), s.get(), T, HS, 10000.0f);
    k.rope_forward(xb.get(), c.get(), s.get(), B, T, H, HS);
    k.rope_backward(dxb.get(), c.get(), s.get(), B, T, H, HS);
    return Outputs{xb.ToHost(), dxb.ToHost()};
  });
}

// Forward (out and the kept probabilities) and backward of causal attention with B, T, NH, NKV, HS.
void CheckAttention(int B, int T, int NH, int NKV, int HS, uint32_t seed) {
  const int64_t q_size = static_cast<int64_t>(B) * T * NH * HS;
  const int64_t kv_size = static_cast<int64_t>(B) * T * NKV * HS;
  const int64_t att_size = static_cast<int64_t>(B) * NH * T * T;
  // Scores of order 1-10, so that the softmax is neither flat nor one-hot.
  const Floats q = RandomFloats(q_size, seed, -2.0f, 2.0f),
               k = RandomFloats(kv_size, seed + 1, -2.0f, 2.0f),
               v = RandomFloats(kv_size, seed + 2), dout = RandomFloats(q_size, seed + 3),
               dq0 = RandomFloats(q_size, seed + 4), dk0 = RandomFloats(kv_size, seed + 5),
               dv0 = RandomFloats(kv_size, seed + 6);
  const std::string name = "attention B" + std::to_string(B) + " T" + std::to_string(T) + " NH" +
                           std::to_string(NH) + " NKV" + std::to_string(NKV) + " HS" +
                           std::to_string(HS);
  ExpectBackendsAgree(name, kSumOrder, [&](const KernelTable& kt) {
    Buffer qb(kt, q), kb(kt, k), vb(kt, v), out(kt, Floats(q_size)), att(kt, Floats(att_size)),
        d(kt, dout), dq(kt, dq0), dk(kt, dk0), dv(kt, dv0);
    kt.attention_forward(out.get(), att.get(), qb.get(), kb.get(), vb.get(), B, T, NH, NKV, HS);
    kt.attention_backward(dq.get(), dk.get(), dv.get(), d.get(), att.get(), qb.get(), kb.get(),
                          vb.get(), B, T, NH, NKV, HS);
    return Outputs{out.ToHost(), att.ToHost(), dq.ToHost(), dk.ToHost(), dv.ToHost()};
  });
}

TEST_F(CudaOpsTest, AttentionGroupedQueryHeads) { CheckAttention(2, 37, 4, 2, 16, 20); }
TEST_F(CudaOpsTest, AttentionOneKvHeadLongerRows) { CheckAttention(1, 130, 4, 1, 64, 30); }
TEST_F(CudaOpsTest, AttentionMultiHead) { CheckAttention(3, 8, 3, 3, 8, 40); }

TEST_F(CudaOpsTest, AttentionKeepsExactZerosAboveTheDiagonal) {
  const int B = 1, T = 40, NH = 2, NKV = 1, HS = 16;
  const Floats q = RandomFloats(B * T * NH * HS, 50), k = RandomFloats(B * T * NKV * HS, 51),
               v = RandomFloats(B * T * NKV * HS, 52);
  const KernelTable& kt = CudaKernels();
  Buffer qb(kt, q), kb(kt, k), vb(kt, v), out(kt, Floats(q.size())),
      att(kt, Floats(static_cast<size_t>(B) * NH * T * T, 7.0f));  // garbage to overwrite
  kt.attention_forward(out.get(), att.get(), qb.get(), kb.get(), vb.get(), B, T, NH, NKV, HS);
  const Floats p = att.ToHost();
  for (int row = 0; row < B * NH * T; ++row) {
    const int t = row % T;
    double sum = 0.0;
    for (int j = 0; j < T; ++j) {
      const float value = p[static_cast<size_t>(row) * T + j];
      if (j > t) {
        ASSERT_EQ(value, 0.0f) << "row " << row << " key " << j;
      }
      sum += value;
    }
    ASSERT_NEAR(sum, 1.0, 1e-6) << "row " << row;
  }
}

TEST_F(CudaOpsTest, SwigluForwardAndBackward) {
  const int N = 33, F = 130;
  const Floats gate = RandomFloats(N * F, 60, -6.0f, 6.0f), up = RandomFloats(N * F, 61),
               dout = RandomFloats(N * F, 62), dgate0 = RandomFloats(N * F, 63),
               dup0 = RandomFloats(N * F, 64);
  ExpectBackendsAgree("swiglu", kSumOrder, [&](const KernelTable& k) {
    Buffer g(k, gate), u(k, up), o(k, Floats(N * F)), d(k, dout), dg(k, dgate0), du(k, dup0);
    k.swiglu_forward(o.get(), g.get(), u.get(), N, F);
    k.swiglu_backward(dg.get(), du.get(), d.get(), g.get(), u.get(), N, F);
    return Outputs{o.ToHost(), dg.ToHost(), du.ToHost()};
  });
}

// Losses, their mean and the gradient for logits around `offset`, with some targets ignored.
void CheckCrossEntropy(int N, int V, float offset, uint32_t seed) {
  const Floats logits =
      RandomFloats(static_cast<size_t>(N) * V, seed, offset - 8.0f, offset + 8.0f);
  Ints targets = RandomTokens(N, V, seed + 1);
  targets[1] = -1;
  targets[static_cast<size_t>(N) - 1] = -100;
  double means[2] = {0.0, 0.0};
  int which = 0;
  ExpectBackendsAgree(
      "cross entropy offset " + std::to_string(offset), kSumOrder, [&](const KernelTable& k) {
        IntBuffer t(k, targets);
        Buffer x(k, logits), losses(k, Floats(N, 5.0f));
        means[which++] = k.cross_entropy_forward(losses.get(), x.get(), t.get(), N, V);
        const Floats l = losses.ToHost();
        k.cross_entropy_backward(x.get(), t.get(), 1.0f / (N - 2), N, V);
        return Outputs{l, x.ToHost()};
      });
  EXPECT_NEAR(means[1], means[0], 1e-6 * std::fabs(means[0])) << "mean loss, cuda vs cpu";
  EXPECT_TRUE(std::isfinite(means[1]));
}

TEST_F(CudaOpsTest, CrossEntropyWithIgnoredTargets) { CheckCrossEntropy(40, 1000, 0.0f, 70); }
TEST_F(CudaOpsTest, CrossEntropyStableForLargeLogits) { CheckCrossEntropy(5, 3001, 1e4f, 80); }

TEST_F(CudaOpsTest, CrossEntropyMeanIsZeroWhenNoTargetCounts) {
  const KernelTable& k = CudaKernels();
  IntBuffer t(k, Ints{-1, -1, -1});
  Buffer x(k, RandomFloats(3 * 10, 90)), losses(k, Floats(3, 5.0f));
  EXPECT_EQ(k.cross_entropy_forward(losses.get(), x.get(), t.get(), 3, 10), 0.0);
  ExpectClose("losses", losses.ToHost(), Floats(3, 0.0f), kSame);
}

TEST_F(CudaOpsTest, AddScaleAndSumOfSquares) {
  const int64_t n = 3 * 65536 + 123;  // several of SumOfSquares' chunks, one partial
  const Floats x = RandomFloats(static_cast<size_t>(n), 100),
               y = RandomFloats(static_cast<size_t>(n), 101);
  double sums[2] = {0.0, 0.0};
  int which = 0;
  ExpectBackendsAgree("add, scale", kSame, [&](const KernelTable& k) {
    Buffer xb(k, x), yb(k, y);
    k.add_in_place(yb.get(), xb.get(), n);
    k.scale(xb.get(), 0.37f, n);
    sums[which++] = k.sum_of_squares(yb.get(), n);
    return Outputs{yb.ToHost(), xb.ToHost()};
  });
  // Double sums of fp32 squares in two orders: relative differences around 1e-15.
  EXPECT_NEAR(sums[1], sums[0], 1e-12 * sums[0]);
  // The same bits on every call: a fixed order, no atomics.
  const KernelTable& k = CudaKernels();
  Buffer yb(k, y);
  const double first = k.sum_of_squares(yb.get(), n);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(k.sum_of_squares(yb.get(), n), first);
}

TEST_F(CudaOpsTest, AdamWTwoSteps) {
  const int64_t n = 1000;
  const Floats param = RandomFloats(n, 110), grad1 = RandomFloats(n, 111),
               grad2 = RandomFloats(n, 112);
  for (float weight_decay : {0.0f, 0.1f}) {
    ExpectBackendsAgree(
        "adamw decay " + std::to_string(weight_decay), kFewUlps, [&](const KernelTable& k) {
          Buffer p(k, param), g1(k, grad1), g2(k, grad2), m(k, Floats(n)), v(k, Floats(n));
          k.adamw_update(p.get(), g1.get(), m.get(), v.get(), n, 1e-3f, 0.9f, 0.95f, 1e-8f,
                         weight_decay, 1);
          k.adamw_update(p.get(), g2.get(), m.get(), v.get(), n, 1e-3f, 0.9f, 0.95f, 1e-8f,
                         weight_decay, 2);
          return Outputs{p.ToHost(), m.ToHost(), v.ToHost()};
        });
  }
}

// One training step of a tiny Llama (2 layers, grouped-query attention) on both backends.
class CudaStepTest : public testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    const std::string why = NoGpuReason();
    if (!why.empty()) GTEST_SKIP() << "no CUDA GPU: " << why;
  }
};

ModelConfig TinyConfig(bool tied) {
  ModelConfig c;
  c.name = "tiny";
  c.dim = 64;
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.ffn_dim = 96;
  c.vocab_size = 101;
  c.max_seq_len = 32;
  c.rope_theta = 10000.0;
  c.tied_embeddings = tied;
  return c;
}

// ||a - b|| / ||b|| over n floats.
double RelativeError(const float* a, const float* b, int64_t n) {
  double diff = 0, ref = 0;
  for (int64_t i = 0; i < n; ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    ref += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(diff / std::max(ref, 1e-30));
}

struct StepResult {
  double loss = 0;
  Floats token_losses;
  Floats grads;  // on the host
};

StepResult RunStep(LlamaModel& model, const Floats& params, const Ints& inputs, const Ints& targets,
                   float loss_scale) {
  const KernelTable& k = model.kernels();
  k.from_host(model.params(), params.data(), params.size());
  model.ZeroGrads();
  StepResult r;
  r.loss = model.Forward(inputs.data(), targets.data());
  r.token_losses = model.TokenLosses();
  model.Backward(loss_scale);
  r.grads.resize(params.size());
  k.to_host(r.grads.data(), model.grads(), r.grads.size());
  return r;
}

TEST_P(CudaStepTest, LossAndEveryGradientMatchTheCpuBackend) {
  const ModelConfig config = TinyConfig(GetParam());
  const int B = 3, T = 24;
  LlamaModel cpu(config, CpuKernels(), B, T);
  LlamaModel gpu(config, CudaKernels(), B, T);
  Floats params(static_cast<size_t>(cpu.layout().total()));
  cpu.layout().Initialise(params.data(), 7);
  const Ints inputs = RandomTokens(B * T, static_cast<int>(config.vocab_size), 3);
  Ints targets = RandomTokens(B * T, static_cast<int>(config.vocab_size), 4);
  targets[5] = -1;  // an ignored position
  const float loss_scale = 1.0f / static_cast<float>(B * T - 1);

  const StepResult want = RunStep(cpu, params, inputs, targets, loss_scale);
  const StepResult got = RunStep(gpu, params, inputs, targets, loss_scale);
  ASSERT_GT(want.loss, 1.0);
  EXPECT_NEAR(got.loss, want.loss, 1e-5 * want.loss);
  ExpectClose("token losses", got.token_losses, want.token_losses, kSumOrder);
  double max_err = 0;
  for (const TensorSpec& t : cpu.layout().tensors()) {
    const double err =
        RelativeError(got.grads.data() + t.offset, want.grads.data() + t.offset, t.size);
    EXPECT_LT(err, 1e-4) << t.name;
    max_err = std::max(max_err, err);
    double norm = 0;
    for (int64_t i = 0; i < t.size; ++i)
      norm += static_cast<double>(want.grads[t.offset + i]) * want.grads[t.offset + i];
    EXPECT_GT(norm, 0.0) << t.name << " has no gradient: the test would prove nothing";
  }
  RecordProperty("max_gradient_relative_error", std::to_string(max_err));
  std::cout << "loss cpu " << want.loss << " cuda " << got.loss
            << "; largest gradient relative error: " << max_err << "\n";

  // The global gradient norm, as the optimizer computes it.
  const double norm_cpu = cpu.kernels().sum_of_squares(cpu.grads(), cpu.layout().total());
  const double norm_gpu = gpu.kernels().sum_of_squares(gpu.grads(), gpu.layout().total());
  EXPECT_NEAR(norm_gpu, norm_cpu, 1e-4 * norm_cpu);

  // Deterministic: a second step on the GPU gives the same bits.
  const StepResult again = RunStep(gpu, params, inputs, targets, loss_scale);
  EXPECT_EQ(again.loss, got.loss);
  EXPECT_EQ(std::memcmp(again.grads.data(), got.grads.data(), sizeof(float) * got.grads.size()), 0)
      << "two CUDA steps on the same inputs gave different gradients";
}

INSTANTIATE_TEST_SUITE_P(Heads, CudaStepTest, testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Tied" : "Untied"; });

}  // namespace
}  // namespace mixlaw
