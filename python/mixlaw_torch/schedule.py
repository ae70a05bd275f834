"""Learning-rate schedules, as trainer/schedule.cc computes them (the same value at every step)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    kind: str = "cosine"  # "cosine", "wsd" (warmup-stable-decay) or "constant"
    warmup_frac: float = 0.05  # of the total steps
    min_lr_ratio: float = 0.1  # floor of cosine and of the decay phase, over the peak
    decay_frac: float = 0.2  # wsd: the final fraction of steps spent decaying

    def lr_at(self, step: int, total_steps: int, peak_lr: float) -> float:
        """The learning rate of 0-based optimizer step `step` of `total_steps`."""
        if self.kind == "constant" or total_steps <= 1:
            return peak_lr
        total = float(total_steps)
        warmup = math.floor(self.warmup_frac * total)
        s = float(step)
        if s < warmup:
            return peak_lr * (s + 1.0) / warmup
        floor_lr = self.min_lr_ratio * peak_lr
        if self.kind == "cosine":
            progress = min(max((s - warmup) / max(1.0, total - 1.0 - warmup), 0.0), 1.0)
            return floor_lr + 0.5 * (peak_lr - floor_lr) * (1.0 + math.cos(math.pi * progress))
        decay_steps = max(1.0, math.floor(self.decay_frac * total))
        decay_start = total - decay_steps
        if s < decay_start:
            return peak_lr
        progress = min(max((s - decay_start + 1.0) / decay_steps, 0.0), 1.0)
        return peak_lr + (floor_lr - peak_lr) * progress

    def warmup_steps(self, total_steps: int) -> int:
        return math.floor(self.warmup_frac * total_steps)
