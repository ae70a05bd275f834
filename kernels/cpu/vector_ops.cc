// Whole-buffer helpers for the optimizer step: gradient accumulation and the gradient norm.
#include <algorithm>
#include <vector>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {

void AddInPlace(float* y, const float* x, int64_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    y[i] += x[i];
  }
}

double SumOfSquares(const float* x, int64_t n) {
  // Fixed chunks, each summed in order, then the partial sums added in chunk order: the same
  // result whatever the thread count.
  constexpr int64_t kChunk = 1 << 16;
  const int64_t num_chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(num_chunks));
#pragma omp parallel for schedule(static) if (num_chunks > 1)
  for (int64_t chunk = 0; chunk < num_chunks; ++chunk) {
    const int64_t end = std::min(n, (chunk + 1) * kChunk);
    double sum = 0.0;
    for (int64_t i = chunk * kChunk; i < end; ++i) {
      sum += static_cast<double>(x[i]) * x[i];
    }
    partial[static_cast<size_t>(chunk)] = sum;
  }
  double total = 0.0;
  for (double sum : partial) {
    total += sum;
  }
  return total;
}

}  // namespace mixlaw::cpu
