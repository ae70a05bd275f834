// Matmul in bf16 mixed precision: the same layer and contract as matmul.cu, with both operands of
// every product rounded to bf16 and the products summed in fp32 on the tensor cores.
//
// The model keeps fp32 master weights, fp32 gradients, fp32 optimizer state and fp32 activations
// between layers; only the products see bf16, as under PyTorch's bf16 autocast. Each call rounds
// its fp32 operands into bf16 copies in scratch memory (round to nearest even), then runs
// cublasGemmEx with CUDA_R_16BF inputs, an fp32 output and CUBLAS_COMPUTE_32F, so the outputs,
// and the gradients accumulated into (beta = 1), stay fp32. bf16 keeps 8 bits of mantissa: each
// operand carries a relative rounding error up to 2^-9, and a product of K terms differs from the
// fp32 one by about sqrt(K) x 2^-9 relative to the norm of its terms.
#include <cuda_bf16.h>

#include <algorithm>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {

namespace {

__global__ void RoundToBf16Kernel(__nv_bfloat16* out, const float* in, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = __float2bfloat16_rn(in[i]);
  }
}

void RoundToBf16(__nv_bfloat16* out, const float* in, int64_t n) {
  if (n == 0) return;
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((n + threads - 1) / threads, 65535));
  RoundToBf16Kernel<<<blocks, threads>>>(out, in, n);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

// Three bf16 operand copies of n0, n1 and n2 elements, in one scratch buffer.
struct Bf16Operands {
  __nv_bfloat16* a;
  __nv_bfloat16* b;
  __nv_bfloat16* c;
};

Bf16Operands ScratchOperands(int64_t n0, int64_t n1, int64_t n2) {
  // Each copy starts 256-byte aligned, as cuBLAS prefers.
  auto round_up = [](int64_t n) { return (n + 127) / 128 * 128; };
  auto* base = static_cast<__nv_bfloat16*>(
      Scratch(sizeof(__nv_bfloat16) * (round_up(n0) + round_up(n1) + round_up(n2))));
  return {base, base + round_up(n0), base + round_up(n0) + round_up(n1)};
}

// Row-major C (M, N) = alpha op(A) op(B) + beta C, A and B in bf16, C in fp32 (matmul.cu explains
// the operand swap for column-major cuBLAS).
void RowMajorGemmBf16(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                      const __nv_bfloat16* A, int lda, const __nv_bfloat16* B, int ldb, float beta,
                      float* C, int ldc) {
  if (M == 0 || N == 0) return;
  MIXLAW_CUBLAS_CHECK(cublasGemmEx(CublasHandle(), trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                   trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B,
                                   CUDA_R_16BF, ldb, A, CUDA_R_16BF, lda, &beta, C, CUDA_R_32F, ldc,
                                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void MatmulForwardBf16(float* out, const float* inp, const float* weight, int N, int C, int OC) {
  // out (N, OC) = inp (N, C) @ weight (OC, C)^T
  const int64_t n_inp = static_cast<int64_t>(N) * C, n_weight = static_cast<int64_t>(OC) * C;
  Bf16Operands ops = ScratchOperands(n_inp, n_weight, 0);
  RoundToBf16(ops.a, inp, n_inp);
  RoundToBf16(ops.b, weight, n_weight);
  RowMajorGemmBf16(false, true, N, OC, C, 1.0f, ops.a, C, ops.b, C, 0.0f, out, OC);
}

void MatmulBackwardBf16(float* dinp, float* dweight, const float* dout, const float* inp,
                        const float* weight, int N, int C, int OC) {
  const int64_t n_dout = static_cast<int64_t>(N) * OC, n_inp = static_cast<int64_t>(N) * C,
                n_weight = static_cast<int64_t>(OC) * C;
  Bf16Operands ops = ScratchOperands(n_dout, n_inp, dinp != nullptr ? n_weight : 0);
  RoundToBf16(ops.a, dout, n_dout);
  RoundToBf16(ops.b, inp, n_inp);
  if (dinp != nullptr) {
    // dinp (N, C) += dout (N, OC) @ weight (OC, C)
    RoundToBf16(ops.c, weight, n_weight);
    RowMajorGemmBf16(false, false, N, C, OC, 1.0f, ops.a, OC, ops.c, C, 1.0f, dinp, C);
  }
  // dweight (OC, C) += dout^T (OC, N) @ inp (N, C)
  RowMajorGemmBf16(true, false, OC, C, N, 1.0f, ops.a, OC, ops.b, C, 1.0f, dweight, C);
}

}  // namespace mixlaw::cuda
