"""Tests of gvisage_lib.clinical.calibration against R glm (slope, intercept) and hand-computed net benefit.

Reference values: tests/data/clinical_endocrine_reference.json (``Rscript tests/r/clinical_endocrine_reference.R``; R 4.2.2):
``glm(y ~ qlogis(p), binomial)``, ``glm(y ~ 1, offset = qlogis(p), binomial)``, ``mean((p - y)^2)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical import calibration
from gvisage_lib.clinical import figures as clinical_figures

REF = json.loads((Path(__file__).parents[1] / "data" / "clinical_endocrine_reference.json").read_text())


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_summary_matches_r():
    y, p = np.array(REF["data"]["calib"]["y"]), np.array(REF["data"]["calib"]["p"])
    s = calibration.calibration_summary(y, p)
    assert s.slope == pytest.approx(REF["calibration"]["slope"], rel=1e-7)
    assert s.intercept == pytest.approx(REF["calibration"]["intercept"], rel=1e-6)
    assert s.brier == pytest.approx(REF["calibration"]["brier"], rel=1e-12)


def test_curve_groups_and_exact_ci():
    from scipy.stats import binomtest

    y, p = np.array(REF["data"]["calib"]["y"]), np.array(REF["data"]["calib"]["p"])
    cc = calibration.calibration_curve(y, p, n_bins=10)
    assert cc["n"].sum() == len(y) and cc["n"].tolist() == [30] * 10
    assert cc["events"].sum() == y.sum()
    assert cc["mean_predicted"].is_monotonic_increasing
    r = cc.iloc[4]
    ci = binomtest(int(r.events), int(r.n)).proportion_ci(method="exact")
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    uni = calibration.calibration_curve(y, p, n_bins=5, strategy="uniform")
    assert ((uni["mean_predicted"] >= uni["bin"] / 5) & (uni["mean_predicted"] <= (uni["bin"] + 1) / 5)).all()


def test_net_benefit_by_hand():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1, 0])
    p = np.array([.9, .7, .6, .2, .4, .1, .35, .8, .55, .05])
    nb = calibration.net_benefit(y, p, [0.3, 0.5]).set_index(["strategy", "threshold"])["net_benefit"]
    # pt = .3: treated p >= .3 -> 7 subjects, TP 4, FP 3 -> 4/10 - 3/10 * (.3/.7)
    assert nb[("model", 0.3)] == pytest.approx(0.4 - 0.3 * 0.3 / 0.7)
    # pt = .5: treated {.9,.7,.6,.8,.55} -> TP 3, FP 2
    assert nb[("model", 0.5)] == pytest.approx(0.3 - 0.2)
    assert nb[("treat all", 0.5)] == pytest.approx(0.4 - 0.6)
    assert nb[("treat none", 0.3)] == 0


def test_perfect_model_beats_treat_all():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.where(y == 1, 0.95, 0.05)
    nb = calibration.net_benefit(y, p)
    m = nb[nb.strategy == "model"].net_benefit.to_numpy()
    a = nb[nb.strategy == "treat all"].net_benefit.to_numpy()
    assert np.all(m >= a - 1e-12)
    mid = nb[nb.strategy == "model"].threshold.between(0.06, 0.94).to_numpy()
    np.testing.assert_allclose(m[mid], y.mean())


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_tables_and_figures_from_long_scores():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    sc = pd.concat([pd.DataFrame({"model": m, "split": "validation", "label": y,
                                  "score": 1 / (1 + np.exp(-(k * (y - .5) + rng.normal(size=200))))})
                    for m, k in (("a", 1.0), ("b", 2.0))])
    t = calibration.calibration_table(sc)
    assert t["model"].tolist() == ["a", "b"]
    dc = calibration.decision_curves(sc)
    assert set(dc.strategy) == {"a", "b", "treat all", "treat none"}
    assert len(dc) == 4 * 99
    clinical_figures.plot_calibration(sc)
    clinical_figures.plot_decision_curve(dc)


def test_bad_inputs():
    with pytest.raises(ValueError, match="0/1"):
        calibration.calibration_summary([0, 2], [.1, .2])
    with pytest.raises(ValueError, match="probabilities"):
        calibration.calibration_summary([0, 1], [.1, 1.2])
    with pytest.raises(ValueError, match="strictly between"):
        calibration.net_benefit([0, 1], [.1, .2], [0.0])
    with pytest.raises(ValueError, match="strategy"):
        calibration.calibration_curve([0, 1], [.1, .2], strategy="nope")


def test_one_probability_for_everyone_has_no_slope_and_does_not_stop_the_table() -> None:
    """A model that gives every subject the same probability (seen: a smoke-profile CNN saturated at the clip on a
    tiny split) used to stop notebook 05 with an IndexError: statsmodels' add_constant adds no column to a constant
    logit. Its slope is undefined (NaN); its intercept and Brier score are still computed."""
    import pandas as pd

    from gvisage_lib.clinical.calibration import calibration_table

    sc = pd.DataFrame({"model": ["cnn"] * 6 + ["clinical"] * 6, "split": "test",
                       "label": [0, 1, 1, 0, 1, 0] * 2, "score": [0.999999999] * 6 + [.2, .7, .6, .3, .8, .4]})
    t = calibration_table(sc).set_index("model")
    assert np.isnan(t.loc["cnn", "slope"]) and np.isnan(t.loc["cnn", "slope_se"])
    assert np.isfinite(t.loc["cnn", "intercept"]) and t.loc["cnn", "brier"] > 0.4
    assert np.isfinite(t.loc["clinical", "slope"])
