"""train_cpt.py end to end on the demo corpora: against the builtin C++ trainer from the same base
model and batches, two ranks under torchrun against one, SIGKILL and SIGTERM then resume, and
divergence. Tolerances are stated where each comparison is made."""

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import MIXLAW, TRAIN_CPT, VENV_BIN, losses, protocol_lines, run_json, train_cpt

STEPS = 12


def cpt_config(directory, demo_data, base_model, **training):
    return run_json(directory, demo_data, init_checkpoint=str(base_model),
                    training={"tokens": 8 * 32 * STEPS, "eval_every": 4, **training})


def run_ok(done):
    assert done.returncode == 0, done.stderr[-4000:]
    return protocol_lines(done.stdout)


def relative(a, b):
    return abs(a - b) / abs(b)


def test_losses_match_the_builtin_trainer(tmp_path, demo_data, base_model):
    builtin = subprocess.run([MIXLAW, "train", "--config",
                              str(cpt_config(tmp_path / "builtin", demo_data, base_model))],
                             capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    ours = run_ok(train_cpt(cpt_config(tmp_path / "torch", demo_data, base_model)))
    theirs = run_ok(builtin)
    assert ours[0] == {"total_steps": STEPS}
    for split in ("train", "eval/base", "eval/additional"):
        a, b = losses(ours, split), losses(theirs, split)
        assert a.keys() == b.keys() and len(a) >= 4, split
        worst = max(relative(a[s], b[s]) for s in a)
        print(f"{split}: largest relative difference {worst:.2e} over {len(a)} points")
        # fp32 both, different summation orders: 1e-4 relative over 12 steps (seen: about 1e-6).
        assert worst < 1e-4, (split, a, b)
    # The run learned: the Chinese loss fell from the English base model's.
    add = losses(ours, "eval/additional")
    assert add[STEPS] < add[0] - 0.3
    final = tmp_path / "torch" / "final"
    for name in ("model.safetensors", "config.json", "optimizer.safetensors", "trainer_state.json"):
        assert (final / name).exists(), name
    assert ours[-1] == {"artifact": "checkpoint", "path": str(final)}


def test_two_ranks_match_one(tmp_path, demo_data, base_model):
    one = run_ok(train_cpt(cpt_config(tmp_path / "one", demo_data, base_model)))
    two = run_ok(train_cpt(cpt_config(tmp_path / "two", demo_data, base_model), nproc=2))
    assert one[0] == two[0] == {"total_steps": STEPS}
    for split in ("train", "eval/base", "eval/additional"):
        a, b = losses(two, split), losses(one, split)
        assert a.keys() == b.keys()
        # Each rank sums its half of the batch; the all-reduce adds the halves: 1e-5 relative.
        assert max(relative(a[s], b[s]) for s in a) < 1e-5, split
    # Rank 0 alone printed: one line per point.
    assert len([l for l in two if l.get("split") == "train"]) == STEPS


def start(config, *args, nproc=1):
    """train_cpt.py in a session of its own (so a signal can reach its whole group), streaming."""
    launcher = [str(VENV_BIN / "python")] if nproc == 1 else [
        str(VENV_BIN / "torchrun"), "--standalone", f"--nproc_per_node={nproc}"]
    return subprocess.Popen([*launcher, str(TRAIN_CPT), "--config", str(config), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=config.parent, env={**os.environ, "OMP_NUM_THREADS": "1"},
                            start_new_session=True)


def read_until(process, predicate):
    """Protocol lines until one satisfies `predicate` (that one included)."""
    lines = []
    for line in process.stdout:
        if line.startswith("{"):
            lines.append(json.loads(line))
            if predicate(lines[-1]):
                return lines
    raise AssertionError(f"ended first: {process.wait()} {process.stderr.read()[-2000:]}")


def test_killed_then_resumed_repeats_the_same_losses(tmp_path, demo_data, base_model):
    reference = run_ok(train_cpt(cpt_config(tmp_path / "reference", demo_data, base_model,
                                            checkpoint_every=4)))
    config = cpt_config(tmp_path / "killed", demo_data, base_model, checkpoint_every=4)
    process = start(config)
    seen = read_until(process, lambda l: l.get("path", "").endswith("step-8"))
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    checkpoint = seen[-1]["path"]
    assert json.loads((tmp_path / "killed" / "step-8" / "trainer_state.json").read_text())["step"] == 8
    kept = sorted(p.name for p in (tmp_path / "reference").iterdir() if p.is_dir())
    assert kept == ["final"], "only the newest checkpoint is kept"
    resumed = run_ok(train_cpt(config, "--resume", checkpoint))
    assert resumed[0] == {"total_steps": STEPS}
    for split in ("train", "eval/base", "eval/additional"):
        after = losses(resumed, split)
        assert sorted(after) == [s for s in sorted(losses(reference, split)) if s > 8]
        # Same process count, one thread: the resumed steps repeat bit for bit.
        assert after == {s: v for s, v in losses(reference, split).items() if s > 8}, split


@pytest.mark.parametrize("nproc", [1, 2])
def test_sigterm_saves_a_checkpoint_and_the_run_resumes_from_it(tmp_path, demo_data, base_model,
                                                               nproc):
    # The worker signals the trainer's whole process group: under torchrun every rank and the
    # agent get SIGTERM, and the agent forwards one more to each rank.
    reference = run_ok(train_cpt(cpt_config(tmp_path / "reference", demo_data, base_model),
                                 nproc=nproc))
    config = cpt_config(tmp_path / "stopped", demo_data, base_model)
    process = start(config, nproc=nproc)
    read_until(process, lambda l: l.get("split") == "train" and l["step"] == 2)
    os.killpg(process.pid, signal.SIGTERM)
    rest = [json.loads(l) for l in process.stdout if l.startswith("{")]
    code = process.wait()
    stderr = process.stderr.read()
    # Under torchrun the launcher (mixlaw_torch.torchrun) passes the ranks' 143 on.
    assert code == 128 + signal.SIGTERM, stderr[-3000:]
    artifacts = [l for l in rest if "artifact" in l]
    assert len(artifacts) == 1 and "/step-" in artifacts[0]["path"]
    step = json.loads(open(os.path.join(artifacts[0]["path"], "trainer_state.json")).read())["step"]
    assert 2 <= step < STEPS
    resumed = run_ok(train_cpt(config, "--resume", artifacts[0]["path"], nproc=nproc))
    assert losses(resumed, "train") == {s: v for s, v in losses(reference, "train").items() if s > step}


@pytest.mark.parametrize("nproc", [1, 2])
def test_a_huge_learning_rate_diverges_with_exit_code_3(tmp_path, demo_data, base_model, nproc):
    config = run_json(tmp_path / "hot", demo_data, init_checkpoint=str(base_model), peak_lr=300.0,
                      training={"tokens": 8 * 32 * 30, "grad_clip": 0.0,
                                "schedule": {"kind": "constant"}})
    done = train_cpt(config, nproc=nproc)
    # Under torchrun too: plain torchrun would exit 1, and the run would be retried.
    assert done.returncode == 3, done.stderr[-2000:]
    assert "diverged" in done.stderr


def test_a_pretraining_run_starts_from_new_weights_near_the_uniform_loss(tmp_path, demo_data):
    config = run_json(tmp_path / "pre", demo_data, stage="pretrain", almr=0.0, peak_lr=1e-2,
                      training={"tokens": 8 * 32 * 4, "eval_every": 0})
    lines = run_ok(train_cpt(config))
    start_loss = losses(lines, "eval/base")[0]
    # Logits ~ N(0, 1) over 258 byte tokens: near ln 258 + 1/2 = 6.05 nats.
    assert 5.5 < start_loss < 6.6, start_loss


@pytest.mark.parametrize("nproc", [1, 2])
def test_a_cpt_run_without_a_base_model_is_refused(tmp_path, demo_data, nproc):
    done = train_cpt(run_json(tmp_path / "nobase", demo_data), nproc=nproc)
    assert done.returncode == 2
    assert "needs a base model" in done.stderr


def ranks_of(config) -> list[int]:
    """Pids of the rank processes of `config`'s run (their command line names train_cpt.py)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
                state = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if "-u\0" in cmdline and str(config) in cmdline and state not in "ZX":
                pids.append(int(entry))
    return pids


def test_ranks_die_with_their_torchrun_agent(tmp_path, demo_data):
    config = run_json(tmp_path / "long", demo_data, stage="pretrain", almr=0.0, peak_lr=1e-2,
                      training={"tokens": 8 * 32 * 100000, "eval_every": 0})
    agent = start(config, nproc=2)
    read_until(agent, lambda l: l.get("split") == "train" and l["step"] == 3)
    assert len(ranks_of(config)) == 2
    agent.kill()  # the agent alone, SIGKILL: it cannot stop its ranks itself
    agent.wait()
    deadline = time.monotonic() + 20
    while ranks_of(config) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ranks_of(config) == [], "ranks outlived their torchrun agent"
