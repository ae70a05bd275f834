// The ALMR-LR coupling law, mixlaw's default, fitted per evaluation split s:
//
//   L_s(r, eta, N, D) = E_s + A_s N^(-alpha_s) + T_s D^(-tau_s) + G_s(r)
//                       + K_s (ln eta - ln eta*_s(r, N, D))^2
//   eta*_s(r, N, D)   = exp(c_s) (r + eps)^(gamma_s) N^(-delta_s) D^(zeta_s)
//   G_additional(r) = B (r + eps)^(-beta),   G_base(r) = F r^phi
//
// r is the ALMR, eta the peak LR, N the parameter count, D the token budget; gamma is the
// coupling (how the best LR moves with the mixture) and eps keeps r = 0 runs finite. Coefficients
// are fitted by their logs (E = exp(log_E), ...) so that every term stays positive and the scales
// stay comparable. The token terms (T, tau, zeta) need runs at two or more budgets; otherwise they
// are held (T D^-tau at e^-50, zeta at 0) and D is not read.
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
  kZeta,
  kLogT,
  kTau,
  kCouplingParameters
};

// The parameters a fit written before the token terms has (a FIT.json of 9 parameters): the
// later ones are then their held values.
inline constexpr int kCouplingParametersWithoutTokens = kZeta;

// The held values of the token terms, in order from kZeta.
inline constexpr double kCouplingHeldTokenTerms[] = {0.0, -50.0, 0.0};

// ln D for a residual: 0 when the budget is unknown (then the token terms are held and D is
// not read).
inline double CouplingLnTokens(double tokens) { return tokens > 0 ? std::log(tokens) : 0.0; }

// ln eta* = c + gamma ln(r + eps) - delta ln N + zeta ln D: the log of the optimal peak LR.
template <typename T>
T CouplingLnOptimalLr(const T* const theta, double ln_n, double ln_r_eps, double ln_d) {
  return theta[kC] + theta[kGamma] * ln_r_eps - theta[kDelta] * ln_n + theta[kZeta] * ln_d;
}

// The terms both splits share: E + A N^-alpha + T D^-tau + K (ln eta - ln eta*)^2. Each split
// adds its own G(r).
template <typename T>
T CouplingSharedTerms(const T* const theta, double ln_n, double ln_r_eps, double ln_d,
                      double ln_eta) {
  using std::exp;
  const T x = ln_eta - CouplingLnOptimalLr(theta, ln_n, ln_r_eps, ln_d);
  return exp(theta[kLogE]) + exp(theta[kLogA] - theta[kAlpha] * ln_n) +
         exp(theta[kLogT] - theta[kTau] * ln_d) + theta[kK] * x * x;
}

// L_additional = E + A N^-alpha + T D^-tau + B (r + eps)^-beta + K (ln eta - ln eta*)^2
struct CouplingAdditionalResidual {
  explicit CouplingAdditionalResidual(const Point& p)
      : ln_n_(std::log(p.params)),
        ln_r_eps_(std::log(p.almr + kCouplingEps)),
        ln_d_(CouplingLnTokens(p.tokens)),
        ln_eta_(std::log(p.lr)),
        ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::exp;
    using std::log;
    const T& log_B = theta[kLogG];
    const T& beta = theta[kGExponent];
    const T loss = CouplingSharedTerms(theta, ln_n_, ln_r_eps_, ln_d_, ln_eta_) +
                   exp(log_B - beta * ln_r_eps_);
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double ln_n_, ln_r_eps_, ln_d_, ln_eta_, ln_loss_;
};

// L_base = E + A N^-alpha + T D^-tau + F r^phi + K (ln eta - ln eta*)^2   (F r^phi = 0 at r = 0)
struct CouplingBaseResidual {
  explicit CouplingBaseResidual(const Point& p)
      : r_(p.almr),
        ln_n_(std::log(p.params)),
        ln_r_(p.almr > 0 ? std::log(p.almr) : 0.0),
        ln_r_eps_(std::log(p.almr + kCouplingEps)),
        ln_d_(CouplingLnTokens(p.tokens)),
        ln_eta_(std::log(p.lr)),
        ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::exp;
    using std::log;
    const T& log_F = theta[kLogG];
    const T& phi = theta[kGExponent];
    const T G = r_ > 0 ? exp(log_F + phi * ln_r_) : T(0.0);
    const T loss = CouplingSharedTerms(theta, ln_n_, ln_r_eps_, ln_d_, ln_eta_) + G;
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double r_, ln_n_, ln_r_, ln_r_eps_, ln_d_, ln_eta_, ln_loss_;
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
