// A law as the fitter sees it: named, bounded parameters, a grid of starting points scaled to the
// data, and for each observed point a residual ln f(x; theta) - ln y whose derivatives Ceres takes
// by automatic differentiation. Each law's formula lives in one templated functor (see
// coupling.h): the same functor gives the residual and, with y = 1, the prediction.
#ifndef MIXLAW_FITTER_LAWS_LAW_H_
#define MIXLAW_FITTER_LAWS_LAW_H_

#include <cmath>
#include <string>
#include <vector>

#include "ceres/autodiff_cost_function.h"
#include "ceres/cost_function.h"
#include "fitter/huber_block.h"
#include "fitter/points.h"

namespace mixlaw {

// The variation in the data a parameter needs to be fitted; without it the parameter is held.
enum class Needs { kNothing, kSizes, kAlmrs, kTokens };

struct ParameterSpec {
  std::string name;
  double lower = 0;
  double upper = 0;
  Needs needs = Needs::kNothing;
  double held = 0;  // its value when the data lack the variation it needs
};

// What a law's points hold: final losses, or the best LR of each (N, D, r) group.
enum class Target { kLoss, kOptimalLr };

class Law {
 public:
  virtual ~Law() = default;
  Law(const Law&) = delete;
  Law& operator=(const Law&) = delete;

  const std::string& name() const { return name_; }        // "coupling/additional"
  const std::string& formula() const { return formula_; }  // as in docs/laws.md
  const std::vector<ParameterSpec>& parameters() const { return parameters_; }
  int num_parameters() const { return static_cast<int>(parameters_.size()); }
  virtual Target target() const { return Target::kLoss; }
  // True when the law reads the learning rate (then it has an optimum in LR to cross-validate).
  virtual bool uses_lr() const { return false; }
  // True when the law reads the token budget D (then every run needs one).
  virtual bool reads_tokens() const { return false; }
  // True when the law cannot be fitted without the ALMR (the column almr of a CSV).
  virtual bool needs_almr() const { return false; }
  // True when the law cannot be fitted without each run's peak LR (the column lr of a CSV).
  bool needs_lr() const { return uses_lr() || target() == Target::kOptimalLr; }

  // Starting points for the multi-start, each num_parameters() long, inside the bounds.
  virtual std::vector<std::vector<double>> InitialGrid(const DataRange& range) const = 0;
  // A residual ln f(point; theta) - ln point.value over one block of num_parameters(); the
  // caller owns it.
  virtual ceres::CostFunction* NewResidual(const Point& point) const = 0;
  // The residuals of the points `rows` (indexes into `points`, repeats allowed) as one block,
  // Huber-rooted so that Ceres' cost is sum huber_delta(ln f - ln y) (see huber_block.h); the
  // caller owns it. It caches its last evaluation: one solve (one thread) at a time.
  virtual ceres::CostFunction* NewHuberBlock(const std::vector<Point>& points,
                                             const std::vector<int>& rows, double delta) const = 0;
  // f(point; theta): the predicted loss (or optimal LR).
  virtual double Predict(const double* theta, const Point& point) const = 0;

 protected:
  Law(std::string name, std::string formula, std::vector<ParameterSpec> parameters)
      : name_(std::move(name)), formula_(std::move(formula)), parameters_(std::move(parameters)) {}

 private:
  std::string name_;
  std::string formula_;
  std::vector<ParameterSpec> parameters_;
};

// A Law whose residual is the functor Residual (constructed from a Point; operator() writes
// ln f - ln y) over kNumParameters parameters.
template <typename Residual, int kNumParameters>
class AutoDiffLaw : public Law {
 public:
  ceres::CostFunction* NewResidual(const Point& point) const override {
    return new ceres::AutoDiffCostFunction<Residual, 1, kNumParameters>(new Residual(point));
  }
  ceres::CostFunction* NewHuberBlock(const std::vector<Point>& points, const std::vector<int>& rows,
                                     double delta) const override {
    return new HuberLogResidualBlock<Residual, kNumParameters>(points, rows, delta);
  }
  double Predict(const double* theta, const Point& point) const override {
    Point unit = point;
    unit.value = 1.0;  // ln y = 0: the residual is ln f
    const Residual residual(unit);
    double ln_f = 0;
    residual(theta, &ln_f);
    return std::exp(ln_f);
  }

 protected:
  using Law::Law;
};

// Every combination of one value per axis, in order (the last axis varies fastest).
std::vector<std::vector<double>> ProductGrid(const std::vector<std::vector<double>>& axes);

// Moves each coordinate of `start` inside the bounds of `parameters`.
void ClampToBounds(const std::vector<ParameterSpec>& parameters, std::vector<double>* start);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_LAW_H_
