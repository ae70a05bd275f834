#include "trainer/llama/model.h"

namespace mixlaw {

LlamaModel::LlamaModel(const ModelConfig& config, const KernelTable& kernels, int B, int T)
    : config_(config), kernels_(kernels), layout_(config), B_(B), T_(T) {
  N_ = static_cast<int64_t>(B) * T;
  C_ = config.dim;
  NH_ = config.n_heads;
  NKV_ = config.n_kv_heads;
  HS_ = config.head_dim();
  KV_ = NKV_ * HS_;
  F_ = config.ffn_dim;
  V_ = config.vocab_size;
  auto alloc = [&](int64_t n) {
    float* p = kernels_.alloc(static_cast<size_t>(n));
    owned_.push_back(p);
    return p;
  };
  params_ = alloc(layout_.total());
  grads_ = alloc(layout_.total());
  for (int64_t l = 0; l < config.n_layers; ++l) {
    LayerActivations a;
    a.x_in = alloc(N_ * C_);                               // (B, T, C)
    a.xn1 = alloc(N_ * C_);                                // (B, T, C)
    a.rstd1 = alloc(N_);                                   // (B, T)
    a.q = alloc(N_ * C_);                                  // (B, T, NH, HS), after RoPE
    a.k = alloc(N_ * KV_);                                 // (B, T, NKV, HS), after RoPE
    a.v = alloc(N_ * KV_);                                 // (B, T, NKV, HS)
    a.att = alloc(static_cast<int64_t>(B) * NH_ * T * T);  // (B, NH, T, T)
    a.a = alloc(N_ * C_);      // (B, T, C) attention output before o_proj
    a.x_mid = alloc(N_ * C_);  // (B, T, C) residual after attention
    a.xn2 = alloc(N_ * C_);    // (B, T, C)
    a.rstd2 = alloc(N_);       // (B, T)
    a.gate = alloc(N_ * F_);   // (B, T, F)
    a.up = alloc(N_ * F_);     // (B, T, F)
    a.h = alloc(N_ * F_);      // (B, T, F) silu(gate) * up
    acts_.push_back(a);
  }
  x_out_ = alloc(N_ * C_);                           // (B, T, C) residual after the last layer
  xf_ = alloc(N_ * C_);                              // (B, T, C)
  rstdf_ = alloc(N_);                                // (B, T)
  logits_ = alloc(N_ * V_);                          // (B, T, V); dlogits after Backward
  losses_ = alloc(N_);                               // (B, T)
  rope_cos_ = alloc(static_cast<int64_t>(T) * HS_);  // (T, HS)
  rope_sin_ = alloc(static_cast<int64_t>(T) * HS_);  // (T, HS)
  inputs_ = kernels_.alloc_int(static_cast<size_t>(N_));
  targets_ = kernels_.alloc_int(static_cast<size_t>(N_));
  owned_.push_back(inputs_);
  owned_.push_back(targets_);
  dx_ = alloc(N_ * C_);
  dxn_ = alloc(N_ * C_);
  dq_ = alloc(N_ * C_);
  dk_ = alloc(N_ * KV_);
  dv_ = alloc(N_ * KV_);
  da_ = alloc(N_ * C_);
  dh_ = alloc(N_ * F_);
  dgate_ = alloc(N_ * F_);
  dup_ = alloc(N_ * F_);
  kernels_.rope_table(rope_cos_, rope_sin_, T, static_cast<int>(HS_),
                      static_cast<float>(config.rope_theta));
}

LlamaModel::~LlamaModel() {
  for (void* p : owned_) kernels_.free(p);
}

void LlamaModel::ZeroGrads() { kernels_.zero(grads_, static_cast<size_t>(layout_.total())); }

double LlamaModel::Forward(const int32_t* inputs, const int32_t* targets) {
  const KernelTable& k = kernels_;
  const int N = static_cast<int>(N_), C = static_cast<int>(C_), KV = static_cast<int>(KV_),
            F = static_cast<int>(F_), V = static_cast<int>(V_), NH = static_cast<int>(NH_),
            NKV = static_cast<int>(NKV_), HS = static_cast<int>(HS_);
  const float eps = static_cast<float>(config_.norm_eps);
  k.ints_from_host(inputs_, inputs, static_cast<size_t>(N));
  k.ints_from_host(targets_, targets, static_cast<size_t>(N));
  const float* p = params_;
  float* x = acts_.empty() ? x_out_ : acts_[0].x_in;
  k.embedding_forward(x, inputs_, p + layout_.embed(), N, C);
  for (size_t l = 0; l < acts_.size(); ++l) {
    LayerActivations& a = acts_[l];
    const LayerOffsets& w = layout_.layer(static_cast<int64_t>(l));
    float* next = l + 1 < acts_.size() ? acts_[l + 1].x_in : x_out_;
    k.rmsnorm_forward(a.xn1, a.rstd1, a.x_in, p + w.attn_norm, eps, N, C);
    k.matmul_forward(a.q, a.xn1, p + w.q, N, C, C);
    k.matmul_forward(a.k, a.xn1, p + w.k, N, C, KV);
    k.matmul_forward(a.v, a.xn1, p + w.v, N, C, KV);
    k.rope_forward(a.q, rope_cos_, rope_sin_, B_, T_, NH, HS);
    k.rope_forward(a.k, rope_cos_, rope_sin_, B_, T_, NKV, HS);
    k.attention_forward(a.a, a.att, a.q, a.k, a.v, B_, T_, NH, NKV, HS);
    // x_mid = x_in + a @ Wo^T
    k.matmul_forward(a.x_mid, a.a, p + w.o, N, C, C);
    k.add_in_place(a.x_mid, a.x_in, N_ * C_);
    k.rmsnorm_forward(a.xn2, a.rstd2, a.x_mid, p + w.mlp_norm, eps, N, C);
    k.matmul_forward(a.gate, a.xn2, p + w.gate, N, C, F);
    k.matmul_forward(a.up, a.xn2, p + w.up, N, C, F);
    k.swiglu_forward(a.h, a.gate, a.up, N, F);
    // next = x_mid + h @ Wdown^T
    k.matmul_forward(next, a.h, p + w.down, N, F, C);
    k.add_in_place(next, a.x_mid, N_ * C_);
  }
  k.rmsnorm_forward(xf_, rstdf_, x_out_, p + layout_.final_norm(), eps, N, C);
  k.matmul_forward(logits_, xf_, p + layout_.lm_head(), N, C, V);
  return k.cross_entropy_forward(losses_, logits_, targets_, N, V);
}

std::vector<float> LlamaModel::TokenLosses() const {
  std::vector<float> host(static_cast<size_t>(N_));
  kernels_.to_host(host.data(), losses_, host.size());
  return host;
}

std::vector<float> LlamaModel::Logits() const {
  std::vector<float> host(static_cast<size_t>(N_ * V_));
  kernels_.to_host(host.data(), logits_, host.size());
  return host;
}

void LlamaModel::Backward(float loss_scale) {
  const KernelTable& k = kernels_;
  const int N = static_cast<int>(N_), C = static_cast<int>(C_), KV = static_cast<int>(KV_),
            F = static_cast<int>(F_), V = static_cast<int>(V_), NH = static_cast<int>(NH_),
            NKV = static_cast<int>(NKV_), HS = static_cast<int>(HS_);
  const float* p = params_;
  float* g = grads_;
  // logits become dL/dlogits in place.
  k.cross_entropy_backward(logits_, targets_, loss_scale, N, V);
  k.zero(dxn_, static_cast<size_t>(N_ * C_));
  k.matmul_backward(dxn_, g + layout_.lm_head(), logits_, xf_, p + layout_.lm_head(), N, C, V);
  // dx_ carries dL/d(residual stream) from the top down.
  k.zero(dx_, static_cast<size_t>(N_ * C_));
  k.rmsnorm_backward(dx_, g + layout_.final_norm(), dxn_, x_out_, p + layout_.final_norm(), rstdf_,
                     N, C);
  for (size_t li = acts_.size(); li-- > 0;) {
    LayerActivations& a = acts_[li];
    const LayerOffsets& w = layout_.layer(static_cast<int64_t>(li));
    // MLP branch: next = x_mid + down(swiglu(gate(xn2), up(xn2))).
    k.zero(dh_, static_cast<size_t>(N_ * F_));
    k.matmul_backward(dh_, g + w.down, dx_, a.h, p + w.down, N, F, C);
    k.zero(dgate_, static_cast<size_t>(N_ * F_));
    k.zero(dup_, static_cast<size_t>(N_ * F_));
    k.swiglu_backward(dgate_, dup_, dh_, a.gate, a.up, N, F);
    k.zero(dxn_, static_cast<size_t>(N_ * C_));
    k.matmul_backward(dxn_, g + w.gate, dgate_, a.xn2, p + w.gate, N, C, F);
    k.matmul_backward(dxn_, g + w.up, dup_, a.xn2, p + w.up, N, C, F);
    k.rmsnorm_backward(dx_, g + w.mlp_norm, dxn_, a.x_mid, p + w.mlp_norm, a.rstd2, N, C);
    // Attention branch: x_mid = x_in + o(attention(rope(q(xn1)), rope(k(xn1)), v(xn1))).
    k.zero(da_, static_cast<size_t>(N_ * C_));
    k.matmul_backward(da_, g + w.o, dx_, a.a, p + w.o, N, C, C);
    k.zero(dq_, static_cast<size_t>(N_ * C_));
    k.zero(dk_, static_cast<size_t>(N_ * KV_));
    k.zero(dv_, static_cast<size_t>(N_ * KV_));
    k.attention_backward(dq_, dk_, dv_, da_, a.att, a.q, a.k, a.v, B_, T_, NH, NKV, HS);
    k.rope_backward(dq_, rope_cos_, rope_sin_, B_, T_, NH, HS);
    k.rope_backward(dk_, rope_cos_, rope_sin_, B_, T_, NKV, HS);
    k.zero(dxn_, static_cast<size_t>(N_ * C_));
    k.matmul_backward(dxn_, g + w.q, dq_, a.xn1, p + w.q, N, C, C);
    k.matmul_backward(dxn_, g + w.k, dk_, a.xn1, p + w.k, N, C, KV);
    k.matmul_backward(dxn_, g + w.v, dv_, a.xn1, p + w.v, N, C, KV);
    k.rmsnorm_backward(dx_, g + w.attn_norm, dxn_, a.x_in, p + w.attn_norm, a.rstd1, N, C);
  }
  k.embedding_backward(g + layout_.embed(), dx_, inputs_, N, C);
}

}  // namespace mixlaw
