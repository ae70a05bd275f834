// Softmax cross-entropy over the vocabulary. Each row subtracts its max before exponentiating and
// sums the exponentials in double.
#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {
namespace {

// max and sum_j exp(x_j - max) of one row of logits (V).
struct RowStats {
  float max;
  double sum_exp;
};

RowStats ComputeRowStats(const float* x, int V) {
  float max = x[0];
  for (int j = 1; j < V; ++j) {
    max = std::max(max, x[j]);
  }
  double sum_exp = 0.0;
  for (int j = 0; j < V; ++j) {
    sum_exp += std::exp(x[j] - max);
  }
  return {max, sum_exp};
}

}  // namespace

double CrossEntropyForward(float* losses, const float* logits, const int32_t* targets, int N,
                           int V) {
  const bool parallel = static_cast<int64_t>(N) * V > 16384;
#pragma omp parallel for schedule(static) if (parallel)
  for (int n = 0; n < N; ++n) {
    if (targets[n] < 0) {
      losses[n] = 0.0f;
      continue;
    }
    assert(targets[n] < V);
    const float* x = logits + static_cast<int64_t>(n) * V;  // (V)
    const RowStats stats = ComputeRowStats(x, V);
    // -log softmax(x)[target] = log(sum_j exp(x_j - max)) - (x_target - max)
    losses[n] = static_cast<float>(std::log(stats.sum_exp) -
                                   (static_cast<double>(x[targets[n]]) - stats.max));
  }
  double total = 0.0;
  int64_t counted = 0;
  for (int n = 0; n < N; ++n) {
    if (targets[n] >= 0) {
      total += losses[n];
      ++counted;
    }
  }
  return counted > 0 ? total / static_cast<double>(counted) : 0.0;
}

void CrossEntropyBackward(float* logits, const int32_t* targets, float scale, int N, int V) {
  const bool parallel = static_cast<int64_t>(N) * V > 16384;
#pragma omp parallel for schedule(static) if (parallel)
  for (int n = 0; n < N; ++n) {
    float* x = logits + static_cast<int64_t>(n) * V;  // (V), turned into dL/dlogits in place
    if (targets[n] < 0) {
      std::fill(x, x + V, 0.0f);
      continue;
    }
    assert(targets[n] < V);
    const RowStats stats = ComputeRowStats(x, V);
    const float inv_sum = static_cast<float>(1.0 / stats.sum_exp);
    for (int j = 0; j < V; ++j) {
      x[j] = std::exp(x[j] - stats.max) * inv_sum * scale;
    }
    x[targets[n]] -= scale;
  }
}

}  // namespace mixlaw::cpu
