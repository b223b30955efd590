"""Optimism of a logistic model's apparent performance: Harrell's bootstrap (TRIPOD+AI item 12e/16).

A model evaluated on the data it was fitted on looks better than it is. Harrell's bootstrap (Harrell, Lee & Mark,
Stat Med 1996; R ``rms::validate``) estimates by how much: for each bootstrap sample of the development data, the
model is refitted on the sample (the whole fitting procedure, imputation included), and its performance on the sample
(apparent) is compared with its performance on the original data (test); the mean difference is the optimism, and
the corrected estimate is the apparent one minus the optimism. Two statistics are validated:

* the AUC (``Dxy / 2 + 1/2`` in rms terms), of the linear predictor;
* the calibration slope, the coefficient of the linear predictor in a logistic regression of the outcome on it
  (1 on the data a model was fitted on; below 1 when the model is overfitted and its predictions too extreme).

Bootstrap samples are drawn with ``numpy.random.default_rng(seed)`` (whole rows, with replacement; not stratified, as
rms). A sample on which the model cannot be fitted (one class; no maximum-likelihood estimate) is skipped and counted.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame(rng.normal(size=(200, 6)), columns=list("abcdef"))
>>> df["y"] = (rng.random(200) < 1 / (1 + np.exp(-df.a))).astype(int)
>>> res = optimism_bootstrap(df, "y", list("abcdef"), n_boot=50, seed=1)  # doctest: +SLOW
>>> res.set_index("statistic").loc["calibration_slope", "corrected"] < 1.0
np.True_
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.clinical.logistic import LogisticFit, SeparationError, canonical_order, fit_logistic
from gvisage_lib.core.validation import check_frame, check_int

__all__ = ["OPTIMISM_COLUMNS", "auc_and_slope", "optimism_bootstrap"]

#: Columns of :func:`optimism_bootstrap`.
OPTIMISM_COLUMNS: tuple[str, ...] = ("statistic", "apparent", "optimism", "corrected", "n_boot", "n_failed", "seed")




def _auc(y: np.ndarray, lp: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, lp))


def _slope(y: np.ndarray, lp: np.ndarray) -> float:
    """Calibration slope: the coefficient of ``lp`` in ``logit P(y) = a + b lp`` (maximum likelihood)."""
    import statsmodels.api as sm

    order = canonical_order(y, lp)  # the same sums whatever the order of the rows
    y, lp = y[order], lp[order]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.GLM(y, sm.add_constant(lp, has_constant="add"), family=sm.families.Binomial()).fit()
    return float(res.params[1])


def _stats(fit: LogisticFit, frame: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    lp = fit.linear_predictor(frame)
    return np.array([_auc(y, lp), _slope(y, lp)])


def auc_and_slope(fit: LogisticFit, frame: pd.DataFrame, outcome: str) -> tuple[float, float]:
    """AUC and calibration slope of a fitted model on ``frame`` (e.g. held-out data), as the bootstrap computes them.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gvisage_lib.clinical.logistic import fit_logistic
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"a": rng.normal(size=300)})
    >>> df["y"] = (rng.random(300) < 1 / (1 + np.exp(-2 * df.a))).astype(int)
    >>> fit = fit_logistic(df[:200], "y", ["a"])
    >>> auc, slope = auc_and_slope(fit, df[200:], "y")
    >>> 0.7 < auc < 1 and 0.5 < slope < 2
    True
    """
    check_frame(frame, "frame", [outcome])
    y = pd.to_numeric(frame[outcome]).to_numpy(dtype=int)
    if y.min() == y.max():
        raise ValueError(f"frame: column {outcome!r} holds one class only ({y[0]}); AUC and slope need both")
    auc, slope = _stats(fit, frame.reset_index(drop=True), y)
    return float(auc), float(slope)


def optimism_bootstrap(frame: pd.DataFrame, outcome: str, predictors: Sequence[str], *, n_boot: int = 200,
                       seed: int = 0, method: str = "ml", kinds: Mapping[str, str] | None = None,
                       indices: np.ndarray | None = None, pool: Executor | None = None) -> pd.DataFrame:
    """Apparent, optimism and optimism-corrected AUC and calibration slope of a logistic model (Harrell's bootstrap).

    Parameters
    ----------
    frame : DataFrame
        The development data the model is fitted on (one row per subject).
    outcome : str
        0/1 outcome column.
    predictors : sequence of str
        The model's predictors (fitted with :func:`gvisage_lib.clinical.logistic.fit_logistic`).
    n_boot : int
        Bootstrap samples (ignored when ``indices`` is given).
    seed : int
        Seed of the samples.
    method : {"ml", "firth", "auto"}
        Estimation, as :func:`~gvisage_lib.clinical.logistic.fit_logistic`; ``"auto"`` is the procedure of
        :func:`gvisage_lib.clinical.hybrid.fit_models`: maximum likelihood, Firth's penalised likelihood where the
        sample is (quasi-)separated. The same rule is replayed on every bootstrap sample, as the method asks.
    kinds : mapping, optional
        Predictor kinds, as :func:`~gvisage_lib.clinical.logistic.fit_logistic`.
    indices : array of shape (B, n), optional
        The bootstrap samples themselves (0-based row positions), e.g. to reproduce another implementation.
    pool : concurrent.futures.Executor, optional
        Where to refit: the samples are cut into consecutive blocks, one per pool worker (a process pool's
        ``_max_workers``, else 2), and each block is refitted there. The differences come back in the samples' order,
        so the table is the same as without a pool (:func:`gvisage_lib.clinical.hybrid.model_optimism` passes one
        :func:`gvisage_lib.core.workers.worker_pool` to all its models).

    Returns
    -------
    DataFrame
        :data:`OPTIMISM_COLUMNS`; one row for ``auc`` and one for ``calibration_slope``.
    """
    check_frame(frame, "frame", [outcome, *predictors])
    data = frame.reset_index(drop=True)
    y = pd.to_numeric(data[outcome]).to_numpy(dtype=int)
    if indices is None:
        check_int("n_boot", n_boot, minimum=10)
        rng = np.random.default_rng(seed)
        indices = rng.integers(0, len(data), size=(int(n_boot), len(data)))
    indices = np.asarray(indices, dtype=int)
    if indices.ndim != 2 or indices.shape[1] != len(data) or indices.min() < 0 or indices.max() >= len(data):
        raise ValueError(f"indices must be an array of shape (B, {len(data)}) of row positions, got {indices.shape}")
    if method not in ("ml", "firth", "auto"):
        raise ValueError(f"method must be 'ml', 'firth' or 'auto', got {method!r}")

    rule = (outcome, tuple(predictors), None if kinds is None else dict(kinds), method)
    full = _fit_rule(data, rule)
    apparent = _stats(full, data, y)
    if pool is None:
        blocks = [_refit_block((data, y, rule, indices))]
    else:
        n_blocks = int(getattr(pool, "_max_workers", 2) or 2)
        blocks = list(pool.map(_refit_block, [(data, y, rule, part) for part in
                                              np.array_split(indices, min(n_blocks, len(indices)))]))
    diffs = [d for block, _ in blocks for d in block]
    failed = sum(n for _, n in blocks)
    if not diffs:
        raise ValueError("no bootstrap sample could be fitted; the model is not estimable on resamples")
    optimism = np.mean(diffs, axis=0)
    rows = [{"statistic": name, "apparent": float(apparent[i]), "optimism": float(optimism[i]),
             "corrected": float(apparent[i] - optimism[i]), "n_boot": len(diffs), "n_failed": failed, "seed": seed}
            for i, name in enumerate(("auc", "calibration_slope"))]
    return pd.DataFrame(rows, columns=list(OPTIMISM_COLUMNS))


def _fit_rule(rows: pd.DataFrame, rule: tuple[Any, ...]) -> LogisticFit:
    """Fit ``rows`` by the estimation rule ``(outcome, predictors, kinds, method)`` of :func:`optimism_bootstrap`."""
    outcome, predictors, kinds, method = rule
    if method != "auto":
        return fit_logistic(rows, outcome, list(predictors), kinds=kinds, method=method)
    try:
        return fit_logistic(rows, outcome, list(predictors), kinds=kinds, method="ml")
    except SeparationError:
        return fit_logistic(rows, outcome, list(predictors), kinds=kinds, method="firth")


def _refit_block(job: tuple[Any, ...]) -> tuple[list[np.ndarray], int]:
    """Refit one block of bootstrap samples: (their [AUC, slope] differences sample minus original, in order; the
    number of samples that could not be fitted). A picklable task, so a process pool can run it."""
    from threadpoolctl import threadpool_limits

    data, y, rule, indices = job
    # one BLAS thread: the refits' small matrices gain nothing from more, and a pool's workers would fight over the
    # cores (quick profile, notebook 05's four models: 37 s in one process with 2 BLAS threads, 32 s with one; 36 s
    # in two workers with 2 BLAS threads each, 19 s with one)
    with threadpool_limits(limits=1):
        return _refit_samples(data, y, rule, indices)


def _refit_samples(data: pd.DataFrame, y: np.ndarray, rule: tuple[Any, ...],
                   indices: np.ndarray) -> tuple[list[np.ndarray], int]:
    """The loop of :func:`_refit_block`."""
    diffs, failed = [], 0
    for idx in indices:
        sample = data.iloc[idx].reset_index(drop=True)
        ys = y[idx]
        if ys.min() == ys.max():
            failed += 1
            continue
        try:
            refit = _fit_rule(sample, rule)
        except (SeparationError, ValueError, np.linalg.LinAlgError):
            failed += 1
            continue
        diffs.append(_stats(refit, sample, ys) - _stats(refit, data, y))
    return diffs, failed
