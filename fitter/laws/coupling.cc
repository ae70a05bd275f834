#include "fitter/laws/coupling.h"

#include <algorithm>

namespace mixlaw {

namespace {

// Parameters shared by both splits; `g_name` and `g_exponent` name G's coefficient and exponent.
std::vector<ParameterSpec> CouplingParameters(const char* g_name, const char* g_exponent,
                                              double g_exponent_held) {
  return {
      {"log_E", -5, 4},
      {"log_A", -50, 60, Needs::kSizes, -50},
      {"alpha", 0, 2, Needs::kSizes, 0},
      {g_name, -50, 10, Needs::kAlmrs, -50},
      {g_exponent, 0, 3, Needs::kAlmrs, g_exponent_held},
      {"K", 0, 10},
      {"c", -50, 50},
      {"gamma", -3, 3, Needs::kAlmrs, 0},
      {"delta", -1, 2, Needs::kSizes, 0},
      {"zeta", -2, 2, Needs::kTokens, kCouplingHeldTokenTerms[0]},
      {"log_T", -50, 60, Needs::kTokens, kCouplingHeldTokenTerms[1]},
      {"tau", 0, 2, Needs::kTokens, kCouplingHeldTokenTerms[2]},
  };
}

// Starts that put the floor E below the lowest loss, share the rest between the size, mixture
// and (when the budgets vary) token terms, and centre each start's optimum on the swept LRs.
// `ln_shape_at_median` gives ln of G's shape at the median ALMR for an exponent.
template <typename ShapeAt>
std::vector<std::vector<double>> CouplingGrid(const DataRange& range,
                                              const std::vector<double>& g_exponents,
                                              ShapeAt ln_shape_at_median) {
  const double ln_n = std::log(range.geo_params);
  const double ln_r_eps = std::log(range.median_almr + kCouplingEps);
  const bool tokens_vary = range.token_budgets >= 2;
  const double ln_d = tokens_vary ? std::log(range.geo_tokens) : 0.0;
  const double terms = tokens_vary ? 3.0 : 2.0;  // the terms the excess over E is shared by
  std::vector<std::vector<double>> grid;
  for (const std::vector<double>& axes : ProductGrid({{0.3, 0.7},      // E / lowest loss
                                                      {0.2, 0.5},      // alpha
                                                      g_exponents,     // beta or phi
                                                      {0.03, 0.3},     // K
                                                      {-0.5, 0, 0.5},  // gamma
                                                      {0, 0.3}})) {    // delta
    const double E = axes[0] * range.min_value;
    const double share = std::log((range.min_value - E) / terms);
    std::vector<double> start(kCouplingParameters);
    start[kLogE] = std::log(E);
    start[kAlpha] = axes[1];
    start[kLogA] = share + axes[1] * ln_n;
    start[kGExponent] = axes[2];
    start[kLogG] = share - ln_shape_at_median(axes[2]);
    start[kK] = axes[3];
    start[kGamma] = axes[4];
    start[kDelta] = axes[5];
    start[kC] = std::log(range.geo_lr) - axes[4] * ln_r_eps + axes[5] * ln_n;
    start[kZeta] = kCouplingHeldTokenTerms[0];
    start[kLogT] = kCouplingHeldTokenTerms[1];
    start[kTau] = kCouplingHeldTokenTerms[2];
    if (tokens_vary) {
      constexpr double kTau = 0.3;
      start[kTau] = kTau;
      start[kLogT] = share + kTau * ln_d;
    }
    grid.push_back(std::move(start));
  }
  return grid;
}

}  // namespace

CouplingAdditionalLaw::CouplingAdditionalLaw()
    : AutoDiffLaw("coupling/additional",
                  "L = E + A N^-alpha + T D^-tau + B (r + eps)^-beta + K (ln eta - ln eta*)^2, "
                  "ln eta* = c + gamma ln(r + eps) - delta ln N + zeta ln D",
                  CouplingParameters("log_B", "beta", 0)) {}

std::vector<std::vector<double>> CouplingAdditionalLaw::InitialGrid(const DataRange& range) const {
  const double ln_r_eps = std::log(range.median_almr + kCouplingEps);
  return CouplingGrid(range, {0.1, 0.4, 1.0},
                      [&](double beta) { return -beta * ln_r_eps; });  // ln (r + eps)^-beta
}

CouplingBaseLaw::CouplingBaseLaw()
    : AutoDiffLaw("coupling/base",
                  "L = E + A N^-alpha + T D^-tau + F r^phi + K (ln eta - ln eta*)^2, "
                  "ln eta* = c + gamma ln(r + eps) - delta ln N + zeta ln D",
                  CouplingParameters("log_F", "phi", 1)) {}

std::vector<std::vector<double>> CouplingBaseLaw::InitialGrid(const DataRange& range) const {
  const double ln_r = std::log(std::max(range.median_almr, 0.05));
  return CouplingGrid(range, {0.5, 1.0, 2.0}, [&](double phi) { return phi * ln_r; });  // ln r^phi
}

}  // namespace mixlaw
