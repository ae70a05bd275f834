// Checking a fitted law at a model size it was not fitted on, as `mixlaw demo` does: which LRs to
// train at the held-out size, what the law and the direct-transfer baseline (the largest proxy's
// optimum used as is) predict there, and what the measurements say.
#ifndef MIXLAW_FITTER_VALIDATION_H_
#define MIXLAW_FITTER_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/observations.h"
#include "fitter/points.h"

namespace mixlaw {

// The LRs to train: predicted * spacing^k for k = -each_side .. each_side, rounded to three
// significant digits, plus `transfer` itself when it lies beyond either end (by more than 1%: the
// loss inside the ladder is read off its parabola, see LossAt), ascending.
std::vector<double> CheckLrs(double predicted, double transfer, double spacing, int each_side);

// `count` more LRs beyond the lowest (`upward` false) or highest of `lrs`, spaced by `spacing`
// and rounded as CheckLrs rounds: where to look when the lowest loss is at an end.
std::vector<double> BeyondLrs(const std::vector<double>& lrs, bool upward, double spacing,
                              int count);

// The observed optimum over LR on `split` of the runs at size `params` and ALMR `almr` (seeds
// averaged; the best LR refined by a parabola in ln LR when it is interior). NotFound when fewer
// than two LRs were measured there.
absl::StatusOr<GroupOptimum> OptimumAt(const ObservationSet& runs, const std::string& split,
                                       double params, double almr);

// The mean over seeds of the loss on `split` at size `params`, ALMR `almr` and LR `lr` (within
// 1e-6 relative); NotFound when no run was measured there.
absl::StatusOr<double> MeanLossAt(const ObservationSet& runs, const std::string& split,
                                  double params, double almr, double lr);

// The loss at `lr` read off the measurements: the seed means at the three measured LRs nearest
// it, joined by a parabola in ln LR (exact at a measured LR). OutOfRange when `lr` lies outside
// the LRs measured by more than 1%; NotFound with fewer than three LRs.
absl::StatusOr<double> LossAt(const ObservationSet& runs, const std::string& split, double params,
                              double almr, double lr);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_VALIDATION_H_
