#!/usr/bin/env python3
"""transformers' own LlamaForCausalLM for hf_transformers_test: logits of a checkpoint folder.

Usage:
  hf_transformers.py logits DIR BATCH.json OUT.safetensors
      loads DIR with LlamaForCausalLM.from_pretrained (float32) and writes its logits of the
      batch's inputs as "logits" (B, T, V).
  hf_transformers.py create DIR CONFIG.json BATCH.json OUT.safetensors
      builds a LlamaForCausalLM from CONFIG.json (a LlamaConfig's fields) with transformers' own
      initialisation (seed 0), writes it with save_pretrained to DIR and its logits to OUT.

BATCH.json is {"inputs": [[...], ...]}.
"""
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM


def logits_of(model, batch_path):
    inputs = torch.tensor(json.load(open(batch_path))["inputs"], dtype=torch.long)
    with torch.no_grad():
        return model(input_ids=inputs).logits.float().contiguous()


def main():
    mode = sys.argv[1]
    if mode == "logits":
        folder, batch, out = sys.argv[2:5]
        model = LlamaForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
    elif mode == "create":
        folder, config, batch, out = sys.argv[2:6]
        torch.manual_seed(0)
        model = LlamaForCausalLM(LlamaConfig(**json.load(open(config)))).float().eval()
        model.save_pretrained(folder, safe_serialization=True)
    else:
        sys.exit(f"unknown mode {mode}")
    save_file({"logits": logits_of(model, batch)}, out)


if __name__ == "__main__":
    main()
