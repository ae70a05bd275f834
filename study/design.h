// A study's design: which proxy runs to train next. A study starts from a coarse design per proxy
// size and proceeds in rounds; each round refits the coupling law with a bootstrap and chooses
// the runs that most shrink the uncertainty of the LR it would recommend at the target, per FLOP.
//
// The choice reads the bootstrap as an ensemble. Let q_k be resample k's recommended ln LR at the
// target and y_k(x) = (ln L_additional, ln L_base) its prediction for a run x. Taken as jointly
// Gaussian, observing x (with the fit's log-residual noise R) lowers the variance of q by
//   gain(x) = C_qx (C_xx + R)^-1 C_xq,
// the Kalman update of one observation. The round takes the x of the largest gain(x) / 6 N D,
// conditions the ensemble's covariance on it as if it were observed, and repeats, so that the
// runs of one round do not all tell the same thing.
#ifndef MIXLAW_STUDY_DESIGN_H_
#define MIXLAW_STUDY_DESIGN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "fitter/observations.h"
#include "fitter/recommend.h"

namespace mixlaw {

// One run a study may train: a proxy size at one (ALMR, LR) of its grid, with one seed.
struct CandidateRun {
  std::string model;  // the proxy model's name in the spec
  double params = 0;  // N, as the fit reads it
  double tokens = 0;  // D: the CPT run's training tokens
  double almr = 0;
  double lr = 0;
  int64_t seed = 0;

  double Flops() const;
  // "p1m/almr0.25/lr0.003/seed0": the run's name in a sweep.
  std::string RunName() const;
};

// The grid a study chooses from: every proxy size x ALMR x LR x seed.
struct CandidateGrid {
  struct Size {
    std::string model;
    double params = 0;
    double tokens = 0;
  };
  std::vector<Size> sizes;
  std::vector<double> almrs;  // ascending
  std::vector<double> lrs;    // ascending
  std::vector<int64_t> seeds;

  std::vector<CandidateRun> All() const;
  double Flops() const;  // of every run of the grid: what a full-grid study spends
};

struct InitialDesignOptions {
  int lrs = 3;     // LRs per size and ALMR
  int almrs = 2;   // ALMRs, spread over the grid's (its two ends for 2)
  int stride = 2;  // grid rungs between two of the initial LRs
  // When > 1: the initial LRs about this factor apart, the stride being the whole number of the
  // ladder's mean rungs nearest it (at least 1); it overrides `stride`.
  double lr_ratio = 0;
  // The LR to centre on at each size; 0: the geometric middle of the grid's LRs.
  double prior_lr = 0;
};

// The first round: at every size, `almrs` ALMRs spread over the grid x the `lrs` grid LRs around
// the prior, `stride` rungs apart (nearer together where the grid is too short), first seed only.
std::vector<CandidateRun> InitialDesign(const CandidateGrid& grid,
                                        const InitialDesignOptions& options);

// One run chosen for the next round, and why.
struct DesignChoice {
  CandidateRun run;
  double gain = 0;      // the predicted drop of Var(ln recommended LR) it brings, in order
  double sd_after = 0;  // the predicted sd of ln LR once it and those before it are observed
};

struct RoundOptions {
  int max_runs = 8;                 // runs per round at most
  double budget_flops = 0;          // what the round may spend; <= 0: no limit
  double min_gain_fraction = 1e-3;  // stop adding runs whose gain is below this share of Var(q)
};

struct RoundPlan {
  std::vector<DesignChoice> choices;
  double sd_before = 0;  // sd of ln LR over the resamples (after trimming, see PlanRound)
  int replicates = 0;
};

// The next round's runs out of `candidates` (runs not yet trained), from the fit's bootstrap
// resamples as ReplicateChoice reads them (RecommendReplicates). `noise_log` is each split's
// log-residual sd (the fit's RMSE in log space), additional then base. A candidate may be chosen
// once. FailedPrecondition with fewer than 8 resamples: no ensemble to read.
absl::StatusOr<RoundPlan> PlanRound(const std::vector<ReplicateChoice>& replicates,
                                    const std::vector<CandidateRun>& candidates,
                                    const double noise_log[2], const RoundOptions& options);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_DESIGN_H_
