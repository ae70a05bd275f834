// The data mixing law (Ye et al. 2024) for two domains, at one size and training budget:
//
//   L(r) = c + k exp(t r),   k = exp(log_k)
//
// Fit it to runs of one size at one learning rate (or each ALMR's best run).
#ifndef MIXLAW_FITTER_LAWS_MIXING_H_
#define MIXLAW_FITTER_LAWS_MIXING_H_

#include <cmath>

#include "fitter/laws/law.h"

namespace mixlaw {

struct MixingResidual {
  explicit MixingResidual(const Point& p) : r_(p.almr), ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::exp;
    using std::log;
    const T& c = theta[0];
    const T& log_k = theta[1];
    const T& t = theta[2];
    const T loss = c + exp(log_k + t * r_);
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double r_, ln_loss_;
};

class MixingLaw : public AutoDiffLaw<MixingResidual, 3> {
 public:
  MixingLaw();
  bool needs_almr() const override { return true; }
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_MIXING_H_
