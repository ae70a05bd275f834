#include "cli/demo_study.h"

#include <algorithm>
#include <cmath>

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
  plan.split = kSplitCriterion;

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
                                                    plan.split, plan.largest_proxy, plan.almr);
  if (!transfer.ok()) return transfer.status();
  plan.transfer_lr = transfer->lr;
  plan.transfer_interior = transfer->interior;
  plan.lrs = CheckLrs(plan.predicted_lr, plan.transfer_lr, kCheckSpacing, 2);
  FitOptions held_out;
  held_out.cross_validate = false;
  held_out.threads = threads;
  plan.held_out = LeaveOneSizeOut(proxies, plan.almr, held_out, plan.criterion);
  return plan;
}

nlohmann::json TargetSpec(const nlohmann::json& target_template, const TargetPlan& plan,
                          const std::vector<double>& lrs, int round) {
  nlohmann::json spec = target_template;
  spec["grid"] = {{"almr", {plan.almr}}, {"lr", lrs}};
  if (round > 1) spec["name"] = spec.value("name", std::string("target")) + "-" + std::to_string(round);
  spec["fit"] = {{"target_params", plan.target_params}};
  return spec;
}

absl::StatusOr<TargetCheck> CheckTarget(const TargetPlan& plan, const ObservationSet& target,
                                        const TargetGoals& goals) {
  absl::StatusOr<SeedCurves> curves = CurvesAt(WithCriterion(target, plan.criterion), plan.split,
                                               plan.target_params, plan.almr);
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
  const Interval size_of_error{  // the interval of |error|
      e.lower <= 0 && e.upper >= 0 ? 0.0 : std::min(std::fabs(e.lower), std::fabs(e.upper)),
      std::max(std::fabs(e.lower), std::fabs(e.upper))};
  check.loss_error = AtMost(size_of_error, goals.loss_error);
  check.beats_transfer = Positive(c.regret_advantage.interval);
  return check;
}

}  // namespace mixlaw
