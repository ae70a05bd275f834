#include "cli/demo_study.h"

#include <algorithm>
#include <cmath>
#include <set>

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
  RecommendOptions recommend;
  recommend.target_params = target_params;
  absl::StatusOr<Recommendation> rec = Recommend(plan.fit, recommend);
  if (!rec.ok()) return rec.status();
  plan.recommendation = std::move(*rec);

  const std::vector<double>& almrs = plan.fit.data.almrs;
  plan.almr = *std::min_element(almrs.begin(), almrs.end(), [&](double a, double b) {
    return std::fabs(a - plan.recommendation.almr) < std::fabs(b - plan.recommendation.almr);
  });
  absl::StatusOr<CouplingFit> coupling = CheckCouplingFit(plan.fit, recommend);
  if (!coupling.ok()) return coupling.status();
  CouplingModel model = coupling->Model(coupling->additional->Values(),
                                        coupling->base->Values(), plan.fit, recommend);
  plan.predicted_lr = std::exp(model.LnOptimalLrAdditional(plan.almr, target_params));
  plan.predicted_loss = model.LossAdditional(plan.almr, plan.predicted_lr, target_params);

  plan.largest_proxy = plan.fit.data.sizes.back();
  absl::StatusOr<GroupOptimum> transfer =
      OptimumAt(proxies, kSplitAdditional, plan.largest_proxy, plan.almr);
  if (!transfer.ok()) return transfer.status();
  plan.transfer_lr = transfer->lr;
  plan.transfer_interior = transfer->interior;
  plan.lrs = CheckLrs(plan.predicted_lr, plan.transfer_lr, kCheckSpacing, 2);
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

absl::StatusOr<TargetCheck> CheckTarget(const TargetPlan& plan, const ObservationSet& target) {
  TargetCheck check;
  absl::StatusOr<GroupOptimum> measured =
      OptimumAt(target, kSplitAdditional, plan.target_params, plan.almr);
  if (!measured.ok()) return measured.status();
  check.measured_lr = measured->lr;
  check.measured_loss = measured->loss;
  check.bracketed = measured->interior;
  if (!check.bracketed) {
    check.notes.push_back(absl::StrCat("the lowest loss is at ", FormatLr(check.measured_lr),
                                       ", an end of the LRs trained: the optimum is not "
                                       "bracketed and may lie beyond it"));
  }
  absl::StatusOr<double> at_prediction =
      LossAt(target, kSplitAdditional, plan.target_params, plan.almr, plan.predicted_lr);
  absl::StatusOr<double> at_transfer =
      LossAt(target, kSplitAdditional, plan.target_params, plan.almr, plan.transfer_lr);
  if (!at_prediction.ok()) return at_prediction.status();
  if (!at_transfer.ok()) return at_transfer.status();
  check.predicted_lr_loss = *at_prediction;
  check.transfer_loss = *at_transfer;
  std::set<int64_t> seeds;
  for (const Observation& o : target.runs) seeds.insert(o.seed);
  check.seeds = static_cast<int>(seeds.size());
  const double law_error = std::fabs(std::log(plan.predicted_lr / check.measured_lr));
  const double transfer_error = std::fabs(std::log(plan.transfer_lr / check.measured_lr));
  check.lr_within_1_5 = law_error <= std::log(1.5);
  check.loss_within_1_percent = std::fabs(plan.predicted_loss / check.measured_loss - 1) <= 0.01;
  check.closer_than_transfer = law_error < transfer_error;
  return check;
}

}  // namespace mixlaw
