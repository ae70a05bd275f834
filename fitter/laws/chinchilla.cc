#include "fitter/laws/chinchilla.h"

namespace mixlaw {

ChinchillaLaw::ChinchillaLaw()
    : AutoDiffLaw("chinchilla", "L = E + A / N^alpha + B / D^beta",
                  {
                      {"log_E", -5, 5},
                      {"log_A", -50, 60, Needs::kSizes, -50},
                      {"alpha", 0, 3, Needs::kSizes, 0},
                      {"log_B", -50, 60, Needs::kTokens, -50},
                      {"beta", 0, 3, Needs::kTokens, 0},
                  }) {}

std::vector<std::vector<double>> ChinchillaLaw::InitialGrid(const DataRange&) const {
  const std::vector<double> exponents = {0, 0.5, 1, 1.5, 2};
  const std::vector<double> coefficients = {0, 5, 10, 15, 20, 25};
  return ProductGrid({{-1, -0.5, 0, 0.5, 1}, coefficients, exponents, coefficients, exponents});
}

}  // namespace mixlaw
