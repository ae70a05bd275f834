// Rounds trained in the test's process from the synthetic trainer's law and noise (its defaults
// and the spec's trainer.synthetic), for the study's tests: each round's spec is parsed and
// expanded as the orchestrator would, and every CPT run gets its final losses. The truth is known:
// TrueOptimum.
#ifndef MIXLAW_TESTS_STUDY_PLANTED_ROUNDS_H_
#define MIXLAW_TESTS_STUDY_PLANTED_ROUNDS_H_

#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "fitter/observations.h"
#include "fitter/recommend.h"
#include "orchestrator/sweep_spec.h"
#include "study/study.h"
#include "trainer/synthetic_trainer.h"

namespace mixlaw {

class PlantedRounds : public RoundRunner {
 public:
  // `seed` draws the noise; its size is the spec's (trainer.synthetic.noise).
  explicit PlantedRounds(uint64_t seed = 7) : seed_(seed) {}

  absl::StatusOr<std::optional<nlohmann::json>> Planned(int round) override {
    const auto it = specs_.find(round);
    if (it == specs_.end()) return std::optional<nlohmann::json>();
    return std::optional<nlohmann::json>(it->second);
  }

  absl::StatusOr<RoundOutcome> Run(const nlohmann::json& spec, int round,
                                   RoundMonitor* monitor) override {
    specs_[round] = spec;
    if (fail_at_round_ == round)
      return absl::UnavailableError("the round's orchestrator went away");
    absl::StatusOr<SweepSpec> sweep = ParseSweepSpec(spec.dump(), "round", "/");
    if (!sweep.ok()) return sweep.status();
    FieldReader reader("round");
    const SyntheticConfig law = ParseSyntheticConfig(
        sweep->trainer.synthetic.is_null() ? nlohmann::json::object() : sweep->trainer.synthetic,
        "trainer.synthetic", reader);
    if (!reader.ok()) return reader.ToStatus();
    RoundOutcome outcome;
    ObservationSet& set = outcome.observations;
    for (const PlannedRun& r : ExpandSweep(*sweep)) {
      if (r.stage == "pretrain") {
        ++pretrained_;
        outcome.checkpoints[r.model] = "/checkpoints/" + r.model;
      }
      if (r.stage != "cpt") continue;
      ++runs_trained_;
      Observation o;
      o.name = r.name;
      o.params = r.params;
      o.tokens = static_cast<double>(r.tokens);
      o.almr = r.almr;
      o.peak_lr = r.peak_lr;
      o.seed = r.seed;
      std::mt19937_64 rng(std::hash<std::string>()(r.name) ^ seed_);
      std::normal_distribution<double> normal(0.0, law.noise);
      o.final_loss[kSplitAdditional] =
          law.additional.FinalLoss(r.almr, r.peak_lr, r.params) * std::exp(normal(rng));
      o.final_loss[kSplitBase] =
          law.base.FinalLoss(r.almr, r.peak_lr, r.params) * std::exp(normal(rng));
      if (monitor != nullptr && r.peak_lr >= stop_lr_from_) {
        // Stopped halfway, its splits predicted at their planted ends, each prediction counted a
        // quarter of a measurement (as one twice as wide would be, study/early_stop.h).
        o.final_loss[kSplitAdditional] = law.additional.FinalLoss(r.almr, r.peak_lr, r.params);
        o.final_loss[kSplitBase] = law.base.FinalLoss(r.almr, r.peak_lr, r.params);
        o.weight = {{kSplitAdditional, 0.25}, {kSplitBase, 0.25}};
        outcome.stopped.push_back({o, 0.5, "stopped by the planted rounds"});
        continue;
      }
      set.runs.push_back(o);
    }
    return outcome;
  }

  // With early stopping on (a monitor given), every CPT run at `lr` or above is stopped halfway.
  void StopRunsFrom(double lr) { stop_lr_from_ = lr; }

  void FailAtRound(int round) { fail_at_round_ = round; }
  int runs_trained() const { return runs_trained_; }
  int pretrained() const { return pretrained_; }
  const std::map<int, nlohmann::json>& specs() const { return specs_; }

 private:
  uint64_t seed_;
  double stop_lr_from_ = HUGE_VAL;
  int fail_at_round_ = 0;
  int runs_trained_ = 0;
  int pretrained_ = 0;
  std::map<int, nlohmann::json> specs_;
};

// The default synthetic law's best (ALMR, LR) at `params`, ALMR in [almr_lo, almr_hi].
inline SyntheticOptimum TrueOptimum(double params, double almr_lo, double almr_hi) {
  return PlantedOptimum(DefaultSyntheticConfig(), params, almr_lo, almr_hi);
}

}  // namespace mixlaw

#endif  // MIXLAW_TESTS_STUDY_PLANTED_ROUNDS_H_
