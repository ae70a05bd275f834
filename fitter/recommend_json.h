// A recommendation as JSON: what `mixlaw recommend --json` prints and `mixlaw report --json` and
// report.html carry (docs/fit.md). Non-finite numbers are null.
#ifndef MIXLAW_FITTER_RECOMMEND_JSON_H_
#define MIXLAW_FITTER_RECOMMEND_JSON_H_

#include "fitter/recommend.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

// The choice, its intervals and losses, the per-ALMR grid at the target size and the warnings.
nlohmann::json RecommendationToJson(const Recommendation& recommendation);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_RECOMMEND_JSON_H_
