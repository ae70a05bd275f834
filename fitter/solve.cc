#include "fitter/solve.h"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <numeric>

#include "ceres/loss_function.h"
#include "ceres/manifold.h"
#include "ceres/solver.h"
#include "fitter/parallel.h"

namespace mixlaw {
namespace {

// A residual scaled by sqrt(weight), with its Jacobian: its square counts `weight` times.
class WeightedResidual : public ceres::CostFunction {
 public:
  WeightedResidual(ceres::CostFunction* inner, double weight)
      : inner_(inner), root_weight_(std::sqrt(weight)) {
    set_num_residuals(inner->num_residuals());
    *mutable_parameter_block_sizes() = inner->parameter_block_sizes();
  }

  bool Evaluate(double const* const* parameters, double* residuals,
                double** jacobians) const override {
    if (!inner_->Evaluate(parameters, residuals, jacobians)) return false;
    const int n = num_residuals();
    for (int i = 0; i < n; ++i) residuals[i] *= root_weight_;
    if (jacobians == nullptr) return true;
    for (size_t b = 0; b < parameter_block_sizes().size(); ++b) {
      if (jacobians[b] == nullptr) continue;
      const int size = n * parameter_block_sizes()[b];
      for (int k = 0; k < size; ++k) jacobians[b][k] *= root_weight_;
    }
    return true;
  }

 private:
  std::unique_ptr<ceres::CostFunction> inner_;
  double root_weight_;
};

}  // namespace

ResidualSet::ResidualSet(const Law& law, const std::vector<Point>& points)
    : law_(law), points_(points) {
  residuals_.reserve(points.size());
  for (const Point& p : points) {
    ceres::CostFunction* residual = law.NewResidual(p);
    if (p.weight != 1.0) residual = new WeightedResidual(residual, p.weight);
    residuals_.emplace_back(residual);
  }
}

namespace {

// Ceres reports a failed Cholesky step (it then retries with more damping) through glog at
// warning level, once per failure: outcomes are recorded per start instead, so only errors print.
void QuietSolverLogs() {
  static std::once_flag once;
  std::call_once(once, [] { FLAGS_minloglevel = google::GLOG_ERROR; });
}

// Holds the `held` parameters of the block `theta` and bounds the others by the law's bounds.
void Constrain(const std::vector<ParameterSpec>& specs, const std::vector<int>& held, double* theta,
               ceres::Problem* problem) {
  const int n = static_cast<int>(specs.size());
  if (static_cast<int>(held.size()) == n) {
    problem->SetParameterBlockConstant(theta);
  } else if (!held.empty()) {
    problem->SetManifold(theta, new ceres::SubsetManifold(n, held));
  }
  for (int i = 0; i < n; ++i) {
    if (std::find(held.begin(), held.end(), i) != held.end()) continue;
    problem->SetParameterLowerBound(theta, i, specs[static_cast<size_t>(i)].lower);
    problem->SetParameterUpperBound(theta, i, specs[static_cast<size_t>(i)].upper);
  }
}

}  // namespace

std::vector<int> AllRows(size_t n) {
  std::vector<int> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

std::unique_ptr<ceres::Problem> BuildProblem(const ResidualSet& set, const std::vector<int>& rows,
                                             const std::vector<int>& held,
                                             ceres::LossFunction* loss, double* theta) {
  ceres::Problem::Options problem_options;
  problem_options.cost_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  problem_options.loss_function_ownership = ceres::DO_NOT_TAKE_OWNERSHIP;
  auto problem = std::make_unique<ceres::Problem>(problem_options);
  for (int row : rows) problem->AddResidualBlock(set.residual(row), loss, theta);
  Constrain(set.law().parameters(), held, theta, problem.get());
  return problem;
}

StartOutcome SolveFrom(const ResidualSet& set, const std::vector<int>& rows,
                       const std::vector<double>& initial, const std::vector<int>& held,
                       const SolveOptions& options) {
  QuietSolverLogs();
  StartOutcome outcome;
  outcome.initial = initial;
  outcome.parameters = initial;
  std::vector<double> inside = initial;
  ClampToBounds(set.law().parameters(), &inside);
  for (int i : held) inside[static_cast<size_t>(i)] = initial[static_cast<size_t>(i)];
  outcome.parameters = inside;
  // One block holding every point, Huber applied inside (huber_block.h): the same objective as
  // a HuberLoss on each point's block, without Ceres' per-block overhead.
  ceres::Problem::Options problem_options;
  ceres::Problem problem(problem_options);  // owns the block
  double* theta = outcome.parameters.data();
  problem.AddResidualBlock(set.law().NewHuberBlock(set.points(), rows, options.huber_delta),
                           nullptr, theta);
  Constrain(set.law().parameters(), held, theta, &problem);

  ceres::Solver::Options solver;
  solver.minimizer_type = ceres::TRUST_REGION;
  solver.trust_region_strategy_type = ceres::LEVENBERG_MARQUARDT;
  solver.linear_solver_type = options.linear_solver;
  solver.max_num_iterations = options.max_iterations;
  solver.function_tolerance = options.function_tolerance;
  solver.gradient_tolerance = options.gradient_tolerance;
  solver.parameter_tolerance = options.parameter_tolerance;
  solver.num_threads = 1;
  solver.logging_type = ceres::SILENT;
  solver.initial_trust_region_radius = options.initial_trust_region_radius;
  ceres::Solver::Summary summary;
  ceres::Solve(solver, &problem, &summary);
  outcome.cost = summary.final_cost;
  outcome.termination = ceres::TerminationTypeToString(summary.termination_type);
  outcome.iterations = static_cast<int>(summary.iterations.size());
  if (!std::isfinite(outcome.cost)) outcome.termination = "FAILURE";
  return outcome;
}

std::vector<StartOutcome> SolveFromEach(const ResidualSet& set, const std::vector<int>& rows,
                                        const std::vector<std::vector<double>>& starts,
                                        const std::vector<int>& held, const SolveOptions& options,
                                        int threads) {
  std::vector<StartOutcome> outcomes(starts.size());
  SolveOptions screen = options;
  screen.function_tolerance =
      std::max(options.function_tolerance, options.screen_function_tolerance);
  ParallelFor(static_cast<int>(starts.size()), threads, [&](int i) {
    outcomes[static_cast<size_t>(i)] =
        SolveFrom(set, rows, starts[static_cast<size_t>(i)], held, screen);
  });
  if (screen.function_tolerance == options.function_tolerance) return outcomes;
  std::vector<size_t> order;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].usable()) order.push_back(i);
  }
  const size_t polished =
      std::min(order.size(), static_cast<size_t>(std::max(0, options.polished_starts)));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(polished),
                    order.end(),
                    [&](size_t a, size_t b) { return outcomes[a].cost < outcomes[b].cost; });
  ParallelFor(static_cast<int>(polished), threads, [&](int k) {
    StartOutcome& outcome = outcomes[order[static_cast<size_t>(k)]];
    StartOutcome polish = SolveFrom(set, rows, outcome.parameters, held, options);
    if (!polish.usable() || polish.cost > outcome.cost) return;
    outcome.parameters = polish.parameters;
    outcome.cost = polish.cost;
    outcome.termination = polish.termination;
    outcome.iterations += polish.iterations;
  });
  return outcomes;
}

}  // namespace mixlaw
