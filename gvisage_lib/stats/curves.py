"""Empirical ROC and precision-recall curves (counts from scikit-learn, thresholds as pROC's).

Convention (docs/statistics.md): a subject is called positive when ``score >= threshold``; higher scores mean "more
likely positive". The thresholds are pROC's: ``+inf`` (nobody positive), the midpoints between consecutive distinct
scores, and ``-inf`` (everybody positive); a midpoint threshold classifies the data it was computed on exactly as
the score values around it would, and is neutral when carried to new data.

Examples
--------
>>> roc = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
>>> roc[["threshold", "sensitivity", "specificity"]].to_numpy().tolist()[:3]
[[inf, 0.0, 1.0], [0.6000000000000001, 0.5, 1.0], [0.375, 0.5, 0.5]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.validation import check_binary_labels, check_scores

__all__ = ["roc_curve", "pr_curve", "average_precision"]


def _counts(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pROC's thresholds with the true/false positives at each: counts from :func:`sklearn.metrics.roc_curve`."""
    from sklearn.metrics import roc_curve as sk_roc_curve

    m, n = int(y.sum()), int(y.size - y.sum())
    fpr, tpr, cut = sk_roc_curve(y, s, drop_intermediate=False)  # cut: +inf, then the distinct scores, descending
    tp = np.rint(tpr * m).astype(np.int64)
    fp = np.rint(fpr * n).astype(np.int64)
    vals = cut[1:]
    mids = (vals[:-1] + vals[1:]) / 2.0
    mids = np.where(mids > vals[1:], mids, vals[:-1])  # adjacent floats: fall back to the higher value
    return np.r_[np.inf, mids, -np.inf], tp, fp


def roc_curve(y_true: Any, score: Any) -> pd.DataFrame:
    """Empirical ROC curve, one row per threshold, from the strictest (``+inf``) to the most lenient (``-inf``).

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels (1 = positive).
    score : array-like of shape (N,)
        Higher = more likely positive.

    Returns
    -------
    DataFrame with columns ``threshold, tp, fp, tn, fn, sensitivity, specificity, fpr, youden_j``.

    Examples
    --------
    >>> roc_curve([0, 1], [0.2, 0.9])[["threshold", "sensitivity", "specificity"]].to_numpy().tolist()
    [[inf, 0.0, 1.0], [0.55, 1.0, 1.0], [-inf, 1.0, 0.0]]
    """
    y = check_binary_labels(y_true, "y_true")
    s = check_scores(score, "score", y.size)
    thr, tp, fp = _counts(y, s)
    m, n = int(y.sum()), int(y.size - y.sum())
    sens, spec = tp / m, 1.0 - fp / n
    return pd.DataFrame({"threshold": thr, "tp": tp, "fp": fp, "tn": n - fp, "fn": m - tp, "sensitivity": sens,
                         "specificity": spec, "fpr": 1.0 - spec, "youden_j": sens + spec - 1.0})


def pr_curve(y_true: Any, score: Any) -> pd.DataFrame:
    """Precision-recall curve, one row per threshold (the ``+inf`` threshold, with no positive call, is left out).

    Returns
    -------
    DataFrame with columns ``threshold, recall, precision, tp, fp``; precision = tp / (tp + fp).

    Examples
    --------
    >>> pr_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])["precision"].round(3).tolist()
    [1.0, 0.5, 0.667, 0.5]
    """
    y = check_binary_labels(y_true, "y_true")
    s = check_scores(score, "score", y.size)
    thr, tp, fp = _counts(y, s)
    m = int(y.sum())
    tp, fp, thr = tp[1:], fp[1:], thr[1:]
    return pd.DataFrame({"threshold": thr, "recall": tp / m, "precision": tp / (tp + fp), "tp": tp, "fp": fp})


def average_precision(y_true: Any, score: Any) -> float:
    """Average precision, ``sum_k (R_k - R_{k-1}) P_k`` over thresholds
    (:func:`sklearn.metrics.average_precision_score`).

    Examples
    --------
    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    from sklearn.metrics import average_precision_score

    y = check_binary_labels(y_true, "y_true")
    s = check_scores(score, "score", y.size)
    return float(average_precision_score(y, s))
