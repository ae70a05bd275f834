// The recommendation, the predicted surface it is read from, and the warnings.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/number_format.h"
#include "report/sections.h"
#include "report/surface.h"
#include "report/surface_svg.h"

namespace mixlaw::report {

namespace {

std::vector<Cell> Row(std::string quantity, std::string value, std::string field,
                      std::string interval = "") {
  return {{std::move(quantity), ""}, {std::move(value), "rec:" + field}, {std::move(interval), ""}};
}

// The per-ALMR grid at the target size, about 20 rows as `recommend` prints it.
Table GridTable(const Recommendation& r) {
  Table t{"per-almr",
          {"ALMR", "LR* (additional)", "LR* (base)", "LR", "L additional", "L base", ""},
          {true, true, true, true, true, true, false},
          {}};
  const size_t every = std::max<size_t>(1, r.grid.size() / 20);
  for (size_t i = 0; i < r.grid.size(); ++i) {
    if (i % every != 0 && i + 1 != r.grid.size()) continue;
    const AlmrRow& row = r.grid[i];
    t.rows.push_back({{FormatAlmr(row.almr)},
                      {FormatLr(row.lr_additional)},
                      {FormatLr(row.lr_base)},
                      {FormatLr(row.lr)},
                      {FormatLoss(row.loss_additional)},
                      {FormatLoss(row.loss_base)},
                      {row.feasible ? "" : "over budget"}});
  }
  return t;
}

std::string WarningsNote(size_t warnings) {
  if (warnings == 0) return "no warnings.";
  return absl::StrCat(warnings, warnings == 1 ? " warning" : " warnings",
                      " below: read them before acting on it.");
}

}  // namespace

Section RecommendationSection(const SectionInput& in) {
  Section s{"recommendation", "Recommendation", {}};
  const std::string target = FormatParams(in.input.options.target_params);
  if (!in.input.recommendation) {
    s.blocks.push_back(Paragraph(
        absl::StrCat("No recommendation for ", target, ": ", in.input.recommendation_error, ".")));
    return s;
  }
  const Recommendation& r = *in.input.recommendation;
  s.blocks.push_back(Paragraph(absl::StrCat(
      "For the ", target, " model: ALMR ", FormatAlmr(r.almr), " at peak LR ", FormatLr(r.lr),
      ", minimising ",
      in.input.options.forgetting_budget ? "L_additional under a " + r.criterion : r.criterion,
      ". Intervals are 95% bootstrap percentiles", r.replicates > 0 ? "" : " (none: no resamples)",
      "; ", WarningsNote(r.warnings.size()))));
  Table t{"recommendation", {"", "value", "95% interval"}, {false, true, true}, {}};
  t.rows.push_back(Row("target size", target, "target_params"));
  t.rows.push_back(Row("criterion", r.criterion, "criterion"));
  t.rows.push_back(Row("ALMR", FormatAlmr(r.almr), "almr", Between(r.almr_interval, FormatAlmr)));
  t.rows.push_back(Row("peak LR", FormatLr(r.lr), "lr", Between(r.lr_interval, FormatLr)));
  t.rows.push_back(Row("eval/additional loss", FormatLoss(r.loss_additional), "loss_additional",
                       Between(r.loss_additional_interval, FormatLoss)));
  t.rows.push_back(Row("eval/base loss", FormatLoss(r.loss_base), "loss_base",
                       Between(r.loss_base_interval, FormatLoss)));
  t.rows.push_back(
      Row("eval/base at its r = 0 optimum", FormatLoss(r.base_reference), "base_reference"));
  t.rows.push_back(Row("forgetting (rise of eval/base)", SignedLoss(r.forgetting), "forgetting"));
  t.rows.push_back(Row("bootstrap resamples", absl::StrCat(r.replicates), "replicates"));
  s.blocks.push_back(TableBlock(std::move(t)));
  s.blocks.push_back(Paragraph(absl::StrCat("Transfer to the target size: ", r.transfer, ".")));
  s.blocks.push_back(
      Paragraph(absl::StrCat("Per ALMR at ", target,
                             ": each split's optimal LR, the LR the criterion picks and the "
                             "predicted losses there.")));
  s.blocks.push_back(TableBlock(GridTable(r)));
  return s;
}

Section SurfaceSection(const SectionInput& in) {
  Section s{"surface", "Predicted loss at the target size", {}};
  const LawFit& fit = in.input.fit;
  const Recommendation* rec = in.input.recommendation ? &*in.input.recommendation : nullptr;
  Surface surface = PredictSurface(in.views.target, in.input.options, rec, fit.data.almrs.front(),
                                   fit.data.almrs.back(), 40, 32);
  std::string budget = in.input.options.forgetting_budget
                           ? " Hatched cells raise the base loss more than the forgetting budget."
                           : "";
  s.blocks.push_back(Paragraph(absl::StrCat(
      "The law's prediction at ", surface.target,
      " over the swept ALMRs and LRs around the "
      "optima: colour is the ",
      surface.value_title,
      " (darker is lower; the top colour also covers everything above its scale).", budget,
      rec != nullptr ? " The white line is the LR chosen at each ALMR; the red dot is the "
                       "recommended point."
                     : "")));
  s.blocks.push_back(Svg("surface", SurfaceSvg(surface)));
  return s;
}

Section WarningsSection(const SectionInput& in) {
  Section s{"warnings", "Warnings", {}};
  std::vector<std::string> warnings;
  if (in.input.recommendation) {
    warnings = in.input.recommendation->warnings;  // holds the fit's own, by split
  } else {
    for (const ComponentFit& c : in.input.fit.components) {
      for (const std::string& w : c.warnings) warnings.push_back(c.split + ": " + w);
    }
    for (const std::string& w : in.input.fit.warnings) warnings.push_back(w);
  }
  if (warnings.empty()) {
    s.blocks.push_back(Paragraph("None."));
  } else {
    s.blocks.push_back(List(std::move(warnings)));
  }
  return s;
}

}  // namespace mixlaw::report
