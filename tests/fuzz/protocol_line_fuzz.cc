// The trainer protocol's lines (docs/trainer-protocol.md): every line is a metric, a step count,
// an artifact or other text, never a crash; what is recognised formats back to the same line.
#include <cmath>
#include <variant>

#include "tests/fuzz/fuzz_input.h"
#include "trainer/protocol.h"

namespace {

bool SameNumber(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  const std::string text = FuzzText(data, size);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const TrainerLine line = ParseTrainerLine(text.substr(start, end - start));
    if (const auto* metric = std::get_if<MetricLine>(&line)) {
      const TrainerLine back = ParseTrainerLine(FormatMetricLine(*metric));
      const auto* again = std::get_if<MetricLine>(&back);
      FuzzCheck(again != nullptr, "a metric line formats back to a metric line");
      FuzzCheck(again->split == metric->split && again->step == metric->step &&
                    again->tokens == metric->tokens && SameNumber(again->loss, metric->loss) &&
                    SameNumber(again->lr, metric->lr),
                "a metric line formats back to the same values");
    } else if (const auto* total = std::get_if<TotalStepsLine>(&line)) {
      const TrainerLine back = ParseTrainerLine(FormatTotalStepsLine(total->total_steps));
      FuzzCheck(std::get_if<TotalStepsLine>(&back) != nullptr &&
                    std::get<TotalStepsLine>(back).total_steps == total->total_steps,
                "a step count formats back to itself");
    } else if (const auto* artifact = std::get_if<ArtifactLine>(&line)) {
      const TrainerLine back = ParseTrainerLine(FormatArtifactLine(artifact->name, artifact->path));
      FuzzCheck(std::get_if<ArtifactLine>(&back) != nullptr &&
                    std::get<ArtifactLine>(back).path == artifact->path,
                "an artifact line formats back to itself");
    }
    start = end + 1;
  }
  return 0;
}
