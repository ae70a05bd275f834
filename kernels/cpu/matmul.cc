// Matmul: the bias-free Linear layer, out = inp @ weight^T, and its backward.
//
// Eigen would parallelise one large product by splitting it across however many threads run, and
// that split changes which micro-kernel (and so which summation order) an output element gets. To
// stay bit-identical at any thread count we tile the output ourselves, with tile bounds that depend
// only on the shapes, and run each tile as a single-threaded Eigen product: Eigen starts no threads
// of its own inside an OpenMP parallel region (nor when only one thread is allowed).
#include <algorithm>

#include "kernels/cpu/eigen.h"
#include "kernels/cpu/ops.h"

namespace mixlaw::cpu {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

// Enough tiles to keep a few threads busy, each large enough to amortise Eigen's packing.
constexpr Eigen::Index kMinTiles = 8;
constexpr Eigen::Index kMinTileSize = 32;

// dst (M, P) = lhs (M, K) @ rhs (K, P), or += when kAccumulate; parallel over fixed tiles of dst.
template <bool kAccumulate, typename Lhs, typename Rhs>
void TiledProduct(MatrixMap dst, const Lhs& lhs, const Rhs& rhs) {
  const Eigen::Index M = dst.rows();
  const Eigen::Index P = dst.cols();
  Eigen::Index tile_rows = 128;
  Eigen::Index tile_cols = 256;
  auto tiles = [&] {
    return ((M + tile_rows - 1) / tile_rows) * ((P + tile_cols - 1) / tile_cols);
  };
  while (tiles() < kMinTiles && std::max(tile_rows, tile_cols) > kMinTileSize) {
    if (tile_cols >= tile_rows) {
      tile_cols /= 2;
    } else {
      tile_rows /= 2;
    }
  }
  const Eigen::Index col_tiles = (P + tile_cols - 1) / tile_cols;
  const Eigen::Index num_tiles = tiles();
#pragma omp parallel for schedule(static)
  for (Eigen::Index tile = 0; tile < num_tiles; ++tile) {
    const Eigen::Index r0 = (tile / col_tiles) * tile_rows;
    const Eigen::Index c0 = (tile % col_tiles) * tile_cols;
    const Eigen::Index rows = std::min(tile_rows, M - r0);
    const Eigen::Index cols = std::min(tile_cols, P - c0);
    auto block = dst.block(r0, c0, rows, cols);
    if constexpr (kAccumulate) {
      block.noalias() += lhs.middleRows(r0, rows) * rhs.middleCols(c0, cols);
    } else {
      block.noalias() = lhs.middleRows(r0, rows) * rhs.middleCols(c0, cols);
    }
  }
}

}  // namespace

void MatmulForward(float* out, const float* inp, const float* weight, int N, int C, int OC) {
  ConstMatrixMap inp_m(inp, N, C);         // (N, C)
  ConstMatrixMap weight_m(weight, OC, C);  // (OC, C)
  TiledProduct<false>(MatrixMap(out, N, OC), inp_m, weight_m.transpose());
}

void MatmulBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                    const float* weight, int N, int C, int OC) {
  ConstMatrixMap dout_m(dout, N, OC);      // (N, OC)
  ConstMatrixMap inp_m(inp, N, C);         // (N, C)
  ConstMatrixMap weight_m(weight, OC, C);  // (OC, C)
  if (dinp != nullptr) {
    TiledProduct<true>(MatrixMap(dinp, N, C), dout_m, weight_m);
  }
  TiledProduct<true>(MatrixMap(dweight, OC, C), dout_m.transpose(), inp_m);
}

}  // namespace mixlaw::cpu
