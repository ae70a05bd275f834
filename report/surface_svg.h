// The loss surface as inline SVG: one rect a cell coloured by the predicted value, hatched cells
// over the forgetting budget, the chosen LR of each ALMR as a line, the recommended point as a
// marker, axes with ticks (LR in log) and a colour bar with its scale.
#ifndef MIXLAW_REPORT_SURFACE_SVG_H_
#define MIXLAW_REPORT_SURFACE_SVG_H_

#include <string>
#include <vector>

#include "report/surface.h"

namespace mixlaw::report {

// Where the SVG puts the plot area, in its own coordinates (the viewBox).
struct SvgFrame {
  double width = 840, height = 460;
  double left = 96, right = 130, top = 16, bottom = 56;  // margins
  double PlotWidth() const { return width - left - right; }
  double PlotHeight() const { return height - top - bottom; }
};

// The SVG element (class "surface", data-chart="surface"): cells are rect.cell, over-budget
// overlays rect.over-budget, the marker is g#recommended holding a circle at the point.
std::string SurfaceSvg(const Surface& surface, const SvgFrame& frame = {});

// The pixel of (ALMR, LR) in `frame` for `surface`'s axes.
double SurfaceX(const Surface& surface, const SvgFrame& frame, double almr);
double SurfaceY(const Surface& surface, const SvgFrame& frame, double lr);

// Tick values: about `count` round steps (1, 2 or 5 times a power of ten) in [lo, hi]; and for a
// log axis, 1, 2 and 5 times each power of ten in [lo, hi].
std::vector<double> LinearTicks(double lo, double hi, int count);
std::vector<double> LogTicks(double lo, double hi);

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_SURFACE_SVG_H_
