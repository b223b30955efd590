"""Benchmark: fast DeLong (gvisage_lib.stats, Sun & Xu 2014) vs the naive O(m n) DeLong.

Prints two tables:

1. One score, n subjects (30% cases), n = 1e3 ... 1e6: median wall time of the fast ``roc_auc_delong`` and of a naive
   implementation that builds the m x n kernel psi(case, control) in blocks. The naive one runs up to ``--naive-max``
   subjects (default 1e5: about 2.1e9 pairs); above that its time is EXTRAPOLATED as t(naive-max) * (n / naive-max)^2
   (its cost is exactly quadratic) and marked so. Both give the same AUC and variance (checked, printed).
2. Three correlated scores at n = 1e6: median time of ``delong_auc_covariance`` (the 3 AUCs and their 3x3 paired
   covariance matrix).

Usage::

    .venv/bin/python benchmarks/delong.py                 # full run, about a minute on 2 cores
    .venv/bin/python benchmarks/delong.py --naive-max 30000 --repeats 3   # quicker
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from gvisage_lib.stats import delong_auc_covariance, roc_auc_delong


def naive_delong(y: np.ndarray, s: np.ndarray, block: int = 512) -> tuple[float, float]:
    """AUC and DeLong variance from the pairwise kernel psi = 1{x > z} + 1/2 1{x = z}: O(m n) time."""
    x, z = s[y == 1], s[y == 0]
    m, n = x.size, z.size
    v10 = np.empty(m)
    v01_sum = np.zeros(n)
    for i in range(0, m, block):
        xb = x[i:i + block, None]
        psi = (xb > z[None, :]).astype(np.float64)
        psi += 0.5 * (xb == z[None, :])
        v10[i:i + block] = psi.mean(axis=1)
        v01_sum += psi.sum(axis=0)
    v01 = v01_sum / m
    auc = float(v10.mean())
    return auc, float(np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n)


def timeit(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def make_data(n: int, seed: int = 0, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int8)
    u = rng.normal(size=n)
    scores = np.vstack([np.round(y * (0.5 + 0.3 * j) + 0.8 * u + 0.6 * rng.normal(size=n), 3) for j in range(k)])
    return y, scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6])
    ap.add_argument("--naive-max", type=float, default=1e5, help="largest n for which the naive DeLong is run")
    ap.add_argument("--repeats", type=int, default=5, help="runs per timing (median reported)")
    args = ap.parse_args()

    print("One score: fast (Sun & Xu) vs naive O(m n) DeLong; median of runs; 30% cases")
    print(f"{'n':>9} {'fast_s':>10} {'naive_s':>11} {'naive_runs':>10} {'speedup':>10}  note")
    t_ref = n_ref = None
    for n in (int(v) for v in args.sizes):
        y, s = make_data(n)
        t_fast, r = timeit(lambda y=y, s=s: roc_auc_delong(y, s[0]), args.repeats)
        if n <= args.naive_max:
            reps = args.repeats if n <= 10_000 else 1
            t_naive, (auc_n, var_n) = timeit(lambda y=y, s=s: naive_delong(y, s[0]), reps)
            dev = max(abs(auc_n - r.auc), abs(var_n - r.variance))
            t_ref, n_ref = t_naive, n
            note = f"max |naive - fast| (AUC, var) = {dev:.1e}"
            runs = str(reps)
        else:
            t_naive = t_ref * (n / n_ref) ** 2 if t_ref else float("nan")
            note = f"naive EXTRAPOLATED from n={n_ref} (quadratic)"
            runs = "-"
        print(f"{n:>9} {t_fast:>10.4f} {t_naive:>11.3f} {runs:>10} {t_naive / t_fast:>9.0f}x  {note}")

    n = 1_000_000
    y, s3 = make_data(n, seed=1, k=3)
    t3, (auc, cov) = timeit(lambda: delong_auc_covariance(y, s3), args.repeats)
    print(f"\nThree correlated scores, n = {n:,}: delong_auc_covariance median {t3:.3f} s over {args.repeats} runs")
    print("AUCs:", np.array2string(auc, precision=4))
    print("paired covariance matrix:\n", np.array2string(cov, precision=3))


if __name__ == "__main__":
    main()
