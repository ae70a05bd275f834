// RUN.json: everything a trainer is told about one run (docs/trainer-protocol.md). The sweep
// spec's "training" block is the same object, so both are read here.
#ifndef MIXLAW_TRAINER_RUN_CONFIG_H_
#define MIXLAW_TRAINER_RUN_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "trainer/model_config.h"
#include "trainer/schedule.h"

namespace mixlaw {

inline constexpr int kTrainerProtocolVersion = 1;

struct TrainingConfig {
  int64_t tokens = 0;       // training tokens of the run
  int64_t batch_size = 16;  // sequences per optimizer step (before accumulation)
  int64_t seq_len = 128;
  int64_t grad_accum = 1;
  Schedule schedule;
  int64_t eval_every = 0;        // steps between evaluations; 0: only at the end
  bool eval_at_start = true;     // also evaluate before the first step (for CPT: the base model)
  int64_t checkpoint_every = 0;  // steps between checkpoints; 0: only at the end
  double weight_decay = 0.1;
  double grad_clip = 1.0;  // global-norm clipping; 0 disables it
  double beta1 = 0.9;
  double beta2 = 0.95;
  double adam_eps = 1e-8;
  double spike_factor = 3.0;  // a training loss above this many times its running minimum diverges
  // "fp32", "bf16" (bf16 matrix products with fp32 master weights, optimizer state and
  // reductions; GPUs only) or "auto": bf16 on a GPU, fp32 on the CPU.
  std::string precision = "auto";

  int64_t tokens_per_step() const { return batch_size * seq_len * grad_accum; }
  // At least one step.
  int64_t total_steps() const;
  nlohmann::json ToJson() const;
};

TrainingConfig ParseTrainingConfig(const nlohmann::json& value, const std::string& path,
                                   FieldReader& reader);

struct RunConfig {
  int protocol = kTrainerProtocolVersion;
  int64_t run_id = 0;
  std::string run_name;
  std::string sweep;
  std::string stage = "cpt";  // "pretrain" (base language only) or "cpt"
  double almr = 0.0;          // fraction of additional-language sequences
  double peak_lr = 0.0;
  int64_t seed = 0;
  ModelConfig model;
  std::string data_base;        // prepared data of the base language
  std::string data_additional;  // prepared data of the additional language
  TrainingConfig training;
  std::string output_dir;
  std::string init_checkpoint;    // weights to start from (the base model), or empty
  std::string resume_checkpoint;  // a checkpoint of this run to continue, or empty
  std::string device = "cpu";
  nlohmann::json synthetic;  // the synthetic trainer's law and noise; null otherwise

  nlohmann::json ToJson() const;
};

// Parses RUN.json text; every problem is listed with its path, prefixed with `source`.
absl::StatusOr<RunConfig> ParseRunConfig(const std::string& text, const std::string& source);

// Reads and parses a RUN.json file.
absl::StatusOr<RunConfig> LoadRunConfig(const std::string& path);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_RUN_CONFIG_H_
