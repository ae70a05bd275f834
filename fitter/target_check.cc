#include "fitter/target_check.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/number_format.h"
#include "fitter/laws/registry.h"
#include "fitter/lr_cliff.h"
#include "fitter/points.h"
#include "fitter/uncertainty.h"

namespace mixlaw {

namespace {

bool Near(double a, double b, double relative) {
  return std::fabs(a - b) <= relative * std::max(std::fabs(a), std::fabs(b));
}

Interval Percentiles(const std::vector<double>& values) {
  return {Quantile(values, 0.025), Quantile(values, 0.975)};
}

// The value of the parabola through (x[i], y[i]), i = 0..2, at `at` (Lagrange's form).
double Parabola(const double* x, const double* y, double at) {
  double value = 0;
  for (int i = 0; i < 3; ++i) {
    double term = y[i];
    for (int j = 0; j < 3; ++j) {
      if (j != i) term *= (at - x[j]) / (x[i] - x[j]);
    }
    value += term;
  }
  return value;
}

// Resample k of `n` seeds: n indexes drawn with replacement, the same for the same (seed, k).
std::vector<int> DrawSeeds(int n, uint64_t seed, int k) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(k));
  std::uniform_int_distribution<int> draw(0, n - 1);
  std::vector<int> seeds(static_cast<size_t>(n));
  for (int& s : seeds) s = draw(rng);
  return seeds;
}

}  // namespace

ObservationSet WithCriterion(const ObservationSet& runs, const RecommendOptions& options) {
  ObservationSet out = runs;
  for (Observation& o : out.runs) {
    auto a = o.final_loss.find(kSplitAdditional), b = o.final_loss.find(kSplitBase);
    if (a == o.final_loss.end() || b == o.final_loss.end()) continue;
    o.final_loss[kSplitCriterion] = CriterionValue(a->second, b->second, options);
  }
  return out;
}

absl::StatusOr<SeedCurves> CurvesAt(const ObservationSet& runs, const std::string& split,
                                    double params, double almr) {
  std::set<double> lrs;
  std::set<int64_t> seeds;
  std::vector<const Point*> at;
  const std::vector<Point> points = LossPoints(runs, split);
  for (const Point& p : points) {
    if (!Near(p.params, params, 1e-6) || !Near(p.almr, almr, 1e-9)) continue;
    lrs.insert(p.lr);
    seeds.insert(runs.runs[static_cast<size_t>(p.unit)].seed);
    at.push_back(&p);
  }
  if (lrs.size() < 3) {
    return absl::NotFoundError(absl::StrCat(split, ": fewer than three LRs measured at ",
                                            FormatParams(params), ", ALMR ", FormatAlmr(almr)));
  }
  SeedCurves curves;
  curves.lrs.assign(lrs.begin(), lrs.end());
  curves.seeds.assign(seeds.begin(), seeds.end());
  curves.loss.assign(curves.seeds.size(), std::vector<double>(curves.lrs.size(), kNaN));
  std::vector<std::vector<int>> count(curves.seeds.size(), std::vector<int>(curves.lrs.size()));
  for (const Point* p : at) {
    const int64_t seed = runs.runs[static_cast<size_t>(p->unit)].seed;
    const size_t s = static_cast<size_t>(
        std::lower_bound(curves.seeds.begin(), curves.seeds.end(), seed) - curves.seeds.begin());
    const size_t l = static_cast<size_t>(
        std::lower_bound(curves.lrs.begin(), curves.lrs.end(), p->lr) - curves.lrs.begin());
    double& cell = curves.loss[s][l];
    int& n = count[s][l];
    cell = n == 0 ? p->value : (cell * n + p->value) / (n + 1);  // repeats of a run: averaged
    ++n;
  }
  return curves;
}

CurveReading::CurveReading(const SeedCurves& curves, const std::vector<int>& seeds) {
  for (size_t l = 0; l < curves.lrs.size(); ++l) {
    double sum = 0;
    int n = 0;
    for (int s : seeds) {
      const double v = curves.loss[static_cast<size_t>(s)][l];
      if (std::isnan(v)) continue;
      sum += v;
      ++n;
    }
    if (n == 0) continue;
    ln_lr_.push_back(std::log(curves.lrs[l]));
    mean_.push_back(sum / n);
  }
  if (mean_.empty()) return;
  const size_t i =
      static_cast<size_t>(std::min_element(mean_.begin(), mean_.end()) - mean_.begin());
  optimum_lr_ = std::exp(ln_lr_[i]);
  optimum_loss_ = mean_[i];
  interior_ = i > 0 && i + 1 < mean_.size();
  if (ln_lr_.size() < 3) return;
  // The minimum of the curve LossAt reads, over the LRs measured: a fine grid, then a parabola
  // through the best grid point and its neighbours. A regret read off the same curve is then
  // never below 0.
  constexpr int kSteps = 600;
  const double lo = ln_lr_.front(), step = (ln_lr_.back() - lo) / kSteps;
  auto at = [&](double x) { return LossAt(std::exp(x)); };
  int best = 0;
  double best_value = at(lo);
  for (int k = 1; k <= kSteps; ++k) {
    const double v = at(lo + k * step);
    if (v < best_value) best_value = v, best = k;
  }
  double x = lo + best * step;
  if (best > 0 && best < kSteps) {
    const double y0 = at(x - step), y2 = at(x + step), curvature = y0 - 2 * best_value + y2;
    if (curvature > 0) {
      const double vertex = x + 0.5 * step * (y0 - y2) / curvature;
      if (at(vertex) < best_value) x = vertex, best_value = at(vertex);
    }
  }
  if (best_value < optimum_loss_) {
    optimum_lr_ = std::exp(x);
    optimum_loss_ = best_value;
  }
}

namespace {

std::vector<int> EverySeed(const SeedCurves& curves) {
  std::vector<int> all(curves.seeds.size());
  for (size_t s = 0; s < all.size(); ++s) all[s] = static_cast<int>(s);
  return all;
}

}  // namespace

CurveReading::CurveReading(const SeedCurves& curves) : CurveReading(curves, EverySeed(curves)) {}

double CurveReading::LossAt(double lr) const {
  if (ln_lr_.size() < 3) return kNaN;
  const double at = std::log(lr);
  if (at < ln_lr_.front() - std::log(1.01) || at > ln_lr_.back() + std::log(1.01)) return kNaN;
  // The three nearest measured LRs are consecutive: the window of three whose ends are closest.
  size_t first = 0;
  for (size_t k = 0; k + 3 <= ln_lr_.size(); ++k) {
    const double spread = std::max(std::fabs(ln_lr_[k] - at), std::fabs(ln_lr_[k + 2] - at));
    const double best = std::max(std::fabs(ln_lr_[first] - at), std::fabs(ln_lr_[first + 2] - at));
    if (spread < best) first = k;
  }
  return Parabola(&ln_lr_[first], &mean_[first], at);
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kMet:
      return "met";
    case Verdict::kNotMet:
      return "not met";
    case Verdict::kNotResolved:
      return "not resolved";
  }
  return "not resolved";
}

Verdict AtMost(const Interval& interval, double bound) {
  if (interval.upper <= bound) return Verdict::kMet;
  if (interval.lower > bound) return Verdict::kNotMet;
  return Verdict::kNotResolved;
}

Verdict WithinFactor(const Interval& ratio, double factor) {
  if (ratio.lower >= 1 / factor && ratio.upper <= factor) return Verdict::kMet;
  if (ratio.upper < 1 / factor || ratio.lower > factor) return Verdict::kNotMet;
  return Verdict::kNotResolved;
}

Verdict Positive(const Interval& interval) {
  if (interval.lower > 0) return Verdict::kMet;
  if (interval.upper < 0) return Verdict::kNotMet;
  return Verdict::kNotResolved;
}

absl::StatusOr<CurveCheck> CheckCurve(const SeedCurves& curves, double predicted_lr,
                                      double predicted_loss, double baseline_lr,
                                      const TargetCheckOptions& options) {
  const int num_seeds = static_cast<int>(curves.seeds.size());
  const CurveReading whole(curves);
  if (whole.lrs() < 3) {
    return absl::InvalidArgumentError("fewer than three LRs measured: no curve to check against");
  }
  for (double lr : {predicted_lr, baseline_lr}) {
    if (std::isnan(whole.LossAt(lr))) {
      return absl::InvalidArgumentError(absl::StrCat(FormatLr(lr), " is outside the LRs measured (",
                                                     FormatLr(curves.lrs.front()), " to ",
                                                     FormatLr(curves.lrs.back()), ")"));
    }
  }
  CurveCheck check;
  check.seeds = curves.seeds;
  check.lrs = curves.lrs;
  check.interior = whole.interior();
  check.predicted_loss = predicted_loss;
  check.predicted.lr = predicted_lr;
  check.baseline.lr = baseline_lr;
  check.optimum_lr.value = whole.optimum_lr();
  check.optimum_loss.value = whole.optimum_loss();
  check.predicted.regret.value = whole.Regret(predicted_lr);
  check.baseline.regret.value = whole.Regret(baseline_lr);
  check.predicted.lr_ratio.value = predicted_lr / whole.optimum_lr();
  check.baseline.lr_ratio.value = baseline_lr / whole.optimum_lr();
  check.loss_error.value = predicted_loss / whole.optimum_loss() - 1;
  check.regret_advantage.value = check.baseline.regret.value - check.predicted.regret.value;
  for (int s = 0; s < num_seeds; ++s) {
    const CurveReading one(curves, {s});
    check.optimum_lr_by_seed.push_back(one.optimum_lr());
    check.predicted.regret_by_seed.push_back(one.Regret(predicted_lr));
    check.baseline.regret_by_seed.push_back(one.Regret(baseline_lr));
  }

  std::vector<double> lr_opt, loss_opt, regret_p, regret_b, ratio_p, ratio_b, error, advantage;
  // One seed has no spread to resample: its intervals stay unknown (NaN), and no goal resolves.
  const int resamples = num_seeds >= 2 ? options.resamples : 0;
  for (int k = 0; k < resamples; ++k) {
    const CurveReading r(curves, DrawSeeds(num_seeds, options.seed, k));
    const double rp = r.Regret(predicted_lr), rb = r.Regret(baseline_lr);
    if (r.lrs() < 3 || std::isnan(rp) || std::isnan(rb)) continue;
    lr_opt.push_back(r.optimum_lr());
    loss_opt.push_back(r.optimum_loss());
    regret_p.push_back(rp);
    regret_b.push_back(rb);
    ratio_p.push_back(predicted_lr / r.optimum_lr());
    ratio_b.push_back(baseline_lr / r.optimum_lr());
    error.push_back(predicted_loss / r.optimum_loss() - 1);
    advantage.push_back(rb - rp);
  }
  check.resamples = static_cast<int>(lr_opt.size());
  check.optimum_lr.interval = Percentiles(lr_opt);
  check.optimum_loss.interval = Percentiles(loss_opt);
  check.predicted.regret.interval = Percentiles(regret_p);
  check.baseline.regret.interval = Percentiles(regret_b);
  check.predicted.lr_ratio.interval = Percentiles(ratio_p);
  check.baseline.lr_ratio.interval = Percentiles(ratio_b);
  check.loss_error.interval = Percentiles(error);
  check.regret_advantage.interval = Percentiles(advantage);
  return check;
}

Estimate RelativeExcess(const std::vector<double>& reference, const std::vector<double>& other,
                        const TargetCheckOptions& options) {
  auto excess = [&](const std::vector<int>& seeds) {
    double a = 0, b = 0;
    for (int s : seeds) {
      a += reference[static_cast<size_t>(s)];
      b += other[static_cast<size_t>(s)];
    }
    return b / a - 1;
  };
  const int n = static_cast<int>(std::min(reference.size(), other.size()));
  Estimate e;
  if (n == 0) return e;
  std::vector<int> all(static_cast<size_t>(n));
  for (int s = 0; s < n; ++s) all[static_cast<size_t>(s)] = s;
  e.value = excess(all);
  if (n < 2) return e;
  std::vector<double> values;
  for (int k = 0; k < options.resamples; ++k) {
    values.push_back(excess(DrawSeeds(n, options.seed, k)));
  }
  e.interval = Percentiles(values);
  return e;
}

std::vector<HeldOutSize> LeaveOneSizeOut(const ObservationSet& proxies, double almr,
                                         const FitOptions& fit, const RecommendOptions& criterion) {
  std::set<double> sizes;
  for (const Observation& o : proxies.runs) sizes.insert(o.params);
  const ObservationSet measured = WithCriterion(proxies, criterion);
  const LawEntry& coupling = *FindLaw("coupling");
  std::vector<HeldOutSize> out;
  for (double n : sizes) {
    HeldOutSize h;
    h.params = n;
    ObservationSet rest = proxies;
    rest.runs.clear();
    for (const Observation& o : proxies.runs) {
      if (!Near(o.params, n, 1e-9)) rest.runs.push_back(o);
    }
    absl::StatusOr<LawFit> law =
        FitObservations(coupling, LeaveOutAboveBest(rest, criterion), kSplitAdditional, fit);
    RecommendOptions at = criterion;
    at.target_params = n;
    absl::StatusOr<AlmrRow> row =
        law.ok() ? RecommendAtAlmr(*law, at, almr) : absl::StatusOr<AlmrRow>(law.status());
    absl::StatusOr<SeedCurves> curves = CurvesAt(measured, kSplitCriterion, n, almr);
    if (!row.ok() || !curves.ok()) {
      h.problem = std::string((row.ok() ? curves.status() : row.status()).message());
      out.push_back(std::move(h));
      continue;
    }
    h.predicted_lr = row->lr;
    absl::StatusOr<CurveCheck> check = CheckCurve(
        *curves, row->lr, CriterionValue(row->loss_additional, row->loss_base, at), row->lr);
    if (check.ok()) {
      h.check = std::move(*check);
    } else {
      h.problem = std::string(check.status().message());
    }
    out.push_back(std::move(h));
  }
  return out;
}

RegretSummary SummarizeRegrets(const std::vector<HeldOutSize>& held_out) {
  std::vector<double> regrets;
  for (const HeldOutSize& h : held_out) {
    if (h.problem.empty()) regrets.push_back(h.check.predicted.regret.value);
  }
  RegretSummary summary;
  summary.sizes = static_cast<int>(regrets.size());
  if (regrets.empty()) return summary;
  summary.median = Quantile(regrets, 0.5);
  summary.worst = *std::max_element(regrets.begin(), regrets.end());
  return summary;
}

}  // namespace mixlaw
