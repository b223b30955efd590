"""Tests across independent groups of AUCs (strata), and the Friedman test of a blocks x treatments table.

* :func:`auc_heterogeneity`: chi-square heterogeneity of k independent AUCs,
  Q = Σ w_i (AUC_i - pooled)², w_i = 1 / Var(AUC_i), df = k - 1.
* :func:`auc_trend`: weighted least-squares slope of AUC on an ordered stratum rank (weights 1 / Var), z = slope/SE.
* :func:`friedman_test`: R ``friedman.test`` of a blocks x treatments matrix (``scipy.stats.friedmanchisquare``),
  with the exact permutation P beside the asymptotic one (:func:`friedman_exact_p`).

Examples
--------
>>> auc_heterogeneity([0.7, 0.7], [0.01, 0.02]).statistic
0.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from gvisage_lib.stats.results import StatResult

__all__ = ["FRIEDMAN_EXACT_MAX", "FriedmanResult", "HeterogeneityResult", "TrendResult", "auc_heterogeneity",
           "auc_trend", "friedman_exact_p", "friedman_test"]


@dataclass(frozen=True)
class HeterogeneityResult(StatResult):
    """Chi-square heterogeneity test of independent AUCs."""

    statistic: float
    df: int
    p_value: float
    pooled_auc: float


@dataclass(frozen=True)
class TrendResult(StatResult):
    """Weighted least-squares trend of AUC over ordered strata."""

    slope: float
    se: float
    z: float
    p_value: float


@dataclass(frozen=True)
class FriedmanResult(StatResult):
    """Friedman rank-sum test (blocks x treatments): ``p_value`` asymptotic (chi-square, R ``friedman.test``),
    ``p_exact`` from the permutation distribution (NaN where it has more than :data:`FRIEDMAN_EXACT_MAX` points)."""

    statistic: float
    df: int
    p_value: float
    n_blocks: int
    n_treatments: int
    p_exact: float = float("nan")


#: Largest number of equally likely rank arrangements, (k!)^b, for which :func:`friedman_exact_p` enumerates them.
FRIEDMAN_EXACT_MAX: int = 2_000_000


def friedman_exact_p(blocks_by_treatments: np.ndarray | Sequence[Sequence[float]]) -> float:
    """Exact P of the Friedman test: the share of the (k!)^b arrangements of each block's ranks whose statistic is at
    least the observed one.

    Under the null hypothesis every permutation of the ranks within a block is equally likely, independently across
    blocks; the statistic increases with the sum of the squared rank sums of the treatments, which is what is
    enumerated (midranks where a block has ties, so that the tie correction is the same for every arrangement). With
    few blocks the chi-square approximation of :func:`friedman_test` is poor: with 4 blocks and 3 treatments it never
    goes below exp(-4) = .018, where the exact P of perfect concordance is 6 / 6^4 = .0046.

    Returns NaN where (k!)^b exceeds :data:`FRIEDMAN_EXACT_MAX`.

    Examples
    --------
    >>> round(friedman_exact_p([[.7, .6, .5]] * 4), 5)
    0.00463
    """
    from itertools import permutations

    m = np.asarray(blocks_by_treatments, dtype=float)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 3 or np.isnan(m).any():
        raise ValueError(f"blocks_by_treatments must be a complete 2-D table with >= 2 blocks and >= 3 treatments, "
                         f"got shape {m.shape}")
    b, k = m.shape
    if math.factorial(k) ** b > FRIEDMAN_EXACT_MAX:
        return float("nan")
    ranks = sps.rankdata(m, axis=1)
    observed = float((ranks.sum(axis=0) ** 2).sum())
    sums = np.zeros((1, k))
    for row in ranks:
        perms = np.array(sorted(set(permutations(row))))  # distinct arrangements, each equally likely
        sums = (sums[:, None, :] + perms[None, :, :]).reshape(-1, k)
    stat = (sums ** 2).sum(axis=1)
    return float(np.mean(stat >= observed - 1e-9))


def auc_heterogeneity(auc: Sequence[float], variance: Sequence[float]) -> HeterogeneityResult:
    """Chi-square heterogeneity test of k independent AUCs with their (DeLong) variances.

    Examples
    --------
    >>> r = auc_heterogeneity([0.7, 0.7], [0.01, 0.02])
    >>> r.statistic, r.df, round(r.pooled_auc, 3)
    (0.0, 1, 0.7)
    """
    a = np.asarray(auc, dtype=float)
    v = np.asarray(variance, dtype=float)
    if a.shape != v.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"auc and variance must be 1-D of equal length >= 2, got {a.shape} and {v.shape}")
    if (v <= 0).any() or np.isnan(v).any():
        raise ValueError(f"variances must be positive, got {v.tolist()}")
    w = 1 / v
    pooled = float(np.sum(w * a) / np.sum(w))
    q = float(np.sum(w * (a - pooled) ** 2))
    return HeterogeneityResult(q, len(a) - 1, float(sps.chi2.sf(q, len(a) - 1)), pooled)


def auc_trend(auc: Sequence[float], variance: Sequence[float], rank: Sequence[float]) -> TrendResult:
    """Weighted least-squares slope of AUC on stratum rank (weights 1/variance), with SE, z and two-sided P.

    Examples
    --------
    >>> out = auc_trend([0.5, 0.6, 0.7], [0.001, 0.001, 0.001], [0, 1, 2])
    >>> round(out.slope, 3), round(out.z, 2)
    (0.1, 4.47)
    """
    a, v, x = (np.asarray(t, dtype=float) for t in (auc, variance, rank))
    if not (a.shape == v.shape == x.shape) or len(a) < 2:
        raise ValueError("auc, variance and rank must have equal length >= 2")
    if (v <= 0).any():
        raise ValueError(f"variances must be positive, got {v.tolist()}")
    w = 1 / v
    xbar = np.sum(w * x) / np.sum(w)
    sxx = np.sum(w * (x - xbar) ** 2)
    if sxx == 0:
        raise ValueError("rank must vary across strata")
    slope = float(np.sum(w * (x - xbar) * a) / sxx)
    se = float(1 / np.sqrt(sxx))
    z = slope / se
    return TrendResult(slope, se, z, float(2 * sps.norm.sf(abs(z))))


def friedman_test(blocks_by_treatments: np.ndarray | Sequence[Sequence[float]]) -> FriedmanResult:
    """Friedman chi-square of a complete blocks x treatments table (R ``friedman.test(m)``).

    Examples
    --------
    >>> r = friedman_test([[.7, .6, .5], [.7, .6, .5]])
    >>> r.statistic, r.df
    (4.0, 2)
    """
    m = np.asarray(blocks_by_treatments, dtype=float)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 3:
        raise ValueError(f"blocks_by_treatments must be a 2-D table with >= 2 blocks and >= 3 treatments, "
                         f"got shape {m.shape}")
    if np.isnan(m).any():
        raise ValueError("blocks_by_treatments has missing values; the Friedman test needs a complete table")
    res = sps.friedmanchisquare(*(m[:, j] for j in range(m.shape[1])))
    k = m.shape[1]
    stat = float(res.statistic)
    return FriedmanResult(stat, k - 1, float(sps.chi2.sf(stat, k - 1)), int(m.shape[0]), int(k),
                          friedman_exact_p(m))
