// The fitter's loops over points, the inner loops of a multi-start, in a file of their own compiled
// with -O3 -ffast-math and the kernels' -march so that they run on the vector unit (exp and log
// from glibc's libmvec). Only <cmath> is included there, so that no header's inline code is
// compiled twice with different flags.
#ifndef MIXLAW_FITTER_VECTOR_LOOPS_H_
#define MIXLAW_FITTER_VECTOR_LOOPS_H_

#include <cstddef>

namespace mixlaw {

// The Huber roots of huber_block.h in place: residuals[i] = s(r_i) and row i of jacobian (n x k,
// row-major) times ds/dr at r_i.
void HuberRoots(double delta, std::size_t n, std::size_t k, double* residuals, double* jacobian);

// With L = E + t_N + t_D, t_N = exp(log_A - alpha ln N), t_D = exp(log_B - beta ln D), writes
// residuals[i] = ln L_i - ln y_i and row i of jacobian (n x 5, row-major) = (E, t_N, -ln N t_N,
// t_D, -ln D t_D) / L_i. scratch holds 3 n doubles.
void ChinchillaLogResiduals(const double* theta, const double* ln_n, const double* ln_d,
                            const double* ln_y, std::size_t n, double* residuals, double* jacobian,
                            double* scratch);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_VECTOR_LOOPS_H_
