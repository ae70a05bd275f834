#include "study/target.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/recommend_checks.h"
#include "fitter/validation.h"

namespace mixlaw {

absl::StatusOr<TargetPlan> PlanTarget(const ObservationSet& proxies, LawFit fit,
                                      const RecommendOptions& criterion, int threads) {
  TargetPlan plan;
  plan.target_params = criterion.target_params;
  plan.fit = std::move(fit);
  plan.criterion = criterion;
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
  // An adaptive study may not have trained the largest proxy at the checked ALMR: the transfer
  // then takes its optimum at the nearest swept ALMR where it has one.
  std::vector<double> by_distance = almrs;
  std::stable_sort(by_distance.begin(), by_distance.end(), [&](double a, double b) {
    return std::fabs(a - plan.almr) < std::fabs(b - plan.almr);
  });
  const ObservationSet measured = WithCriterion(proxies, plan.criterion);
  absl::StatusOr<GroupOptimum> transfer = absl::NotFoundError("no ALMR swept");
  for (double r : by_distance) {
    transfer = OptimumAt(measured, kSplitCriterion, plan.largest_proxy, r);
    plan.transfer_almr = r;
    if (transfer.ok()) break;
  }
  if (!transfer.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "the direct transfer needs the largest proxy (", FormatParams(plan.largest_proxy),
        ") at two LRs of one ALMR: ", transfer.status().message()));
  }
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

absl::StatusOr<TargetStudy> RunTargetCheck(TargetPlan plan, const nlohmann::json& target_template,
                                           const TargetGoals& goals, TargetRunner& runner,
                                           std::ostream* progress) {
  TargetStudy study;
  study.model = target_template["models"][0].value("name", std::string("target"));
  std::vector<double> round_lrs = plan.lrs;
  // The ALMR check, the swept ALMRs either side of the recommended one at the law's LR, trains in
  // the first sweep beside the ladder: one base model, and no sweep of its own to wait for.
  std::vector<SweepPoint> almr_points;
  for (double r : plan.almr_neighbours) almr_points.push_back({r, plan.check_lr, {}, {}});
  ObservationSet neighbour_runs;
  absl::StatusOr<TargetCheck> check = absl::UnknownError("no target sweep ran");
  for (int round = 1; round <= kMaxTargetRounds; ++round) {
    const std::string suffix = round == 1 ? "" : absl::StrCat("-", round);
    absl::StatusOr<TargetSweep> trained =
        runner.Train(TargetSpec(target_template, plan, {plan.almr}, round_lrs, suffix,
                                round == 1 ? almr_points : std::vector<SweepPoint>{}),
                     round);
    if (!trained.ok()) return trained.status();
    study.sweeps.push_back(trained->name);
    if (trained->succeeded < 2) {
      return absl::FailedPreconditionError(
          absl::StrCat("the target sweep ", trained->name,
                       " ended with too few succeeded runs to compare: ", trained->counts));
    }
    for (Observation& o : trained->observations.runs) {
      (std::fabs(o.almr - plan.almr) < 1e-9 ? study.runs : neighbour_runs)
          .runs.push_back(std::move(o));
    }
    if (round > 1) plan.lrs.insert(plan.lrs.end(), round_lrs.begin(), round_lrs.end());
    std::sort(plan.lrs.begin(), plan.lrs.end());
    check = CheckTarget(plan, study.runs, goals);
    if (!check.ok() || check->curve.interior || round == kMaxTargetRounds) break;
    const double lowest = check->curve.optimum_lr.value;
    const bool upward = lowest >= plan.lrs.back() / 1.001;
    round_lrs = BeyondLrs(plan.lrs, upward, kCheckSpacing, 2);
    if (progress != nullptr) {
      *progress << "  the lowest loss is at " << FormatLr(lowest)
                << ", an end of the LRs trained: widening the ladder "
                << (upward ? "upward" : "downward") << " (round " << round + 1 << ")\n";
    }
  }
  if (!check.ok()) return check.status();
  if (!plan.almr_neighbours.empty()) {
    ObservationSet both = study.runs;
    both.runs.insert(both.runs.end(), neighbour_runs.runs.begin(), neighbour_runs.runs.end());
    absl::StatusOr<std::vector<AlmrCheck>> almr_checks = CheckAlmrs(plan, both);
    if (almr_checks.ok()) {
      check->almrs = std::move(*almr_checks);
    } else {
      check->notes.push_back(absl::StrCat("ALMR check: ", almr_checks.status().message()));
    }
  }
  study.plan = std::move(plan);
  study.check = std::move(*check);
  return study;
}

namespace {

// {"value": v, "interval": [lower, upper]}, NaN as null.
nlohmann::json EstimateJson(const Estimate& e) {
  return {{"value", JsonNumber(e.value)},
          {"interval", {JsonNumber(e.interval.lower), JsonNumber(e.interval.upper)}}};
}

nlohmann::json LrCheckJson(const LrCheck& c) {
  nlohmann::json by_seed = nlohmann::json::array();
  for (double r : c.regret_by_seed) by_seed.push_back(JsonNumber(r));
  return {{"lr", c.lr},
          {"regret", EstimateJson(c.regret)},
          {"regret_by_seed", by_seed},
          {"lr_over_measured", EstimateJson(c.lr_ratio)}};
}

nlohmann::json AlmrCheckJson(const TargetPlan& plan, const TargetCheck& check) {
  nlohmann::json neighbours = nlohmann::json::array();
  for (const AlmrCheck& a : check.almrs) {
    neighbours.push_back({{"almr", a.almr},
                          {"excess", EstimateJson(a.excess)},
                          {"verdict", VerdictName(a.verdict)}});
  }
  return {{"lr", plan.check_lr}, {"almr", plan.almr}, {"neighbours", neighbours}};
}

nlohmann::json HeldOutJson(const TargetPlan& plan) {
  nlohmann::json sizes = nlohmann::json::array();
  for (const HeldOutSize& h : plan.held_out) {
    nlohmann::json j = {{"params", h.params}};
    if (h.problem.empty()) {
      j["law"] = LrCheckJson(h.check.predicted);
      j["measured_lr"] = EstimateJson(h.check.optimum_lr);
      j["bracketed"] = h.check.interior;
    } else {
      j["problem"] = h.problem;
    }
    sizes.push_back(std::move(j));
  }
  const RegretSummary s = SummarizeRegrets(plan.held_out);
  return {{"almr", plan.almr},
          {"sizes", sizes},
          {"median_regret", JsonNumber(s.median)},
          {"worst_regret", JsonNumber(s.worst)}};
}

}  // namespace

nlohmann::json TargetCheckJson(const TargetStudy& target) {
  const TargetPlan& plan = target.plan;
  const TargetCheck& check = target.check;
  const CurveCheck& c = check.curve;
  nlohmann::json law = LrCheckJson(c.predicted);
  law["loss"] = plan.predicted_loss;
  law["loss_error"] = EstimateJson(c.loss_error);
  nlohmann::json transfer = LrCheckJson(c.baseline);
  transfer["proxy_optimum_interior"] = plan.transfer_interior;
  transfer["proxy_almr"] = plan.transfer_almr;
  nlohmann::json optimum_by_seed = nlohmann::json::array();
  for (double lr : c.optimum_lr_by_seed) optimum_by_seed.push_back(JsonNumber(lr));
  auto verdict = [](Verdict v) { return VerdictName(v); };
  return {
      {"sweeps", target.sweeps},
      {"target",
       {{"model", target.model},
        {"params", plan.target_params},
        {"largest_proxy_params", plan.largest_proxy},
        {"ratio", plan.target_params / plan.largest_proxy}}},
      {"almr", plan.almr},
      {"split", kSplitCriterion},
      {"criterion", plan.recommendation.criterion},
      {"lrs", plan.lrs},
      {"seeds", c.seeds},
      {"resamples", c.resamples},
      {"measured",
       {{"lr", EstimateJson(c.optimum_lr)},
        {"loss", EstimateJson(c.optimum_loss)},
        {"lr_by_seed", optimum_by_seed},
        {"bracketed", c.interior}}},
      {"law", law},
      {"direct_transfer", transfer},
      {"regret_advantage", EstimateJson(c.regret_advantage)},
      {"almr_check", AlmrCheckJson(plan, check)},
      {"goals",
       {{"regret", {{"at_most", check.goals.regret}, {"verdict", verdict(check.regret)}}},
        {"lr_factor", {{"within", check.goals.lr_factor}, {"verdict", verdict(check.lr_factor)}}},
        {"below_direct_transfer", {{"verdict", verdict(check.beats_transfer)}}},
        {"loss_error",
         {{"within", check.goals.loss_error}, {"verdict", verdict(check.loss_error)}}}}},
      {"leave_one_size_out", HeldOutJson(plan)},
      {"notes", check.notes}};
}

}  // namespace mixlaw
