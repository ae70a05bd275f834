#include "fitter/coupling_model.h"

#include <cmath>

#include "fitter/laws/coupling.h"
#include "fitter/observations.h"

namespace mixlaw {

namespace {

double LnOptimalLr(const std::vector<double>& theta, double almr, double params, double tokens) {
  return CouplingLnOptimalLr(theta.data(), std::log(params), std::log(almr + kCouplingEps),
                             CouplingLnTokens(tokens));
}

template <typename Residual>
double Loss(const std::vector<double>& theta, double almr, double lr, double params,
            double tokens) {
  Point p;
  p.params = params;
  p.tokens = tokens;
  p.almr = almr;
  p.lr = lr;
  p.value = 1.0;  // the residual is then ln L
  const Residual residual(p);
  double ln_loss = 0;
  residual(theta.data(), &ln_loss);
  return std::exp(ln_loss);
}

// Appends the held token terms to a parameter vector that lacks them.
std::vector<double> WithTokenTerms(std::vector<double> theta) {
  if (theta.size() == static_cast<size_t>(kCouplingParametersWithoutTokens)) {
    theta.insert(theta.end(), std::begin(kCouplingHeldTokenTerms),
                 std::end(kCouplingHeldTokenTerms));
  }
  return theta;
}

}  // namespace

CouplingModel::CouplingModel(std::vector<double> additional, std::vector<double> base)
    : additional_(WithTokenTerms(std::move(additional))), base_(WithTokenTerms(std::move(base))) {}

void CouplingModel::SetLrSizeExponent(double exponent, double anchor_params) {
  for (std::vector<double>* theta : {&additional_, &base_}) {
    (*theta)[kC] += (exponent - (*theta)[kDelta]) * std::log(anchor_params);
    (*theta)[kDelta] = exponent;
  }
}

double CouplingModel::LnOptimalLrAdditional(double almr, double params) const {
  return LnOptimalLr(additional_, almr, params, tokens_);
}

double CouplingModel::LnOptimalLrBase(double almr, double params) const {
  return LnOptimalLr(base_, almr, params, tokens_);
}

double CouplingModel::CurvatureAdditional() const { return additional_[kK]; }
double CouplingModel::CurvatureBase() const { return base_[kK]; }

double CouplingModel::LossAdditional(double almr, double lr, double params) const {
  return Loss<CouplingAdditionalResidual>(additional_, almr, lr, params, tokens_);
}

double CouplingModel::LossBase(double almr, double lr, double params) const {
  return Loss<CouplingBaseResidual>(base_, almr, lr, params, tokens_);
}

double CouplingModel::LnOptimalLrOn(const std::string& split, double almr, double params) const {
  return split == kSplitAdditional ? LnOptimalLrAdditional(almr, params)
                                   : LnOptimalLrBase(almr, params);
}

double CouplingModel::LossOn(const std::string& split, double almr, double lr,
                             double params) const {
  return split == kSplitAdditional ? LossAdditional(almr, lr, params) : LossBase(almr, lr, params);
}

double CouplingModel::BaseReference(double params) const {
  return LossBase(0.0, std::exp(LnOptimalLrBase(0.0, params)), params);
}

}  // namespace mixlaw
