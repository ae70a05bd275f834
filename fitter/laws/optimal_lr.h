// The optimal-LR power law: the best peak LR of each (N, D, r) group of runs, as a power of the
// model size and the token budget (Step Law's form), or of the training compute C = 6 N D as
// DeepSeek LLM fits it:
//
//   eta*(N, D) = a N^b D^z   (optimal-lr; z held at 0 unless the budgets vary)
//   eta*(C)    = a C^b       (optimal-lr-compute),   a = exp(log_a)
#ifndef MIXLAW_FITTER_LAWS_OPTIMAL_LR_H_
#define MIXLAW_FITTER_LAWS_OPTIMAL_LR_H_

#include <cmath>

#include "fitter/laws/law.h"

namespace mixlaw {

// ln eta* = log_a + b ln x (+ z ln D), x = N or 6 N D.
template <bool kCompute>
struct OptimalLrResidual {
  explicit OptimalLrResidual(const Point& p)
      : ln_x_(kCompute ? std::log(6.0 * p.params * p.tokens) : std::log(p.params)),
        ln_d_(p.tokens > 0 ? std::log(p.tokens) : 0.0),
        ln_lr_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    const T& log_a = theta[0];
    const T& b = theta[1];
    residual[0] = log_a + b * ln_x_ - ln_lr_;
    if constexpr (!kCompute) residual[0] += theta[2] * ln_d_;  // z ln D
    return true;
  }

  const double ln_x_, ln_d_, ln_lr_;
};

template <bool kCompute>
class OptimalLrLaw : public AutoDiffLaw<OptimalLrResidual<kCompute>, kCompute ? 2 : 3> {
 public:
  OptimalLrLaw();
  Target target() const override { return Target::kOptimalLr; }
  bool reads_tokens() const override { return kCompute; }
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_OPTIMAL_LR_H_
