// One optimizer step of the Llama model: global-norm gradient clipping and AdamW with decoupled
// weight decay (none on norms), over the backend's buffers.
#ifndef MIXLAW_TRAINER_LLAMA_OPTIMIZER_H_
#define MIXLAW_TRAINER_LLAMA_OPTIMIZER_H_

#include <cstdint>
#include <vector>

#include "trainer/llama/model.h"

namespace mixlaw {

struct AdamWSettings {
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
};

class AdamW {
 public:
  explicit AdamW(const LlamaModel& model);

  // The global L2 norm of the model's gradients.
  static double GradientNorm(LlamaModel& model);
  // Scales the gradients down to max_norm when their norm exceeds it (max_norm 0: never).
  static void Clip(LlamaModel& model, double norm, double max_norm);
  // Applies AdamW step `step` (from 1) at learning rate lr.
  void Step(LlamaModel& model, double lr, int64_t step, const AdamWSettings& settings);

  // The moments, on the host (CPU backend), layout().total() floats each.
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }

 private:
  std::vector<float> m_, v_;
};

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_LLAMA_OPTIMIZER_H_
