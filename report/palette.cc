#include "report/palette.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "fitter/observations.h"

namespace mixlaw::report {

std::string Viridis(double t) {
  // Stops of matplotlib's viridis at t = 0, 0.125, .., 1, interpolated linearly between them.
  static constexpr std::array<std::array<double, 3>, 9> kStops = {{{68, 1, 84},
                                                                   {71, 44, 122},
                                                                   {59, 81, 139},
                                                                   {44, 113, 142},
                                                                   {33, 144, 141},
                                                                   {39, 173, 129},
                                                                   {92, 200, 99},
                                                                   {170, 220, 50},
                                                                   {253, 231, 37}}};
  t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
  const double x = t * (kStops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(x), kStops.size() - 2);
  const double f = x - static_cast<double>(i);
  char buffer[8];
  int rgb[3];
  for (int c = 0; c < 3; ++c) {
    rgb[c] = static_cast<int>(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
  }
  std::snprintf(buffer, sizeof(buffer), "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
  return buffer;
}

std::string Ordered(size_t i, size_t n) {
  return Viridis(n <= 1 ? 0.0 : 0.85 * static_cast<double>(i) / static_cast<double>(n - 1));
}

std::string Category(size_t i) {
  // ColorBrewer's Dark2: distinct at a glance, none too light for white.
  static constexpr const char* kColors[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                                            "#66a61e", "#e6ab02", "#a6761d", "#666666"};
  return kColors[i % std::size(kColors)];
}

std::string SplitColor(const std::string& split) {
  return split == kSplitAdditional ? "#d95f02" : "#1b9e77";
}

}  // namespace mixlaw::report
