// The recommendation checked at the target size: runs trained there at several LRs, their
// measured optimum beside the law's prediction and beside the largest proxy's LR used as is.
#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/number_format.h"
#include "fitter/target_check.h"
#include "report/palette.h"
#include "report/sections.h"

namespace mixlaw::report {

namespace {

double LossOf(const TargetValidation& v, const TargetValidation::Run& run) {
  if (v.split == kSplitCriterion) return run.loss_additional + v.base_weight * run.loss_base;
  return v.split == kSplitAdditional ? run.loss_additional : run.loss_base;
}

// The law's value of what the check reads.
double LawLoss(const SectionInput& in, const TargetValidation& v, double lr) {
  const CouplingModel& m = in.views.target;
  if (v.split == kSplitCriterion) {
    return m.LossAdditional(v.almr, lr, v.params) +
           v.base_weight * m.LossBase(v.almr, lr, v.params);
  }
  return m.LossOn(v.split, v.almr, lr, v.params);
}

// A regret: "+0.040%", to the thousandth of a percent (the goals are tenths).
std::string Regret(double fraction) { return absl::StrFormat("%+.3f%%", 100 * fraction); }

std::string WithInterval(double value, const Interval& i) {
  if (std::isnan(value)) return "-";
  std::string text = Regret(value);
  if (!std::isnan(i.lower)) text += " [" + Regret(i.lower) + ", " + Regret(i.upper) + "]";
  return text;
}

std::vector<Cell> Row(const TargetValidation& v, const std::string& what, const std::string& key,
                      double lr, double loss, const std::string& regret) {
  const bool measured = v.measured_lr > 0 && v.measured_loss > 0;
  return {{what},
          {FormatLr(lr), "val:" + key + "_lr"},
          {FormatLoss(loss), "val:" + key + "_loss"},
          {measured ? FormatFactor(lr / v.measured_lr) : "-"},
          {measured ? SignedPercent(loss / v.measured_loss - 1) : "-"},
          {regret}};
}

Series Vertical(const std::string& label, const std::string& color, double x, double lo,
                double hi) {
  Series s = Line(label, color);
  s.dashed = true;
  s.points = {{x, lo}, {x, hi}};
  return s;
}

}  // namespace

Section ValidationSection(const SectionInput& in) {
  Section s{"validation", "Validation at the target size", {}};
  const TargetValidation& v = *in.input.validation;
  const std::string what = v.split == kSplitCriterion
                               ? absl::StrCat(v.criterion, ", what the recommendation minimises,")
                               : absl::StrCat(v.split, " loss");
  s.blocks.push_back(Paragraph(absl::StrCat(
      v.model, " (", FormatParams(v.params), ") trained at ALMR ", FormatAlmr(v.almr), " over ",
      v.runs.size(), " (LR, seed) runs: the measured optimum of ", what,
      " (the minimum of the seed means joined by parabolas in ln LR) beside the law's "
      "predicted optimum and the largest proxy's optimum used as is. "
      "LR / measured is how far each LR is from the measured optimum; the loss error is "
      "relative to the measured optimum's loss; the regret is the loss trained at that LR over the "
      "measured optimum's, minus 1",
      v.resamples > 0 ? absl::StrCat(", with a 95% interval from ", v.resamples,
                                     " resamples of the ", v.seeds, " seeds")
                      : "",
      ".")));
  Table t{"validation",
          {"", "peak LR", "loss (nats/token)", "LR / measured", "loss error", "regret"},
          {false, true, true, true, true, true},
          {}};
  t.rows.push_back(
      Row(v, "predicted by the law", "predicted", v.predicted_lr, v.predicted_loss, "-"));
  std::string measured_lr = "";
  if (!std::isnan(v.measured_lr_interval.lower)) {
    measured_lr = absl::StrCat(" (LR in [", FormatLr(v.measured_lr_interval.lower), ", ",
                               FormatLr(v.measured_lr_interval.upper), "])");
  }
  t.rows.push_back(
      Row(v, "measured optimum" + measured_lr, "measured", v.measured_lr, v.measured_loss, "0"));
  t.rows.push_back(Row(v, "trained at the law's LR", "law_trained", v.predicted_lr,
                       v.measured_loss * (1 + v.predicted_regret),
                       WithInterval(v.predicted_regret, v.predicted_regret_interval)));
  t.rows.push_back(Row(v, "direct transfer (largest proxy's optimum)", "transfer", v.transfer_lr,
                       v.transfer_loss,
                       WithInterval(v.transfer_regret, v.transfer_regret_interval)));
  s.blocks.push_back(TableBlock(std::move(t)));
  if (!v.goals.empty()) {
    std::string goals = "Goals (met or not met only where the interval decides it): ";
    for (size_t i = 0; i < v.goals.size(); ++i) goals += (i ? "; " : "") + v.goals[i];
    s.blocks.push_back(Paragraph(goals + "."));
  }

  Chart c{"validation",
          v.model,
          absl::StrCat(v.model, ": ", v.split == kSplitCriterion ? v.criterion : v.split,
                       " at ALMR ", FormatAlmr(v.almr)),
          {"peak LR (log scale)"},
          {v.split == kSplitCriterion ? v.criterion + " (nats/token)"
                                      : "final loss on " + v.split + " (nats/token)"}};
  c.x.log = true;
  std::map<int64_t, Series> by_seed;
  std::map<double, std::pair<double, int>> by_lr;  // LR -> (sum, count) over seeds
  double lo = HUGE_VAL, hi = -HUGE_VAL, lr_lo = HUGE_VAL, lr_hi = 0;
  for (const TargetValidation::Run& run : v.runs) {
    const double loss = LossOf(v, run);
    if (!std::isfinite(loss) || !(run.lr > 0)) continue;
    auto [it, added] = by_seed.try_emplace(run.seed);
    if (added) {
      it->second.label = absl::StrCat("seed ", run.seed);
      it->second.color = Category(by_seed.size() - 1);
    }
    it->second.points.push_back({run.lr, loss});
    by_lr[run.lr].first += loss;
    by_lr[run.lr].second += 1;
    lo = std::min(lo, loss);
    hi = std::max(hi, loss);
    lr_lo = std::min(lr_lo, run.lr);
    lr_hi = std::max(lr_hi, run.lr);
  }
  for (auto& [seed, series] : by_seed) c.series.push_back(std::move(series));
  Series mean = Line("seed mean", kTargetColor);
  for (const auto& [lr, sum] : by_lr) mean.points.push_back({lr, sum.first / sum.second});
  c.series.push_back(std::move(mean));
  for (double lr : {v.predicted_lr, v.measured_lr, v.transfer_lr}) {
    if (lr > 0) {
      lr_lo = std::min(lr_lo, lr);
      lr_hi = std::max(lr_hi, lr);
    }
  }
  if (lr_lo < lr_hi) {
    Series predicted = Line("law at " + FormatParams(v.params), kPredictedColor);
    double lowest = HUGE_VAL;
    for (double lr : LogSpace(lr_lo / 1.5, lr_hi * 1.5, 48)) {
      const double loss = LawLoss(in, v, lr);
      predicted.points.push_back({lr, loss});
      lowest = std::min(lowest, loss);
    }
    c.series.push_back(std::move(predicted));
    // The scale takes in the law's valley even when its level is off the measured losses.
    if (std::isfinite(lowest) && lo < hi) {
      hi = std::max(hi, lowest + 0.5 * (hi - lo));
      lo = std::min(lo, lowest);
    }
  }
  if (lo < hi) {
    c.y.min = lo - 0.1 * (hi - lo);
    c.y.max = hi + 0.1 * (hi - lo);
    struct Marker {
      const char* label;
      const char* color;
      double lr;
    };
    for (const Marker& m : {Marker{"predicted LR", kPredictedColor, v.predicted_lr},
                            Marker{"measured optimum", kTargetColor, v.measured_lr},
                            Marker{"direct transfer", "#7570b3", v.transfer_lr}}) {
      if (m.lr > 0) c.series.push_back(Vertical(m.label, m.color, m.lr, *c.y.min, *c.y.max));
    }
  }
  s.blocks.push_back(Charts({std::move(c)}));
  return s;
}

}  // namespace mixlaw::report
