// The predicted loss surface at the target size: the recommendation's criterion over a grid of
// (ALMR, peak LR) cells, the cells over the forgetting budget, each ALMR's chosen LR and the
// recommended point. surface_svg.h draws it (Chart.js has no heatmap).
#ifndef MIXLAW_REPORT_SURFACE_H_
#define MIXLAW_REPORT_SURFACE_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "fitter/coupling_model.h"
#include "fitter/recommend.h"

namespace mixlaw::report {

struct Surface {
  double almr_lo = 0, almr_hi = 0;             // the ALMR axis: cells split it evenly
  double lr_lo = 0, lr_hi = 0;                 // the LR axis: cells split it evenly in log
  std::vector<double> almrs;                   // cell centres, ascending
  std::vector<double> lrs;                     // cell centres, ascending
  std::vector<std::vector<double>> value;      // [lr index][almr index]: the criterion's value
  std::vector<std::vector<bool>> over_budget;  // [lr index][almr index]
  std::string value_title;                     // what the colour shows, with its unit
  std::string target;                          // "40M"
  std::vector<std::array<double, 2>> chosen;   // (ALMR, LR) each ALMR's chosen LR
  std::optional<std::array<double, 2>> recommended;  // (ALMR, LR)
};

// The surface of `target` (the model at the target size) over the swept ALMRs [almr_lo,
// almr_hi] and LRs around both splits' optima there, `cells_almr` x `cells_lr` cells. The value
// is L_additional under a forgetting budget (cells above it marked), else L_additional + W L_base.
// `rec` (may be null) gives the chosen LRs and the marker.
Surface PredictSurface(const CouplingModel& target, const RecommendOptions& options,
                       const Recommendation* rec, double almr_lo, double almr_hi, int cells_almr,
                       int cells_lr);

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_SURFACE_H_
