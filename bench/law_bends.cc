// Where the coupling law bends: real LR curves are flat near the optimum and rise steeply above
// it. This measures, by leave-one-size-out regret on real sweeps (the runs CSV of `mixlaw sweep
// export`), whether the law places each held-out size's optimum better when it is given
//   parabola   the law as it is (the product's default);
//   cliff-2x   the same, fitted without the runs above 2x their (N, r) group's best LR;
//   cliff-4x   likewise above 4x;
//   window-2x  fitted only on the runs within 2x of their group's best LR, on either side (the
//              parabola made local, as the target's measured optimum is);
//   window-4x  likewise within 4x;
//   asymmetric the well 2K/s^2 (e^(s x) - 1 - s x) in place of K x^2 (x = ln eta - ln eta*);
//   k-of-n     a curvature that moves with size, K (N / 1e5)^kappa.
// For each sweep, each ALMR and each size held out, the law is fitted to the other sizes, the
// LR minimising L_additional + W L_base at the held-out size is found numerically, and its regret
// is measured on the held-out size's own runs (fitter/target_check.h; intervals over seeds).
// With --target-csv (one per --csv, in the same order: the study's target sweep), each variant is
// also fitted to all of the study's proxy sizes and its regret measured on the target's runs.
//
//   law_bends --csv seed0.csv --csv seed1.csv [--target-csv t0.csv --target-csv t1.csv]
//             [--weight 1] > bends.json
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <set>

#include "CLI/CLI.hpp"
#include "fitter/fit.h"
#include "fitter/laws/coupling.h"
#include "fitter/lr_cliff.h"
#include "fitter/target_check.h"
#include "fitter/uncertainty.h"
#include "nlohmann/json.hpp"

namespace mixlaw {
namespace {

constexpr int kBendParameters = kCouplingParameters + 1;  // the coupling law's and one more
constexpr double kReferenceSize = 1e5;

enum class Well { kAsymmetric, kSizeCurvature };

// The coupling law's residual with another well: its extra parameter (index kCouplingParameters)
// is the skew s or the curvature's size exponent kappa.
template <Well kWell, bool kAdditional>
struct BendResidual {
  explicit BendResidual(const Point& p)
      : r_(p.almr),
        ln_n_(std::log(p.params)),
        ln_r_(p.almr > 0 ? std::log(p.almr) : 0.0),
        ln_r_eps_(std::log(p.almr + kCouplingEps)),
        ln_d_(CouplingLnTokens(p.tokens)),
        ln_eta_(std::log(p.lr)),
        ln_loss_(std::log(p.value)) {}

  template <typename T>
  bool operator()(const T* const theta, T* residual) const {
    using std::abs;
    using std::exp;
    using std::log;
    const T x = ln_eta_ - CouplingLnOptimalLr(theta, ln_n_, ln_r_eps_, ln_d_);
    const T& extra = theta[kCouplingParameters];
    T well;
    if constexpr (kWell == Well::kAsymmetric) {
      // 2K/s^2 (e^(s x) - 1 - s x) -> K x^2 (1 + s x / 3) as s -> 0.
      well = abs(extra) < 1e-4
                 ? theta[kK] * x * x * (1.0 + extra * x / 3.0)
                 : 2.0 * theta[kK] / (extra * extra) * (exp(extra * x) - 1.0 - extra * x);
    } else {
      well = theta[kK] * exp(extra * (ln_n_ - std::log(kReferenceSize))) * x * x;
    }
    T g;
    if constexpr (kAdditional) {
      g = exp(theta[kLogG] - theta[kGExponent] * ln_r_eps_);
    } else {
      g = r_ > 0 ? exp(theta[kLogG] + theta[kGExponent] * ln_r_) : T(0.0);
    }
    const T loss = exp(theta[kLogE]) + exp(theta[kLogA] - theta[kAlpha] * ln_n_) +
                   exp(theta[kLogT] - theta[kTau] * ln_d_) + g + well;
    residual[0] = log(loss) - ln_loss_;
    return true;
  }

  const double r_, ln_n_, ln_r_, ln_r_eps_, ln_d_, ln_eta_, ln_loss_;
};

template <Well kWell, bool kAdditional>
class BendLaw : public AutoDiffLaw<BendResidual<kWell, kAdditional>, kBendParameters> {
 public:
  BendLaw()
      : AutoDiffLaw<BendResidual<kWell, kAdditional>, kBendParameters>(
            kAdditional ? "bend/additional" : "bend/base", "", Parameters()) {}
  bool uses_lr() const override { return true; }
  std::vector<std::vector<double>> InitialGrid(const DataRange& range) const override {
    std::vector<std::vector<double>> grid;
    for (std::vector<double> start : Coupling().InitialGrid(range)) {
      for (double extra : {0.0, 1.0}) {
        start.resize(kCouplingParameters);
        start.push_back(extra);
        grid.push_back(start);
      }
    }
    return grid;
  }

 private:
  static const Law& Coupling() {
    static const Law* law = kAdditional ? static_cast<const Law*>(new CouplingAdditionalLaw)
                                        : static_cast<const Law*>(new CouplingBaseLaw);
    return *law;
  }
  static std::vector<ParameterSpec> Parameters() {
    std::vector<ParameterSpec> p = Coupling().parameters();
    p.push_back(kWell == Well::kAsymmetric ? ParameterSpec{"s", -5, 5}
                                           : ParameterSpec{"kappa", -2, 2});
    return p;
  }
};

struct Variant {
  std::string name;
  const Law* additional;
  const Law* base;
  double above = 0;  // > 0: fit without runs above `above` x their group's best LR
  double below = 0;  // > 0: fit without runs below the group's best LR over `below`

  bool Filters() const { return above > 0 || below > 0; }
};

// `runs` without those above `above` times, or below 1/`below` of, their (N, r) group's best LR
// on what is minimised (a bound of 0 is none). With `above` alone this is the product's
// LeaveOutAboveBest (fitter/lr_cliff.h).
ObservationSet WithinFactors(const ObservationSet& runs, double above, double below,
                             const RecommendOptions& c) {
  if (below <= 0) {
    RecommendOptions cliff = c;
    cliff.max_lr_over_best = above;
    return LeaveOutAboveBest(runs, cliff);
  }
  const std::map<std::pair<double, double>, double> best_lr = BestLrByGroup(runs, c);
  ObservationSet kept = runs;
  kept.runs.clear();
  for (const Observation& o : runs.runs) {
    auto it = best_lr.find({o.params, o.almr});
    if (it == best_lr.end()) {
      kept.runs.push_back(o);
      continue;
    }
    const bool over = above > 0 && o.peak_lr > above * it->second * 1.0001;
    const bool under = below > 0 && o.peak_lr * below * 1.0001 < it->second;
    if (!over && !under) kept.runs.push_back(o);
  }
  return kept;
}

// The LR minimising L_additional + W L_base of the fitted components at (N, r): a grid over ln
// eta, then a parabola through the best point and its neighbours.
double CriterionLr(const Variant& v, const ComponentFit& a, const ComponentFit& b, double n,
                   double almr, double weight) {
  const std::vector<double> ta = a.Values(), tb = b.Values();
  auto f = [&](double ln_lr) {
    Point p{n, 0, almr, std::exp(ln_lr), 1.0, 0};
    return v.additional->Predict(ta.data(), p) + weight * v.base->Predict(tb.data(), p);
  };
  const double lo = std::log(1e-4), hi = std::log(2.0);
  constexpr int kSteps = 2000;
  const double step = (hi - lo) / kSteps;
  int best = 0;
  double best_value = f(lo);
  for (int i = 1; i <= kSteps; ++i) {
    const double value = f(lo + i * step);
    if (value < best_value) best_value = value, best = i;
  }
  const double x = lo + best * step;
  if (best == 0 || best == kSteps) return std::exp(x);
  const double y0 = f(x - step), y2 = f(x + step), curvature = y0 - 2 * best_value + y2;
  return std::exp(curvature > 0 ? x + 0.5 * step * (y0 - y2) / curvature : x);
}

// The cases judged so far: each with its regret and LR factor, or the problem.
struct Scores {
  std::vector<double> regrets, factors;
  nlohmann::json cases = nlohmann::json::array();
};

// The variant fitted to `fitted`, judged on `judged`'s runs at size n for each of `almrs`: one
// case each, appended to scores.
void Judge(const Variant& v, const ObservationSet& fitted, const ObservationSet& judged, double n,
           const std::set<double>& almrs, const RecommendOptions& criterion, const char* role,
           Scores* scores) {
  FitOptions options;
  options.cross_validate = false;
  const ObservationSet kept =
      v.Filters() ? WithinFactors(fitted, v.above, v.below, criterion) : fitted;
  absl::StatusOr<ComponentFit> a = FitComponent(*v.additional, LossPoints(kept, kSplitAdditional),
                                                static_cast<int>(kept.runs.size()), options);
  absl::StatusOr<ComponentFit> b = FitComponent(*v.base, LossPoints(kept, kSplitBase),
                                                static_cast<int>(kept.runs.size()), options);
  const ObservationSet measured = WithCriterion(judged, criterion);
  for (double r : almrs) {
    nlohmann::json c = {{"sweep", judged.source}, {role, n}, {"almr", r}};
    absl::StatusOr<SeedCurves> curves = CurvesAt(measured, kSplitCriterion, n, r);
    if (!a.ok() || !b.ok() || !curves.ok()) {
      c["problem"] = !a.ok()   ? a.status().ToString()
                     : !b.ok() ? b.status().ToString()
                               : curves.status().ToString();
      scores->cases.push_back(c);
      continue;
    }
    const double lr = CriterionLr(v, *a, *b, n, r, criterion.weight.value_or(1.0));
    c["lr"] = lr;
    absl::StatusOr<CurveCheck> check = CheckCurve(*curves, lr, kNaN, lr);
    if (!check.ok()) {
      c["problem"] = check.status().ToString();  // outside the judged size's grid
      scores->cases.push_back(c);
      continue;
    }
    c["regret"] = check->predicted.regret.value;
    c["regret_interval"] = {check->predicted.regret.interval.lower,
                            check->predicted.regret.interval.upper};
    c["lr_over_measured"] = check->predicted.lr_ratio.value;
    scores->regrets.push_back(check->predicted.regret.value);
    scores->factors.push_back(std::exp(std::fabs(std::log(check->predicted.lr_ratio.value))));
    scores->cases.push_back(c);
  }
}

nlohmann::json Summary(const Scores& s) {
  const size_t outside = s.cases.size() - s.regrets.size();
  double sum = 0;
  for (double r : s.regrets) sum += r;
  const bool none = s.regrets.empty();
  return {{"cases", s.cases.size()},
          {"outside_grid", outside},
          {"median_regret", Quantile(s.regrets, 0.5)},
          {"mean_regret", none ? kNaN : sum / static_cast<double>(s.regrets.size())},
          {"worst_regret", none ? kNaN : *std::max_element(s.regrets.begin(), s.regrets.end())},
          {"median_lr_factor", Quantile(s.factors, 0.5)},
          {"worst_lr_factor", none ? kNaN : *std::max_element(s.factors.begin(), s.factors.end())},
          {"by_case", s.cases}};
}

// Leave-one-size-out over every sweep; with targets, each study's target judged from all its
// proxy sizes.
nlohmann::json Run(const Variant& v, const std::vector<ObservationSet>& sweeps,
                   const std::vector<ObservationSet>& targets, double weight) {
  RecommendOptions criterion;
  criterion.weight = weight;
  Scores held_out;
  for (const ObservationSet& sweep : sweeps) {
    std::set<double> sizes, almrs;
    for (const Observation& o : sweep.runs) sizes.insert(o.params), almrs.insert(o.almr);
    for (double n : sizes) {
      ObservationSet rest = sweep;
      rest.runs.clear();
      for (const Observation& o : sweep.runs) {
        if (o.params != n) rest.runs.push_back(o);
      }
      Judge(v, rest, sweep, n, almrs, criterion, "held_out", &held_out);
    }
  }
  nlohmann::json out = Summary(held_out);
  out["variant"] = v.name;
  if (!targets.empty()) {
    Scores at_target;
    for (size_t i = 0; i < targets.size(); ++i) {
      std::set<double> sizes, almrs;
      for (const Observation& o : targets[i].runs) sizes.insert(o.params), almrs.insert(o.almr);
      for (double n : sizes)
        Judge(v, sweeps[i], targets[i], n, almrs, criterion, "target", &at_target);
    }
    out["target"] = Summary(at_target);
  }
  return out;
}

}  // namespace
}  // namespace mixlaw

int main(int argc, char** argv) {
  using namespace mixlaw;
  CLI::App app{"Leave-one-size-out regret of the coupling law and its variants on real sweeps"};
  std::vector<std::string> csvs, target_csvs;
  double weight = 1;
  app.add_option("--csv", csvs, "A sweep's runs (mixlaw sweep export ID --format csv)")->required();
  app.add_option("--target-csv", target_csvs,
                 "The target sweep of the study of each --csv, in the same order");
  app.add_option("--weight", weight, "The criterion: L_additional + W L_base")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!target_csvs.empty() && target_csvs.size() != csvs.size()) {
    std::cerr << "law_bends: --target-csv: " << target_csvs.size() << " given for " << csvs.size()
              << " --csv; give one per study or none\n";
    return 2;
  }
  std::vector<ObservationSet> sweeps, targets;
  for (const auto& [paths, sets] : {std::pair{&csvs, &sweeps}, std::pair{&target_csvs, &targets}}) {
    for (const std::string& path : *paths) {
      absl::StatusOr<ObservationSet> set = ReadObservationsCsv(path);
      if (!set.ok()) {
        std::cerr << "law_bends: " << set.status().message() << "\n";
        return 2;
      }
      sets->push_back(std::move(*set));
    }
  }
  const CouplingAdditionalLaw parabola_a;
  const CouplingBaseLaw parabola_b;
  const BendLaw<Well::kAsymmetric, true> asymmetric_a;
  const BendLaw<Well::kAsymmetric, false> asymmetric_b;
  const BendLaw<Well::kSizeCurvature, true> k_of_n_a;
  const BendLaw<Well::kSizeCurvature, false> k_of_n_b;
  const std::vector<Variant> variants = {
      {"parabola", &parabola_a, &parabola_b},
      {"cliff-2x", &parabola_a, &parabola_b, 2},
      {"cliff-4x", &parabola_a, &parabola_b, 4},
      {"window-2x", &parabola_a, &parabola_b, 2, 2},
      {"window-4x", &parabola_a, &parabola_b, 4, 4},
      {"asymmetric", &asymmetric_a, &asymmetric_b},
      {"k-of-n", &k_of_n_a, &k_of_n_b},
  };
  nlohmann::json out = nlohmann::json::array();
  for (const Variant& v : variants) {
    nlohmann::json result = Run(v, sweeps, targets, weight);
    std::cerr << v.name << ": median regret " << result["median_regret"] << ", worst "
              << result["worst_regret"] << ", outside the grid " << result["outside_grid"];
    if (result.contains("target")) {
      std::cerr << "; at the target: median regret " << result["target"]["median_regret"]
                << ", median LR factor " << result["target"]["median_lr_factor"];
    }
    std::cerr << "\n";
    out.push_back(std::move(result));
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}
