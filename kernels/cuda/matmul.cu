// Matmul: the bias-free Linear layer, out = inp @ weight^T, and its backward, through cuBLAS.
//
// cuBLAS is column-major; a row-major (R, S) matrix with row stride ld is the column-major
// (S, R) matrix with leading dimension ld, its transpose. So the row-major C = op(A) op(B) is
// computed as the column-major C^T = op(B)^T op(A)^T: the operands swap places, and each keeps
// its own transpose flag.
//
// fp32 mode: CUBLAS_COMPUTE_32F with the handle in CUBLAS_DEFAULT_MATH (kernel_table.cu), so no
// TF32 tensor cores: each output is an fp32 sum, differing from the CPU backend's Eigen products
// only in the order of the additions (relative differences around sqrt(K) x 6e-8).
#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {

void RowMajorGemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                  int lda, int64_t stride_a, const float* B, int ldb, int64_t stride_b, float beta,
                  float* C, int ldc, int64_t stride_c, int batch) {
  if (M == 0 || N == 0 || batch == 0) return;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (batch == 1) {
    MIXLAW_CUBLAS_CHECK(cublasGemmEx(CublasHandle(), op_b, op_a, N, M, K, &alpha, B, CUDA_R_32F,
                                     ldb, A, CUDA_R_32F, lda, &beta, C, CUDA_R_32F, ldc,
                                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  } else {
    MIXLAW_CUBLAS_CHECK(cublasGemmStridedBatchedEx(CublasHandle(), op_b, op_a, N, M, K, &alpha, B,
                                                   CUDA_R_32F, ldb, stride_b, A, CUDA_R_32F, lda,
                                                   stride_a, &beta, C, CUDA_R_32F, ldc, stride_c,
                                                   batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }
}

void MatmulForward(float* out, const float* inp, const float* weight, int N, int C, int OC) {
  // out (N, OC) = inp (N, C) @ weight (OC, C)^T
  RowMajorGemm(false, true, N, OC, C, 1.0f, inp, C, 0, weight, C, 0, 0.0f, out, OC, 0, 1);
}

void MatmulBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                    const float* weight, int N, int C, int OC) {
  if (dinp != nullptr) {
    // dinp (N, C) += dout (N, OC) @ weight (OC, C)
    RowMajorGemm(false, false, N, C, OC, 1.0f, dout, OC, 0, weight, C, 0, 1.0f, dinp, C, 0, 1);
  }
  // dweight (OC, C) += dout^T (OC, N) @ inp (N, C)
  RowMajorGemm(true, false, OC, C, N, 1.0f, dout, OC, 0, inp, C, 0, 1.0f, dweight, C, 0, 1);
}

}  // namespace mixlaw::cuda
