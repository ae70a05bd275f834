#include "trainer/llama/optimizer.h"

#include <cmath>

namespace mixlaw {

AdamW::AdamW(const LlamaModel& model)
    : kernels_(model.kernels()),
      size_(static_cast<size_t>(model.layout().total())),
      m_(kernels_.alloc(size_)),
      v_(kernels_.alloc(size_)) {}

AdamW::~AdamW() {
  kernels_.free(m_);
  kernels_.free(v_);
}

void AdamW::ToHost(std::vector<float>* m, std::vector<float>* v) const {
  m->resize(size_);
  v->resize(size_);
  kernels_.to_host(m->data(), m_, size_);
  kernels_.to_host(v->data(), v_, size_);
}

void AdamW::FromHost(const std::vector<float>& m, const std::vector<float>& v) {
  kernels_.from_host(m_, m.data(), size_);
  kernels_.from_host(v_, v.data(), size_);
}

double AdamW::GradientNorm(LlamaModel& model) {
  return std::sqrt(model.kernels().sum_of_squares(model.grads(), model.layout().total()));
}

void AdamW::Clip(LlamaModel& model, double norm, double max_norm) {
  if (max_norm > 0 && norm > max_norm) {
    model.kernels().scale(model.grads(), static_cast<float>(max_norm / norm),
                          model.layout().total());
  }
}

void AdamW::Step(LlamaModel& model, double lr, int64_t step, const AdamWSettings& s) {
  const KernelTable& k = model.kernels();
  // A tied head is the embedding tensor itself, updated once.
  for (const TensorSpec& spec : model.layout().tensors()) {
    k.adamw_update(model.params() + spec.offset, model.grads() + spec.offset, m_ + spec.offset,
                   v_ + spec.offset, spec.size, static_cast<float>(lr), static_cast<float>(s.beta1),
                   static_cast<float>(s.beta2), static_cast<float>(s.eps),
                   spec.decay ? static_cast<float>(s.weight_decay) : 0.0f, step);
  }
}

}  // namespace mixlaw
