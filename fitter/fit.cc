#include "fitter/fit.h"

#include <algorithm>
#include <random>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/number_format.h"
#include "fitter/uncertainty.h"

namespace mixlaw {

std::vector<double> ComponentFit::Values() const {
  std::vector<double> values;
  for (const ParameterEstimate& p : parameters) values.push_back(p.value);
  return values;
}

std::vector<int> ComponentFit::Held() const {
  std::vector<int> held;
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (parameters[i].held) held.push_back(static_cast<int>(i));
  }
  return held;
}

namespace {

// The law's grid with held parameters set, duplicates dropped, and at most `max_starts` kept
// (a seeded sample when the grid is larger).
std::vector<std::vector<double>> Starts(const Law& law, const DataRange& range,
                                        const std::vector<int>& held, int max_starts,
                                        uint64_t seed) {
  std::vector<std::vector<double>> grid = law.InitialGrid(range);
  for (std::vector<double>& start : grid) {
    ClampToBounds(law.parameters(), &start);
    for (int i : held) {
      start[static_cast<size_t>(i)] = law.parameters()[static_cast<size_t>(i)].held;
    }
  }
  std::set<std::vector<double>> seen;
  std::vector<std::vector<double>> starts;
  for (std::vector<double>& start : grid) {
    if (seen.insert(start).second) starts.push_back(std::move(start));
  }
  if (max_starts > 0 && starts.size() > static_cast<size_t>(max_starts)) {
    std::mt19937_64 rng(seed);
    std::shuffle(starts.begin(), starts.end(), rng);
    starts.resize(static_cast<size_t>(max_starts));
  }
  return starts;
}

}  // namespace

absl::StatusOr<ComponentFit> FitComponent(const Law& law, const std::vector<Point>& points,
                                          int num_units, const FitOptions& options) {
  ComponentFit fit;
  fit.law = law.name();
  fit.formula = law.formula();
  fit.points = points.size();
  const DataRange range = RangeOf(points);
  const std::vector<int> held = HeldParameters(law, range);
  const size_t free = static_cast<size_t>(law.num_parameters()) - held.size();
  if (points.size() <= free) {
    return absl::InvalidArgumentError(absl::StrCat(law.name(), ": ", points.size(), " points for ",
                                                   free, " free parameters: need more runs"));
  }
  ResidualSet set(law, points);
  const std::vector<int> rows = AllRows(points.size());
  fit.starts = SolveFromEach(set, rows, Starts(law, range, held, options.max_starts, options.seed),
                             held, options.solve, options.threads);
  const StartOutcome* best = nullptr;
  for (const StartOutcome& s : fit.starts) {
    if (s.usable() && (best == nullptr || s.cost < best->cost)) best = &s;
  }
  if (best == nullptr) {
    return absl::InternalError(absl::StrCat(law.name(), ": every start failed"));
  }
  fit.cost = best->cost;
  const std::vector<double> theta = best->parameters;
  for (size_t i = 0; i < theta.size(); ++i) {
    const ParameterSpec& spec = law.parameters()[i];
    ParameterEstimate estimate;
    estimate.name = spec.name;
    estimate.value = theta[i];
    estimate.held = std::find(held.begin(), held.end(), static_cast<int>(i)) != held.end();
    double width = spec.upper - spec.lower;
    estimate.at_bound = !estimate.held && (theta[i] <= spec.lower + 1e-6 * width ||
                                           theta[i] >= spec.upper - 1e-6 * width);
    fit.parameters.push_back(estimate);
  }

  std::vector<double> residuals = LogResiduals(law, theta, points);
  fit.r2_log = RSquaredLog(residuals, points);
  fit.rmse_log = RmseLog(residuals);
  absl::StatusOr<std::vector<double>> errors = StandardErrors(set, theta, held);
  if (errors.ok()) {
    for (size_t i = 0; i < theta.size(); ++i) fit.parameters[i].std_error = (*errors)[i];
  } else {
    fit.covariance_note = std::string(errors.status().message());
  }
  if (options.bootstrap > 0) {
    BootstrapResult boot = Bootstrap(set, theta, held, num_units, options.bootstrap, options.seed,
                                     options.solve, options.threads);
    fit.bootstrap = std::move(boot.replicates);
    fit.bootstrap_failed = boot.failed;
    for (size_t i = 0; i < theta.size(); ++i) {
      std::vector<double> values;
      for (const std::vector<double>& r : fit.bootstrap) {
        if (!r.empty()) values.push_back(r[i]);
      }
      fit.parameters[i].lower = Quantile(values, 0.025);
      fit.parameters[i].upper = Quantile(values, 0.975);
    }
  }
  if (options.cross_validate) {
    fit.cross_validation = CrossValidate(law, points, theta, options.solve, options.threads);
  }

  // What a user should know before acting on the numbers.
  if (points.size() < 5 * free) {
    fit.warnings.push_back(absl::StrCat(points.size(), " points for ", free,
                                        " free parameters: fewer than 5 a parameter, the fit may "
                                        "follow noise"));
  }
  std::vector<std::string> held_names, bound_names;
  for (const ParameterEstimate& p : fit.parameters) {
    if (p.held) held_names.push_back(p.name);
    if (p.at_bound) bound_names.push_back(p.name);
  }
  if (!held_names.empty()) {
    fit.warnings.push_back(
        absl::StrCat("held at fixed values (the data do not vary what they "
                     "need): ",
                     absl::StrJoin(held_names, ", ")));
  }
  if (!bound_names.empty()) {
    fit.warnings.push_back(absl::StrCat("at a bound: ", absl::StrJoin(bound_names, ", ")));
  }
  if (!fit.covariance_note.empty()) {
    fit.warnings.push_back(absl::StrCat("no standard errors: ", fit.covariance_note));
  }
  std::vector<std::string> loose;
  for (size_t i = 0; i < fit.parameters.size(); ++i) {
    const ParameterEstimate& p = fit.parameters[i];
    const ParameterSpec& spec = law.parameters()[i];
    if (!p.held && (p.lower <= spec.lower || p.upper >= spec.upper)) loose.push_back(p.name);
  }
  if (!loose.empty()) {
    fit.warnings.push_back(
        absl::StrCat("bootstrap intervals reaching a bound (poorly determined by "
                     "these data): ",
                     absl::StrJoin(loose, ", ")));
  }
  if (fit.bootstrap_failed > 0) {
    fit.warnings.push_back(absl::StrCat(fit.bootstrap_failed, " of ", options.bootstrap,
                                        " bootstrap resamples failed to fit"));
  }
  return fit;
}

}  // namespace mixlaw
