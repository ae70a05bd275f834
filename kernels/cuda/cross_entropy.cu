// Softmax cross-entropy over the vocabulary, one thread block per row of logits.
//
// Forward: each block finds its row's max and sum of exponentials (summed in double, as the CPU
// backend does) and writes the row's loss; a second, single-block kernel sums the losses and
// counts the targets in a fixed order, and the mean comes back to the host as a double.
// Backward: the same row statistics, then softmax - onehot, scaled, written over the logits in
// one more pass over the row. (The forward's statistics are not kept between the two calls: the
// kernel table's contract lets a caller change the logits in between.)
#include <cassert>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kRowThreads = 1024;
constexpr int kMeanThreads = 1024;

struct RowStats {
  float max;
  double sum_exp;
};

// max and sum_j exp(x_j - max) of x (V); every thread of the block gets them.
__device__ RowStats ComputeRowStats(const float* x, int V) {
  float row_max = -INFINITY;
  for (int j = threadIdx.x; j < V; j += blockDim.x) row_max = fmaxf(row_max, x[j]);
  row_max = BlockMax(row_max);
  double sum = 0.0;
  for (int j = threadIdx.x; j < V; j += blockDim.x) sum += expf(x[j] - row_max);
  return {row_max, BlockSum(sum)};
}

// losses (N), logits (N, V), targets (N). Block n handles row n.
__global__ void CrossEntropyForwardKernel(float* losses, const float* logits,
                                          const int32_t* targets, int V) {
  const int64_t n = blockIdx.x;
  const int target = targets[n];
  if (target < 0) {
    if (threadIdx.x == 0) losses[n] = 0.0f;
    return;  // the whole block leaves together
  }
  assert(target < V);
  const float* x = logits + n * V;  // (V)
  const RowStats stats = ComputeRowStats(x, V);
  // -log softmax(x)[target] = log(sum_j exp(x_j - max)) - (x_target - max)
  if (threadIdx.x == 0) {
    losses[n] =
        static_cast<float>(log(stats.sum_exp) - (static_cast<double>(x[target]) - stats.max));
  }
}

// result[0] = sum of the counted losses, result[1] = how many targets count. One block.
__global__ void SumLossesKernel(double* result, const float* losses, const int32_t* targets,
                                int N) {
  double total = 0.0;
  double counted = 0.0;
  for (int n = threadIdx.x; n < N; n += blockDim.x) {
    if (targets[n] >= 0) {
      total += losses[n];
      counted += 1.0;
    }
  }
  total = BlockSum(total);
  counted = BlockSum(counted);
  if (threadIdx.x == 0) {
    result[0] = total;
    result[1] = counted;
  }
}

// logits (N, V) turned into (softmax - onehot) * scale in place. Block n handles row n.
__global__ void CrossEntropyBackwardKernel(float* logits, const int32_t* targets, float scale,
                                           int V) {
  const int64_t n = blockIdx.x;
  float* x = logits + n * V;  // (V)
  const int target = targets[n];
  if (target < 0) {
    for (int j = threadIdx.x; j < V; j += blockDim.x) x[j] = 0.0f;
    return;
  }
  assert(target < V);
  const RowStats stats = ComputeRowStats(x, V);
  // Each thread overwrites only the elements it read itself, so no barrier is needed here.
  const float inv_sum = static_cast<float>(1.0 / stats.sum_exp);
  for (int j = threadIdx.x; j < V; j += blockDim.x) {
    float g = __fmul_rn(__fmul_rn(expf(x[j] - stats.max), inv_sum), scale);
    if (j == target) g = __fsub_rn(g, scale);
    x[j] = g;
  }
}

}  // namespace

double CrossEntropyForward(float* losses, const float* logits, const int32_t* targets, int N,
                           int V) {
  if (N == 0) return 0.0;
  CrossEntropyForwardKernel<<<N, kRowThreads>>>(losses, logits, targets, V);
  MIXLAW_CUDA_CHECK_LAUNCH();
  auto* result = static_cast<double*>(Scratch(2 * sizeof(double)));
  SumLossesKernel<<<1, kMeanThreads>>>(result, losses, targets, N);
  MIXLAW_CUDA_CHECK_LAUNCH();
  double host[2];
  MIXLAW_CUDA_CHECK(cudaMemcpy(host, result, sizeof(host), cudaMemcpyDeviceToHost));
  return host[1] > 0 ? host[0] / host[1] : 0.0;
}

void CrossEntropyBackward(float* logits, const int32_t* targets, float scale, int N, int V) {
  if (N == 0) return;
  CrossEntropyBackwardKernel<<<N, kRowThreads>>>(logits, targets, scale, V);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

}  // namespace mixlaw::cuda
