// Synthetic runs drawn from a planted law with multiplicative noise, for the fitter's tests.
#ifndef MIXLAW_TESTS_FITTER_SYNTHETIC_DATA_H_
#define MIXLAW_TESTS_FITTER_SYNTHETIC_DATA_H_

#include <cmath>
#include <random>
#include <vector>

#include "fitter/laws/coupling.h"
#include "fitter/laws/law.h"
#include "fitter/observations.h"

namespace mixlaw {

// A coupling law's parameters from natural quantities: the optimum eta_ref at (r_ref, n_ref).
inline std::vector<double> CouplingTheta(double E, double A, double alpha, double G, double g_exp,
                                         double K, double eta_ref, double gamma, double delta,
                                         double r_ref = 0.25, double n_ref = 1e8) {
  std::vector<double> theta(kCouplingParameters);
  theta[kLogE] = std::log(E);
  theta[kLogA] = std::log(A);
  theta[kAlpha] = alpha;
  theta[kLogG] = std::log(G);
  theta[kGExponent] = g_exp;
  theta[kK] = K;
  theta[kGamma] = gamma;
  theta[kDelta] = delta;
  theta[kZeta] = kCouplingHeldTokenTerms[0];  // no token terms: one budget
  theta[kLogT] = kCouplingHeldTokenTerms[1];
  theta[kTau] = kCouplingHeldTokenTerms[2];
  theta[kC] = std::log(eta_ref) - gamma * std::log(r_ref + kCouplingEps) + delta * std::log(n_ref);
  return theta;
}

// The planted pair the coupling tests share: the base language's best LR falls as r rises
// (gamma_base < 0), the additional's moves little; forgetting F r grows linearly.
inline std::vector<double> PlantedAdditional() {
  return CouplingTheta(1.8, 400, 0.3, 0.35, 0.4, 0.12, 3e-3, -0.05, 0.3);
}
inline std::vector<double> PlantedBase() {
  return CouplingTheta(1.6, 300, 0.28, 0.25, 1.0, 0.08, 1.5e-3, -0.4, 0.25);
}

// Runs over sizes x ALMRs x LRs (LRs spaced by 2 around the size's typical optimum), both
// splits' losses from the planted laws times exp(noise), noise ~ N(0, sigma).
inline ObservationSet CouplingRuns(const std::vector<double>& additional,
                                   const std::vector<double>& base,
                                   const std::vector<double>& sizes,
                                   const std::vector<double>& almrs, int lrs, double sigma,
                                   uint64_t seed) {
  CouplingAdditionalLaw law_a;
  CouplingBaseLaw law_b;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  ObservationSet set;
  set.source = "synthetic";
  for (double n : sizes) {
    double centre = std::exp(0.5 * (additional[kC] + base[kC]) -
                             0.5 * (additional[kDelta] + base[kDelta]) * std::log(n) +
                             0.5 * (additional[kGamma] + base[kGamma]) * std::log(0.25));
    for (double r : almrs) {
      for (int i = 0; i < lrs; ++i) {
        Observation o;
        o.params = n;
        o.almr = r;
        o.peak_lr = centre * std::pow(2.0, i - (lrs - 1) / 2.0);
        Point p{n, 0, r, o.peak_lr, 1.0, 0};
        o.final_loss[kSplitAdditional] = law_a.Predict(additional.data(), p) * std::exp(noise(rng));
        o.final_loss[kSplitBase] = law_b.Predict(base.data(), p) * std::exp(noise(rng));
        set.runs.push_back(o);
      }
    }
  }
  return set;
}

// Points of a one-split law: `law` at each coordinate, times exp(noise).
inline std::vector<Point> LawPoints(const Law& law, const std::vector<double>& theta,
                                    std::vector<Point> at, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  for (size_t i = 0; i < at.size(); ++i) {
    at[i].value = law.Predict(theta.data(), at[i]) * std::exp(noise(rng));
    at[i].unit = static_cast<int>(i);
  }
  return at;
}

}  // namespace mixlaw

#endif  // MIXLAW_TESTS_FITTER_SYNTHETIC_DATA_H_
