// What a study spends: a run's training compute, counted as 6 N D FLOPs (a forward and a backward
// pass over N parameters for each of D tokens), the usual estimate for dense transformers.
#ifndef MIXLAW_STUDY_COMPUTE_H_
#define MIXLAW_STUDY_COMPUTE_H_

#include <vector>

#include "fitter/observations.h"

namespace mixlaw {

// 6 N D: the FLOPs of training `params` parameters on `tokens` tokens.
inline double TrainingFlops(double params, double tokens) { return 6.0 * params * tokens; }

// The FLOPs of every run of `set`, diverged runs included (they were trained up to the point they
// diverged, counted here as their whole budget). A run's D is its `tokens`.
double ObservedFlops(const ObservationSet& set);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_COMPUTE_H_
