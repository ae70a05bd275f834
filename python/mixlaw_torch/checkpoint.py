"""Checkpoint folders: Hugging Face Llama layout, plus what exact resumption needs.

A folder holds what transformers' `save_pretrained` writes (config.json, and model.safetensors or
shards listed by model.safetensors.index.json), and, for resumption, optimizer.safetensors (AdamW
moments `NAME.exp_avg`, `NAME.exp_avg_sq` under the Hugging Face parameter names) and
trainer_state.json (the step, the lowest training loss, the data loader's position). The builtin
C++ trainer writes and reads the same files (docs/trainer.md), so either trainer can continue
from the other's base model. Every problem raises UsageError naming the file.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from typing import Optional

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .protocol import UsageError
from .run_config import ModelArchitecture

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
INDEX = "model.safetensors.index.json"
OPTIMIZER = "optimizer.safetensors"
STATE = "trainer_state.json"


def read_json(path: str) -> dict:
    """A JSON object from `path`; UsageError naming the file otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path}: must be a JSON object")
    return value


def hf_config(arch: ModelArchitecture) -> "transformers.LlamaConfig":  # noqa: F821
    """The transformers LlamaConfig of an architecture (the fields HfLlamaConfig writes in C++)."""
    from transformers import LlamaConfig

    return LlamaConfig(hidden_size=arch.dim, intermediate_size=arch.ffn_dim,
                       num_hidden_layers=arch.n_layers, num_attention_heads=arch.n_heads,
                       num_key_value_heads=arch.n_kv_heads, vocab_size=arch.vocab_size,
                       max_position_embeddings=arch.max_seq_len, rms_norm_eps=arch.norm_eps,
                       rope_theta=arch.rope_theta, tie_word_embeddings=arch.tied_embeddings,
                       hidden_act="silu", attention_bias=False, mlp_bias=False)


def load_hf_config(folder: str) -> "transformers.LlamaConfig":  # noqa: F821
    """FOLDER/config.json as a LlamaConfig; refuses other model types and RoPE scaling it lacks."""
    from transformers import LlamaConfig

    path = os.path.join(folder, CONFIG)
    raw = read_json(path)
    model_type = raw.get("model_type")
    if model_type != "llama":
        raise UsageError(f"{path}: model_type: {json.dumps(model_type)} is not a Llama model "
                         "(expected \"llama\")")
    for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "vocab_size"):
        if not isinstance(raw.get(key), int) or isinstance(raw.get(key), bool) or raw[key] < 1:
            raise UsageError(f"{path}: {key}: must be an integer >= 1")
    if raw.get("rope_scaling") is not None:
        raise UsageError(f"{path}: rope_scaling: is not supported (only plain RoPE, as the builtin "
                         "trainer)")
    fields = {k: v for k, v in raw.items() if k not in ("architectures", "transformers_version")}
    return LlamaConfig(**fields)


def architecture_of(config: "transformers.LlamaConfig") -> ModelArchitecture:  # noqa: F821
    return ModelArchitecture(
        dim=config.hidden_size, n_layers=config.num_hidden_layers,
        n_heads=config.num_attention_heads,
        n_kv_heads=config.num_key_value_heads or config.num_attention_heads,
        ffn_dim=config.intermediate_size, vocab_size=config.vocab_size,
        max_seq_len=config.max_position_embeddings, rope_theta=float(config.rope_theta),
        norm_eps=float(config.rms_norm_eps), tied_embeddings=bool(config.tie_word_embeddings))


def check_same_architecture(run: ModelArchitecture, folder: str, have: ModelArchitecture) -> None:
    """Raises UsageError when a checkpoint's model is not the one RUN.json describes."""
    keys = ("dim", "n_layers", "n_heads", "n_kv_heads", "ffn_dim", "vocab_size", "tied_embeddings")
    diff = [f"{k} {getattr(have, k)} (RUN.json: {getattr(run, k)})" for k in keys
            if getattr(have, k) != getattr(run, k)]
    if diff:
        raise UsageError(f"{os.path.join(folder, CONFIG)}: the checkpoint's model is not the "
                         f"run's: {', '.join(diff)}")


def _load_safetensors(path: str) -> dict[str, torch.Tensor]:
    if not os.path.exists(path):
        raise UsageError(f"{path}: missing")
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise UsageError(f"{path}: not a safetensors file ({e})") from None


def load_weights(path: str) -> dict[str, torch.Tensor]:
    """Every tensor of a checkpoint: a folder (single file or index of shards) or one file.

    Shards named by the index must all exist; a tensor the index places in a shard must be in it.
    """
    if not os.path.isdir(path):
        return _load_safetensors(path)
    index_path = os.path.join(path, INDEX)
    if not os.path.exists(index_path):
        return _load_safetensors(os.path.join(path, WEIGHTS))
    index = read_json(index_path)
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise UsageError(f"{index_path}: weight_map: must be an object naming each tensor's shard")
    shards = sorted(set(weight_map.values()))
    missing = [s for s in shards if not os.path.exists(os.path.join(path, s))]
    if missing:
        raise UsageError(f"{index_path}: shard {missing[0]} is missing from {path}"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    tensors: dict[str, torch.Tensor] = {}
    for shard in shards:
        tensors.update(_load_safetensors(os.path.join(path, shard)))
    absent = [name for name, shard in weight_map.items() if name not in tensors]
    if absent:
        raise UsageError(f"{os.path.join(path, weight_map[absent[0]])}: tensor {absent[0]} is "
                         f"missing (the index places it there)")
    return tensors


def fill_model(model: torch.nn.Module, tensors: dict[str, torch.Tensor], source: str) -> None:
    """Copies `tensors` into the model's parameters by Hugging Face name, checking every shape.

    Every parameter must be present (a tied head may be absent); an unknown tensor is an error.
    """
    state = model.state_dict()
    tied = getattr(model.config, "tie_word_embeddings", False)
    for name, target in state.items():
        if name not in tensors:
            if tied and name == "lm_head.weight":
                continue
            raise UsageError(f"{source}: tensor {name} is missing")
        have = tensors[name]
        if tuple(have.shape) != tuple(target.shape):
            raise UsageError(f"{source}: tensor {name} has shape {list(have.shape)}, the model "
                             f"needs {list(target.shape)}")
    unknown = [n for n in tensors if n not in state and not n.endswith("rotary_emb.inv_freq")]
    if unknown:
        raise UsageError(f"{source}: tensor {unknown[0]} does not belong to this model")
    with torch.no_grad():
        for name, target in state.items():
            if name in tensors:
                target.copy_(tensors[name].to(target.dtype))


def initialise(model: torch.nn.Module, seed: int) -> None:
    """New weights as the builtin trainer draws them (docs/trainer.md), from torch's generator.

    Norms 1; projections and the head N(0, 1/fan_in), o_proj and down_proj narrowed by
    1/sqrt(2 n_layers); the embedding N(0, 1), or N(0, 1/dim) when tied to the head.
    """
    g = torch.Generator().manual_seed(seed)
    n_layers = model.config.num_hidden_layers
    tied = model.config.tie_word_embeddings
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.fill_(1.0)
                continue
            if name.endswith("embed_tokens.weight"):
                std = 1.0 / math.sqrt(p.shape[1]) if tied else 1.0
            else:
                std = 1.0 / math.sqrt(p.shape[1])
                if name.endswith(("o_proj.weight", "down_proj.weight")):
                    std /= math.sqrt(2 * n_layers)
            p.copy_(torch.randn(p.shape, generator=g) * std)


def save_checkpoint(folder: str, model: torch.nn.Module, weights: dict[str, torch.Tensor],
                    moments: Optional[dict[str, torch.Tensor]], state: Optional[dict],
                    tokenizer_model: str = "") -> None:
    """Writes a checkpoint folder at once: into FOLDER.partial-PID, fsynced, renamed over FOLDER.

    The weights go through transformers' save_pretrained (config.json, model.safetensors, or
    shards with their index past 5 GB); `moments` (AdamW's, by parameter name) and `state`
    (trainer_state.json) beside them when given, and a copy of the tokenizer model.
    """
    partial = f"{folder}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, state_dict=weights, safe_serialization=True)
    if moments is not None:
        save_file({k: v.detach().contiguous().cpu() for k, v in moments.items()},
                  os.path.join(partial, OPTIMIZER))
    if state is not None:
        with open(os.path.join(partial, STATE), "w", encoding="utf-8") as f:
            json.dump(state, f, indent=2)
            f.write("\n")
    if tokenizer_model:
        shutil.copyfile(tokenizer_model, os.path.join(partial, "tokenizer.model"))
    for name in os.listdir(partial):
        with open(os.path.join(partial, name), "rb") as f:
            os.fsync(f.fileno())
    # The old folder is moved aside before the new one takes its name, and removed after: at every
    # moment one whole checkpoint is on disk.
    old = f"{folder}.old-{os.getpid()}"
    if os.path.exists(folder):
        os.rename(folder, old)
    os.rename(partial, folder)
    shutil.rmtree(old, ignore_errors=True)


def load_moments(folder: str, names: list[str]) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """FOLDER/optimizer.safetensors as {name: (exp_avg, exp_avg_sq)} for every parameter named."""
    path = os.path.join(folder, OPTIMIZER)
    tensors = _load_safetensors(path)
    out = {}
    for name in names:
        pair = tensors.get(name + ".exp_avg"), tensors.get(name + ".exp_avg_sq")
        if pair[0] is None or pair[1] is None:
            raise UsageError(f"{path}: tensor {name}.exp_avg or {name}.exp_avg_sq is missing")
        out[name] = pair
    if len(tensors) != 2 * len(names):
        raise UsageError(f"{path}: holds tensors this model does not have")
    return out
