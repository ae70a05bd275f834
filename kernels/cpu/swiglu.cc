// SwiGLU, the gate of Llama's MLP: out = silu(gate) * up, silu(g) = g * sigmoid(g).
#include <cmath>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {

void SwigluForward(float* out, const float* gate, const float* up, int N, int F) {
  const int64_t n = static_cast<int64_t>(N) * F;
#pragma omp parallel for schedule(static) if (n > 16384)
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

// d silu(g) / dg = s * (1 + g * (1 - s)) with s = sigmoid(g).
void SwigluBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                    int N, int F) {
  const int64_t n = static_cast<int64_t>(N) * F;
#pragma omp parallel for schedule(static) if (n > 16384)
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float s = 1.0f / (1.0f + std::exp(-g));
    dgate[i] += dout[i] * up[i] * (s * (1.0f + g * (1.0f - s)));
    dup[i] += dout[i] * (g * s);
  }
}

}  // namespace mixlaw::cpu
