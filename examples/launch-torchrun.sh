#!/usr/bin/env bash
# Starts python/train_cpt.py for one run of a sweep on the node (or Slurm allocation) its worker
# holds: a spec's trainer.command, `bash {spec_dir}/launch-torchrun.sh {config} [FLAGS...]`, with
# FLAGS passed on to train_cpt.py (--base-model DIR, --fsdp, --micro-batch N, ...).
#
# One node: `torchrun --standalone` with one rank per GPU the run may use (MIXLAW_NPROC_PER_NODE
# overrides: ranks on CPU). Several nodes (a Slurm job of --nodes N): one torchrun per node through srun, meeting
# at the allocation's first node (c10d rendezvous, port MIXLAW_RDZV_PORT or 29500, id from the
# run). torchrun is `python -m mixlaw_torch.torchrun` (python/mixlaw_torch/torchrun.py: torch's
# launcher, exiting with the ranks' protocol code: 3 diverged, 2 bad input), with MIXLAW_PYTHON,
# else the python3 on PATH: the environment holding PyTorch and transformers. SIGTERM from the
# worker reaches srun or torchrun, and through them every rank.
set -euo pipefail
config=${1:?usage: launch-torchrun.sh RUN.json [TRAIN_CPT_FLAGS...]}
shift
project=$(cd "$(dirname "$0")/.." && pwd)
python=${MIXLAW_PYTHON:-python3}
export PYTHONPATH="$project/python${PYTHONPATH:+:$PYTHONPATH}"
torchrun=("$python" -m mixlaw_torch.torchrun)
# Ranks: MIXLAW_NPROC_PER_NODE, else one per GPU this run may use: those CUDA_VISIBLE_DEVICES
# lists (a worker leasing for one GPU, --devices cuda:N, sets it), else every GPU nvidia-smi sees.
if [ -n "${MIXLAW_NPROC_PER_NODE:-}" ]; then
  nproc=$MIXLAW_NPROC_PER_NODE
elif [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  nproc=$(tr ',' '\n' <<<"$CUDA_VISIBLE_DEVICES" | grep -c .)
else
  nproc=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
fi
[ "${nproc:-0}" -ge 1 ] || nproc=1
nodes=${SLURM_JOB_NUM_NODES:-1}
trainer=("$project/python/train_cpt.py" --config "$config" "$@")

if [ "$nodes" -gt 1 ]; then
  master=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
  exec srun --nodes="$nodes" --ntasks-per-node=1 --kill-on-bad-exit=1 \
    "${torchrun[@]}" --nnodes="$nodes" --nproc_per_node="$nproc" --rdzv_backend=c10d \
    --rdzv_endpoint="$master:${MIXLAW_RDZV_PORT:-29500}" --rdzv_id="mixlaw-run-${MIXLAW_RUN_ID:-0}" \
    "${trainer[@]}"
fi
exec "${torchrun[@]}" --standalone --nproc_per_node="$nproc" "${trainer[@]}"
