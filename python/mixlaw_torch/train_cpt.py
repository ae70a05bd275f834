"""The reference continual pre-training trainer for PyTorch stacks.

    torchrun --nproc-per-node 8 python/train_cpt.py --config RUN.json [--base-model DIR]

transformers' LlamaForCausalLM from a safetensors checkpoint folder (RUN.json's init_checkpoint,
else --base-model; a pretraining run without either starts from new weights drawn as the builtin
trainer draws them), AdamW with the spec's schedule, warmup, clipping and weight decay, the
builtin trainer's exact batches (`mixing`) split across ranks, gradient accumulation to the spec's
global batch (batch_size x grad_accum sequences a step, whatever the number of ranks), bf16
autocast on CUDA, DDP (gloo on CPU, NCCL on CUDA) or FSDP full sharding (--fsdp, CUDA), each
validation split evaluated whole, checkpoints in the Hugging Face layout with optimizer and data
state, and exact resumption. Rank 0 prints the protocol's lines; the exit code is the protocol's.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import traceback
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from . import PROTOCOL_VERSION
from .checkpoint import (STATE, architecture_of, check_same_architecture, hf_config, initialise,
                         load_hf_config, load_moments, load_weights, fill_model, read_json,
                         save_checkpoint)
from .distributed import Ranks, close, init_ranks, wrap_model
from .mixing import MixingLoader, eval_sequences, step_sequences
from .protocol import (EXIT_FAILURE, EXIT_STOPPED, EXIT_SUCCESS, Diverged, Reporter, StopSignal,
                       TrainerError, UsageError)
from .run_config import RunConfig, load_run_config
from .shards import PreparedLanguage, TokenSplit, check_same_tokenizer, load_prepared_language


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="train_cpt.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", "--mixlaw-config", required=True, help="the run's RUN.json")
    p.add_argument("--init", default="", help="base model folder; overrides RUN.json's init_checkpoint")
    p.add_argument("--resume", default="", help="checkpoint of this run to continue; overrides "
                   "RUN.json's resume_checkpoint")
    p.add_argument("--base-model", default="", help="Hugging Face Llama folder to start from when "
                   "the run has no init checkpoint (a CPT sweep without a pretraining stage)")
    p.add_argument("--micro-batch", type=int, default=0, help="sequences per forward pass on one "
                   "rank (default: batch_size, or the rank's share of a step if smaller)")
    p.add_argument("--fsdp", action="store_true", help="shard parameters, gradients and optimizer "
                   "state across ranks (CUDA, PyTorch 2.2 or later)")
    p.add_argument("--gradient-checkpointing", action="store_true", help="recompute each "
                   "decoder layer's activations in the backward pass (less memory, about a third "
                   "more compute)")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                   help="bf16 autocast for the forward pass (auto: RUN.json's training.precision, "
                   "whose auto is bf16 on CUDA and fp32 on CPU)")
    return p.parse_args(argv)


@dataclass
class Data:
    base: PreparedLanguage
    additional: PreparedLanguage


def load_data(config: RunConfig) -> Data:
    if not config.data_base or not config.data_additional:
        raise UsageError(f"{config.path}: data.base and data.additional must name prepared data "
                         "(mixlaw data prepare)")
    data = Data(load_prepared_language(config.data_base),
                load_prepared_language(config.data_additional))
    check_same_tokenizer(data.base, data.additional)
    T = config.training.seq_len
    for lang in (data.base, data.additional):
        if len(lang.train) <= T:
            raise UsageError(f"{lang.directory}: the training data is shorter than one sequence "
                             f"of {T + 1} tokens")
    return data


def build_model(config: RunConfig, init: str, resume: str, base_model: str):
    """The Hugging Face model (fp32) with its starting weights: from the resumed checkpoint, else
    the init checkpoint, else the base model, else new weights (pretraining runs only)."""
    from transformers import LlamaForCausalLM

    source = resume or init or base_model
    if source:
        if os.path.isdir(source):
            hf = load_hf_config(source)
            if config.model is not None:
                check_same_architecture(config.model, source, architecture_of(hf))
        elif config.model is not None:
            hf = hf_config(config.model)
        else:
            raise UsageError(f"{source}: a single .safetensors file needs the architecture in "
                             f"{config.path}'s model")
        weights = load_weights(source)
    elif config.model is not None:
        hf, weights = hf_config(config.model), None
    else:
        raise UsageError(f"{config.path}: model has no architecture and no checkpoint was given "
                         "(init_checkpoint, --init or --base-model)")
    if config.stage == "cpt" and not source:
        raise UsageError(f"{config.path}: a cpt run needs a base model (init_checkpoint, --init or "
                         "--base-model)")
    hf.torch_dtype = torch.float32
    model = LlamaForCausalLM(hf).float()
    if weights is None:
        initialise(model, config.seed)
    else:
        fill_model(model, weights, source)
    return model


def is_norm(name: str) -> bool:
    """Whether a parameter is an RMSNorm weight (`...input_layernorm.weight`, `model.norm.weight`).

    Decided by name, not shape: FSDP's flattened shards have no shape to tell by.
    """
    parts = name.split(".")
    return len(parts) >= 2 and parts[-2].endswith("norm")


def decay_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on matrices and embeddings, none on the norms (as the builtin trainer)."""
    named = list(model.named_parameters())
    return [{"params": [p for n, p in named if not is_norm(n)], "weight_decay": weight_decay},
            {"params": [p for n, p in named if is_norm(n)], "weight_decay": 0.0}]


class Trainer:
    def __init__(self, config: RunConfig, args: argparse.Namespace, ranks: Ranks,
                 reporter: Reporter, stop: StopSignal) -> None:
        self.c, self.t, self.ranks, self.out, self.stop = config, config.training, ranks, reporter, stop
        self.data = load_data(config)
        init = args.init or config.init_checkpoint
        self.resume_from = args.resume or config.resume_checkpoint
        self.model = build_model(config, init, self.resume_from, args.base_model)
        vocab = self.model.config.vocab_size
        if vocab < self.data.base.vocab_size:
            raise UsageError(f"{config.path}: the model's vocabulary {vocab} is smaller than the "
                             f"tokenizer's {self.data.base.vocab_size}")
        if self.t.seq_len > self.model.config.max_position_embeddings:
            raise UsageError(f"{config.path}: training.seq_len {self.t.seq_len} exceeds the "
                             f"model's max_position_embeddings "
                             f"{self.model.config.max_position_embeddings}")
        self.names = [n for n, _ in self.model.named_parameters()]
        if args.gradient_checkpointing:
            # Non-reentrant checkpointing: the kind FSDP's hooks work with.
            self.model.gradient_checkpointing_enable(
                gradient_checkpointing_kwargs={"use_reentrant": False})
        if not args.fsdp:  # FSDP moves each unit's shard to the device itself
            self.model.to(ranks.device)
        self.fsdp = args.fsdp
        self.wrapped = wrap_model(self.model, ranks, args.fsdp)
        precision = args.precision if args.precision != "auto" else config.training.precision
        if precision == "auto":
            precision = "bf16" if ranks.device.type == "cuda" else "fp32"
        self.autocast = precision == "bf16"
        params = self.wrapped if args.fsdp else self.model
        torch_major = int(torch.__version__.split(".")[0])
        fused = {"fused": True} if ranks.device.type == "cuda" and torch_major >= 2 else {}
        self.optimizer = torch.optim.AdamW(decay_groups(params, self.t.weight_decay),
                                           lr=config.peak_lr, betas=(self.t.beta1, self.t.beta2),
                                           eps=self.t.adam_eps, **fused)
        self.loader = MixingLoader(self.data.base.train, self.data.additional.train,
                                   0.0 if config.stage == "pretrain" else config.almr,
                                   self.t.batch_size, self.t.seq_len, config.seed)
        G = self.t.sequences_per_step
        if G % ranks.world:
            raise UsageError(f"{config.path}: the global batch of {G} sequences (batch_size x "
                             f"grad_accum) does not split over {ranks.world} ranks")
        self.share = G // ranks.world
        self.micro = args.micro_batch or min(self.t.batch_size, self.share)
        if self.micro < 1 or self.share % self.micro:
            raise UsageError(f"--micro-batch {self.micro} does not divide the {self.share} "
                             f"sequences of each rank's step")
        self.total_steps = self.t.total_steps
        self.step = 0
        self.best_loss = math.inf
        self.last_checkpoint = ""

    # --- one step --------------------------------------------------------------------------
    def _forward_sum(self, inputs: np.ndarray, targets: np.ndarray) -> torch.Tensor:
        """The summed cross-entropy of a micro-batch (targets < 0 are ignored)."""
        x = torch.from_numpy(np.ascontiguousarray(inputs)).to(self.ranks.device)
        y = torch.from_numpy(np.ascontiguousarray(targets)).to(self.ranks.device)
        with torch.autocast(self.ranks.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            logits = self.wrapped(input_ids=x).logits
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1),
                               ignore_index=-100, reduction="sum")

    def _train_step(self) -> tuple[float, float]:
        refs = step_sequences(self.loader, self.t.grad_accum, self.ranks.rank, self.ranks.world)
        denominator = float(self.share * self.t.seq_len)
        self.optimizer.zero_grad(set_to_none=True)
        local = 0.0
        chunks = [refs[i:i + self.micro] for i in range(0, len(refs), self.micro)]
        for k, chunk in enumerate(chunks):
            inputs, targets = self.loader.read(chunk)
            last = k == len(chunks) - 1
            # DDP all-reduces gradients once a step, after its last micro-batch; FSDP reduce-scatters
            # each micro-batch's, so that gradients stay sharded between them.
            skip_sync = self.ranks.distributed and not self.fsdp and not last
            with self.wrapped.no_sync() if skip_sync else nullcontext():
                loss_sum = self._forward_sum(inputs, targets)
                (loss_sum / denominator).backward()
            local += loss_sum.item()
        loss = self.ranks.sum([local])[0] / (denominator * self.ranks.world)
        return loss, self._gradient_norm()

    def _gradient_norm(self) -> float:
        if self.fsdp:
            return float(self.wrapped.clip_grad_norm_(float("inf")))
        grads = [p.grad for p in self.model.parameters() if p.grad is not None]
        return float(torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(g.float()) for g in grads])))

    def _clip(self, norm: float) -> None:
        if self.t.grad_clip > 0 and norm > self.t.grad_clip:
            scale = self.t.grad_clip / norm
            for p in self.wrapped.parameters():
                if p.grad is not None:
                    p.grad.mul_(scale)

    # --- evaluation ------------------------------------------------------------------------
    def _evaluate(self, tokens: TokenSplit) -> float:
        """Mean loss per token over the whole split; every rank runs the same number of batches."""
        T = self.t.seq_len
        mine = eval_sequences(tokens, T, self.ranks.rank, self.ranks.world)
        most = max(len(eval_sequences(tokens, T, r, self.ranks.world)) for r in range(self.ranks.world))
        total, count = 0.0, 0
        self.wrapped.eval()
        with torch.no_grad():
            for first in range(0, most, self.micro):
                rows = np.zeros((self.micro, T + 1), dtype=np.int64)
                targets_mask = np.zeros(self.micro, dtype=bool)
                for j in range(self.micro):
                    index = first + j
                    if index < len(mine):
                        rows[j] = tokens.window(mine[index] * T, T + 1)
                        targets_mask[j] = True
                targets = rows[:, 1:].copy()
                targets[~targets_mask] = -100
                total += self._forward_sum(rows[:, :-1], targets).item()
                count += int(targets_mask.sum()) * T
        self.wrapped.train()
        total, count = self.ranks.sum([total, float(count)])
        return total / count if count > 0 else math.nan

    def _eval(self, tokens_seen: int, lr: float) -> None:
        step = tokens_seen // self.t.tokens_per_step
        for split, lang in (("eval/base", self.data.base), ("eval/additional", self.data.additional)):
            self.out.metric(split, step, self._evaluate(lang.val), tokens_seen, lr)

    # --- checkpoints -----------------------------------------------------------------------
    def _full_state(self) -> tuple[dict, dict]:
        """Weights and AdamW moments by parameter name, gathered whole (on rank 0 under FSDP)."""
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

            options = StateDictOptions(full_state_dict=True, cpu_offload=True)
            weights, optim = get_state_dict(self.wrapped, self.optimizer, options=options)
            moments = {}
            for name, s in optim.get("state", {}).items():
                moments[name + ".exp_avg"] = s["exp_avg"]
                moments[name + ".exp_avg_sq"] = s["exp_avg_sq"]
            return weights, moments
        if self.ranks.rank != 0:  # every rank holds the whole model under DDP: rank 0 saves it
            return {}, {}
        weights = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        if self.model.config.tie_word_embeddings:
            weights.pop("lm_head.weight", None)
        moments = {}
        for name, p in self.model.named_parameters():
            s = self.optimizer.state.get(p, {})
            zeros = torch.zeros_like(p, device="cpu")
            moments[name + ".exp_avg"] = s["exp_avg"].cpu() if "exp_avg" in s else zeros
            moments[name + ".exp_avg_sq"] = s["exp_avg_sq"].cpu() if "exp_avg_sq" in s else zeros
        return weights, moments

    def _checkpoint(self, step: int, final: bool) -> None:
        folder = os.path.join(self.c.output_dir, "final" if final else f"step-{step}")
        weights, moments = self._full_state()
        failure = ""
        if self.ranks.rank == 0:
            state = {"step": step, "best_train_loss": self.best_loss if math.isfinite(self.best_loss)
                     else None, "loader": self.loader.state(), "run_name": self.c.run_name,
                     "tokenizer": {"kind": self.data.base.tokenizer_kind,
                                   "vocab_size": self.data.base.vocab_size},
                     "protocol": PROTOCOL_VERSION, "trainer": "train_cpt.py",
                     "world_size": self.ranks.world}
            try:
                save_checkpoint(folder, self.model, weights, moments, state,
                                self.data.base.tokenizer_model)
            except OSError as e:
                failure = f"checkpoint {folder}: {e.strerror or e}"
            else:
                self.out.artifact("checkpoint", folder)
                if self.last_checkpoint and self.last_checkpoint != folder:
                    shutil.rmtree(self.last_checkpoint, ignore_errors=True)  # keep the newest
        # Every rank learns whether the save worked, so none waits for a rank that gave up.
        if self.ranks.any(bool(failure)):
            raise TrainerError(failure or "checkpoint: rank 0 could not save it")
        self.last_checkpoint = folder

    def _restore(self) -> None:
        folder = self.resume_from
        state_path = os.path.join(folder, STATE)
        state = read_json(state_path)
        step = state.get("step")
        if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= self.total_steps:
            raise UsageError(f"{state_path}: step: must be an integer in [0, {self.total_steps}]")
        try:
            self.loader.restore(state.get("loader"))
        except ValueError as e:
            raise UsageError(f"{state_path}: {e}") from None
        best = state.get("best_train_loss")
        self.best_loss = float(best) if isinstance(best, (int, float)) else math.inf
        moments = load_moments(folder, self.names)
        if self.fsdp:
            from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

            optim = {"state": {n: {"step": torch.tensor(float(step)), "exp_avg": m, "exp_avg_sq": v}
                               for n, (m, v) in moments.items()},
                     "param_groups": [{**{k: v for k, v in g.items() if k != "params"},
                                       "params": [n for n in self.names if is_norm(n) == (i == 1)]}
                                      for i, g in enumerate(self.optimizer.param_groups)]}
            set_optimizer_state_dict(self.wrapped, self.optimizer, optim_state_dict=optim,
                                     options=StateDictOptions(full_state_dict=True))
        else:
            # Fused AdamW (CUDA) keeps its step count on the parameter's device, the others on the CPU.
            fused = any(g.get("fused") for g in self.optimizer.param_groups)
            for name, p in self.model.named_parameters():
                m, v = moments[name]
                where = p.device if fused else torch.device("cpu")
                self.optimizer.state[p] = {"step": torch.tensor(float(step), device=where),
                                           "exp_avg": m.to(p.device, p.dtype),
                                           "exp_avg_sq": v.to(p.device, p.dtype)}
        self.step = step
        self.last_checkpoint = ""

    # --- the run ---------------------------------------------------------------------------
    def run(self) -> int:
        if self.resume_from:
            self._restore()
        self.out.total_steps(self.total_steps)
        lr_at = lambda s: self.t.schedule.lr_at(s, self.total_steps, self.c.peak_lr)
        if self.step == 0 and self.t.eval_at_start:
            self._eval(0, lr_at(0))
        warmup = self.t.schedule.warmup_steps(self.total_steps)
        while self.step < self.total_steps:
            loss, norm = self._train_step()
            lr = lr_at(self.step)
            tokens = (self.step + 1) * self.t.tokens_per_step
            self.out.metric("train", self.step + 1, loss, tokens, lr)
            if not math.isfinite(loss) or not math.isfinite(norm):
                raise Diverged(f"step {self.step + 1}: loss {loss}, gradient norm {norm}")
            if self.step >= warmup and loss > self.t.spike_factor * self.best_loss:
                raise Diverged(f"step {self.step + 1}: loss {loss} spiked past "
                               f"{self.t.spike_factor:g} x its minimum {self.best_loss}")
            self.best_loss = min(self.best_loss, loss)
            self._clip(norm)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.optimizer.step()
            self.step += 1
            last = self.step == self.total_steps
            if last or (self.t.eval_every > 0 and self.step % self.t.eval_every == 0):
                self._eval(tokens, lr)
            if last:
                break
            if self.ranks.any(self.stop.stopping):
                self._checkpoint(self.step, final=False)
                print(f"train_cpt.py: stopped by signal {self.stop.received} at step {self.step}; "
                      "saved a checkpoint to resume from", file=sys.stderr)
                return EXIT_STOPPED
            if self.t.checkpoint_every > 0 and self.step % self.t.checkpoint_every == 0:
                self._checkpoint(self.step, final=False)
        self._checkpoint(self.total_steps, final=True)
        return EXIT_SUCCESS


def main(argv: Optional[list[str]] = None) -> int:
    """Runs one RUN.json; returns the protocol's exit code (errors go to stderr)."""
    stop = StopSignal().install()
    ranks: Optional[Ranks] = None
    code = EXIT_FAILURE
    try:
        args = parse_args(argv)
        config = load_run_config(args.config)
        ranks = init_ranks(config.device)
        torch.manual_seed(config.seed)
        trainer = Trainer(config, args, ranks, Reporter(ranks.rank), stop)
        code = trainer.run()
        return code
    except TrainerError as e:
        if ranks is None or ranks.rank == 0 or not isinstance(e, Diverged):
            print(f"train_cpt.py: {'diverged: ' if isinstance(e, Diverged) else ''}{e}",
                  file=sys.stderr)
        code = e.exit_code
        return code
    except BaseException:
        if ranks is not None and ranks.distributed:
            traceback.print_exc()  # close() below ends the process before Python would print it
        raise
    finally:
        sys.stdout.flush()
        if ranks is not None:
            close(ranks, code)  # a distributed rank's process ends here


if __name__ == "__main__":
    sys.exit(main())
