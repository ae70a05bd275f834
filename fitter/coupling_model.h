// The fitted coupling law of both splits, evaluated where a recommendation needs it: each split's
// optimal LR, the losses, and the base loss's reference (its r = 0 optimum).
#ifndef MIXLAW_FITTER_COUPLING_MODEL_H_
#define MIXLAW_FITTER_COUPLING_MODEL_H_

#include <string>
#include <vector>

namespace mixlaw {

class CouplingModel {
 public:
  // Parameter vectors in the order of coupling.h (CouplingParameter), one per split; a vector of
  // kCouplingParametersWithoutTokens (a fit from before the token terms) gets them held.
  CouplingModel(std::vector<double> additional, std::vector<double> base);

  // The token budget D every evaluation is at (0, the default: unknown, read as ln D = 0, right
  // only when the token terms are held).
  void SetTokens(double tokens) { tokens_ = tokens; }
  double tokens() const { return tokens_; }

  // The transfer rule: eta*_s proportional to N^-exponent for both splits, unchanged at `anchor`.
  void SetLrSizeExponent(double exponent, double anchor_params);

  // ln eta*_s(r, N, D) = c_s + gamma_s ln(r + eps) - delta_s ln N + zeta_s ln D.
  double LnOptimalLrAdditional(double almr, double params) const;
  double LnOptimalLrBase(double almr, double params) const;
  // K_s: how fast L_s rises with (ln eta - ln eta*_s)^2.
  double CurvatureAdditional() const;
  double CurvatureBase() const;

  // L_s(r, eta, N), by the same functors the fit used.
  double LossAdditional(double almr, double lr, double params) const;
  double LossBase(double almr, double lr, double params) const;

  // The same by split name: `split` is kSplitAdditional, else the base split is meant.
  double LnOptimalLrOn(const std::string& split, double almr, double params) const;
  double LossOn(const std::string& split, double almr, double lr, double params) const;

  // min over eta of L_base(0, eta, N) = E + A N^-alpha: what forgetting is measured from.
  double BaseReference(double params) const;

 private:
  std::vector<double> additional_;
  std::vector<double> base_;
  double tokens_ = 0;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_COUPLING_MODEL_H_
