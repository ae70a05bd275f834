"""mixlaw for PyTorch trainers.

- `run_config`: RUN.json, the one file a worker gives a trainer.
- `protocol`: metric, progress and artifact lines on stdout (rank 0 only), exit codes, SIGTERM.
- `shards`, `mixing`: the prepared token shards and the builtin trainer's exact batch order.
- `schedule`: the learning-rate schedules.
- `checkpoint`: Hugging Face Llama checkpoint folders, plus optimizer and data state.
- `hf_callback`: a transformers TrainerCallback that reports through the protocol.
- `train_cpt`: the reference continual pre-training trainer (torchrun, DDP, FSDP).

The formats are those of docs/trainer-protocol.md and docs/data.md; docs/pytorch.md shows how a
trainer adopts the protocol.
"""

PROTOCOL_VERSION = 1
