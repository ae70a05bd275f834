// Checkpoints: a directory Hugging Face transformers can load (model.safetensors under HF Llama
// tensor names, and config.json), plus what exact resumption needs (optimizer.safetensors with
// the AdamW moments, trainer_state.json with the step and the data loader's position).
#ifndef MIXLAW_TRAINER_LLAMA_CHECKPOINT_H_
#define MIXLAW_TRAINER_LLAMA_CHECKPOINT_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "trainer/llama/model.h"

namespace mixlaw {

// The Hugging Face LlamaConfig of a model, as config.json holds it.
nlohmann::json HfLlamaConfig(const ModelConfig& config);

// Reads a Hugging Face config.json into a ModelConfig (named `name`). Errors name the field.
absl::StatusOr<ModelConfig> ModelConfigFromHf(const std::string& config_json_path,
                                              const std::string& name);

// Writes DIR/model.safetensors and DIR/config.json; with `moments` (m and v, layout().total()
// floats each, on the host) also DIR/optimizer.safetensors and DIR/trainer_state.json.
absl::Status SaveCheckpoint(const std::string& dir, LlamaModel& model, const float* m,
                            const float* v, const nlohmann::json& trainer_state);

// Loads weights from DIR/model.safetensors (or a .safetensors file) into the model. Every tensor
// of the model must be present with its shape (a tied head may be absent); unknown tensors are
// errors. Refuses a config.json beside it that disagrees with the model.
absl::Status LoadWeights(const std::string& path, LlamaModel& model);

// Loads a full checkpoint for resumption: weights, the moments into m and v (host buffers), and
// returns trainer_state.json.
absl::StatusOr<nlohmann::json> LoadCheckpoint(const std::string& dir, LlamaModel& model, float* m,
                                              float* v);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_LLAMA_CHECKPOINT_H_
