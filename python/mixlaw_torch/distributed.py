"""Ranks under torchrun: the process group, each rank's device, and model wrapping.

One process (no torchrun) is world size 1 with no process group. Under torchrun (RANK,
WORLD_SIZE, LOCAL_RANK set) the group is gloo on CPU and NCCL on CUDA, where rank r drives
cuda:LOCAL_RANK. The process's own rank and world size are its only global state.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .protocol import UsageError


@dataclass(frozen=True)
class Ranks:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum of `values` over all ranks (float64), the same list on every rank."""
        t = torch.tensor(values, dtype=torch.float64, device=self._reduce_device())
        if self.distributed:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.cpu().tolist()

    def any(self, flag: bool) -> bool:
        """True on every rank when `flag` is true on any."""
        return any_rank(flag)

    def _reduce_device(self) -> torch.device:
        return self.device if self.device.type == "cuda" else torch.device("cpu")


def any_rank(flag: bool) -> bool:
    """True on every rank when `flag` is true on any rank of the default process group (one
    all-reduce; `flag` itself without a group). Every rank must call it at the same point: a
    trainer that stops on SIGTERM asks it, so that all ranks stop at the same step."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return flag
    on_gpu = dist.get_backend() == "nccl"
    device = torch.device("cuda", torch.cuda.current_device()) if on_gpu else torch.device("cpu")
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.item() > 0


def die_with_launcher() -> None:
    """Under torchrun: this rank is killed when its torchrun agent dies (Linux PR_SET_PDEATHSIG),
    so that no rank outlives its launcher to spin in a collective whose peers are gone."""
    if "TORCHELASTIC_RUN_ID" not in os.environ or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the agent died before the request was made
        os._exit(128 + signal.SIGKILL)


def init_ranks(device: str) -> Ranks:
    """Joins torchrun's process group when there is one. `device` is RUN.json's ("cpu", "cuda")."""
    die_with_launcher()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    kind = device.split(":")[0]
    if kind not in ("cpu", "cuda"):
        raise UsageError(f"RUN.json: device: '{device}' is not cpu or cuda")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("RUN.json: device: cuda, but this process sees no CUDA device")
        torch_device = torch.device("cuda", local_rank)
        torch.cuda.set_device(torch_device)
    else:
        torch_device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if kind == "cuda" else "gloo")
    return Ranks(rank=rank, world=world, local_rank=local_rank, device=torch_device)


def wrap_model(model: torch.nn.Module, ranks: Ranks, fsdp: bool) -> torch.nn.Module:
    """DDP across ranks, or FSDP full sharding of each decoder layer (CUDA, PyTorch 2)."""
    if not ranks.distributed:
        return model
    if fsdp:
        if ranks.device.type != "cuda":
            raise UsageError("--fsdp needs CUDA devices (use DDP on CPU)")
        import functools

        from torch.distributed.fsdp import FullyShardedDataParallel, ShardingStrategy
        from torch.distributed.fsdp.wrap import transformer_auto_wrap_policy
        from transformers.models.llama.modeling_llama import LlamaDecoderLayer

        policy = functools.partial(transformer_auto_wrap_policy,
                                   transformer_layer_cls={LlamaDecoderLayer})
        return FullyShardedDataParallel(model, sharding_strategy=ShardingStrategy.FULL_SHARD,
                                        auto_wrap_policy=policy, device_id=ranks.device,
                                        use_orig_params=True)
    ids = [ranks.device.index] if ranks.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def close(ranks: Ranks, exit_code: int) -> None:
    """Leaves the process group. A rank of a distributed run then ends the process at once with
    `exit_code` (stdout and stderr flushed; this does not return): the interpreter's teardown
    would destroy DDP's reducer and with it the gloo group, whose destructor joins a gloo thread
    while holding the GIL, and that thread may need the GIL to release a tensor it still holds, a
    deadlock seen under PyTorch 1.13 that leaves the rank running after its last line."""
    if not ranks.distributed:
        return
    if dist.is_initialized():
        dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
