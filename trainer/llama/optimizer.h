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
  // Allocates zeroed moments on the model's backend.
  explicit AdamW(const LlamaModel& model);
  ~AdamW();
  AdamW(const AdamW&) = delete;
  AdamW& operator=(const AdamW&) = delete;

  // The global L2 norm of the model's gradients.
  static double GradientNorm(LlamaModel& model);
  // Scales the gradients down to max_norm when their norm exceeds it (max_norm 0: never).
  static void Clip(LlamaModel& model, double norm, double max_norm);
  // Applies AdamW step `step` (from 1) at learning rate lr.
  void Step(LlamaModel& model, double lr, int64_t step, const AdamWSettings& settings);

  // Copies of the moments on the host (layout().total() floats each), for checkpoints.
  void ToHost(std::vector<float>* m, std::vector<float>* v) const;
  // Sets the moments from host copies.
  void FromHost(const std::vector<float>& m, const std::vector<float>& v);

 private:
  const KernelTable& kernels_;
  size_t size_;
  float* m_;  // (P) first moment, on the backend
  float* v_;  // (P) second moment, on the backend
};

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_LLAMA_OPTIMIZER_H_
