// A study: rounds of proxy runs, each trained as a sweep through the orchestrator, the coupling
// law refitted after each, until the LR it recommends at the target is known closely enough or
// the compute budget is spent (docs/study.md). How a round's sweep is trained is the caller's
// (RoundRunner): the loop only plans, fits and decides.
#ifndef MIXLAW_STUDY_STUDY_H_
#define MIXLAW_STUDY_STUDY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "fitter/observations.h"
#include "fitter/recommend.h"
#include "nlohmann/json.hpp"
#include "study/design.h"
#include "study/early_stop.h"
#include "study/study_spec.h"

namespace mixlaw {

// One round: what it trained and why, then what the fit made of every run so far.
struct StudyRound {
  int round = 0;
  std::string sweep;   // the round's sweep: "NAME-r2"
  std::string reason;  // "the whole grid", "the initial design", "the largest narrowing per FLOP"
  std::vector<DesignChoice> choices;  // gain and sd_after 0 outside planned rounds
  double sd_before = kNaN;            // planned rounds: the sd of ln LR they start from
  double spent_flops = 0;             // 6ND of every run trained up to and including this round
  std::vector<StoppedRun> stopped;    // the round's runs that early stopping ended
  // After the round's fit: the recommendation at the target and its LR's 95% interval.
  double almr = kNaN, lr = kNaN, lr_lower = kNaN, lr_upper = kNaN;
  double LrFactor() const { return lr_upper / lr_lower; }
};

struct StudyResult {
  std::vector<StudyRound> rounds;
  ObservationSet observations;      // every round's runs trained to their end (and diverged ones)
  std::vector<StoppedRun> stopped;  // every round's stopped runs
  LawFit fit;                       // of the last round
  Recommendation recommendation;
  double grid_flops = 0;    // what the whole grid costs
  double budget_flops = 0;  // what the study may spend
  double spent_flops = 0;
  bool converged = false;   // stopped because the LR interval met the stop rule's factor
  std::string stop_reason;  // why the study ended, in words
};

// What one round's sweep trained.
struct RoundOutcome {
  ObservationSet observations;  // its CPT runs as the fitter reads them
  // model -> the checkpoint its pretraining run in this sweep wrote (models it pretrained)
  std::map<std::string, std::string> checkpoints;
  std::vector<StoppedRun> stopped;  // its CPT runs that early stopping ended
};

// Trains one round's sweep. A study that is run again asks Planned first, so a round planned
// (and perhaps trained) before it was stopped is trained from the same spec, not planned anew.
class RoundRunner {
 public:
  virtual ~RoundRunner() = default;
  // The spec of `round` (1-based) as a previous run of the study left it; nullopt: not planned.
  virtual absl::StatusOr<std::optional<nlohmann::json>> Planned(int round) = 0;
  // Trains the sweep `spec` (RoundSpec's) to its end. With a monitor (early stopping on), reads
  // the sweep's runs and points every spec.early_stop.check_every_s while it trains and stops
  // the runs monitor->Check names through the orchestrator, with their reasons.
  virtual absl::StatusOr<RoundOutcome> Run(const nlohmann::json& spec, int round,
                                           RoundMonitor* monitor) = 0;
};

struct StudyOptions {
  int threads = 2;
  uint64_t seed = 1;                 // the fit's seed: its starts and bootstrap resamples
  std::ostream* progress = nullptr;  // a line per round; null: nowhere
};

// The study to its end. Errors: a round's, or the fit's when the runs cannot support the law.
absl::StatusOr<StudyResult> RunStudy(const StudySpec& spec, RoundRunner& runner,
                                     const StudyOptions& options);

// Round `round`'s sweep spec: the proxies' spec with its grid replaced by one point per run
// (restricted to its model and seed), its paths absolute, named "NAME-rROUND", and a "study"
// object that records the round, its reason and each choice with its gain. Models in
// `checkpoints` (pretrained in an earlier round) start from them instead of being pretrained again.
nlohmann::json RoundSpec(const StudySpec& spec, const StudyRound& round,
                         const std::map<std::string, std::string>& checkpoints = {});

// The record RoundSpec wrote into a spec's "study" object, read back (run names resolved against
// the grid). InvalidArgument when it is not a round of this study.
absl::StatusOr<StudyRound> ReadRoundSpec(const StudySpec& spec, const nlohmann::json& round_spec);

// study.json (docs/study.md): the stop rule, the budget and what was spent, every round with its
// choices and the recommendation after it, and the final recommendation.
nlohmann::json StudyToJson(const StudySpec& spec, const StudyResult& result);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_STUDY_H_
