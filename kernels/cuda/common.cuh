// What every kernels/cuda/ file shares: error checks, the cuBLAS handle, scratch memory and
// deterministic block reductions.
//
// Failing fast. A CUDA or cuBLAS error is a broken device, a driver problem or a bug in this
// backend, none of which a trainer can recover from, so every call is checked and a failure
// prints file:line, the failing expression and the error string, then aborts. Kernel launches
// are checked with cudaGetLastError() right after the launch; an error raised while a kernel runs
// surfaces at the next synchronising call (a copy to the host), which reports its own file:line.
//
// Streams. Everything runs on the legacy default stream, so kernels, cuBLAS calls and the
// synchronous cudaMemcpy of the kernel table are ordered without explicit synchronisation.
//
// Precision: fp32 throughout, except the bf16 products of matmul_bf16.cu (CudaBf16Kernels).
#ifndef MIXLAW_KERNELS_CUDA_COMMON_CUH_
#define MIXLAW_KERNELS_CUDA_COMMON_CUH_

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define MIXLAW_CUDA_CHECK(expr)                                                                    \
  do {                                                                                             \
    const cudaError_t mixlaw_cuda_status_ = (expr);                                                \
    if (mixlaw_cuda_status_ != cudaSuccess) {                                                      \
      std::fprintf(stderr, "%s:%d: CUDA error: %s (%s) in %s\n", __FILE__, __LINE__,               \
                   cudaGetErrorString(mixlaw_cuda_status_), cudaGetErrorName(mixlaw_cuda_status_), \
                   #expr);                                                                         \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

#define MIXLAW_CUBLAS_CHECK(expr)                                                 \
  do {                                                                            \
    const cublasStatus_t mixlaw_cublas_status_ = (expr);                          \
    if (mixlaw_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                         \
      std::fprintf(stderr, "%s:%d: cuBLAS error: %s in %s\n", __FILE__, __LINE__, \
                   cublasGetStatusString(mixlaw_cublas_status_), #expr);          \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

// Checks the launch of the kernel just started.
#define MIXLAW_CUDA_CHECK_LAUNCH() MIXLAW_CUDA_CHECK(cudaGetLastError())

namespace mixlaw::cuda {

// The process's cuBLAS handle, created on first use on the current device, in fp32 mode:
// CUBLAS_DEFAULT_MATH (no TF32 tensor cores) and no atomics, so products are plain fp32 sums,
// bit-reproducible from run to run. Not thread-safe: one trainer per process.
cublasHandle_t CublasHandle();

// A device buffer of at least `bytes` bytes for temporaries inside one kernel-table call. Grows and
// never shrinks; its contents are undefined at each call, and the next call that asks for scratch
// may reuse it. Not thread-safe.
void* Scratch(size_t bytes);

// Row-major products through cuBLAS (defined in matmul.cu), batched by fixed strides:
//   C_i (M, N) = alpha * op(A_i) (M, K) @ op(B_i) (K, N) + beta * C_i,   i < batch,
// where A_i = A + i * stride_a, op(A) = A^T when trans_a (A is then stored (K, M)), and the
// leading dimensions are the row strides of the stored matrices. fp32 in and out, fp32 compute
// (CUBLAS_COMPUTE_32F: no TF32).
void RowMajorGemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                  int lda, int64_t stride_a, const float* B, int ldb, int64_t stride_b, float beta,
                  float* C, int ldc, int64_t stride_c, int batch);

constexpr int kWarpSize = 32;

inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Sum / max over the 32 lanes of a warp by butterfly shuffles: every lane gets the result, and
// the order of the operations is fixed, so the result is deterministic.
template <typename T>
__device__ inline T WarpSum(T value) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    value += __shfl_xor_sync(0xffffffffu, value, offset);
  }
  return value;
}

__device__ inline float WarpMax(float value) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  }
  return value;
}

// Sum / max over a whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the
// result. Fixed order: warps first, then warp 0 over the warps' results. Each call synchronises
// the block, so calls may follow one another.
template <typename T>
__device__ inline T BlockSum(T value) {
  __shared__ T partial[kWarpSize];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int num_warps = blockDim.x / kWarpSize;
  value = WarpSum(value);
  __syncthreads();  // `partial` may still be read by a previous call
  if (lane == 0) partial[warp] = value;
  __syncthreads();
  value = lane < num_warps ? partial[lane] : T(0);
  return WarpSum(value);
}

__device__ inline float BlockMax(float value) {
  __shared__ float partial[kWarpSize];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int num_warps = blockDim.x / kWarpSize;
  value = WarpMax(value);
  __syncthreads();
  if (lane == 0) partial[warp] = value;
  __syncthreads();
  value = lane < num_warps ? partial[lane] : -INFINITY;
  return WarpMax(value);
}

}  // namespace mixlaw::cuda

#endif  // MIXLAW_KERNELS_CUDA_COMMON_CUH_
