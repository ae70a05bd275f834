// From a fitted coupling law to a decision for the target model: each ALMR's predicted optimal
// LR and losses on a fine grid, the (ALMR, LR) that minimises the additional-language loss under
// a forgetting budget (or a weighted sum of both losses), bootstrap intervals, and the warnings a
// user needs before acting on it.
#ifndef MIXLAW_FITTER_RECOMMEND_H_
#define MIXLAW_FITTER_RECOMMEND_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/coupling_model.h"
#include "fitter/fit.h"

namespace mixlaw {

struct RecommendOptions {
  double target_params = 0;  // N of the target model
  // D, the target's token budget: read where the fit's token terms are free (runs at two or more
  // budgets); 0: the fit's one budget.
  double target_tokens = 0;
  // The predicted base loss may rise at most this much (nats) above its r = 0 optimum.
  std::optional<double> forgetting_budget;
  // Otherwise minimise L_additional + weight * L_base (weight 1 when neither is given).
  std::optional<double> weight;
  // The transfer rule for the LR: eta* proportional to N^-exponent from the largest proxy size
  // (required in spirit with one proxy size; without it the proxy's optimum is used as is).
  std::optional<double> lr_size_exponent;
  // The fit a recommendation reads leaves out the runs whose LR is above this factor of their
  // (N, r) group's best LR on the criterion (fitter/lr_cliff.h); 0: every run is fitted.
  double max_lr_over_best = 0;
  int almr_steps = 200;         // the fine grid over the swept ALMR range
  double wide_lr_factor = 4.0;  // warn when the LR interval spans more than this factor
  double wide_almr = 0.25;      // or the ALMR interval is wider than this
};

struct Interval {
  double lower = kNaN;
  double upper = kNaN;
};

// One ALMR of the fine grid at the target size.
struct AlmrRow {
  double almr = 0;
  double lr_additional = 0;                   // eta*_additional(r, N)
  double lr_base = 0;                         // eta*_base(r, N)
  double lr = 0;                              // the LR the criterion picks at this ALMR
  double loss_additional = 0, loss_base = 0;  // at that LR
  bool feasible = true;                       // within the forgetting budget at some LR
};

struct Recommendation {
  double target_params = 0;
  double target_tokens = 0;  // D the law was read at; 0 when its token terms are held
  std::string criterion;     // "forgetting budget 0.05 nats" or "L_additional + 1 * L_base"
  std::string transfer;      // how the LR reaches the target size
  double almr = 0, lr = 0;
  double loss_additional = 0, loss_base = 0;
  double base_reference = 0;  // the base loss's r = 0 optimum at the target size
  double forgetting = 0;      // loss_base - base_reference
  Interval almr_interval, lr_interval, loss_additional_interval, loss_base_interval;
  int replicates = 0;  // bootstrap resamples the intervals come from
  std::vector<AlmrRow> grid;
  std::vector<std::string> warnings;
};

// The recommendation of a coupling-law fit (fit.law == "coupling"). FailedPrecondition when no
// ALMR keeps the base loss within the budget (the message gives the smallest rise possible);
// InvalidArgument for a fit of another law or a bad option.
absl::StatusOr<Recommendation> Recommend(const LawFit& fit, const RecommendOptions& options);

// What the criterion minimises, from the predicted losses at one point: L_additional under a
// forgetting budget, else L_additional + W L_base.
double CriterionValue(double loss_additional, double loss_base, const RecommendOptions& options);

// The criterion's choice of LR at one ALMR of the target size, and the losses predicted there
// (the row Recommend's grid has at that ALMR); errors as Recommend's.
absl::StatusOr<AlmrRow> RecommendAtAlmr(const LawFit& fit, const RecommendOptions& options,
                                        double almr);

// One bootstrap resample of a coupling-law fit, as a study's design reads it: the resample's law
// (to predict a run anywhere) beside the point it would itself recommend at the target.
struct ReplicateChoice {
  CouplingModel model;
  double almr = 0;
  double lr = 0;
};

// Every resample of `fit` solved on both splits whose law has a choice under `options` (the
// resamples Recommend's intervals come from), in resample order; empty without a bootstrap.
// Errors as Recommend's.
absl::StatusOr<std::vector<ReplicateChoice>> RecommendReplicates(const LawFit& fit,
                                                                 const RecommendOptions& options);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_RECOMMEND_H_
