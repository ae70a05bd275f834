// The CUDA compute kernels of the Llama trainer: the launchers of kernels/cuda/*.cu, with the
// signatures, shapes and semantics of kernels/cpu/ops.h (read that file for the contract of each),
// over device buffers. As there, backward functions ACCUMULATE (+=) into gradients.
//
// fp32 only in this first step: fp32 storage, fp32 arithmetic, cuBLAS without TF32. bf16 weights
// and activations with fp32 master weights come in a later step.
//
// Every function here is deterministic (the same inputs give the same bits from run to run on the
// same GPU): reductions run in a fixed order, and nothing adds floats with atomics. Kernels run on
// the default stream; the functions return once their work is queued, except
// CrossEntropyForward, SumOfSquares and EmbeddingBackward, which copy to or from the host.
#ifndef MIXLAW_KERNELS_CUDA_OPS_H_
#define MIXLAW_KERNELS_CUDA_OPS_H_

#include <cstdint>

namespace mixlaw::cuda {

// out (N, OC) = inp (N, C) @ weight (OC, C)^T. cuBLAS sgemm.
void MatmulForward(float* out, const float* inp, const float* weight, int N, int C, int OC);
// dinp (N, C) += dout @ weight; dweight (OC, C) += dout^T @ inp. dinp may be null.
void MatmulBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                    const float* weight, int N, int C, int OC);
// The same two in bf16 mixed precision (matmul_bf16.cu): fp32 in and out, bf16 operands, fp32
// sums.
void MatmulForwardBf16(float* out, const float* inp, const float* weight, int N, int C, int OC);
void MatmulBackwardBf16(float* dinp, float* dweight, const float* dout, const float* inp,
                        const float* weight, int N, int C, int OC);

// out (N, C)[n] = wte (V, C)[tokens[n]].
void EmbeddingForward(float* out, const int32_t* tokens, const float* wte, int N, int C);
// dwte (V, C) += scatter of dout (N, C) by token, each row's tokens added in token order (the
// CPU backend's order, so the result is bit-identical to it).
void EmbeddingBackward(float* dwte, const float* dout, const int32_t* tokens, int N, int C);

// out, inp (N, C), weight (C), rstd (N).
void RmsNormForward(float* out, float* rstd, const float* inp, const float* weight, float eps,
                    int N, int C);
// dinp (N, C) += ..., dweight (C) += ...
void RmsNormBackward(float* dinp, float* dweight, const float* dout, const float* inp,
                     const float* weight, const float* rstd, int N, int C);

// cos, sin (T, HS): computed on the host by the CPU backend's RopeTable and copied, so that both
// backends (and PyTorch) use the same table.
void RopeTable(float* cos, float* sin, int T, int HS, float theta);
// x (B, T, H, HS) rotated in place; the backward applies the inverse rotation.
void RopeForward(float* x, const float* cos, const float* sin, int B, int T, int H, int HS);
void RopeBackward(float* dx, const float* cos, const float* sin, int B, int T, int H, int HS);

// Causal grouped-query attention. out, q (B, T, NH, HS); k, v (B, T, NKV, HS); att (B, NH, T, T)
// the softmax probabilities, zero above the diagonal.
void AttentionForward(float* out, float* att, const float* q, const float* k, const float* v, int B,
                      int T, int NH, int NKV, int HS);
// dq (B, T, NH, HS) += ..., dk, dv (B, T, NKV, HS) += ...
void AttentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* att,
                       const float* q, const float* k, const float* v, int B, int T, int NH,
                       int NKV, int HS);

// out, gate, up (N, F).
void SwigluForward(float* out, const float* gate, const float* up, int N, int F);
// dgate, dup (N, F) += ...
void SwigluBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up,
                    int N, int F);

// losses (N), logits (N, V), targets (N), on the device; returns the mean over counted targets,
// reduced on the device and copied back.
double CrossEntropyForward(float* losses, const float* logits, const int32_t* targets, int N,
                           int V);
// logits (N, V) overwritten with (softmax - onehot) x scale; ignored targets give zero rows.
void CrossEntropyBackward(float* logits, const int32_t* targets, float scale, int N, int V);

// y += x over n floats.
void AddInPlace(float* y, const float* x, int64_t n);
// x *= factor over n floats.
void Scale(float* x, float factor, int64_t n);
// Sum of squares of n floats in double, in a fixed two-pass order (no atomics).
double SumOfSquares(const float* x, int64_t n);

// One AdamW step in torch.optim.AdamW's order of operations. param, grad, m, v: n floats each,
// all on the device.
void AdamWUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                 float beta1, float beta2, float eps, float weight_decay, int64_t step);

}  // namespace mixlaw::cuda

#endif  // MIXLAW_KERNELS_CUDA_OPS_H_
