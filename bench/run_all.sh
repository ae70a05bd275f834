#!/usr/bin/env bash
# Runs the benchmarks side by side with their peers on this machine and writes the results as
# JSON under bench/results/. Usage: bash bench/run_all.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bash scripts/build.sh >/dev/null
mkdir -p bench/results
stamp=$(date -u +%Y-%m-%dT%H:%MZ)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

echo "== orchestrator: mixlaw (200 simulated workers, 100 values a run, 10M points) =="
"$build/bench/orchestrator_bench" --workers 200 --values 100 --seconds 20 --points 10000000 \
  --out bench/results/orchestrator.json >/dev/null
echo "== orchestrator with the dashboard: the lease cycle without and with 20 pages open, 6 pairs =="
"$build/bench/orchestrator_bench" --workers 200 --values 100 --seconds 5 --points 200000 \
  --browsers 20 --pairs 6 --browser-seconds 10 --out bench/results/orchestrator_dashboard.json >/dev/null
echo "== orchestrator peer: Optuna, SQLite storage, GridSampler, 4 processes, 100 values a trial =="
/usr/bin/python3 bench/optuna_peer.py --workers 4 --seconds 20 --values 100 \
  --out bench/results/optuna_peer.json >/dev/null

echo "== trainer: mixlaw vs PyTorch eager, configs A, B and D (the demo target), 2 threads, OpenBLAS variables unset =="
for config in A B D; do
  steps=$([ "$config" = B ] && echo 10 || echo 30)
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 \
    "$build/bench/trainer_bench" --config "$config" --steps "$steps" --out "bench/results/trainer_$config.json" >/dev/null
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
    /usr/bin/python3 bench/torch_peer.py --config "$config" --steps "$steps" --threads 2 \
    --out "bench/results/torch_$config.json" >/dev/null
done

echo "== fitter: mixlaw (Ceres) vs SciPy L-BFGS-B, Chinchilla 240 points x 4,500 starts; coupling 1,000 points, 64 starts, 200 bootstrap =="
"$build/bench/fit_bench" --points 240 --starts 4500 --coupling-points 1000 --coupling-starts 64 \
  --bootstrap 200 --threads 2 --data bench/results/chinchilla_points.csv \
  --out bench/results/fit.json >/dev/null
for gradient in analytic numeric; do
  /usr/bin/python3 bench/scipy_peer.py --data bench/results/chinchilla_points.csv --starts 4500 \
    $([ "$gradient" = numeric ] && echo --numeric-gradient) \
    --out "bench/results/scipy_$gradient.json" >/dev/null
done

echo "== studies: adaptive beside the whole grid, synthetic trainer (planted law), 3 seeds =="
"$build/bench/study_bench" --spec examples/study-synthetic.json --seeds 0,1,2 --workers 2 \
  --dir "${TMPDIR:-/tmp}/mixlaw-study-bench" > bench/results/study.json
echo "== studies with early stopping (omitted and predicted stopped runs), 3 seeds =="
"$build/bench/study_bench" --spec examples/study-synthetic.json --seeds 0,1,2 --workers 2 \
  --early-stop --dir "${TMPDIR:-/tmp}/mixlaw-study-bench-stop" > bench/results/study_stop.json

/usr/bin/python3 - "$stamp" <<'PY'
import json, sys
m = json.load(open("bench/results/orchestrator.json"))
o = json.load(open("bench/results/optuna_peer.json"))
print(f"results ({sys.argv[1]}):")
print(f"  mixlaw: {m['runs_per_s']:.0f} runs/s, {m['values_per_s']:.0f} values/s, "
      f"lease p50 {m['lease_p50_ms']:.1f} ms, p99 {m['lease_p99_ms']:.1f} ms, "
      f"ingestion {m['ingest_points_per_s']:.0f} points/s, {m['store_bytes_per_point']:.1f} B/point, "
      f"peak RSS {m['server_peak_rss_mb']:.0f} MB after {m['total_points']} points")
print(f"  {o['peer']}: {o['trials_per_s']:.2f} trials/s, {o['values_per_s']:.0f} values/s, "
      f"{o['duplicate_grid_points']} duplicate grid points")
print(f"  ratio: {m['runs_per_s'] / o['trials_per_s']:.0f}x trials, "
      f"{m['values_per_s'] / o['values_per_s']:.0f}x values")
for c in "ABD":
    ours = json.load(open(f"bench/results/trainer_{c}.json"))
    peer = json.load(open(f"bench/results/torch_{c}.json"))
    peak = max(ours["matmul_peak_gflops"], peer["matmul_peak_gflops"])
    print(f"  trainer {c}: mixlaw {ours['tokens_per_s']:.0f} tokens/s "
          f"(MFU {ours['model_gflops'] / peak:.0%}, peak RSS {ours['peak_rss_mb']:.0f} MB), "
          f"pytorch {peer['tokens_per_s']:.0f} tokens/s (MFU {peer['model_gflops'] / peak:.0%}, "
          f"peak RSS {peer['peak_rss_mb']:.0f} MB): {ours['tokens_per_s'] / peer['tokens_per_s']:.2f}x; "
          f"peak fp32 product {peak:.0f} GFLOP/s")
chinchilla, coupling = json.load(open("bench/results/fit.json"))
for gradient in ("analytic", "numeric"):
    peer = json.load(open(f"bench/results/scipy_{gradient}.json"))
    gap = abs(chinchilla["best_objective"] - peer["best_objective"]) / peer["best_objective"]
    print(f"  fitter chinchilla: mixlaw {chinchilla['seconds']:.2f} s, scipy ({gradient} gradient) "
          f"{peer['seconds']:.1f} s: {peer['seconds'] / chinchilla['seconds']:.0f}x; "
          f"objective gap {gap:.1e} relative")
print(f"  fitter coupling: {coupling['seconds']:.2f} s for {coupling['points']} points, "
      f"{coupling['starts']} starts, {coupling['bootstrap']} bootstrap resamples")
for r in json.load(open("bench/results/study.json"))["runs"]:
    print(f"  study {r['design']} seed {r['seed']}: {r['runs']} runs in {r['rounds']} rounds, "
          f"{r['spent_fraction']:.1%} of the grid, LR x{r['lr_factor']:.3f} from the planted "
          f"optimum, regret {r['regret']:.4%}, {r['wall_s']:.0f} s")
PY
