#include "study/sweep_fit.h"

#include <algorithm>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "fitter/laws/registry.h"
#include "fitter/lr_cliff.h"
#include "fitter/recommend_json.h"
#include "orchestrator/export.h"

namespace mixlaw {

absl::StatusOr<SweepData> ReadSweep(Store& store, int64_t sweep_id, bool with_points) {
  SweepData data;
  absl::StatusOr<v1::Sweep> sweep = store.GetSweep(sweep_id);
  if (!sweep.ok()) return sweep.status();
  data.sweep = *sweep;
  absl::StatusOr<std::vector<v1::Run>> runs = store.ListRuns(sweep_id);
  if (!runs.ok()) return runs.status();
  data.runs = *runs;
  if (!with_points) return data;
  for (const v1::Run& r : data.runs) {
    absl::StatusOr<std::vector<v1::MetricPoint>> points = store.RunPoints(r.id());
    if (!points.ok()) return points.status();
    data.points[r.id()] = std::move(*points);
  }
  return data;
}

absl::StatusOr<ObservationSet> SweepObservations(const SweepData& data, int last_evals) {
  std::vector<v1::Run> runs = data.runs;
  if (last_evals > 1) {
    for (v1::Run& run : runs) {
      auto found = data.points.find(run.id());
      if (found == data.points.end()) continue;
      std::map<std::string, std::vector<double>> evals;  // split -> losses in step order
      for (const v1::MetricPoint& p : found->second) {
        if (p.split().rfind("eval/", 0) == 0) evals[p.split()].push_back(p.loss());
      }
      for (auto& [split, losses] : evals) {
        if (run.final_loss().count(split) == 0) continue;  // unfinished: left as exported
        const size_t k = std::min(losses.size(), static_cast<size_t>(last_evals));
        double sum = 0;
        for (size_t i = losses.size() - k; i < losses.size(); ++i) sum += losses[i];
        (*run.mutable_final_loss())[split] = sum / static_cast<double>(k);
      }
    }
  }
  std::ostringstream csv;
  WriteRunsCsv(runs, csv);
  return ParseObservationsCsv(csv.str(), absl::StrCat("sweep ", data.sweep.id()));
}

double SpecMaxLrOverBest(const v1::Sweep& sweep) {
  // The spec was checked when it was submitted: a number above 1 when present.
  const nlohmann::json spec = nlohmann::json::parse(sweep.spec_json(), nullptr, false);
  if (!spec.is_object() || !spec.contains("fit") || !spec["fit"].is_object()) return 0;
  const nlohmann::json& fit = spec["fit"];
  auto it = fit.find("max_lr_over_best");
  return it != fit.end() && it->is_number() ? it->get<double>() : 0;
}

absl::StatusOr<LawFit> FitForRecommendation(const ObservationSet& set,
                                            const RecommendOptions& criterion, FitOptions options) {
  options.cross_validate = false;
  return FitObservations(*FindLaw("coupling"), LeaveOutAboveBest(set, criterion), kSplitAdditional,
                         options);
}

nlohmann::json RecommendationReplyJson(const LawFit& fit, const Recommendation& recommendation) {
  nlohmann::json j = RecommendationToJson(recommendation);
  j["fit"] = {{"source", fit.source},
              {"law", fit.law},
              {"runs", fit.data.runs},
              {"max_lr_over_best", fit.max_lr_over_best},
              {"runs_above_best", fit.above_best.size()}};
  return j;
}

}  // namespace mixlaw
