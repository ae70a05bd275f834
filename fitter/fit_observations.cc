// FitObservations: from rows read off a CSV to each component's points, the fit, and what the
// data themselves tell a user (optima on the edge of the swept grid).
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/number_format.h"
#include "common/status_macros.h"
#include "fitter/fit.h"

namespace mixlaw {

namespace {

DataSummary Summarize(const ObservationSet& set) {
  DataSummary data;
  data.runs = set.runs.size();
  std::set<double> sizes, almrs;
  std::map<double, std::set<double>> lrs;
  for (const Observation& o : set.runs) {
    sizes.insert(o.params);
    almrs.insert(o.almr);
    lrs[o.params].insert(o.peak_lr);
  }
  data.sizes.assign(sizes.begin(), sizes.end());
  data.almrs.assign(almrs.begin(), almrs.end());
  for (const auto& [n, values] : lrs) data.lrs[n].assign(values.begin(), values.end());
  return data;
}

std::vector<std::string> SplitsOf(const ObservationSet& set) {
  std::set<std::string> splits;
  for (const Observation& o : set.runs) {
    for (const auto& [split, loss] : o.final_loss) splits.insert(split);
  }
  return {splits.begin(), splits.end()};
}

// Every run swept: those fitted and those left out above their group's best LR.
ObservationSet Swept(const ObservationSet& set) {
  ObservationSet swept = set;
  swept.runs.insert(swept.runs.end(), set.above_best.begin(), set.above_best.end());
  swept.above_best.clear();
  return swept;
}

// One warning per group whose lowest loss is at an end of its LRs: "eval/base: 482k, r = 0.1:
// the lowest loss is at the edge of the 5 LRs swept (3.00e-02): the grid does not bracket the
// optimum".
std::vector<std::string> EdgeOptima(const std::string& split,
                                    const std::vector<GroupOptimum>& optima) {
  std::vector<std::string> warnings;
  for (const GroupOptimum& g : optima) {
    if (g.interior) continue;
    warnings.push_back(
        absl::StrCat(split, ": ", FormatParams(g.params), ", r = ", FormatAlmr(g.almr),
                     ": the lowest loss is at the edge of the ", g.lrs, " LRs swept (",
                     FormatLr(g.lr), "): the grid does not bracket the optimum"));
  }
  return warnings;
}

}  // namespace

absl::StatusOr<LawFit> FitObservations(const LawEntry& entry, const ObservationSet& set,
                                       const std::string& split, const FitOptions& options) {
  LawFit fit;
  fit.law = entry.name;
  fit.source = set.source;
  fit.huber_delta = options.solve.huber_delta;
  fit.seed = options.seed;
  // The grid's LRs are every LR swept, the runs left out above their group's best among them;
  // data.runs counts the runs fitted.
  fit.data = Summarize(Swept(set));
  fit.data.runs = set.runs.size();
  fit.notes = set.notes;
  fit.runs = set.runs;
  for (const Observation& o : set.diverged) fit.diverged.push_back(o.name);
  fit.above_best = set.above_best;
  fit.max_lr_over_best = set.max_lr_over_best;
  for (const LawComponent& component : entry.components) {
    const Law& law = *component.law;
    auto lacks = [&](const char* column) {
      return absl::InvalidArgumentError(absl::StrCat(set.source, ": law ", entry.name,
                                                     " needs the column ", column,
                                                     ", which the file lacks"));
    };
    if (law.needs_almr() && !set.has_almr) return lacks("almr");
    if (law.needs_lr() && !set.has_lr) return lacks("lr");
    const std::string s = set.single_loss           ? std::string(kSplitLoss)
                          : component.split.empty() ? split
                                                    : component.split;
    std::vector<Point> loss_points = LossPoints(set, s);
    if (loss_points.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(set.source, ": no run has a final loss on split ", s,
                       " (splits: ", absl::StrJoin(SplitsOf(set), ", "), ")"));
    }
    if (law.reads_tokens()) {
      size_t missing = 0;
      for (const Point& p : loss_points) missing += p.tokens > 0 ? 0 : 1;
      if (missing > 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            set.source, ": law ", entry.name, " needs the column tokens (the budget D), and ",
            missing, " runs have none"));
      }
    }
    std::vector<GroupOptimum> optima = ObservedOptima(loss_points);
    if (law.uses_lr() || law.target() == Target::kOptimalLr) {
      // Whether the grid brackets an optimum is a question about every LR swept, the runs left
      // out above their group's best among them.
      const std::vector<GroupOptimum> swept =
          set.above_best.empty() ? optima : ObservedOptima(LossPoints(Swept(set), s));
      for (std::string& w : EdgeOptima(s, swept)) fit.warnings.push_back(std::move(w));
    }
    std::vector<Point> points = loss_points;
    int num_units = static_cast<int>(set.runs.size());
    if (law.target() == Target::kOptimalLr) {
      points = OptimalLrPoints(optima);
      num_units = static_cast<int>(optima.size());
    }
    MIXLAW_ASSIGN_OR_RETURN(ComponentFit c, FitComponent(law, points, num_units, options));
    c.split = s;
    fit.components.push_back(std::move(c));
    if (set.single_loss) break;  // one loss: the first component's law alone
  }
  return fit;
}

}  // namespace mixlaw
