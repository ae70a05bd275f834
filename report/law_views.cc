#include "report/law_views.h"

#include <algorithm>
#include <cmath>

#include "fitter/recommend_checks.h"
#include "fitter/uncertainty.h"

namespace mixlaw::report {

absl::StatusOr<LawViews> ViewsOf(const LawFit& fit, const RecommendOptions& given) {
  RecommendOptions options = given;  // with the budget the views are drawn at
  absl::StatusOr<CouplingFit> coupling = PrepareCouplingFit(fit, &options);
  if (!coupling.ok()) return coupling.status();
  const std::vector<double> a = coupling->additional->Values(), b = coupling->base->Values();
  CouplingModel fitted(a, b);
  fitted.SetTokens(options.target_tokens);
  LawViews views{fitted, coupling->Model(a, b, fit, options), {}};
  const auto& boot_a = coupling->additional->bootstrap;
  const auto& boot_b = coupling->base->bootstrap;
  for (size_t k = 0; k < std::min(boot_a.size(), boot_b.size()); ++k) {
    // A failed resample is empty in both splits' lists, so that they stay aligned.
    if (boot_a[k].size() != a.size() || boot_b[k].size() != b.size()) continue;
    views.replicates.push_back(coupling->Model(boot_a[k], boot_b[k], fit, options));
  }
  return views;
}

std::vector<double> LinearSpace(double lo, double hi, int n) {
  std::vector<double> values;
  for (int i = 0; i < n; ++i) values.push_back(n == 1 ? lo : lo + (hi - lo) * i / (n - 1));
  return values;
}

std::vector<double> LogSpace(double lo, double hi, int n) {
  std::vector<double> values = LinearSpace(std::log(lo), std::log(hi), n);
  for (double& v : values) v = std::exp(v);
  return values;
}

std::vector<Interval> OptimalLrBand(const std::vector<CouplingModel>& replicates,
                                    const std::string& split, const std::vector<double>& almrs,
                                    double params) {
  std::vector<Interval> band;
  for (double r : almrs) {
    std::vector<double> ln_lr;
    for (const CouplingModel& m : replicates) ln_lr.push_back(m.LnOptimalLrOn(split, r, params));
    if (ln_lr.empty()) {
      band.push_back({});
      continue;
    }
    band.push_back({std::exp(Quantile(ln_lr, 0.025)), std::exp(Quantile(ln_lr, 0.975))});
  }
  return band;
}

double Prediction::LogResidual() const { return std::log(predicted / measured); }

std::vector<Prediction> Predictions(const LawFit& fit, const CouplingModel& proxy) {
  std::vector<Prediction> predictions;
  for (const std::string split : kCouplingSplits) {
    for (const Observation& o : fit.runs) {
      auto loss = o.final_loss.find(split);
      if (loss == o.final_loss.end() || !std::isfinite(loss->second)) continue;
      predictions.push_back(
          {&o, split, loss->second, proxy.LossOn(split, o.almr, o.peak_lr, o.params)});
    }
  }
  return predictions;
}

}  // namespace mixlaw::report
