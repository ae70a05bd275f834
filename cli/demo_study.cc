#include "cli/demo_study.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/number_format.h"
#include "fitter/laws/registry.h"
#include "fitter/recommend_checks.h"
#include "fitter/validation.h"

namespace mixlaw {

absl::StatusOr<TargetPlan> PlanTarget(const ObservationSet& proxies, double target_params,
                                      int bootstrap, int threads) {
  TargetPlan plan;
  plan.target_params = target_params;
  FitOptions options;
  options.bootstrap = bootstrap;
  options.threads = threads;
  absl::StatusOr<LawFit> fit =
      FitObservations(*FindLaw("coupling"), proxies, kSplitAdditional, options);
  if (!fit.ok()) return fit.status();
  plan.fit = std::move(*fit);
  plan.criterion.target_params = target_params;
  absl::StatusOr<Recommendation> rec = Recommend(plan.fit, plan.criterion);
  if (!rec.ok()) return rec.status();
  plan.recommendation = std::move(*rec);

  const std::vector<double>& almrs = plan.fit.data.almrs;
  plan.almr = *std::min_element(almrs.begin(), almrs.end(), [&](double a, double b) {
    return std::fabs(a - plan.recommendation.almr) < std::fabs(b - plan.recommendation.almr);
  });
  absl::StatusOr<AlmrRow> row = RecommendAtAlmr(plan.fit, plan.criterion, plan.almr);
  if (!row.ok()) return row.status();
  plan.predicted_lr = row->lr;
  plan.predicted_loss = CriterionValue(row->loss_additional, row->loss_base, plan.criterion);

  plan.largest_proxy = plan.fit.data.sizes.back();
  absl::StatusOr<GroupOptimum> transfer = OptimumAt(WithCriterion(proxies, plan.criterion),
                                                    kSplitCriterion, plan.largest_proxy, plan.almr);
  if (!transfer.ok()) return transfer.status();
  plan.transfer_lr = transfer->lr;
  plan.transfer_interior = transfer->interior;
  plan.lrs = CheckLrs(plan.predicted_lr, plan.transfer_lr, kCheckSpacing, 2);
  plan.check_lr = *std::min_element(plan.lrs.begin(), plan.lrs.end(), [&](double a, double b) {
    return std::fabs(std::log(a / plan.predicted_lr)) < std::fabs(std::log(b / plan.predicted_lr));
  });
  const auto at = std::find(almrs.begin(), almrs.end(), plan.almr);
  if (at != almrs.begin()) plan.almr_neighbours.push_back(*(at - 1));
  if (at + 1 != almrs.end()) plan.almr_neighbours.push_back(*(at + 1));
  FitOptions held_out;
  held_out.cross_validate = false;
  held_out.threads = threads;
  plan.held_out = LeaveOneSizeOut(proxies, plan.almr, held_out, plan.criterion);
  return plan;
}

nlohmann::json TargetSpec(const nlohmann::json& target_template, const TargetPlan& plan,
                          const std::vector<double>& almrs, const std::vector<double>& lrs,
                          const std::string& suffix, const std::vector<SweepPoint>& points) {
  nlohmann::json spec = target_template;
  spec["grid"] = {{"almr", almrs}, {"lr", lrs}};
  if (!points.empty()) {
    spec["points"] = nlohmann::json::array();
    for (const SweepPoint& p : points) spec["points"].push_back({{"almr", p.almr}, {"lr", p.lr}});
  }
  if (!suffix.empty()) spec["name"] = spec.value("name", std::string("target")) + suffix;
  spec["fit"] = {{"target_params", plan.target_params}};
  return spec;
}

absl::StatusOr<TargetCheck> CheckTarget(const TargetPlan& plan, const ObservationSet& target,
                                        const TargetGoals& goals) {
  absl::StatusOr<SeedCurves> curves = CurvesAt(WithCriterion(target, plan.criterion),
                                               kSplitCriterion, plan.target_params, plan.almr);
  if (!curves.ok()) return curves.status();
  absl::StatusOr<CurveCheck> curve =
      CheckCurve(*curves, plan.predicted_lr, plan.predicted_loss, plan.transfer_lr);
  if (!curve.ok()) return curve.status();
  TargetCheck check;
  check.curve = std::move(*curve);
  check.goals = goals;
  const CurveCheck& c = check.curve;
  if (!c.interior) {
    check.notes.push_back(absl::StrCat("the lowest loss is at ", FormatLr(c.optimum_lr.value),
                                       ", an end of the LRs trained: the optimum is not "
                                       "bracketed and may lie beyond it"));
  }
  if (c.seeds.size() < 2) {
    check.notes.push_back("one seed: no spread to measure, so no interval and no goal resolved");
  }
  check.regret = AtMost(c.predicted.regret.interval, goals.regret);
  check.lr_factor = WithinFactor(c.predicted.lr_ratio.interval, goals.lr_factor);
  const Interval& e = c.loss_error.interval;
  const Interval size_of_error{
      // the interval of |error|
      e.lower <= 0 && e.upper >= 0 ? 0.0 : std::min(std::fabs(e.lower), std::fabs(e.upper)),
      std::max(std::fabs(e.lower), std::fabs(e.upper))};
  check.loss_error = AtMost(size_of_error, goals.loss_error);
  check.beats_transfer = Positive(c.regret_advantage.interval);
  return check;
}

absl::StatusOr<std::vector<AlmrCheck>> CheckAlmrs(const TargetPlan& plan,
                                                  const ObservationSet& target) {
  const ObservationSet measured = WithCriterion(target, plan.criterion);
  // (ALMR, seed) -> the criterion at check_lr.
  std::map<std::pair<double, int64_t>, double> at;
  for (const Observation& o : measured.runs) {
    auto it = o.final_loss.find(kSplitCriterion);
    if (it == o.final_loss.end() || std::fabs(o.peak_lr / plan.check_lr - 1) > 1e-6) continue;
    if (std::fabs(o.params / plan.target_params - 1) > 1e-6) continue;
    at[{o.almr, o.seed}] = it->second;
  }
  std::vector<AlmrCheck> checks;
  for (double r : plan.almr_neighbours) {
    std::vector<double> reference, other;
    for (const auto& [key, value] : at) {
      if (key.first != r) continue;
      auto paired = at.find({plan.almr, key.second});
      if (paired == at.end()) continue;
      reference.push_back(paired->second);
      other.push_back(value);
    }
    if (other.empty()) {
      return absl::NotFoundError(absl::StrCat("no target run at ALMR ", FormatAlmr(r), ", LR ",
                                              FormatLr(plan.check_lr),
                                              " beside one at the recommended ALMR"));
    }
    AlmrCheck c;
    c.almr = r;
    c.excess = RelativeExcess(reference, other);
    c.verdict = Positive(c.excess.interval);
    checks.push_back(c);
  }
  return checks;
}

Verdict AlmrVerdict(const std::vector<AlmrCheck>& checks) {
  bool all_met = true, any_not_met = false;
  for (const AlmrCheck& a : checks) {
    all_met = all_met && a.verdict == Verdict::kMet;
    any_not_met = any_not_met || a.verdict == Verdict::kNotMet;
  }
  return all_met ? Verdict::kMet : any_not_met ? Verdict::kNotMet : Verdict::kNotResolved;
}

}  // namespace mixlaw
