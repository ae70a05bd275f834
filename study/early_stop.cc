#include "study/early_stop.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/number_format.h"
#include "trainer/schedule.h"

namespace mixlaw {
namespace {

constexpr double kZ95 = 1.959963984540054;  // a 95% interval's half width in sds

}  // namespace

double StopBound(const CurvePrediction& p) {
  if (!std::isfinite(p.interval.lower) || !std::isfinite(p.loss)) return kNaN;
  return p.loss - kStopSds / kZ95 * std::max(0.0, p.loss - p.interval.lower);
}

std::vector<StopDecision> RunsToStop(const std::vector<GroupRun>& group) {
  double best = HUGE_VAL;
  std::string best_run;
  bool best_finished = false;
  for (const GroupRun& r : group) {
    const double bound = r.finished ? r.final_loss : r.current_loss;
    if (std::isfinite(bound) && bound < best) {
      best = bound;
      best_run = r.name;
      best_finished = r.finished;
    }
  }
  std::vector<StopDecision> stop;
  if (!std::isfinite(best)) return stop;
  for (const GroupRun& r : group) {
    if (r.finished || !r.prediction.has_value() || r.name == best_run) continue;
    const CurvePrediction& p = *r.prediction;
    const double bound = StopBound(p);
    if (!(bound > best)) continue;
    stop.push_back(
        {r.name, p, best, best_run,
         absl::StrCat("predicted final loss ", FormatLoss(p.loss), " [",
                      FormatLoss(p.interval.lower), ", ", FormatLoss(p.interval.upper), "] from ",
                      p.samples, " evaluations, ", FormatLoss(bound), " at ", kStopSds,
                      " sd below, is above the group's best ", FormatLoss(best), " (", best_run,
                      best_finished ? "" : ", so far", ")")});
  }
  return stop;
}

std::vector<CurveSample> CriterionCurve(const std::vector<v1::MetricPoint>& points,
                                        const RecommendOptions& criterion) {
  std::map<int64_t, std::pair<double, double>> by_step;  // additional, base
  for (const v1::MetricPoint& p : points) {
    if (p.split() != kSplitAdditional && p.split() != kSplitBase) continue;
    auto it = by_step.try_emplace(p.step(), kNaN, kNaN).first;
    (p.split() == kSplitAdditional ? it->second.first : it->second.second) = p.loss();
  }
  std::vector<CurveSample> curve;
  for (const auto& [step, losses] : by_step) {
    const double value = CriterionValue(losses.first, losses.second, criterion);
    if (step > 0 && std::isfinite(value) && value > 0) curve.push_back({step, value});
  }
  return curve;
}

namespace {

// The mean of the curve's last kCurrentLossEvals values; NaN for an empty curve.
double CurrentLoss(const std::vector<CurveSample>& curve) {
  const size_t n = std::min<size_t>(curve.size(), kCurrentLossEvals);
  if (n == 0) return kNaN;
  double sum = 0;
  for (size_t i = curve.size() - n; i < curve.size(); ++i) sum += curve[i].loss;
  return sum / static_cast<double>(n);
}

// The steps of a CPT run of the spec: its reported total, else the spec's.
int64_t TotalSteps(const StudySpec& spec, const v1::Run& run) {
  return run.total_steps() > 0 ? run.total_steps() : spec.proxy_sweep.training.total_steps();
}

}  // namespace

RoundMonitor::RoundMonitor(const StudySpec& spec, const ObservationSet& earlier) : spec_(spec) {
  for (const Observation& o : earlier.runs) {
    const auto add = o.final_loss.find(kSplitAdditional);
    const auto base = o.final_loss.find(kSplitBase);
    if (add == o.final_loss.end() || base == o.final_loss.end()) continue;
    GroupRun g;
    g.name = o.name;
    g.finished = true;
    g.final_loss = CriterionValue(add->second, base->second, spec.criterion);
    earlier_[{o.params, o.almr}].push_back(g);
  }
}

std::vector<RunStop> RoundMonitor::Check(const std::vector<v1::Run>& runs,
                                         const PointsByRun& points) {
  const EarlyStopRule& rule = spec_.early_stop;
  std::map<std::pair<double, double>, std::vector<GroupRun>> groups = earlier_;
  std::map<std::string, int64_t> ids;
  for (const v1::Run& r : runs) {
    if (r.stage() != "cpt") continue;
    const auto found = points.find(r.id());
    const std::vector<v1::MetricPoint> none;
    const std::vector<v1::MetricPoint>& run_points = found == points.end() ? none : found->second;
    GroupRun g;
    g.name = r.name();
    ids[r.name()] = r.id();
    if (r.state() == v1::RUN_STATE_SUCCEEDED) {
      const auto add = r.final_loss().find(kSplitAdditional);
      const auto base = r.final_loss().find(kSplitBase);
      if (add == r.final_loss().end() || base == r.final_loss().end()) continue;
      g.finished = true;
      g.final_loss = CriterionValue(add->second, base->second, spec_.criterion);
    } else if (r.state() == v1::RUN_STATE_RUNNING && stopped_.count(r.id()) == 0) {
      const int64_t total = TotalSteps(spec_, r);
      const std::vector<CurveSample> curve = CriterionCurve(run_points, spec_.criterion);
      g.current_loss = CurrentLoss(curve);
      if (total > 0 && r.step() >= rule.min_fraction * static_cast<double>(total) &&
          static_cast<int>(curve.size()) >= rule.min_evals && curve.back().step < total) {
        CurveFitOptions options;
        options.min_samples = rule.min_evals;
        options.bootstrap = rule.bootstrap;
        options.seed = static_cast<uint64_t>(r.id());
        absl::StatusOr<CurvePrediction> p = PredictFinalLoss(
            AreasOf(spec_.proxy_sweep.training.schedule, total, r.peak_lr()), curve, options);
        if (p.ok()) g.prediction = *p;
      }
    } else {
      continue;
    }
    groups[{r.params(), r.almr()}].push_back(std::move(g));
  }
  std::vector<RunStop> stops;
  for (const auto& [key, group] : groups) {
    for (StopDecision& d : RunsToStop(group)) {
      const auto id = ids.find(d.run);
      if (id == ids.end()) continue;
      stopped_.insert(id->second);
      stops.push_back({id->second, d.run, std::move(d.reason), d.prediction});
    }
  }
  return stops;
}

std::vector<StoppedRun> StoppedRuns(const StudySpec& spec, const std::vector<v1::Run>& runs,
                                    const PointsByRun& points) {
  std::vector<StoppedRun> stopped;
  for (const v1::Run& r : runs) {
    if (r.stage() != "cpt" || r.state() != v1::RUN_STATE_STOPPED) continue;
    StoppedRun s;
    s.run.name = r.name();
    s.run.params = r.params();
    s.run.tokens = static_cast<double>(r.tokens());
    s.run.almr = r.almr();
    s.run.peak_lr = r.peak_lr();
    s.run.seed = r.seed();
    const int64_t total = TotalSteps(spec, r);
    s.trained_fraction =
        total > 0 ? std::clamp(static_cast<double>(r.step()) / static_cast<double>(total), 0.0, 1.0)
                  : 0.0;
    s.reason = r.failure_reason();
    const auto found = points.find(r.id());
    if (found != points.end() && total > 0) {
      for (const auto& [split, p] : PredictSplits(
               found->second, AreasOf(spec.proxy_sweep.training.schedule, total, r.peak_lr()),
               spec.early_stop)) {
        s.run.final_loss[split] = p.loss;
        s.run.weight[split] = PredictionWeight(p);
      }
    }
    stopped.push_back(std::move(s));
  }
  return stopped;
}

double PredictionWeight(const CurvePrediction& p) {
  const double sd = std::log(p.interval.upper / p.interval.lower) / (2 * kZ95);
  if (!(sd > 0) || !std::isfinite(sd) || !(p.rmse_log > 0)) return 1.0;
  return std::clamp((p.rmse_log * p.rmse_log) / (sd * sd), kMinPredictionWeight, 1.0);
}

std::map<std::string, CurvePrediction> PredictSplits(const std::vector<v1::MetricPoint>& points,
                                                     const ScheduleAreas& areas,
                                                     const EarlyStopRule& rule) {
  std::map<std::string, std::vector<CurveSample>> curves;
  for (const v1::MetricPoint& p : points) {
    if (p.split() != kSplitAdditional && p.split() != kSplitBase) continue;
    if (p.step() > 0 && p.step() <= areas.steps() && std::isfinite(p.loss()) && p.loss() > 0) {
      curves[p.split()].push_back({p.step(), p.loss()});
    }
  }
  std::map<std::string, CurvePrediction> predicted;
  for (auto& [split, curve] : curves) {
    std::sort(curve.begin(), curve.end(),
              [](const CurveSample& a, const CurveSample& b) { return a.step < b.step; });
    CurveFitOptions options;
    options.min_samples = rule.min_evals;
    options.bootstrap = rule.bootstrap;
    absl::StatusOr<CurvePrediction> p = PredictFinalLoss(areas, curve, options);
    if (p.ok()) predicted[split] = *p;
  }
  return predicted;
}

}  // namespace mixlaw
