// RUN.json (docs/trainer-protocol.md): any text is read or refused with a message; a config that
// reads writes back to JSON that reads as the same config.
#include "tests/fuzz/fuzz_input.h"
#include "trainer/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  absl::StatusOr<RunConfig> config = ParseRunConfig(FuzzText(data, size), "RUN.json");
  if (!config.ok()) {
    FuzzCheck(!config.status().message().empty(), "a refused config says why");
    return 0;
  }
  const nlohmann::json written = config->ToJson();
  absl::StatusOr<RunConfig> again = ParseRunConfig(written.dump(), "written");
  FuzzCheck(again.ok(), "a config that was read reads again once written");
  FuzzCheck(again->ToJson() == written, "writing a config read back changes nothing");
  return 0;
}
