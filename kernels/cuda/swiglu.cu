// SwiGLU, the gate of Llama's MLP: out = silu(gate) * up, silu(g) = g * sigmoid(g).
//
// Elementwise, in the CPU backend's order of fp32 operations (_rn intrinsics keep nvcc from
// fusing them into FMAs). expf differs from the host's by at most a couple of ulps, so results
// agree with the CPU backend to a few ulps rather than bit for bit.
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kThreads = 256;

// out, gate, up (n).
__global__ void SwigluForwardKernel(float* out, const float* gate, const float* up, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = gate[i];
  out[i] = __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), up[i]);
}

// d silu(g) / dg = s * (1 + g * (1 - s)) with s = sigmoid(g). dgate, dup (n) +=.
__global__ void SwigluBackwardKernel(float* dgate, float* dup, const float* dout, const float* gate,
                                     const float* up, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = gate[i];
  const float s = __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-g)));
  const float dsilu = __fmul_rn(s, __fadd_rn(1.0f, __fmul_rn(g, __fsub_rn(1.0f, s))));
  dgate[i] = __fadd_rn(dgate[i], __fmul_rn(__fmul_rn(dout[i], up[i]), dsilu));
  dup[i] = __fadd_rn(dup[i], __fmul_rn(dout[i], __fmul_rn(g, s)));
}

}  // namespace

void SwigluForward(float* out, const float* gate, const float* up, int N, int F) {
  const int64_t n = static_cast<int64_t>(N) * F;
  if (n == 0) return;
  SwigluForwardKernel<<<CeilDiv(n, kThreads), kThreads>>>(out, gate, up, n);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

void SwigluBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                    int N, int F) {
  const int64_t n = static_cast<int64_t>(N) * F;
  if (n == 0) return;
  SwigluBackwardKernel<<<CeilDiv(n, kThreads), kThreads>>>(dgate, dup, dout, gate, up, n);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

}  // namespace mixlaw::cuda
