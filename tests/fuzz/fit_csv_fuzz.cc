// The fitter's CSV, in all three forms (sweep export, two splits, single loss): any text is read
// or refused with a message; what is read holds the bounds the fitter relies on.
#include <cmath>

#include "fitter/observations.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  absl::StatusOr<ObservationSet> set = ParseObservationsCsv(FuzzText(data, size), "losses.csv");
  if (!set.ok()) {
    FuzzCheck(!set.status().message().empty(), "a refused file says why");
    return 0;
  }
  for (const Observation& run : set->runs) {
    FuzzCheck(std::isfinite(run.params) && run.params > 0, "params is finite and > 0");
    FuzzCheck(run.almr >= 0 && run.almr <= 1, "almr is in [0, 1]");
    FuzzCheck(std::isfinite(run.peak_lr) && run.peak_lr >= 0, "lr is finite and >= 0");
    FuzzCheck(std::isfinite(run.tokens) && run.tokens >= 0, "tokens is finite and >= 0");
    for (const auto& [split, loss] : run.final_loss) {
      FuzzCheck(std::isfinite(loss), "a fitted loss is finite");
    }
  }
  return 0;
}
