// The sweep spec (docs/sweep-spec.md): parsed, checked as a whole, and expanded into runs.
#ifndef MIXLAW_ORCHESTRATOR_SWEEP_SPEC_H_
#define MIXLAW_ORCHESTRATOR_SWEEP_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "trainer/model_config.h"
#include "trainer/run_config.h"

namespace mixlaw {

struct PretrainSpec {
  double peak_lr = 0.0;
  int64_t seed = 0;
  TrainingConfig training;
};

struct TrainerSpec {
  std::string kind = "synthetic";  // "synthetic", "exec" or "builtin"
  std::string command;             // "exec": a template with {config}, {output_dir}, ...
  std::string device = "cpu";      // "cpu" or "cuda": what a worker must have to lease a run
  nlohmann::json synthetic;        // the synthetic trainer's settings
};

// One (ALMR, LR) combination outside the grid, trained for every model and seed of the spec, or
// only for the models and seeds it names.
struct SweepPoint {
  double almr = 0.0;
  double lr = 0.0;
  std::vector<std::string> models;  // empty: every model
  std::vector<int64_t> seeds;       // empty: the spec's seeds
};

struct SweepSpec {
  std::string name;
  std::string description;
  std::string data_base;  // absolute after parsing
  std::string data_additional;
  std::vector<ModelConfig> models;
  std::vector<double> almr;
  std::vector<double> lr;
  std::vector<SweepPoint> points;  // trained besides the grid
  std::vector<int64_t> seeds;
  TrainingConfig training;
  std::optional<PretrainSpec> pretrain;
  TrainerSpec trainer;
  std::optional<double> target_params;
  // fit.max_lr_over_best: a recommendation's fit leaves out the runs above this factor of their
  // group's best LR (fitter/lr_cliff.h); absent: every run is fitted.
  std::optional<double> max_lr_over_best;
  int max_attempts = 3;
  std::string output_root;  // absolute after parsing; empty when the spec gives none
  // Models whose CPT runs start from a checkpoint trained before (model name -> absolute path):
  // they are not pretrained in this sweep.
  std::map<std::string, std::string> init_checkpoints;
  nlohmann::json study;      // the study a sweep is a round of (study/), stored as given; or null
  nlohmann::json canonical;  // the spec as given, for storage
};

// Parses and checks a spec. Relative paths start from `spec_dir`. On failure the status lists
// every problem, one a line, each with its JSON path, prefixed with `source`.
absl::StatusOr<SweepSpec> ParseSweepSpec(const std::string& text, const std::string& source,
                                         const std::string& spec_dir);

// One run of an expanded sweep.
struct PlannedRun {
  std::string name;   // "s1/almr0.25/lr0.003/seed0"
  std::string stage;  // "pretrain" or "cpt"
  std::string model;
  double params = 0.0;
  double almr = 0.0;
  double peak_lr = 0.0;
  int64_t seed = 0;
  int64_t tokens = 0;
  int64_t total_steps = 0;
  int depends_on = -1;  // index of the run it waits for, or -1
  std::string device;
  std::string trainer_kind;
  std::string command;
  RunConfig config;  // RUN.json, less what is known only at lease time
};

// A CPT run's name: "s1/almr0.25/lr0.003/seed0".
std::string CptRunName(const std::string& model, double almr, double lr, int64_t seed);

// Every run of the sweep: for each model, its pretraining run (if any), then the grid in the
// order ALMR, LR, seed, then the points in their order, each for its seeds. A model left without
// CPT runs (by points that name other models) is not pretrained either, nor is one given in
// init_checkpoints: its CPT runs start from that checkpoint.
std::vector<PlannedRun> ExpandSweep(const SweepSpec& spec);

// The placeholders an exec command template may use.
const std::vector<std::string>& CommandPlaceholders();

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_SWEEP_SPEC_H_
