// Token embedding: a row gather forward, a scatter-add backward.
#include <algorithm>
#include <cstring>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {

void EmbeddingForward(float* out, const int32_t* tokens, const float* wte, int N, int C) {
  const bool parallel = static_cast<int64_t>(N) * C > 16384;
#pragma omp parallel for schedule(static) if (parallel)
  for (int n = 0; n < N; ++n) {
    std::memcpy(out + static_cast<int64_t>(n) * C, wte + static_cast<int64_t>(tokens[n]) * C,
                sizeof(float) * C);
  }
}

void EmbeddingBackward(float* dwte, const float* dout, const int32_t* tokens, int N, int C) {
  // Repeated tokens add into the same row, so threads split the channels, never the tokens: every
  // dwte element receives its tokens' contributions in token order, whatever the thread count.
  constexpr int kBlock = 64;  // Channels per task: whole cache lines, so threads share none.
  const int num_blocks = (C + kBlock - 1) / kBlock;
  const bool parallel = static_cast<int64_t>(N) * C > 16384;
#pragma omp parallel for schedule(static) if (parallel)
  for (int block = 0; block < num_blocks; ++block) {
    const int c0 = block * kBlock;
    const int c1 = std::min(C, c0 + kBlock);
    for (int n = 0; n < N; ++n) {
      float* dst = dwte + static_cast<int64_t>(tokens[n]) * C;
      const float* src = dout + static_cast<int64_t>(n) * C;
      for (int c = c0; c < c1; ++c) {
        dst[c] += src[c];
      }
    }
  }
}

}  // namespace mixlaw::cpu
