// Real LR curves are flat near the optimum and rise steeply above it, where runs begin to blow
// up. Fitted with the runs far above it, the law's parabola bends toward that cliff and places
// the optimum too low at larger sizes (docs/laws.md, "Where the law bends"). A recommendation's
// fit can leave those runs out: the runs whose LR is above a factor of their group's best.
#ifndef MIXLAW_FITTER_LR_CLIFF_H_
#define MIXLAW_FITTER_LR_CLIFF_H_

#include <map>
#include <utility>

#include "fitter/observations.h"
#include "fitter/recommend.h"

namespace mixlaw {

// (N, r) -> the peak LR whose runs have the lowest mean of what `criterion` minimises
// (L_additional + W L_base, or L_additional under a forgetting budget) over their seeds. A group
// none of whose runs has both splits is absent.
std::map<std::pair<double, double>, double> BestLrByGroup(const ObservationSet& set,
                                                          const RecommendOptions& criterion);

// `set` as a recommendation's fit reads it: with criterion.max_lr_over_best = F > 0, each run
// whose peak LR is above F times its group's best LR (BestLrByGroup) is moved from runs to
// above_best, and F is recorded as its max_lr_over_best; with F = 0, `set` unchanged.
ObservationSet LeaveOutAboveBest(const ObservationSet& set, const RecommendOptions& criterion);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LR_CLIFF_H_
