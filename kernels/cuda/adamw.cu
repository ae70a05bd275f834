// AdamW over fp32 parameters, element for element in the order of torch.optim.AdamW (the
// single-tensor path), as kernels/cpu/adamw.cc:
//   param *= 1 - lr * weight_decay
//   m = m + (1 - beta1) * (grad - m)
//   v = v * beta2 + (1 - beta2) * grad^2
//   param -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
// The scalars are computed on the host in double, exactly as the CPU backend does; the kernel's
// _rn intrinsics and IEEE sqrt/division keep nvcc from fusing or approximating, so both backends
// give the same bits.
#include <cmath>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kThreads = 256;

// param, grad, m, v (n).
__global__ void AdamWKernel(float* param, const float* grad, float* m, float* v, int64_t n,
                            float decay, float lerp_weight, float beta2, float one_minus_beta2,
                            float step_size, float bias_correction2_sqrt, float eps) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = grad[i];
  const float p = __fmul_rn(param[i], decay);
  const float mi = __fadd_rn(m[i], __fmul_rn(lerp_weight, __fsub_rn(g, m[i])));
  const float vi = __fadd_rn(__fmul_rn(v[i], beta2), __fmul_rn(__fmul_rn(one_minus_beta2, g), g));
  const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), bias_correction2_sqrt), eps);
  m[i] = mi;
  v[i] = vi;
  param[i] = __fsub_rn(p, __fmul_rn(step_size, __fdiv_rn(mi, denom)));
}

}  // namespace

void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                 float beta1, float beta2, float eps, float weight_decay, int64_t step) {
  if (n == 0) return;
  const cpu::AdamWScalars a = cpu::MakeAdamWScalars(lr, beta1, beta2, weight_decay, step);
  AdamWKernel<<<CeilDiv(n, kThreads), kThreads>>>(param, grad, m, v, n, a.decay, a.lerp_weight,
                                                  beta2, a.one_minus_beta2, a.step_size,
                                                  a.bias_correction2_sqrt, eps);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

}  // namespace mixlaw::cuda
