#include "trainer/protocol.h"

#include <cmath>

#include "nlohmann/json.hpp"

namespace mixlaw {

TrainerLine ParseTrainerLine(const std::string& line) {
  size_t start = line.find_first_not_of(" \t\r");
  if (start == std::string::npos || line[start] != '{') return OtherLine{};
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return OtherLine{"not a JSON object"};
  if (j.contains("split")) {
    MetricLine m;
    if (!j["split"].is_string() || j["split"].get<std::string>().empty()) {
      return OtherLine{"split must be a non-empty string"};
    }
    m.split = j["split"].get<std::string>();
    if (!j.contains("step") || !j["step"].is_number_integer() || j["step"].get<int64_t>() < 0) {
      return OtherLine{"step must be an integer >= 0"};
    }
    m.step = j["step"].get<int64_t>();
    // A diverged loss may be printed as null, "nan" or a non-finite number; it is kept as NaN.
    if (!j.contains("loss")) return OtherLine{"loss is missing"};
    if (j["loss"].is_number()) {
      m.loss = j["loss"].get<double>();
    } else {
      m.loss = std::nan("");
    }
    if (j.contains("tokens") && j["tokens"].is_number()) {
      // A whole number printed as a float (1024.0) is read; one no int64 holds is refused.
      const double tokens = j["tokens"].get<double>();
      if (!(tokens >= 0 && tokens < 9.2e18))
        return OtherLine{"tokens must be a number in [0, 9.2e18)"};
      m.tokens = j["tokens"].is_number_integer() ? j["tokens"].get<int64_t>()
                                                 : static_cast<int64_t>(std::llround(tokens));
    }
    if (j.contains("lr") && j["lr"].is_number()) m.lr = j["lr"].get<double>();
    return m;
  }
  if (j.contains("artifact")) {
    if (!j["artifact"].is_string() || !j.contains("path") || !j["path"].is_string()) {
      return OtherLine{"artifact and path must be strings"};
    }
    return ArtifactLine{j["artifact"].get<std::string>(), j["path"].get<std::string>()};
  }
  if (j.contains("total_steps")) {
    if (!j["total_steps"].is_number_integer() || j["total_steps"].get<int64_t>() < 1) {
      return OtherLine{"total_steps must be an integer >= 1"};
    }
    return TotalStepsLine{j["total_steps"].get<int64_t>()};
  }
  return OtherLine{"object has none of split, artifact, total_steps"};
}

std::string FormatMetricLine(const MetricLine& m) {
  nlohmann::json j = {{"step", m.step}, {"split", m.split}};
  if (std::isfinite(m.loss)) {
    j["loss"] = m.loss;
  } else {
    j["loss"] = nullptr;
  }
  j["tokens"] = m.tokens;
  j["lr"] = m.lr;
  return j.dump();
}

std::string FormatTotalStepsLine(int64_t total_steps) {
  return nlohmann::json({{"total_steps", total_steps}}).dump();
}

std::string FormatArtifactLine(const std::string& name, const std::string& path) {
  return nlohmann::json({{"artifact", name}, {"path", path}}).dump();
}

}  // namespace mixlaw
