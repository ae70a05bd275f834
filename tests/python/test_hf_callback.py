"""MixlawCallback on a real Hugging Face Trainer: losses, evaluations, checkpoints and the run's
length come out as protocol lines; SIGTERM makes it save and stop."""

import json
import os
import signal

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments

from mixlaw_torch.hf_callback import MixlawCallback
from mixlaw_torch.protocol import EXIT_STOPPED, EXIT_SUCCESS, Reporter, StopSignal


class Tokens(torch.utils.data.Dataset):
    def __init__(self, seed, count=16, T=16):
        g = torch.Generator().manual_seed(seed)
        self.rows = torch.randint(0, 64, (count, T), generator=g)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return {"input_ids": self.rows[i], "labels": self.rows[i]}


def trainer(tmp_path, callback, max_steps):
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                         num_attention_heads=4, vocab_size=64))
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=max_steps, logging_steps=1,
                             eval_strategy="steps", eval_steps=3, save_steps=3,
                             per_device_train_batch_size=4, report_to=[], use_cpu=True,
                             disable_tqdm=True, save_safetensors=True)
    return Trainer(model=model, args=args, train_dataset=Tokens(0),
                   eval_dataset={"base": Tokens(1), "additional": Tokens(2)}, callbacks=[callback])


def lines(capsys):
    """The JSON lines (the Trainer prints its own dicts too, which the protocol ignores)."""
    out = []
    for line in capsys.readouterr().out.splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def test_a_trainers_run_becomes_protocol_lines(tmp_path, capsys):
    callback = MixlawCallback(Reporter(0), StopSignal())
    trainer(tmp_path, callback, 6).train()
    out = lines(capsys)
    assert out[0] == {"total_steps": 6}
    train = [l for l in out if l.get("split") == "train"]
    assert [l["step"] for l in train] == [1, 2, 3, 4, 5, 6]
    assert all(l["loss"] > 0 for l in train) and train[0]["lr"] > 0
    evals = {(l["split"], l["step"]) for l in out if l.get("split", "").startswith("eval/")}
    assert evals == {(s, n) for s in ("eval/base", "eval/additional") for n in (3, 6)}
    checkpoints = [l["path"] for l in out if l.get("artifact") == "checkpoint"]
    assert checkpoints == [str(tmp_path / "checkpoint-3"), str(tmp_path / "checkpoint-6")]
    assert callback.exit_code == EXIT_SUCCESS


def test_sigterm_saves_and_stops_at_the_next_step(tmp_path, capsys):
    stop = StopSignal().install()
    try:
        callback = MixlawCallback(Reporter(0), stop)
        t = trainer(tmp_path, callback, 50)
        t.add_callback(_SignalAtStep(2))
        t.train()
    finally:
        stop.uninstall()
    out = lines(capsys)
    assert callback.exit_code == EXIT_STOPPED
    assert max(l["step"] for l in out if l.get("split") == "train") == 2
    assert [l["path"] for l in out if l.get("artifact")] == [str(tmp_path / "checkpoint-2")]
    assert (tmp_path / "checkpoint-2" / "model.safetensors").exists()


class _SignalAtStep(MixlawCallback.__mro__[1]):  # a plain TrainerCallback
    def __init__(self, step):
        self.step = step

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step + 1 == self.step:
            os.kill(os.getpid(), signal.SIGTERM)
