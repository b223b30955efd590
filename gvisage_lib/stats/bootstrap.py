"""Seeded, stratified, vectorised bootstrap for statistics without a closed form.

* Resampling: with ``stratified=True`` (default, as pROC's ``boot.stratified=TRUE``) cases and controls are
  resampled separately, so every replicate keeps the original numbers of cases and controls and no replicate is
  single-class. Indices come from ``numpy.random.default_rng(seed)``: the same seed gives the same intervals.
* Interval: percentile, ``numpy.quantile(replicates, [(1 - level) / 2, (1 + level) / 2])`` (linear interpolation,
  R's ``quantile(type = 7)``, as pROC). The point estimate is the statistic on the original data.
* Vectorised: all ``n_boot`` index vectors are drawn at once as a ``(n_boot, N)`` matrix; a statistic that accepts
  2-D arrays (one replicate per row) is called once (``vectorized=True``), any other once per replicate.

Examples
--------
>>> import numpy as np
>>> y = np.r_[np.zeros(30, int), np.ones(30, int)]
>>> s = y + np.random.default_rng(0).normal(size=60)
>>> b = bootstrap_ci(batched_auc, y, s, n_boot=500, seed=1, vectorized=True)
>>> b.ci_low < b.estimate < b.ci_high
True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.validation import check_binary_labels, check_int, check_level, check_scores

from .delong import midrank
from .results import StatResult

__all__ = [
    "BootstrapResult",
    "batched_auc",
    "batched_auc_ranks",
    "bootstrap_ci",
    "bootstrap_indices",
    "dense_ranks",
    "interpolated_sensitivity",
    "roc_confidence_band",
    "roc_confidence_band_step",
    "sensitivity_at_specificity",
]


def _check_n_boot(n_boot: Any) -> int:
    return check_int("n_boot", n_boot, minimum=1)


def bootstrap_indices(y_true: Any, n_boot: int = 2000, seed: int = 0, stratified: bool = True) -> np.ndarray:
    """Bootstrap index matrix of shape ``(n_boot, N)``.

    With ``stratified=True`` the first ``m`` columns resample the cases and the last ``n`` the controls (so
    ``y[idx]`` has the cases first in every row).

    Examples
    --------
    >>> idx = bootstrap_indices([0, 1, 0, 1, 1], n_boot=3, seed=0)
    >>> idx.shape, bool((np.asarray([0, 1, 0, 1, 1])[idx][:, :3] == 1).all())
    ((3, 5), True)
    """
    y = check_binary_labels(y_true, "y_true", require_both=stratified)
    b = _check_n_boot(n_boot)
    rng = np.random.default_rng(seed)
    if not stratified:
        return rng.integers(0, y.size, size=(b, y.size))
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    return np.concatenate([pos[rng.integers(0, pos.size, size=(b, pos.size))],
                           neg[rng.integers(0, neg.size, size=(b, neg.size))]], axis=1)


@dataclass(frozen=True)
class BootstrapResult(StatResult):
    """Percentile bootstrap confidence interval of a statistic."""

    estimate: float
    ci_low: float
    ci_high: float
    level: float
    n_boot: int
    seed: int
    stratified: bool


def bootstrap_ci(statistic_fn: Callable[..., Any], y_true: Any, *arrays: Any, n_boot: int = 2000,
                 level: float = 0.95, seed: int = 0, stratified: bool = True,
                 vectorized: bool = False) -> BootstrapResult:
    """Percentile bootstrap CI of ``statistic_fn(y_true, *arrays)``.

    Parameters
    ----------
    statistic_fn : callable
        ``statistic_fn(y, *arrays) -> float``. With ``vectorized=True`` it receives 2-D arrays (one replicate per
        row) and returns one value per row (e.g. :func:`batched_auc`).
    y_true : array-like of shape (N,)
        Binary labels; the strata when ``stratified``.
    *arrays : array-like of shape (N,)
        Other per-subject arrays resampled together with ``y_true`` (scores, ...).
    n_boot : int
        Number of replicates.
    level : float
        Confidence level.
    seed : int
        Seed of ``numpy.random.default_rng``.
    stratified : bool
        Resample cases and controls separately.
    vectorized : bool
        Call ``statistic_fn`` once on all replicates.

    Returns
    -------
    BootstrapResult
        ``estimate`` (on the data), ``ci_low``, ``ci_high``, and the replicates used. Replicates whose statistic is
        not finite are dropped with a warning (e.g. a one-class replicate when ``stratified=False``).

    Examples
    --------
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> s = [0.1, 0.5, 0.3, 0.4, 0.8, 0.9]
    >>> b = bootstrap_ci(lambda y, s: float(np.mean(s[y == 1]) - np.mean(s[y == 0])), y, s, n_boot=200)
    >>> round(b.estimate, 4), b.ci_low <= b.estimate <= b.ci_high
    (0.4, True)
    """
    y = check_binary_labels(y_true, "y_true", require_both=stratified)
    arrs = [check_scores(a, f"arrays[{i}]", y.size) for i, a in enumerate(arrays)]
    lv = check_level(level)
    idx = bootstrap_indices(y, n_boot, seed, stratified)
    estimate = float(statistic_fn(y, *arrs))
    if vectorized:
        reps = np.asarray(statistic_fn(y[idx], *[a[idx] for a in arrs]), dtype=np.float64).reshape(-1)
        if reps.size != idx.shape[0]:
            raise ValueError(f"statistic_fn returned {reps.size} values for {idx.shape[0]} replicates "
                             "(vectorized=True needs one per row)")
    else:
        reps = np.array([float(statistic_fn(y[i], *[a[i] for a in arrs])) for i in idx])
    ok = np.isfinite(reps)
    if not ok.all():
        warnings.warn(f"bootstrap_ci: {int((~ok).sum())} of {reps.size} replicates were not finite and were dropped",
                      RuntimeWarning, stacklevel=2)
    lo, hi = np.quantile(reps[ok], [(1.0 - lv) / 2.0, (1.0 + lv) / 2.0])
    return BootstrapResult(estimate, float(lo), float(hi), lv, int(ok.sum()), int(seed), bool(stratified))


def batched_auc(y: Any, score: Any) -> np.ndarray | float:
    """Mann-Whitney AUC of each row of 2-D ``y``/``score`` (or of 1-D arrays), vectorised via midranks.

    Examples
    --------
    >>> batched_auc(np.array([[0, 0, 1, 1], [0, 1, 0, 1]]), np.array([[1, 2, 3, 4], [1, 2, 3, 4]]))
    array([1.  , 0.75])
    """
    y2 = np.atleast_2d(np.asarray(y))
    s2 = np.atleast_2d(np.asarray(score, dtype=np.float64))
    r = midrank(s2)
    m = y2.sum(axis=1).astype(np.float64)
    n = y2.shape[1] - m
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = ((r * (y2 == 1)).sum(axis=1) - m * (m + 1) / 2.0) / (m * n)
    return float(auc[0]) if np.ndim(y) == 1 else auc


def dense_ranks(score: Any) -> tuple[np.ndarray, int]:
    """Dense ranks (0 for the smallest value, ties share a rank) of a 1-D score, and the number of distinct values.

    An AUC depends on the scores only through their order, so :func:`batched_auc_ranks` on the dense ranks gives the
    AUC of the scores.

    Examples
    --------
    >>> dense_ranks([0.3, 0.1, 0.3, 0.9])
    (array([1, 0, 1, 2]), 3)
    """
    values, inverse = np.unique(np.asarray(score, dtype=np.float64), return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), int(values.size)


def batched_auc_ranks(y: Any, ranks: Any, n_levels: int | None = None) -> np.ndarray | float:
    """:func:`batched_auc` of integer scores ``0 .. n_levels - 1`` (e.g. :func:`dense_ranks`), by counting, without a
    sort.

    The fast path of bootstraps that resample the same subjects many times: each row's AUC is the sum over its cases of
    (controls ranked below + half the controls tied) over ``m n``, counted with one ``bincount`` for all rows. The
    numerators are whole or half numbers, exact in floating point, so the result equals :func:`batched_auc`'s bit for
    bit (``tests/stats/test_stats_bootstrap.py``).

    Parameters
    ----------
    y : array-like of shape (N,) or (B, N)
        Binary labels, one replicate per row.
    ranks : array-like of int, same shape
        Integer scores in ``[0, n_levels)``.
    n_levels : int, optional
        Number of levels (default: the largest rank + 1).

    Examples
    --------
    >>> batched_auc_ranks(np.array([[0, 0, 1, 1], [0, 1, 0, 1]]), np.array([[0, 1, 2, 3], [0, 1, 2, 3]]))
    array([1.  , 0.75])
    """
    y2 = np.atleast_2d(np.asarray(y))
    r2 = np.atleast_2d(np.asarray(ranks))
    if r2.shape != y2.shape:
        raise ValueError(f"ranks must have the shape of y {y2.shape}, got {r2.shape}")
    if r2.dtype.kind not in "iu":
        raise TypeError(f"ranks must be integers (e.g. dense_ranks(score)), got dtype {r2.dtype}")
    k = int(r2.max()) + 1 if n_levels is None else int(n_levels)
    if r2.size and (r2.min() < 0 or r2.max() >= k):
        raise ValueError(f"ranks must lie in [0, {k}), got values from {r2.min()} to {r2.max()}")
    b = y2.shape[0]
    pos = y2 == 1
    flat = (r2 + (np.arange(b) * k)[:, None]).ravel()
    controls = np.bincount(flat[~pos.ravel()], minlength=b * k).reshape(b, k)
    # per level: controls strictly below it plus half the controls at it
    placement = np.cumsum(controls, axis=1) - 0.5 * controls
    m = pos.sum(axis=1).astype(np.float64)
    n = y2.shape[1] - m
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = np.where(pos, np.take_along_axis(placement, r2, axis=1), 0.0).sum(axis=1) / (m * n)
    return float(auc[0]) if np.ndim(y) == 1 else auc


def sensitivity_at_specificity(cases: np.ndarray, controls: np.ndarray, specificities: np.ndarray) -> np.ndarray:
    """Highest sensitivity reachable with specificity >= each value, row by row (upper envelope of the empirical ROC).

    ``cases`` (B, m) and ``controls`` (B, n) are integer ranks or scores, one replicate per row. At specificity
    ``sp`` at least ``k = ceil(sp n)`` controls must lie strictly below the threshold, so the best threshold sits just
    above the k-th smallest control and the sensitivity is the fraction of cases above it (1 when ``k = 0``).

    Examples
    --------
    >>> sensitivity_at_specificity(np.array([[2, 4, 6]]), np.array([[1, 3, 5]]), np.array([0.0, 0.5, 1.0]))
    array([[1.        , 0.66666667, 0.33333333]])
    """
    cases = np.sort(np.atleast_2d(cases), axis=1).astype(np.float64)
    controls = np.sort(np.atleast_2d(controls), axis=1).astype(np.float64)
    b, m = cases.shape
    n = controls.shape[1]
    k = np.ceil(np.asarray(specificities, dtype=np.float64) * n - 1e-9).astype(np.int64).clip(0, n)
    out = np.ones((b, k.size))
    has = k > 0
    if has.any():
        thr = controls[:, k[has] - 1]  # (B, G'): k-th smallest control
        # One searchsorted over all rows: shift row r by r * span so the rows stay sorted end to end.
        lo = min(cases.min(), controls.min())
        span = max(cases.max(), controls.max()) - lo + 1.0
        off = np.arange(b)[:, None] * span
        flat = (cases - lo + off).ravel()
        below = (np.searchsorted(flat, (thr - lo + off).ravel(), side="right").reshape(thr.shape)
                 - np.arange(b)[:, None] * m)
        out[:, has] = 1.0 - below / m
    return out


def interpolated_sensitivity(cases: np.ndarray, controls: np.ndarray, specificities: np.ndarray,
                             n_levels: int | None = None) -> np.ndarray:
    """Sensitivity of the empirical ROC curve at each specificity, linearly interpolated, row by row (pROC's
    ``coords(roc, x = sp, input = "specificity", ret = "sensitivity")``).

    ``cases`` (B, m) and ``controls`` (B, n) are integer ranks in ``[0, n_levels)`` (e.g. dense ranks of the
    scores), one replicate per row. The curve's points are those of pROC's thresholds: (specificity 0, sensitivity
    1) below every score, then, above each level, ``sp = #controls <= level / n`` and ``se = #cases > level / m``.
    Where a point has the specificity exactly, its highest sensitivity is taken (pROC: the first point in the order
    of increasing thresholds); elsewhere the sensitivity is interpolated linearly between the last point below and
    the first point above, with pROC's arithmetic, so that the values are the same doubles. As in pROC the match is
    exact: a specificity one ulp away from a curve's ``k / n`` (``0.7000000000000001`` against ``7 / 10``) is
    interpolated, which at a vertical step of the curve gives the step's lowest sensitivity instead of its highest;
    pass specificities that are the nearest doubles to their decimal values (e.g. ``np.round(grid, 2)``).

    Examples
    --------
    A case and a control tie at rank 1: the curve runs diagonally from (sp .5, se 1) to (sp 1, se .5), and the
    sensitivity at specificity .75 lies half-way (the step, :func:`sensitivity_at_specificity`, gives .5):

    >>> interpolated_sensitivity(np.array([[1, 2]]), np.array([[0, 1]]), np.array([0.0, 0.75, 1.0]))
    array([[1.  , 0.75, 0.5 ]])
    """
    cases, controls = np.atleast_2d(cases), np.atleast_2d(controls)
    if cases.dtype.kind not in "iu" or controls.dtype.kind not in "iu":
        raise TypeError(f"cases and controls must be integer ranks, got {cases.dtype} and {controls.dtype}")
    b, m = cases.shape
    n = controls.shape[1]
    k = int(max(cases.max(), controls.max())) + 1 if n_levels is None else int(n_levels)
    off = (np.arange(b) * k)[:, None]
    ca = np.bincount((cases + off).ravel(), minlength=b * k).reshape(b, k)
    cc = np.bincount((controls + off).ravel(), minlength=b * k).reshape(b, k)
    sp = np.concatenate([np.zeros((b, 1)), np.cumsum(cc, axis=1) / n], axis=1)  # (B, k + 1), nondecreasing
    se = np.concatenate([np.ones((b, 1)), (m - np.cumsum(ca, axis=1)) / m], axis=1)
    targets = np.asarray(specificities, dtype=np.float64)
    out = np.empty((b, targets.size))
    rows = np.arange(b)
    for j, x in enumerate(targets):
        nxt = np.minimum((sp < x).sum(axis=1), k)  # first point with sp >= x
        exact = sp[rows, nxt] == x
        prev = np.maximum(nxt - 1, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            proportion = (x - sp[rows, nxt]) / (sp[rows, prev] - sp[rows, nxt])
            inter = se[rows, nxt] + proportion * (se[rows, prev] - se[rows, nxt])
        out[:, j] = np.where(exact, se[rows, nxt], inter)
    return out


def _band(y_true: Any, score: Any, specificities: Sequence[float] | np.ndarray | None, n_boot: int, level: float,
          seed: int, indices: np.ndarray | None, curve: Callable[..., np.ndarray]) -> pd.DataFrame:
    y = check_binary_labels(y_true, "y_true")
    s = check_scores(score, "score", y.size)
    lv = check_level(level)
    # the default grid holds the doubles nearest to 0.00, 0.01, ..., 1.00 (np.linspace gives 0.7000000000000001,
    # which an exact comparison would not find equal to 7 / 10)
    sp = np.round(np.linspace(0.0, 1.0, 101), 2) if specificities is None else \
        np.asarray(specificities, dtype=np.float64)
    if sp.ndim != 1 or np.any((sp < 0) | (sp > 1)) or np.any(np.isnan(sp)):
        raise ValueError(f"specificities must be a 1-D array of values in [0, 1], got {sp!r}")
    ranks = np.unique(s, return_inverse=True)[1].astype(np.int64)
    pos = y == 1
    m = int(pos.sum())
    if indices is None:
        idx = bootstrap_indices(y, n_boot, seed, stratified=True)
    else:
        idx = np.asarray(indices)
        if idx.ndim != 2 or idx.shape[1] != y.size or idx.dtype.kind not in "iu" or idx.min() < 0 \
                or idx.max() >= y.size or not (y[idx][:, :m] == 1).all() or not (y[idx][:, m:] == 0).all():
            raise ValueError(f"indices must be a (B, {y.size}) array of row positions with the {m} cases first "
                             "in every row (bootstrap_indices' stratified layout)")
    point = curve(ranks[pos][None, :], ranks[~pos][None, :], sp)[0]
    r = ranks[idx]
    reps = curve(r[:, :m], r[:, m:], sp)
    q = np.quantile(reps, [(1.0 - lv) / 2.0, 0.5, (1.0 + lv) / 2.0], axis=0)
    return pd.DataFrame({"specificity": sp, "sensitivity": point, "se_low": q[0], "se_median": q[1], "se_high": q[2]})


def roc_confidence_band(y_true: Any, score: Any, specificities: Sequence[float] | np.ndarray | None = None,
                        n_boot: int = 2000, level: float = 0.95, seed: int = 0,
                        indices: np.ndarray | None = None) -> pd.DataFrame:
    """Pointwise bootstrap confidence band of the ROC curve: sensitivity at fixed specificities (pROC's ``ci.se``).

    The same quantity as pROC's ``ci.se(roc, specificities = sp, boot.stratified = TRUE)``: stratified bootstrap,
    on each replicate the sensitivity of the empirical ROC curve at each specificity, linearly interpolated between
    the curve's points (:func:`interpolated_sensitivity`), then R's type-7 quantiles. Given the same resamples
    (``indices``) the band is pROC's (``tests/r/proc_ci_se_reference.R``). Scores are replaced by their dense ranks
    first, which changes nothing in an ROC curve. :func:`roc_confidence_band_step` is the other band: the highest
    sensitivity reached with at least that specificity (a step, never interpolated).

    Parameters
    ----------
    y_true, score : array-like of shape (N,)
        Labels (1 = case) and scores (higher = case).
    specificities : array-like, optional
        Where the band is computed (default 0, 0.01, ..., 1, each the double nearest to its decimal value, as R's
        ``round(seq(0, 1, 0.01), 2)``).
    n_boot, level, seed : int, float, int
        Replicates, confidence level and seed of :func:`bootstrap_indices` (ignored when ``indices`` is given).
    indices : array of shape (B, N), optional
        The resamples themselves, in :func:`bootstrap_indices`' stratified layout (cases first), e.g. pROC's.

    Returns
    -------
    DataFrame: ``specificity, sensitivity (on the data), se_low, se_median, se_high``.

    Examples
    --------
    >>> y = np.r_[np.zeros(40, int), np.ones(40, int)]
    >>> s = y + np.random.default_rng(0).normal(size=80)
    >>> band = roc_confidence_band(y, s, specificities=[0.5, 0.9], n_boot=300, seed=0)
    >>> bool((band.se_low <= band.sensitivity).all() and (band.sensitivity <= band.se_high).all())
    True
    """
    return _band(y_true, score, specificities, n_boot, level, seed, indices, interpolated_sensitivity)


def roc_confidence_band_step(y_true: Any, score: Any, specificities: Sequence[float] | np.ndarray | None = None,
                             n_boot: int = 2000, level: float = 0.95, seed: int = 0,
                             indices: np.ndarray | None = None) -> pd.DataFrame:
    """Pointwise bootstrap band of the highest sensitivity reachable with at least each specificity (a step).

    As :func:`roc_confidence_band` (same resamples, same quantiles) but on each replicate the upper envelope of the
    empirical ROC curve at each specificity (:func:`sensitivity_at_specificity`): what an operating point chosen for
    a specificity floor achieves. Not pROC's ``ci.se``, which interpolates; where a specificity falls between two
    points of a replicate's curve, the step is at or below the interpolated value (it takes the next point up in
    specificity).

    Examples
    --------
    >>> y = np.r_[np.zeros(40, int), np.ones(40, int)]
    >>> s = y + np.random.default_rng(0).normal(size=80)
    >>> step = roc_confidence_band_step(y, s, specificities=[0.33], n_boot=200, seed=0)
    >>> lin = roc_confidence_band(y, s, specificities=[0.33], n_boot=200, seed=0)
    >>> bool((step.se_median <= lin.se_median).all())
    True
    """
    return _band(y_true, score, specificities, n_boot, level, seed, indices, sensitivity_at_specificity)
