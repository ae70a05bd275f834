// Causal grouped-query attention: cuBLAS strided-batched products around a fused causal softmax,
// with the softmax probabilities kept in att (B, NH, T, T) for the backward pass.
//
// Layout. q, k, v arrive as (B, T, heads, HS). They are first copied to head-major scratch
// (B, heads, T, HS), where the NH / NKV = G query heads that share kv head j are one contiguous
// (G*T, HS) matrix. Each product then runs as one strided batch over the B*NKV (batch, kv head)
// pairs, with M = G*T rows: for pair (b, j), Q_bj (G*T, HS), K_bj, V_bj (T, HS), and the G heads'
// probabilities P_bj (G*T, T), which is exactly att[b, j*G : (j+1)*G] since att is (B, NH, T, T).
//   forward:   S = scale * Q K^T  (into att),  P = causal_softmax(S)  (in place),  O = P V
//   backward:  dV = P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(P * dP)) * scale,
//              dQ = dS K,  dK = dS^T Q
// dV and dK sum over the group's G heads inside the product (K = G*T), so nothing is added with
// atomics. The products run over all T keys, so the masked upper triangle costs as much as the
// rest; a fused flash-style kernel that skips it is a later step.
//
// The softmax kernels give one warp to each row, sum in double as the CPU backend does, and write
// exact zeros above the diagonal.
#include <cmath>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/ops.h"

namespace mixlaw::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kRowsPerBlock = kThreads / kWarpSize;

// dst (B, H, T, HS) = src (B, T, H, HS) with the head and time axes swapped; one thread per
// element.
__global__ void ToHeadMajorKernel(float* dst, const float* src, int T, int H, int HS,
                                  int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int d = static_cast<int>(i % HS);
  const int t = static_cast<int>((i / HS) % T);
  const int h = static_cast<int>((i / (static_cast<int64_t>(HS) * T)) % H);
  const int64_t b = i / (static_cast<int64_t>(HS) * T * H);
  dst[i] = src[((b * T + t) * H + h) * HS + d];
}

// dst (B, T, H, HS) = src (B, H, T, HS) back in token-major order, or += when kAccumulate.
template <bool kAccumulate>
__global__ void FromHeadMajorKernel(float* dst, const float* src, int T, int H, int HS,
                                    int64_t total) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int d = static_cast<int>(i % HS);
  const int h = static_cast<int>((i / HS) % H);
  const int t = static_cast<int>((i / (static_cast<int64_t>(HS) * H)) % T);
  const int64_t b = i / (static_cast<int64_t>(HS) * H * T);
  const float value = src[((b * H + h) * T + t) * HS + d];
  if constexpr (kAccumulate) {
    dst[i] += value;
  } else {
    dst[i] = value;
  }
}

void ToHeadMajor(float* dst, const float* src, int B, int T, int H, int HS) {
  const int64_t total = static_cast<int64_t>(B) * T * H * HS;
  ToHeadMajorKernel<<<CeilDiv(total, kThreads), kThreads>>>(dst, src, T, H, HS, total);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

template <bool kAccumulate>
void FromHeadMajor(float* dst, const float* src, int B, int T, int H, int HS) {
  const int64_t total = static_cast<int64_t>(B) * T * H * HS;
  FromHeadMajorKernel<kAccumulate>
      <<<CeilDiv(total, kThreads), kThreads>>>(dst, src, T, H, HS, total);
  MIXLAW_CUDA_CHECK_LAUNCH();
}

// att (rows, T) holds scaled scores; row r is query t = r % T. Turns each row into the softmax
// over keys 0..t and zeros keys t+1..T-1. One warp per row.
__global__ void CausalSoftmaxKernel(float* att, int T, int64_t rows) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  if (row >= rows) return;
  const int t = static_cast<int>(row % T);
  float* p = att + row * T;  // (T)
  float row_max = -INFINITY;
  for (int j = lane; j <= t; j += kWarpSize) row_max = fmaxf(row_max, p[j]);
  row_max = WarpMax(row_max);
  double sum = 0.0;
  for (int j = lane; j <= t; j += kWarpSize) {
    const float e = expf(p[j] - row_max);
    p[j] = e;  // read back below by the same lane
    sum += e;
  }
  const float inv_sum = static_cast<float>(1.0 / WarpSum(sum));
  for (int j = lane; j < T; j += kWarpSize) p[j] = j <= t ? p[j] * inv_sum : 0.0f;
}

// dp (rows, T) holds dL/dP; turns it in place into dL/dS (with the score scale):
// ds_j = p_j * (dp_j - sum_i p_i dp_i) * scale for j <= t, 0 above the diagonal. One warp per row.
__global__ void CausalSoftmaxBackwardKernel(float* dp, const float* att, int T, float scale,
                                            int64_t rows) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  if (row >= rows) return;
  const int t = static_cast<int>(row % T);
  const float* p = att + row * T;  // (T)
  float* ds = dp + row * T;        // (T)
  double dot = 0.0;
  for (int j = lane; j <= t; j += kWarpSize) dot += static_cast<double>(p[j]) * ds[j];
  const float rowsum = static_cast<float>(WarpSum(dot));
  for (int j = lane; j < T; j += kWarpSize) {
    ds[j] = j <= t ? __fmul_rn(__fmul_rn(p[j], __fsub_rn(ds[j], rowsum)), scale) : 0.0f;
  }
}

// Pieces of one scratch allocation, each 256-byte aligned.
class ScratchLayout {
 public:
  // Reserves n floats; returns the offset in floats.
  int64_t Add(int64_t n) {
    const int64_t offset = size_;
    size_ += (n + 63) / 64 * 64;
    return offset;
  }
  int64_t size() const { return size_; }

 private:
  int64_t size_ = 0;
};

}  // namespace

void AttentionForward(float* out, float* att, const float* q, const float* k, const float* v, int B,
                      int T, int NH, int NKV, int HS) {
  if (B == 0 || T == 0) return;
  const int G = NH / NKV;  // query heads per kv head
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const int64_t q_size = static_cast<int64_t>(B) * T * NH * HS;
  const int64_t kv_size = static_cast<int64_t>(B) * T * NKV * HS;
  ScratchLayout layout;
  const int64_t q_at = layout.Add(q_size), k_at = layout.Add(kv_size), v_at = layout.Add(kv_size),
                o_at = layout.Add(q_size);
  float* scratch = static_cast<float*>(Scratch(sizeof(float) * layout.size()));
  float* qh = scratch + q_at;  // (B, NH, T, HS)
  float* kh = scratch + k_at;  // (B, NKV, T, HS)
  float* vh = scratch + v_at;  // (B, NKV, T, HS)
  float* oh = scratch + o_at;  // (B, NH, T, HS)
  ToHeadMajor(qh, q, B, T, NH, HS);
  ToHeadMajor(kh, k, B, T, NKV, HS);
  ToHeadMajor(vh, v, B, T, NKV, HS);
  const int M = G * T;                                     // rows of one (batch, kv head) pair
  const int64_t q_stride = static_cast<int64_t>(M) * HS;   // Q_bj, O_bj (G*T, HS)
  const int64_t kv_stride = static_cast<int64_t>(T) * HS;  // K_bj, V_bj (T, HS)
  const int64_t att_stride = static_cast<int64_t>(M) * T;  // P_bj (G*T, T)
  const int pairs = B * NKV;
  // S (G*T, T) = scale * Q (G*T, HS) @ K (T, HS)^T, into att.
  RowMajorGemm(false, true, M, T, HS, scale, qh, HS, q_stride, kh, HS, kv_stride, 0.0f, att, T,
               att_stride, pairs);
  const int64_t rows = static_cast<int64_t>(B) * NH * T;
  CausalSoftmaxKernel<<<CeilDiv(rows, kRowsPerBlock), kThreads>>>(att, T, rows);
  MIXLAW_CUDA_CHECK_LAUNCH();
  // O (G*T, HS) = P (G*T, T) @ V (T, HS)
  RowMajorGemm(false, false, M, HS, T, 1.0f, att, T, att_stride, vh, HS, kv_stride, 0.0f, oh, HS,
               q_stride, pairs);
  FromHeadMajor<false>(out, oh, B, T, NH, HS);
}

void AttentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* att,
                       const float* q, const float* k, const float* v, int B, int T, int NH,
                       int NKV, int HS) {
  if (B == 0 || T == 0) return;
  const int G = NH / NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
  const int64_t q_size = static_cast<int64_t>(B) * T * NH * HS;
  const int64_t kv_size = static_cast<int64_t>(B) * T * NKV * HS;
  const int64_t att_size = static_cast<int64_t>(B) * NH * T * T;
  ScratchLayout layout;
  const int64_t q_at = layout.Add(q_size), k_at = layout.Add(kv_size), v_at = layout.Add(kv_size),
                do_at = layout.Add(q_size), dq_at = layout.Add(q_size), dk_at = layout.Add(kv_size),
                dv_at = layout.Add(kv_size), ds_at = layout.Add(att_size);
  float* scratch = static_cast<float*>(Scratch(sizeof(float) * layout.size()));
  float* qh = scratch + q_at;    // (B, NH, T, HS)
  float* kh = scratch + k_at;    // (B, NKV, T, HS)
  float* vh = scratch + v_at;    // (B, NKV, T, HS)
  float* doh = scratch + do_at;  // (B, NH, T, HS)
  float* dqh = scratch + dq_at;  // (B, NH, T, HS)
  float* dkh = scratch + dk_at;  // (B, NKV, T, HS)
  float* dvh = scratch + dv_at;  // (B, NKV, T, HS)
  float* ds = scratch + ds_at;   // (B, NH, T, T): dP, then dS
  ToHeadMajor(qh, q, B, T, NH, HS);
  ToHeadMajor(kh, k, B, T, NKV, HS);
  ToHeadMajor(vh, v, B, T, NKV, HS);
  ToHeadMajor(doh, dout, B, T, NH, HS);
  const int M = G * T;
  const int64_t q_stride = static_cast<int64_t>(M) * HS;
  const int64_t kv_stride = static_cast<int64_t>(T) * HS;
  const int64_t att_stride = static_cast<int64_t>(M) * T;
  const int pairs = B * NKV;
  // dV (T, HS) = P^T (T, G*T) @ dO (G*T, HS): sums over the group's heads.
  RowMajorGemm(true, false, T, HS, M, 1.0f, att, T, att_stride, doh, HS, q_stride, 0.0f, dvh, HS,
               kv_stride, pairs);
  // dP (G*T, T) = dO (G*T, HS) @ V (T, HS)^T
  RowMajorGemm(false, true, M, T, HS, 1.0f, doh, HS, q_stride, vh, HS, kv_stride, 0.0f, ds, T,
               att_stride, pairs);
  const int64_t rows = static_cast<int64_t>(B) * NH * T;
  CausalSoftmaxBackwardKernel<<<CeilDiv(rows, kRowsPerBlock), kThreads>>>(ds, att, T, scale, rows);
  MIXLAW_CUDA_CHECK_LAUNCH();
  // dQ (G*T, HS) = dS (G*T, T) @ K (T, HS)
  RowMajorGemm(false, false, M, HS, T, 1.0f, ds, T, att_stride, kh, HS, kv_stride, 0.0f, dqh, HS,
               q_stride, pairs);
  // dK (T, HS) = dS^T (T, G*T) @ Q (G*T, HS): sums over the group's heads.
  RowMajorGemm(true, false, T, HS, M, 1.0f, ds, T, att_stride, qh, HS, q_stride, 0.0f, dkh, HS,
               kv_stride, pairs);
  FromHeadMajor<true>(dq, dqh, B, T, NH, HS);
  FromHeadMajor<true>(dk, dkh, B, T, NKV, HS);
  FromHeadMajor<true>(dv, dvh, B, T, NKV, HS);
}

}  // namespace mixlaw::cuda
