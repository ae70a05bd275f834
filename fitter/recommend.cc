#include "fitter/recommend.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/coupling_model.h"
#include "fitter/laws/coupling.h"
#include "fitter/recommend_checks.h"
#include "fitter/uncertainty.h"

namespace mixlaw {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Choice {
  bool found = false;
  AlmrRow best;
  std::vector<AlmrRow> rows;
  double smallest_rise = kInf;  // the least forgetting any ALMR allows (budget criterion)
};

// The LR the criterion picks at one ALMR. Both losses are parabolas in x = ln eta, so the
// weighted sum's minimum is the curvature-weighted mean of the two optima, and under a budget the
// additional optimum is clamped into the interval where the base loss stays within it.
AlmrRow AtAlmr(const CouplingModel& m, double almr, double n, double reference,
               const RecommendOptions& o, double* rise) {
  AlmrRow row;
  row.almr = almr;
  const double a = m.LnOptimalLrAdditional(almr, n), b = m.LnOptimalLrBase(almr, n);
  const double ka = m.CurvatureAdditional(), kb = m.CurvatureBase();
  row.lr_additional = std::exp(a);
  row.lr_base = std::exp(b);
  double x = a;
  if (o.forgetting_budget) {
    *rise = m.LossBase(almr, std::exp(b), n) - reference;
    double slack = *o.forgetting_budget - *rise;
    row.feasible = slack >= 0;
    double half_width = kb > 0 ? std::sqrt(std::max(slack, 0.0) / kb) : kInf;
    x = std::clamp(a, b - half_width, b + half_width);
  } else {
    const double w = o.weight.value_or(1.0);
    x = ka + w * kb > 0 ? (ka * a + w * kb * b) / (ka + w * kb) : a;
  }
  row.lr = std::exp(x);
  row.loss_additional = m.LossAdditional(almr, row.lr, n);
  row.loss_base = m.LossBase(almr, row.lr, n);
  return row;
}

// The criterion's value at one row: L_additional under a budget, else the weighted sum.
double Objective(const AlmrRow& row, const RecommendOptions& o) {
  return row.feasible ? CriterionValue(row.loss_additional, row.loss_base, o) : kInf;
}

// The fine grid, then a golden-section search between the best grid point's neighbours: under a
// budget the objective has a sharp minimum just inside the budget's edge, finer than the grid.
Choice Choose(const CouplingModel& m, const std::vector<double>& almrs, double n,
              const RecommendOptions& o) {
  Choice choice;
  const double reference = m.BaseReference(n);
  double best_objective = kInf;
  size_t best_index = 0;
  for (size_t i = 0; i < almrs.size(); ++i) {
    double rise = kInf;
    AlmrRow row = AtAlmr(m, almrs[i], n, reference, o, &rise);
    choice.smallest_rise = std::min(choice.smallest_rise, rise);
    choice.rows.push_back(row);
    if (Objective(row, o) < best_objective) {
      best_objective = Objective(row, o);
      choice.best = row;
      choice.found = true;
      best_index = i;
    }
  }
  if (!choice.found) return choice;
  double lo = almrs[best_index > 0 ? best_index - 1 : 0];
  double hi = almrs[std::min(best_index + 1, almrs.size() - 1)];
  const double golden = 0.5 * (std::sqrt(5.0) - 1);
  auto at = [&](double r) {
    double rise = kInf;
    return AtAlmr(m, r, n, reference, o, &rise);
  };
  for (int iteration = 0; iteration < 60 && hi - lo > 1e-9; ++iteration) {
    double r1 = hi - golden * (hi - lo), r2 = lo + golden * (hi - lo);
    AlmrRow row1 = at(r1), row2 = at(r2);
    for (const AlmrRow* row : {&row1, &row2}) {
      if (Objective(*row, o) < best_objective) {
        best_objective = Objective(*row, o);
        choice.best = *row;
      }
    }
    if (Objective(row1, o) <= Objective(row2, o)) {
      hi = r2;  // both infinite: the budget's edge is below, where forgetting is smaller
    } else {
      lo = r1;
    }
  }
  return choice;
}

// The fine grid over the swept ALMR range the choice is made on.
std::vector<double> FineAlmrs(const LawFit& fit, const RecommendOptions& options) {
  std::vector<double> almrs;
  const double lo = fit.data.almrs.front(), hi = fit.data.almrs.back();
  for (int i = 0; i <= options.almr_steps; ++i) {
    almrs.push_back(lo + (hi - lo) * i / std::max(options.almr_steps, 1));
  }
  return almrs;
}

Interval Percentiles(const std::vector<double>& values) {
  return {Quantile(values, 0.025), Quantile(values, 0.975)};
}

}  // namespace

double CriterionValue(double loss_additional, double loss_base, const RecommendOptions& options) {
  return options.forgetting_budget ? loss_additional
                                   : loss_additional + options.weight.value_or(1.0) * loss_base;
}

absl::StatusOr<AlmrRow> RecommendAtAlmr(const LawFit& fit, const RecommendOptions& given,
                                        double almr) {
  RecommendOptions options = given;
  absl::StatusOr<CouplingFit> coupling = PrepareCouplingFit(fit, &options);
  if (!coupling.ok()) return coupling.status();
  const CouplingModel model =
      coupling->Model(coupling->additional->Values(), coupling->base->Values(), fit, options);
  const double n = options.target_params;
  double rise = kInf;
  return AtAlmr(model, almr, n, model.BaseReference(n), options, &rise);
}

absl::StatusOr<Recommendation> Recommend(const LawFit& fit, const RecommendOptions& given) {
  RecommendOptions options = given;
  absl::StatusOr<CouplingFit> coupling = PrepareCouplingFit(fit, &options);
  if (!coupling.ok()) return coupling.status();
  const double n = options.target_params;
  Recommendation rec;
  rec.target_params = n;
  rec.target_tokens = options.target_tokens;
  rec.criterion =
      options.forgetting_budget
          ? absl::StrCat("forgetting budget ", FormatNumber(*options.forgetting_budget), " nats")
          : absl::StrCat("L_additional + ", FormatNumber(options.weight.value_or(1.0)),
                         " * L_base");
  rec.transfer = TransferRule(fit, options);
  if (rec.target_tokens > 0) {
    rec.transfer += absl::StrCat("; the token terms fitted over the runs' budgets, read at D = ",
                                 FormatParams(rec.target_tokens), " tokens");
  }

  const std::vector<double> almrs = FineAlmrs(fit, options);
  const double lo = almrs.front(), hi = almrs.back();
  CouplingModel model =
      coupling->Model(coupling->additional->Values(), coupling->base->Values(), fit, options);
  Choice choice = Choose(model, almrs, n, options);
  if (!choice.found) {
    return absl::FailedPreconditionError(absl::StrCat("no ALMR in [", FormatAlmr(lo), ", ",
                                                      FormatAlmr(hi),
                                                      "] keeps the predicted base loss "
                                                      "within ",
                                                      FormatNumber(*options.forgetting_budget),
                                                      " nats of its r = 0 optimum; the "
                                                      "smallest rise is ",
                                                      FormatLoss(choice.smallest_rise)));
  }
  rec.grid = std::move(choice.rows);
  rec.almr = choice.best.almr;
  rec.lr = choice.best.lr;
  rec.loss_additional = choice.best.loss_additional;
  rec.loss_base = choice.best.loss_base;
  rec.base_reference = model.BaseReference(n);
  rec.forgetting = rec.loss_base - rec.base_reference;

  // Bootstrap: each resample's own choice, and its losses at the chosen point.
  std::vector<double> r_k, ln_lr_k, loss_a_k, loss_b_k;
  const auto& boot_a = coupling->additional->bootstrap;
  const auto& boot_b = coupling->base->bootstrap;
  for (size_t k = 0; k < std::min(boot_a.size(), boot_b.size()); ++k) {
    if (boot_a[k].empty() || boot_b[k].empty()) continue;
    CouplingModel m = coupling->Model(boot_a[k], boot_b[k], fit, options);
    loss_a_k.push_back(m.LossAdditional(rec.almr, rec.lr, n));
    loss_b_k.push_back(m.LossBase(rec.almr, rec.lr, n));
    Choice c = Choose(m, almrs, n, options);
    if (!c.found) continue;
    r_k.push_back(c.best.almr);
    ln_lr_k.push_back(std::log(c.best.lr));
  }
  rec.replicates = static_cast<int>(loss_a_k.size());
  rec.almr_interval = Percentiles(r_k);
  Interval ln_lr = Percentiles(ln_lr_k);
  rec.lr_interval = {std::exp(ln_lr.lower), std::exp(ln_lr.upper)};
  rec.loss_additional_interval = Percentiles(loss_a_k);
  rec.loss_base_interval = Percentiles(loss_b_k);
  rec.warnings = RecommendationWarnings(fit, *coupling, model, rec, options);
  return rec;
}

absl::StatusOr<std::vector<ReplicateChoice>> RecommendReplicates(const LawFit& fit,
                                                                 const RecommendOptions& given) {
  RecommendOptions options = given;
  absl::StatusOr<CouplingFit> coupling = PrepareCouplingFit(fit, &options);
  if (!coupling.ok()) return coupling.status();
  const std::vector<double> almrs = FineAlmrs(fit, options);
  const auto& boot_a = coupling->additional->bootstrap;
  const auto& boot_b = coupling->base->bootstrap;
  std::vector<ReplicateChoice> replicates;
  for (size_t k = 0; k < std::min(boot_a.size(), boot_b.size()); ++k) {
    if (boot_a[k].empty() || boot_b[k].empty()) continue;
    CouplingModel m = coupling->Model(boot_a[k], boot_b[k], fit, options);
    Choice c = Choose(m, almrs, options.target_params, options);
    if (!c.found) continue;
    replicates.push_back({std::move(m), c.best.almr, c.best.lr});
  }
  return replicates;
}

}  // namespace mixlaw
