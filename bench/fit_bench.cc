// The fitter's speed beside SciPy (bench/scipy_peer.py): a Chinchilla-form fit of 240 points
// and 5 parameters from the replication's 4,500 starts (Huber on log residuals, bounds, every
// start solved), and a 1,000-point coupling-law fit with 64 starts and 200 bootstrap resamples.
// The Chinchilla points are written to --data so that the peer fits the very same numbers.
//
//   fit_bench --points 240 --starts 4500 --data chinchilla.csv --out fit.json
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "CLI/CLI.hpp"
#include "fitter/fit.h"
#include "fitter/laws/chinchilla.h"
#include "fitter/laws/coupling.h"
#include "nlohmann/json.hpp"

namespace mixlaw {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// The median, 90th percentile and maximum of `values`.
std::vector<int> Percentiles(std::vector<int> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  return {values[values.size() / 2], values[values.size() * 9 / 10], values.back()};
}

// Besiroglu et al.'s Chinchilla estimate, drawn at log-uniform (N, D) with 2% noise.
std::vector<Point> ChinchillaPoints(const Law& law, int n, uint64_t seed) {
  const std::vector<double> theta = {std::log(1.82), std::log(482.0), 0.3478, std::log(2085.0),
                                     0.3658};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ln_n(std::log(7e7), std::log(1.6e10));
  std::uniform_real_distribution<double> ln_d(std::log(5e9), std::log(5e11));
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<Point> points;
  for (int i = 0; i < n; ++i) {
    Point p{std::exp(ln_n(rng)), std::exp(ln_d(rng)), 0, 0, 0, i};
    p.value = law.Predict(theta.data(), p) * std::exp(noise(rng));
    points.push_back(p);
  }
  return points;
}

nlohmann::json ChinchillaJob(int n_points, int n_starts, int threads, const SolveOptions& options,
                             const std::string& data_path) {
  ChinchillaLaw law;
  std::vector<Point> points = ChinchillaPoints(law, n_points, 1);
  if (!data_path.empty()) {
    std::ofstream out(data_path);
    out.precision(17);
    out << "params,tokens,loss\n";
    for (const Point& p : points) out << p.params << "," << p.tokens << "," << p.value << "\n";
  }
  std::vector<std::vector<double>> grid = law.InitialGrid(RangeOf(points));
  grid.resize(std::min(grid.size(), static_cast<size_t>(n_starts)));  // the peer takes the same
  auto start = Clock::now();
  ResidualSet set(law, points);
  std::vector<StartOutcome> outcomes =
      SolveFromEach(set, AllRows(points.size()), grid, {}, options, threads);
  double seconds = Seconds(start);
  const StartOutcome* best = nullptr;
  size_t failed = 0, iterations = 0;
  std::vector<int> per_start;
  std::map<std::string, int> terminations;
  for (const StartOutcome& o : outcomes) {
    iterations += static_cast<size_t>(o.iterations);
    per_start.push_back(o.iterations);
    ++terminations[o.termination];
    if (!o.usable()) ++failed;
    if (o.usable() && (best == nullptr || o.cost < best->cost)) best = &o;
  }
  return {{"job", "chinchilla"},
          {"points", n_points},
          {"starts", grid.size()},
          {"threads", threads},
          {"seconds", seconds},
          {"best_objective", best ? best->cost : std::nan("")},
          {"best_parameters", best ? best->parameters : std::vector<double>()},
          {"failed_starts", failed},
          {"mean_iterations", static_cast<double>(iterations) / static_cast<double>(grid.size())},
          {"iterations_p50_p90_max", Percentiles(per_start)},
          {"terminations", terminations}};
}

nlohmann::json CouplingJob(int n_points, int n_starts, int bootstrap, int threads) {
  // 5 sizes x 10 ALMRs x LRs: n_points runs from a planted law with 0.5% noise.
  CouplingAdditionalLaw law;
  std::vector<double> theta(kCouplingParameters);
  theta[kLogE] = std::log(1.8);
  theta[kLogA] = std::log(400);
  theta[kAlpha] = 0.3;
  theta[kLogG] = std::log(0.35);
  theta[kGExponent] = 0.4;
  theta[kK] = 0.12;
  theta[kGamma] = -0.1;
  theta[kDelta] = 0.3;
  theta[kZeta] = kCouplingHeldTokenTerms[0];  // no token terms: one budget
  theta[kLogT] = kCouplingHeldTokenTerms[1];
  theta[kTau] = kCouplingHeldTokenTerms[2];
  theta[kC] = std::log(3e-3) + 0.3 * std::log(1e8);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0.0, 0.005);
  std::vector<Point> points;
  const int lrs = std::max(1, n_points / 50);
  for (int i = 0; static_cast<int>(points.size()) < n_points; ++i) {
    double n = 1e7 * std::pow(4.0, i / (10 * lrs) % 5);
    double r = 0.05 + 0.08 * (i / lrs % 10);
    double lr = 3e-3 * std::pow(n / 1e8, -0.3) * std::pow(1.6, i % lrs - lrs / 2.0);
    Point p{n, 0, r, lr, 0, static_cast<int>(points.size())};
    p.value = law.Predict(theta.data(), p) * std::exp(noise(rng));
    points.push_back(p);
  }
  FitOptions options;
  options.max_starts = n_starts;
  options.bootstrap = bootstrap;
  options.threads = threads;
  options.cross_validate = false;
  auto start = Clock::now();
  absl::StatusOr<ComponentFit> fit =
      FitComponent(law, points, static_cast<int>(points.size()), options);
  double seconds = Seconds(start);
  if (!fit.ok()) return {{"job", "coupling"}, {"error", std::string(fit.status().message())}};
  return {{"job", "coupling"},           {"points", n_points},   {"starts", fit->starts.size()},
          {"bootstrap", bootstrap},      {"threads", threads},   {"seconds", seconds},
          {"best_objective", fit->cost}, {"r2_log", fit->r2_log}};
}

}  // namespace
}  // namespace mixlaw

int main(int argc, char** argv) {
  CLI::App app{"Fitter benchmark: Chinchilla multi-start and a coupling fit with bootstrap"};
  int points = 240, starts = 4500, threads = 2;
  int coupling_points = 1000, coupling_starts = 64, bootstrap = 200;
  mixlaw::SolveOptions solve;
  std::string linear_solver = "DENSE_NORMAL_CHOLESKY";
  std::string data_path, out_path;
  app.add_option("--points", points, "Chinchilla points")->capture_default_str();
  app.add_option("--starts", starts, "Chinchilla starts (the first of the grid)")
      ->capture_default_str();
  app.add_option("--huber-delta", solve.huber_delta, "Huber threshold")->capture_default_str();
  app.add_option("--linear-solver", linear_solver, "Ceres' linear solver for the Chinchilla job")
      ->capture_default_str();
  app.add_option("--function-tolerance", solve.function_tolerance, "Ceres' function tolerance")
      ->capture_default_str();
  app.add_option("--screen-tolerance", solve.screen_function_tolerance,
                 "Function tolerance of each start before the best are polished")
      ->capture_default_str();
  app.add_option("--coupling-points", coupling_points, "Coupling-law points (0: skip)")
      ->capture_default_str();
  app.add_option("--coupling-starts", coupling_starts, "Coupling-law starts")
      ->capture_default_str();
  app.add_option("--bootstrap", bootstrap, "Coupling-law bootstrap resamples")
      ->capture_default_str();
  app.add_option("--threads", threads, "Threads")->capture_default_str();
  app.add_option("--data", data_path, "Write the Chinchilla points here (for scipy_peer.py)");
  app.add_option("--out", out_path, "Write the results here as JSON");
  CLI11_PARSE(app, argc, argv);
  if (!ceres::StringToLinearSolverType(linear_solver, &solve.linear_solver)) {
    std::cerr << "--linear-solver: unknown " << linear_solver << "\n";
    return 2;
  }
  nlohmann::json results = nlohmann::json::array();
  results.push_back(mixlaw::ChinchillaJob(points, starts, threads, solve, data_path));
  std::cout << results.back().dump() << std::endl;
  if (coupling_points > 0) {
    results.push_back(mixlaw::CouplingJob(coupling_points, coupling_starts, bootstrap, threads));
    std::cout << results.back().dump() << std::endl;
  }
  if (!out_path.empty()) std::ofstream(out_path) << results.dump(2) << "\n";
  return 0;
}
