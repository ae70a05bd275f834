#!/usr/bin/env bash
# Fitting losses measured by another tool: a CSV of final losses, one row a run
# (params,almr,lr,loss_base,loss_additional[,tokens,seed,name]; docs/fit.md), into the coupling
# law, a recommendation for a target size, and the report.
#
# The CSV used here holds 48 continual pre-training runs of a PyTorch model of our architecture on
# the demo corpora (3 sizes x 4 ALMRs x 4 LRs), measured outside mixlaw.
#
#   bash examples/fit-from-csv.sh [MIXLAW] [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mixlaw=${1:-$here/../build/cli/mixlaw}
out=${2:-fit-from-csv}
csv=$here/../tests/fitter/data/probe_bpe.csv
mkdir -p "$out"

"$mixlaw" fit --csv "$csv" --bootstrap 100 --out "$out/fit.json"
"$mixlaw" recommend --fit "$out/fit.json" --target-params 5e6 --forgetting-budget 0.1
"$mixlaw" report --fit "$out/fit.json" --target-params 5e6 --forgetting-budget 0.1 \
  --out "$out/report"
