// The sweep spec (docs/sweep-spec.md): any text is accepted or refused with a message, never a
// crash; a spec that parses parses again from its stored form, and expands into runs.
#include "orchestrator/sweep_spec.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(FuzzText(data, size), "sweep.json", "/fuzz");
  if (!spec.ok()) {
    FuzzCheck(!spec.status().message().empty(), "a refused spec says why");
    return 0;
  }
  absl::StatusOr<SweepSpec> again = ParseSweepSpec(spec->canonical.dump(), "stored", "/fuzz");
  FuzzCheck(again.ok(), "a spec's stored form parses again");
  // Expanding is linear in the runs; a grid of at most 1000 x 1000 values is valid but slow here.
  const size_t grid = spec->almr.size() * spec->lr.size() * spec->seeds.size();
  if (grid <= 10000) {
    std::vector<PlannedRun> runs = ExpandSweep(*spec);
    FuzzCheck(!runs.empty(), "a valid spec has runs");
    for (const PlannedRun& run : runs) {
      FuzzCheck(run.depends_on < static_cast<int>(runs.size()), "a run waits for a known run");
    }
  }
  return 0;
}
