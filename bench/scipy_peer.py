#!/usr/bin/env python3
"""The fitter benchmark's peer: SciPy doing the Chinchilla fit the way the replication did.

Reads the points fit_bench wrote (--data), builds the same grid of starts in the same order
(log_E in {-1, -0.5, .., 1}, log_A in {0, 5, .., 25}, alpha in {0, 0.5, .., 2}, log_B, beta
alike: 4,500 starts), runs L-BFGS-B with the same bounds from each on the sum of Huber losses of
the log residuals ln L_pred - ln L_obs (analytic gradient; --numeric-gradient for SciPy's default,
jac=None, 2-point finite differences), keeps the best, and prints the time and the best objective as
JSON, beside fit_bench's line.
"""
import argparse
import itertools
import json
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber, logsumexp

BOUNDS = [(-5, 5), (-50, 60), (0, 3), (-50, 60), (0, 3)]  # fitter/laws/chinchilla.cc


def grid():
    exponents = [0, 0.5, 1, 1.5, 2]
    coefficients = [0, 5, 10, 15, 20, 25]
    return [list(p) for p in itertools.product([-1, -0.5, 0, 0.5, 1], coefficients, exponents,
                                               coefficients, exponents)]


def objective(theta, ln_n, ln_d, ln_loss, delta):
    log_e, log_a, alpha, log_b, beta = theta
    terms = np.stack([np.full_like(ln_n, log_e), log_a - alpha * ln_n, log_b - beta * ln_d])
    ln_pred = logsumexp(terms, axis=0)  # ln(E + A N^-alpha + B D^-beta)
    r = ln_pred - ln_loss
    value = huber(delta, r).sum()
    dr = np.clip(r, -delta, delta)  # d huber / d r
    w = np.exp(terms - ln_pred)  # each term's share of the prediction
    grad = np.array([
        (dr * w[0]).sum(),
        (dr * w[1]).sum(),
        -(dr * w[1] * ln_n).sum(),
        (dr * w[2]).sum(),
        -(dr * w[2] * ln_d).sum(),
    ])
    return value, grad


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="params,tokens,loss CSV from fit_bench")
    parser.add_argument("--starts", type=int, default=4500, help="the first starts of the grid")
    parser.add_argument("--huber-delta", type=float, default=1e-3)
    parser.add_argument("--numeric-gradient", action="store_true",
                        help="let SciPy take finite differences (jac=None), as it does by default")
    parser.add_argument("--out", help="write the result here as JSON")
    args = parser.parse_args()
    data = np.loadtxt(args.data, delimiter=",", skiprows=1, ndmin=2)
    ln_n, ln_d, ln_loss = np.log(data[:, 0]), np.log(data[:, 1]), np.log(data[:, 2])
    starts = grid()[:args.starts]
    if args.numeric_gradient:
        fun, jac = (lambda *a: objective(*a)[0]), None
    else:
        fun, jac = objective, True
    t0 = time.perf_counter()
    best, failed = None, 0
    for x0 in starts:
        res = minimize(fun, np.array(x0, dtype=float), jac=jac, method="L-BFGS-B",
                       bounds=BOUNDS, args=(ln_n, ln_d, ln_loss, args.huber_delta),
                       options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 1000})
        if not np.isfinite(res.fun):
            failed += 1
            continue
        if best is None or res.fun < best.fun:
            best = res
    seconds = time.perf_counter() - t0
    result = {"job": "chinchilla", "peer": "scipy L-BFGS-B",
              "gradient": "numeric" if args.numeric_gradient else "analytic", "points": len(ln_n),
              "starts": len(starts), "seconds": seconds,
              "best_objective": float(best.fun) if best is not None else None,
              "best_parameters": best.x.tolist() if best is not None else None,
              "failed_starts": failed}
    print(json.dumps(result))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
