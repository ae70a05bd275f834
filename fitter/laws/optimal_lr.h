// The optimal-LR power law: the best peak LR of each (N, D, r) group of runs, as a power of the
// model size, or of the training compute C = 6 N D as DeepSeek LLM fits it:
//
//   eta*(N) = a N^b          (optimal-lr)
//   eta*(C) = a C^b          (optimal-lr-compute),   a = exp(log_a)
#ifndef MIXLAW_FITTER_LAWS_OPTIMAL_LR_H_
#define MIXLAW_FITTER_LAWS_OPTIMAL_LR_H_

#include <cmath>

#include "fitter/laws/law.h"

namespace mixlaw {

// ln eta* = log_a + b ln x, x = N or 6 N D.
template <bool kCompute>
struct OptimalLrResidual {
  explicit OptimalLrResidual(const Point& p)
      : ln_x_(kCompute ? std::log(6.0 * p.params * p.tokens) : std::log(p.params)),
        ln_lr_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    const T& log_a = theta[0];
    const T& b = theta[1];
    residual[0] = log_a + b * ln_x_ - ln_lr_;
    return true;
  }

  const double ln_x_, ln_lr_;
};

template <bool kCompute>
class OptimalLrLaw : public AutoDiffLaw<OptimalLrResidual<kCompute>, 2> {
 public:
  OptimalLrLaw();
  Target target() const override { return Target::kOptimalLr; }
  bool reads_tokens() const override { return kCompute; }
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_OPTIMAL_LR_H_
