// Chinchilla (Hoffmann et al. 2022, approach 3; parameterised as in Besiroglu et al.'s
// replication, with the coefficients by their logs):
//
//   L(N, D) = E + A / N^alpha + B / D^beta,   E = exp(log_E), A = exp(log_A), B = exp(log_B)
#ifndef MIXLAW_FITTER_LAWS_CHINCHILLA_H_
#define MIXLAW_FITTER_LAWS_CHINCHILLA_H_

#include <cmath>

#include "fitter/laws/law.h"

namespace mixlaw {

struct ChinchillaResidual {
  explicit ChinchillaResidual(const Point& p)
      : ln_n_(std::log(p.params)), ln_d_(std::log(p.tokens)), ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::exp;
    using std::log;
    const T& log_E = theta[0];
    const T& log_A = theta[1];
    const T& alpha = theta[2];
    const T& log_B = theta[3];
    const T& beta = theta[4];
    const T loss = exp(log_E) + exp(log_A - alpha * ln_n_) + exp(log_B - beta * ln_d_);
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double ln_n_, ln_d_, ln_loss_;
};

class ChinchillaLaw : public AutoDiffLaw<ChinchillaResidual, 5> {
 public:
  ChinchillaLaw();
  bool reads_tokens() const override { return true; }
  // The replication's grid of 4,500 starts, whatever the data: log_E in {-1, -0.5, .., 1},
  // log_A and log_B in {0, 5, .., 25}, alpha and beta in {0, 0.5, .., 2}.
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override;
  // The same residuals as ChinchillaResidual with its derivatives written out and evaluated over
  // all points as arrays (glibc's vector exp and log, vector_loops.cc): the multi-start's inner
  // loop.
  ceres::CostFunction* NewHuberBlock(const std::vector<Point>& points, const std::vector<int>& rows,
                                     double delta) const override;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_CHINCHILLA_H_
