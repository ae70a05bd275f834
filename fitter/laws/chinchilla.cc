#include "fitter/laws/chinchilla.h"

#include <cmath>

#include "fitter/vector_loops.h"

namespace mixlaw {
namespace {

class ChinchillaHuberBlock : public HuberBlock<5> {
 public:
  ChinchillaHuberBlock(const std::vector<Point>& points, const std::vector<int>& rows, double delta)
      : HuberBlock<5>(points, rows, delta), scratch_(3 * rows.size()) {
    for (int row : rows) {
      const Point& p = points[static_cast<size_t>(row)];
      ln_n_.push_back(std::log(p.params));
      ln_d_.push_back(std::log(p.tokens));
      ln_y_.push_back(std::log(p.value));
    }
  }

 protected:
  bool EvaluateLaw(const double* theta, double* residuals, double* jacobian) const override {
    ChinchillaLogResiduals(theta, ln_n_.data(), ln_d_.data(), ln_y_.data(), ln_y_.size(), residuals,
                           jacobian, scratch_.data());
    return true;
  }

 private:
  std::vector<double> ln_n_, ln_d_, ln_y_;
  mutable std::vector<double> scratch_;  // one solve at a time
};

}  // namespace

ChinchillaLaw::ChinchillaLaw()
    : AutoDiffLaw("chinchilla", "L = E + A / N^alpha + B / D^beta",
                  {
                      {"log_E", -5, 5},
                      {"log_A", -50, 60, Needs::kSizes, -50},
                      {"alpha", 0, 3, Needs::kSizes, 0},
                      {"log_B", -50, 60, Needs::kTokens, -50},
                      {"beta", 0, 3, Needs::kTokens, 0},
                  }) {}

std::vector<std::vector<double>> ChinchillaLaw::InitialGrid(const DataRange&) const {
  const std::vector<double> exponents = {0, 0.5, 1, 1.5, 2};
  const std::vector<double> coefficients = {0, 5, 10, 15, 20, 25};
  return ProductGrid({{-1, -0.5, 0, 0.5, 1}, coefficients, exponents, coefficients, exponents});
}

ceres::CostFunction* ChinchillaLaw::NewHuberBlock(const std::vector<Point>& points,
                                                  const std::vector<int>& rows,
                                                  double delta) const {
  return new ChinchillaHuberBlock(points, rows, delta);
}

}  // namespace mixlaw
