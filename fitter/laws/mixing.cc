#include "fitter/laws/mixing.h"

namespace mixlaw {

MixingLaw::MixingLaw()
    : AutoDiffLaw("mixing", "L = c + k exp(t r)",
                  {
                      {"c", 0, 50},
                      {"log_k", -50, 10, Needs::kAlmrs, -50},
                      {"t", -30, 30, Needs::kAlmrs, 0},
                  }) {}

// c below the lowest loss; k such that the law passes through the lowest loss at the median r.
std::vector<std::vector<double>> MixingLaw::InitialGrid(const DataRange& range) const {
  std::vector<std::vector<double>> grid;
  for (const std::vector<double>& a : ProductGrid({{0.5, 0.9}, {-5, -2, -0.5, 0.5, 2, 5}})) {
    const double c = a[0] * range.min_value;
    grid.push_back({c, std::log(range.min_value - c) - a[1] * range.median_almr, a[1]});
  }
  return grid;
}

}  // namespace mixlaw
