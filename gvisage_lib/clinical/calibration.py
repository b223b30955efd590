"""Calibration and decision-curve analysis of predicted probabilities (TRIPOD+AI item 12e; absent from the paper).

* :func:`calibration_curve`: grouped observed vs mean predicted risk, with exact (Clopper-Pearson) CIs per group.
* :func:`calibration_summary`: calibration slope (logistic regression of the outcome on logit(p)), calibration
  intercept / calibration-in-the-large (intercept of a logistic regression with logit(p) as offset; 0 is ideal), the
  Brier score and the scaled Brier score (1 - Brier / Brier of the prevalence).
* :func:`net_benefit`: decision curves, net benefit = TP/n - FP/n * pt / (1 - pt) at threshold probability pt
  (Vickers & Elkin 2006), with "treat all" and "treat none".

The CNN score is a softmax output of a network trained with class resampling: it is a ranking score, not a
calibrated probability, and its calibration is shown to make that visible rather than to grade it.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.95, 4000)
>>> y = (rng.random(4000) < p).astype(int)
>>> s = calibration_summary(y, p)
>>> round(s.slope, 1), abs(s.intercept) < 0.15
(1.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gvisage_lib.clinical.skipped import skip_reason, skipped_table
from gvisage_lib.stats.results import StatResult

EPS = 1e-6


def _check_yp(y_true: object, prob: object) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(prob, dtype=float)
    if y.ndim != 1 or p.shape != y.shape:
        raise ValueError(f"y_true and prob must be 1-D of equal length, got shapes {y.shape} and {p.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y_true must be 0/1, got values {sorted(set(np.unique(y)) - {0.0, 1.0})[:5]}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("prob must be probabilities in [0, 1] without NaN")
    if y.min() == y.max():
        raise ValueError("y_true has a single class; calibration needs both")
    # Subjects in a canonical order (by probability, then outcome): every sum below adds the same numbers in the
    # same order whatever the order of the rows, so the results do not depend on it.
    order = np.lexsort((y, p))
    return y[order].astype(int), p[order]


def calibration_curve(y_true: Sequence[int], prob: Sequence[float], *, n_bins: int = 10,
                      strategy: str = "quantile", level: float = 0.95) -> pd.DataFrame:
    """Observed event rate vs mean predicted probability in groups of ``prob``.

    Parameters
    ----------
    y_true, prob : array-like
        0/1 outcomes and predicted probabilities.
    n_bins : int
        Number of groups.
    strategy : {"quantile", "uniform"}
        Equal-count groups (deciles of risk by default) or equal-width groups on [0, 1]. Equal count as far as ties
        allow: subjects with the same probability are never split between groups (they join the group of the
        first of them in sorted order), so the groups do not depend on the order of the rows.
    level : float
        Level of the exact CI of each group's observed rate.

    Returns
    -------
    DataFrame
        bin, n, events, mean_predicted, observed, ci_low, ci_high (empty bins dropped).

    Examples
    --------
    >>> out = calibration_curve([0, 0, 1, 1, 0, 1], [.1, .2, .3, .7, .8, .9], n_bins=2)
    >>> out[["n", "events"]].values.tolist()
    [[3, 1], [3, 2]]
    """
    from scipy.stats import beta

    y, p = _check_yp(y_true, prob)
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    if strategy == "quantile":
        # p is sorted (_check_yp); tied probabilities share the group of the first of them (ties are never split)
        first = np.searchsorted(p, p, side="left")
        bins = np.minimum((first * n_bins) // len(p), n_bins - 1)
    elif strategy == "uniform":
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    a = 1 - level
    rows = []
    for b in np.unique(bins):
        m = bins == b
        n, k = int(m.sum()), int(y[m].sum())
        lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
        hi = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
        rows.append({"bin": int(b), "n": n, "events": k, "mean_predicted": float(p[m].mean()),
                     "observed": k / n, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CalibrationSummary(StatResult):
    """Calibration slope and intercept (with SEs), Brier score and scaled Brier score of predicted probabilities."""

    n: int
    slope: float
    slope_se: float
    intercept: float
    intercept_se: float
    brier: float
    scaled_brier: float


def calibration_summary(y_true: Sequence[int], prob: Sequence[float]) -> CalibrationSummary:
    """Calibration slope and intercept, Brier score and scaled Brier score.

    Slope: coefficient of logit(p) in ``logit P(y=1) = a + b logit(p)``. Intercept (calibration-in-the-large): ``a``
    in ``logit P(y=1) = a + offset(logit(p))``. Probabilities are clipped to [1e-6, 1 - 1e-6] before the logit.

    Examples
    --------
    >>> s = calibration_summary([0, 1, 0, 1, 1, 0, 1], [.2, .8, .3, .6, .9, .4, .35])
    >>> round(s.brier, 4)
    0.1318

    Predictions that separate the outcome give a diverging slope, without overflow warnings:

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", RuntimeWarning)
    ...     warnings.simplefilter("ignore", UserWarning)  # statsmodels' note that the outcome is separated
    ...     s = calibration_summary([0, 0, 0, 1, 1, 1], [1e-9, .2, .45, .55, .8, 1 - 1e-9])
    >>> bool(s.slope > 10)
    True

    One probability for everyone (a saturated model) has no slope, but still an intercept and a Brier score:

    >>> s = calibration_summary([0, 1, 1, 0], [1 - 1e-9] * 4)
    >>> s.slope, s.slope_se, round(s.brier, 3)
    (nan, nan, 0.5)
    """
    import statsmodels.api as sm

    y, p = _check_yp(y_true, prob)
    lp = np.log(np.clip(p, EPS, 1 - EPS) / (1 - np.clip(p, EPS, 1 - EPS)))
    # Predictions that separate the outcome have no finite ML slope: IRLS lets it grow, and statsmodels' inverse
    # logit 1 / (1 + exp(-eta)) overflows to 1 / inf = 0, which is the correct limit; the overflow is not reported.
    with np.errstate(over="ignore"):
        slope, slope_se = _slope(y, lp)
        int_fit = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp).fit()
    brier = float(np.mean((p - y) ** 2))
    prev = y.mean()
    return CalibrationSummary(int(len(y)), slope, slope_se, float(int_fit.params[0]), float(int_fit.bse[0]), brier,
                              float(1 - brier / (prev * (1 - prev))))


def _slope(y: np.ndarray, lp: np.ndarray) -> tuple[float, float]:
    """Calibration slope and its standard error; NaN for both where every prediction is the same (a model that
    gives one probability to everyone, e.g. saturated at the clip, has no slope: the logit has no spread to fit)."""
    import statsmodels.api as sm

    if np.ptp(lp) == 0:
        return float("nan"), float("nan")
    fit = sm.GLM(y, sm.add_constant(lp, has_constant="add"), family=sm.families.Binomial()).fit()
    return float(fit.params[1]), float(fit.bse[1])


def calibration_table(scores: pd.DataFrame, *, by: Sequence[str] = ("model", "split")) -> pd.DataFrame:
    """:func:`calibration_summary` for each group of a long score table (columns label, score and ``by``).

    Examples
    --------
    >>> sc = pd.DataFrame({"model": "m", "split": "test", "label": [0, 1, 0, 1, 1], "score": [.2, .7, .4, .9, .3]})
    >>> calibration_table(sc)[["model", "split", "n"]].values.tolist()
    [['m', 'test', 5]]
    """
    if reason := skip_reason(scores):
        return skipped_table(reason)
    rows = []
    for key, g in scores.groupby(list(by), sort=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), **calibration_summary(g["label"], g["score"]).to_dict()})
    return pd.DataFrame(rows)


def net_benefit(y_true: Sequence[int], prob: Sequence[float], thresholds: Sequence[float] | None = None,
                *, model: str = "model") -> pd.DataFrame:
    """Decision curve: net benefit of the model, of treating all and of treating none, over threshold probabilities.

    A subject is treated when ``prob >= pt``. Net benefit = TP/n - FP/n * pt / (1 - pt); treat-all uses
    prevalence - (1 - prevalence) * pt / (1 - pt); treat-none is 0.

    Returns
    -------
    DataFrame
        threshold, strategy (``model``, "treat all", "treat none"), net_benefit (long format).

    Examples
    --------
    >>> out = net_benefit([0, 1, 1, 0], [.2, .8, .6, .7], [0.5])
    >>> out.set_index("strategy").net_benefit.round(3).to_dict()
    {'model': 0.25, 'treat all': 0.0, 'treat none': 0.0}
    """
    y, p = _check_yp(y_true, prob)
    # k/100 exactly (np.arange(0.01, 1.0, 0.01) puts 23 of 99 points one ulp above k/100, so a probability equal
    # to a nominal threshold would not be treated)
    pt = np.arange(1, 100) / 100 if thresholds is None else np.asarray(thresholds, dtype=float)
    if ((pt <= 0) | (pt >= 1)).any():
        raise ValueError("thresholds must lie strictly between 0 and 1")
    n = len(y)
    w = pt / (1 - pt)
    treated = p[None, :] >= pt[:, None]
    tp = (treated & (y[None, :] == 1)).sum(axis=1) / n
    fp = (treated & (y[None, :] == 0)).sum(axis=1) / n
    prev = y.mean()
    return pd.concat([
        pd.DataFrame({"threshold": pt, "strategy": model, "net_benefit": tp - fp * w}),
        pd.DataFrame({"threshold": pt, "strategy": "treat all", "net_benefit": prev - (1 - prev) * w}),
        pd.DataFrame({"threshold": pt, "strategy": "treat none", "net_benefit": 0.0}),
    ], ignore_index=True)


def decision_curves(scores: pd.DataFrame, *, split: str = "validation",
                    thresholds: Sequence[float] | None = None) -> pd.DataFrame:
    """:func:`net_benefit` of every model of a long score table on ``split`` (treat-all/none once).

    Examples
    --------
    >>> sc = pd.DataFrame({"model": ["a"] * 4 + ["b"] * 4, "split": "validation", "label": [0, 1, 1, 0] * 2,
    ...                    "score": [.2, .8, .6, .7, .1, .9, .8, .2]})
    >>> sorted(decision_curves(sc, thresholds=[.5]).strategy)
    ['a', 'b', 'treat all', 'treat none']
    """
    if reason := skip_reason(scores):
        return skipped_table(reason)
    sub = scores[scores["split"] == split]
    if sub.empty:
        raise ValueError(f"no scores of split {split!r}")
    parts = []
    for i, (m, g) in enumerate(sub.groupby("model", sort=False, observed=True)):
        nb = net_benefit(g["label"], g["score"], thresholds, model=str(m))
        parts.append(nb if i == 0 else nb[nb["strategy"] == str(m)])
    return pd.concat(parts, ignore_index=True)
