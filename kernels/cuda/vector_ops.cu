// Whole-buffer helpers for the optimizer step: gradient accumulation, scaling (gradient clipping)
// and the gradient norm.
//
// SumOfSquares is deterministic without atomics: a first pass gives each fixed chunk of kChunk
// elements to one block, which sums its chunk in double in a fixed order (per-thread strided
// sums, then a fixed tree); a second, single-block pass sums the chunks' results in a fixed order.
// The grid depends only on n, so the result is the same from run to run (and on any GPU); it
// differs from the CPU backend's only by the order of the double additions.

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kReduceThreads = 1024;
constexpr int64_t kChunk = 1 << 16;

__global__ void AddKernel(float* y, const float* x, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __fadd_rn(y[i], x[i]);
}

__global__ void ScaleKernel(float* x, float factor, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] = __fmul_rn(x[i], factor);
}

// partial (chunks): partial[k] = sum of x[i]^2 over chunk k of x (n). Block k handles chunk k.
__global__ void SumOfSquaresPartialKernel(double* partial, const float* x, int64_t n) {
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * kChunk;
  const int64_t end = begin + kChunk < n ? begin + kChunk : n;
  double sum = 0.0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    sum += static_cast<double>(x[i]) * x[i];
  }
  sum = BlockSum(sum);
  if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

// result[0] = sum of partial (chunks). One block.
__global__ void SumPartialsKernel(double* result, const double* partial, int64_t chunks) {
  double sum = 0.0;
  for (int64_t k = threadIdx.x; k < chunks; k += blockDim.x) sum += partial[k];
  sum = BlockSum(sum);
  if (threadIdx.x == 0) result[0] = sum;
}

}  // namespace

void AddInPlace(float* y, const float* x, int64_t n) {
  if (n == 0) return;
  AddKernel<<<CeilDiv(n, kThreads), kThreads>>>(y, x, n);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

void Scale(float* x, float factor, int64_t n) {
  if (n == 0) return;
  ScaleKernel<<<CeilDiv(n, kThreads), kThreads>>>(x, factor, n);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

double SumOfSquares(const float* x, int64_t n) {
  if (n == 0) return 0.0;
  const int64_t chunks = CeilDiv(n, kChunk);
  // scratch: result (1), then partial (chunks)
  auto* scratch = static_cast<double*>(Scratch(sizeof(double) * static_cast<size_t>(chunks + 1)));
  double* result = scratch;
  double* partial = scratch + 1;
  SumOfSquaresPartialKernel<<<chunks, kReduceThreads>>>(partial, x, n);
  MIXLAW_CUDA_CHECK_LAUNCH();
  SumPartialsKernel<<<1, kReduceThreads>>>(result, partial, chunks);
  MIXLAW_CUDA_CHECK_LAUNCH();
  double host = 0.0;
  MIXLAW_CUDA_CHECK(cudaMemcpy(&host, result, sizeof(double), cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace mixlaw::cuda
