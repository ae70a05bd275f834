// The Llama-3 decoder (RMSNorm, RoPE, grouped-query attention, SwiGLU) with a hand-written
// backward pass, running on a backend's kernel table. Holds the parameters, their gradients and
// the activations of one micro-batch of (B, T) tokens.
#ifndef MIXLAW_TRAINER_LLAMA_MODEL_H_
#define MIXLAW_TRAINER_LLAMA_MODEL_H_

#include <cstdint>
#include <vector>

#include "kernels/kernel_table.h"
#include "trainer/llama/parameters.h"
#include "trainer/model_config.h"

namespace mixlaw {

class LlamaModel {
 public:
  // Allocates parameters, gradients and activations for micro-batches of B sequences of T tokens.
  // REQUIRES: config.has_architecture(), T <= config.max_seq_len
  LlamaModel(const ModelConfig& config, const KernelTable& kernels, int B, int T);
  ~LlamaModel();
  LlamaModel(const LlamaModel&) = delete;
  LlamaModel& operator=(const LlamaModel&) = delete;

  const ModelConfig& config() const { return config_; }
  const ParameterLayout& layout() const { return layout_; }
  const KernelTable& kernels() const { return kernels_; }
  int B() const { return B_; }
  int T() const { return T_; }

  // The backend buffers (layout().total() floats each).
  float* params() { return params_; }
  float* grads() { return grads_; }

  // Runs the model on inputs (B, T) and returns the mean cross-entropy against targets (B, T)
  // (targets < 0 are not counted). Keeps the activations for Backward().
  double Forward(const int32_t* inputs, const int32_t* targets);
  // Per-token losses (B x T) of the last Forward, copied to the host.
  std::vector<float> TokenLosses() const;
  // The logits (B, T, vocab_size) of the last Forward, copied to the host; valid until Backward.
  std::vector<float> Logits() const;
  // Accumulates into grads() the gradient of loss_scale x (sum of the last Forward's token losses).
  void Backward(float loss_scale);
  void ZeroGrads();

 private:
  struct LayerActivations {
    float *x_in, *xn1, *rstd1, *q, *k, *v, *att, *a, *x_mid, *xn2, *rstd2, *gate, *up, *h;
  };

  ModelConfig config_;
  const KernelTable& kernels_;
  ParameterLayout layout_;
  int B_, T_;
  int64_t N_, C_, KV_, F_, V_, NH_, NKV_, HS_;
  float* params_ = nullptr;
  float* grads_ = nullptr;
  std::vector<LayerActivations> acts_;
  float *x_out_ = nullptr, *xf_ = nullptr, *rstdf_ = nullptr, *logits_ = nullptr,
        *losses_ = nullptr;
  float *rope_cos_ = nullptr, *rope_sin_ = nullptr;
  int32_t *inputs_ = nullptr, *targets_ = nullptr;
  // Gradient scratch, reused across layers.
  float *dx_ = nullptr, *dxn_ = nullptr, *dq_ = nullptr, *dk_ = nullptr, *dv_ = nullptr,
        *da_ = nullptr, *dh_ = nullptr, *dgate_ = nullptr, *dup_ = nullptr;
  std::vector<void*> owned_;
};

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_LLAMA_MODEL_H_
