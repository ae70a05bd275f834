// The synthetic trainer: loss curves that end on the coupling law and follow the LR schedule as
// the curve law does (fitter/curve_law.h), with seeded noise, for tests,
// benchmarks and dry runs of a sweep. It trains nothing and says so in every run it writes.
#ifndef MIXLAW_TRAINER_SYNTHETIC_TRAINER_H_
#define MIXLAW_TRAINER_SYNTHETIC_TRAINER_H_

#include <cstdint>
#include <ostream>

#include "common/json_fields.h"
#include "nlohmann/json.hpp"
#include "trainer/run_config.h"

namespace mixlaw {

// One split's final loss as a function of ALMR r, peak LR eta and size N:
//   L = E + A N^-alpha + G(r) + K (ln eta - ln eta*)^2,   eta* = exp(c) (r + eps)^gamma N^-delta
//   G(r) = B (r + eps)^-beta   (additional language)   or   F r^phi   (base language)
struct SyntheticSplitLaw {
  double E, A, alpha, K, c, gamma, delta, eps;
  double B = 0.0, beta = 0.0;  // additional language
  double F = 0.0, phi = 1.0;   // base language
  bool is_base = false;

  double OptimalLr(double almr, double params) const;
  double FinalLoss(double almr, double peak_lr, double params) const;
};

struct SyntheticConfig {
  SyntheticSplitLaw additional;
  SyntheticSplitLaw base;
  double noise = 0.002;            // sigma of the multiplicative log-normal noise on each value
  int64_t step_delay_ms = 0;       // sleep per step, to make runs last
  int64_t log_every = 1;           // steps between training-loss lines
  double diverge_lr_factor = 0.0;  // diverge when peak_lr > factor x the optimal LR; 0: never
};

SyntheticConfig DefaultSyntheticConfig();

// The planted best (ALMR, LR) at `params` for L_additional + weight x L_base, ALMR in
// [almr_lo, almr_hi] (a fine grid of 1,001; in LR exactly: both splits are quadratic in ln LR, so
// the best ln LR is their curvature-weighted mean), and the criterion's value there. What a study
// on the synthetic trainer should find.
struct SyntheticOptimum {
  double almr = 0, lr = 0, value = 0;
};
SyntheticOptimum PlantedOptimum(const SyntheticConfig& config, double params, double almr_lo,
                                double almr_hi, double weight = 1.0);

// Reads the "synthetic" object (absent fields keep their defaults).
SyntheticConfig ParseSyntheticConfig(const nlohmann::json& value, const std::string& path,
                                     FieldReader& reader);

// Runs the synthetic trainer, writing protocol lines to `out`; returns the trainer exit code.
int RunSyntheticTrainer(const RunConfig& config, std::ostream& out, std::ostream& err);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_SYNTHETIC_TRAINER_H_
