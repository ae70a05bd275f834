// The builtin Llama trainer: `mixlaw train --config RUN.json`. Trains (pretraining, or continual
// pre-training on the ALMR mix) with AdamW, evaluates each language's whole validation split,
// checkpoints, and speaks the trainer protocol (docs/trainer-protocol.md) on `out`.
#ifndef MIXLAW_TRAINER_LLAMA_LLAMA_TRAINER_H_
#define MIXLAW_TRAINER_LLAMA_LLAMA_TRAINER_H_

#include <cstdint>
#include <ostream>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/kernel_table.h"
#include "trainer/run_config.h"

namespace mixlaw {

// The token streams of one run: both languages' train and validation splits.
struct TrainingData {
  std::vector<uint32_t> base_train, base_val, additional_train, additional_val;
  int64_t vocab_size = 0;       // of the tokenizer that made them
  std::string tokenizer_kind;   // "spm" or "bytes"
  std::string tokenizer_model;  // spm: the model file, copied into every checkpoint
};

// Loads the prepared data that RUN.json's data.base and data.additional name.
absl::StatusOr<TrainingData> LoadTrainingData(const RunConfig& config);

// Runs the trainer; returns its protocol exit code. `err` gets human-readable problems.
int RunLlamaTrainer(const RunConfig& config, const TrainingData& data, const KernelTable& kernels,
                    std::ostream& out, std::ostream& err);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_LLAMA_LLAMA_TRAINER_H_
