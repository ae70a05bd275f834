#!/usr/bin/env bash
# An external trainer speaking the mixlaw trainer protocol (docs/trainer-protocol.md) in plain
# shell. mixlaw runs it as the spec's exec command, e.g. "bash exec-trainer.sh {config}".
#
# It shows the contract, not training: it reads RUN.json, prints one JSON metric line per step
# and per evaluation, announces a checkpoint, and exits 0 (success), 3 (diverged) or 1 (failed).
# In a real wrapper the loop below is your trainer (torchrun ... --config "$config"), and these
# printf lines are what its logging prints.
set -euo pipefail
config=${1:?usage: exec-trainer.sh RUN.json}

# Read the fields this trainer needs (python3 is only a JSON reader here).
read -r almr peak_lr tokens batch seq output_dir < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
t = c["training"]
print(c["almr"], c["peak_lr"], t["tokens"], t["batch_size"], t["seq_len"], c["output_dir"])
' "$config")

steps=$(( tokens / (batch * seq) ))
[ "$steps" -ge 1 ] || { echo "RUN.json: training.tokens is less than one step" >&2; exit 1; }
echo "{\"total_steps\": $steps}"

# A learning rate far past what the model tolerates diverges: report NaN and exit 3.
if awk -v lr="$peak_lr" 'BEGIN { exit !(lr > 0.5) }'; then
  echo "{\"step\": 1, \"split\": \"train\", \"loss\": null, \"tokens\": $((batch * seq)), \"lr\": $peak_lr}"
  echo "loss is NaN at step 1" >&2
  exit 3
fi

for ((step = 1; step <= steps; step++)); do
  awk -v s="$step" -v n="$steps" -v r="$almr" -v lr="$peak_lr" -v tok=$((step * batch * seq)) 'BEGIN {
    p = s / n
    off = log(lr / 0.004)
    base = 2.0 + 0.3 * r + 0.05 * off * off + 4.0 * exp(-4 * p)
    add = 2.6 + 0.3 / (r + 0.05) ^ 0.3 + 0.06 * off * off + 4.0 * exp(-4 * p)
    printf "{\"step\": %d, \"split\": \"train\", \"loss\": %.6f, \"tokens\": %d, \"lr\": %g}\n", s, r * add + (1 - r) * base, tok, lr
    if (s == n) {
      printf "{\"step\": %d, \"split\": \"eval/base\", \"loss\": %.6f, \"tokens\": %d, \"lr\": %g}\n", s, base, tok, lr
      printf "{\"step\": %d, \"split\": \"eval/additional\", \"loss\": %.6f, \"tokens\": %d, \"lr\": %g}\n", s, add, tok, lr
    }
  }'
done

mkdir -p "$output_dir"
echo "exec-trainer: final state of $config" > "$output_dir/final.txt"
echo "{\"artifact\": \"checkpoint\", \"path\": \"$output_dir/final.txt\"}"
