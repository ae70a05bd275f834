// FIT.json: a fitted law as `mixlaw fit --out` writes it and `mixlaw recommend --fit` reads it
// (docs/fit.md). Non-finite numbers are null.
#ifndef MIXLAW_FITTER_FIT_JSON_H_
#define MIXLAW_FITTER_FIT_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

inline constexpr char kFitFormat[] = "mixlaw-fit/1";

nlohmann::json FitToJson(const LawFit& fit);

// Reads what FitToJson wrote, except each start's details (kept in the file for diagnosis).
// InvalidArgument lists every problem with its JSON path; `source` names the file.
absl::StatusOr<LawFit> FitFromJson(const nlohmann::json& json, const std::string& source);

absl::Status WriteFitFile(const LawFit& fit, const std::string& path);
absl::StatusOr<LawFit> ReadFitFile(const std::string& path);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_FIT_JSON_H_
