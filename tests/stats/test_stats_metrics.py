"""2x2 metrics, ROC/PR curves and operating points.

References: scikit-learn (confusion_matrix, roc_curve, average_precision_score), R pROC 1.18.0
``coords(r, "best", best.method="youden")`` (tests/data/proc_delong.json, from tests/r/proc_reference.R), and
brute-force enumeration of thresholds written here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

from gvisage_lib.stats import (
    apply_operating_points,
    average_precision,
    diagnostic_metrics,
    metrics_from_counts,
    operating_points,
    pr_curve,
    proportion_ci,
    roc_curve,
)

REF = json.loads((Path(__file__).parents[1] / "data" / "proc_delong.json").read_text())


def _data(seed: int, n: int = 200, digits: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    return y, np.round(y + rng.normal(size=n), digits)


@pytest.mark.parametrize("seed", range(4))
def test_metrics_counts_match_sklearn_and_cis_are_exact(seed: int) -> None:
    y, s = _data(seed)
    thr = float(np.median(s))
    m = diagnostic_metrics(y, s, thr)
    tn, fp, fn, tp = skm.confusion_matrix(y, (s >= thr).astype(int)).ravel()
    assert (m.tp, m.fp, m.tn, m.fn) == (tp, fp, tn, fn)
    assert m.sensitivity == tp / (tp + fn) and m.specificity == tn / (tn + fp)
    assert m.ppv == tp / (tp + fp) and m.npv == tn / (tn + fn) and m.accuracy == (tp + tn) / y.size
    assert (m.sensitivity_ci_low, m.sensitivity_ci_high) == proportion_ci(tp, tp + fn)
    df = m.to_frame()
    assert list(df.columns) == ["metric", "estimate", "ci_low", "ci_high", "k", "n"]
    assert df.set_index("metric").loc["npv", "n"] == tn + fn


def test_metrics_threshold_is_inclusive_and_empty_denominator_is_nan() -> None:
    m = diagnostic_metrics([0, 1], [0.5, 0.5], 0.5)
    assert (m.tp, m.fp) == (1, 1)
    m = diagnostic_metrics([0, 1, 1], [0.1, 0.2, 0.3], math.inf)
    assert math.isnan(m.ppv) and math.isnan(m.ppv_ci_low) and m.specificity == 1.0
    assert "threshold" in str(m) and "<table" in m._repr_html_()


def test_metrics_validation() -> None:
    with pytest.raises(ValueError, match="score has length 2 but y_true has length 3"):
        diagnostic_metrics([0, 1, 1], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="threshold must not be NaN"):
        diagnostic_metrics([0, 1], [0.1, 0.2], float("nan"))
    with pytest.raises(ValueError, match="tp must be a non-negative integer, got -1"):
        metrics_from_counts(-1, 0, 0, 0)


@pytest.mark.parametrize("seed", range(4))
def test_roc_curve_matches_sklearn(seed: int) -> None:
    y, s = _data(seed, digits=1)
    ours = roc_curve(y, s)
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    assert np.allclose(np.sort(ours["fpr"]), np.sort(fpr)) and np.allclose(np.sort(ours["sensitivity"]), np.sort(tpr))
    # Every threshold classifies exactly as its row says.
    for _, r in ours.sample(10, random_state=seed).iterrows():
        pred = s >= r["threshold"]
        assert r["tp"] == np.sum(pred & (y == 1)) and r["fp"] == np.sum(pred & (y == 0))
    assert abs(average_precision(y, s) - skm.average_precision_score(y, s)) < 1e-12
    pr = pr_curve(y, s)
    assert pr["recall"].iloc[-1] == 1.0 and pr["precision"].between(0, 1).all()


@pytest.mark.parametrize("case", REF["youden"], ids=lambda c: f"{c['dataset']}-{c['score']}")
def test_youden_j_matches_proc(case: dict) -> None:
    d = REF["data"][case["dataset"]]
    op = operating_points(d["y"], d[case["score"]]).set_index("rule")
    assert abs(op.loc["youden", "youden_j"] - case["j"]) < 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_operating_points_are_optimal_by_brute_force(seed: int) -> None:
    y, s = _data(seed, n=120)
    op = operating_points(y, s, min_sensitivity=0.8, min_specificity=0.85).set_index("rule")
    cand = np.r_[np.inf, np.unique(s), -np.inf]
    se = np.array([np.mean(s[y == 1] >= t) for t in cand])
    sp = np.array([np.mean(s[y == 0] < t) for t in cand])
    assert np.isclose(op.loc["youden", "youden_j"], np.max(se + sp - 1))
    assert np.isclose(op.loc["sensitivity_at_specificity", "sensitivity"], se[sp >= 0.85].max())
    assert op.loc["sensitivity_at_specificity", "specificity"] >= 0.85
    assert np.isclose(op.loc["specificity_at_sensitivity", "specificity"], sp[se >= 0.8].max())
    assert op.loc["specificity_at_sensitivity", "sensitivity"] >= 0.8


def test_thresholds_are_carried_unchanged() -> None:
    y_tr, s_tr = _data(0)
    y_te, s_te = _data(1)
    op = operating_points(y_tr, s_tr)
    out = apply_operating_points(op, y_te, s_te)
    assert set(out["rule"]) == {"youden", "sensitivity_at_specificity", "specificity_at_sensitivity"}
    for rule, thr in zip(op["rule"], op["threshold"], strict=True):
        sub = out[out["rule"] == rule].set_index("metric")
        assert sub["threshold"].iloc[0] == thr
        assert sub.loc["sensitivity", "estimate"] == np.mean(s_te[y_te == 1] >= thr)


def test_operating_points_validation() -> None:
    with pytest.raises(ValueError, match="min_specificity must be in"):
        operating_points([0, 1], [0.1, 0.2], min_specificity=2)
    with pytest.raises(ValueError, match="points must be a DataFrame"):
        apply_operating_points({"rule": 1}, [0, 1], [0.1, 0.2])  # type: ignore[arg-type]
