#!/usr/bin/env python3
"""The trainer benchmark's peer: the same Llama model in PyTorch eager on the CPU.

Same configs as bench/trainer_bench (A, B, and D: the demo's target), AdamW and gradient clipping, random tokens, the
same thread count. Prints tokens/s, peak memory and the fp32 2048^3 matrix-product GFLOP/s of
this machine (the peak MFU is measured against) as JSON.
"""
import argparse
import json
import resource
import time

import torch
import torch.nn.functional as F

CONFIGS = {
    "A": dict(dim=128, layers=4, heads=4, kv=2, ffn=384, B=16, T=128, vocab=260),
    "B": dict(dim=256, layers=6, heads=8, kv=4, ffn=768, B=8, T=256, vocab=260),
    "D": dict(dim=96, layers=3, heads=4, kv=2, ffn=384, B=16, T=128, vocab=3072),
}


class RMSNorm(torch.nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv = c["dim"], c["heads"], c["kv"]
        self.hs = d // self.h
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.q = torch.nn.Linear(d, d, bias=False)
        self.k = torch.nn.Linear(d, self.kv * self.hs, bias=False)
        self.v = torch.nn.Linear(d, self.kv * self.hs, bias=False)
        self.o = torch.nn.Linear(d, d, bias=False)
        self.gate = torch.nn.Linear(d, c["ffn"], bias=False)
        self.up = torch.nn.Linear(d, c["ffn"], bias=False)
        self.down = torch.nn.Linear(c["ffn"], d, bias=False)

    def forward(self, x, cos, sin):
        B, T, C = x.shape
        h = self.n1(x)
        q = self.q(h).view(B, T, self.h, self.hs).transpose(1, 2)
        k = self.k(h).view(B, T, self.kv, self.hs).transpose(1, 2)
        v = self.v(h).view(B, T, self.kv, self.hs).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(self.h // self.kv, dim=1)
        v = v.repeat_interleave(self.h // self.kv, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True) \
            if hasattr(F, "scaled_dot_product_attention") else self.attention(q, k, v, T)
        x = x + self.o(a.transpose(1, 2).reshape(B, T, C))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))

    def attention(self, q, k, v, T):
        mask = torch.full((T, T), float("-inf")).triu(1)
        att = torch.softmax(q @ k.transpose(-1, -2) / self.hs ** 0.5 + mask, dim=-1)
        return att @ v


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = torch.nn.Embedding(c["vocab"], c["dim"])
        self.blocks = torch.nn.ModuleList([Block(c) for _ in range(c["layers"])])
        self.norm = RMSNorm(c["dim"])
        self.head = torch.nn.Linear(c["dim"], c["vocab"], bias=False)
        hs, T = c["dim"] // c["heads"], c["T"]
        inv = 1.0 / (500000.0 ** (torch.arange(0, hs, 2).float() / hs))
        emb = torch.cat([torch.outer(torch.arange(T).float(), inv)] * 2, dim=-1)
        self.cos, self.sin = emb.cos()[None, None], emb.sin()[None, None]

    def forward(self, idx, targets):
        x = self.embed(idx)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        logits = self.head(self.norm(x))
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def matmul_peak_gflops():
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.time()
    for _ in range(3):
        a @ b
    return 2 * n ** 3 * 3 / (time.time() - start) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="A", choices=sorted(CONFIGS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    c = CONFIGS[args.config]
    model = Llama(c)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)

    def step():
        idx = torch.randint(0, c["vocab"], (c["B"], c["T"]))
        tgt = torch.randint(0, c["vocab"], (c["B"], c["T"]))
        opt.zero_grad(set_to_none=True)
        loss = model(idx, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(3):
        step()
    start = time.time()
    for _ in range(args.steps):
        step()
    seconds = time.time() - start
    tokens_per_s = c["B"] * c["T"] * args.steps / seconds
    n_params = sum(p.numel() for p in model.parameters())
    flops = 6 * n_params + 12 * c["layers"] * c["dim"] * c["T"]
    result = {
        "peer": f"pytorch {torch.__version__} eager, {args.threads} threads",
        "config": args.config,
        "params": n_params,
        "tokens_per_s": tokens_per_s,
        "step_ms": seconds / args.steps * 1000,
        "model_gflops": tokens_per_s * flops / 1e9,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "matmul_peak_gflops": matmul_peak_gflops(),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
