"""Confidence intervals for a binomial proportion.

* ``"exact"`` (default): Clopper-Pearson, equal to R's ``binom.test(k, n, conf.level=level)$conf.int``
  (``qbeta(alpha/2, k, n-k+1)``, ``qbeta(1-alpha/2, k+1, n-k)``, with 0 at ``k = 0`` and 1 at ``k = n``).
* ``"wilson"``: the Wilson score interval, equal to R's ``prop.test(k, n, correct=FALSE)$conf.int``.

Examples
--------
>>> lo, hi = proportion_ci(7, 10)
>>> round(lo, 6), round(hi, 6)
(0.347547, 0.93326)
>>> proportion_ci(0, 5)[0], proportion_ci(5, 5)[1]
(0.0, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from gvisage_lib.core.validation import check_choice, check_level

__all__ = ["proportion_ci"]

METHODS = ("exact", "wilson")


def _check_counts(k: Any, n: Any) -> tuple[np.ndarray, np.ndarray]:
    ka = np.asarray(k)
    na = np.asarray(n)
    for name, arr in (("k", ka), ("n", na)):
        if arr.dtype == bool or arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be an integer count, got {arr!r}")
        if arr.dtype.kind == "f" and (np.any(np.isnan(arr)) or np.any(arr != np.round(arr))):
            bad = arr[np.isnan(arr) | (arr != np.round(arr))].ravel()[0]
            raise ValueError(f"{name} must be a whole number, got {bad.item()!r}")
    ka, na = np.broadcast_arrays(ka.astype(np.int64), na.astype(np.int64))
    if np.any(na < 1):
        raise ValueError(f"n must be >= 1, got {na[na < 1].ravel()[0].item()!r}")
    bad = (ka < 0) | (ka > na)
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        raise ValueError(f"k must satisfy 0 <= k <= n, got k={ka.ravel()[i]} with n={na.ravel()[i]}")
    return ka.astype(np.float64), na.astype(np.float64)


def proportion_ci(k: Any, n: Any, level: float = 0.95, method: str = "exact") -> tuple[Any, Any]:
    """Two-sided confidence interval of the proportion ``k / n``.

    Parameters
    ----------
    k : int or array of int
        Number of successes, ``0 <= k <= n``.
    n : int or array of int
        Number of trials, ``n >= 1``.
    level : float
        Confidence level.
    method : {"exact", "wilson"}
        Clopper-Pearson (R ``binom.test``) or Wilson score (R ``prop.test(correct=FALSE)``).

    Returns
    -------
    (low, high) : floats, or arrays when ``k``/``n`` are arrays.

    Examples
    --------
    >>> [round(v, 6) for v in proportion_ci(7, 10, method="wilson")]
    [0.396778, 0.892209]
    >>> lo, hi = proportion_ci([0, 5], [10, 10])
    >>> lo.round(4).tolist()
    [0.0, 0.1871]
    """
    meth = check_choice(method, "method", METHODS)
    lv = check_level(level)
    ka, na = _check_counts(k, n)
    alpha = 1.0 - lv
    if meth == "exact":
        with np.errstate(all="ignore"):
            lo = np.where(ka == 0, 0.0, special.betaincinv(ka, na - ka + 1.0, alpha / 2.0))
            hi = np.where(ka == na, 1.0, special.betaincinv(ka + 1.0, na - ka, 1.0 - alpha / 2.0))
    else:
        z = special.ndtri((1.0 + lv) / 2.0)
        p = ka / na
        z22n = z**2 / (2.0 * na)
        half = z * np.sqrt(p * (1.0 - p) / na + z22n / (2.0 * na))
        lo = np.maximum(0.0, (p + z22n - half) / (1.0 + 2.0 * z22n))
        hi = np.minimum(1.0, (p + z22n + half) / (1.0 + 2.0 * z22n))
    if np.ndim(lo) == 0:
        return float(lo), float(hi)
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
