// A Llama-3 style model description, as written in sweep specs and RUN.json files.
#ifndef MIXLAW_TRAINER_MODEL_CONFIG_H_
#define MIXLAW_TRAINER_MODEL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "common/json_fields.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

struct ModelConfig {
  std::string name;
  // The architecture; all zero when the model is described by `params` alone (a model that an
  // external trainer builds).
  int64_t dim = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;  // grouped-query attention: n_heads is a multiple of it
  int64_t ffn_dim = 0;     // SwiGLU hidden size
  int64_t vocab_size = 0;
  int64_t max_seq_len = 0;
  double rope_theta = 500000.0;
  double norm_eps = 1e-5;
  bool tied_embeddings = false;
  // The size used for fitting; when absent it is the non-embedding parameter count.
  std::optional<double> params;

  bool has_architecture() const { return dim > 0; }
  int64_t head_dim() const { return n_heads > 0 ? dim / n_heads : 0; }
  // Parameters outside the token embedding and the output head.
  // REQUIRES: has_architecture()
  int64_t NonEmbeddingParams() const;
  // Every parameter, counting a tied head once. REQUIRES: has_architecture()
  int64_t TotalParams() const;
  // `params` when given, else NonEmbeddingParams().
  double FitParams() const;

  nlohmann::json ToJson() const;
};

// Reads a model object at `path`, recording problems in `reader`.
ModelConfig ParseModelConfig(const nlohmann::json& value, const std::string& path,
                             FieldReader& reader);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_MODEL_CONFIG_H_
