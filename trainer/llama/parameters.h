// The Llama parameter layout: every tensor, under its Hugging Face name, at an offset in one
// contiguous buffer (so that gradients, AdamW moments and the global norm are single loops).
#ifndef MIXLAW_TRAINER_LLAMA_PARAMETERS_H_
#define MIXLAW_TRAINER_LLAMA_PARAMETERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trainer/model_config.h"

namespace mixlaw {

struct TensorSpec {
  std::string name;            // "model.layers.0.self_attn.q_proj.weight"
  std::vector<int64_t> shape;  // row-major; Linear weights are (out_features, in_features)
  int64_t offset = 0;          // in floats from the buffer's start
  int64_t size = 0;            // elements
  bool decay = true;           // AdamW weight decay applies (not to norms)
  bool is_norm = false;        // initialised to ones
  float init_std = 0;          // standard deviation of a new model's weights (0 for norms)
};

// Offsets of one decoder layer's tensors.
struct LayerOffsets {
  int64_t attn_norm, q, k, v, o, mlp_norm, gate, up, down;
};

class ParameterLayout {
 public:
  // REQUIRES: config.has_architecture()
  explicit ParameterLayout(const ModelConfig& config);

  const std::vector<TensorSpec>& tensors() const { return tensors_; }
  int64_t total() const { return total_; }
  int64_t embed() const { return embed_; }
  int64_t final_norm() const { return final_norm_; }
  // The output head: its own tensor, or the embedding when tied.
  int64_t lm_head() const { return lm_head_; }
  const LayerOffsets& layer(int64_t i) const { return layers_[static_cast<size_t>(i)]; }

  // Fills `params` (total() floats) as a new model, seeded: unit norms; each weight matrix
  // normal with standard deviation 1/sqrt(fan_in), the residual branches' output projections
  // (o_proj, down_proj) times a further 1/sqrt(2 n_layers); the untied embedding with standard
  // deviation 1 (its input is one-hot), tied to the head the head's 1/sqrt(dim).
  void Initialise(float* params, uint64_t seed) const;

 private:
  int64_t Add(const std::string& name, std::vector<int64_t> shape, bool is_norm,
              float init_std = 0);

  std::vector<TensorSpec> tensors_;
  std::vector<LayerOffsets> layers_;
  int64_t total_ = 0;
  int64_t embed_ = 0, final_norm_ = 0, lm_head_ = 0;
};

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_LLAMA_PARAMETERS_H_
