#include "cli/target_output.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/validation.h"

namespace mixlaw {

namespace {

// "+1.25%" (`decimals` 2) or "+0.012%" (3, for regrets); a value that rounds to zero prints as
// +0.00%, never -0.00%.
std::string Percent(double x, int decimals = 2) {
  const double scale = std::pow(10.0, decimals);
  const double percent = std::round(100 * x * scale) / scale;
  return absl::StrFormat("%+.*f%%", decimals, percent == 0 ? 0.0 : percent);
}

// "+0.05% [+0.01%, +0.09%]"; the interval left out when it is unknown.
std::string PercentWith(const Estimate& e, int decimals = 2) {
  std::string text = Percent(e.value, decimals);
  if (!std::isnan(e.interval.lower)) {
    text += " [" + Percent(e.interval.lower, decimals) + ", " +
            Percent(e.interval.upper, decimals) + "]";
  }
  return text;
}

// "x0.95 [x0.80, x1.20]".
std::string FactorWith(const Estimate& e) {
  std::string text = FormatFactor(e.value);
  if (!std::isnan(e.interval.lower)) {
    text += " [" + FormatFactor(e.interval.lower) + ", " + FormatFactor(e.interval.upper) + "]";
  }
  return text;
}

std::string PercentList(const std::vector<double>& values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : ", ") + Percent(v, 3);
  return text;
}

}  // namespace

void PrintPlan(const TargetPlan& plan) {
  const Recommendation& r = plan.recommendation;
  std::printf("  coupling law on %zu runs; R^2 (log) %.4f / %.4f (additional / base)\n",
              plan.fit.data.runs, plan.fit.components[0].r2_log,
              plan.fit.components.size() > 1 ? plan.fit.components[1].r2_log : std::nan(""));
  std::printf("  recommendation at %s (%s): ALMR %s, LR %s; predicted %s %s, %s %s\n",
              FormatParams(plan.target_params).c_str(), r.criterion.c_str(),
              FormatAlmr(r.almr).c_str(), FormatLr(r.lr).c_str(), kSplitAdditional,
              FormatLoss(r.loss_additional).c_str(), kSplitBase, FormatLoss(r.loss_base).c_str());
  for (const std::string& w : r.warnings) std::printf("    warning: %s\n", w.c_str());
  std::printf(
      "  checked at ALMR %s (the swept ALMR nearest), on what it minimises: the law's LR "
      "%s, the largest proxy's (%s) %s%s%s\n",
      FormatAlmr(plan.almr).c_str(), FormatLr(plan.predicted_lr).c_str(),
      FormatParams(plan.largest_proxy).c_str(), FormatLr(plan.transfer_lr).c_str(),
      plan.transfer_interior ? "" : " (at the edge of its grid)",
      plan.transfer_almr == plan.almr
          ? ""
          : (" (at ALMR " + FormatAlmr(plan.transfer_almr) + ", the nearest it was trained at)")
                .c_str());
  std::printf(
      "  leave-one-size-out at ALMR %s (each proxy size predicted from the others; regret "
      "on its own runs):\n",
      FormatAlmr(plan.almr).c_str());
  for (const HeldOutSize& h : plan.held_out) {
    if (!h.problem.empty()) {
      std::printf("    %-6s %s\n", FormatParams(h.params).c_str(), h.problem.c_str());
      continue;
    }
    std::printf("    %-6s LR %s (%s of its measured optimum), regret %s%s\n",
                FormatParams(h.params).c_str(), FormatLr(h.predicted_lr).c_str(),
                FactorWith(h.check.predicted.lr_ratio).c_str(),
                PercentWith(h.check.predicted.regret, 3).c_str(),
                h.check.interior ? "" : " (its lowest loss at an end of its grid)");
  }
  const RegretSummary loso = SummarizeRegrets(plan.held_out);
  if (loso.sizes == 0) {
    std::printf("    no size could be held out: none has three LRs measured at this ALMR\n");
  } else {
    std::printf("    median regret %s, worst %s (%d sizes)\n", Percent(loso.median, 3).c_str(),
                Percent(loso.worst, 3).c_str(), loso.sizes);
  }
  std::string lrs;
  for (double lr : plan.lrs) lrs += (lrs.empty() ? "" : ", ") + FormatLr(lr);
  std::printf("  training the target at LR %s\n", lrs.c_str());
}

// Each goal with its verdict: "the law's regret at most 0.1%: met".
std::vector<std::string> GoalLines(const TargetCheck& check) {
  const CurveCheck& c = check.curve;
  std::vector<std::string> lines = {
      absl::StrCat("the law's regret at most ", FormatPercent(check.goals.regret), ": ",
                   VerdictName(check.regret), " (", PercentWith(c.predicted.regret, 3), ")"),
      absl::StrCat("the law's LR within x", FormatNumber(check.goals.lr_factor),
                   " of the measured optimum: ", VerdictName(check.lr_factor), " (",
                   FactorWith(c.predicted.lr_ratio), ")"),
      absl::StrCat(
          "the law's regret below the direct transfer's: ", VerdictName(check.beats_transfer),
          " (the transfer's minus the law's ", PercentWith(c.regret_advantage, 3), ")"),
      absl::StrCat("the predicted loss within ", FormatPercent(check.goals.loss_error),
                   " of the measured optimum's: ", VerdictName(check.loss_error), " (",
                   PercentWith(c.loss_error), ")")};
  if (!check.almrs.empty()) {
    std::string detail;
    for (const AlmrCheck& a : check.almrs) {
      detail += absl::StrCat(detail.empty() ? "" : "; ", "ALMR ", FormatAlmr(a.almr), " ",
                             PercentWith(a.excess, 3), " above it");
    }
    lines.push_back(
        absl::StrCat("the recommended ALMR below its swept neighbours at the law's LR: ",
                     VerdictName(AlmrVerdict(check.almrs)), " (", detail, ")"));
  }
  return lines;
}

void PrintCheck(const TargetPlan& plan, const TargetCheck& check, const std::string& model) {
  const CurveCheck& c = check.curve;
  const double n_ratio = plan.target_params / plan.largest_proxy;
  std::printf(
      "\nAt the held-out target %s (%s parameters, %.1fx the largest proxy), ALMR %s, %s, %zu "
      "seeds; [95%%] intervals from %d resamples of the seeds:\n",
      model.c_str(), FormatParams(plan.target_params).c_str(), n_ratio,
      FormatAlmr(plan.almr).c_str(), plan.recommendation.criterion.c_str(), c.seeds.size(),
      c.resamples);
  std::string optimum_lr = FormatLr(c.optimum_lr.value);
  if (!std::isnan(c.optimum_lr.interval.lower)) {
    optimum_lr += " [" + FormatLr(c.optimum_lr.interval.lower) + ", " +
                  FormatLr(c.optimum_lr.interval.upper) + "]";
  }
  std::printf("    measured optimum   LR %s, loss %s\n", optimum_lr.c_str(),
              FormatLoss(c.optimum_loss.value).c_str());
  for (const auto& [name, lr_check] :
       {std::pair<const char*, const LrCheck*>{"coupling law", &c.predicted},
        std::pair<const char*, const LrCheck*>{"direct transfer", &c.baseline}}) {
    std::printf("    %-18s LR %s (%s of the measured); regret %s; per seed %s\n", name,
                FormatLr(lr_check->lr).c_str(), FactorWith(lr_check->lr_ratio).c_str(),
                PercentWith(lr_check->regret, 3).c_str(),
                PercentList(lr_check->regret_by_seed).c_str());
  }
  std::printf("    the law's predicted loss %s: %s of the measured optimum's\n",
              FormatLoss(plan.predicted_loss).c_str(), PercentWith(c.loss_error).c_str());
  for (const std::string& note : check.notes) std::printf("    note: %s\n", note.c_str());
  std::printf("  goals (met or not met only where the interval decides it):\n");
  for (const std::string& goal : GoalLines(check)) std::printf("    %s\n", goal.c_str());
}

// The target check as the report draws it.
TargetValidation ValidationOf(const TargetPlan& plan, const TargetCheck& check,
                              const ObservationSet& target, const std::string& model) {
  const CurveCheck& c = check.curve;
  TargetValidation v;
  v.model = model;
  v.params = plan.target_params;
  v.almr = plan.almr;
  for (const Observation& o : target.runs) {
    auto loss = [&](const char* split) {
      auto it = o.final_loss.find(split);
      return it == o.final_loss.end() ? std::nan("") : it->second;
    };
    v.runs.push_back({o.peak_lr, o.seed, loss(kSplitAdditional), loss(kSplitBase)});
  }
  v.predicted_lr = plan.predicted_lr;
  v.predicted_loss = plan.predicted_loss;
  v.measured_lr = c.optimum_lr.value;
  v.measured_loss = c.optimum_loss.value;
  v.transfer_lr = plan.transfer_lr;
  v.transfer_loss = c.optimum_loss.value * (1 + c.baseline.regret.value);
  v.split = kSplitCriterion;
  v.criterion = plan.recommendation.criterion;
  v.base_weight = plan.criterion.weight.value_or(1.0);
  v.measured_lr_interval = c.optimum_lr.interval;
  v.predicted_regret = c.predicted.regret.value;
  v.predicted_regret_interval = c.predicted.regret.interval;
  v.transfer_regret = c.baseline.regret.value;
  v.transfer_regret_interval = c.baseline.regret.interval;
  v.seeds = static_cast<int>(c.seeds.size());
  v.resamples = c.resamples;
  v.goals = GoalLines(check);
  return v;
}

}  // namespace mixlaw
