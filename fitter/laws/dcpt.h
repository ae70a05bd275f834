// The D-CPT law (Que et al. 2024): the loss of continual pre-training over size N, tokens D and
// the mixture ratio r,
//
//   L(N, D, r) = E + A / N^alpha + B r^eta / D^beta + C / (r + eps)^gamma
//
// with E, A, B, C fitted by their logs. B r^eta / D^beta is 0 at r = 0.
#ifndef MIXLAW_FITTER_LAWS_DCPT_H_
#define MIXLAW_FITTER_LAWS_DCPT_H_

#include <cmath>

#include "fitter/laws/coupling.h"
#include "fitter/laws/law.h"

namespace mixlaw {

struct DcptResidual {
  explicit DcptResidual(const Point& p)
      : r_(p.almr),
        ln_n_(std::log(p.params)),
        ln_d_(std::log(p.tokens)),
        ln_r_(p.almr > 0 ? std::log(p.almr) : 0.0),
        ln_r_eps_(std::log(p.almr + kCouplingEps)),
        ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::exp;
    using std::log;
    const T& log_E = theta[0];
    const T& log_A = theta[1];
    const T& alpha = theta[2];
    const T& log_B = theta[3];
    const T& eta = theta[4];
    const T& beta = theta[5];
    const T& log_C = theta[6];
    const T& gamma = theta[7];
    const T data_term = r_ > 0 ? exp(log_B + eta * ln_r_ - beta * ln_d_) : T(0.0);
    const T loss =
        exp(log_E) + exp(log_A - alpha * ln_n_) + data_term + exp(log_C - gamma * ln_r_eps_);
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double r_, ln_n_, ln_d_, ln_r_, ln_r_eps_, ln_loss_;
};

class DcptLaw : public AutoDiffLaw<DcptResidual, 8> {
 public:
  DcptLaw();
  bool reads_tokens() const override { return true; }
  bool needs_almr() const override { return true; }
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_DCPT_H_
