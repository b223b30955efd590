"""Ties are ties: identical covariate rows get bitwise identical predictions, and every statistic of a fitted model
is the same, to the last bit, whatever the order of the rows.

Reference: tests/data/tied_patterns_reference.json, from tests/r/tied_patterns_reference.R (R glm + pROC 1.18.0).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical.calibration import calibration_curve, calibration_summary
from gvisage_lib.clinical.logistic import fit_logistic, linear_predictor, vif
from gvisage_lib.clinical.optimism import optimism_bootstrap
from gvisage_lib.stats import delong_auc_covariance, delong_test, roc_auc_delong

DATA = Path(__file__).resolve().parents[1] / "data"
PREDICTORS = ["b0", "b1", "b2", "b3", "b4", "tsh", "gh"]


@pytest.fixture(scope="module")
def tied() -> pd.DataFrame:
    return pd.read_csv(DATA / "tied_patterns.csv")


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((DATA / "tied_patterns_reference.json").read_text())


def _orders(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [np.arange(n), np.arange(n)[::-1], *(rng.permutation(n) for _ in range(4))]


def test_data_has_case_control_ties(tied):
    mixed = tied.groupby(PREDICTORS)["y"].agg(lambda v: v.nunique() == 2)
    assert mixed.sum() >= 10  # the test below could fail: cases and controls share covariate patterns


def test_linear_predictor_gives_identical_rows_identical_values():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n, k = int(rng.integers(20, 700)), int(rng.integers(2, 12))
        base = rng.normal(size=(5, k))
        x = np.asarray(base[rng.integers(0, 5, n)], order=rng.choice(["C", "F"]))
        lp = linear_predictor(x, rng.normal(size=k))
        for i in range(5):
            same = lp[(x == base[i]).all(axis=1)]
            assert (same == same[:1]).all()
    with pytest.raises(ValueError, match="shapes"):
        linear_predictor(np.ones((3, 2)), np.ones(3))


@pytest.mark.parametrize("method", ["ml", "firth"])
def test_fit_and_statistics_do_not_depend_on_row_order(tied, method):
    results = []
    for order in _orders(len(tied)):
        d = tied.iloc[order].reset_index(drop=True)
        fit = fit_logistic(d, "y", PREDICTORS, method=method)
        p = fit.predict(d)
        key = d[PREDICTORS].astype(str).agg("|".join, axis=1)
        assert (pd.Series(p).groupby(key).nunique() == 1).all()  # every pattern one probability
        back = np.empty_like(p)
        back[order] = p  # predictions in file order
        auc = roc_auc_delong(d["y"], p)
        other = d["tsh"].to_numpy()
        cal = calibration_summary(d["y"], p)
        results.append((fit.table["coef"].to_numpy(), back, auc.auc, auc.variance, auc.ci_low,
                        delong_test(d["y"], p, other).z, delong_auc_covariance(d["y"], [p, other])[1],
                        cal.slope, cal.intercept, cal.brier, calibration_curve(d["y"], p).to_numpy(),
                        vif(d, PREDICTORS)["gvif"].to_numpy()))
    first = results[0]
    for res in results[1:]:
        for a, b in zip(first, res):
            np.testing.assert_array_equal(a, b)  # bitwise


def test_fitted_tie_matches_proc(tied, ref):
    for order in _orders(len(tied)):
        d = tied.iloc[order].reset_index(drop=True)
        fit = fit_logistic(d, "y", PREDICTORS)
        coef = fit.table.set_index("term")["coef"]
        for term in PREDICTORS:
            assert coef[term] == pytest.approx(ref["coef"][term], rel=1e-7)
        lp = fit.linear_predictor(d)
        assert len(np.unique(lp)) == ref["n_distinct_lp"]
        res = roc_auc_delong(d["y"], lp)
        assert res.auc == pytest.approx(ref["auc"], abs=1e-12)
        assert res.auc == pytest.approx(ref["rev_auc"], abs=1e-12)
        assert res.variance == pytest.approx(ref["var"], rel=1e-9)
        assert (res.ci_low, res.ci_high) == pytest.approx((ref["ci_low"], ref["ci_high"]), abs=1e-9)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_optimism_table_does_not_depend_on_row_order(tied):
    n = len(tied)
    idx = np.random.default_rng(8).integers(0, n, size=(25, n))
    base = optimism_bootstrap(tied, "y", PREDICTORS, indices=idx, method="auto")
    for order in _orders(n)[1:3]:
        d = tied.iloc[order].reset_index(drop=True)
        inverse = np.argsort(order)  # old row r sits at inverse[r] in d
        again = optimism_bootstrap(d, "y", PREDICTORS, indices=inverse[idx], method="auto")
        pd.testing.assert_frame_equal(base, again, check_exact=True)


def test_calibration_groups_never_split_a_tie():
    p = np.r_[np.full(6, 0.3), np.linspace(0.4, 0.9, 6)]
    y = np.r_[0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 1]
    out = calibration_curve(y, p, n_bins=4)
    assert out["n"].tolist() == [6, 3, 3]  # the six tied 0.3 form one group, not two
    assert out["events"].iloc[0] == 3
