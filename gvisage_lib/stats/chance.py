"""Is an AUC different from 0.5 (a score that ranks no better than chance)? Two tests of one null.

The paper's abstract reports GVisageNet's stage-1 validation AUC "0.938 (P<.01)" without naming the test; the only
null an AUC's P value can have is AUC = 0.5. Two standard tests of it:

* **DeLong z-test**: z = (AUC - 0.5) / SE, with the SE of the AUC by DeLong's method (the SE of pROC's
  ``ci.auc(method = "delong")``; :func:`gvisage_lib.stats.delong.roc_auc_delong`), two-sided normal P. It estimates
  the variance under the alternative, as pROC's CI does.
* **Mann-Whitney U** (the AUC is U / (m n)): the normal approximation with the tie correction and the continuity
  correction, as R's ``wilcox.test(cases, controls, exact = FALSE, correct = TRUE)``. Its variance is the one under
  the null (the two groups exchangeable), so it is the exact-size test of "no discrimination at all".

Both are computed; they agree in all but borderline cases.

Examples
--------
>>> r = auc_vs_chance([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.35, 0.3, 0.8, 0.9])
>>> round(r.auc, 4), round(r.p_delong, 4), round(r.p_mann_whitney, 4)
(0.8889, 0.0133, 0.1904)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from gvisage_lib.core.validation import check_binary_labels, check_level, check_scores

from .delong import midrank, roc_auc_delong
from .results import StatResult

__all__ = ["ChanceTestResult", "auc_vs_chance"]


@dataclass(frozen=True, repr=False)
class ChanceTestResult(StatResult):
    """AUC against 0.5: the DeLong z-test and the Mann-Whitney U test (normal approximation)."""

    auc: float
    ci_low: float
    ci_high: float
    se: float
    z_delong: float
    p_delong: float
    u: float
    z_mann_whitney: float
    p_mann_whitney: float
    n_pos: int
    n_neg: int
    level: float

    def __repr__(self) -> str:
        return (f"ChanceTestResult(auc={self.auc:.4f}, p_delong={self.p_delong:.3g}, "
                f"p_mann_whitney={self.p_mann_whitney:.3g}, n_pos={self.n_pos}, n_neg={self.n_neg})")


def _two_sided(z: float) -> float:
    return float(2.0 * special.ndtr(-abs(z))) if math.isfinite(z) else float("nan")


def auc_vs_chance(y_true: Any, score: Any, level: float = 0.95) -> ChanceTestResult:
    """Test the AUC of ``score`` for ``y_true`` against 0.5, two-sided (see the module docstring).

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels, {0, 1} or bool; 1 = positive (case). Both classes must be present.
    score : array-like of shape (N,)
        Higher = more likely positive (never flipped).
    level : float
        Confidence level of the AUC's DeLong interval.

    Returns
    -------
    ChanceTestResult
        ``auc``, its DeLong CI and ``se``; ``z_delong``, ``p_delong``; ``u`` (the cases' Mann-Whitney U),
        ``z_mann_whitney``, ``p_mann_whitney``; ``n_pos``, ``n_neg``, ``level``. A P is NaN where its variance is 0
        (every score tied; for DeLong also a perfect separation, whose DeLong SE is 0).

    Examples
    --------
    >>> r = auc_vs_chance([0, 1, 0, 1], [1, 1, 1, 1])
    >>> r.auc, math.isnan(r.p_mann_whitney)
    (0.5, True)
    >>> auc_vs_chance([0, 1], [0.2, 0.3], level=1.5)
    Traceback (most recent call last):
    ...
    ValueError: level must be in (0, 1), got 1.5
    """
    y = check_binary_labels(y_true, "y_true")
    s = check_scores(score, "score", y.size)
    lv = check_level(level)
    a = roc_auc_delong(y, s, level=lv)
    z_d = (a.auc - 0.5) / a.se if a.se > 0 else float("nan")
    m, n = int(y.sum()), int(y.size - y.sum())
    ranks = midrank(s)
    u = float(ranks[y == 1].sum() - m * (m + 1) / 2.0)
    _, tie_counts = np.unique(s, return_counts=True)
    big_n = m + n
    var_u = m * n / 12.0 * ((big_n + 1) - float(np.sum(tie_counts ** 3 - tie_counts)) / (big_n * (big_n - 1)))
    if var_u > 0:
        d = u - m * n / 2.0
        z_mw = (d - math.copysign(0.5, d) if d != 0 else 0.0) / math.sqrt(var_u)  # R: correct = TRUE
    else:
        z_mw = float("nan")
    return ChanceTestResult(auc=a.auc, ci_low=a.ci_low, ci_high=a.ci_high, se=a.se, z_delong=float(z_d),
                            p_delong=_two_sided(z_d), u=u, z_mann_whitney=float(z_mw),
                            p_mann_whitney=_two_sided(z_mw), n_pos=m, n_neg=n, level=lv)
