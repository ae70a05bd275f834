// Causal grouped-query attention with the softmax probabilities kept for the backward pass.
//
// Per (batch, head) the work is three or four small matrix products, run through Eigen on strided
// views of q, k, v (B, T, heads, HS). Rows are processed in blocks of kRowBlock queries: a block
// only needs the keys up to its last query, which skips most of the masked upper triangle.
// Threads split (batch, head) pairs in the forward pass and (batch, kv head) pairs in the backward
// pass, where the query heads of one group add into the same dk, dv in a fixed order. Eigen starts
// no threads of its own inside an OpenMP parallel region, so each product runs single-threaded and
// results do not depend on the thread count.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using StridedMap = Eigen::Map<RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using ConstStridedMap = Eigen::Map<const RowMatrix, Eigen::Unaligned, Eigen::OuterStride<>>;

constexpr int kRowBlock = 32;

// The (T, HS) matrix of one head inside a (B, T, heads, HS) buffer.
template <typename Map, typename Pointer>
Map HeadView(Pointer base, int b, int head, int T, int heads, int HS) {
  const int64_t offset = (static_cast<int64_t>(b) * T * heads + head) * HS;
  return Map(base + offset, T, HS, Eigen::OuterStride<>(static_cast<int64_t>(heads) * HS));
}

// sum_j a_j b_j over n floats, in double, in a fixed order (four interleaved partial sums, so the
// adds overlap).
double DotInDouble(const float* a, const float* b, int n) {
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    for (int lane = 0; lane < 4; ++lane) {
      sum[lane] += static_cast<double>(a[j + lane]) * b[j + lane];
    }
  }
  for (; j < n; ++j) {
    sum[0] += static_cast<double>(a[j]) * b[j];
  }
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

// Turns n raw scores QK^T into softmax(scale * scores), in place. Eigen's vectorised exp; the sum
// of the exponentials runs in double.
void SoftmaxRow(float* p, int n, float scale) {
  Eigen::Map<Eigen::ArrayXf> row(p, n);
  row *= scale;
  const float max = row.maxCoeff();
  row = (row - max).exp();
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    for (int lane = 0; lane < 4; ++lane) {
      sum[lane] += p[j + lane];
    }
  }
  for (; j < n; ++j) {
    sum[0] += p[j];
  }
  row *= static_cast<float>(1.0 / ((sum[0] + sum[1]) + (sum[2] + sum[3])));
}

}  // namespace

void AttentionForward(float* out, float* att, const float* q, const float* k, const float* v, int B,
                      int T, int NH, int NKV, int HS) {
  const int group = NH / NKV;  // query heads per kv head
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
#pragma omp parallel for schedule(dynamic, 1)
  for (int bh = 0; bh < B * NH; ++bh) {
    const int b = bh / NH;
    const int h = bh % NH;
    ConstStridedMap Q = HeadView<ConstStridedMap>(q, b, h, T, NH, HS);           // (T, HS)
    ConstStridedMap K = HeadView<ConstStridedMap>(k, b, h / group, T, NKV, HS);  // (T, HS)
    ConstStridedMap V = HeadView<ConstStridedMap>(v, b, h / group, T, NKV, HS);  // (T, HS)
    StridedMap O = HeadView<StridedMap>(out, b, h, T, NH, HS);                   // (T, HS)
    Eigen::Map<RowMatrix> P(att + static_cast<int64_t>(bh) * T * T, T, T);       // (T, T)
    for (int r0 = 0; r0 < T; r0 += kRowBlock) {
      const int rows = std::min(kRowBlock, T - r0);
      const int keys = r0 + rows;  // queries r0..keys-1 see keys 0..keys-1
      auto S = P.block(r0, 0, rows, keys);
      S.noalias() = Q.middleRows(r0, rows) * K.topRows(keys).transpose();
      for (int i = 0; i < rows; ++i) {
        const int t = r0 + i;
        float* p = P.data() + static_cast<int64_t>(t) * T;
        SoftmaxRow(p, t + 1, scale);
        std::fill(p + t + 1, p + T, 0.0f);
      }
      O.middleRows(r0, rows).noalias() = S * V.topRows(keys);
    }
  }
}

// With S = scale * Q K^T, P = softmax(S) (causal), O = P V:
//   dV = P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(P * dP)),
//   dQ = scale * dS K,  dK = scale * dS^T Q.
void AttentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* att,
                       const float* q, const float* k, const float* v, int B, int T, int NH,
                       int NKV, int HS) {
  const int group = NH / NKV;
  const float scale = 1.0f / std::sqrt(static_cast<float>(HS));
#pragma omp parallel for schedule(dynamic, 1)
  for (int bkv = 0; bkv < B * NKV; ++bkv) {
    const int b = bkv / NKV;
    const int kvh = bkv % NKV;
    ConstStridedMap K = HeadView<ConstStridedMap>(k, b, kvh, T, NKV, HS);  // (T, HS)
    ConstStridedMap V = HeadView<ConstStridedMap>(v, b, kvh, T, NKV, HS);  // (T, HS)
    StridedMap dK = HeadView<StridedMap>(dk, b, kvh, T, NKV, HS);          // (T, HS)
    StridedMap dV = HeadView<StridedMap>(dv, b, kvh, T, NKV, HS);          // (T, HS)
    RowMatrix dS(kRowBlock, T);  // one row block of dP, then of dS
    for (int h = kvh * group; h < (kvh + 1) * group; ++h) {
      ConstStridedMap Q = HeadView<ConstStridedMap>(q, b, h, T, NH, HS);      // (T, HS)
      ConstStridedMap dO = HeadView<ConstStridedMap>(dout, b, h, T, NH, HS);  // (T, HS)
      StridedMap dQ = HeadView<StridedMap>(dq, b, h, T, NH, HS);              // (T, HS)
      Eigen::Map<const RowMatrix> P(att + (static_cast<int64_t>(b) * NH + h) * T * T, T,
                                    T);  // (T, T)
      for (int r0 = 0; r0 < T; r0 += kRowBlock) {
        const int rows = std::min(kRowBlock, T - r0);
        const int keys = r0 + rows;
        auto P_block = P.block(r0, 0, rows, keys);
        auto dS_block = dS.block(0, 0, rows, keys);
        dV.topRows(keys).noalias() += P_block.transpose() * dO.middleRows(r0, rows);
        dS_block.noalias() = dO.middleRows(r0, rows) * V.topRows(keys).transpose();
        for (int i = 0; i < rows; ++i) {
          const int t = r0 + i;
          const float* p = P.data() + static_cast<int64_t>(t) * T;
          float* ds = dS.data() + static_cast<int64_t>(i) * T;
          const float rowsum = static_cast<float>(DotInDouble(p, ds, t + 1));
          for (int j = 0; j <= t; ++j) {
            ds[j] = p[j] * (ds[j] - rowsum) * scale;
          }
          std::fill(ds + t + 1, ds + keys, 0.0f);
        }
        dQ.middleRows(r0, rows).noalias() += dS_block * K.topRows(keys);
        dK.topRows(keys).noalias() += dS_block.transpose() * Q.middleRows(r0, rows);
      }
    }
  }
}

}  // namespace mixlaw::cpu
