#include "fitter/uncertainty.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "Eigen/SVD"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ceres/covariance.h"
#include "ceres/crs_matrix.h"
#include "fitter/parallel.h"

namespace mixlaw {

namespace {

// The smallest singular value of J relative to the largest, squared: the reciprocal condition
// number of J^T J. Also the parameters (indexes into `free`) that carry the direction J cannot see.
double ReciprocalCondition(const ceres::CRSMatrix& crs, std::vector<int>* unseen) {
  Eigen::MatrixXd j = Eigen::MatrixXd::Zero(crs.num_rows, crs.num_cols);  // (points, free)
  for (int row = 0; row < crs.num_rows; ++row) {
    for (int k = crs.rows[static_cast<size_t>(row)]; k < crs.rows[static_cast<size_t>(row) + 1];
         ++k) {
      j(row, crs.cols[static_cast<size_t>(k)]) = crs.values[static_cast<size_t>(k)];
    }
  }
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(j, Eigen::ComputeThinV);
  const Eigen::VectorXd& sigma = svd.singularValues();  // descending
  if (sigma.size() == 0 || sigma(0) == 0) return 0;
  const Eigen::VectorXd weakest = svd.matrixV().col(sigma.size() - 1);
  for (int i = 0; i < weakest.size(); ++i) {
    if (std::fabs(weakest(i)) > 0.3) unseen->push_back(i);
  }
  double ratio = sigma(sigma.size() - 1) / sigma(0);
  return ratio * ratio;
}

}  // namespace

absl::StatusOr<std::vector<double>> StandardErrors(const ResidualSet& set,
                                                   const std::vector<double>& theta,
                                                   const std::vector<int>& held) {
  const size_t n = set.points().size();
  const size_t p = theta.size();
  const size_t free = p - held.size();
  if (n <= free) {
    return absl::FailedPreconditionError(
        absl::StrCat(n, " points for ", free, " free parameters: no residual variance"));
  }
  std::vector<double> at = theta;
  std::unique_ptr<ceres::Problem> problem =
      BuildProblem(set, AllRows(n), held, /*loss=*/nullptr, at.data());
  double half_sum_squares = 0;
  ceres::CRSMatrix jacobian;  // (points, free parameters): held ones are not in the tangent space
  problem->Evaluate(ceres::Problem::EvaluateOptions(), &half_sum_squares, nullptr, nullptr,
                    &jacobian);
  const double variance = 2 * half_sum_squares / static_cast<double>(n - free);

  // Checked here rather than left to ceres::Covariance, which would only log it: which
  // parameters the data cannot tell apart is what a user needs to know.
  ceres::Covariance::Options options;
  std::vector<int> unseen;
  if (ReciprocalCondition(jacobian, &unseen) < options.min_reciprocal_condition_number) {
    std::vector<std::string> names;
    std::vector<int> free_index;
    for (int i = 0; i < static_cast<int>(p); ++i) {
      if (std::find(held.begin(), held.end(), i) == held.end()) free_index.push_back(i);
    }
    for (int u : unseen) {
      names.push_back(
          set.law().parameters()[static_cast<size_t>(free_index[static_cast<size_t>(u)])].name);
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "the Jacobian is rank deficient: the data cannot tell apart ", absl::StrJoin(names, ", ")));
  }
  options.algorithm_type = ceres::DENSE_SVD;
  options.apply_loss_function = false;
  options.num_threads = 1;
  ceres::Covariance covariance(options);
  std::vector<std::pair<const double*, const double*>> blocks = {{at.data(), at.data()}};
  if (!covariance.Compute(blocks, problem.get())) {
    return absl::FailedPreconditionError("ceres::Covariance failed at the optimum");
  }
  std::vector<double> matrix(p * p);  // (p, p), ambient: held rows and columns are 0
  covariance.GetCovarianceBlock(at.data(), at.data(), matrix.data());
  std::vector<double> errors(p);
  for (size_t i = 0; i < p; ++i) {
    errors[i] = std::sqrt(std::max(0.0, matrix[i * p + i] * variance));
  }
  for (int i : held) errors[static_cast<size_t>(i)] = 0;
  return errors;
}

std::vector<int> ResampleRows(const std::vector<Point>& points, int num_units, uint64_t seed,
                              int k) {
  std::vector<std::vector<int>> rows_of_unit(static_cast<size_t>(num_units));
  for (size_t i = 0; i < points.size(); ++i) {
    int unit = points[i].unit;
    if (unit >= 0 && unit < num_units) {
      rows_of_unit[static_cast<size_t>(unit)].push_back(static_cast<int>(i));
    }
  }
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(k)};
  std::mt19937_64 rng(seq);
  std::uniform_int_distribution<int> draw(0, num_units - 1);
  std::vector<int> rows;
  for (int u = 0; u < num_units; ++u) {
    const std::vector<int>& unit_rows = rows_of_unit[static_cast<size_t>(draw(rng))];
    rows.insert(rows.end(), unit_rows.begin(), unit_rows.end());
  }
  return rows;
}

BootstrapResult Bootstrap(const ResidualSet& set, const std::vector<double>& theta,
                          const std::vector<int>& held, int num_units, int resamples, uint64_t seed,
                          const SolveOptions& options, int threads) {
  std::vector<StartOutcome> outcomes(static_cast<size_t>(resamples));
  ParallelFor(resamples, threads, [&](int k) {
    std::vector<int> rows = ResampleRows(set.points(), num_units, seed, k);
    outcomes[static_cast<size_t>(k)] = SolveFrom(set, rows, theta, held, options);
  });
  BootstrapResult result;
  for (const StartOutcome& o : outcomes) {
    result.replicates.push_back(o.usable() ? o.parameters : std::vector<double>());
    if (!o.usable()) ++result.failed;
  }
  return result;
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  double position = q * static_cast<double>(values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(position));
  size_t above = std::min(below + 1, values.size() - 1);
  double t = position - static_cast<double>(below);
  return values[below] * (1 - t) + values[above] * t;
}

}  // namespace mixlaw
