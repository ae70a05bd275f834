#include "common/number_format.h"

#include <cmath>
#include <cstdio>

namespace mixlaw {

namespace {

std::string Printf(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

}  // namespace

std::string FormatLoss(double loss) {
  if (!std::isfinite(loss)) return std::isnan(loss) ? "NaN" : (loss > 0 ? "inf" : "-inf");
  return Printf("%.4f", loss);
}

std::string FormatLr(double lr) { return Printf("%.2e", lr); }

std::string FormatAlmr(double almr) {
  std::string s = Printf("%.3f", almr);
  while (s.size() > 3 && s.back() == '0') s.pop_back();
  return s;
}

std::string FormatParams(double params) {
  struct Unit {
    double scale;
    const char* suffix;
  };
  for (Unit u : {Unit{1e12, "T"}, Unit{1e9, "B"}, Unit{1e6, "M"}, Unit{1e3, "k"}}) {
    if (std::fabs(params) >= u.scale) {
      std::string s = Printf("%.3g", params / u.scale);
      return s + u.suffix;
    }
  }
  return Printf("%.3g", params);
}

std::string FormatPercent(double fraction) { return Printf("%.1f%%", fraction * 100.0); }

std::string FormatEstimate(double value) { return Printf("%.5g", value); }

std::string FormatStdError(double error) { return std::isnan(error) ? "-" : Printf("%.3g", error); }

std::string FormatFactor(double factor) { return Printf("x%.2f", factor); }

std::string FormatFlops(double flops) { return Printf("%.3g", flops); }

std::string FormatCounts(const std::vector<std::pair<std::string, int64_t>>& counts) {
  std::string text;
  for (const auto& [state, n] : counts) {
    if (!text.empty()) text += ", ";
    text += std::to_string(n) + " " + state;
  }
  return text.empty() ? "no runs" : text;
}

}  // namespace mixlaw
