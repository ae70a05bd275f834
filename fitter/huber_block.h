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
// per-point formulation (HuberLoss on each block). A point of weight w_i < 1 (Point::weight) has
// s_i and its Jacobian row scaled by sqrt(w_i): its term of the cost becomes w_i huber_delta(r_i).
// The Jacobian is the exact derivative of s_i, ds_i/dr_i = 1 inside and delta / |s_i| outside
// (continuous at |r_i| = delta), so the gradient J_s^T s = sum huber'(r_i) dr_i/dtheta is the
// per-point formulation's too: the same objective, the same stationary points, the same optimum.
#ifndef MIXLAW_FITTER_HUBER_BLOCK_H_
#define MIXLAW_FITTER_HUBER_BLOCK_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "ceres/cost_function.h"
#include "ceres/jet.h"
#include "fitter/points.h"
#include "fitter/vector_loops.h"

namespace mixlaw {

// The Huber-rooted log residuals of a law over one block of kNumParameters: a subclass fills the
// plain log residuals and their Jacobian (EvaluateLaw) of the points `rows` of `points`, this
// class roots and weights them and caches them.
template <int kNumParameters>
class HuberBlock : public ceres::CostFunction {
 public:
  HuberBlock(const std::vector<Point>& points, const std::vector<int>& rows, double delta)
      : delta_(delta) {
    const size_t num_points = rows.size();
    const auto weight = [&](int row) { return points[static_cast<size_t>(row)].weight; };
    if (std::any_of(rows.begin(), rows.end(), [&](int row) { return weight(row) != 1.0; })) {
      for (int row : rows) root_weights_.push_back(std::sqrt(weight(row)));
    }
    residuals_at_.resize(num_points);
    jacobian_at_.resize(num_points * kNumParameters);
    set_num_residuals(static_cast<int>(num_points));
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
      valid_ = EvaluateLaw(theta, residuals_at_.data(), jacobian_at_.data());
      if (valid_) Root();
    }
    if (!valid_) return false;
    std::copy(residuals_at_.begin(), residuals_at_.end(), residuals);
    if (jacobians != nullptr && jacobians[0] != nullptr) {
      std::copy(jacobian_at_.begin(), jacobian_at_.end(), jacobians[0]);
    }
    return true;
  }

 protected:
  // Writes ln f - ln y of every point to residuals and its derivatives to jacobian (points x
  // kNumParameters, row-major); false where the law cannot be evaluated.
  virtual bool EvaluateLaw(const double* theta, double* residuals, double* jacobian) const = 0;

 private:
  void Root() const {
    HuberRoots(delta_, residuals_at_.size(), kNumParameters, residuals_at_.data(),
               jacobian_at_.data());
    for (size_t i = 0; i < root_weights_.size(); ++i) {
      residuals_at_[i] *= root_weights_[i];
      for (int k = 0; k < kNumParameters; ++k)
        jacobian_at_[i * kNumParameters + k] *= root_weights_[i];
    }
  }

  double delta_;
  std::vector<double> root_weights_;  // sqrt of each point's weight; empty when all are 1
  mutable std::array<double, kNumParameters> theta_{};  // where the cache was filled
  mutable bool valid_ = false;
  mutable std::vector<double> residuals_at_;  // (points)
  mutable std::vector<double> jacobian_at_;   // (points, kNumParameters), row-major
};

// HuberBlock over the law functor Residual (constructed from a Point; writes ln f - ln y) at every
// point of `rows` (repeats allowed), differentiated by Ceres' Jets.
template <typename Residual, int kNumParameters>
class HuberLogResidualBlock : public HuberBlock<kNumParameters> {
 public:
  HuberLogResidualBlock(const std::vector<Point>& points, const std::vector<int>& rows,
                        double delta)
      : HuberBlock<kNumParameters>(points, rows, delta) {
    residuals_.reserve(rows.size());
    for (int row : rows) residuals_.emplace_back(points[static_cast<size_t>(row)]);
  }

 protected:
  // Flattened: the functor and the Jet arithmetic are inlined into the loop (15% faster on
  // Chinchilla).
  [[gnu::flatten]] bool EvaluateLaw(const double* theta, double* residuals,
                                    double* jacobian) const override {
    using Jet = ceres::Jet<double, kNumParameters>;
    Jet at[kNumParameters];
    for (int k = 0; k < kNumParameters; ++k) at[k] = Jet(theta[k], k);
    for (size_t i = 0; i < residuals_.size(); ++i) {
      Jet r;
      if (!residuals_[i](at, &r)) return false;
      residuals[i] = r.a;
      std::copy(r.v.data(), r.v.data() + kNumParameters, jacobian + i * kNumParameters);
    }
    return true;
  }

 private:
  std::vector<Residual> residuals_;
};

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_HUBER_BLOCK_H_
