// The ALMR-LR coupling law, mixlaw's default, fitted per evaluation split s:
//
//   L_s(r, eta, N) = E_s + A_s N^(-alpha_s) + G_s(r) + K_s (ln eta - ln eta*_s(r, N))^2
//   eta*_s(r, N)   = exp(c_s) (r + eps)^(gamma_s) N^(-delta_s)
//   G_additional(r) = B (r + eps)^(-beta),   G_base(r) = F r^phi
//
// r is the ALMR, eta the peak LR, N the parameter count; gamma is the coupling (how the best LR
// moves with the mixture) and eps keeps r = 0 runs finite. Coefficients are fitted by their logs
// (E = exp(log_E), ...) so that every term stays positive and the scales stay comparable.
#ifndef MIXLAW_FITTER_LAWS_COUPLING_H_
#define MIXLAW_FITTER_LAWS_COUPLING_H_

#include <cmath>

#include "fitter/laws/law.h"

namespace mixlaw {

inline constexpr double kCouplingEps = 0.01;

// Parameter order of both splits' laws; G's coefficient and exponent are (log_B, beta) for the
// additional split and (log_F, phi) for the base split.
enum CouplingParameter {
  kLogE,
  kLogA,
  kAlpha,
  kLogG,
  kGExponent,
  kK,
  kC,
  kGamma,
  kDelta,
  kCouplingParameters
};

// ln eta* = c + gamma ln(r + eps) - delta ln N: the log of the optimal peak LR.
template <typename T>
T CouplingLnOptimalLr(const T* const theta, double ln_n, double ln_r_eps) {
  return theta[kC] + theta[kGamma] * ln_r_eps - theta[kDelta] * ln_n;
}

// The terms both splits share: E + A N^-alpha + K (ln eta - ln eta*)^2. Each split adds its own
// G(r).
template <typename T>
T CouplingSharedTerms(const T* const theta, double ln_n, double ln_r_eps, double ln_eta) {
  using std::exp;
  const T x = ln_eta - CouplingLnOptimalLr(theta, ln_n, ln_r_eps);
  return exp(theta[kLogE]) + exp(theta[kLogA] - theta[kAlpha] * ln_n) + theta[kK] * x * x;
}

// L_additional = E + A N^-alpha + B (r + eps)^-beta + K (ln eta - ln eta*)^2
struct CouplingAdditionalResidual {
  explicit CouplingAdditionalResidual(const Point& p)
      : ln_n_(std::log(p.params)),
        ln_r_eps_(std::log(p.almr + kCouplingEps)),
        ln_eta_(std::log(p.lr)),
        ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::exp;
    using std::log;
    const T& log_B = theta[kLogG];
    const T& beta = theta[kGExponent];
    const T loss = CouplingSharedTerms(theta, ln_n_, ln_r_eps_, ln_eta_) +
                   exp(log_B - beta * ln_r_eps_);
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double ln_n_, ln_r_eps_, ln_eta_, ln_loss_;
};

// L_base = E + A N^-alpha + F r^phi + K (ln eta - ln eta*)^2   (F r^phi = 0 at r = 0)
struct CouplingBaseResidual {
  explicit CouplingBaseResidual(const Point& p)
      : r_(p.almr),
        ln_n_(std::log(p.params)),
        ln_r_(p.almr > 0 ? std::log(p.almr) : 0.0),
        ln_r_eps_(std::log(p.almr + kCouplingEps)),
        ln_eta_(std::log(p.lr)),
        ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::exp;
    using std::log;
    const T& log_F = theta[kLogG];
    const T& phi = theta[kGExponent];
    const T G = r_ > 0 ? exp(log_F + phi * ln_r_) : T(0.0);
    const T loss = CouplingSharedTerms(theta, ln_n_, ln_r_eps_, ln_eta_) + G;
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double r_, ln_n_, ln_r_, ln_r_eps_, ln_eta_, ln_loss_;
};

class CouplingAdditionalLaw : public AutoDiffLaw<CouplingAdditionalResidual, kCouplingParameters> {
 public:
  CouplingAdditionalLaw();
  bool uses_lr() const override { return true; }
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override;
};

class CouplingBaseLaw : public AutoDiffLaw<CouplingBaseResidual, kCouplingParameters> {
 public:
  CouplingBaseLaw();
  bool uses_lr() const override { return true; }
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_COUPLING_H_
