// How sure a fit is: standard errors from the parameter covariance, and bootstrap intervals from
// refitting on resampled runs.
#ifndef MIXLAW_FITTER_UNCERTAINTY_H_
#define MIXLAW_FITTER_UNCERTAINTY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/solve.h"

namespace mixlaw {

// sqrt(diag((J^T J)^-1 s^2)) at `theta`, with J the Jacobian of the plain log residuals (no Huber),
// s^2 = sum r^2 / (n - free parameters), by ceres::Covariance (DENSE_SVD). Held parameters get 0.
// FailedPrecondition when J is rank deficient (parameters the data cannot tell apart) or there
// are no more points than free parameters.
absl::StatusOr<std::vector<double>> StandardErrors(const ResidualSet& set,
                                                   const std::vector<double>& theta,
                                                   const std::vector<int>& held);

// The rows (point indexes) of bootstrap resample `k`: num_units units drawn with replacement,
// each bringing all its points. The same (seed, k, num_units) draws the same units, so two
// splits' fits on the same runs are resampled alike.
std::vector<int> ResampleRows(const std::vector<Point>& points, int num_units, uint64_t seed,
                              int k);

struct BootstrapResult {
  // Parameters of resample k at [k]; empty where its solve failed, so that the splits' resamples
  // stay aligned.
  std::vector<std::vector<double>> replicates;
  int failed = 0;
};

// Refits from `theta` on `resamples` resamples, on `threads` threads.
BootstrapResult Bootstrap(const ResidualSet& set, const std::vector<double>& theta,
                          const std::vector<int>& held, int num_units, int resamples, uint64_t seed,
                          const SolveOptions& options, int threads);

// The q-quantile (0 <= q <= 1) of `values`, interpolated linearly; NaN when empty.
double Quantile(std::vector<double> values, double q);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_UNCERTAINTY_H_
