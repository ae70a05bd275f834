#!/usr/bin/env python3
"""Writes a checkpoint directory the way Hugging Face's save_pretrained does for a bf16 Llama.

Usage: hf_checkpoint.py SRC_DIR DST_DIR

Reads SRC_DIR/model.safetensors (F32) and SRC_DIR/config.json, and writes DST_DIR with the
weights rounded to bfloat16 (round to nearest even, as torch does), tensors in a different order
than mixlaw writes them, the `__metadata__` {"format": "pt"}, and a config.json carrying the
fields transformers adds (torch_dtype bfloat16, bos/eos ids, transformers_version, ...).
"""
import json
import os
import struct
import sys

import numpy as np


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
    return out


def to_bf16(array):
    bits = np.ascontiguousarray(array, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2")


def main():
    src, dst = sys.argv[1:3]
    os.makedirs(dst, exist_ok=True)
    tensors = read(os.path.join(src, "model.safetensors"))
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors, reverse=True):
        raw = to_bf16(tensors[name]).tobytes()
        header[name] = {"dtype": "BF16", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    with open(os.path.join(dst, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    config = json.load(open(os.path.join(src, "config.json")))
    config.update({"torch_dtype": "bfloat16", "bos_token_id": 1, "eos_token_id": 2,
                   "initializer_range": 0.02, "pretraining_tp": 1, "use_cache": True,
                   "rope_scaling": None, "transformers_version": "4.40.0"})
    json.dump(config, open(os.path.join(dst, "config.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
