// Rotary position embedding in Hugging Face's layout: dimension i pairs with i + HS/2.
//
// The table is the CPU backend's (kernels/cpu/rope.cc, computed on the host in the steps of
// transformers' LlamaRotaryEmbedding) copied to the device, so that every backend rotates by the
// same angles. The rotation uses _rn intrinsics, so nvcc cannot fuse the products and sums into
// FMAs: the result has the CPU backend's bits.
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kThreads = 256;

// x (B, T, H, HS): one thread per pair (x_i, x_{i+HS/2}), i < HS/2. kInverse applies the
// transposed (inverse) rotation, for the backward pass.
template <bool kInverse>
__global__ void RopeKernel(float* x, const float* cos, const float* sin, int T, int H, int HS,
                           int64_t pairs) {
  const int64_t p = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= pairs) return;
  const int half = HS / 2;
  const int i = static_cast<int>(p % half);
  const int64_t head = p / half;  // index of (b, t, h)
  const int t = static_cast<int>((head / H) % T);
  float* xh = x + head * HS;                            // (HS)
  const float* c = cos + static_cast<int64_t>(t) * HS;  // (HS)
  const float* s = sin + static_cast<int64_t>(t) * HS;  // (HS)
  const float a = xh[i];
  const float b = xh[i + half];
  if constexpr (kInverse) {
    // (da, db) -> (da cos + db sin, db cos - da sin)
    xh[i] = __fadd_rn(__fmul_rn(a, c[i]), __fmul_rn(b, s[i + half]));
    xh[i + half] = __fsub_rn(__fmul_rn(b, c[i + half]), __fmul_rn(a, s[i]));
  } else {
    // (a, b) -> (a cos - b sin, b cos + a sin)
    xh[i] = __fsub_rn(__fmul_rn(a, c[i]), __fmul_rn(b, s[i]));
    xh[i + half] = __fadd_rn(__fmul_rn(b, c[i + half]), __fmul_rn(a, s[i + half]));
  }
}

template <bool kInverse>
void Rope(float* x, const float* cos, const float* sin, int B, int T, int H, int HS) {
  const int64_t pairs = static_cast<int64_t>(B) * T * H * (HS / 2);
  if (pairs == 0) return;
  RopeKernel<kInverse><<<CeilDiv(pairs, kThreads), kThreads>>>(x, cos, sin, T, H, HS, pairs);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

}  // namespace

void RopeTable(float* cos, float* sin, int T, int HS, float theta) {
  const size_t n = static_cast<size_t>(T) * HS;
  std::vector<float> host_cos(n), host_sin(n);
  cpu::RopeTable(host_cos.data(), host_sin.data(), T, HS, theta);
  MIXLAW_CUDA_CHECK(cudaMemcpy(cos, host_cos.data(), sizeof(float) * n, cudaMemcpyHostToDevice));
  MIXLAW_CUDA_CHECK(cudaMemcpy(sin, host_sin.data(), sizeof(float) * n, cudaMemcpyHostToDevice));
}

void RopeForward(float* x, const float* cos, const float* sin, int B, int T, int H, int HS) {
  Rope<false>(x, cos, sin, B, T, H, HS);
}

void RopeBackward(float* dx, const float* cos, const float* sin, int B, int T, int H, int HS) {
  Rope<true>(dx, cos, sin, B, T, H, HS);
}

}  // namespace mixlaw::cuda
