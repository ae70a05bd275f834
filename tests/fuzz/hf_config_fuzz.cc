// A Hugging Face config.json, on any bytes as a file: read into a model config or refused with a
// message naming the file; what reads writes back to a config.json that reads the same.
#include "tests/fuzz/fuzz_input.h"
#include "trainer/llama/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  const std::string path = WriteFuzzFile(data, size, "config.json");
  absl::StatusOr<ModelConfig> config = ModelConfigFromHf(path, "fuzz");
  if (!config.ok()) {
    FuzzCheck(config.status().message().find(path) != std::string_view::npos,
              "a refused config is named");
    return 0;
  }
  FuzzCheck(config->dim >= 1 && config->n_layers >= 1 && config->n_heads >= 1 &&
                config->n_kv_heads >= 1 && config->ffn_dim >= 1 && config->vocab_size >= 2,
            "a config that reads has positive sizes");
  const std::string text = HfLlamaConfig(*config).dump();
  const std::string copy =
      WriteFuzzFile(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "config.copy.json");
  absl::StatusOr<ModelConfig> again = ModelConfigFromHf(copy, "fuzz");
  FuzzCheck(again.ok() && again->dim == config->dim && again->n_layers == config->n_layers &&
                again->n_heads == config->n_heads && again->n_kv_heads == config->n_kv_heads &&
                again->ffn_dim == config->ffn_dim && again->vocab_size == config->vocab_size &&
                again->tied_embeddings == config->tied_embeddings,
            "a written config.json reads back the same model");
  return 0;
}
