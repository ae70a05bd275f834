"""Fixtures of the PyTorch package's tests: the mixlaw binary, prepared demo data, RUN.json files.

CTest runs each file with MIXLAW_BINARY and MIXLAW_MIXING_DUMP set (tests/CMakeLists.txt); run
by hand, they default to the build folder's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SOURCE / "python"))
BUILD = Path(os.environ.get("BUILD", SOURCE / "build"))
MIXLAW = os.environ.get("MIXLAW_BINARY", str(BUILD / "cli" / "mixlaw"))
MIXING_DUMP = os.environ.get("MIXLAW_MIXING_DUMP", str(BUILD / "tests" / "mixing_loader_dump"))
TRAIN_CPT = SOURCE / "python" / "train_cpt.py"
VENV_BIN = SOURCE / ".venv" / "bin"


def tiny_model(vocab_size: int, **overrides) -> dict:
    """A tiny Llama in RUN.json's model form."""
    model = {"name": "tiny", "dim": 32, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2,
             "ffn_dim": 64, "vocab_size": vocab_size, "max_seq_len": 64, "rope_theta": 500000,
             "norm_eps": 1e-5, "tied_embeddings": False}
    model.update(overrides)
    return model


def run_json(directory: Path, data: Path, **fields) -> Path:
    """Writes DIRECTORY/RUN.json for a CPT run on the prepared `data`; `fields` override."""
    meta = json.loads((data / "base" / "meta.json").read_text())
    config = {"protocol": 1, "run_id": 1, "run_name": "tiny/almr0.5/lr0.003/seed0", "sweep": "t",
              "stage": "cpt", "almr": 0.5, "peak_lr": 3e-3, "seed": 0,
              "model": tiny_model(meta["tokenizer"]["vocab_size"]),
              "data": {"base": str(data / "base"), "additional": str(data / "additional")},
              "training": {"tokens": 8 * 32 * 12, "batch_size": 8, "seq_len": 32,
                           "eval_every": 4, "checkpoint_every": 0,
                           "schedule": {"kind": "cosine", "warmup_frac": 0.1, "min_lr_ratio": 0.1}},
              "output_dir": str(directory), "init_checkpoint": "", "resume_checkpoint": "",
              "device": "cpu"}
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "RUN.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def protocol_lines(stdout: str) -> list[dict]:
    """The JSON object lines a trainer printed."""
    out = []
    for line in stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def losses(lines: list[dict], split: str) -> dict[int, float]:
    return {l["step"]: l["loss"] for l in lines if l.get("split") == split}


def train_cpt(config: Path, *args: str, nproc: int = 1, env: dict | None = None,
              timeout: int = 600) -> subprocess.CompletedProcess:
    """train_cpt.py on RUN.json `config`: directly, or under torchrun with `nproc` ranks (gloo)."""
    if nproc == 1:
        argv = [str(VENV_BIN / "python"), str(TRAIN_CPT)]
    else:
        argv = [str(VENV_BIN / "torchrun"), "--standalone", f"--nproc_per_node={nproc}",
                str(TRAIN_CPT)]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(argv + ["--config", str(config), *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=config.parent)


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """Debian's English and Chinese fortunes prepared by `mixlaw data prepare` (byte tokens)."""
    out = tmp_path_factory.mktemp("data") / "bytes"
    subprocess.run([MIXLAW, "data", "prepare", "--demo", "--tokenizer", "bytes", "--out", str(out)],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def base_model(tmp_path_factory, demo_data) -> Path:
    """A tiny English base model: 30 steps of the builtin trainer's pretraining on demo_data."""
    directory = tmp_path_factory.mktemp("pretrain")
    config = run_json(directory, demo_data, stage="pretrain", almr=0.0, peak_lr=1e-2,
                      run_name="tiny/pretrain",
                      training={"tokens": 8 * 32 * 30, "eval_every": 0})
    done = subprocess.run([MIXLAW, "train", "--config", str(config)], capture_output=True,
                          text=True, cwd=directory, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    return directory / "final"
