// Predicted against measured: each fitted run's final loss as the law predicts it beside its
// measured value, and the log residuals the fit minimised, against the LR.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "report/palette.h"
#include "report/sections.h"

namespace mixlaw::report {

Section ParitySection(const SectionInput& in) {
  Section s{"parity", "Predicted against measured", {}};
  const LawFit& fit = in.input.fit;
  const std::vector<Prediction> predictions = Predictions(fit, in.views.proxy);
  s.blocks.push_back(Paragraph(
      "Each fitted run's final loss as the law predicts it against as measured (on the line "
      "y = x when exact), and the log residual ln(predicted / measured) the fit minimised, "
      "against the peak LR: a pattern in the residuals is what the law misses."));
  Chart parity{"parity",
               "parity",
               "predicted against measured",
               {"measured final loss (nats/token)"},
               {"predicted final loss (nats/token)"}};
  Chart residuals{"residuals",
                  "residuals",
                  "log residuals against peak LR",
                  {"peak LR (log scale)"},
                  {"log residual ln(predicted / measured)"}};
  residuals.x.log = true;
  double lo = HUGE_VAL, hi = -HUGE_VAL, lr_lo = HUGE_VAL, lr_hi = 0;
  for (const std::string split : kCouplingSplits) {
    Series p{split, SplitColor(split)}, r{split, SplitColor(split)};
    for (const Prediction& x : predictions) {
      if (x.split != split) continue;
      p.points.push_back({x.measured, x.predicted});
      r.points.push_back({x.run->peak_lr, x.LogResidual()});
      p.tips.push_back(x.run->name);
      r.tips.push_back(x.run->name);
      lo = std::min({lo, x.measured, x.predicted});
      hi = std::max({hi, x.measured, x.predicted});
      lr_lo = std::min(lr_lo, x.run->peak_lr);
      lr_hi = std::max(lr_hi, x.run->peak_lr);
    }
    if (split == kSplitBase) p.marker = r.marker = "triangle";  // told apart without colour
    parity.series.push_back(std::move(p));
    residuals.series.push_back(std::move(r));
  }
  if (lo < hi) {
    const double pad = 0.03 * (hi - lo);
    Series diagonal = Line("y = x", "#888888");
    diagonal.dashed = true;
    diagonal.points = {{lo - pad, lo - pad}, {hi + pad, hi + pad}};
    parity.series.push_back(std::move(diagonal));
    parity.x.min = parity.y.min = lo - pad;
    parity.x.max = parity.y.max = hi + pad;
    Series zero = Line("zero", "#888888", false);
    zero.dashed = true;
    zero.points = {{lr_lo, 0.0}, {lr_hi, 0.0}};
    residuals.series.push_back(std::move(zero));
  }
  s.blocks.push_back(Charts({std::move(parity), std::move(residuals)}));
  Table quality{"fit-quality",
                {"split", "runs", "R^2 (log)", "RMSE (log)", "Huber cost"},
                {false, true, true, true, true},
                {}};
  for (const ComponentFit& c : fit.components) {
    quality.rows.push_back({{c.split},
                            {absl::StrCat(c.points)},
                            {absl::StrFormat("%.4f", c.r2_log), "r2:" + c.split},
                            {absl::StrFormat("%.4f", c.rmse_log), "rmse:" + c.split},
                            {absl::StrFormat("%.6g", c.cost)}});
  }
  s.blocks.push_back(TableBlock(std::move(quality)));
  return s;
}

}  // namespace mixlaw::report
