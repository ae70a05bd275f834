#!/usr/bin/env python3
"""Where the target check's seed spread comes from, and what cuts it.

Takes a finished `mixlaw demo` directory and trains again, from the target's own base model, the
target's CPT runs at the LRs and seeds given, in variants of the recipe:

  final       the demo's recipe, evaluated every --every steps (the curve of each seed);
  tokens-xK   the CPT's token budget K times larger (--longer K), evaluated every 50 steps.

For each variant and LR it reports the spread over the seeds (sample standard deviation of
L_additional + L_base, nats) at each evaluation, of the mean of the last 2, 4 and 6 evaluations,
and the wall time of the runs; as JSON on stdout and a table on stderr. --runs-csv writes the
`final` runs as rows of `mixlaw sweep export`'s runs CSV, under the same header line, so that
more seeds can join the target's own exported runs (bench/law_bends --target-csv reads them).

    bench/target_spread.py --demo-dir mixlaw-demo --lrs 0.0118,0.0166 --seeds 1,2,3,4 > spread.json
    bench/target_spread.py --demo-dir mixlaw-demo --lrs 0.0097 --seeds 4,5 --every 0 --longer 0 \
        --runs-csv more-seeds.csv > /dev/null

Every run is a real `mixlaw train` child process on the builtin CPU trainer; --jobs of them run at
once, each with one thread.
"""
import argparse
import concurrent.futures
import copy
import glob
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

Curve = dict[int, float]  # step -> L_additional + L_base at that evaluation
Losses = dict[str, float]  # the last evaluation's loss by split
RUNS_CSV_HEADER = ("run_id,sweep_id,name,stage,model,params,almr,peak_lr,seed,tokens,state,"
                   "attempts,failure_reason,final_eval/additional,final_eval/base")


def template_run(demo_dir: str) -> dict[str, Any]:
    """A CPT RUN.json of the demo's target sweep at its swept ALMR nearest 0.5 (the check's)."""
    paths = sorted(glob.glob(os.path.join(demo_dir, "runs", "demo-target", "*", "almr*", "lr*",
                                          "seed*", "RUN.json")))
    if not paths:
        sys.exit(f"target_spread: {demo_dir}: no target runs under runs/demo-target "
                 "(run `mixlaw demo --dir DIR` to the end first)")
    runs = []
    for path in paths:
        with open(path) as f:
            runs.append(json.load(f))
    return min(runs, key=lambda r: abs(r["almr"] - 0.5))


def train(config: dict[str, Any], out_dir: str, mixlaw: str) -> tuple[Curve, Losses]:
    """Trains `config` into out_dir and returns its evaluation curve and its last evaluation's
    losses by split; exits on a failed run."""
    os.makedirs(out_dir, exist_ok=True)
    config = dict(config, output_dir=out_dir, resume_checkpoint="")  # a copy: the caller's stays
    path = os.path.join(out_dir, "RUN.json")
    with open(path, "w") as f:
        json.dump(config, f)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([mixlaw, "train", "--config", path], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:
        sys.exit(f"target_spread: {path}: mixlaw train exited {done.returncode}: "
                 f"{done.stderr.strip()[-400:]}")
    by_step: dict[int, dict[str, float]] = {}
    for line in done.stdout.splitlines():
        point = json.loads(line)
        if str(point.get("split", "")).startswith("eval/"):
            by_step.setdefault(point["step"], {})[point["split"]] = point["loss"]
    curve = {s: v["eval/additional"] + v["eval/base"] for s, v in by_step.items() if len(v) == 2}
    return curve, by_step[max(curve)]


def runs_csv_row(config: dict[str, Any], losses: Losses) -> str:
    """The run as a row of the sweep export's runs CSV (RUNS_CSV_HEADER; no run or sweep id)."""
    fields = ["", "", config["run_name"], config["stage"], config["model"]["name"],
              repr(config["model"]["params"]), repr(config["almr"]), repr(config["peak_lr"]),
              str(config["seed"]), str(config["training"]["tokens"]), "succeeded", "1", "",
              repr(losses["eval/additional"]), repr(losses["eval/base"])]
    return ",".join(fields)


def spread(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else float("nan")


def summarise(curves: dict[int, Curve]) -> dict[str, Any]:
    """The spread over seeds at each evaluation step and of the means of the last evaluations."""
    steps = sorted(set.intersection(*(set(c) for c in curves.values())))
    out: dict[str, Any] = {
        "by_step": [{"step": s, "loss": [curves[k][s] for k in sorted(curves)],
                     "sd": spread([curves[k][s] for k in sorted(curves)])} for s in steps]}
    for last in (2, 4, 6):
        means = [statistics.mean(curves[k][s] for s in steps[-last:]) for k in sorted(curves)]
        out[f"mean_last_{last}"] = {"loss": means, "sd": spread(means)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo-dir", required=True,
                        help="A finished `mixlaw demo --dir` directory")
    parser.add_argument("--lrs", required=True, help="Comma-separated peak LRs")
    parser.add_argument("--seeds", default="1,2,3,4", help="Comma-separated CPT seeds")
    parser.add_argument("--every", type=int, default=5,
                        help="Evaluation interval of `final` (0: at the end only)")
    parser.add_argument("--longer", type=int, default=3, help="K of tokens-xK (0: skip it)")
    parser.add_argument("--jobs", type=int, default=2, help="Runs at once")
    parser.add_argument("--mixlaw", default="build/cli/mixlaw", help="The mixlaw binary")
    parser.add_argument("--work", default="bench/results/target_spread", help="Run outputs")
    parser.add_argument("--runs-csv", help="Write the `final` runs here as sweep-export rows")
    args = parser.parse_args()
    lrs = [float(x) for x in args.lrs.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    base = template_run(args.demo_dir)
    variants: list[tuple[str, dict[str, Any]]] = [("final", {"eval_every": args.every})]
    if args.longer > 0:
        variants.append((f"tokens-x{args.longer}", {
            "eval_every": 50, "tokens": base["training"]["tokens"] * args.longer}))
    results = []
    for name, training in variants:
        start = time.monotonic()
        jobs: dict[tuple[float, int], concurrent.futures.Future] = {}
        configs: dict[tuple[float, int], dict[str, Any]] = {}
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for lr, seed in itertools.product(lrs, seeds):
                config = copy.deepcopy(base)
                group = f"{base['model']['name']}/almr{base['almr']}"
                config.update(peak_lr=lr, seed=seed, run_name=f"{group}/lr{lr}/seed{seed}")
                config["training"].update(training)
                configs[(lr, seed)] = config
                out = os.path.join(args.work, name, f"lr{lr}", f"seed{seed}")
                jobs[(lr, seed)] = pool.submit(train, config, out, args.mixlaw)
        seconds = time.monotonic() - start
        for lr in lrs:
            summary = summarise({seed: jobs[(lr, seed)].result()[0] for seed in seeds})
            results.append({"variant": name, "lr": lr, "seeds": seeds, "seconds": seconds,
                            **summary})
            last = summary["by_step"][-1]
            print(f"{name:10s} lr {lr:.4g}: final sd {last['sd']:.4f} (step {last['step']}), "
                  f"mean of the last 2/4/6 evaluations sd "
                  f"{summary['mean_last_2']['sd']:.4f}/{summary['mean_last_4']['sd']:.4f}/"
                  f"{summary['mean_last_6']['sd']:.4f}; {seconds:.0f} s for the variant",
                  file=sys.stderr)
        if name == "final" and args.runs_csv:
            with open(args.runs_csv, "w") as f:
                f.write(RUNS_CSV_HEADER + "\n")
                for key, job in jobs.items():
                    f.write(runs_csv_row(configs[key], job.result()[1]) + "\n")
    json.dump({"demo_dir": args.demo_dir, "model": base["model"], "almr": base["almr"],
               "results": results}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
