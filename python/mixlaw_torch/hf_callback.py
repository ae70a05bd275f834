"""A transformers TrainerCallback that reports a Hugging Face Trainer's run through the protocol.

    run = load_run_config(args.config)
    callback = MixlawCallback()
    trainer = Trainer(model=model, args=training_args, train_dataset=..., eval_dataset=...,
                      callbacks=[callback])
    trainer.train(resume_from_checkpoint=run.resume_checkpoint or None)
    sys.exit(callback.exit_code)

Training losses become `train` metric lines, evaluation losses (`eval_loss`, or
`eval_NAME_loss` for a dict of eval datasets) `eval/...` lines, each saved checkpoint folder a
`checkpoint` artifact (so a retried run resumes from it), and the run's length a `total_steps`
line. SIGTERM makes the Trainer save and stop at the next step, on every rank at the same step; a
NaN or infinite loss stops it with exit code 3 (give TrainingArguments
`logging_nan_inf_filter=False`: by default the Trainer replaces such losses before logging them).
Only the world's main process prints.
"""

from __future__ import annotations

import math
import os
from typing import Optional

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from .distributed import any_rank
from .protocol import EXIT_DIVERGED, EXIT_STOPPED, EXIT_SUCCESS, Reporter, StopSignal


class MixlawCallback(TrainerCallback):
    """Prints an HF Trainer's losses and checkpoints as protocol lines; see `exit_code`."""

    def __init__(self, reporter: Optional[Reporter] = None, stop: Optional[StopSignal] = None) -> None:
        self.reporter = reporter
        self.stop = stop if stop is not None else StopSignal().install()
        self.exit_code = EXIT_SUCCESS  # EXIT_DIVERGED or EXIT_STOPPED once either happened

    def _out(self, state: TrainerState) -> Reporter:
        if self.reporter is None:
            self.reporter = Reporter(0 if state.is_world_process_zero else 1)
        return self.reporter

    def on_train_begin(self, args: TrainingArguments, state: TrainerState,
                       control: TrainerControl, **kwargs) -> None:
        self._out(state).total_steps(state.max_steps)

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: Optional[dict] = None, **kwargs) -> None:
        out = self._out(state)
        tokens = None
        lr = (logs or {}).get("learning_rate")
        for key, value in (logs or {}).items():
            if not isinstance(value, (int, float)):
                continue
            if key == "loss":
                out.metric("train", state.global_step, float(value), tokens, lr)
                if not math.isfinite(value):
                    self.exit_code = EXIT_DIVERGED
                    control.should_training_stop = True
            elif key.startswith("eval_") and key.endswith("loss"):
                name = key[len("eval_"):-len("loss")].rstrip("_") or "loss"
                out.metric(f"eval/{name}", state.global_step, float(value), tokens, lr)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs) -> None:
        # Every rank asks, every step: ranks stop (and save) at the same step or not at all.
        if any_rank(self.stop.stopping) and self.exit_code == EXIT_SUCCESS:
            self.exit_code = EXIT_STOPPED
            control.should_save = True
            control.should_training_stop = True

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                **kwargs) -> None:
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if os.path.isdir(folder):
            self._out(state).artifact("checkpoint", folder)
