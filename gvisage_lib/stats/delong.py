"""AUC, its variance and confidence interval, and DeLong tests, by the fast midrank algorithm.

The algorithm is Sun & Xu (2014), "Fast implementation of DeLong's algorithm for comparing the areas under
correlated receiver operating characteristic curves", IEEE Signal Processing Letters 21(11):1389-1393. With ``m``
cases (label 1) and ``n`` controls (label 0), the placement of a case is (its midrank among all subjects - its
midrank among the cases) / n, i.e. the number of controls below it plus half the tied ones, over n; we count these
with one sort of the cases, one of the controls and binary searches, which gives exactly the midrank differences
in O((m+n) log(m+n)) instead of the O(m n) of the pairwise definition (``benchmarks/delong.py``). All results
reproduce R's pROC 1.18.0 (see ``tests/stats/test_stats_delong.py`` and ``tests/r/proc_reference.R``):

* ``roc_auc_delong``      = ``roc(y, s, levels=c(0, 1), direction="<")`` + ``var(roc)``
  + ``ci.auc(roc, method="delong")``
* ``delong_test``         = ``roc.test(roc_a, roc_b, method="delong", paired=TRUE, alternative=..., conf.level=...)``
* ``delong_test_unpaired`` = ``roc.test(roc_a, roc_b, method="delong", paired=FALSE)``

Conventions (docs/statistics.md)
--------------------------
* Higher scores mean "more likely positive" (pROC's ``direction="<"``: controls < cases). A curve whose AUC is below
  0.5 is reported as such; it is never flipped.
* Ties between a case and a control count one half (the Mann-Whitney convention), as in pROC.
* The placements are pROC's: ``V10`` (one per case) is the fraction of controls scored below the case (ties 1/2),
  ``V01`` (one per control) the fraction of cases scored above it. The AUC is the mean of ``V10``, the Mann-Whitney
  ``U / (m n)``; each call checks that it equals the mean of ``V01`` (the same U counted from the controls' side),
  as pROC checks its own ``theta`` (the tests also check it against ``scipy.stats.mannwhitneyu``).
* Variance and covariance: ``S = S10 / m + S01 / n`` with ``S10``, ``S01`` the sample (``n - 1``) covariance matrices
  of the placements around the AUC.
* CI of one AUC: normal on the AUC scale, ``auc +/- z * sqrt(var)``, clipped to [0, 1] as pROC does. With fewer than
  two cases or two controls the variance is undefined: variance and CI are NaN (pROC returns NA).
* Paired test: ``z = (auc_a - auc_b) / sqrt(L S L')``, ``L = (1, -1)``; when both the difference and its standard
  error are exactly 0 (identical scores, or two perfect curves) ``z = 0`` and ``p = 1``, as pROC. The CI of the
  difference is pROC's: always the two-sided ``d +/- z_{1-(1-level)/2} * se``, whatever ``alternative`` is.
* Unpaired test: pROC's statistic ``D`` with Welch-Satterthwaite degrees of freedom and a t distribution.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = np.r_[np.zeros(50, int), np.ones(50, int)]
>>> a = y + rng.normal(size=100)
>>> r = roc_auc_delong(y, a)
>>> round(r.auc, 4) == round(float(np.mean(a[y == 1][:, None] > a[y == 0][None, :])), 4)
True
>>> t = delong_test(y, a, a)
>>> t.z, t.p_value
(0.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special, stats

from gvisage_lib.core.validation import check_binary_labels, check_choice, check_level, check_scores

from .results import StatResult

__all__ = [
    "AUCResult",
    "DeLongTestResult",
    "UnpairedDeLongResult",
    "midrank",
    "delong_placements",
    "delong_auc_covariance",
    "roc_auc_delong",
    "delong_test",
    "delong_test_unpaired",
]

ALTERNATIVES = ("two-sided", "greater", "less")


def midrank(x: np.ndarray) -> np.ndarray:
    """Midranks (1-based; tied values share the mean of their ranks) along the last axis of a 1-D or 2-D array.

    Equivalent to ``scipy.stats.rankdata(x, method="average", axis=-1)``; one stable sort per row.

    Examples
    --------
    >>> midrank(np.array([3.0, 1.0, 3.0, 2.0]))
    array([3.5, 1. , 3.5, 2. ])
    """
    x = np.asarray(x, dtype=np.float64)
    one_d = x.ndim == 1
    x2 = np.atleast_2d(x)
    k, n = x2.shape
    order = np.argsort(x2, axis=1, kind="stable")
    xs = np.take_along_axis(x2, order, axis=1)
    # Run starts: first element of each row, and wherever the sorted value changes.
    new_run = np.ones((k, n), dtype=bool)
    new_run[:, 1:] = xs[:, 1:] != xs[:, :-1]
    flat = new_run.ravel()
    starts = np.flatnonzero(flat)
    lengths = np.diff(np.r_[starts, flat.size])
    start_in_row = starts % n
    run_rank = start_in_row + (lengths + 1) / 2.0  # mean of 1-based ranks start+1 .. start+len
    ranks_sorted = np.repeat(run_rank, lengths).reshape(k, n)
    out = np.empty((k, n), dtype=np.float64)
    np.put_along_axis(out, order, ranks_sorted, axis=1)
    return out[0] if one_d else out


def _split(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pos = y == 1
    return scores[:, pos], scores[:, ~pos]


def delong_placements(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DeLong placements of every score (Sun & Xu midrank placements, counted by sorting), with the AUCs.

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels (1 = case).
    scores : array-like of shape (N,) or (K, N)
        One score per row; higher = more likely a case.

    Returns
    -------
    auc : ndarray (K,)
    v10 : ndarray (K, m)
        Per case: fraction of controls scored below it (ties 1/2). pROC's ``delongPlacements(roc)$X``.
    v01 : ndarray (K, n)
        Per control: fraction of cases scored above it (ties 1/2). pROC's ``delongPlacements(roc)$Y``.

    Examples
    --------
    >>> auc, v10, v01 = delong_placements([0, 0, 1], [0.1, 0.5, 0.5])
    >>> auc, v10, v01
    (array([0.75]), array([[0.75]]), array([[1. , 0.5]]))
    """
    y = check_binary_labels(y_true, "y_true")
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    if s.ndim != 2 or s.shape[1] != y.size:
        raise ValueError(f"scores must have shape ({y.size},) or (K, {y.size}), got {np.shape(scores)}")
    if not np.all(np.isfinite(s)):
        bad = np.argwhere(~np.isfinite(s))[0]
        raise ValueError(f"scores must be finite; found {s[tuple(bad)].item()!r} at index {tuple(int(i) for i in bad)}")
    x, z = _split(y, s)
    k, m, n = s.shape[0], x.shape[1], z.shape[1]
    v10 = np.empty((k, m))
    v01 = np.empty((k, n))
    u2 = np.empty(k)  # twice the Mann-Whitney U: an integer, summed exactly whatever the subjects' order
    for j in range(k):
        # Sun & Xu: placement of a case = (midrank among all - midrank among cases) / n
        #         = (#controls below + #controls tied / 2) / n, counted here by binary search in the sorted controls
        #           (two sorts and four searchsorted calls per score: O(N log N)).
        xo = np.argsort(x[j])
        zo = np.argsort(z[j])
        xs, zs = x[j][xo], z[j][zo]
        c10 = np.searchsorted(zs, xs, "left") + np.searchsorted(zs, xs, "right")
        u2[j] = float(c10.sum())
        v10[j, xo] = c10 / (2.0 * n)
        v01[j, zo] = (2 * m - np.searchsorted(xs, zs, "left") - np.searchsorted(xs, zs, "right")) / (2.0 * m)
    auc = u2 / (2.0 * m * n)
    # Self-check, as pROC checks its theta: the AUC from the cases' placements must equal the AUC from the
    # controls' placements (both are the Mann-Whitney U / (m n), counted from opposite sides).
    auc_controls = v01.mean(axis=1)
    if not np.allclose(auc, auc_controls, rtol=0, atol=1e-12):
        raise RuntimeError(f"DeLong placements disagree: AUC {auc} from cases, {auc_controls} from controls")
    return auc, v10, v01


def _canonical_columns(v: np.ndarray) -> np.ndarray:
    """``v`` with its columns (subjects) in a fixed order: sorted on the K placements, so that the sums below add
    the same numbers in the same order whatever the order of the subjects (results invariant to row order)."""
    return v[:, np.lexsort(v[::-1])] if v.shape[1] > 1 else v


def _cov_from_placements(auc: np.ndarray, v10: np.ndarray, v01: np.ndarray) -> np.ndarray:
    m, n = v10.shape[1], v01.shape[1]
    v10, v01 = _canonical_columns(v10), _canonical_columns(v01)
    with np.errstate(divide="ignore", invalid="ignore"):
        dx = v10 - auc[:, None]
        dy = v01 - auc[:, None]
        sx = (dx @ dx.T) / (m - 1) if m > 1 else np.full((auc.size, auc.size), np.nan)
        sy = (dy @ dy.T) / (n - 1) if n > 1 else np.full((auc.size, auc.size), np.nan)
        return sx / m + sy / n


def delong_auc_covariance(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of K scores on the same subjects and their DeLong covariance matrix (K x K).

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels (1 = case).
    scores : array-like of shape (K, N), or a mapping/sequence of K arrays of length N
        Scores of K classifiers for the same subjects (paired design).

    Returns
    -------
    auc : ndarray (K,)
    cov : ndarray (K, K)
        ``cov[i, i]`` is ``var(roc_i)`` of pROC; ``cov[i, j]`` is ``cov(roc_i, roc_j)``.

    Examples
    --------
    >>> auc, cov = delong_auc_covariance([0, 0, 1, 1], [[0.1, 0.4, 0.35, 0.8], [0.2, 0.3, 0.6, 0.7]])
    >>> auc.tolist(), cov.shape
    ([0.75, 1.0], (2, 2))
    """
    y = check_binary_labels(y_true, "y_true")
    s = _stack_scores(scores, y.size)
    auc, v10, v01 = delong_placements(y, s)
    return auc, _cov_from_placements(auc, v10, v01)


def _stack_scores(scores: Any, n: int) -> np.ndarray:
    if isinstance(scores, Mapping):
        rows = [check_scores(v, f"scores[{k!r}]", n) for k, v in scores.items()]
    elif isinstance(scores, np.ndarray) and scores.ndim == 2:
        rows = [check_scores(r, f"scores[{i}]", n) for i, r in enumerate(scores)]
    elif isinstance(scores, Sequence) and len(scores) and np.ndim(scores[0]) == 1:
        rows = [check_scores(r, f"scores[{i}]", n) for i, r in enumerate(scores)]
    else:
        rows = [check_scores(scores, "scores", n)]
    return np.vstack(rows)


@dataclass(frozen=True, repr=False)
class AUCResult(StatResult):
    """AUC with its DeLong variance and confidence interval (pROC ``auc``/``var``/``ci.auc(method="delong")``)."""

    auc: float
    variance: float
    ci_low: float
    ci_high: float
    se: float
    n_pos: int
    n_neg: int
    level: float

    def __repr__(self) -> str:
        return (f"AUCResult(auc={self.auc:.4f}, {self.level:.0%} CI {self.ci_low:.4f}-{self.ci_high:.4f}, "
                f"n_pos={self.n_pos}, n_neg={self.n_neg})")


def _normal_ci(center: float, se: float, level: float) -> tuple[float, float]:
    zc = float(special.ndtri(0.5 + level / 2.0))
    # R's qnorm(p, mean, sd) is mean + sd * qnorm(p): written the same way so that sd = 0 gives the centre.
    return center + se * -zc, center + se * zc


def roc_auc_delong(y_true: Any, score: Any, level: float = 0.95) -> AUCResult:
    """AUC of ``score`` for ``y_true`` with DeLong's variance and CI, as pROC.

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels, {0, 1} or bool; 1 = positive (case).
    score : array-like of shape (N,)
        Higher = more likely positive (pROC ``direction="<"``; never flipped).
    level : float
        Confidence level of the interval.

    Returns
    -------
    AUCResult
        ``auc``, ``variance``, ``se``, ``ci_low``, ``ci_high``, ``n_pos``, ``n_neg``, ``level``. The CI is
        ``auc +/- z se`` clipped to [0, 1]; NaN with fewer than 2 cases or 2 controls (pROC: NA).

    Examples
    --------
    >>> r = roc_auc_delong([0, 0, 0, 1, 1], [0.1, 0.3, 0.6, 0.5, 0.9])
    >>> round(r.auc, 6), round(r.variance, 6)
    (0.833333, 0.055556)
    """
    y = check_binary_labels(y_true, "y_true")
    s = check_scores(score, "score", y.size)
    lv = check_level(level)
    auc, v10, v01 = delong_placements(y, s[None, :])
    var = float(_cov_from_placements(auc, v10, v01)[0, 0])
    se = float(np.sqrt(var)) if np.isfinite(var) else float("nan")
    lo, hi = _normal_ci(float(auc[0]), se, lv)
    lo, hi = (min(max(lo, 0.0), 1.0), min(max(hi, 0.0), 1.0)) if np.isfinite(se) else (np.nan, np.nan)
    return AUCResult(auc=float(auc[0]), variance=var, ci_low=float(lo), ci_high=float(hi), se=se,
                     n_pos=int(y.sum()), n_neg=int(y.size - y.sum()), level=lv)


@dataclass(frozen=True, repr=False)
class DeLongTestResult(StatResult):
    """Paired DeLong test of two AUCs on the same subjects (pROC ``roc.test(paired=TRUE, method="delong")``)."""

    auc_a: float
    auc_b: float
    difference: float
    z: float
    p_value: float
    diff_ci_low: float
    diff_ci_high: float
    variance_a: float
    variance_b: float
    covariance: float
    variance_diff: float
    se_diff: float
    alternative: str
    level: float
    n_pos: int
    n_neg: int
    covariance_matrix: np.ndarray = field(default_factory=lambda: np.full((2, 2), np.nan))

    def __repr__(self) -> str:
        return (f"DeLongTestResult(auc_a={self.auc_a:.4f}, auc_b={self.auc_b:.4f}, z={self.z:.4g}, "
                f"p={self.p_value:.4g}, alternative={self.alternative!r})")


def _p_normal(z: float, alternative: str) -> float:
    if alternative == "two-sided":
        return float(2.0 * special.ndtr(-abs(z)))
    if alternative == "greater":
        return float(special.ndtr(-z))
    return float(special.ndtr(z))


def delong_test(y_true: Any, score_a: Any, score_b: Any, alternative: str = "two-sided",
                level: float = 0.95) -> DeLongTestResult:
    """Paired DeLong test comparing the AUCs of two scores of the same subjects, as pROC.

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels (1 = case).
    score_a, score_b : array-like of shape (N,)
        Two scores of the same subjects, in the same order; higher = more likely positive.
    alternative : {"two-sided", "greater", "less"}
        ``"greater"`` tests AUC_a > AUC_b.
    level : float
        Level of the (always two-sided, as pROC) CI of ``auc_a - auc_b``.

    Returns
    -------
    DeLongTestResult
        ``auc_a``, ``auc_b``, ``difference``, ``z``, ``p_value``, ``diff_ci_low``, ``diff_ci_high``, the
        variances, ``covariance``, ``variance_diff``, ``se_diff`` and the 2x2 ``covariance_matrix``.

    Examples
    --------
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> r = delong_test(y, [0.1, 0.2, 0.7, 0.4, 0.8, 0.9], [0.3, 0.2, 0.1, 0.6, 0.5, 0.4])
    >>> round(r.auc_a, 4), round(r.auc_b, 4), round(r.z, 4)
    (0.8889, 1.0, -0.7071)
    """
    y = check_binary_labels(y_true, "y_true")
    a = check_scores(score_a, "score_a", y.size)
    b = check_scores(score_b, "score_b", y.size)
    alt = check_choice(alternative, "alternative", ALTERNATIVES)
    lv = check_level(level)
    auc, v10, v01 = delong_placements(y, np.vstack([a, b]))
    S = _cov_from_placements(auc, v10, v01)
    # pROC: sig <- sqrt(L %*% S %*% L), evaluated in the same order.
    var_d = float((S[0, 0] - S[1, 0]) - (S[0, 1] - S[1, 1]))
    if var_d < 0 and var_d > -1e-15:  # rounding of an exact zero; pROC would give NaN here
        var_d = 0.0
    sig = float(np.sqrt(var_d)) if var_d >= 0 else float("nan")
    d = float(auc[0] - auc[1])
    if d == 0.0 and sig == 0.0:
        z = 0.0
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = float(np.float64(d) / np.float64(sig))
    p = _p_normal(z, alt) if np.isfinite(z) or np.isinf(z) else float("nan")
    zc = float(special.ndtri(1.0 - (1.0 - lv) / 2.0))
    return DeLongTestResult(
        auc_a=float(auc[0]), auc_b=float(auc[1]), difference=d, z=z, p_value=p,
        diff_ci_low=d - zc * sig, diff_ci_high=d + zc * sig,
        variance_a=float(S[0, 0]), variance_b=float(S[1, 1]), covariance=float(S[0, 1]),
        variance_diff=var_d, se_diff=sig, alternative=alt, level=lv,
        n_pos=int(y.sum()), n_neg=int(y.size - y.sum()), covariance_matrix=S,
    )


@dataclass(frozen=True, repr=False)
class UnpairedDeLongResult(StatResult):
    """DeLong test of two AUCs from independent samples (pROC ``roc.test(paired=FALSE, method="delong")``)."""

    auc_a: float
    auc_b: float
    difference: float
    statistic: float
    df: float
    p_value: float
    variance_a: float
    variance_b: float
    alternative: str

    def __repr__(self) -> str:
        return (f"UnpairedDeLongResult(auc_a={self.auc_a:.4f}, auc_b={self.auc_b:.4f}, D={self.statistic:.4g}, "
                f"df={self.df:.4g}, p={self.p_value:.4g})")


def delong_test_unpaired(y_a: Any, score_a: Any, y_b: Any, score_b: Any,
                         alternative: str = "two-sided") -> UnpairedDeLongResult:
    """DeLong test comparing AUCs of two independent samples, as pROC (Welch-Satterthwaite df, t distribution).

    ``D = (auc_a - auc_b) / sqrt(V_a + V_b)``, ``df = (V_a + V_b)^2 / (V_a^2 / (N_a - 1) + V_b^2 / (N_b - 1))``
    with ``V`` the DeLong variances and ``N`` the sample sizes (cases + controls); p from Student's t with ``df``.

    Parameters
    ----------
    y_a, score_a : array-like
        Labels and scores of sample A.
    y_b, score_b : array-like
        Labels and scores of sample B (other subjects).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"`` tests AUC_a > AUC_b.

    Examples
    --------
    >>> r = delong_test_unpaired([0, 0, 1, 1, 1], [0.1, 0.6, 0.5, 0.7, 0.9], [0, 0, 0, 1, 1], [0.2, 0.1, 0.3, 0.9, 0.8])
    >>> round(r.auc_a, 4), round(r.auc_b, 4), r.statistic < 0
    (0.8333, 1.0, True)
    """
    ya = check_binary_labels(y_a, "y_a")
    yb = check_binary_labels(y_b, "y_b")
    sa = check_scores(score_a, "score_a", ya.size, "y_a")
    sb = check_scores(score_b, "score_b", yb.size, "y_b")
    alt = check_choice(alternative, "alternative", ALTERNATIVES)
    auc_a, v10a, v01a = delong_placements(ya, sa[None, :])
    auc_b, v10b, v01b = delong_placements(yb, sb[None, :])
    va = float(_cov_from_placements(auc_a, v10a, v01a)[0, 0])
    vb = float(_cov_from_placements(auc_b, v10b, v01b)[0, 0])
    d = float(auc_a[0] - auc_b[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = float(np.float64(d) / np.sqrt(np.float64(va + vb)))
        df = float(np.float64(va + vb) ** 2 / (va**2 / (ya.size - 1) + vb**2 / (yb.size - 1)))
    if alt == "two-sided":
        p = float(2.0 * stats.t.cdf(-abs(t), df))
    elif alt == "greater":
        p = float(stats.t.cdf(-t, df))
    else:
        p = float(stats.t.cdf(t, df))
    return UnpairedDeLongResult(auc_a=float(auc_a[0]), auc_b=float(auc_b[0]), difference=d, statistic=t, df=df,
                                p_value=p, variance_a=va, variance_b=vb, alternative=alt)
