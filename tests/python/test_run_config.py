"""RUN.json as the worker writes it, and bad fields named with their JSON path."""

import json

import pytest

from mixlaw_torch.protocol import UsageError
from mixlaw_torch.run_config import parse_run_config

DOC_EXAMPLE = {
    "protocol": 1, "run_id": 12, "run_name": "s1/almr0.25/lr0.003/seed0", "sweep": "demo",
    "stage": "cpt", "almr": 0.25, "peak_lr": 0.003, "seed": 0,
    "model": {"name": "s1", "dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2,
              "ffn_dim": 192, "vocab_size": 3072, "max_seq_len": 128, "rope_theta": 500000,
              "norm_eps": 1e-5, "tied_embeddings": False, "params": 98624},
    "data": {"base": "/data/en", "additional": "/data/zh"},
    "training": {"tokens": 307200, "batch_size": 16, "seq_len": 128, "grad_accum": 1,
                 "schedule": {"kind": "cosine", "warmup_frac": 0.05, "min_lr_ratio": 0.1},
                 "eval_every": 50, "checkpoint_every": 0, "weight_decay": 0.1, "grad_clip": 1.0,
                 "beta1": 0.9, "beta2": 0.95, "adam_eps": 1e-8, "spike_factor": 3.0},
    "output_dir": "/runs/demo/s1/almr0.25/lr0.003/seed0",
    "init_checkpoint": "/runs/demo/s1/pretrain/final", "resume_checkpoint": "", "device": "cpu"}


def test_the_documented_example_parses():
    c = parse_run_config(json.dumps(DOC_EXAMPLE))
    assert c.model.dim == 64 and c.model.n_kv_heads == 2 and c.training.total_steps == 150
    assert c.training.tokens_per_step == 2048 and c.training.schedule.kind == "cosine"
    assert c.init_checkpoint.endswith("pretrain/final") and c.almr == 0.25


def test_precision_is_auto_unless_the_run_names_one():
    assert parse_run_config(json.dumps(DOC_EXAMPLE)).training.precision == "auto"
    j = json.loads(json.dumps(DOC_EXAMPLE))
    j["training"]["precision"] = "fp32"
    assert parse_run_config(json.dumps(j)).training.precision == "fp32"


def test_a_size_only_model_has_no_architecture():
    j = dict(DOC_EXAMPLE, model={"name": "llama3-8b", "params": 6.98e9})
    assert parse_run_config(json.dumps(j)).model is None


def test_every_bad_field_is_named_with_its_path():
    j = json.loads(json.dumps(DOC_EXAMPLE))
    j["protocol"] = 2
    j["almr"] = 1.5
    j["training"]["batch_size"] = 0
    j["training"]["schedule"]["kind"] = "linear"
    j["training"]["precision"] = "fp16"
    del j["output_dir"]
    with pytest.raises(UsageError) as e:
        parse_run_config(json.dumps(j), "runs/RUN.json")
    text = str(e.value)
    for expected in ("runs/RUN.json: protocol: 2 is newer than this trainer's 1",
                     "runs/RUN.json: almr: must be a number >= 0 and <= 1 (got 1.5)",
                     "runs/RUN.json: training.batch_size: must be an integer >= 1 (got 0)",
                     "runs/RUN.json: training.schedule.kind: 'linear' is not a schedule",
                     "runs/RUN.json: training.precision: 'fp16' is not a precision",
                     "runs/RUN.json: output_dir: is required"):
        assert expected in text, text
    assert e.value.exit_code == 2


def test_not_json_is_a_usage_error_naming_the_file():
    with pytest.raises(UsageError, match="RUN.json: not valid JSON"):
        parse_run_config("{", "RUN.json")
