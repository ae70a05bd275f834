// RMSNorm (Llama's, without mean subtraction or bias): out = weight * (inp * rstd), with
// rstd = 1 / sqrt(mean(inp^2) + eps) per row.
//
// As in the CPU backend, row reductions run in double and the elementwise steps in fp32 in the
// same order (with _rn intrinsics, so that nvcc cannot fuse them into FMAs): the two backends
// differ only by the order of the double sums, which rarely changes an fp32 result.
// dweight sums over rows deterministically in two passes: fixed chunks of rows into a (chunks, C)
// scratch of doubles, then the chunks in order.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kThreads = 256;  // 8 warps: one row per warp
constexpr int kRowsPerBlock = kThreads / kWarpSize;
constexpr int kRowsPerChunk = 128;  // dweight's first pass

// out, inp (N, C), weight (C), rstd (N).
__global__ void RmsNormForwardKernel(float* out, float* rstd, const float* inp, const float* weight,
                                     float eps, int N, int C) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  if (row >= N) return;                                  // the whole warp leaves together
  const float* x = inp + static_cast<int64_t>(row) * C;  // (C)
  float* y = out + static_cast<int64_t>(row) * C;        // (C)
  double sum_sq = 0.0;
  for (int c = lane; c < C; c += kWarpSize) sum_sq += static_cast<double>(x[c]) * x[c];
  sum_sq = WarpSum(sum_sq);
  const float r = static_cast<float>(1.0 / sqrt(sum_sq / C + eps));
  if (lane == 0) rstd[row] = r;
  for (int c = lane; c < C; c += kWarpSize) y[c] = __fmul_rn(weight[c], __fmul_rn(x[c], r));
}

// dinp (N, C) += r * w * dout - r^3 * x / C * sum_i(dout_i * w_i * x_i), one row per warp.
__global__ void RmsNormBackwardInputKernel(float* dinp, const float* dout, const float* inp,
                                           const float* weight, const float* rstd, int N, int C) {
  const int row = blockIdx.x * kRowsPerBlock + threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  if (row >= N) return;
  const float* x = inp + static_cast<int64_t>(row) * C;    // (C)
  const float* dy = dout + static_cast<int64_t>(row) * C;  // (C)
  float* dx = dinp + static_cast<int64_t>(row) * C;        // (C)
  const float r = rstd[row];
  double dot = 0.0;
  for (int c = lane; c < C; c += kWarpSize) dot += static_cast<double>(dy[c]) * weight[c] * x[c];
  dot = WarpSum(dot);
  const float coeff = static_cast<float>(dot * r * r * r / C);
  for (int c = lane; c < C; c += kWarpSize) {
    const float term = __fsub_rn(__fmul_rn(__fmul_rn(r, weight[c]), dy[c]), __fmul_rn(coeff, x[c]));
    dx[c] = __fadd_rn(dx[c], term);
  }
}

// partial (chunks, C): partial[k, c] = sum over rows n of chunk k of dout[n, c] * (x[n, c] * r[n]).
__global__ void RmsNormWeightPartialKernel(double* partial, const float* dout, const float* inp,
                                           const float* rstd, int N, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int chunk = blockIdx.y;
  const int end = min(N, (chunk + 1) * kRowsPerChunk);
  double acc = 0.0;
  for (int n = chunk * kRowsPerChunk; n < end; ++n) {
    const int64_t i = static_cast<int64_t>(n) * C + c;
    acc += static_cast<double>(dout[i]) * __fmul_rn(inp[i], rstd[n]);
  }
  partial[static_cast<int64_t>(chunk) * C + c] = acc;
}

// dweight (C) += sum over chunks, in chunk order.
__global__ void RmsNormWeightSumKernel(float* dweight, const double* partial, int chunks, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double acc = 0.0;
  for (int k = 0; k < chunks; ++k) acc += partial[static_cast<int64_t>(k) * C + c];
  dweight[c] += static_cast<float>(acc);
}

}  // namespace

void RmsNormForward(float* out, float* rstd, const float* inp, const float* weight, float eps,
                    int N, int C) {
  if (N == 0) return;
  RmsNormForwardKernel<<<CeilDiv(N, kRowsPerBlock), kThreads>>>(out, rstd, inp, weight, eps, N, C);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

void RmsNormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int N, int C) {
  if (N == 0 || C == 0) return;
  RmsNormBackwardInputKernel<<<CeilDiv(N, kRowsPerBlock), kThreads>>>(dinp, dout, inp, weight, rstd,
                                                                      N, C);
  MIXLAW_CUDA_CHECK_LAUNCH();
  const int chunks = static_cast<int>(CeilDiv(N, kRowsPerChunk));
  auto* partial = static_cast<double*>(Scratch(sizeof(double) * chunks * static_cast<size_t>(C)));
  const dim3 grid(static_cast<unsigned>(CeilDiv(C, kThreads)), static_cast<unsigned>(chunks));
  RmsNormWeightPartialKernel<<<grid, kThreads>>>(partial, dout, inp, rstd, N, C);
  MIXLAW_CUDA_CHECK_LAUNCH();
  RmsNormWeightSumKernel<<<CeilDiv(C, kThreads), kThreads>>>(dweight, partial, chunks, C);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

}  // namespace mixlaw::cuda
