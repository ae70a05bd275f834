"""The PyTorch loader against the builtin trainer's own batches (tests/trainer/mixing_loader_dump):
the same sequences in the same places, its state JSON, resumption, and the split across ranks."""

import json
import math
import subprocess

import numpy as np
import pytest

from conftest import MIXING_DUMP
from mixlaw_torch.mixing import MixingLoader, eval_sequences, shuffled, step_sequences
from mixlaw_torch.shards import load_prepared_language


def cpp_batches(data, almr, B, T, seed, count):
    out = subprocess.run([MIXING_DUMP, str(data / "base"), str(data / "additional"), repr(almr),
                          str(B), str(T), str(seed), str(count)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def loader(data, almr, B, T, seed):
    base = load_prepared_language(str(data / "base"))
    additional = load_prepared_language(str(data / "additional"))
    return MixingLoader(base.train, additional.train, almr, B, T, seed)


@pytest.mark.parametrize("almr, B, seed", [(0.5, 8, 0), (0.33, 6, 7), (0.0, 4, 3), (1.0, 4, 1)])
def test_batches_and_state_match_the_builtin_loader(demo_data, almr, B, seed):
    T, count = 32, 40
    want = cpp_batches(demo_data, almr, B, T, seed, count)
    ours = loader(demo_data, almr, B, T, seed)
    additional = 0
    for i, batch in enumerate(want):
        refs = ours.next_batch()
        inputs, targets = ours.read(refs)
        assert inputs.tolist() == batch["inputs"], f"batch {i}"
        assert targets.tolist() == batch["targets"], f"batch {i}"
        assert ours.state() == batch["state"], f"batch {i}"
        additional += sum(r.additional for r in refs)
        # Stratified: after every batch the realised count is round(ALMR x sequences so far).
        assert additional == math.floor(almr * (i + 1) * B + 0.5)


def test_the_order_is_reshuffled_every_epoch_as_the_builtin_does(demo_data):
    # T = 8192 makes the additional language's epoch short (about 240 sequences of its 1.97M
    # byte tokens): 70 batches of 4 at ALMR 1 cross it.
    want = cpp_batches(demo_data, 1.0, 4, 8192, 2, 70)
    ours = loader(demo_data, 1.0, 4, 8192, 2)
    for batch in want:
        assert ours.read(ours.next_batch())[0].tolist() == batch["inputs"]
    assert want[-1]["state"]["additional"]["epoch"] >= 1


def test_restore_continues_with_the_same_batches(demo_data):
    want = cpp_batches(demo_data, 0.5, 8, 32, 5, 30)
    resumed = loader(demo_data, 0.5, 8, 32, 5)
    resumed.restore(want[19]["state"])
    for batch in want[20:]:
        assert resumed.read(resumed.next_batch())[0].tolist() == batch["inputs"]


def test_a_damaged_state_names_its_field(demo_data):
    ours = loader(demo_data, 0.5, 8, 32, 0)
    with pytest.raises(ValueError, match=r"loader.base.index: 999999999 is past the"):
        ours.restore({"batches": 1, "additional_sequences": 4,
                      "base": {"epoch": 0, "index": 999999999}, "additional": {"epoch": 0, "index": 0}})
    with pytest.raises(ValueError, match=r"loader.batches: must be an integer >= 0"):
        ours.restore({"batches": "x"})


def test_ranks_split_each_step_without_overlap_or_gaps(demo_data):
    whole = loader(demo_data, 0.5, 8, 32, 0)
    parts = [loader(demo_data, 0.5, 8, 32, 0) for _ in range(4)]
    for _ in range(5):
        global_refs = step_sequences(whole, 2, 0, 1)  # 2 micro-batches of 8: 16 a step
        shares = [step_sequences(p, 2, r, 4) for r, p in enumerate(parts)]
        assert all(len(s) == 4 for s in shares)
        assert [r for s in shares for r in s] == global_refs


def test_evaluation_shares_cover_the_split_once(demo_data):
    val = load_prepared_language(str(demo_data / "base")).val
    count = (len(val) - 1) // 32
    for world in (1, 2, 3):
        covered = [i for r in range(world) for i in eval_sequences(val, 32, r, world)]
        assert covered == list(range(count))


def test_shuffle_is_fisher_yates_over_mt19937_64():
    # std::shuffle is not used by the builtin trainer: this is its own loop, checked by hand.
    assert shuffled([0, 1], 0) in ([0, 1], [1, 0])
    assert sorted(shuffled(list(range(100)), 9)) == list(range(100))
    assert shuffled(list(range(100)), 9) != list(range(100))
