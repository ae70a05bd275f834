#include "trainer/model_config.h"

#include "absl/strings/str_cat.h"

namespace mixlaw {

int64_t ModelConfig::NonEmbeddingParams() const {
  int64_t kv_dim = head_dim() * n_kv_heads;
  int64_t attention = dim * dim * 2 + dim * kv_dim * 2;  // q, o; k, v
  int64_t ffn = 3 * dim * ffn_dim;                       // gate, up, down
  int64_t norms = 2 * dim;
  return n_layers * (attention + ffn + norms) + dim;  // + final norm
}

int64_t ModelConfig::TotalParams() const {
  int64_t embedding = vocab_size * dim;
  return NonEmbeddingParams() + embedding * (tied_embeddings ? 1 : 2);
}

double ModelConfig::FitParams() const {
  if (params.has_value()) return *params;
  return static_cast<double>(NonEmbeddingParams());
}

nlohmann::json ModelConfig::ToJson() const {
  nlohmann::json j;
  j["name"] = name;
  if (has_architecture()) {
    j["dim"] = dim;
    j["n_layers"] = n_layers;
    j["n_heads"] = n_heads;
    j["n_kv_heads"] = n_kv_heads;
    j["ffn_dim"] = ffn_dim;
    j["vocab_size"] = vocab_size;
    j["max_seq_len"] = max_seq_len;
    j["rope_theta"] = rope_theta;
    j["norm_eps"] = norm_eps;
    j["tied_embeddings"] = tied_embeddings;
  }
  j["params"] = FitParams();
  return j;
}

ModelConfig ParseModelConfig(const nlohmann::json& value, const std::string& path,
                             FieldReader& reader) {
  ModelConfig m;
  if (!reader.CheckObject(
          value, path,
          {"name", "params", "dim", "n_layers", "n_heads", "n_kv_heads", "ffn_dim", "vocab_size",
           "max_seq_len", "rope_theta", "norm_eps", "tied_embeddings"})) {
    return m;
  }
  m.name = reader.String(value, path, "name", true).value_or("");
  if (value.contains("name") && value["name"].is_string()) {
    bool valid = !m.name.empty();
    for (char c : m.name)
      valid = valid && (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!valid) reader.Problem(JoinPath(path, "name"), "must be letters, digits, '-', '_' or '.'");
  }
  m.params = reader.Number(value, path, "params", false, Bounds::Positive());
  bool has_arch = value.contains("dim");
  if (!has_arch) {
    for (const char* key : {"n_layers", "n_heads", "n_kv_heads", "ffn_dim", "vocab_size"}) {
      if (value.contains(key)) {
        reader.Problem(JoinPath(path, "dim"), absl::StrCat("is required when ", key, " is given"));
      }
    }
    if (!value.contains("params")) {
      reader.Problem(path, "needs either an architecture (dim, n_layers, ...) or params");
    }
    return m;
  }
  m.dim = reader.Integer(value, path, "dim", true, Bounds::AtLeast(1)).value_or(0);
  m.n_layers = reader.Integer(value, path, "n_layers", true, Bounds::AtLeast(1)).value_or(0);
  m.n_heads = reader.Integer(value, path, "n_heads", true, Bounds::AtLeast(1)).value_or(0);
  m.n_kv_heads =
      reader.Integer(value, path, "n_kv_heads", false, Bounds::AtLeast(1)).value_or(m.n_heads);
  m.ffn_dim = reader.Integer(value, path, "ffn_dim", true, Bounds::AtLeast(1)).value_or(0);
  m.vocab_size = reader.Integer(value, path, "vocab_size", true, Bounds::AtLeast(2)).value_or(0);
  m.max_seq_len =
      reader.Integer(value, path, "max_seq_len", false, Bounds::AtLeast(1)).value_or(2048);
  m.rope_theta =
      reader.Number(value, path, "rope_theta", false, Bounds::Positive()).value_or(m.rope_theta);
  m.norm_eps =
      reader.Number(value, path, "norm_eps", false, Bounds::Positive()).value_or(m.norm_eps);
  m.tied_embeddings = reader.Bool(value, path, "tied_embeddings", false).value_or(false);
  if (m.dim > 0 && m.n_heads > 0) {
    if (m.dim % m.n_heads != 0) {
      reader.Problem(JoinPath(path, "n_heads"),
                     absl::StrCat(m.n_heads, " does not divide dim ", m.dim));
    } else if (m.head_dim() % 2 != 0) {
      reader.Problem(JoinPath(path, "n_heads"),
                     absl::StrCat("head size ", m.head_dim(), " must be even for RoPE"));
    }
  }
  if (m.n_heads > 0 && m.n_kv_heads > 0 && m.n_heads % m.n_kv_heads != 0) {
    reader.Problem(JoinPath(path, "n_kv_heads"),
                   absl::StrCat(m.n_kv_heads, " does not divide n_heads ", m.n_heads));
  }
  return m;
}

}  // namespace mixlaw
