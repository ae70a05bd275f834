// A stored sweep as the fitter reads it, and the coupling-law fit that every recommendation of a
// sweep starts from: `recommend`, `report` and the dashboard (dashboard/) read the same runs the
// same way, so that they give the same numbers.
#ifndef MIXLAW_STUDY_SWEEP_FIT_H_
#define MIXLAW_STUDY_SWEEP_FIT_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "fitter/observations.h"
#include "fitter/recommend.h"
#include "mixlaw/v1/mixlaw.pb.h"
#include "nlohmann/json.hpp"
#include "orchestrator/store.h"

namespace mixlaw {

struct SweepData {
  v1::Sweep sweep;
  std::vector<v1::Run> runs;
  std::map<int64_t, std::vector<v1::MetricPoint>> points;  // by run id, with_points only
};

// The sweep's runs from `store` (and, with `with_points`, every metric point of each). NotFound
// for an unknown sweep.
absl::StatusOr<SweepData> ReadSweep(Store& store, int64_t sweep_id, bool with_points);

// The sweep's runs as the fitter reads them: exactly what `sweep export --table runs --format
// csv` writes, parsed by the same reader as `fit --csv` (pretraining rows skipped, diverged runs
// listed). With `last_evals` > 1 each run's loss on a split is the mean of its last `last_evals`
// evaluations of it (the data must hold the points) instead of the last one.
absl::StatusOr<ObservationSet> SweepObservations(const SweepData& data, int last_evals = 1);

// The sweep spec's fit.max_lr_over_best, read from its stored spec; 0 when it sets none.
double SpecMaxLrOverBest(const v1::Sweep& sweep);

// The coupling law fitted to `set` on the additional split as a recommendation for `criterion`
// needs it: without the runs above criterion.max_lr_over_best times their group's best LR
// (fitter/lr_cliff.h), `options` as given, without cross-validation (`mixlaw fit` reports that).
absl::StatusOr<LawFit> FitForRecommendation(const ObservationSet& set,
                                            const RecommendOptions& criterion, FitOptions options);

// What `recommend SWEEP --json` prints: the recommendation's JSON (fitter/recommend_json.h) with
// "fit": {"source", "law", "runs" (fitted), "max_lr_over_best" (0: none left out),
// "runs_above_best" (left out)}.
nlohmann::json RecommendationReplyJson(const LawFit& fit, const Recommendation& recommendation);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_SWEEP_FIT_H_
