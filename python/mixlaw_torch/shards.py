"""Prepared token data (docs/data.md): llm.c-format shards and the meta.json that lists them.

A shard is 256 little-endian int32 (magic, version, token count, zeros) then the tokens: uint32
with magic 20240801 version 7 (what mixlaw writes), uint16 with magic 20240520 version 1 (llm.c's
GPT-2 shards). Shards are memory-mapped, never read whole: a split is their concatenation.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .protocol import UsageError

HEADER_INTS = 256
HEADER_BYTES = HEADER_INTS * 4
FORMATS = {20240801: (7, np.dtype("<u4")), 20240520: (1, np.dtype("<u2"))}


def read_token_shard(path: str, vocab_size: Optional[int] = None) -> np.ndarray:
    """The tokens of one shard, memory-mapped (read-only).

    Raises UsageError naming the file for a short header, a bad magic or version, a token count
    that disagrees with the file size, and (given `vocab_size`) a token outside the vocabulary.
    """
    name = os.path.basename(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            header = np.frombuffer(f.read(HEADER_BYTES), dtype="<i4")
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    if header.size < HEADER_INTS:
        raise UsageError(f"{name}: {size} bytes is shorter than the {HEADER_BYTES}-byte header")
    magic, version, count = int(header[0]), int(header[1]), int(header[2])
    if magic not in FORMATS:
        raise UsageError(f"{name}: bad magic {magic} (expected 20240801 or 20240520)")
    want_version, dtype = FORMATS[magic]
    if version != want_version:
        raise UsageError(f"{name}: unknown version {version} for magic {magic}")
    held = (size - HEADER_BYTES) // dtype.itemsize
    if count < 0 or size != HEADER_BYTES + count * dtype.itemsize:
        raise UsageError(f"{name}: header says {count} tokens but the file holds {held}")
    if count == 0:
        return np.zeros(0, dtype=dtype)
    tokens = np.memmap(path, dtype=dtype, mode="r", offset=HEADER_BYTES, shape=(count,))
    if vocab_size is not None:
        top = int(tokens.max())
        if top >= vocab_size:
            at = int(np.argmax(tokens >= vocab_size))
            raise UsageError(f"{name}: token {int(tokens[at])} at position {at} is outside the "
                             f"vocabulary of {vocab_size}")
    return tokens


class TokenSplit:
    """The concatenation of a split's shards, read by position without copying the whole."""

    def __init__(self, shards: list[np.ndarray]) -> None:
        self._shards = [s for s in shards if len(s) > 0]
        self._starts = np.cumsum([0] + [len(s) for s in self._shards])

    def __len__(self) -> int:
        return int(self._starts[-1])

    def window(self, start: int, length: int) -> np.ndarray:
        """Tokens [start, start + length) as int64, across shard boundaries."""
        if start < 0 or start + length > len(self):
            raise IndexError(f"window [{start}, {start + length}) outside {len(self)} tokens")
        out = np.empty(length, dtype=np.int64)
        i = int(np.searchsorted(self._starts, start, side="right")) - 1
        done = 0
        while done < length:
            shard, offset = self._shards[i], start + done - int(self._starts[i])
            take = min(length - done, len(shard) - offset)
            out[done:done + take] = shard[offset:offset + take]
            done += take
            i += 1
        return out


@dataclass
class PreparedLanguage:
    """One language's prepared directory: its tokenizer and its train and validation splits."""

    directory: str
    tokenizer_kind: str
    vocab_size: int
    bos_id: int
    eos_id: int
    tokenizer_model: str  # absolute path of the spm model, "" for bytes
    train: TokenSplit
    val: TokenSplit


def load_prepared_language(directory: str) -> PreparedLanguage:
    """Reads DIR/meta.json and memory-maps its shards; problems name the file and field."""
    meta_path = os.path.join(directory, "meta.json")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except OSError as e:
        raise UsageError(f"{meta_path}: {e.strerror} (prepare data with mixlaw data prepare)") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{meta_path}: not valid JSON: {e}") from None
    problems = []
    if not isinstance(meta, dict) or meta.get("format") != "mixlaw-data 1":
        raise UsageError(f"{meta_path}: format: expected \"mixlaw-data 1\"")
    tok = meta.get("tokenizer")
    if not isinstance(tok, dict):
        raise UsageError(f"{meta_path}: tokenizer: must be an object")
    for key in ("vocab_size", "bos_id", "eos_id"):
        if not isinstance(tok.get(key), int):
            problems.append(f"{meta_path}: tokenizer.{key}: must be an integer")
    for key in ("train_shards", "val_shards"):
        value = meta.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{meta_path}: {key}: must be a list of file names")
    if problems:
        raise UsageError("\n".join(problems))
    vocab = tok["vocab_size"]
    splits = {}
    for split in ("train", "val"):
        shards = [read_token_shard(os.path.join(directory, n), vocab) for n in meta[f"{split}_shards"]]
        splits[split] = TokenSplit(shards)
        want = meta.get("tokens", {}).get(split)
        if want is not None and want != len(splits[split]):
            raise UsageError(f"{meta_path}: tokens.{split}: says {want} but the shards hold "
                             f"{len(splits[split])}")
    model = tok.get("model")
    return PreparedLanguage(
        directory=directory, tokenizer_kind=str(tok.get("kind", "")), vocab_size=vocab,
        bos_id=tok["bos_id"], eos_id=tok["eos_id"],
        tokenizer_model=os.path.normpath(os.path.join(directory, model)) if model else "",
        train=splits["train"], val=splits["val"])


def check_same_tokenizer(a: PreparedLanguage, b: PreparedLanguage) -> None:
    """Raises UsageError unless both languages were tokenized alike (kind, ids, model bytes)."""
    same = (a.tokenizer_kind, a.vocab_size, a.bos_id, a.eos_id) == \
           (b.tokenizer_kind, b.vocab_size, b.bos_id, b.eos_id)
    if same and a.tokenizer_model != b.tokenizer_model:
        with open(a.tokenizer_model, "rb") as fa, open(b.tokenizer_model, "rb") as fb:
            same = fa.read() == fb.read()
    if not same:
        raise UsageError(f"{a.directory} and {b.directory} were not tokenized alike "
                         f"({a.tokenizer_kind} {a.vocab_size} against {b.tokenizer_kind} {b.vocab_size})")
