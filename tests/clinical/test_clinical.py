"""Tests of gvisage_lib.clinical.logistic: logistic regression vs R glm and statsmodels, VIF vs car::vif, screening.

Reference values: tests/data/clinical_endocrine_reference.json, written by ``Rscript tests/r/clinical_endocrine_reference.R``
(R 4.2.2, car 3.1.1; calls listed in that script).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical import logistic as clinical

REF = json.loads((Path(__file__).parents[1] / "data" / "clinical_endocrine_reference.json").read_text())


def _glm_frame() -> pd.DataFrame:
    g = REF["data"]["glm"]
    return pd.DataFrame({k: [np.nan if v is None else v for v in g[k]] for k in ("y", "x1", "x2", "x3", "sex")})


def test_logistic_matches_r_glm_with_train_median_imputation():
    df = _glm_frame()
    assert df["x3"].isna().sum() == 3
    fit = clinical.fit_logistic(df, "y", ["x1", "x2", "x3", "sex"],
                                kinds={"x2": "binary", "sex": "categorical"})
    r = REF["glm"]
    assert fit.spec.fill["x3"] == pytest.approx(r["x3_median"], abs=0)
    assert list(fit.table.term) == ["const", "x1", "x2", "x3", "sex[M]"]
    np.testing.assert_allclose(fit.table["coef"], r["coef"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.table["se"], r["se"], rtol=1e-6)
    assert fit.llf == pytest.approx(r["loglik"], rel=1e-9)
    # odds ratios and Wald CIs are the exponentials of the log-odds scale
    np.testing.assert_allclose(fit.table["odds_ratio"], np.exp(r["coef"]), rtol=1e-7)
    np.testing.assert_allclose(fit.table["or_ci_low"], np.exp(np.array(r["coef"]) - 1.959963984540054 * np.array(r["se"])),
                               rtol=1e-6)


def test_logistic_matches_statsmodels_glm():
    import statsmodels.api as sm

    df = _glm_frame().dropna()
    fit = clinical.fit_logistic(df, "y", ["x1", "x2", "x3"])
    ref = sm.GLM(df["y"], sm.add_constant(df[["x1", "x2", "x3"]]), family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(fit.table["coef"], ref.params, rtol=1e-7)
    np.testing.assert_allclose(fit.table["se"], ref.bse, rtol=1e-6)
    np.testing.assert_allclose(fit.table["p_value"], ref.pvalues, rtol=1e-6)


def test_predict_carries_training_imputation_and_levels():
    df = _glm_frame()
    fit = clinical.fit_logistic(df, "y", ["x1", "x3", "sex"])
    new = pd.DataFrame({"x1": [0.0, 0.0], "x3": [np.nan, fit.spec.fill["x3"]], "sex": ["M", "M"]})
    p = fit.predict(new)
    assert p[0] == pytest.approx(p[1])
    with pytest.raises(ValueError, match="sex.*unseen"):
        fit.predict(pd.DataFrame({"x1": [0.0], "x3": [1.0], "sex": ["X"]}))


def test_vif_matches_car_and_statsmodels():
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    vd = pd.DataFrame(REF["data"]["vif"])
    out = clinical.vif(vd, ["x1", "x2", "x3", "x4"])  # 1-df terms: the GVIF is the ordinary VIF
    np.testing.assert_allclose(out["gvif"], REF["vif"]["car"], rtol=1e-9)
    np.testing.assert_allclose(out["gvif"], REF["vif"]["manual"], rtol=1e-9)
    assert (out["df"] == 1).all()
    np.testing.assert_allclose(out["gvif_adj"], np.sqrt(out["gvif"]), rtol=1e-12)
    x = np.column_stack([np.ones(len(vd)), vd[["x1", "x2", "x3", "x4"]].to_numpy()])
    sm_vif = [variance_inflation_factor(x, i) for i in range(1, 5)]
    np.testing.assert_allclose(out["gvif"], sm_vif, rtol=1e-9)


def test_bad_inputs_raise_with_names():
    df = _glm_frame()
    with pytest.raises(ValueError, match="outcome column 'x1' must be 0/1"):
        clinical.fit_logistic(df, "x1", ["x2"])
    with pytest.raises(ValueError, match="lacks column"):
        clinical.fit_logistic(df, "y", ["nope"])
    with pytest.raises(ValueError, match="constant"):
        clinical.fit_logistic(df.assign(c=1.0), "y", ["x1", "c"])
    with pytest.raises(TypeError, match="DataFrame"):
        clinical.fit_logistic([1, 2], "y", ["x1"])  # type: ignore[arg-type]


def test_screening_uses_table1_tests_and_selects_at_alpha():
    from gvisage_lib.stats.two_groups import compare_two_groups

    rng = np.random.default_rng(7)
    n = 200
    y = np.repeat([1, 0], n // 2)
    df = pd.DataFrame({
        "y": y,
        "tsh": np.where(y == 1, rng.lognormal(0, 0.6, n), rng.lognormal(0.6, 0.6, n)),
        "bmi": rng.normal(18, 2, n),
        "diabetes_insipidus": (rng.random(n) < np.where(y == 1, 0.45, 0.2)).astype(int),
        "sex": rng.choice(["F", "M"], n),
    })
    df.loc[[3, 50], "tsh"] = np.nan
    out = clinical.screen_univariate(df, "y", {"tsh": "continuous", "bmi": "continuous",
                                               "diabetes_insipidus": "binary", "sex": "categorical"}).set_index(
        "variable")
    assert out.loc["tsh", "selected"] and out.loc["diabetes_insipidus", "selected"]
    assert out.loc["tsh", "n_pos"] + out.loc["tsh", "n_neg"] == n - 2
    a = df.loc[(y == 1) & df.tsh.notna(), "tsh"].to_numpy()
    b = df.loc[(y == 0) & df.tsh.notna(), "tsh"].to_numpy()
    ref = compare_two_groups(a, b, kind="continuous")
    assert out.loc["tsh", "p_value"] == pytest.approx(ref.p_value)
    assert out.loc["tsh", "test"] == ref.test
    assert (out["selected"] == (out["p_value"] < 0.05)).all()
    assert out.loc["tsh", "paper_selected"] and not out.loc["bmi", "paper_selected"]


def test_firth_maximises_the_penalised_likelihood_and_handles_separation():
    """Firth vs a direct numerical maximisation of log L + 0.5 log|X'WX| (scipy BFGS), an independent route."""
    from scipy import optimize, special

    rng = np.random.default_rng(4)
    n = 60
    x = rng.normal(size=n)
    y = (x > 0.3).astype(int)  # perfectly separated
    df = pd.DataFrame({"x": x, "z": rng.normal(size=n), "y": y})
    with pytest.raises(clinical.SeparationError, match="separate"):
        clinical.fit_logistic(df, "y", ["x", "z"])
    fit = clinical.fit_logistic(df, "y", ["x", "z"], method="firth")
    X = np.column_stack([np.ones(n), x, df.z])

    def neg_pl(b):
        eta = X @ b
        w = special.expit(eta) * (1 - special.expit(eta))
        return -(np.sum(y * eta - np.logaddexp(0, eta)) + 0.5 * np.linalg.slogdet(X.T @ (X * w[:, None]))[1])

    ref = optimize.minimize(neg_pl, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.table["coef"], ref.x, rtol=1e-4, atol=1e-5)
    assert fit.llf == pytest.approx(-ref.fun, rel=1e-9)
    assert fit.method == "firth" and np.isfinite(fit.table["se"]).all()
    # without separation, Firth shrinks the ML estimate slightly towards 0
    ok = _glm_frame().dropna()
    ml = clinical.fit_logistic(ok, "y", ["x1", "x2"])
    fi = clinical.fit_logistic(ok, "y", ["x1", "x2"], method="firth")
    assert (np.abs(fi.table.coef[1:]) < np.abs(ml.table.coef[1:])).all()
    np.testing.assert_allclose(fi.table.coef, ml.table.coef, atol=0.05)


def test_linearly_dependent_design_is_a_clear_error_and_singular_fit_counts_as_separation() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=40), "y": np.r_[np.zeros(20), np.ones(20)].astype(int)})
    df["b"] = 2 * df["a"] + 1  # an exact copy of a's information
    with pytest.raises(ValueError, match=r"linearly dependent .* rank 2 < 3 columns"):
        clinical.fit_logistic(df, "y", ["a", "b"])
    # a predictor that nearly separates the outcome: maximum likelihood has no estimate, Firth has one
    df["c"] = df["y"] * 5.0 + rng.normal(scale=0.01, size=40)
    with pytest.raises(clinical.SeparationError):
        clinical.fit_logistic(df, "y", ["c"], method="ml")
    assert np.isfinite(clinical.fit_logistic(df, "y", ["c"], method="firth").table["coef"]).all()
