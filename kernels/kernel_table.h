// The backend boundary of the Llama trainer: every operation the model needs, as a table of
// functions over buffers the backend allocates. The CPU backend's buffers are host memory and its
// functions are kernels/cpu/ops.h; a GPU backend supplies device buffers and its own kernels
// with the same shapes and the same accumulate-into-gradients contract. The model, the data
// loader, checkpoints and metric lines are shared; only this table differs.
#ifndef MIXLAW_KERNELS_KERNEL_TABLE_H_
#define MIXLAW_KERNELS_KERNEL_TABLE_H_

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/ops.h"

namespace mixlaw {

struct KernelTable {
  const char* name;  // "cpu", "cuda"
  // Memory: n floats (or int32s), zero-filled; copies between the backend and the host.
  float* (*alloc)(size_t n);
  int32_t* (*alloc_int)(size_t n);
  void (*free)(void* p);
  void (*zero)(float* p, size_t n);
  void (*to_host)(float* host, const float* buffer, size_t n);
  void (*from_host)(float* buffer, const float* host, size_t n);
  void (*ints_from_host)(int32_t* buffer, const int32_t* host, size_t n);
  // Scales n floats in place.
  void (*scale)(float* x, float factor, int64_t n);

  decltype(&cpu::MatmulForward) matmul_forward;
  decltype(&cpu::MatmulBackward) matmul_backward;
  decltype(&cpu::EmbeddingForward) embedding_forward;
  decltype(&cpu::EmbeddingBackward) embedding_backward;
  decltype(&cpu::RmsNormForward) rmsnorm_forward;
  decltype(&cpu::RmsNormBackward) rmsnorm_backward;
  decltype(&cpu::RopeTable) rope_table;
  decltype(&cpu::RopeForward) rope_forward;
  decltype(&cpu::RopeBackward) rope_backward;
  decltype(&cpu::AttentionForward) attention_forward;
  decltype(&cpu::AttentionBackward) attention_backward;
  decltype(&cpu::SwigluForward) swiglu_forward;
  decltype(&cpu::SwigluBackward) swiglu_backward;
  decltype(&cpu::CrossEntropyForward) cross_entropy_forward;
  decltype(&cpu::CrossEntropyBackward) cross_entropy_backward;
  decltype(&cpu::AddInPlace) add_in_place;
  decltype(&cpu::SumOfSquares) sum_of_squares;
  decltype(&cpu::AdamWUpdate) adamw_update;
};

// The CPU backend (kernels/cpu/).
const KernelTable& CpuKernels();

#ifdef MIXLAW_HAVE_CUDA
// The CUDA backend (kernels/cuda/) in fp32: device buffers. Any CUDA or cuBLAS error
// aborts the process with file:line and the error string.
const KernelTable& CudaKernels();

// The CUDA backend in bf16 mixed precision (training.precision bf16): CudaKernels with the Linear
// layers' products in bf16 on the tensor cores, summed in fp32 (kernels/cuda/matmul_bf16.cu).
// Master weights, gradients, optimizer state, activations between layers, the attention
// products and every reduction (norms, softmax, loss) stay fp32.
const KernelTable& CudaBf16Kernels();
#endif

}  // namespace mixlaw

#endif  // MIXLAW_KERNELS_KERNEL_TABLE_H_
