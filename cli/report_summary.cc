#include "cli/report_summary.h"

#include <algorithm>

#include "cli/output.h"
#include "nlohmann/json.hpp"
#include "orchestrator/run_state.h"

namespace mixlaw {

namespace {

ReportRun RunOf(const v1::Run& run, const std::vector<v1::MetricPoint>* points) {
  ReportRun r;
  r.name = run.name();
  r.stage = run.stage();
  r.model = run.model();
  r.params = run.params();
  r.almr = run.almr();
  r.peak_lr = run.peak_lr();
  r.seed = run.seed();
  r.state = RunStateName(run.state());
  r.failure_reason = run.failure_reason();
  if (points == nullptr) return r;
  for (const v1::MetricPoint& p : *points) {
    if (p.split().rfind("eval/", 0) != 0) continue;  // the training loss is too noisy to compare
    r.curves[p.split()].push_back({p.step(), p.loss()});
  }
  for (auto& [split, curve] : r.curves) {
    std::stable_sort(curve.begin(), curve.end(),
                     [](const CurvePoint& a, const CurvePoint& b) { return a.step < b.step; });
  }
  return r;
}

}  // namespace

SweepSummary SummaryOf(const SweepData& data) {
  SweepSummary s;
  s.id = data.sweep.id();
  s.name = data.sweep.name();
  s.state = SweepStateName(data.sweep.state());
  s.counts = StateCounts(data.sweep);
  nlohmann::json spec = nlohmann::json::parse(data.sweep.spec_json(), nullptr, false);
  if (spec.is_object() && spec.contains("description") && spec["description"].is_string()) {
    s.description = spec["description"].get<std::string>();
  }
  for (const v1::Run& run : data.runs) {
    auto points = data.points.find(run.id());
    s.runs.push_back(RunOf(run, points == data.points.end() ? nullptr : &points->second));
  }
  return s;
}

}  // namespace mixlaw
