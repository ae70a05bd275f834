"""Token shards in both llm.c formats, and prepared data as `mixlaw data prepare` writes it."""

import json
from pathlib import Path

import numpy as np
import pytest

from mixlaw_torch.protocol import UsageError
from mixlaw_torch.shards import TokenSplit, load_prepared_language, read_token_shard


def write_shard(path: Path, tokens, magic=20240801, version=7, dtype="<u4", count=None) -> Path:
    header = np.zeros(256, dtype="<i4")
    header[:3] = [magic, version, len(tokens) if count is None else count]
    path.write_bytes(header.tobytes() + np.asarray(tokens, dtype=dtype).tobytes())
    return path


def test_reads_both_magics(tmp_path):
    a = read_token_shard(str(write_shard(tmp_path / "a.bin", [1, 70000, 5])))
    b = read_token_shard(str(write_shard(tmp_path / "b.bin", [1, 50256, 5], 20240520, 1, "<u2")))
    assert a.tolist() == [1, 70000, 5] and b.tolist() == [1, 50256, 5]


@pytest.mark.parametrize("case, message", [
    ("short", "is shorter than the 1024-byte header"),
    ("magic", "bad magic 1234"),
    ("version", "unknown version 3 for magic 20240801"),
    ("truncated", "header says 10 tokens but the file holds 3"),
    ("vocab", "token 300 at position 1 is outside the vocabulary of 258"),
])
def test_damaged_shards_are_refused_naming_the_file(tmp_path, case, message):
    path = tmp_path / "train_000000.bin"
    if case == "short":
        path.write_bytes(b"\0" * 100)
    elif case == "magic":
        write_shard(path, [1, 2], magic=1234)
    elif case == "version":
        write_shard(path, [1, 2], version=3)
    elif case == "truncated":
        write_shard(path, [1, 2, 3], count=10)
    else:
        write_shard(path, [1, 300])
    with pytest.raises(UsageError) as e:
        read_token_shard(str(path), vocab_size=258)
    assert str(e.value).startswith("train_000000.bin: ") and message in str(e.value), str(e.value)


def test_a_split_reads_windows_across_shard_boundaries(tmp_path):
    s1 = read_token_shard(str(write_shard(tmp_path / "1.bin", range(0, 5))))
    s2 = read_token_shard(str(write_shard(tmp_path / "2.bin", range(5, 12))))
    split = TokenSplit([s1, s2])
    assert len(split) == 12
    assert split.window(3, 6).tolist() == [3, 4, 5, 6, 7, 8]
    with pytest.raises(IndexError):
        split.window(8, 5)


def test_prepared_demo_data_matches_its_meta(demo_data):
    for language in ("base", "additional"):
        meta = json.loads((demo_data / language / "meta.json").read_text())
        lang = load_prepared_language(str(demo_data / language))
        assert len(lang.train) == meta["tokens"]["train"] and len(lang.val) == meta["tokens"]["val"]
        assert lang.vocab_size == 258 and lang.tokenizer_kind == "bytes"
        # Every document starts with BOS: the split's BOS count is its document count.
        bos = int((lang.train.window(0, len(lang.train)) == lang.bos_id).sum())
        assert bos == meta["documents"]["train"]
