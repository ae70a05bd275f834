#!/usr/bin/env python3
"""The orchestrator benchmark's peer: Optuna with SQLite storage and its grid sampler.

4 worker processes share one study on a SQLite file; each trial takes a grid point (ALMR x LR),
reports `values` intermediate values (as a trainer's losses) and completes. Prints trials/s,
stored values/s and how many grid points were handed out more than once, as JSON.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import tempfile
import time

import optuna


def grid(n_almr, n_lr):
    almr = [i / (n_almr - 1) for i in range(n_almr)]
    lr = [min(1e-1, max(1e-5, 10 ** (-5 + 4 * i / (n_lr - 1)))) for i in range(n_lr)]
    return {"almr": almr, "lr": lr}


def work(storage, seconds, values, space, counter):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="bench", storage=storage,
                              sampler=optuna.samplers.GridSampler(space))
    deadline = time.time() + seconds

    def objective(trial):
        almr = trial.suggest_float("almr", 0.0, 1.0)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        for step in range(1, values + 1):
            trial.report(3.0 - step * 1e-3 + almr * lr, step)
        return 3.0

    while time.time() < deadline:
        study.optimize(objective, n_trials=1)
        with counter.get_lock():
            counter.value += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--values", type=int, default=100)
    parser.add_argument("--out")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = grid(100, 200)
    with tempfile.TemporaryDirectory() as tmp:
        storage = "sqlite:///" + os.path.join(tmp, "optuna.db")
        optuna.create_study(study_name="bench", storage=storage,
                            sampler=optuna.samplers.GridSampler(space))
        counter = mp.Value("i", 0)
        start = time.time()
        procs = [mp.Process(target=work, args=(storage, args.seconds, args.values, space, counter))
                 for _ in range(args.workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        elapsed = time.time() - start
        study = optuna.load_study(study_name="bench", storage=storage)
        trials = study.get_trials(deepcopy=False,
                                  states=(optuna.trial.TrialState.COMPLETE,))
        values = sum(len(t.intermediate_values) for t in trials)
        points = [(t.params["almr"], t.params["lr"]) for t in trials]
        result = {
            "peer": "optuna " + optuna.__version__ + " (SQLite storage, GridSampler)",
            "workers": args.workers,
            "seconds": elapsed,
            "trials": len(trials),
            "trials_per_s": len(trials) / elapsed,
            "values": values,
            "values_per_s": values / elapsed,
            "duplicate_grid_points": len(points) - len(set(points)),
        }
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
