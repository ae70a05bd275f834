// The CUDA backend's kernel table: device memory from cudaMalloc and the kernels of
// kernels/cuda/ops.h, plus the state they share: the cuBLAS handle and the scratch buffer.
//
// fp32 only in this first step (bf16 mixed precision comes later). Every CUDA and cuBLAS call is
// checked and aborts the process with file:line and the error string (common.cuh): a trainer
// whose GPU fails cannot go on, and failing at once keeps the cause next to the message.
//
// The handle and the scratch buffer are created on first use and never freed: they live until the
// process exits, when the driver reclaims them (freeing them from static destructors would race the
// CUDA runtime's own teardown). Neither is thread-safe: one trainer per process.
#include <algorithm>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"
#include "kernels/kernel_table.h"

namespace mixlaw {
namespace cuda {

cublasHandle_t CublasHandle() {
  static const cublasHandle_t handle = [] {
    cublasHandle_t h = nullptr;
    MIXLAW_CUBLAS_CHECK(cublasCreate(&h));
    // fp32 mode: no TF32 tensor cores (CUBLAS_DEFAULT_MATH; the products also ask for
    // CUBLAS_COMPUTE_32F), and no atomics, so that results are bit-reproducible.
    MIXLAW_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
    MIXLAW_CUBLAS_CHECK(cublasSetAtomicsMode(h, CUBLAS_ATOMICS_NOT_ALLOWED));
    MIXLAW_CUBLAS_CHECK(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST));
    return h;
  }();
  return handle;
}

void* Scratch(size_t bytes) {
  static void* buffer = nullptr;
  static size_t capacity = 0;
  if (bytes > capacity) {
    // Kernels queued earlier may still read the old buffer.
    MIXLAW_CUDA_CHECK(cudaDeviceSynchronize());
    MIXLAW_CUDA_CHECK(cudaFree(buffer));
    constexpr size_t kGranule = size_t{1} << 20;
    capacity = std::max(bytes, capacity + capacity / 2);
    capacity = (capacity + kGranule - 1) / kGranule * kGranule;
    MIXLAW_CUDA_CHECK(cudaMalloc(&buffer, capacity));
  }
  return buffer;
}

}  // namespace cuda

namespace {

// n elements of T on the device, zero-filled (256-byte aligned, as cudaMalloc gives).
template <typename T>
T* Allocate(size_t n) {
  const size_t bytes = std::max<size_t>(n, 1) * sizeof(T);
  void* p = nullptr;
  MIXLAW_CUDA_CHECK(cudaMalloc(&p, bytes));
  MIXLAW_CUDA_CHECK(cudaMemset(p, 0, bytes));
  return static_cast<T*>(p);
}

void Copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return;
  MIXLAW_CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
}

}  // namespace

const KernelTable& CudaKernels() {
  static const KernelTable table = {
      "cuda",
      [](size_t n) { return Allocate<float>(n); },
      [](size_t n) { return Allocate<int32_t>(n); },
      [](void* p) { MIXLAW_CUDA_CHECK(cudaFree(p)); },
      [](float* p, size_t n) {
        if (n > 0) MIXLAW_CUDA_CHECK(cudaMemset(p, 0, n * sizeof(float)));
      },
      [](float* host, const float* buffer, size_t n) {
        Copy(host, buffer, n * sizeof(float), cudaMemcpyDeviceToHost);
      },
      [](float* buffer, const float* host, size_t n) {
        Copy(buffer, host, n * sizeof(float), cudaMemcpyHostToDevice);
      },
      [](int32_t* buffer, const int32_t* host, size_t n) {
        Copy(buffer, host, n * sizeof(int32_t), cudaMemcpyHostToDevice);
      },
      &cuda::Scale,
      &cuda::MatmulForward,
      &cuda::MatmulBackward,
      &cuda::EmbeddingForward,
      &cuda::EmbeddingBackward,
      &cuda::RmsNormForward,
      &cuda::RmsNormBackward,
      &cuda::RopeTable,
      &cuda::RopeForward,
      &cuda::RopeBackward,
      &cuda::AttentionForward,
      &cuda::AttentionBackward,
      &cuda::SwigluForward,
      &cuda::SwigluBackward,
      &cuda::CrossEntropyForward,
      &cuda::CrossEntropyBackward,
      &cuda::AddInPlace,
      &cuda::SumOfSquares,
      &cuda::AdamWUpdate,
  };
  return table;
}

const KernelTable& CudaBf16Kernels() {
  static const KernelTable table = [] {
    KernelTable t = CudaKernels();
    t.name = "cuda-bf16";
    t.matmul_forward = &cuda::MatmulForwardBf16;
    t.matmul_backward = &cuda::MatmulBackwardBf16;
    return t;
  }();
  return table;
}

}  // namespace mixlaw
