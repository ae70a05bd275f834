"""RUN.json (docs/trainer-protocol.md): everything a trainer is told about one run.

`load_run_config` checks the file whole and raises `UsageError` listing every problem with its
JSON path (`RUN.json: training.batch_size: must be an integer >= 1`), as the C++ reader does.
Fields this trainer does not use are accepted, so newer workers can add them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from . import PROTOCOL_VERSION
from .protocol import UsageError
from .schedule import Schedule


@dataclass(frozen=True)
class ModelArchitecture:
    """A Llama architecture as RUN.json's `model` gives it (absent for size-only models)."""

    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    vocab_size: int
    max_seq_len: int = 2048
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    tied_embeddings: bool = False


@dataclass(frozen=True)
class TrainingConfig:
    tokens: int
    batch_size: int = 16  # sequences per micro-batch; a step is batch_size x grad_accum sequences
    seq_len: int = 128
    grad_accum: int = 1
    schedule: Schedule = field(default_factory=Schedule)
    eval_every: int = 0
    eval_at_start: bool = True
    checkpoint_every: int = 0
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.95
    adam_eps: float = 1e-8
    spike_factor: float = 3.0
    precision: str = "auto"  # "auto" (bf16 on CUDA, fp32 on CPU), "bf16" or "fp32"

    @property
    def sequences_per_step(self) -> int:
        """The global batch: sequences in one optimizer step, over all ranks."""
        return self.batch_size * self.grad_accum

    @property
    def tokens_per_step(self) -> int:
        return self.sequences_per_step * self.seq_len

    @property
    def total_steps(self) -> int:
        """tokens / tokens_per_step, at least one."""
        return max(1, self.tokens // self.tokens_per_step)


@dataclass(frozen=True)
class RunConfig:
    protocol: int
    run_id: int
    run_name: str
    stage: str  # "pretrain" (base language only) or "cpt"
    almr: float
    peak_lr: float
    seed: int
    model_name: str
    model: Optional[ModelArchitecture]
    data_base: str
    data_additional: str
    training: TrainingConfig
    output_dir: str
    init_checkpoint: str
    resume_checkpoint: str
    device: str
    path: str = "RUN.json"


class _Reader:
    """Reads typed fields and collects problems, each with its JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.source}: {path}: {message}")

    def object(self, parent: dict, key: str, path: str, required: bool) -> Optional[dict]:
        if key not in parent:
            if required:
                self.problem(path, "is required")
            return None
        value = parent[key]
        if not isinstance(value, dict):
            self.problem(path, "must be an object")
            return None
        return value

    def integer(self, obj: dict, key: str, path: str, default: Optional[int], minimum: int) -> int:
        if key not in obj:
            if default is None:
                self.problem(path, "is required")
                return minimum
            return default
        value = obj[key]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(path, f"must be an integer >= {minimum} (got {json.dumps(value)})")
            return default if default is not None else minimum
        return value

    def number(self, obj: dict, key: str, path: str, default: Optional[float],
               low: float = -math.inf, high: float = math.inf, low_open: bool = False,
               high_open: bool = False) -> float:
        if key not in obj:
            if default is None:
                self.problem(path, "is required")
                return 0.0
            return default
        value = obj[key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok:
            ok = (value > low if low_open else value >= low) and (
                value < high if high_open else value <= high)
        if not ok:
            bound = f"> {low:g}" if low_open else f">= {low:g}"
            if high != math.inf:
                bound += f" and {'<' if high_open else '<='} {high:g}"
            self.problem(path, f"must be a number {bound} (got {json.dumps(value)})")
            return default if default is not None else 0.0
        return float(value)

    def string(self, obj: dict, key: str, path: str, default: Optional[str]) -> str:
        if key not in obj or obj[key] is None:
            if default is None:
                self.problem(path, "is required")
                return ""
            return default
        if not isinstance(obj[key], str):
            self.problem(path, f"must be a string (got {json.dumps(obj[key])})")
            return default or ""
        return obj[key]

    def boolean(self, obj: dict, key: str, path: str, default: bool) -> bool:
        if key not in obj:
            return default
        if not isinstance(obj[key], bool):
            self.problem(path, f"must be true or false (got {json.dumps(obj[key])})")
            return default
        return obj[key]


def _architecture(model: dict, r: _Reader) -> Optional[ModelArchitecture]:
    if "dim" not in model:
        return None
    i = lambda key, default=None, minimum=1: r.integer(model, key, f"model.{key}", default, minimum)
    n_heads = i("n_heads")
    arch = ModelArchitecture(
        dim=i("dim"), n_layers=i("n_layers"), n_heads=n_heads,
        n_kv_heads=i("n_kv_heads", n_heads), ffn_dim=i("ffn_dim"), vocab_size=i("vocab_size", None, 2),
        max_seq_len=i("max_seq_len", 2048),
        rope_theta=r.number(model, "rope_theta", "model.rope_theta", 10000.0, 0.0, low_open=True),
        norm_eps=r.number(model, "norm_eps", "model.norm_eps", 1e-5, 0.0, low_open=True),
        tied_embeddings=r.boolean(model, "tied_embeddings", "model.tied_embeddings", False))
    if arch.n_heads > 0 and (arch.dim % arch.n_heads or (arch.dim // arch.n_heads) % 2):
        r.problem("model.n_heads", f"{arch.n_heads} must divide dim {arch.dim} into an even head size")
    if arch.n_kv_heads > 0 and arch.n_heads % arch.n_kv_heads:
        r.problem("model.n_kv_heads", f"{arch.n_kv_heads} must divide n_heads {arch.n_heads}")
    return arch


def _training(t: dict, path: str, r: _Reader) -> TrainingConfig:
    i = lambda key, default, minimum: r.integer(t, key, f"{path}.{key}", default, minimum)
    n = lambda key, default, *bounds, **kw: r.number(t, key, f"{path}.{key}", default, *bounds, **kw)
    schedule = Schedule()
    if "schedule" in t:
        s = t["schedule"]
        if not isinstance(s, dict):
            r.problem(f"{path}.schedule", "must be an object")
        else:
            kind = r.string(s, "kind", f"{path}.schedule.kind", "cosine")
            if kind not in ("cosine", "wsd", "constant"):
                r.problem(f"{path}.schedule.kind",
                          f"'{kind}' is not a schedule (expected cosine, wsd or constant)")
            sp = f"{path}.schedule"
            schedule = Schedule(
                kind=kind,
                warmup_frac=r.number(s, "warmup_frac", f"{sp}.warmup_frac", 0.05, 0.0, 1.0,
                                     high_open=True),
                min_lr_ratio=r.number(s, "min_lr_ratio", f"{sp}.min_lr_ratio", 0.1, 0.0, 1.0),
                decay_frac=r.number(s, "decay_frac", f"{sp}.decay_frac", 0.2, 0.0, 1.0, low_open=True))
            if kind == "wsd" and schedule.warmup_frac + schedule.decay_frac > 1.0:
                r.problem(f"{sp}.decay_frac", "warmup_frac + decay_frac must not exceed 1")
    config = TrainingConfig(
        tokens=i("tokens", None, 1), batch_size=i("batch_size", 16, 1), seq_len=i("seq_len", 128, 2),
        grad_accum=i("grad_accum", 1, 1), schedule=schedule, eval_every=i("eval_every", 0, 0),
        eval_at_start=r.boolean(t, "eval_at_start", f"{path}.eval_at_start", True),
        checkpoint_every=i("checkpoint_every", 0, 0),
        weight_decay=n("weight_decay", 0.1, 0.0), grad_clip=n("grad_clip", 1.0, 0.0),
        beta1=n("beta1", 0.9, 0.0, 1.0, high_open=True), beta2=n("beta2", 0.95, 0.0, 1.0, high_open=True),
        adam_eps=n("adam_eps", 1e-8, 0.0, low_open=True),
        spike_factor=n("spike_factor", 3.0, 1.0, low_open=True),
        precision=r.string(t, "precision", f"{path}.precision", "auto"))
    if config.precision not in ("auto", "bf16", "fp32"):
        r.problem(f"{path}.precision",
                  f"'{config.precision}' is not a precision (expected auto, bf16 or fp32)")
    if config.tokens < config.tokens_per_step and not r.problems:
        r.problem(f"{path}.tokens", f"{config.tokens} is less than one step (batch_size x seq_len x "
                                    f"grad_accum = {config.tokens_per_step})")
    return config


def parse_run_config(text: str, source: str = "RUN.json") -> RunConfig:
    """Parses RUN.json text. Raises UsageError naming `source` and every bad field."""
    try:
        j: Any = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{source}: not valid JSON: {e}") from None
    if not isinstance(j, dict):
        raise UsageError(f"{source}: must be a JSON object")
    r = _Reader(source)
    protocol = r.integer(j, "protocol", "protocol", None, 1)
    if protocol > PROTOCOL_VERSION:
        r.problem("protocol", f"{protocol} is newer than this trainer's {PROTOCOL_VERSION}")
    stage = r.string(j, "stage", "stage", "cpt")
    if stage not in ("cpt", "pretrain"):
        r.problem("stage", f"'{stage}' is not a stage (expected pretrain or cpt)")
    model = r.object(j, "model", "model", True) or {}
    data = r.object(j, "data", "data", False) or {}
    training = r.object(j, "training", "training", True)
    config = RunConfig(
        protocol=protocol, run_id=r.integer(j, "run_id", "run_id", 0, 0),
        run_name=r.string(j, "run_name", "run_name", ""), stage=stage,
        almr=r.number(j, "almr", "almr", None, 0.0, 1.0),
        peak_lr=r.number(j, "peak_lr", "peak_lr", None, 0.0, low_open=True),
        seed=r.integer(j, "seed", "seed", 0, 0),
        model_name=r.string(model, "name", "model.name", ""), model=_architecture(model, r),
        data_base=r.string(data, "base", "data.base", ""),
        data_additional=r.string(data, "additional", "data.additional", ""),
        training=_training(training, "training", r) if training is not None else TrainingConfig(1),
        output_dir=r.string(j, "output_dir", "output_dir", None),
        init_checkpoint=r.string(j, "init_checkpoint", "init_checkpoint", ""),
        resume_checkpoint=r.string(j, "resume_checkpoint", "resume_checkpoint", ""),
        device=r.string(j, "device", "device", "cpu"), path=source)
    if r.problems:
        raise UsageError("\n".join(r.problems))
    return config


def load_run_config(path: str) -> RunConfig:
    """Reads and parses a RUN.json file; a missing or unreadable file is a UsageError."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    return parse_run_config(text, path)
