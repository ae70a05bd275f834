#include "fitter/vector_loops.h"

#include <cmath>

namespace mixlaw {

void HuberRoots(double delta, std::size_t n, std::size_t k, double* __restrict residuals,
                double* __restrict jacobian) {
  for (std::size_t i = 0; i < n; ++i) {  // vectorised: both branches, then a select
    const double r = residuals[i];
    const double magnitude = std::fabs(r);
    const double root = std::sqrt(std::fmax(2.0 * delta * magnitude - delta * delta, 0.0));
    const bool inside = magnitude <= delta;
    residuals[i] = inside ? r : std::copysign(root, r);
    const double slope = inside ? 1.0 : delta / root;
    for (std::size_t j = 0; j < k; ++j) jacobian[i * k + j] *= slope;
  }
}

void ChinchillaLogResiduals(const double* theta, const double* __restrict ln_n,
                            const double* __restrict ln_d, const double* __restrict ln_y,
                            std::size_t n, double* __restrict residuals,
                            double* __restrict jacobian, double* __restrict scratch) {
  const double e = std::exp(theta[0]);
  const double log_a = theta[1], alpha = theta[2], log_b = theta[3], beta = theta[4];
  double* __restrict inverse = scratch;
  double* __restrict term_n = scratch + n;
  double* __restrict term_d = scratch + 2 * n;
  for (std::size_t i = 0; i < n; ++i) {  // vectorised: libmvec's exp and log
    const double t_n = std::exp(log_a - alpha * ln_n[i]);
    const double t_d = std::exp(log_b - beta * ln_d[i]);
    const double loss = e + t_n + t_d;
    residuals[i] = std::log(loss) - ln_y[i];
    inverse[i] = 1.0 / loss;
    term_n[i] = t_n * inverse[i];
    term_d[i] = t_d * inverse[i];
  }
  for (std::size_t i = 0; i < n; ++i) {
    double* row = jacobian + 5 * i;
    row[0] = e * inverse[i];
    row[1] = term_n[i];
    row[2] = -ln_n[i] * term_n[i];
    row[3] = term_d[i];
    row[4] = -ln_d[i] * term_d[i];
  }
}

}  // namespace mixlaw
