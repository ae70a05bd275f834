// One local fit of a law: Ceres' trust-region solver (Levenberg-Marquardt) within the law's
// bounds, minimising the sum, never the mean, of Huber losses of the log residuals ln f - ln y.
// Every point is in one residual block with the Huber loss built in (huber_block.h), whose Ceres
// cost is exactly sum huber_delta(r), as a HuberLoss on a block per point would give.
// And the same from many starts on several threads.
#ifndef MIXLAW_FITTER_SOLVE_H_
#define MIXLAW_FITTER_SOLVE_H_

#include <memory>
#include <string>
#include <vector>

#include "ceres/cost_function.h"
#include "ceres/problem.h"
#include "ceres/types.h"
#include "fitter/laws/law.h"

namespace mixlaw {

struct SolveOptions {
  double huber_delta = 1e-3;
  int max_iterations = 500;
  double function_tolerance = 1e-12;
  double gradient_tolerance = 1e-12;
  double parameter_tolerance = 1e-10;
  // A handful of parameters: the normal equations (5 x 5 for Chinchilla) are cheaper than a QR of
  // the (points x parameters) Jacobian, and Levenberg-Marquardt's damping keeps them definite.
  ceres::LinearSolverType linear_solver = ceres::DENSE_NORMAL_CHOLESKY;
  // Ceres' default is 1e4; starting closer to Gauss-Newton takes ~12% fewer iterations on the
  // Chinchilla benchmark and leaves fewer starts at the iteration limit.
  double initial_trust_region_radius = 1e8;
  // The multi-start (SolveFromEach) solves every start to this function tolerance (Ceres' default),
  // then polishes the best few from where they ended to the tolerances above: most starts'
  // iterations are spent in the last digits of optima that are not the best.
  double screen_function_tolerance = 1e-6;
  int polished_starts = 3;
};

// How one start ended.
struct StartOutcome {
  std::vector<double> initial;
  std::vector<double> parameters;  // where it ended
  double cost = 0;                 // sum of Huber losses of the log residuals there
  std::string termination;         // Ceres' CONVERGENCE, NO_CONVERGENCE or FAILURE
  int iterations = 0;
  bool usable() const { return termination == "CONVERGENCE" || termination == "NO_CONVERGENCE"; }
};

// A law's residuals on a set of points (each scaled by the root of its weight), built once and
// shared read-only by every solve.
class ResidualSet {
 public:
  ResidualSet(const Law& law, const std::vector<Point>& points);
  ResidualSet(const ResidualSet&) = delete;
  ResidualSet& operator=(const ResidualSet&) = delete;

  const Law& law() const { return law_; }
  const std::vector<Point>& points() const { return points_; }
  ceres::CostFunction* residual(int i) const { return residuals_[static_cast<size_t>(i)].get(); }

 private:
  const Law& law_;
  std::vector<Point> points_;
  std::vector<std::unique_ptr<ceres::CostFunction>> residuals_;
};

// A problem over the points `rows` (indexes into `set`, repeats allowed) on the block `theta`,
// with the law's bounds, `held` parameters constant and `loss` (nullptr: plain squares) applied
// to each residual. Neither residuals nor loss are owned by the problem.
std::unique_ptr<ceres::Problem> BuildProblem(const ResidualSet& set, const std::vector<int>& rows,
                                             const std::vector<int>& held,
                                             ceres::LossFunction* loss, double* theta);

// One local solve from `initial` (moved inside the bounds first).
StartOutcome SolveFrom(const ResidualSet& set, const std::vector<int>& rows,
                       const std::vector<double>& initial, const std::vector<int>& held,
                       const SolveOptions& options);

// SolveFrom for each start on `threads` threads, to options.screen_function_tolerance, then the
// options.polished_starts best usable outcomes solved on from where they ended to the full
// tolerances (their iterations added up); outcomes in the order of `starts`.
std::vector<StartOutcome> SolveFromEach(const ResidualSet& set, const std::vector<int>& rows,
                                        const std::vector<std::vector<double>>& starts,
                                        const std::vector<int>& held, const SolveOptions& options,
                                        int threads);

// [0, 1, ..., n - 1]: every point once.
std::vector<int> AllRows(size_t n);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_SOLVE_H_
