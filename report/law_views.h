// The fitted coupling law evaluated where the report draws it: at the proxy sizes as fitted, at
// the target size with the transfer rule, and for each bootstrap resample (the bands).
#ifndef MIXLAW_REPORT_LAW_VIEWS_H_
#define MIXLAW_REPORT_LAW_VIEWS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/coupling_model.h"
#include "fitter/fit.h"
#include "fitter/recommend.h"

namespace mixlaw::report {

struct LawViews {
  CouplingModel proxy;   // the fit as is: what the proxy runs are compared with
  CouplingModel target;  // with the options' transfer rule: what the target size is predicted by
  std::vector<CouplingModel> replicates;  // each usable bootstrap resample, with the rule
};

// The views of a coupling-law fit; InvalidArgument as Recommend refuses a fit or options.
absl::StatusOr<LawViews> ViewsOf(const LawFit& fit, const RecommendOptions& options);

// n values from lo to hi, evenly spaced (LinearSpace) or evenly spaced in log (LogSpace).
std::vector<double> LinearSpace(double lo, double hi, int n);
std::vector<double> LogSpace(double lo, double hi, int n);

// At each ALMR, the 2.5% and 97.5% percentiles over `replicates` of the optimal LR on `split`
// at size `params` (percentiles of ln LR, as Recommend takes them); NaN without replicates.
std::vector<Interval> OptimalLrBand(const std::vector<CouplingModel>& replicates,
                                    const std::string& split, const std::vector<double>& almrs,
                                    double params);

// A fitted run's measured final loss on a split beside the law's prediction for it.
struct Prediction {
  const Observation* run = nullptr;
  std::string split;
  double measured = 0, predicted = 0;
  double LogResidual() const;  // ln(predicted / measured), the residual the fit minimised
};

// Every run of `fit` on both splits, predicted by `proxy`.
std::vector<Prediction> Predictions(const LawFit& fit, const CouplingModel& proxy);

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_LAW_VIEWS_H_
