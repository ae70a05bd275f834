// Rotary position embedding in Hugging Face's layout: dimension i pairs with i + HS/2 (not with
// i + 1 as in the original paper), so weights converted from Hugging Face checkpoints work as is.
#include <cmath>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {

void RopeTable(float* cos, float* sin, int T, int HS, float theta) {
  // Computed in fp32 in the same steps as transformers' LlamaRotaryEmbedding, so that the table
  // matches PyTorch's to an ulp rather than differing by the rounding of t * inv_freq.
  const int half = HS / 2;
  for (int i = 0; i < half; ++i) {
    const float inv_freq = 1.0f / std::pow(theta, static_cast<float>(2 * i) / HS);
    for (int t = 0; t < T; ++t) {
      const float angle = static_cast<float>(t) * inv_freq;
      const int64_t row = static_cast<int64_t>(t) * HS;
      cos[row + i] = cos[row + i + half] = std::cos(angle);
      sin[row + i] = sin[row + i + half] = std::sin(angle);
    }
  }
}

namespace {

// x' = x * cos + rotate_half(x) * sin, i.e. for i < HS/2 the pair (a, b) = (x_i, x_{i+HS/2})
// turns into (a cos - b sin, b cos + a sin). The backward pass applies the transpose of that
// rotation (its inverse, the angle negated): (a cos + b sin, b cos - a sin).
template <bool kInverse>
void Rotate(float* x, const float* cos, const float* sin, int B, int T, int H, int HS) {
  const int half = HS / 2;
  const int64_t rows = static_cast<int64_t>(B) * T;
#pragma omp parallel for schedule(static) if (rows * H * HS > 16384)
  for (int64_t row = 0; row < rows; ++row) {
    const float* c = cos + (row % T) * HS;  // (HS)
    const float* s = sin + (row % T) * HS;  // (HS)
    for (int h = 0; h < H; ++h) {
      float* xh = x + (row * H + h) * HS;  // (HS)
      for (int i = 0; i < half; ++i) {
        const float a = xh[i];
        const float b = xh[i + half];
        // RopeTable writes each angle's cos and sin to both halves, so s[i] == s[i + half].
        const float sa = kInverse ? -s[i] : s[i];  // sin(-angle) for the inverse
        xh[i] = a * c[i] - b * sa;
        xh[i + half] = b * c[i + half] + a * sa;
      }
    }
  }
}

}  // namespace

void RopeForward(float* x, const float* cos, const float* sin, int B, int T, int H, int HS) {
  Rotate<false>(x, cos, sin, B, T, H, HS);
}

void RopeBackward(float* dx, const float* cos, const float* sin, int B, int T, int H, int HS) {
  Rotate<true>(dx, cos, sin, B, T, H, HS);
}

}  // namespace mixlaw::cpu
