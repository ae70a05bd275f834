#include "fitter/laws/optimal_lr.h"

namespace mixlaw {

template <bool kCompute>
    OptimalLrLaw<kCompute>::OptimalLrLaw()
    : AutoDiffLaw < OptimalLrResidual<kCompute>,
kCompute ? 2
         : 3 > (kCompute ? "optimal-lr-compute" : "optimal-lr",
                kCompute ? "eta*(C) = a C^b, C = 6 N D" : "eta*(N, D) = a N^b D^z",
                kCompute ? std::vector<ParameterSpec>{{"log_a", -60, 60}, {"b", -3, 3}}
                         : std::vector<ParameterSpec>{{"log_a", -60, 60},
                                                      {"b", -3, 3, Needs::kSizes, 0},
                                                      {"z", -3, 3, Needs::kTokens, 0}}) {}

// Exponents from flat to steep; a puts the line through the typical optimum.
template <bool kCompute>
std::vector<std::vector<double>> OptimalLrLaw<kCompute>::InitialGrid(const DataRange& range) const {
  const double ln_x =
      kCompute ? std::log(6.0 * range.geo_params * range.geo_tokens) : std::log(range.geo_params);
  std::vector<std::vector<double>> grid;
  for (double b : {-1.0, -0.5, -0.2, 0.0}) {
    if (kCompute) {
      grid.push_back({std::log(range.geo_lr) - b * ln_x, b});
    } else {
      for (double z : {0.0, 0.3}) {  // flat in D, and as Step Law finds it
        const double ln_d = range.token_budgets >= 2 ? std::log(range.geo_tokens) : 0.0;
        grid.push_back({std::log(range.geo_lr) - b * ln_x - z * ln_d, b, z});
      }
    }
  }
  return grid;
}

template class OptimalLrLaw<false>;
template class OptimalLrLaw<true>;

}  // namespace mixlaw
