#include "study/design.h"

#include <algorithm>
#include <cmath>

#include "Eigen/Dense"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "fitter/uncertainty.h"
#include "orchestrator/sweep_spec.h"
#include "study/compute.h"

namespace mixlaw {

double CandidateRun::Flops() const { return TrainingFlops(params, tokens); }

std::string CandidateRun::RunName() const { return CptRunName(model, almr, lr, seed); }

std::vector<CandidateRun> CandidateGrid::All() const {
  std::vector<CandidateRun> runs;
  for (const Size& s : sizes) {
    for (double r : almrs) {
      for (double lr : lrs) {
        for (int64_t seed : seeds) runs.push_back({s.model, s.params, s.tokens, r, lr, seed});
      }
    }
  }
  return runs;
}

double CandidateGrid::Flops() const {
  double flops = 0;
  for (const CandidateRun& r : All()) flops += r.Flops();
  return flops;
}

namespace {

// `count` indexes spread over [0, n): both ends for 2, the middle too for 3.
std::vector<size_t> Spread(size_t n, int count) {
  std::vector<size_t> picked;
  if (n == 0 || count <= 0) return picked;
  if (count == 1 || n == 1) return {n / 2};
  for (int i = 0; i < count; ++i) {
    const size_t index = static_cast<size_t>(
        std::lround(static_cast<double>(i) * static_cast<double>(n - 1) / (count - 1)));
    if (picked.empty() || picked.back() != index) picked.push_back(index);
  }
  return picked;
}

// `count` rungs of `lrs` around the one nearest `centre`, `stride` apart where the ladder is long
// enough, shifted inward at its ends.
std::vector<size_t> AroundLr(const std::vector<double>& lrs, double centre, int count, int stride) {
  const size_t n = lrs.size();
  count = std::min<int>(count, static_cast<int>(n));
  if (count <= 0) return {};
  size_t nearest = 0;
  for (size_t i = 1; i < n; ++i) {
    if (std::fabs(std::log(lrs[i] / centre)) < std::fabs(std::log(lrs[nearest] / centre))) {
      nearest = i;
    }
  }
  while (stride > 1 && static_cast<size_t>((count - 1) * stride) >= n) --stride;
  stride = std::max(stride, 1);
  const long span = static_cast<long>((count - 1) * stride);
  long first = static_cast<long>(nearest) - span / 2;
  first = std::clamp(first, 0L, static_cast<long>(n) - 1 - span);
  std::vector<size_t> picked;
  for (int i = 0; i < count; ++i) picked.push_back(static_cast<size_t>(first + i * stride));
  return picked;
}

// The stride `options` asks for on `lrs`: `lr_ratio` in rungs of the ladder's mean step, or
// `stride`.
int InitialStride(const std::vector<double>& lrs, const InitialDesignOptions& options) {
  if (options.lr_ratio <= 1 || lrs.size() < 2 || lrs.back() <= lrs.front()) return options.stride;
  const double step = std::log(lrs.back() / lrs.front()) / static_cast<double>(lrs.size() - 1);
  return std::max(1, static_cast<int>(std::lround(std::log(options.lr_ratio) / step)));
}

}  // namespace

std::vector<CandidateRun> InitialDesign(const CandidateGrid& grid,
                                        const InitialDesignOptions& options) {
  std::vector<CandidateRun> runs;
  if (grid.lrs.empty() || grid.almrs.empty() || grid.seeds.empty()) return runs;
  const double centre =
      options.prior_lr > 0 ? options.prior_lr : std::sqrt(grid.lrs.front() * grid.lrs.back());
  const std::vector<size_t> lrs =
      AroundLr(grid.lrs, centre, options.lrs, InitialStride(grid.lrs, options));
  for (const CandidateGrid::Size& s : grid.sizes) {
    for (size_t a : Spread(grid.almrs.size(), options.almrs)) {
      for (size_t l : lrs) {
        runs.push_back({s.model, s.params, s.tokens, grid.almrs[a], grid.lrs[l], grid.seeds[0]});
      }
    }
  }
  return runs;
}

absl::StatusOr<RoundPlan> PlanRound(const std::vector<ReplicateChoice>& replicates,
                                    const std::vector<CandidateRun>& candidates,
                                    const double noise_log[2], const RoundOptions& options) {
  constexpr size_t kMinReplicates = 8;
  // Resamples whose recommended LR lies outside the central 95% are left out: a few wild refits
  // would otherwise rule the covariance.
  std::vector<double> q_all;
  for (const ReplicateChoice& r : replicates) q_all.push_back(std::log(r.lr));
  const double lo = Quantile(q_all, 0.025), hi = Quantile(q_all, 0.975);
  std::vector<const ReplicateChoice*> kept;
  for (const ReplicateChoice& r : replicates) {
    const double q = std::log(r.lr);
    if (q >= lo && q <= hi) kept.push_back(&r);
  }
  if (kept.size() < kMinReplicates) {
    return absl::FailedPreconditionError(absl::StrCat("the fit has ", kept.size(),
                                                      " usable bootstrap resamples; choosing runs "
                                                      "needs at least ",
                                                      kMinReplicates));
  }
  RoundPlan plan;
  plan.replicates = static_cast<int>(kept.size());
  const size_t m = candidates.size();
  const Eigen::Index p = static_cast<Eigen::Index>(1 + 2 * m);
  // Rows: resamples; column 0: ln LR*, columns 1 + 2j, 2 + 2j: candidate j's ln losses.
  Eigen::MatrixXd z(static_cast<Eigen::Index>(kept.size()), p);
  for (size_t k = 0; k < kept.size(); ++k) {
    const auto row = static_cast<Eigen::Index>(k);
    z(row, 0) = std::log(kept[k]->lr);
    for (size_t j = 0; j < m; ++j) {
      const CandidateRun& c = candidates[j];
      CouplingModel model = kept[k]->model;
      model.SetTokens(c.tokens);
      const auto col = static_cast<Eigen::Index>(1 + 2 * j);
      z(row, col) = std::log(std::max(model.LossAdditional(c.almr, c.lr, c.params), 1e-300));
      z(row, col + 1) = std::log(std::max(model.LossBase(c.almr, c.lr, c.params), 1e-300));
    }
  }
  const Eigen::MatrixXd centred = z.rowwise() - z.colwise().mean();
  Eigen::MatrixXd cov = centred.transpose() * centred / static_cast<double>(kept.size() - 1);
  const double var_before = cov(0, 0);
  plan.sd_before = std::sqrt(std::max(var_before, 0.0));
  Eigen::Matrix2d noise = Eigen::Matrix2d::Zero();
  noise(0, 0) = noise_log[0] * noise_log[0];
  noise(1, 1) = noise_log[1] * noise_log[1];

  std::vector<bool> taken(m, false);
  double spent = 0;
  while (static_cast<int>(plan.choices.size()) < options.max_runs) {
    int best = -1;
    double best_score = 0, best_gain = 0;
    for (size_t j = 0; j < m; ++j) {
      if (taken[j]) continue;
      const double flops = candidates[j].Flops();
      if (options.budget_flops > 0 && spent + flops > options.budget_flops) continue;
      const auto o = static_cast<Eigen::Index>(1 + 2 * j);
      const Eigen::Matrix2d s = cov.block(o, o, 2, 2) + noise;
      const Eigen::RowVector2d c = cov.block(0, o, 1, 2);
      const double gain = (c * s.ldlt().solve(c.transpose()))(0, 0);
      const double score = gain / std::max(flops, 1.0);
      if (gain > options.min_gain_fraction * var_before && (best < 0 || score > best_score)) {
        best = static_cast<int>(j);
        best_score = score;
        best_gain = gain;
      }
    }
    if (best < 0) break;
    taken[static_cast<size_t>(best)] = true;
    spent += candidates[static_cast<size_t>(best)].Flops();
    // Condition on the chosen run as if observed: cov -= cov[:, o] (cov[o, o] + R)^-1 cov[o, :].
    const auto o = static_cast<Eigen::Index>(1 + 2 * best);
    const Eigen::Matrix2d s = cov.block(o, o, 2, 2) + noise;
    const Eigen::MatrixXd cross = cov.middleCols(o, 2);
    cov -= cross * s.ldlt().solve(cross.transpose());
    plan.choices.push_back(
        {candidates[static_cast<size_t>(best)], best_gain, std::sqrt(std::max(cov(0, 0), 0.0))});
  }
  return plan;
}

}  // namespace mixlaw
