// The fitted law over the measured runs: final loss against LR, and the optimal LR against ALMR
// extrapolated to the target with its band.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/points.h"
#include "report/palette.h"
#include "report/sections.h"

namespace mixlaw::report {

namespace {

// The recommended (ALMR, LR) as a star, on a chart of LR against ALMR.
void AddRecommended(const SectionInput& in, Chart* chart) {
  if (!in.input.recommendation) return;
  Series star{"recommended", kPredictedColor};
  star.marker = "star";
  star.points.push_back({in.input.recommendation->almr, in.input.recommendation->lr});
  chart->series.push_back(std::move(star));
}

Chart OptimalLrChart(const SectionInput& in, const std::string& split,
                     const std::vector<GroupOptimum>& optima) {
  const LawFit& fit = in.input.fit;
  const double lo = fit.data.almrs.front(), hi = fit.data.almrs.back();
  const std::vector<double> almrs = LinearSpace(lo, hi, hi > lo ? 41 : 1);
  const double target = in.input.options.target_params;
  Chart c{
      "optimal-lr", split, "optimal LR for " + split, {"ALMR"}, {"optimal peak LR (log scale)"}};
  c.y.log = true;
  for (size_t i = 0; i < fit.data.sizes.size(); ++i) {
    const double n = fit.data.sizes[i];
    Series line = Line(FormatParams(n), Category(i));
    for (double r : almrs)
      line.points.push_back({r, std::exp(in.views.proxy.LnOptimalLrOn(split, r, n))});
    // Optima inside the swept LRs as dots; at the grid's edge (only a bound) as rings.
    Series inside{FormatParams(n) + " best swept LR", Category(i)};
    Series edge{FormatParams(n) + " best swept LR, at the grid's edge", Category(i)};
    inside.in_legend = edge.in_legend = false;
    edge.hollow = true;
    for (const GroupOptimum& g : optima) {
      if (g.params != n) continue;
      Series& s = g.interior ? inside : edge;
      s.points.push_back({g.almr, g.lr});
      s.tips.push_back(absl::StrCat(FormatParams(n), ", ALMR ", FormatAlmr(g.almr), ": ",
                                    FormatLr(g.lr), g.interior ? "" : " (edge of the grid)"));
    }
    c.series.push_back(std::move(line));
    c.series.push_back(std::move(inside));
    c.series.push_back(std::move(edge));
  }
  Series predicted = Line(FormatParams(target) + " (target, predicted)", kTargetColor);
  predicted.dashed = true;
  for (double r : almrs) {
    predicted.points.push_back({r, std::exp(in.views.target.LnOptimalLrOn(split, r, target))});
  }
  c.series.push_back(std::move(predicted));
  const std::vector<Interval> band = OptimalLrBand(in.views.replicates, split, almrs, target);
  if (!in.views.replicates.empty()) {
    Series lower = Line("95% band (lower)", "rgba(17, 17, 17, 0.25)", false);
    Series upper = Line(FormatParams(target) + ": 95% bootstrap band", "rgba(17, 17, 17, 0.25)");
    for (size_t k = 0; k < almrs.size(); ++k) {
      lower.points.push_back({almrs[k], band[k].lower});
      upper.points.push_back({almrs[k], band[k].upper});
    }
    upper.fill_to = static_cast<int>(c.series.size());
    c.series.push_back(std::move(lower));
    c.series.push_back(std::move(upper));
  }
  AddRecommended(in, &c);
  return c;
}

Table OptimalLrTable(const SectionInput& in, const std::string& split,
                     const std::vector<GroupOptimum>& optima) {
  const LawFit& fit = in.input.fit;
  const double target = in.input.options.target_params;
  Table t{"optimal-lr-" + split.substr(split.find('/') + 1), {"ALMR"}, {true}, {}};
  for (double n : fit.data.sizes) {
    t.header.push_back(FormatParams(n) + " measured");
    t.header.push_back(FormatParams(n) + " fitted");
    t.numeric.insert(t.numeric.end(), {true, true});
  }
  t.header.push_back(FormatParams(target) + " predicted");
  t.header.push_back("95% band");
  t.numeric.insert(t.numeric.end(), {true, true});
  const std::vector<Interval> band =
      OptimalLrBand(in.views.replicates, split, fit.data.almrs, target);
  for (size_t k = 0; k < fit.data.almrs.size(); ++k) {
    const double r = fit.data.almrs[k];
    std::vector<Cell> row = {{FormatAlmr(r)}};
    for (double n : fit.data.sizes) {
      std::string measured = "-";
      for (const GroupOptimum& g : optima) {
        if (g.params == n && g.almr == r) measured = FormatLr(g.lr) + (g.interior ? "" : " (edge)");
      }
      row.push_back({measured});
      row.push_back({FormatLr(std::exp(in.views.proxy.LnOptimalLrOn(split, r, n)))});
    }
    row.push_back({FormatLr(std::exp(in.views.target.LnOptimalLrOn(split, r, target)))});
    row.push_back({Between(band[k], FormatLr)});
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

Section LossVsLrSection(const SectionInput& in) {
  Section s{"loss-vs-lr", "Final loss against peak LR", {}};
  const LawFit& fit = in.input.fit;
  s.blocks.push_back(Paragraph(absl::StrCat(
      "Each run's final loss against its peak LR (markers) and the fitted law at each ALMR "
      "(lines of the same colour), one panel per model size and split. Diverged runs are not "
      "shown: the fit leaves them out.",
      fit.above_best.empty()
          ? ""
          : absl::StrCat(" Rings are the ", fit.above_best.size(),
                         " runs the fit left out as above ", FormatNumber(fit.max_lr_over_best),
                         " times their group's best LR."))));
  if (fit.runs.empty()) {
    s.blocks.push_back(Paragraph("This FIT.json lists no runs: only the fitted lines are drawn."));
  }
  std::vector<Chart> charts;
  for (double n : fit.data.sizes) {
    auto lrs = fit.data.lrs.find(n);
    if (lrs == fit.data.lrs.end() || lrs->second.empty()) continue;
    const std::vector<double> grid = LogSpace(lrs->second.front(), lrs->second.back(), 48);
    for (const std::string split : kCouplingSplits) {
      Chart c{"loss-vs-lr",
              PanelName(n, split),
              PanelName(n, split),
              {"peak LR (log scale)"},
              {"final loss (nats/token)"}};
      c.x.log = true;
      for (size_t k = 0; k < fit.data.almrs.size(); ++k) {
        const double r = fit.data.almrs[k];
        const std::string color = Ordered(k, fit.data.almrs.size());
        Series measured{"ALMR " + FormatAlmr(r), color};
        for (const Observation& o : fit.runs) {
          auto loss = o.final_loss.find(split);
          if (o.params != n || o.almr != r || loss == o.final_loss.end()) continue;
          measured.points.push_back({o.peak_lr, loss->second});
          measured.tips.push_back(o.name);
        }
        Series left_out{"ALMR " + FormatAlmr(r) + " (left out above the best)", color};
        left_out.hollow = true;
        left_out.in_legend = false;
        for (const Observation& o : fit.above_best) {
          auto loss = o.final_loss.find(split);
          if (o.params != n || o.almr != r || loss == o.final_loss.end()) continue;
          left_out.points.push_back({o.peak_lr, loss->second});
          left_out.tips.push_back(o.name + " (left out: above the group's best LR)");
        }
        Series fitted = Line("ALMR " + FormatAlmr(r) + " (fitted)", color, false);
        for (double lr : grid)
          fitted.points.push_back({lr, in.views.proxy.LossOn(split, r, lr, n)});
        c.series.push_back(std::move(measured));
        if (!left_out.points.empty()) c.series.push_back(std::move(left_out));
        c.series.push_back(std::move(fitted));
      }
      Series key = Line("fitted law (lines)", "#666666");  // a legend entry for the lines
      c.series.push_back(std::move(key));
      charts.push_back(std::move(c));
    }
  }
  s.blocks.push_back(Charts(std::move(charts)));
  return s;
}

Section OptimalLrSection(const SectionInput& in) {
  Section s{"optimal-lr", "Optimal LR against ALMR", {}};
  const LawFit& fit = in.input.fit;
  const double target = in.input.options.target_params;
  s.blocks.push_back(Paragraph(absl::StrCat(
      "The LR that minimises each split's loss, against the ALMR: dots are each (size, ALMR) "
      "group's best swept LR (refined by a parabola through its neighbours; rings are at the "
      "grid's edge, where it only bounds the optimum), lines the fitted law per size, and the "
      "dashed line the law "
      "at the target size ",
      FormatParams(target),
      in.views.replicates.empty()
          ? " (no band: the fit has no bootstrap resamples)"
          : absl::StrCat(" with the 95% band of ", in.views.replicates.size(),
                         " bootstrap resamples"),
      ". The star is the recommended point: the LR the criterion picks between both optima.")));
  std::vector<Chart> charts;
  std::vector<Table> tables;
  ObservationSet set;
  set.runs = fit.runs;
  for (const std::string split : kCouplingSplits) {
    const std::vector<GroupOptimum> optima = ObservedOptima(LossPoints(set, split));
    charts.push_back(OptimalLrChart(in, split, optima));
    tables.push_back(OptimalLrTable(in, split, optima));
  }
  s.blocks.push_back(Charts(std::move(charts)));
  for (size_t i = 0; i < tables.size(); ++i) {
    s.blocks.push_back(Paragraph(absl::StrCat("Optimal LR for ", kCouplingSplits[i], ":")));
    s.blocks.push_back(TableBlock(std::move(tables[i])));
  }
  return s;
}

}  // namespace mixlaw::report
