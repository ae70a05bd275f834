#include "trainer/llama/checkpoint.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "trainer/safetensors.h"

namespace mixlaw {

namespace {

absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  return j;
}

absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& j) {
  return WriteFileAtomically(path, j.dump(2) + "\n");
}

std::vector<NamedTensor> Tensors(const ParameterLayout& layout, const float* base,
                                 const std::string& suffix) {
  std::vector<NamedTensor> tensors;
  for (const TensorSpec& t : layout.tensors()) {
    tensors.push_back({t.name + suffix, t.shape, base + t.offset});
  }
  return tensors;
}

// Copies every tensor named in `layout` (with `suffix`) from `file` into `dest` (host).
// With `exclusive`, a tensor in the file that the model lacks is an error too.
absl::Status Fill(const SafetensorsFile& file, const std::string& path,
                  const ParameterLayout& layout, const std::string& suffix, float* dest,
                  bool exclusive) {
  size_t used = 0;
  for (const TensorSpec& t : layout.tensors()) {
    auto it = file.tensors.find(t.name + suffix);
    if (it == file.tensors.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tensor ", t.name + suffix, " is missing"));
    }
    if (it->second.shape != t.shape) {
      std::string have, want;
      for (int64_t d : it->second.shape) have += (have.empty() ? "" : ", ") + std::to_string(d);
      for (int64_t d : t.shape) want += (want.empty() ? "" : ", ") + std::to_string(d);
      return absl::InvalidArgumentError(absl::StrCat(path, ": tensor ", t.name + suffix,
                                                     " has shape [", have, "], the model needs [",
                                                     want, "]"));
    }
    std::copy(it->second.data.begin(), it->second.data.end(), dest + t.offset);
    ++used;
  }
  if (!exclusive) return absl::OkStatus();
  // A tied checkpoint read by an untied model is caught above; the reverse leaves lm_head unused.
  for (const auto& [name, tensor] : file.tensors) {
    bool known = false;
    for (const TensorSpec& t : layout.tensors()) known = known || t.name + suffix == name;
    if (!known && !(suffix.empty() && name == "lm_head.weight")) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tensor ", name, " does not belong to this model"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

nlohmann::json HfLlamaConfig(const ModelConfig& c) {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"hidden_size", c.dim},
          {"intermediate_size", c.ffn_dim},
          {"num_hidden_layers", c.n_layers},
          {"num_attention_heads", c.n_heads},
          {"num_key_value_heads", c.n_kv_heads},
          {"vocab_size", c.vocab_size},
          {"max_position_embeddings", c.max_seq_len},
          {"rms_norm_eps", c.norm_eps},
          {"rope_theta", c.rope_theta},
          {"tie_word_embeddings", c.tied_embeddings},
          {"hidden_act", "silu"},
          {"attention_bias", false},
          {"mlp_bias", false},
          {"torch_dtype", "float32"}};
}

absl::StatusOr<ModelConfig> ModelConfigFromHf(const std::string& path, const std::string& name) {
  absl::StatusOr<nlohmann::json> j = ReadJsonFile(path);
  if (!j.ok()) return j.status();
  FieldReader reader(path);
  ModelConfig c;
  c.name = name;
  c.dim = reader.Integer(*j, "", "hidden_size", true, Bounds::AtLeast(1)).value_or(0);
  c.ffn_dim = reader.Integer(*j, "", "intermediate_size", true, Bounds::AtLeast(1)).value_or(0);
  c.n_layers = reader.Integer(*j, "", "num_hidden_layers", true, Bounds::AtLeast(1)).value_or(0);
  c.n_heads = reader.Integer(*j, "", "num_attention_heads", true, Bounds::AtLeast(1)).value_or(0);
  c.n_kv_heads =
      reader.Integer(*j, "", "num_key_value_heads", false, Bounds::AtLeast(1)).value_or(c.n_heads);
  c.vocab_size = reader.Integer(*j, "", "vocab_size", true, Bounds::AtLeast(2)).value_or(0);
  c.max_seq_len =
      reader.Integer(*j, "", "max_position_embeddings", false, Bounds::AtLeast(1)).value_or(2048);
  c.norm_eps = reader.Number(*j, "", "rms_norm_eps", false, Bounds::Positive()).value_or(1e-5);
  c.rope_theta = reader.Number(*j, "", "rope_theta", false, Bounds::Positive()).value_or(10000.0);
  c.tied_embeddings = reader.Bool(*j, "", "tie_word_embeddings", false).value_or(false);
  if (j->contains("rope_scaling") && !(*j)["rope_scaling"].is_null()) {
    reader.Problem("rope_scaling", "is not supported (only plain RoPE)");
  }
  if (!reader.ok()) return reader.ToStatus();
  return c;
}

absl::Status SaveCheckpoint(const std::string& dir, LlamaModel& model, const float* m,
                            const float* v, const nlohmann::json& trainer_state) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir, ": ", ec.message()));
  const ParameterLayout& layout = model.layout();
  std::vector<float> host(static_cast<size_t>(layout.total()));
  model.kernels().to_host(host.data(), model.params(), host.size());
  std::vector<NamedTensor> weights = Tensors(layout, host.data(), "");
  absl::Status s = WriteSafetensors(dir + "/model.safetensors", weights, {{"format", "pt"}});
  if (!s.ok()) return s;
  s = WriteJsonFile(dir + "/config.json", HfLlamaConfig(model.config()));
  if (!s.ok() || m == nullptr) return s;
  std::vector<NamedTensor> moments = Tensors(layout, m, ".exp_avg");
  for (NamedTensor& t : Tensors(layout, v, ".exp_avg_sq")) moments.push_back(t);
  s = WriteSafetensors(dir + "/optimizer.safetensors", moments);
  if (!s.ok()) return s;
  return WriteJsonFile(dir + "/trainer_state.json", trainer_state);
}

absl::Status LoadWeights(const std::string& path, LlamaModel& model) {
  std::string file = path;
  if (std::filesystem::is_directory(path)) {
    file = path + "/model.safetensors";
    std::string config = path + "/config.json";
    if (std::filesystem::exists(config)) {
      absl::StatusOr<ModelConfig> hf = ModelConfigFromHf(config, model.config().name);
      if (!hf.ok()) return hf.status();
      const ModelConfig& c = model.config();
      if (hf->dim != c.dim || hf->n_layers != c.n_layers || hf->n_heads != c.n_heads ||
          hf->n_kv_heads != c.n_kv_heads || hf->ffn_dim != c.ffn_dim ||
          hf->vocab_size != c.vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            config, ": the checkpoint's model (hidden_size ", hf->dim, ", ", hf->n_layers,
            " layers, ", hf->n_heads, "/", hf->n_kv_heads, " heads, intermediate ", hf->ffn_dim,
            ", vocab ", hf->vocab_size, ") is not the run's"));
      }
    }
  }
  absl::StatusOr<SafetensorsFile> st = ReadSafetensors(file);
  if (!st.ok()) return st.status();
  std::vector<float> host(static_cast<size_t>(model.layout().total()));
  absl::Status s = Fill(*st, file, model.layout(), "", host.data(), /*exclusive=*/true);
  if (!s.ok()) return s;
  model.kernels().from_host(model.params(), host.data(), host.size());
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> LoadCheckpoint(const std::string& dir, LlamaModel& model, float* m,
                                              float* v) {
  absl::Status s = LoadWeights(dir, model);
  if (!s.ok()) return s;
  std::string path = dir + "/optimizer.safetensors";
  absl::StatusOr<SafetensorsFile> opt = ReadSafetensors(path);
  if (!opt.ok()) return opt.status();
  s = Fill(*opt, path, model.layout(), ".exp_avg", m, /*exclusive=*/false);
  if (s.ok()) s = Fill(*opt, path, model.layout(), ".exp_avg_sq", v, /*exclusive=*/false);
  if (!s.ok()) return s;
  if (opt->tensors.size() != 2 * model.layout().tensors().size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": holds tensors this model does not have"));
  }
  return ReadJsonFile(dir + "/trainer_state.json");
}

}  // namespace mixlaw
