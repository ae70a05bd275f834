// Softmax cross-entropy over the vocabulary. Each row subtracts its max before exponentiating
// (Eigen's vectorised exp, as the attention softmax) and sums the exponentials in double, four
// lanes in a fixed order.
#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {
namespace {

// max and sum_j exp(x_j - max) of one row of logits (V).
struct RowStats {
  float max;
  double sum_exp;
};

// exp(x_j - max) over a row, a chunk at a time: written to `exps` (V floats; may be x itself, to
// turn the row into its exponentials in place) or, when null, to a small buffer and dropped.
constexpr int kChunk = 256;

RowStats ExpRow(const float* x, float* exps, int V) {
  const float max = Eigen::Map<const Eigen::ArrayXf>(x, V).maxCoeff();
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  alignas(64) float buffer[kChunk];
  for (int start = 0; start < V; start += kChunk) {
    const int m = std::min(kChunk, V - start);
    float* e = exps != nullptr ? exps + start : buffer;
    Eigen::Map<Eigen::ArrayXf>(e, m) = (Eigen::Map<const Eigen::ArrayXf>(x + start, m) - max).exp();
    int j = 0;
    for (; j + 4 <= m; j += 4) {
      for (int lane = 0; lane < 4; ++lane) sum[lane] += e[j + lane];
    }
    for (; j < m; ++j) sum[0] += e[j];
  }
  return {max, (sum[0] + sum[1]) + (sum[2] + sum[3])};
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
    const RowStats stats = ExpRow(x, nullptr, V);
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
    // One pass of exp: the row becomes its exponentials, then softmax x scale.
    const RowStats stats = ExpRow(x, x, V);
    Eigen::Map<Eigen::ArrayXf>(x, V) *= static_cast<float>(scale / stats.sum_exp);
    x[targets[n]] -= scale;
  }
}

}  // namespace mixlaw::cpu
