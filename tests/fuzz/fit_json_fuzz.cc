// FIT.json (docs/fit.md): any text is read or refused with a message; a fit that reads writes
// back to a file that reads as the same law.
#include "fitter/fit_json.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  nlohmann::json json = nlohmann::json::parse(FuzzText(data, size), nullptr, false);
  if (json.is_discarded()) return 0;
  absl::StatusOr<mixlaw::LawFit> fit = FitFromJson(json, "FIT.json");
  if (!fit.ok()) {
    FuzzCheck(!fit.status().message().empty(), "a refused fit says why");
    return 0;
  }
  absl::StatusOr<mixlaw::LawFit> again = FitFromJson(FitToJson(*fit), "written");
  FuzzCheck(again.ok(), "a fit that was read reads again once written");
  FuzzCheck(again->law == fit->law && again->components.size() == fit->components.size(),
            "the written fit is the same law");
  return 0;
}
