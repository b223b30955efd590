"""Comparisons of one variable between two groups with the paper's test-selection rules (Table 1's tests).

Test rules (the paper's Statistical Analysis section, made explicit)
--------------------------------------------------------------------
* **Continuous**: Shapiro-Wilk on each group; when both are normal at ``alpha`` (p > alpha) the Student t test with
  equal variances (the paper's "independent samples t test"; SPSS's "equal variances assumed" row; R
  ``t.test(var.equal = TRUE)``), otherwise the two-sided Mann-Whitney U test with the normal approximation,
  tie correction and no continuity correction (SPSS's "Asymp. Sig."; R ``wilcox.test(exact = FALSE,
  correct = FALSE)``). A group with fewer than 3 values, or constant, is treated as not normal.
* **Binary and categorical**: Pearson chi-square without Yates' correction (SPSS's "Pearson Chi-Square" row; R
  ``chisq.test(correct = FALSE)``), unless an expected count is below 5, then Fisher's exact test: the 2x2 test of
  :func:`scipy.stats.fisher_exact`, and for 2 x k tables an exact Freeman-Halton test by full enumeration
  (:func:`fisher_freeman_halton`, as R's ``fisher.test``; SciPy's r x c default is Monte Carlo, which is not
  reproducible).

Every comparison returns a :class:`TwoGroupResult`, a :class:`~gvisage_lib.stats.results.StatResult`.

Examples
--------
>>> r = compare_two_groups([1.1, 2.3, 1.9, 2.8, 2.2], [3.1, 3.5, 2.9, 4.2, 3.8], kind="continuous")
>>> r.test, round(r.p_value, 4)
('Student t test (equal variances)', 0.0043)
>>> contingency_test([[30, 15], [50, 55]]).test
'Pearson chi-square'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from .results import StatResult

__all__ = ["KINDS", "TwoGroupResult", "compare_two_groups", "contingency_test", "fisher_freeman_halton"]

#: Variable kinds :func:`compare_two_groups` understands.
KINDS: tuple[str, ...] = ("continuous", "binary", "categorical")


@dataclass(frozen=True)
class TwoGroupResult(StatResult):
    """Result of one two-group comparison.

    Attributes
    ----------
    test : str
        Name of the test that was applied.
    statistic : float
        Its statistic (t; U of the first group; chi-square; odds ratio for 2x2 Fisher; table probability for 2 x k
        Fisher); NaN when no test was possible.
    p_value : float
        Two-sided P value (NaN when no test was possible).
    detail : str
        How the test was chosen (Shapiro-Wilk P values, smallest expected count).
    """

    test: str
    statistic: float
    p_value: float
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.test}: statistic = {self.statistic:.4g}, P = {self.p_value:.4g}" + (
            f" [{self.detail}]" if self.detail else "")


def fisher_freeman_halton(table: Any) -> tuple[float, float]:
    """Exact Freeman-Halton test of a 2 x k table by enumeration: (probability of the table, P value).

    P sums the probabilities of all tables with the same margins that are no more probable than the observed one
    (relative tolerance 1e-7, as R's ``fisher.test``).

    Examples
    --------
    >>> prob, p = fisher_freeman_halton([[3, 1], [1, 3]])
    >>> round(p, 4)  # scipy.stats.fisher_exact([[3, 1], [1, 3]]).pvalue
    0.4857
    """
    t = np.asarray(table, dtype=np.int64)
    if t.shape[0] != 2:
        t = t.T
    r1 = int(t[0].sum())
    cols = t.sum(axis=0)
    n = int(cols.sum())
    log_denom = special.gammaln(n + 1) - special.gammaln(r1 + 1) - special.gammaln(n - r1 + 1)

    def logc(c: np.ndarray, x: np.ndarray) -> np.ndarray:
        return special.gammaln(c + 1) - special.gammaln(x + 1) - special.gammaln(c - x + 1)

    # enumerate every first row with the observed margins, column by column: per partial sum, the log weights
    obs_logp = float(sum(logc(np.array(c), np.array(x)) for c, x in zip(cols, t[0])) - log_denom)
    states: dict[int, np.ndarray] = {0: np.zeros(1)}
    remaining = int(cols.sum())
    for c in cols:
        c = int(c)
        remaining -= c
        new: dict[int, list[np.ndarray]] = {}
        xs = np.arange(c + 1)
        lw = logc(np.full(c + 1, c), xs)
        for s, w in states.items():
            for x in range(c + 1):
                s2 = s + x
                if s2 > r1 or s2 + remaining < r1:
                    continue
                new.setdefault(s2, []).append(w + lw[x])
        states = {s: np.concatenate(v) for s, v in new.items()}
    logp = states[r1] - log_denom
    p = float(np.exp(logp[logp <= obs_logp + 1e-7 * abs(obs_logp) + 1e-12]).sum())
    return math.exp(obs_logp), min(1.0, p)


def contingency_test(table: Any) -> TwoGroupResult:
    """Pearson chi-square (no Yates) of a levels x 2 groups count table, or Fisher's exact test when any expected
    count is below 5 (empty levels dropped; "not testable" with one level or an empty group).

    Examples
    --------
    >>> contingency_test([[2, 7], [6, 2]]).test
    "Fisher's exact test"
    """
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0]  # drop empty levels
    if t.shape[0] < 2 or (t.sum(axis=0) == 0).any():
        return TwoGroupResult("not testable (one level or an empty group)", math.nan, math.nan)
    expected = t.sum(axis=1, keepdims=True) * t.sum(axis=0, keepdims=True) / t.sum()
    min_exp = float(expected.min())
    detail = f"smallest expected count {min_exp:.2f}"
    if min_exp < 5:
        if t.shape == (2, 2):
            res = stats.fisher_exact(t.astype(int))
            return TwoGroupResult("Fisher's exact test", float(res.statistic), float(res.pvalue), detail)
        stat, p = fisher_freeman_halton(t.astype(int))
        return TwoGroupResult("Fisher-Freeman-Halton exact test", stat, p, detail)
    chi2, p, _, _ = stats.chi2_contingency(t, correction=False)
    return TwoGroupResult("Pearson chi-square", float(chi2), float(p), detail)


def _clean(x: Any, numeric: bool) -> pd.Series:
    s = pd.Series(np.asarray(x, dtype=object) if not isinstance(x, pd.Series) else x.to_numpy(dtype=object))
    s = s[s.notna()]
    if numeric:
        s = pd.to_numeric(s, errors="raise").astype(float)
        s = s[np.isfinite(s)]
    return s.reset_index(drop=True)


def compare_two_groups(a: Any, b: Any, *, kind: str, alpha: float = 0.05) -> TwoGroupResult:
    """Compare one variable between two groups with the paper's test-selection rules.

    Parameters
    ----------
    a, b : array-like
        Values of the two groups (NaN/None dropped). Continuous: numbers. Binary/categorical: labels (0/1 or
        strings).
    kind : {"continuous", "binary", "categorical"}
        The variable's type.
    alpha : float, default 0.05
        Level of the Shapiro-Wilk normality tests.

    Returns
    -------
    TwoGroupResult

    Examples
    --------
    >>> compare_two_groups([0, 1, 1, 0, 1] * 10, [0, 0, 0, 1, 0] * 10, kind="binary").test
    'Pearson chi-square'
    >>> compare_two_groups([1, 1, 0], [0, 0, 0], kind="binary").test
    "Fisher's exact test"
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if not (isinstance(alpha, (int, float)) and 0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if kind == "continuous":
        xa, xb = _clean(a, True).to_numpy(), _clean(b, True).to_numpy()
        if len(xa) == 0 or len(xb) == 0:
            raise ValueError(f"each group needs at least one value, got {len(xa)} and {len(xb)}")

        def shapiro_p(x: np.ndarray) -> float:
            if len(x) < 3 or np.ptp(x) == 0:
                return 0.0
            return float(stats.shapiro(x).pvalue)

        pa, pb = shapiro_p(xa), shapiro_p(xb)
        detail = f"Shapiro-Wilk P = {pa:.3g} / {pb:.3g}"
        if pa > alpha and pb > alpha and len(xa) >= 2 and len(xb) >= 2:
            res = stats.ttest_ind(xa, xb, equal_var=True)
            return TwoGroupResult("Student t test (equal variances)", float(res.statistic), float(res.pvalue), detail)
        if np.ptp(np.concatenate([xa, xb])) == 0:
            return TwoGroupResult("not testable (all values equal)", math.nan, math.nan, detail)
        res = stats.mannwhitneyu(xa, xb, alternative="two-sided", method="asymptotic", use_continuity=False)
        return TwoGroupResult("Mann-Whitney U", float(res.statistic), float(res.pvalue), detail)
    xa, xb = _clean(a, False), _clean(b, False)
    if len(xa) == 0 or len(xb) == 0:
        raise ValueError(f"each group needs at least one value, got {len(xa)} and {len(xb)}")
    levels = sorted(set(xa.astype(str)) | set(xb.astype(str)))
    table = np.array([[int((xa.astype(str) == lev).sum()), int((xb.astype(str) == lev).sum())] for lev in levels])
    return contingency_test(table)
