// All of a fit's points as one Ceres residual block, with the Huber loss applied to each point
// inside it. Ceres spends most of a small fit's time on per-block bookkeeping (one block per
// point, each with its own autodiff call and loss function); one block per solve evaluates the
// law's functor over the points in a tight loop instead.
//
// A LossFunction on one block would apply to the block's squared norm, not to each point, so the
// per-point Huber is built into the residuals (the "square-root" form): point i's residual
// r_i = ln f_i - ln y_i becomes
//
//   s_i = r_i                                       when |r_i| <= delta
//   s_i = sign(r_i) sqrt(2 delta |r_i| - delta^2)   otherwise
//
// so that Ceres' cost 1/2 sum s_i^2 is exactly sum huber_delta(r_i), the objective of the
// per-point formulation (HuberLoss on each block). The Jacobian is the exact derivative of s_i,
// ds_i/dr_i = 1 inside and delta / |s_i| outside (continuous at |r_i| = delta), so the gradient
// J_s^T s = sum huber'(r_i) dr_i/dtheta is the per-point formulation's too: the same objective,
// the same stationary points, the same optimum.
#ifndef MIXLAW_FITTER_HUBER_BLOCK_H_
#define MIXLAW_FITTER_HUBER_BLOCK_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "ceres/cost_function.h"
#include "ceres/jet.h"
#include "fitter/points.h"

namespace mixlaw {

// s(r) above, and ds/dr.
inline double HuberRoot(double r, double delta, double* slope) {
  const double magnitude = std::fabs(r);
  if (magnitude <= delta) {
    *slope = 1.0;
    return r;
  }
  const double root = std::sqrt(2.0 * delta * magnitude - delta * delta);  // >= delta
  *slope = delta / root;
  return r < 0 ? -root : root;
}

// The Huber-rooted log residuals of the law functor Residual (constructed from a Point; writes
// ln f - ln y) at every point of `rows` (repeats allowed), over one block of kNumParameters.
template <typename Residual, int kNumParameters>
class HuberLogResidualBlock : public ceres::CostFunction {
 public:
  HuberLogResidualBlock(const std::vector<Point>& points, const std::vector<int>& rows,
                        double delta)
      : delta_(delta) {
    residuals_.reserve(rows.size());
    for (int row : rows) residuals_.emplace_back(points[static_cast<size_t>(row)]);
    residuals_at_.resize(rows.size());
    jacobian_at_.resize(rows.size() * kNumParameters);
    set_num_residuals(static_cast<int>(rows.size()));
    mutable_parameter_block_sizes()->push_back(kNumParameters);
  }

  // Ceres' trust-region solver evaluates a candidate's residuals and, when it takes the step,
  // its Jacobian at the same point: both come from one pass over the points, kept for the second
  // call. Not thread-safe (one block serves one solve).
  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    const double* theta = parameters[0];
    if (!std::equal(theta, theta + kNumParameters, theta_.begin()) || !valid_) {
      std::copy(theta, theta + kNumParameters, theta_.begin());
      valid_ = EvaluateAll(theta);
    }
    if (!valid_) return false;
    std::copy(residuals_at_.begin(), residuals_at_.end(), residuals);
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      std::copy(jacobian_at_.begin(), jacobian_at_.end(), jacobians[0]);
    }
    return true;
  }

 private:
  // Fills residuals_at_ and jacobian_at_ at theta; false where the functor fails. The law's
  // residuals and their derivatives first, then the Huber roots in a loop of their own, whose
  // square roots and divisions overlap when no call to the functor stands between them. Flattened:
  // the functor and the Jet arithmetic are inlined into the loop (15% faster on Chinchilla).
  [[gnu::flatten]] bool EvaluateAll(const double* theta) const {
    using Jet = ceres::Jet<double, kNumParameters>;
    Jet at[kNumParameters];
    for (int k = 0; k < kNumParameters; ++k) at[k] = Jet(theta[k], k);
    for (size_t i = 0; i < residuals_.size(); ++i) {
      Jet r;
      if (!residuals_[i](at, &r)) return false;
      residuals_at_[i] = r.a;
      std::copy(r.v.data(), r.v.data() + kNumParameters, jacobian_at_.data() + i * kNumParameters);
    }
    for (size_t i = 0; i < residuals_.size(); ++i) {
      double slope = 1.0;
      residuals_at_[i] = HuberRoot(residuals_at_[i], delta_, &slope);
      double* row = jacobian_at_.data() + i * kNumParameters;
      for (int k = 0; k < kNumParameters; ++k) row[k] *= slope;
    }
    return true;
  }

  double delta_;
  std::vector<Residual> residuals_;
  mutable std::array<double, kNumParameters> theta_{};  // where the cache was filled
  mutable bool valid_ = false;
  mutable std::vector<double> residuals_at_;  // (points)
  mutable std::vector<double> jacobian_at_;   // (points, kNumParameters), row-major
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_HUBER_BLOCK_H_
