"""Adjustment of P values for many tests (statsmodels' implementation; NaN-aware).

Examples
--------
>>> bh_adjust([0.01, 0.04, 0.03, 0.2]).round(4).tolist()
[0.04, 0.0533, 0.0533, 0.2]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bh_adjust"]


def bh_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted P values (R ``p.adjust(p, method = "BH")``); NaN stays NaN and is not counted.

    Computed by :func:`statsmodels.stats.multitest.multipletests` (``method="fdr_bh"``) on the non-missing values.

    Parameters
    ----------
    p_values : sequence of float
        Raw P values in [0, 1]; NaN allowed.

    Returns
    -------
    numpy.ndarray
        Adjusted P values, same length and order.

    Examples
    --------
    >>> bh_adjust([0.02, np.nan, 0.01]).tolist()
    [0.02, nan, 0.02]
    >>> bh_adjust([0.5, 1.5])
    Traceback (most recent call last):
    ...
    ValueError: p_values must lie in [0, 1], got 1.5
    """
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be 1-D, got shape {p.shape}")
    ok = ~np.isnan(p)
    bad = p[ok][(p[ok] < 0) | (p[ok] > 1)]
    if bad.size:
        raise ValueError(f"p_values must lie in [0, 1], got {float(bad[0])!r}")
    out = np.full_like(p, np.nan)
    if ok.any():
        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out
