// The CPU backend's kernel table: host memory and kernels/cpu/ops.h.
#include "kernels/kernel_table.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace mixlaw {

namespace {

template <typename T>
T* Allocate(size_t n) {
  // 64-byte alignment for vector loads; zero-filled like the other backends.
  size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes == 0 ? 64 : bytes);
  return static_cast<T*>(p);
}

void Scale(float* x, float factor, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= factor;
}

}  // namespace

const KernelTable& CpuKernels() {
  static const KernelTable table = {
      "cpu",
      [](size_t n) { return Allocate<float>(n); },
      [](size_t n) { return Allocate<int32_t>(n); },
      [](void* p) { std::free(p); },
      [](float* p, size_t n) { std::memset(p, 0, n * sizeof(float)); },
      [](float* host, const float* buffer, size_t n) {
        std::memcpy(host, buffer, n * sizeof(float));
      },
      [](float* buffer, const float* host, size_t n) {
        std::memcpy(buffer, host, n * sizeof(float));
      },
      [](int32_t* buffer, const int32_t* host, size_t n) {
        std::memcpy(buffer, host, n * sizeof(int32_t));
      },
      &Scale,
      &cpu::MatmulForward,
      &cpu::MatmulBackward,
      &cpu::EmbeddingForward,
      &cpu::EmbeddingBackward,
      &cpu::RmsNormForward,
      &cpu::RmsNormBackward,
      &cpu::RopeTable,
      &cpu::RopeForward,
      &cpu::RopeBackward,
      &cpu::AttentionForward,
      &cpu::AttentionBackward,
      &cpu::SwigluForward,
      &cpu::SwigluBackward,
      &cpu::CrossEntropyForward,
      &cpu::CrossEntropyBackward,
      &cpu::AddInPlace,
      &cpu::SumOfSquares,
      &cpu::AdamWUpdate,
  };
  return table;
}

}  // namespace mixlaw
