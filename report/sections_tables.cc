// The fit's own numbers: its parameters with their intervals, and how well it predicts what it
// was not shown (leave-one-group-out cross-validation).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/number_format.h"
#include "fitter/laws/coupling.h"
#include "report/sections.h"

namespace mixlaw::report {

namespace {

std::string Note(const ParameterEstimate& p) {
  if (p.held) return "held: the data lack the variation it needs";
  return p.at_bound ? "at a bound" : "";
}

}  // namespace

Section CrossValidationSection(const SectionInput& in) {
  Section s{"cross-validation", "Cross-validation", {}};
  Table t{
      "cross-validation",
      {"split", "held out", "runs", "RMSE (log)", "LR optimum off by (median)", "(max)", "optima"},
      {false, false, true, true, true, true, true},
      {}};
  for (const ComponentFit& c : in.input.fit.components) {
    for (const CvFold& f : c.cross_validation) {
      const bool size = f.group == "params";
      const bool optima = f.optima > 0;
      t.rows.push_back(
          {{c.split},
           {size ? "size " + FormatParams(f.held_out) : "ALMR " + FormatAlmr(f.held_out)},
           {absl::StrCat(f.points)},
           {absl::StrFormat("%.4f", f.rmse_log)},
           {optima ? FormatFactor(f.lr_factor_median) : "-"},
           {optima ? FormatFactor(f.lr_factor_max) : "-"},
           {absl::StrCat(f.optima)}});
    }
  }
  if (t.rows.empty()) {
    s.blocks.push_back(Paragraph(
        "This fit has no cross-validation (it was fitted with `--no-cv`, or by `recommend`); "
        "`mixlaw report SWEEP` and `mixlaw fit` compute it."));
    return s;
  }
  s.blocks.push_back(Paragraph(
      "Each model size and each ALMR left out in turn, the law refitted without it and the "
      "left-out runs predicted: the RMSE of ln L on them, and how far the predicted optimal LR "
      "lands from the measured one over the groups with an interior optimum (x1.00: exactly)."));
  s.blocks.push_back(TableBlock(std::move(t)));
  return s;
}

Section ParametersSection(const SectionInput& in) {
  Section s{"parameters", "Parameters", {}};
  const LawFit& fit = in.input.fit;
  int resamples = 0;
  for (const ComponentFit& c : fit.components) {
    resamples = std::max(resamples, static_cast<int>(c.bootstrap.size()));
  }
  s.blocks.push_back(Paragraph(absl::StrCat(
      "The fitted parameters of each split's law (docs/laws.md) with their standard errors (from "
      "the covariance) and 95% intervals (bootstrap percentiles",
      resamples > 0 ? absl::StrCat(" over ", resamples, " resamples of the runs")
                    : ": none, the fit has no resamples",
      "). eps = ", FormatAlmr(kCouplingEps), ".")));
  for (const ComponentFit& c : fit.components) {
    s.blocks.push_back(Paragraph(absl::StrCat(c.split, ": `", c.formula, "`")));
    const std::string id = "parameters-" + c.split.substr(c.split.find('/') + 1);
    Table t{id,
            {"parameter", "value", "std. error", "95% interval", ""},
            {false, true, true, true, false},
            {}};
    for (const ParameterEstimate& p : c.parameters) {
      const std::string key = c.split + ":" + p.name;
      const std::string interval = Between({p.lower, p.upper}, FormatEstimate);
      t.rows.push_back({{p.name},
                        {FormatEstimate(p.value), "value:" + key},
                        {p.held ? "held" : FormatStdError(p.std_error), "std_error:" + key},
                        {interval, "interval:" + key},
                        {Note(p)}});
    }
    s.blocks.push_back(TableBlock(std::move(t)));
    if (!c.covariance_note.empty()) {
      s.blocks.push_back(
          Paragraph(absl::StrCat("No standard errors for ", c.split, ": ", c.covariance_note)));
    }
  }
  return s;
}

}  // namespace mixlaw::report
