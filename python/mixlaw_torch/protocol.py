"""The trainer line protocol (docs/trainer-protocol.md) for PyTorch trainers.

A trainer prints one JSON object a line on stdout and says how it ended with its exit code. Under
torchrun every rank runs the same script: `Reporter` prints from rank 0 only, so the worker reads
each value once. `StopSignal` turns the SIGTERM a worker sends (cancel, lost lease, the worker's
own stop) into a flag the training loop polls at step boundaries, so the run can save a
checkpoint and hand itself back.
"""

from __future__ import annotations

import json
import math
import signal
import sys
from types import FrameType
from typing import Optional, TextIO

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2  # bad RUN.json, checkpoint or command line
EXIT_DIVERGED = 3  # NaN, infinity or a loss spike: not retried
EXIT_STOPPED = 128 + signal.SIGTERM  # stopped by SIGTERM after saving what it could


class TrainerError(Exception):
    """A failure with its protocol exit code; the message names the file or field."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(TrainerError):
    """Bad input (RUN.json, a checkpoint folder, a shard): exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


class Diverged(TrainerError):
    """The loss or gradient became NaN or infinite, or the loss spiked: exit code 3."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_DIVERGED)


def metric_line(split: str, step: int, loss: float, tokens: Optional[int] = None,
                lr: Optional[float] = None) -> str:
    """One metric line; a non-finite loss is written as null, as the protocol requires."""
    record: dict = {"step": int(step), "split": split,
                    "loss": float(loss) if math.isfinite(loss) else None}
    if tokens is not None:
        record["tokens"] = int(tokens)
    if lr is not None:
        record["lr"] = float(lr)
    return json.dumps(record)


class Reporter:
    """Prints protocol lines on rank 0 and nothing on the other ranks.

    Every line is flushed at once: the worker streams values to the orchestrator as they come.
    """

    def __init__(self, rank: int = 0, out: Optional[TextIO] = None) -> None:
        self.rank = rank
        self._out = out if out is not None else sys.stdout

    @property
    def active(self) -> bool:
        return self.rank == 0

    def _print(self, line: str) -> None:
        if self.active:
            self._out.write(line + "\n")
            self._out.flush()

    def metric(self, split: str, step: int, loss: float, tokens: Optional[int] = None,
               lr: Optional[float] = None) -> None:
        """A loss value of `split` ("train", "eval/base", ...) at optimizer step `step`."""
        self._print(metric_line(split, step, loss, tokens, lr))

    def total_steps(self, steps: int) -> None:
        """The run's length, for the worker's progress."""
        self._print(json.dumps({"total_steps": int(steps)}))

    def artifact(self, name: str, path: str) -> None:
        """A file the run produced; the latest "checkpoint" is what a retry resumes from."""
        self._print(json.dumps({"artifact": name, "path": str(path)}))


class StopSignal:
    """Catches SIGTERM (and SIGINT) and remembers it; the loop stops at its next step boundary.

    A second signal while stopping restores the default action, so a stuck save can still be
    ended by the worker's SIGKILL or by a user's second Ctrl-C.
    """

    def __init__(self) -> None:
        self.received: Optional[int] = None
        self._previous: dict[int, object] = {}

    def install(self) -> "StopSignal":
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.received is not None:
            signal.signal(signum, signal.SIG_DFL)
        self.received = signum

    @property
    def stopping(self) -> bool:
        return self.received is not None

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()
