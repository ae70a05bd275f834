#include "fitter/recommend_checks.h"

#include <cmath>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/laws/coupling.h"

namespace mixlaw {

CouplingModel CouplingFit::Model(const std::vector<double>& a, const std::vector<double>& b,
                                 const LawFit& fit, const RecommendOptions& options) const {
  CouplingModel model(a, b);
  model.SetTokens(options.target_tokens);
  if (options.lr_size_exponent)
    model.SetLrSizeExponent(*options.lr_size_exponent, fit.data.sizes.back());
  return model;
}

absl::StatusOr<CouplingFit> CheckCouplingFit(const LawFit& fit, const RecommendOptions& options) {
  if (fit.law != "coupling") {
    return absl::InvalidArgumentError(
        absl::StrCat("the fit is of law '", fit.law,
                     "'; recommend needs the coupling law (mixlaw fit --law "
                     "coupling)"));
  }
  CouplingFit coupling;
  for (const ComponentFit& c : fit.components) {
    if (c.law == "coupling/additional") coupling.additional = &c;
    if (c.law == "coupling/base") coupling.base = &c;
  }
  if (coupling.additional == nullptr || coupling.base == nullptr) {
    return absl::InvalidArgumentError(
        "the fit lacks the coupling law of eval/additional or of eval/base");
  }
  for (const ComponentFit* c : {coupling.additional, coupling.base}) {
    if (c->parameters.size() != static_cast<size_t>(kCouplingParameters) &&
        c->parameters.size() != static_cast<size_t>(kCouplingParametersWithoutTokens)) {
      return absl::InvalidArgumentError(
          absl::StrCat(c->law, ": ", c->parameters.size(), " parameters, the law has ",
                       static_cast<int>(kCouplingParameters), " (or ",
                       kCouplingParametersWithoutTokens, " without its token terms)"));
    }
  }
  if (fit.data.sizes.empty() || fit.data.almrs.empty()) {
    return absl::InvalidArgumentError(
        "the fit lists no sizes or ALMRs swept (data.sizes, data.almrs)");
  }
  if (!(options.target_params > 0)) {
    return absl::InvalidArgumentError("--target-params must be > 0");
  }
  if (options.forgetting_budget && !(*options.forgetting_budget >= 0)) {
    return absl::InvalidArgumentError("--forgetting-budget must be >= 0");
  }
  if (options.weight && !(*options.weight >= 0)) {
    return absl::InvalidArgumentError("--weight must be >= 0");
  }
  if (!(options.target_tokens >= 0)) {
    return absl::InvalidArgumentError("--target-tokens must be > 0");
  }
  return coupling;
}

absl::StatusOr<double> ResolveTargetTokens(const LawFit& fit, const CouplingFit& coupling,
                                           const RecommendOptions& options) {
  bool free = false;
  for (const ComponentFit* c : {coupling.additional, coupling.base}) {
    for (size_t i = kCouplingParametersWithoutTokens; i < c->parameters.size(); ++i) {
      free = free || !c->parameters[i].held;
    }
  }
  if (!free) return 0.0;
  if (options.target_tokens > 0) return options.target_tokens;
  std::set<double> budgets;
  for (const Observation& o : fit.runs) {
    if (o.tokens > 0) budgets.insert(o.tokens);
  }
  if (budgets.size() == 1) return *budgets.begin();
  return absl::InvalidArgumentError(
      absl::StrCat("--target-tokens: required: the law's LR optimum reads the token budget D, and ",
                   budgets.empty() ? std::string("the fit lists no run's budget")
                                   : absl::StrCat("the fit's runs span ", budgets.size(),
                                                  " budgets (", FormatParams(*budgets.begin()),
                                                  " to ", FormatParams(*budgets.rbegin()), ")")));
}

absl::StatusOr<CouplingFit> PrepareCouplingFit(const LawFit& fit, RecommendOptions* options) {
  absl::StatusOr<CouplingFit> coupling = CheckCouplingFit(fit, *options);
  if (!coupling.ok()) return coupling.status();
  absl::StatusOr<double> tokens = ResolveTargetTokens(fit, *coupling, *options);
  if (!tokens.ok()) return tokens.status();
  options->target_tokens = *tokens;
  return coupling;
}

std::string TransferRule(const LawFit& fit, const RecommendOptions& options) {
  const std::vector<double>& sizes = fit.data.sizes;
  const std::string largest = FormatParams(sizes.back());
  if (sizes.size() == 1) {
    std::string lr =
        options.lr_size_exponent
            ? absl::StrCat("the LR is the proxy's optimum scaled by (N / ", largest, ")^-",
                           FormatNumber(*options.lr_size_exponent), " (--lr-size-exponent)")
            : "the LR is the proxy's optimum as is (give --lr-size-exponent to scale it)";
    return absl::StrCat("one proxy size (", largest, "): the size exponents cannot be fitted; ", lr,
                        ", and the losses are the proxy's (their level at ",
                        FormatParams(options.target_params), " is not predicted)");
  }
  if (options.lr_size_exponent) {
    return absl::StrCat("the LR optimum scales as N^-", FormatNumber(*options.lr_size_exponent),
                        " from ", largest, " (--lr-size-exponent, instead of the fitted delta)");
  }
  return absl::StrCat("size exponents fitted over ", sizes.size(), " sizes (",
                      FormatParams(sizes.front()), " to ", largest, ")");
}

std::vector<std::string> RecommendationWarnings(const LawFit& fit, const CouplingFit& coupling,
                                                const CouplingModel& model,
                                                const Recommendation& rec,
                                                const RecommendOptions& options) {
  std::vector<std::string> w;
  const std::vector<double>& sizes = fit.data.sizes;
  const std::vector<double>& almrs = fit.data.almrs;
  if (sizes.size() == 1)
    w.push_back(absl::StrCat("extrapolation by a transfer rule: ", rec.transfer));
  if (sizes.size() == 2) {
    w.push_back(
        "two proxy sizes: E, A and alpha cannot be told apart, so the predicted loss levels "
        "at the target size are not reliable (sweep three sizes or more)");
  }
  const double fold = options.target_params / sizes.back();
  if (fold > 100) {
    w.push_back(absl::StrFormat(
        "extrapolating %.3g-fold beyond the largest proxy (%s): an error e in a size exponent "
        "moves the LR by a factor exp(%.1f e)",
        fold, FormatParams(sizes.back()), std::log(fold)));
  }
  if (almrs.size() == 1) {
    w.push_back("one ALMR swept: there is no mixture to choose");
  } else if (rec.almr <= almrs.front() || rec.almr >= almrs.back()) {
    w.push_back(absl::StrCat("the chosen ALMR ", FormatAlmr(rec.almr),
                             " is at the edge of the swept ", "range [", FormatAlmr(almrs.front()),
                             ", ", FormatAlmr(almrs.back()), "]: the optimum may lie beyond it"));
  }
  for (const auto& [n, lrs] : fit.data.lrs) {
    if (lrs.size() < 2) continue;
    for (bool base : {false, true}) {
      double lr = std::exp(base ? model.LnOptimalLrBase(rec.almr, n)
                                : model.LnOptimalLrAdditional(rec.almr, n));
      if (lr > lrs.front() && lr < lrs.back()) continue;
      w.push_back(absl::StrCat("at ", FormatParams(n), " the fitted ",
                               base ? "eval/base" : "eval/additional",
                               " optimum for r = ", FormatAlmr(rec.almr), " (", FormatLr(lr),
                               ") is outside the swept LRs [", FormatLr(lrs.front()), ", ",
                               FormatLr(lrs.back()), "]: the grid does not bracket it"));
    }
  }
  if (rec.replicates == 0) {
    w.push_back("no bootstrap resamples in the fit, so no intervals (mixlaw fit --bootstrap 200)");
  } else {
    if (rec.lr_interval.upper / rec.lr_interval.lower > options.wide_lr_factor) {
      w.push_back(absl::StrCat("the LR interval [", FormatLr(rec.lr_interval.lower), ", ",
                               FormatLr(rec.lr_interval.upper), "] spans more than a factor ",
                               FormatNumber(options.wide_lr_factor), ": too wide to act on"));
    }
    if (rec.almr_interval.upper - rec.almr_interval.lower > options.wide_almr) {
      w.push_back(absl::StrCat("the ALMR interval [", FormatAlmr(rec.almr_interval.lower), ", ",
                               FormatAlmr(rec.almr_interval.upper), "] is wider than ",
                               FormatNumber(options.wide_almr), ": too wide to act on"));
    }
  }
  for (const ComponentFit* c : {coupling.additional, coupling.base}) {
    for (const std::string& warning : c->warnings) {
      w.push_back(absl::StrCat(c->split, ": ", warning));
    }
  }
  for (const std::string& warning : fit.warnings) w.push_back(warning);
  return w;
}

}  // namespace mixlaw
