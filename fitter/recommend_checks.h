// What Recommend checks around its arithmetic: that the fit is a coupling-law fit it can use,
// how the LR is carried to the target size (the transfer rule), and the warnings a user needs.
#ifndef MIXLAW_FITTER_RECOMMEND_CHECKS_H_
#define MIXLAW_FITTER_RECOMMEND_CHECKS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/coupling_model.h"
#include "fitter/fit.h"
#include "fitter/recommend.h"

namespace mixlaw {

// The two components of a coupling-law fit (pointing into the LawFit).
struct CouplingFit {
  const ComponentFit* additional = nullptr;
  const ComponentFit* base = nullptr;

  // The model of the parameter vectors `a` and `b` with the transfer rule applied: an LR-size
  // exponent given in `options` replaces the fitted delta, anchored at the largest proxy size.
  CouplingModel Model(const std::vector<double>& a, const std::vector<double>& b, const LawFit& fit,
                      const RecommendOptions& options) const;
};

// The coupling components of `fit`; InvalidArgument for another law, a malformed fit or bad
// options (a non-positive target size, a negative budget or weight).
absl::StatusOr<CouplingFit> CheckCouplingFit(const LawFit& fit, const RecommendOptions& options);

// The token budget the law is read at: options.target_tokens when given, else the one budget of
// the fit's runs; 0 when the fit's token terms are held (its data held D fixed). InvalidArgument
// when the terms are free and the runs span budgets but none was given.
absl::StatusOr<double> ResolveTargetTokens(const LawFit& fit, const CouplingFit& coupling,
                                           const RecommendOptions& options);

// CheckCouplingFit, then ResolveTargetTokens into options->target_tokens: what every reader of a
// coupling fit at the target does first.
absl::StatusOr<CouplingFit> PrepareCouplingFit(const LawFit& fit, RecommendOptions* options);

// One sentence: how the LR (and the losses) reach the target size.
std::string TransferRule(const LawFit& fit, const RecommendOptions& options);

// The optimum at the edge of the swept grid, too few points per parameter, intervals too wide,
// sizes that cannot fix the exponents; and the fit's own warnings, prefixed by their split.
std::vector<std::string> RecommendationWarnings(const LawFit& fit, const CouplingFit& coupling,
                                                const CouplingModel& model,
                                                const Recommendation& rec,
                                                const RecommendOptions& options);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_RECOMMEND_CHECKS_H_
