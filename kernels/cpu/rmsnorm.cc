// RMSNorm (Llama's, without mean subtraction or bias): out = inp * rstd * weight, with
// rstd = 1 / sqrt(mean(inp^2) + eps) per row. Row reductions are accumulated in double.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {

void RmsNormForward(float* out, float* rstd, const float* inp, const float* weight, float eps,
                    int N, int C) {
  const bool parallel = static_cast<int64_t>(N) * C > 16384;
#pragma omp parallel for schedule(static) if (parallel)
  for (int n = 0; n < N; ++n) {
    const float* x = inp + static_cast<int64_t>(n) * C;  // (C)
    float* y = out + static_cast<int64_t>(n) * C;        // (C)
    double sum_sq = 0.0;
    for (int c = 0; c < C; ++c) {
      sum_sq += static_cast<double>(x[c]) * x[c];
    }
    const float r = static_cast<float>(1.0 / std::sqrt(sum_sq / C + eps));
    rstd[n] = r;
    // Hugging Face's order: normalise, then scale by the weight.
    for (int c = 0; c < C; ++c) {
      y[c] = weight[c] * (x[c] * r);
    }
  }
}

// With xhat = x * r and out = w * xhat:
//   dL/dx_j = r * w_j * dout_j - r^3 * x_j / C * sum_i(dout_i * w_i * x_i)
//   dL/dw_j = sum over rows of dout_j * xhat_j
void RmsNormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int N, int C) {
  const bool parallel = static_cast<int64_t>(N) * C > 16384;
#pragma omp parallel for schedule(static) if (parallel)
  for (int n = 0; n < N; ++n) {
    const float* x = inp + static_cast<int64_t>(n) * C;    // (C)
    const float* dy = dout + static_cast<int64_t>(n) * C;  // (C)
    float* dx = dinp + static_cast<int64_t>(n) * C;        // (C)
    const float r = rstd[n];
    double dot = 0.0;  // sum_i dout_i * w_i * x_i
    for (int c = 0; c < C; ++c) {
      dot += static_cast<double>(dy[c]) * weight[c] * x[c];
    }
    const float coeff = static_cast<float>(dot * r * r * r / C);
    for (int c = 0; c < C; ++c) {
      dx[c] += r * weight[c] * dy[c] - coeff * x[c];
    }
  }
  // dweight sums over rows: threads split the channels so that each sum runs in row order.
  constexpr int kBlock = 64;
  const int num_blocks = (C + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (parallel)
  for (int block = 0; block < num_blocks; ++block) {
    const int c0 = block * kBlock;
    const int c1 = std::min(C, c0 + kBlock);
    double acc[kBlock] = {};
    for (int n = 0; n < N; ++n) {
      const float* x = inp + static_cast<int64_t>(n) * C;
      const float* dy = dout + static_cast<int64_t>(n) * C;
      const float r = rstd[n];
      for (int c = c0; c < c1; ++c) {
        acc[c - c0] += static_cast<double>(dy[c]) * (x[c] * r);
      }
    }
    for (int c = c0; c < c1; ++c) {
      dweight[c] += static_cast<float>(acc[c - c0]);
    }
  }
}

}  // namespace mixlaw::cpu
