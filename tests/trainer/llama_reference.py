#!/usr/bin/env python3
"""PyTorch reference for the Llama trainer's tests: the same model written with torch autograd.

Usage: llama_reference.py WEIGHTS.safetensors CONFIG.json BATCH.json OUT.safetensors

Reads the weights (Hugging Face Llama names), the Hugging Face config and a batch
({"inputs": [[...]], "targets": [[...]]}), computes the mean cross-entropy and the gradient of
every parameter with autograd in float64 (so that the reference itself adds no rounding error),
and writes them as OUT.safetensors: "loss" (a 1-element tensor) and "grad.<name>" per parameter.
The model follows transformers' modeling_llama: RMSNorm, RoPE with rotate_half, grouped-query
attention by repeating key/value heads, SwiGLU.
"""
import json
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
    return tensors


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def main():
    weights_path, config_path, batch_path, out_path = sys.argv[1:5]
    cfg = json.load(open(config_path))
    batch = json.load(open(batch_path))
    dt = torch.float64
    params = {k: torch.tensor(np.array(v), dtype=dt, requires_grad=True)
              for k, v in read_safetensors(weights_path).items()}
    inputs = torch.tensor(batch["inputs"], dtype=torch.long)
    targets = torch.tensor(batch["targets"], dtype=torch.long)
    B, T = inputs.shape
    C, NH = cfg["hidden_size"], cfg["num_attention_heads"]
    NKV = cfg.get("num_key_value_heads", NH)
    HS, eps = C // NH, cfg["rms_norm_eps"]

    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, HS, 2, dtype=dt) / HS))
    freqs = torch.outer(torch.arange(T, dtype=dt), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]  # (1, 1, T, HS)
    mask = torch.full((T, T), float("-inf"), dtype=dt).triu(1)

    x = params["model.embed_tokens.weight"][inputs]
    for i in range(cfg["num_hidden_layers"]):
        p = lambda n: params[f"model.layers.{i}.{n}.weight"]
        h = rms_norm(x, p("input_layernorm"), eps)
        q = (h @ p("self_attn.q_proj").T).view(B, T, NH, HS).transpose(1, 2)
        k = (h @ p("self_attn.k_proj").T).view(B, T, NKV, HS).transpose(1, 2)
        v = (h @ p("self_attn.v_proj").T).view(B, T, NKV, HS).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / HS ** 0.5 + mask, dim=-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + a @ p("self_attn.o_proj").T
        h = rms_norm(x, p("post_attention_layernorm"), eps)
        gate, up = h @ p("mlp.gate_proj").T, h @ p("mlp.up_proj").T
        x = x + (torch.nn.functional.silu(gate) * up) @ p("mlp.down_proj").T
    x = rms_norm(x, params["model.norm.weight"], eps)
    head = params.get("lm_head.weight", params["model.embed_tokens.weight"])
    logits = x @ head.T
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             targets.reshape(-1), ignore_index=-1)
    loss.backward()
    out = {"loss": np.array([loss.item()]), "logits": logits.detach().numpy()}
    for name, tensor in params.items():
        out["grad." + name] = tensor.grad.numpy()
    write_safetensors(out_path, out)


if __name__ == "__main__":
    main()
