#include "fitter/laws/law.h"

#include <algorithm>

namespace mixlaw {

std::vector<std::vector<double>> ProductGrid(const std::vector<std::vector<double>>& axes) {
  std::vector<std::vector<double>> grid = {{}};
  for (const std::vector<double>& axis : axes) {
    std::vector<std::vector<double>> next;
    next.reserve(grid.size() * axis.size());
    for (const std::vector<double>& prefix : grid) {
      for (double value : axis) {
        next.push_back(prefix);
        next.back().push_back(value);
      }
    }
    grid = std::move(next);
  }
  return grid;
}

void ClampToBounds(const std::vector<ParameterSpec>& parameters, std::vector<double>* start) {
  for (size_t i = 0; i < parameters.size() && i < start->size(); ++i) {
    (*start)[i] = std::clamp((*start)[i], parameters[i].lower, parameters[i].upper);
  }
}

}  // namespace mixlaw
