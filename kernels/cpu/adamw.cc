// AdamW, element for element in the order of torch.optim.AdamW (the single-tensor path):
//   param *= 1 - lr * weight_decay
//   m = lerp(m, grad, 1 - beta1)                 i.e. beta1 * m + (1 - beta1) * grad
//   v = v * beta2 + (1 - beta2) * grad^2
//   param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
// which is param -= lr * (mhat / (sqrt(vhat) + eps) + weight_decay * param) with the old param.
// Scalars are computed in double, as Python computes them, then used in fp32.
#include <cmath>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {

AdamWScalars MakeAdamWScalars(float lr, float beta1, float beta2, float weight_decay,
                              int64_t step) {
  const double bias_correction1 = 1.0 - std::pow(static_cast<double>(beta1), step);
  const double bias_correction2 = 1.0 - std::pow(static_cast<double>(beta2), step);
  return {static_cast<float>(1.0 - static_cast<double>(lr) * weight_decay),
          static_cast<float>(1.0 - beta1), static_cast<float>(1.0 - beta2),
          static_cast<float>(lr / bias_correction1),
          static_cast<float>(std::sqrt(bias_correction2))};
}

void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                 float beta1, float beta2, float eps, float weight_decay, int64_t step) {
  const AdamWScalars a = MakeAdamWScalars(lr, beta1, beta2, weight_decay, step);
  const float decay = a.decay, lerp_weight = a.lerp_weight, one_minus_beta2 = a.one_minus_beta2;
  const float step_size = a.step_size, bias_correction2_sqrt = a.bias_correction2_sqrt;
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    const float p = param[i] * decay;
    const float mi = m[i] + lerp_weight * (g - m[i]);
    const float vi = v[i] * beta2 + one_minus_beta2 * g * g;
    const float denom = std::sqrt(vi) / bias_correction2_sqrt + eps;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - step_size * (mi / denom);
  }
}

}  // namespace mixlaw::cpu
