// Fitting a law to runs: multi-start from the law's grid in parallel, the best start kept and
// every start's outcome recorded; standard errors from the covariance, bootstrap intervals,
// R^2 and RMSE in log space, and leave-one-group-out cross-validation.
#ifndef MIXLAW_FITTER_FIT_H_
#define MIXLAW_FITTER_FIT_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/laws/registry.h"
#include "fitter/observations.h"
#include "fitter/quality.h"
#include "fitter/solve.h"

namespace mixlaw {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct FitOptions {
  SolveOptions solve;   // Huber delta, iterations, tolerances
  int max_starts = 64;  // a larger grid is subsampled (seeded) to this many starts
  int threads = 2;
  int bootstrap = 0;  // resamples of the runs; 0: no intervals
  uint64_t seed = 1;
  bool cross_validate = true;
};

struct ParameterEstimate {
  std::string name;
  double value = 0;
  double std_error = kNaN;  // sqrt of the covariance's diagonal; NaN when not computed
  double lower = kNaN;      // 95% bootstrap percentile interval; NaN without a bootstrap
  double upper = kNaN;
  bool held = false;      // fixed: the data lack the variation it needs
  bool at_bound = false;  // ended on one of its bounds
};

// One law fitted to one split's points.
struct ComponentFit {
  std::string law;    // "coupling/additional"
  std::string split;  // "eval/additional"
  std::string formula;
  std::vector<ParameterEstimate> parameters;
  size_t points = 0;
  double cost = 0;  // sum of Huber losses of the log residuals at the best start
  double r2_log = kNaN, rmse_log = kNaN;
  std::string covariance_note;  // why there are no standard errors, when there are none
  std::vector<StartOutcome> starts;
  std::vector<std::vector<double>> bootstrap;  // each resample's parameters, in resample order
  int bootstrap_failed = 0;
  std::vector<CvFold> cross_validation;
  std::vector<std::string> warnings;

  std::vector<double> Values() const;  // the parameters' values, in the law's order
  std::vector<int> Held() const;       // indexes of held parameters
};

// The sizes, ALMRs and LRs swept: what recommend checks an optimum against.
struct DataSummary {
  size_t runs = 0;  // fitted (the runs left out above their group's best LR are swept, not fitted)
  std::vector<double> sizes;                  // distinct N, ascending
  std::vector<double> almrs;                  // distinct r, ascending
  std::map<double, std::vector<double>> lrs;  // N -> distinct LRs swept at that size
};

struct LawFit {
  std::string law;     // registry name: "coupling"
  std::string source;  // the CSV it was read from
  double huber_delta = 0;
  uint64_t seed = 0;
  DataSummary data;
  std::vector<ComponentFit> components;
  std::vector<Observation> runs;      // the runs fitted, with their losses
  std::vector<std::string> diverged;  // names of the runs left out
  // The runs left out as above their group's best LR (fitter/lr_cliff.h), with their losses, and
  // the factor that left them out (0: none).
  std::vector<Observation> above_best;
  double max_lr_over_best = 0;
  std::vector<std::string> notes;     // rows skipped on reading
  std::vector<std::string> warnings;  // about the data (optima at the edge of the grid, ...)
};

// Fits `law` to `points` (units: 0 .. num_units - 1; the bootstrap resamples units).
absl::StatusOr<ComponentFit> FitComponent(const Law& law, const std::vector<Point>& points,
                                          int num_units, const FitOptions& options);

// Fits every component of `entry` to the runs of `set`; `split` is the split for laws that do
// not name one. A single-loss set (set.single_loss) is fitted on its one split, kSplitLoss, and
// a law of several splits (the coupling law) by its first component alone. InvalidArgument when
// the runs cannot support the law (no losses on the split, a column the law needs missing from
// the file or a run without a token budget for a law that reads it, fewer points than
// parameters).
absl::StatusOr<LawFit> FitObservations(const LawEntry& entry, const ObservationSet& set,
                                       const std::string& split, const FitOptions& options);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_FIT_H_
