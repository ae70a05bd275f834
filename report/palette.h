// The report's colours: a sequential scale for ordered quantities (ALMR, the loss surface) and
// categories for sizes and splits, the same in every chart so that a colour means one thing.
#ifndef MIXLAW_REPORT_PALETTE_H_
#define MIXLAW_REPORT_PALETTE_H_

#include <string>

namespace mixlaw::report {

// Viridis at t in [0, 1] (clamped), as "#rrggbb": dark blue to yellow, readable in grey scale
// and by colour-blind readers.
std::string Viridis(double t);

// The colour of the i-th of n ordered values (ALMRs): viridis up to 0.85, so that the last stays
// visible on white.
std::string Ordered(size_t i, size_t n);

// The colour of the i-th category (model sizes); it repeats after eight.
std::string Category(size_t i);

// The colour of an evaluation split, and of the target size.
std::string SplitColor(const std::string& split);
inline constexpr char kTargetColor[] = "#111111";
// The colour of the law's choice: the recommended point and the predicted optimum.
inline constexpr char kPredictedColor[] = "#e31a1c";

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_PALETTE_H_
