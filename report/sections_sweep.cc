// What was swept and how it ended, and each run's evaluation loss as it trained.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/observations.h"
#include "report/palette.h"
#include "report/sections.h"

namespace mixlaw::report {

namespace {

constexpr size_t kMaxListedRuns = 200;   // a longer list of failures is cut, with a count
constexpr size_t kMaxCurvePoints = 150;  // points a curve keeps; more are thinned evenly

std::string LrRange(const std::set<double>& lrs) {
  if (lrs.empty()) return "-";
  if (lrs.size() == 1) return FormatLr(*lrs.begin());
  return absl::StrCat(FormatLr(*lrs.begin()), " to ", FormatLr(*lrs.rbegin()), " (", lrs.size(),
                      ")");
}

Table ModelsTable(const std::vector<ReportRun>& runs) {
  struct Model {
    std::string name;
    size_t cpt = 0, pretrain = 0;
    std::set<double> almrs, lrs, seeds;
  };
  std::map<double, Model> models;  // by size
  for (const ReportRun& r : runs) {
    Model& m = models[r.params];
    m.name = r.model;
    if (r.stage != "cpt") {
      ++m.pretrain;
      continue;
    }
    ++m.cpt;
    m.almrs.insert(r.almr);
    m.lrs.insert(r.peak_lr);
    m.seeds.insert(static_cast<double>(r.seed));
  }
  Table t{"models",
          {"model", "parameters", "CPT runs", "ALMRs", "peak LRs", "seeds", "pretraining runs"},
          {false, true, true, false, false, true, true},
          {}};
  for (const auto& [params, m] : models) {
    std::vector<std::string> almrs;
    for (double r : m.almrs) almrs.push_back(FormatAlmr(r));
    t.rows.push_back({{m.name},
                      {FormatParams(params)},
                      {absl::StrCat(m.cpt)},
                      {absl::StrJoin(almrs, ", ")},
                      {LrRange(m.lrs)},
                      {absl::StrCat(m.seeds.size())},
                      {absl::StrCat(m.pretrain)}});
  }
  return t;
}

// Every `stride`-th point and the last: a long curve keeps its shape and its final value.
std::vector<CurvePoint> Thinned(const std::vector<CurvePoint>& points) {
  if (points.size() <= kMaxCurvePoints) return points;
  std::vector<CurvePoint> kept;
  const size_t stride = (points.size() + kMaxCurvePoints - 1) / kMaxCurvePoints;
  for (size_t i = 0; i < points.size(); i += stride) kept.push_back(points[i]);
  if ((points.size() - 1) % stride != 0) kept.push_back(points.back());
  return kept;
}

}  // namespace

Section SweepSection(const SectionInput& in) {
  Section s{"sweep", "What was swept and how it ended", {}};
  const LawFit& fit = in.input.fit;
  std::string fitted = absl::StrCat(
      "The fit used ", fit.data.runs, " runs of ", fit.source, "; ", fit.diverged.size(),
      fit.diverged.size() == 1 ? " diverged run was" : " diverged runs were", " left out.");
  if (fit.max_lr_over_best > 0) {
    absl::StrAppend(&fitted, " ", fit.above_best.size(),
                    fit.above_best.size() == 1 ? " run was" : " runs were", " left out as above ",
                    FormatNumber(fit.max_lr_over_best),
                    " times their group's best LR, where the curves rise to a cliff the law's "
                    "parabola does not have; the charts draw the runs fitted.");
  }
  if (!in.input.sweep) {
    s.blocks.push_back(Paragraph(absl::StrCat(
        "This report was made from ", in.input.fit_path,
        ": the runs' states, failures and loss curves need the sweep (`mixlaw report SWEEP`). ",
        fitted)));
    if (!fit.diverged.empty()) {
      s.blocks.push_back(Paragraph("Diverged runs, left out of the fit:"));
      s.blocks.push_back(List(fit.diverged));
    }
    if (!fit.notes.empty()) {
      s.blocks.push_back(Paragraph("Rows skipped when the runs were read:"));
      s.blocks.push_back(List(fit.notes));
    }
    return s;
  }
  const SweepSummary& sweep = *in.input.sweep;
  s.blocks.push_back(Paragraph(absl::StrCat("Sweep ", sweep.id, " (", sweep.name, ") is ",
                                            sweep.state, ": ", sweep.runs.size(), " runs, ",
                                            FormatCounts(sweep.counts), ". ", fitted)));
  if (!sweep.description.empty()) s.blocks.push_back(Paragraph(sweep.description));
  Table states{"states", {"state", "runs"}, {false, true}, {}};
  for (const auto& [state, count] : sweep.counts) {
    states.rows.push_back({{state}, {absl::StrCat(count), "state:" + state}});
  }
  s.blocks.push_back(TableBlock(std::move(states)));
  s.blocks.push_back(TableBlock(ModelsTable(sweep.runs)));
  Table failed{"unsuccessful", {"run", "state", "reason"}, {false, false, false}, {}};
  size_t unsuccessful = 0;
  for (const ReportRun& r : sweep.runs) {
    if (r.state == "succeeded") continue;
    if (++unsuccessful > kMaxListedRuns) continue;
    failed.rows.push_back(
        {{r.name}, {r.state}, {r.failure_reason.empty() ? "-" : r.failure_reason}});
  }
  if (unsuccessful == 0) {
    s.blocks.push_back(Paragraph("Every run succeeded."));
  } else {
    s.blocks.push_back(Paragraph(
        absl::StrCat("Runs that did not succeed, with the last problem each had",
                     unsuccessful > kMaxListedRuns
                         ? absl::StrCat(" (the first ", kMaxListedRuns, " of ", unsuccessful, ")")
                         : "",
                     ":")));
    s.blocks.push_back(TableBlock(std::move(failed)));
  }
  return s;
}

Section CurvesSection(const SectionInput& in) {
  Section s{"loss-curves", "Loss curves", {}};
  if (!in.input.sweep) {
    s.blocks.push_back(
        Paragraph("Loss curves need the sweep: FIT.json holds each run's final losses only "
                  "(`mixlaw report SWEEP`)."));
    return s;
  }
  const std::vector<ReportRun>& runs = in.input.sweep->runs;
  std::set<double> almr_set;
  std::map<double, std::string> sizes;  // params -> model name
  std::set<std::string> splits;
  for (const ReportRun& r : runs) {
    if (r.stage != "cpt") continue;
    almr_set.insert(r.almr);
    sizes[r.params] = r.model;
    for (const auto& [split, points] : r.curves) {
      if (!points.empty()) splits.insert(split);
    }
  }
  if (splits.empty()) {
    s.blocks.push_back(Paragraph("The sweep recorded no evaluation points."));
    return s;
  }
  const std::vector<double> almrs(almr_set.begin(), almr_set.end());
  s.blocks.push_back(Paragraph(
      "Evaluation loss of each continual pre-training run against its step, one panel per model "
      "and split. Colour is the ALMR; dashed runs diverged (their curves stop at the first "
      "non-finite loss or leave the scale). Hover a line for its run and LR."));
  std::vector<Chart> charts;
  for (const auto& [params, model] : sizes) {
    for (const std::string& split : splits) {
      Chart c{"loss-curves",
              PanelName(params, split),
              absl::StrCat(model, " (", FormatParams(params), "): ", split),
              {"step"},
              {"loss (nats/token)"},
              {}};
      std::set<double> in_legend;
      double top = 0;  // the scale's top: the highest loss of a run that did not diverge
      for (const ReportRun& r : runs) {
        auto curve = r.curves.find(split);
        if (r.stage != "cpt" || r.params != params || curve == r.curves.end()) continue;
        const size_t k = static_cast<size_t>(std::lower_bound(almrs.begin(), almrs.end(), r.almr) -
                                             almrs.begin());
        Series series = Line(absl::StrCat("ALMR ", FormatAlmr(r.almr)), Ordered(k, almrs.size()),
                             in_legend.insert(r.almr).second);
        series.dashed = r.state == "diverged";
        for (const CurvePoint& p : Thinned(curve->second)) {
          if (!std::isfinite(p.loss)) break;
          series.points.push_back({static_cast<double>(p.step), p.loss});
          series.tips.push_back(absl::StrCat(r.name, " (LR ", FormatLr(r.peak_lr), ")"));
          if (r.state != "diverged") top = std::max(top, p.loss);
        }
        c.series.push_back(std::move(series));
      }
      if (top > 0) c.y.max = top * 1.02;
      charts.push_back(std::move(c));
    }
  }
  s.blocks.push_back(Charts(std::move(charts)));
  return s;
}

}  // namespace mixlaw::report
