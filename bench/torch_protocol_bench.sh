#!/usr/bin/env bash
# The trainer protocol's cost for a PyTorch trainer: python/train_cpt.py under torchrun (2 gloo
# ranks, CPU) trained once through mixlaw (`mixlaw sweep run`: store, orchestrator, worker,
# RUN.json, line parsing, heartbeats) and once directly with torchrun, the same run and steps,
# paired by farm-bench. Prints farm-bench's table; docs/benchmarks.md quotes it.
#
#   bash bench/torch_protocol_bench.sh [RUNS]       (after scripts/build.sh; about 10 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
root=$PWD
mixlaw=${MIXLAW:-$root/build/cli/mixlaw}
work=$(mktemp -d /tmp/mixlaw-torch-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$mixlaw" data prepare --demo --tokenizer bytes --out "$work/data" >/dev/null
model='{"name": "m", "dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "ffn_dim": 128,
        "vocab_size": 258, "max_seq_len": 64, "rope_theta": 500000}'
training='{"tokens": 409600, "batch_size": 16, "seq_len": 64, "eval_every": 50}'
# The base model: 20 steps of the builtin trainer.
mkdir -p "$work/base"
cat > "$work/base/RUN.json" <<JSON
{"protocol": 1, "stage": "pretrain", "almr": 0, "peak_lr": 0.01, "model": $model,
 "data": {"base": "$work/data/base", "additional": "$work/data/additional"},
 "training": {"tokens": 20480, "batch_size": 16, "seq_len": 64},
 "output_dir": "$work/base"}
JSON
(cd "$work/base" && OMP_NUM_THREADS=1 "$mixlaw" train --config RUN.json >/dev/null)
trainer="$root/.venv/bin/torchrun --standalone --nproc_per_node 2 $root/python/train_cpt.py"
# Through mixlaw: a one-run sweep.
cat > "$work/spec.json" <<JSON
{"name": "bench", "data": {"base": "$work/data/base", "additional": "$work/data/additional"},
 "models": [$model], "grid": {"almr": [0.5], "lr": [0.003]}, "training": $training,
 "trainer": {"kind": "exec", "command": "$trainer --config {config} --init $work/base/final"},
 "output_root": "$work/sweep-runs"}
JSON
# Directly: the same run's RUN.json.
mkdir -p "$work/direct"
cat > "$work/direct/RUN.json" <<JSON
{"protocol": 1, "run_id": 1, "run_name": "m/almr0.5/lr0.003/seed0", "stage": "cpt", "almr": 0.5,
 "peak_lr": 0.003, "seed": 0, "model": $model,
 "data": {"base": "$work/data/base", "additional": "$work/data/additional"},
 "training": $training, "output_dir": "$work/direct", "init_checkpoint": "$work/base/final"}
JSON
echo "400 steps of 16 x 64 tokens, 2 ranks; A: through mixlaw sweep run, B: torchrun directly"
farm-bench -n "$runs" --warmup 1 --timeout 3000 \
  --vs "sh -c 'cd $work/direct && exec $trainer --config RUN.json'" \
  -- sh -c "rm -rf $work/sweep.db* $work/sweep-runs && exec $mixlaw sweep run $work/spec.json --db $work/sweep.db"
