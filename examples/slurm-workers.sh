#!/usr/bin/env bash
# Starts one mixlaw worker per node as a Slurm job array. Each worker leases runs from the
# orchestrator and starts their trainer (the spec's torchrun command) on its node.
#
#   sbatch --array=0-7 examples/slurm-workers.sh head-node:7600 /shared/secrets/worker.token
#
#SBATCH --job-name=mixlaw-worker
#SBATCH --nodes=1
#SBATCH --gpus-per-node=8
#SBATCH --time=72:00:00
#SBATCH --signal=TERM@300
set -euo pipefail
orchestrator=${1:?usage: slurm-workers.sh ORCHESTRATOR TOKEN_FILE}
token_file=${2:?usage: slurm-workers.sh ORCHESTRATOR TOKEN_FILE}

devices=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed 's/^/cuda:/' | paste -sd, -)
export MASTER_ADDR=$(hostname)

# Slurm sends SIGTERM 300 s before the time limit: the worker stops its trainer and hands the
# run back, so that another worker resumes it from its last checkpoint.
exec mixlaw worker --orchestrator "$orchestrator" --token-file "$token_file" \
  --devices "$devices" --exit-when-idle
