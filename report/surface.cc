#include "report/surface.h"

#include <algorithm>
#include <cmath>

#include "common/json_fields.h"
#include "common/number_format.h"
#include "report/law_views.h"

namespace mixlaw::report {

namespace {

// Cell centres of [lo, hi] split into n equal cells.
std::vector<double> Centres(double lo, double hi, int n) {
  std::vector<double> centres;
  for (int i = 0; i < n; ++i) centres.push_back(lo + (hi - lo) * (i + 0.5) / n);
  return centres;
}

}  // namespace

Surface PredictSurface(const CouplingModel& target, const RecommendOptions& options,
                       const Recommendation* rec, double almr_lo, double almr_hi, int cells_almr,
                       int cells_lr) {
  Surface s;
  const double n = options.target_params;
  s.target = FormatParams(n);
  if (almr_hi <= almr_lo) {  // one ALMR swept: a narrow band around it
    almr_lo = std::max(0.0, almr_lo - 0.05);
    almr_hi = almr_lo + 0.1;
  }
  s.almr_lo = almr_lo;
  s.almr_hi = almr_hi;
  // LRs: both splits' optima over the ALMRs (and the chosen LR), widened 4-fold each way so
  // that the valley's walls show.
  double lo = HUGE_VAL, hi = 0;
  for (double r : LinearSpace(almr_lo, almr_hi, 21)) {
    for (double ln : {target.LnOptimalLrAdditional(r, n), target.LnOptimalLrBase(r, n)}) {
      lo = std::min(lo, std::exp(ln));
      hi = std::max(hi, std::exp(ln));
    }
  }
  if (rec != nullptr) {
    lo = std::min(lo, rec->lr);
    hi = std::max(hi, rec->lr);
  }
  s.lr_lo = lo / 4;
  s.lr_hi = hi * 4;
  s.almrs = Centres(almr_lo, almr_hi, cells_almr);
  for (double ln : Centres(std::log(s.lr_lo), std::log(s.lr_hi), cells_lr)) {
    s.lrs.push_back(std::exp(ln));
  }
  const double reference = target.BaseReference(n);
  const double weight = options.weight.value_or(1.0);
  s.value_title = options.forgetting_budget
                      ? "predicted L_additional (nats/token)"
                      : "predicted L_additional + " + FormatNumber(weight) + " L_base (nats/token)";
  for (double lr : s.lrs) {
    std::vector<double> row;
    std::vector<bool> over;
    for (double r : s.almrs) {
      const double a = target.LossAdditional(r, lr, n), b = target.LossBase(r, lr, n);
      row.push_back(CriterionValue(a, b, options));
      over.push_back(options.forgetting_budget && b - reference > *options.forgetting_budget);
    }
    s.value.push_back(std::move(row));
    s.over_budget.push_back(std::move(over));
  }
  if (rec != nullptr) {
    for (const AlmrRow& row : rec->grid) s.chosen.push_back({row.almr, row.lr});
    s.recommended = std::array<double, 2>{rec->almr, rec->lr};
  }
  return s;
}

}  // namespace mixlaw::report
