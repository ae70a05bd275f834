#include "fitter/laws/dcpt.h"

#include <algorithm>

namespace mixlaw {

DcptLaw::DcptLaw()
    : AutoDiffLaw("dcpt", "L = E + A / N^alpha + B r^eta / D^beta + C / (r + eps)^gamma",
                  {
                      {"log_E", -5, 5},
                      {"log_A", -50, 60, Needs::kSizes, -50},
                      {"alpha", 0, 3, Needs::kSizes, 0},
                      {"log_B", -50, 60, Needs::kAlmrs, -50},
                      {"eta", 0, 3, Needs::kAlmrs, 0},
                      {"beta", 0, 3, Needs::kTokens, 0},
                      {"log_C", -50, 10, Needs::kAlmrs, -50},
                      {"gamma", 0, 3, Needs::kAlmrs, 0},
                  }) {}

// E below the lowest loss; the rest shared by the three terms at the data's typical point.
std::vector<std::vector<double>> DcptLaw::InitialGrid(const DataRange& range) const {
  const double ln_n = std::log(range.geo_params);
  const double ln_d = std::log(std::max(range.geo_tokens, 1.0));
  const double ln_r = std::log(std::max(range.median_almr, 0.05));
  const double ln_r_eps = std::log(range.median_almr + kCouplingEps);
  std::vector<std::vector<double>> grid;
  for (const std::vector<double>& a :
       ProductGrid({{0.3, 0.7}, {0.2, 0.5}, {0.2, 0.6}, {0.2, 0.5}, {0.1, 0.5}})) {
    const double E = a[0] * range.min_value;
    const double third = std::log((range.min_value - E) / 3);
    const double alpha = a[1], eta = a[2], beta = a[3], gamma = a[4];
    grid.push_back({std::log(E), third + alpha * ln_n, alpha, third - eta * ln_r + beta * ln_d, eta,
                    beta, third + gamma * ln_r_eps, gamma});
  }
  return grid;
}

}  // namespace mixlaw
