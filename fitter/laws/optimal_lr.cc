#include "fitter/laws/optimal_lr.h"

namespace mixlaw {

template <bool kCompute>
OptimalLrLaw<kCompute>::OptimalLrLaw()
    : AutoDiffLaw<OptimalLrResidual<kCompute>, 2>(
          kCompute ? "optimal-lr-compute" : "optimal-lr",
          kCompute ? "eta*(C) = a C^b, C = 6 N D" : "eta*(N) = a N^b",
          {
              {"log_a", -60, 60},
              {"b", -3, 3, kCompute ? Needs::kNothing : Needs::kSizes, 0},
          }) {}

// Exponents from flat to steep; a puts the line through the typical optimum.
template <bool kCompute>
std::vector<std::vector<double>> OptimalLrLaw<kCompute>::InitialGrid(const DataRange& range) const {
  const double ln_x =
      kCompute ? std::log(6.0 * range.geo_params * range.geo_tokens) : std::log(range.geo_params);
  std::vector<std::vector<double>> grid;
  for (double b : {-1.0, -0.5, -0.2, 0.0}) grid.push_back({std::log(range.geo_lr) - b * ln_x, b});
  return grid;
}

template class OptimalLrLaw<false>;
template class OptimalLrLaw<true>;

}  // namespace mixlaw
