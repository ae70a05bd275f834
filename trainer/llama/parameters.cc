#include "trainer/llama/parameters.h"

#include <cmath>
#include <random>

namespace mixlaw {

ParameterLayout::ParameterLayout(const ModelConfig& c) {
  const int64_t C = c.dim, KV = c.n_kv_heads * c.head_dim(), F = c.ffn_dim, V = c.vocab_size;
  // Standard deviations of new weights: 1/sqrt(fan_in) keeps every projection's output at its
  // input's scale whatever the width, so that small models train as steadily as large ones.
  auto fan_in = [](int64_t n) { return 1.0f / std::sqrt(static_cast<float>(n)); };
  const float residual = 1.0f / std::sqrt(2.0f * static_cast<float>(c.n_layers));
  embed_ = Add("model.embed_tokens.weight", {V, C}, false, c.tied_embeddings ? fan_in(C) : 1.0f);
  for (int64_t i = 0; i < c.n_layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    LayerOffsets l;
    l.attn_norm = Add(p + "input_layernorm.weight", {C}, true);
    l.q = Add(p + "self_attn.q_proj.weight", {C, C}, false, fan_in(C));
    l.k = Add(p + "self_attn.k_proj.weight", {KV, C}, false, fan_in(C));
    l.v = Add(p + "self_attn.v_proj.weight", {KV, C}, false, fan_in(C));
    l.o = Add(p + "self_attn.o_proj.weight", {C, C}, false, fan_in(C) * residual);
    l.mlp_norm = Add(p + "post_attention_layernorm.weight", {C}, true);
    l.gate = Add(p + "mlp.gate_proj.weight", {F, C}, false, fan_in(C));
    l.up = Add(p + "mlp.up_proj.weight", {F, C}, false, fan_in(C));
    l.down = Add(p + "mlp.down_proj.weight", {C, F}, false, fan_in(F) * residual);
    layers_.push_back(l);
  }
  final_norm_ = Add("model.norm.weight", {C}, true);
  lm_head_ = c.tied_embeddings ? embed_ : Add("lm_head.weight", {V, C}, false, fan_in(C));
}

int64_t ParameterLayout::Add(const std::string& name, std::vector<int64_t> shape, bool is_norm,
                             float init_std) {
  TensorSpec t;
  t.name = name;
  t.size = 1;
  for (int64_t d : shape) t.size *= d;
  t.shape = std::move(shape);
  t.offset = total_;
  t.is_norm = is_norm;
  t.decay = !is_norm;
  t.init_std = init_std;
  total_ += t.size;
  tensors_.push_back(t);
  return t.offset;
}

void ParameterLayout::Initialise(float* params, uint64_t seed) const {
  // Each tensor draws from its own stream, so that adding a tensor leaves the others unchanged.
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorSpec& t = tensors_[i];
    float* p = params + t.offset;
    if (t.is_norm) {
      for (int64_t j = 0; j < t.size; ++j) p[j] = 1.0f;
      continue;
    }
    std::mt19937_64 rng(seed * 1000003ULL + i);
    std::normal_distribution<float> normal(0.0f, t.init_std);
    for (int64_t j = 0; j < t.size; ++j) p[j] = normal(rng);
  }
}

}  // namespace mixlaw
