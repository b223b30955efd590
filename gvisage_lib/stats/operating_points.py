"""Operating points (thresholds) chosen on development data and carried unchanged to test and validation.

The paper evaluates its model "at 2 specific points on the ROC curve, chosen for their maximum sensitivity and
specificity" without saying how. Our reading, stated here and in notebook 04:

Each rule is named for what it guarantees, and its ``label`` says it with the floor (e.g. "sensitivity at specificity
>= 0.90"): a point that keeps specificity at 0.90 on training data may have a low sensitivity, and its name should not
promise otherwise.

* ``sensitivity_at_specificity``: the threshold with the highest sensitivity among those whose specificity is at least
  ``min_specificity`` (default 0.90); ties -> the higher specificity. A rule-out (screening) point.
* ``specificity_at_sensitivity``: the threshold with the highest specificity among those whose sensitivity is at least
  ``min_sensitivity`` (default 0.90); ties -> the higher sensitivity. A rule-in point.
* ``youden``: the threshold maximising Youden's J = sensitivity + specificity - 1; among tied thresholds, the one
  with the higher sensitivity (for a screening tool, missing fewer tumours). The paper reports ONE accuracy,
  sensitivity and specificity per dataset (Table 2); we take the Youden point for that headline row.

Candidate thresholds are those of :func:`~gvisage_lib.stats.curves.roc_curve` (pROC's midpoints between distinct
scores, ``+inf``, ``-inf``), and a subject is positive when ``score >= threshold``. Choose thresholds on the
development (train) split with :func:`operating_points`, then evaluate them elsewhere with
:func:`apply_operating_points`; the thresholds are never re-tuned on the data they are evaluated on.

Examples
--------
>>> y = [0, 0, 0, 0, 1, 1, 1, 1]
>>> s = [0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9]
>>> op = operating_points(y, s, min_sensitivity=0.75, min_specificity=0.75)
>>> for row in op[["rule", "threshold", "sensitivity", "specificity"]].round(3).to_numpy().tolist():
...     print(row)
['youden', 0.35, 1.0, 0.75]
['sensitivity_at_specificity', 0.35, 1.0, 0.75]
['specificity_at_sensitivity', 0.65, 0.75, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.validation import check_binary_labels, check_scores

from .curves import roc_curve
from .metrics import diagnostic_metrics
from .results import StatResult

__all__ = ["RULES", "Threshold", "apply_operating_points", "choose_threshold", "operating_points"]

RULES: tuple[str, ...] = ("youden", "sensitivity_at_specificity", "specificity_at_sensitivity")


def _check_floor(v: Any, name: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number in [0, 1], got {v!r}") from exc
    if not 0.0 <= f <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {v!r}")
    return f


def _pick(roc: pd.DataFrame, mask: np.ndarray, primary: str, secondary: str) -> int:
    cand = roc[mask]
    best = cand[primary].max()
    cand = cand[cand[primary] >= best - 1e-12]
    return int(cand[secondary].idxmax())


def operating_points(y_true: Any, score: Any, min_sensitivity: float = 0.90,
                     min_specificity: float = 0.90) -> pd.DataFrame:
    """Thresholds of the Youden, maximum-sensitivity and maximum-specificity operating points.

    Parameters
    ----------
    y_true : array-like of shape (N,)
        Binary labels of the development data (1 = positive).
    score : array-like of shape (N,)
        Higher = more likely positive.
    min_sensitivity : float
        Sensitivity floor of the ``specificity_at_sensitivity`` point.
    min_specificity : float
        Specificity floor of the ``sensitivity_at_specificity`` point.

    Returns
    -------
    DataFrame, one row per rule: ``rule, threshold, sensitivity, specificity, youden_j, constraint`` (on the data
    given). The ``-inf``/``+inf`` thresholds always satisfy a floor, so every rule has a point.

    Examples
    --------
    >>> operating_points([0, 1, 0, 1], [0.1, 0.9, 0.3, 0.6])["threshold"].round(6).tolist()
    [0.45, 0.45, 0.45]
    """
    y = check_binary_labels(y_true, "y_true")
    s = check_scores(score, "score", y.size)
    fs = _check_floor(min_sensitivity, "min_sensitivity")
    fsp = _check_floor(min_specificity, "min_specificity")
    roc = roc_curve(y, s).reset_index(drop=True)
    eps = 1e-12
    all_rows = np.ones(len(roc), bool)
    idx = {
        "youden": _pick(roc, all_rows, "youden_j", "sensitivity"),
        "sensitivity_at_specificity": _pick(roc, roc["specificity"].to_numpy() >= fsp - eps, "sensitivity",
                                            "specificity"),
        "specificity_at_sensitivity": _pick(roc, roc["sensitivity"].to_numpy() >= fs - eps, "specificity",
                                            "sensitivity"),
    }
    constraint = {"youden": "max sensitivity + specificity - 1",
                  "sensitivity_at_specificity": f"specificity >= {fsp:g}",
                  "specificity_at_sensitivity": f"sensitivity >= {fs:g}"}
    label = {"youden": "Youden (max sensitivity + specificity)",
             "sensitivity_at_specificity": f"sensitivity at specificity >= {fsp:.2f}",
             "specificity_at_sensitivity": f"specificity at sensitivity >= {fs:.2f}"}
    rows = []
    for rule in RULES:
        r = roc.loc[idx[rule]]
        rows.append({"rule": rule, "threshold": float(r["threshold"]), "sensitivity": float(r["sensitivity"]),
                     "specificity": float(r["specificity"]), "youden_j": float(r["youden_j"]),
                     "constraint": constraint[rule], "label": label[rule]})
    return pd.DataFrame(rows)


def apply_operating_points(points: pd.DataFrame, y_true: Any, score: Any, level: float = 0.95,
                           ci_method: str = "exact") -> pd.DataFrame:
    """Evaluate thresholds chosen elsewhere (e.g. on train) on new data, unchanged.

    Parameters
    ----------
    points : DataFrame
        Output of :func:`operating_points` (needs ``rule`` and ``threshold``).
    y_true, score : array-like
        The data to evaluate on (test or validation).
    level, ci_method
        Passed to :func:`~gvisage_lib.stats.metrics.diagnostic_metrics`.

    Returns
    -------
    Tidy DataFrame: ``rule, threshold, metric, estimate, ci_low, ci_high, k, n`` (five metrics per rule).

    Examples
    --------
    >>> pts = operating_points([0, 1, 0, 1], [0.1, 0.9, 0.3, 0.6])
    >>> out = apply_operating_points(pts.head(1), [0, 0, 1, 1], [0.2, 0.5, 0.4, 0.7])
    >>> float(out.set_index("metric").loc["sensitivity", "estimate"])
    0.5
    """
    if not isinstance(points, pd.DataFrame) or not {"rule", "threshold"} <= set(points.columns):
        raise ValueError("points must be a DataFrame with columns 'rule' and 'threshold' (see operating_points)")
    frames = []
    for rule, thr in zip(points["rule"], points["threshold"], strict=True):
        df = diagnostic_metrics(y_true, score, float(thr), level=level, ci_method=ci_method).to_frame()
        df.insert(0, "threshold", float(thr))
        df.insert(0, "rule", rule)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Threshold(StatResult):
    """A decision threshold chosen on development data by a named rule, with its sensitivity and specificity there."""

    rule: str
    threshold: float
    sensitivity: float
    specificity: float


def choose_threshold(y_true: Any, score: Any, rule: str = "youden", *, min_sensitivity: float = 0.90,
                     min_specificity: float = 0.90) -> Threshold:
    """The threshold of operating point ``rule`` (one of :data:`RULES`) on development data.

    Parameters
    ----------
    y_true, score : array-like
        Labels and scores of the development (training) split.
    rule : str
        ``youden``, ``sensitivity_at_specificity`` or ``specificity_at_sensitivity`` (see the module docstring).
    min_sensitivity, min_specificity : float
        The floors of the constrained rules.

    Returns
    -------
    Threshold

    Examples
    --------
    >>> t = choose_threshold([0, 1, 0, 1], [0.1, 0.9, 0.3, 0.6])
    >>> round(t.threshold, 6), t.rule
    (0.45, 'youden')
    >>> choose_threshold([0, 1], [0.1, 0.9], rule="best")
    Traceback (most recent call last):
    ...
    ValueError: rule must be one of ('youden', 'sensitivity_at_specificity', 'specificity_at_sensitivity'), got 'best'
    """
    want = str(rule).lower()
    if want not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    ops = operating_points(y_true, score, min_sensitivity=min_sensitivity, min_specificity=min_specificity)
    hit = ops[ops["rule"] == want].iloc[0]
    return Threshold(want, float(hit["threshold"]), float(hit["sensitivity"]), float(hit["specificity"]))
