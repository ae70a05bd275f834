// Token embedding: a row gather forward, a deterministic scatter-add backward.
//
// The backward pass adds no floats with atomics. The tokens are copied to the host and grouped
// by vocabulary row with a stable sort (N small integers: microseconds, once per micro-batch, as
// llm.c does); then one thread block per distinct token and one thread per channel walks that
// token's positions in order: dwte[v, c] = ((dwte[v, c] + dout[n0, c]) + dout[n1, c]) + ...,
// exactly the CPU backend's order, so both give the same bits.
#include <algorithm>
#include <numeric>
#include <vector>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kThreads = 256;

// out (N, C), tokens (N), wte (V, C). One thread per element.
__global__ void EmbeddingForwardKernel(float* out, const int32_t* tokens, const float* wte, int N,
                                       int C) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<int64_t>(N) * C) return;
  const int64_t n = i / C;
  const int64_t c = i % C;
  out[i] = wte[static_cast<int64_t>(tokens[n]) * C + c];
}

// Block b (grid.x) handles vocabulary row rows[b]; positions[begin[b] .. begin[b + 1]) are its
// token positions in increasing order. grid.y * blockDim.x threads cover the channels.
__global__ void EmbeddingBackwardKernel(float* dwte, const float* dout, const int32_t* rows,
                                        const int32_t* begin, const int32_t* positions, int C) {
  const int c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int b = blockIdx.x;
  float* dst = dwte + static_cast<int64_t>(rows[b]) * C + c;
  float acc = *dst;
  for (int i = begin[b]; i < begin[b + 1]; ++i) {
    acc += dout[static_cast<int64_t>(positions[i]) * C + c];
  }
  *dst = acc;
}

}  // namespace

void EmbeddingForward(float* out, const int32_t* tokens, const float* wte, int N, int C) {
  const int64_t total = static_cast<int64_t>(N) * C;
  if (total == 0) return;
  EmbeddingForwardKernel<<<CeilDiv(total, kThreads), kThreads>>>(out, tokens, wte, N, C);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

void EmbeddingBackward(float* dwte, const float* dout, const int32_t* tokens, int N, int C) {
  if (N == 0 || C == 0) return;
  std::vector<int32_t> host_tokens(static_cast<size_t>(N));
  MIXLAW_CUDA_CHECK(
      cudaMemcpy(host_tokens.data(), tokens, sizeof(int32_t) * N, cudaMemcpyDeviceToHost));
  // positions: 0..N-1 stably sorted by token; then one bucket per distinct token.
  std::vector<int32_t> positions(static_cast<size_t>(N));
  std::iota(positions.begin(), positions.end(), 0);
  std::stable_sort(positions.begin(), positions.end(),
                   [&](int32_t a, int32_t b) { return host_tokens[a] < host_tokens[b]; });
  // One host buffer, one copy: rows (num_rows), begin (num_rows + 1), positions (N).
  std::vector<int32_t> rows;
  std::vector<int32_t> begin;
  for (int32_t i = 0; i < N; ++i) {
    const int32_t token = host_tokens[positions[i]];
    if (rows.empty() || rows.back() != token) {
      rows.push_back(token);
      begin.push_back(i);
    }
  }
  begin.push_back(N);
  const int num_rows = static_cast<int>(rows.size());
  std::vector<int32_t> packed;
  packed.reserve(rows.size() + begin.size() + positions.size());
  packed.insert(packed.end(), rows.begin(), rows.end());
  packed.insert(packed.end(), begin.begin(), begin.end());
  packed.insert(packed.end(), positions.begin(), positions.end());
  auto* device = static_cast<int32_t*>(Scratch(sizeof(int32_t) * packed.size()));
  MIXLAW_CUDA_CHECK(
      cudaMemcpy(device, packed.data(), sizeof(int32_t) * packed.size(), cudaMemcpyHostToDevice));
  const dim3 grid(static_cast<unsigned>(num_rows), static_cast<unsigned>(CeilDiv(C, kThreads)));
  EmbeddingBackwardKernel<<<grid, kThreads>>>(dwte, dout, device, device + num_rows,
                                              device + 2 * num_rows + 1, C);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

}  // namespace mixlaw::cuda
