#include "fitter/lr_cliff.h"

#include <cmath>

#include "fitter/target_check.h"

namespace mixlaw {

std::map<std::pair<double, double>, double> BestLrByGroup(const ObservationSet& set,
                                                          const RecommendOptions& criterion) {
  // (N, r) -> LR -> (sum of the criterion over its seeds, seeds)
  std::map<std::pair<double, double>, std::map<double, std::pair<double, int>>> groups;
  for (const Observation& o : WithCriterion(set, criterion).runs) {
    auto it = o.final_loss.find(kSplitCriterion);
    if (it == o.final_loss.end()) continue;
    auto& cell = groups[{o.params, o.almr}][o.peak_lr];
    cell.first += it->second;
    cell.second += 1;
  }
  std::map<std::pair<double, double>, double> best_lr;
  for (const auto& [group, by_lr] : groups) {
    double best = HUGE_VAL;
    for (const auto& [lr, cell] : by_lr) {
      if (cell.first / cell.second < best) {
        best = cell.first / cell.second;
        best_lr[group] = lr;
      }
    }
  }
  return best_lr;
}

ObservationSet LeaveOutAboveBest(const ObservationSet& set, const RecommendOptions& criterion) {
  const double factor = criterion.max_lr_over_best;
  if (factor <= 0) return set;
  const std::map<std::pair<double, double>, double> best_lr = BestLrByGroup(set, criterion);
  ObservationSet kept = set;
  kept.runs.clear();
  kept.max_lr_over_best = factor;
  for (const Observation& o : set.runs) {
    auto it = best_lr.find({o.params, o.almr});
    // A relative margin, so that an LR of exactly F times the best (a ladder's step) is kept.
    const bool above = it != best_lr.end() && o.peak_lr > factor * it->second * (1 + 1e-4);
    (above ? kept.above_best : kept.runs).push_back(o);
  }
  return kept;
}

}  // namespace mixlaw
