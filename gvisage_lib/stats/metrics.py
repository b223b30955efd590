"""Diagnostic-accuracy metrics of a score at one threshold, each with an exact (Clopper-Pearson) CI.

Convention: a subject is called positive when ``score >= threshold`` (docs/statistics.md: higher = more likely
positive).
Every metric is a proportion ``k / n`` and gets ``proportion_ci(k, n, level, method)``:

=========== ================== ==================
metric      k                  n
=========== ================== ==================
accuracy    TP + TN            N
sensitivity TP                 TP + FN (cases)
specificity TN                 TN + FP (controls)
ppv         TP                 TP + FP (called positive)
npv         TN                 TN + FN (called negative)
=========== ================== ==================

A metric whose denominator is 0 (e.g. PPV when nobody is called positive) is NaN with a NaN interval.

Examples
--------
>>> m = diagnostic_metrics([0, 0, 1, 1, 1], [0.1, 0.6, 0.5, 0.7, 0.9], threshold=0.55)
>>> (m.tp, m.fp, m.tn, m.fn), round(m.sensitivity, 4)
((2, 1, 1, 1), 0.6667)
>>> m.to_frame().loc[lambda d: d.metric == "accuracy", ["k", "n"]].to_numpy().tolist()
[[3, 5]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.validation import check_binary_labels, check_choice, check_int, check_level, check_scores

from .proportions import METHODS, proportion_ci
from .results import StatResult

__all__ = ["DiagnosticMetrics", "diagnostic_metrics", "METRICS"]

#: metric -> (numerator cells, denominator cells) of the 2x2 table.
METRICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "accuracy": (("tp", "tn"), ("tp", "fp", "tn", "fn")),
    "sensitivity": (("tp",), ("tp", "fn")),
    "specificity": (("tn",), ("tn", "fp")),
    "ppv": (("tp",), ("tp", "fp")),
    "npv": (("tn",), ("tn", "fn")),
}


@dataclass(frozen=True, repr=False)
class DiagnosticMetrics(StatResult):
    """2x2 counts at ``threshold`` and the five proportions with their CIs (``<metric>_ci_low/high``)."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int
    accuracy: float
    accuracy_ci_low: float
    accuracy_ci_high: float
    sensitivity: float
    sensitivity_ci_low: float
    sensitivity_ci_high: float
    specificity: float
    specificity_ci_low: float
    specificity_ci_high: float
    ppv: float
    ppv_ci_low: float
    ppv_ci_high: float
    npv: float
    npv_ci_low: float
    npv_ci_high: float
    level: float
    ci_method: str

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per metric with ``metric, estimate, ci_low, ci_high, k, n``."""
        rows = []
        for name, (num, den) in METRICS.items():
            rows.append({"metric": name, "estimate": getattr(self, name), "ci_low": getattr(self, f"{name}_ci_low"),
                         "ci_high": getattr(self, f"{name}_ci_high"), "k": sum(getattr(self, c) for c in num),
                         "n": sum(getattr(self, c) for c in den)})
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        head = (f"DiagnosticMetrics at threshold {self.threshold:.6g} (positive if score >= threshold), "
                f"TP={self.tp} FP={self.fp} TN={self.tn} FN={self.fn}, {self.level:.0%} {self.ci_method} CIs")
        return f"{head}\n{self.to_frame().to_string(index=False, float_format='{:.4f}'.format)}"

    def __repr__(self) -> str:
        return (f"DiagnosticMetrics(threshold={self.threshold:.6g}, tp={self.tp}, fp={self.fp}, tn={self.tn}, "
                f"fn={self.fn})")

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, float_format="{:.4f}".format)


def metrics_from_counts(tp: int, fp: int, tn: int, fn: int, threshold: float = float("nan"), level: float = 0.95,
                        ci_method: str = "exact") -> DiagnosticMetrics:
    """:class:`DiagnosticMetrics` from the four cells of a 2x2 table.

    Examples
    --------
    >>> round(metrics_from_counts(8, 2, 18, 2).specificity, 2)
    0.9
    """
    cells = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    for name, v in cells.items():
        check_int(name, v, minimum=0)
    lv = check_level(level)
    meth = check_choice(ci_method, "ci_method", METHODS)
    out: dict[str, Any] = {k: int(v) for k, v in cells.items()}
    for name, (num, den) in METRICS.items():
        k = sum(cells[c] for c in num)
        n = sum(cells[c] for c in den)
        if n == 0:
            out[name] = out[f"{name}_ci_low"] = out[f"{name}_ci_high"] = float("nan")
        else:
            lo, hi = proportion_ci(k, n, level=lv, method=meth)
            out[name], out[f"{name}_ci_low"], out[f"{name}_ci_high"] = k / n, lo, hi
    return DiagnosticMetrics(threshold=float(threshold), level=lv, ci_method=meth, **out)


def diagnostic_metrics(y_true: Any, score: Any, threshold: float, level: float = 0.95,
                       ci_method: str = "exact") -> DiagnosticMetrics:
    """Counts, accuracy, sensitivity, specificity, PPV and NPV of ``score >= threshold``, with exact CIs.

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels (1 = positive).
    score : array-like of shape (N,)
        Higher = more likely positive.
    threshold : float
        Subjects with ``score >= threshold`` are called positive (``-inf``/``+inf`` allowed).
    level : float
        Confidence level.
    ci_method : {"exact", "wilson"}
        Clopper-Pearson (default, = R ``binom.test``) or Wilson.

    Returns
    -------
    DiagnosticMetrics
        Attributes ``tp, fp, tn, fn`` and ``<metric>``, ``<metric>_ci_low``, ``<metric>_ci_high``;
        ``.to_frame()`` is tidy (``metric, estimate, ci_low, ci_high, k, n``).

    Examples
    --------
    >>> m = diagnostic_metrics([0, 1, 1, 0], [0.2, 0.8, 0.4, 0.5], threshold=0.5)
    >>> m.tp, m.fp, m.tn, m.fn
    (1, 1, 1, 1)
    """
    y = check_binary_labels(y_true, "y_true", require_both=False)
    s = check_scores(score, "score", y.size)
    try:
        thr = float(threshold)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"threshold must be a number, got {threshold!r}") from exc
    if np.isnan(thr):
        raise ValueError("threshold must not be NaN")
    pred = s >= thr
    pos = y == 1
    return metrics_from_counts(int(np.sum(pred & pos)), int(np.sum(pred & ~pos)), int(np.sum(~pred & ~pos)),
                               int(np.sum(~pred & pos)), threshold=thr, level=level, ci_method=ci_method)
