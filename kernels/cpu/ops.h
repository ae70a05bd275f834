// The CPU compute kernels of the Llama trainer: one forward and one backward per layer, over
// contiguous row-major fp32 buffers. Shapes are written beside every argument: B batch, T time,
// C model dim, NH query heads, NKV key/value heads, HS head size (C = NH x HS), F SwiGLU hidden
// size, V vocabulary, N = B x T tokens.
//
// Conventions, as in llm.c: backward functions ACCUMULATE (+=) into parameter gradients and into
// input gradients, so that residual branches and gradient accumulation need no extra copies;
// callers zero gradients when a step starts. Every function is deterministic: the same inputs give
// bit-identical outputs whatever the thread count (given buffers at the same alignment: the
// backends allocate them 64-byte aligned). Matrix products go through Eigen; threads
// come from OpenMP (omp_set_num_threads), and each kernel splits its work into pieces whose
// bounds depend only on the shapes. Call the kernels from serial code, not from inside an OpenMP
// parallel region.
#ifndef MIXLAW_KERNELS_CPU_OPS_H_
#define MIXLAW_KERNELS_CPU_OPS_H_

#include <cstdint>

namespace mixlaw::cpu {

// out = inp @ weight^T (a Hugging Face Linear without bias; weight is (out_features, in_features)).
// out (N, OC), inp (N, C), weight (OC, C). Overwrites out.
void MatmulForward(float* out, const float* inp, const float* weight, int N, int C, int OC);
// dinp (N, C) += dout @ weight; dweight (OC, C) += dout^T @ inp. dinp may be null.
void MatmulBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                    const float* weight, int N, int C, int OC);

// out[n] = wte[tokens[n]]. out (N, C), tokens (N), wte (V, C).
void EmbeddingForward(float* out, const int32_t* tokens, const float* wte, int N, int C);
// dwte (V, C) += scatter of dout (N, C) by token.
void EmbeddingBackward(float* dwte, const float* dout, const int32_t* tokens, int N, int C);

// RMSNorm: out = inp / sqrt(mean(inp^2) + eps) * weight. out, inp (N, C), weight (C).
// Stores rstd (N) = 1 / sqrt(mean(inp^2) + eps) for the backward pass.
void RmsNormForward(float* out, float* rstd, const float* inp, const float* weight, float eps,
                    int N, int C);
// dinp (N, C) += ..., dweight (C) += ...
void RmsNormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int N, int C);

// The RoPE table in Hugging Face's layout: for position t and i < HS/2,
// cos[t, i] = cos[t, i + HS/2] = cos(t * theta^(-2i/HS)), sin likewise. cos, sin (T, HS).
// Computed in fp32 in the same steps as transformers' LlamaRotaryEmbedding. REQUIRES: HS even.
void RopeTable(float* cos, float* sin, int T, int HS, float theta);
// Rotates x (B, T, H, HS) in place: x' = x * cos + rotate_half(x) * sin, where
// rotate_half(x) = concat(-x[HS/2:], x[:HS/2]).
void RopeForward(float* x, const float* cos, const float* sin, int B, int T, int H, int HS);
// The inverse rotation, in place: turns dL/dx' into dL/dx.
void RopeBackward(float* dx, const float* cos, const float* sin, int B, int T, int H, int HS);

// Causal grouped-query attention: query head h reads key/value head h / (NH / NKV).
// REQUIRES: NH a multiple of NKV.
// out (B, T, NH, HS), q (B, T, NH, HS), k, v (B, T, NKV, HS); att (B, NH, T, T) keeps the
// softmax probabilities (zero above the diagonal) for the backward pass. Scale 1/sqrt(HS).
void AttentionForward(float* out, float* att, const float* q, const float* k, const float* v, int B,
                      int T, int NH, int NKV, int HS);
// dq (B, T, NH, HS) += ..., dk, dv (B, T, NKV, HS) += ...
void AttentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* att,
                       const float* q, const float* k, const float* v, int B, int T, int NH,
                       int NKV, int HS);

// SwiGLU: out = silu(gate) * up. out, gate, up (N, F).
void SwigluForward(float* out, const float* gate, const float* up, int N, int F);
// dgate, dup (N, F) += ...
void SwigluBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                    int N, int F);

// Softmax cross-entropy over logits (N, V) with targets (N): losses (N) in nats. Targets < 0 are
// ignored (loss 0); others must be < V. Returns the mean loss over counted targets (0 if none).
double CrossEntropyForward(float* losses, const float* logits, const int32_t* targets, int N,
                           int V);
// Overwrites logits (N, V) with dL/dlogits for L = scale x sum of counted losses:
// (softmax - onehot) x scale. Ignored targets get zero rows.
void CrossEntropyBackward(float* logits, const int32_t* targets, float scale, int N, int V);

// y += x, over n floats.
void AddInPlace(float* y, const float* x, int64_t n);

// Sum of squares over n floats, accumulated in double in a fixed order.
double SumOfSquares(const float* x, int64_t n);

// One AdamW step on n parameters, in torch.optim.AdamW's order of operations: m, v are the first
// and second moments, `step` counts from 1 (bias correction). Decoupled weight decay:
// param -= lr * weight_decay * param (pass 0 for norms and other parameters that are not decayed).
void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                 float beta1, float beta2, float eps, float weight_decay, int64_t step);

// The per-step scalars of an AdamW step, computed in double as PyTorch computes them and then
// used in fp32; every backend's AdamWUpdate takes them from here.
struct AdamWScalars {
  float decay;                  // 1 - lr * weight_decay
  float lerp_weight;            // 1 - beta1
  float one_minus_beta2;        // 1 - beta2
  float step_size;              // lr / (1 - beta1^step)
  float bias_correction2_sqrt;  // sqrt(1 - beta2^step)
};
AdamWScalars MakeAdamWScalars(float lr, float beta1, float beta2, float weight_decay, int64_t step);

}  // namespace mixlaw::cpu

#endif  // MIXLAW_KERNELS_CPU_OPS_H_
