#include "report/surface_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/number_format.h"
#include "fitter/uncertainty.h"
#include "report/palette.h"

namespace mixlaw::report {

namespace {

std::string Px(double v) { return absl::StrFormat("%.1f", v); }

// The colour scale: from the lowest value to the 75th percentile of the cells, so that the
// valley around the optimum spans most of the colours; higher cells take the top colour.
struct Scale {
  double lo = 0, hi = 1;
  double T(double v) const { return hi > lo ? (v - lo) / (hi - lo) : 0.0; }
};

Scale ScaleOf(const Surface& s) {
  std::vector<double> values;
  for (const auto& row : s.value) {
    for (double v : row) {
      if (std::isfinite(v)) values.push_back(v);
    }
  }
  if (values.empty()) return {};
  Scale scale{*std::min_element(values.begin(), values.end()), Quantile(values, 0.75)};
  if (!(scale.hi > scale.lo)) scale.hi = scale.lo + 1e-3;
  return scale;
}

std::string Text(double x, double y, const std::string& anchor, const std::string& text,
                 const std::string& extra = "") {
  return absl::StrCat("<text x=\"", Px(x), "\" y=\"", Px(y), "\" text-anchor=\"", anchor, "\"",
                      extra, ">", text, "</text>");
}

}  // namespace

double SurfaceX(const Surface& s, const SvgFrame& f, double almr) {
  return f.left + f.PlotWidth() * (almr - s.almr_lo) / (s.almr_hi - s.almr_lo);
}

double SurfaceY(const Surface& s, const SvgFrame& f, double lr) {
  const double t = std::log(lr / s.lr_lo) / std::log(s.lr_hi / s.lr_lo);
  return f.top + f.PlotHeight() * (1 - t);
}

std::vector<double> LinearTicks(double lo, double hi, int count) {
  std::vector<double> ticks;
  if (!(hi > lo) || count < 1) return ticks;
  // The round step nearest (in ratio) to an even split into `count`.
  const double raw = (hi - lo) / count, power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {2.0, 5.0, 10.0}) {
    if (std::fabs(std::log(m * power / raw)) < std::fabs(std::log(step / raw))) step = m * power;
  }
  // Multiples of the step, each computed afresh so that no rounding error accumulates.
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
    ticks.push_back(k * step);
  }
  return ticks;
}

std::vector<double> LogTicks(double lo, double hi) {
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi > lo)) return ticks;
  for (int e = static_cast<int>(std::floor(std::log10(lo))); e <= std::ceil(std::log10(hi)); ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  return ticks;
}

std::string SurfaceSvg(const Surface& s, const SvgFrame& f) {
  const Scale scale = ScaleOf(s);
  const double cell_w = f.PlotWidth() / std::max<size_t>(1, s.almrs.size());
  const double cell_h = f.PlotHeight() / std::max<size_t>(1, s.lrs.size());
  std::string svg = absl::StrCat(
      "<svg class=\"surface\" data-chart=\"surface\" viewBox=\"0 0 ", f.width, " ", f.height,
      "\" role=\"img\" aria-label=\"", s.value_title, " at ", s.target,
      "\">\n<defs><pattern id=\"over-budget\" width=\"6\" height=\"6\" "
      "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" "
      "height=\"6\" fill=\"#ffffff\" fill-opacity=\"0.35\"/><line x1=\"0\" y1=\"0\" x2=\"0\" "
      "y2=\"6\" stroke=\"#ffffff\" stroke-width=\"2\"/></pattern></defs>\n");
  // Cells, lowest LR at the bottom.
  for (size_t j = 0; j < s.lrs.size(); ++j) {
    const double y = f.top + f.PlotHeight() - (j + 1) * cell_h;
    for (size_t i = 0; i < s.almrs.size(); ++i) {
      const double x = f.left + i * cell_w;
      // Each cell overlaps its neighbours by half a pixel so that no seams show.
      absl::StrAppend(&svg, "<rect class=\"cell\" x=\"", Px(x), "\" y=\"", Px(y), "\" width=\"",
                      Px(cell_w + 0.5), "\" height=\"", Px(cell_h + 0.5), "\" fill=\"",
                      Viridis(scale.T(s.value[j][i])), "\"/>\n");
      if (s.over_budget[j][i]) {
        absl::StrAppend(&svg, "<rect class=\"over-budget\" x=\"", Px(x), "\" y=\"", Px(y),
                        "\" width=\"", Px(cell_w + 0.5), "\" height=\"", Px(cell_h + 0.5),
                        "\" fill=\"url(#over-budget)\"/>\n");
      }
    }
  }
  // The chosen LR at each ALMR: a white line with a dark edge, visible on any colour.
  if (!s.chosen.empty()) {
    std::string path;
    for (const auto& [r, lr] : s.chosen) {
      absl::StrAppend(&path, path.empty() ? "M" : " L", Px(SurfaceX(s, f, r)), " ",
                      Px(SurfaceY(s, f, lr)));
    }
    absl::StrAppend(&svg, "<path class=\"chosen\" d=\"", path,
                    "\" fill=\"none\" stroke=\"#222\" stroke-width=\"4\"/>\n<path d=\"", path,
                    "\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2\"/>\n");
  }
  // Axes: a frame, ticks and titles.
  absl::StrAppend(&svg, "<rect x=\"", Px(f.left), "\" y=\"", Px(f.top), "\" width=\"",
                  Px(f.PlotWidth()), "\" height=\"", Px(f.PlotHeight()),
                  "\" fill=\"none\" stroke=\"#333\"/>\n<g class=\"axis\" font-size=\"12\">\n");
  const double bottom = f.top + f.PlotHeight();
  for (double r : LinearTicks(s.almr_lo, s.almr_hi, 6)) {
    const double x = SurfaceX(s, f, r);
    absl::StrAppend(&svg, "<line x1=\"", Px(x), "\" y1=\"", Px(bottom), "\" x2=\"", Px(x),
                    "\" y2=\"", Px(bottom + 5), "\" stroke=\"#333\"/>",
                    Text(x, bottom + 19, "middle", FormatAlmr(r)), "\n");
  }
  for (double lr : LogTicks(s.lr_lo, s.lr_hi)) {
    const double y = SurfaceY(s, f, lr);
    absl::StrAppend(&svg, "<line x1=\"", Px(f.left - 5), "\" y1=\"", Px(y), "\" x2=\"", Px(f.left),
                    "\" y2=\"", Px(y), "\" stroke=\"#333\"/>",
                    Text(f.left - 8, y + 4, "end", FormatLr(lr)), "\n");
  }
  absl::StrAppend(
      &svg, Text(f.left + f.PlotWidth() / 2, f.height - 12, "middle", "ALMR"), "\n",
      Text(16, f.top + f.PlotHeight() / 2, "middle", "peak LR (log scale)",
           absl::StrCat(" transform=\"rotate(-90 16 ", Px(f.top + f.PlotHeight() / 2), ")\"")),
      "\n</g>\n");
  // The colour bar, right of the plot.
  const double bar_x = f.left + f.PlotWidth() + 24, bar_w = 16;
  absl::StrAppend(&svg, "<g class=\"colour-bar\" font-size=\"12\">\n");
  const int steps = 48;
  for (int k = 0; k < steps; ++k) {
    const double y = f.top + f.PlotHeight() * (1 - (k + 1.0) / steps);
    absl::StrAppend(&svg, "<rect x=\"", Px(bar_x), "\" y=\"", Px(y), "\" width=\"", Px(bar_w),
                    "\" height=\"", Px(f.PlotHeight() / steps + 0.5), "\" fill=\"",
                    Viridis((k + 0.5) / steps), "\"/>\n");
  }
  for (double v : LinearTicks(scale.lo, scale.hi, 5)) {
    const double y = f.top + f.PlotHeight() * (1 - scale.T(v));
    absl::StrAppend(&svg, "<line x1=\"", Px(bar_x + bar_w), "\" y1=\"", Px(y), "\" x2=\"",
                    Px(bar_x + bar_w + 4), "\" y2=\"", Px(y), "\" stroke=\"#333\"/>",
                    Text(bar_x + bar_w + 7, y + 4, "start", FormatLoss(v)), "\n");
  }
  const double bar_mid = f.top + f.PlotHeight() / 2, title_x = f.width - 8;
  absl::StrAppend(&svg,
                  Text(title_x, bar_mid, "middle", s.value_title,
                       absl::StrCat(" transform=\"rotate(-90 ", Px(title_x), " ", Px(bar_mid),
                                    ")\" font-size=\"11\"")),
                  "\n</g>\n");
  // The recommended point, labelled on the side with room.
  if (s.recommended) {
    const auto [r, lr] = *s.recommended;
    const double x = SurfaceX(s, f, r), y = SurfaceY(s, f, lr);
    const bool right = x < f.left + f.PlotWidth() * 0.6;
    absl::StrAppend(&svg, "<g id=\"recommended\" class=\"marker\" data-almr=\"", FormatAlmr(r),
                    "\" data-lr=\"", FormatLr(lr), "\"><circle cx=\"", Px(x), "\" cy=\"", Px(y),
                    "\" r=\"7\" fill=\"", kPredictedColor,
                    "\" stroke=\"#fff\" stroke-width=\"2\"/>",
                    Text(right ? x + 12 : x - 12, y - 10, right ? "start" : "end",
                         absl::StrCat("recommended: ALMR ", FormatAlmr(r), ", LR ", FormatLr(lr)),
                         " font-size=\"13\" font-weight=\"bold\" fill=\"#fff\" stroke=\"#000\" "
                         "stroke-width=\"3\" paint-order=\"stroke\""),
                    "</g>\n");
  }
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

}  // namespace mixlaw::report
