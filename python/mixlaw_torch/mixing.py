"""The builtin trainer's batches, exactly (trainer/mixing_loader.cc), split across ranks.

Training sequences are windows of T + 1 tokens cut at stride T from a language's train split,
visited in a seeded order (Fisher-Yates over std::mt19937_64 draws) reshuffled every epoch. Each
batch of B sequences takes round(ALMR x sequences so far) - (additional so far) sequences from the
additional language, at places drawn by the seed. Evaluation walks a validation split whole, in
order. Every rank computes the same global order (it costs indices, not tokens) and reads only its
own contiguous share, so ranks neither overlap nor leave gaps, and one rank or eight see the same
global batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .shards import TokenSplit

_MASK64 = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64: the same 64-bit outputs as the C++ standard library for the same seed."""

    _N, _M = 312, 156
    _A = np.uint64(0xB5026F5AA96619E9)
    _UPPER, _LOWER = np.uint64(0xFFFFFFFF80000000), np.uint64(0x7FFFFFFF)

    def __init__(self, seed: int) -> None:
        mt = [seed & _MASK64]
        for i in range(1, self._N):
            prev = mt[-1]
            mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & _MASK64)
        self._mt = np.array(mt, dtype=np.uint64)
        self._out = np.empty(0, dtype=np.uint64)
        self._pos = 0

    def _twist(self) -> None:
        mt, n, m = self._mt, self._N, self._M
        one = np.uint64(1)

        def mix(lo: int, hi: int, nxt: np.ndarray, far: np.ndarray) -> None:
            x = (mt[lo:hi] & self._UPPER) | (nxt & self._LOWER)
            mt[lo:hi] = far ^ (x >> one) ^ np.where(x & one, self._A, np.uint64(0))

        mix(0, n - m, mt[1:n - m + 1].copy(), mt[m:n].copy())
        mix(n - m, n - 1, mt[n - m + 1:n].copy(), mt[0:m - 1].copy())
        mix(n - 1, n, mt[0:1].copy(), mt[m - 1:m].copy())
        y = mt.copy()
        y ^= (y >> np.uint64(29)) & np.uint64(0x5555555555555555)
        y ^= (y << np.uint64(17)) & np.uint64(0x71D67FFFEDA60000)
        y ^= (y << np.uint64(37)) & np.uint64(0xFFF7EEE000000000)
        y ^= y >> np.uint64(43)
        self._out, self._pos = y, 0

    def draws(self, count: int) -> np.ndarray:
        """The next `count` outputs (uint64)."""
        parts, need = [], count
        while need > 0:
            if self._pos >= len(self._out):
                self._twist()
            take = min(need, len(self._out) - self._pos)
            parts.append(self._out[self._pos:self._pos + take])
            self._pos += take
            need -= take
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def shuffled(items: list, seed: int) -> list:
    """Fisher-Yates as mixing_loader.cc does it: for i = n..2, swap item i-1 with item rng() % i."""
    n = len(items)
    if n < 2:
        return list(items)
    sizes = np.arange(n, 1, -1, dtype=np.uint64)
    picks = (MT19937_64(seed).draws(n - 1) % sizes).tolist()
    out = list(items)
    for i, j in zip(range(n - 1, 0, -1), picks):
        out[i], out[j] = out[j], out[i]
    return out


class TokenStream:
    """Sequence starts of one language's train split in the seeded, per-epoch order."""

    def __init__(self, tokens: TokenSplit, seq_len: int, seed: int) -> None:
        self.tokens, self.T, self.seed = tokens, seq_len, seed & _MASK64
        self.count = (len(tokens) - 1) // seq_len if len(tokens) > seq_len else 0
        self.epoch, self.index = 0, 0
        self._shuffle()

    def _shuffle(self) -> None:
        self._order = shuffled(list(range(self.count)),
                               (self.seed * 0x9E3779B97F4A7C15 + self.epoch) & _MASK64)

    def next_start(self) -> int:
        """The first token of the next sequence (its T + 1 tokens start there)."""
        if self.index >= self.count:
            self.epoch, self.index = self.epoch + 1, 0
            self._shuffle()
        start = self._order[self.index] * self.T
        self.index += 1
        return start

    def state(self) -> dict:
        return {"epoch": self.epoch, "index": self.index}

    def restore(self, state: dict, where: str) -> None:
        epoch, index = _state_int(state, "epoch", where), _state_int(state, "index", where)
        if index > self.count:
            raise ValueError(f"{where}.index: {index} is past the {self.count} sequences")
        self.epoch, self.index = epoch, index
        self._shuffle()


def _state_int(state: dict, key: str, where: str) -> int:
    value = state.get(key) if isinstance(state, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}.{key}: must be an integer >= 0")
    return value


@dataclass(frozen=True)
class SequenceRef:
    """Where one training sequence's T + 1 tokens start, and in which language."""

    additional: bool
    start: int


class MixingLoader:
    """Batches of B sequences mixing two languages at an exact, stratified ALMR."""

    def __init__(self, base: TokenSplit, additional: TokenSplit, almr: float, batch_size: int,
                 seq_len: int, seed: int) -> None:
        self.almr, self.B, self.T, self.seed = almr, batch_size, seq_len, seed & _MASK64
        self.base = TokenStream(base, seq_len, seed * 2 + 1)
        self.additional = TokenStream(additional, seq_len, seed * 2 + 2)
        self.batches = 0
        self.additional_so_far = 0

    def next_batch(self) -> list[SequenceRef]:
        """The next batch's B sequences, in batch order."""
        due = math.floor(self.almr * float((self.batches + 1) * self.B) + 0.5)
        take = min(max(due - self.additional_so_far, 0), self.B)
        places = shuffled([True] * take + [False] * (self.B - take),
                          (self.seed * 0xD1B54A32D192ED03 + self.batches) & _MASK64)
        refs = [SequenceRef(p, (self.additional if p else self.base).next_start()) for p in places]
        self.additional_so_far += take
        self.batches += 1
        return refs

    def read(self, refs: list[SequenceRef]) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets (len(refs), T) int64 of the given sequences."""
        rows = np.stack([(self.additional if r.additional else self.base).tokens.window(
            r.start, self.T + 1) for r in refs]) if refs else np.zeros((0, self.T + 1), np.int64)
        return rows[:, :-1], rows[:, 1:]

    def state(self) -> dict:
        """Everything needed to continue exactly here (the builtin trainer's JSON)."""
        return {"batches": self.batches, "additional_sequences": self.additional_so_far,
                "base": self.base.state(), "additional": self.additional.state()}

    def restore(self, state: dict, where: str = "loader") -> None:
        """Continues from `state`; raises ValueError naming the bad field under `where`."""
        if not isinstance(state, dict):
            raise ValueError(f"{where}: must be an object")
        batches = _state_int(state, "batches", where)
        so_far = _state_int(state, "additional_sequences", where)
        if so_far > batches * self.B:
            raise ValueError(f"{where}.additional_sequences: {so_far} is more than the "
                             f"{batches * self.B} sequences drawn")
        self.base.restore(state.get("base"), f"{where}.base")
        self.additional.restore(state.get("additional"), f"{where}.additional")
        self.batches, self.additional_so_far = batches, so_far


def step_sequences(loader: MixingLoader, grad_accum: int, rank: int, world: int) -> list[SequenceRef]:
    """One optimizer step: the loader's next `grad_accum` batches, rank `rank`'s share of them.

    The step's B x grad_accum sequences, in order, are cut into `world` equal contiguous parts.
    REQUIRES: world divides B x grad_accum.
    """
    refs = [r for _ in range(grad_accum) for r in loader.next_batch()]
    share = len(refs) // world
    return refs[rank * share:(rank + 1) * share]


def eval_sequences(tokens: TokenSplit, seq_len: int, rank: int, world: int) -> range:
    """Rank `rank`'s contiguous share of a validation split's sequences (index i starts at i x T).

    Every sequence of the split is in exactly one rank's share; a tail shorter than T + 1 tokens
    is left out, as the builtin trainer leaves it.
    """
    count = (len(tokens) - 1) // seq_len if len(tokens) > seq_len else 0
    return range(rank * count // world, (rank + 1) * count // world)
