"""Tests of gvisage_lib.endocrine.strata: Friedman vs R friedman.test, heterogeneity and trend vs statsmodels, Table 3, twin.

Reference values: tests/data/clinical_endocrine_reference.json (``Rscript tests/r/clinical_endocrine_reference.R``; R 4.2.2):
``friedman.test(m)`` with m = the paper's Table 3 (rows AUC, accuracy, sensitivity, specificity; columns complete,
incomplete, none) and a 5 x 3 matrix with ties. statsmodels 0.15 ``combine_effects`` (fixed-effect Q) and
``WLS(..., weights = 1 / var).fit(cov_type = "fixed scale")`` are the references of the AUC tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from gvisage_lib import paper
from gvisage_lib.endocrine import strata
from gvisage_lib.endocrine.figures import plot_strata
from gvisage_lib.stats import auc_heterogeneity, auc_trend, diagnostic_metrics, roc_auc_delong

from support.frames import strata_frame as _strata_frame

REF = json.loads((Path(__file__).parents[1] / "data" / "clinical_endocrine_reference.json").read_text())


def _as_table(m):
    m = np.asarray(m, dtype=float)  # rows = blocks (metrics), columns = strata
    return pd.DataFrame({"stratum": [f"s{j}" for j in range(m.shape[1])],
                         **{f"m{i}": m[i] for i in range(m.shape[0])}})


@pytest.mark.parametrize("case", ["paper", "ties"])
def test_friedman_matches_r(case):
    m = REF["data"][f"friedman_{case}"]
    t = _as_table(m)
    fr = strata.friedman_as_paper(t, [c for c in t.columns if c != "stratum"])
    stat, dof, p = fr.statistic, fr.df, fr.p_value
    r = REF["friedman"][case]
    assert stat == pytest.approx(r["statistic"], rel=1e-10)
    assert dof == r["df"]
    assert p == pytest.approx(r["p"], rel=1e-10)


def test_friedman_on_paper_table3_cannot_give_its_p():
    t3 = paper.table3().assign(auc=lambda d: d.auc_text)
    fr = strata.friedman_as_paper(t3)
    stat, p = fr.statistic, fr.p_value
    assert stat == 8.0 and p == pytest.approx(np.exp(-4))  # perfect concordance: the smallest P with 4 blocks
    assert p != pytest.approx(0.03, abs=0.005)


def test_heterogeneity_matches_statsmodels_meta():
    from statsmodels.stats.meta_analysis import combine_effects

    auc, var = np.array([0.68, 0.575, 0.517, 0.61]), np.array([0.004, 0.003, 0.0045, 0.002])
    h = auc_heterogeneity(auc, var)
    q, dof, p, pooled = h.statistic, h.df, h.p_value, h.pooled_auc
    ref = combine_effects(auc, var)
    assert q == pytest.approx(ref.q, rel=1e-12) and dof == 3
    assert pooled == pytest.approx(ref.mean_effect_fe, rel=1e-12)
    from scipy.stats import chi2

    assert p == pytest.approx(chi2.sf(ref.q, 3))


def test_trend_matches_statsmodels_wls_fixed_scale():
    import statsmodels.api as sm

    auc, var, rank = np.array([0.517, 0.575, 0.68]), np.array([0.004, 0.003, 0.0045]), np.array([0, 1, 2])
    out = auc_trend(auc, var, rank).to_dict()
    ref = sm.WLS(auc, sm.add_constant(rank), weights=1 / var).fit(cov_type="fixed scale")
    assert out["slope"] == pytest.approx(ref.params[1], rel=1e-10)
    assert out["se"] == pytest.approx(ref.bse[1], rel=1e-10)
    assert out["p_value"] == pytest.approx(ref.pvalues[1], rel=1e-8)


def test_strata_metrics_per_stratum():
    df = _strata_frame()
    t3 = strata.strata_metrics(df, 0.4)
    assert t3.stratum.tolist() == ["complete", "incomplete", "none"]
    g = df[df.hpt_damage == "incomplete"]
    r = t3.set_index("stratum").loc["incomplete"]
    roc = roc_auc_delong(g.label, g.score)
    dm = diagnostic_metrics(g.label, g.score, 0.4)
    assert (r.auc, r.auc_variance, r.auc_ci_low) == pytest.approx((roc.auc, roc.variance, roc.ci_low))
    assert (r.accuracy, r.sensitivity_ci_high) == pytest.approx((dm.accuracy, dm.sensitivity_ci_high))
    assert r.n == len(g) and r.n_pos == g.label.sum()
    tests = strata.strata_tests(t3).set_index("test")
    assert tests.loc["chi-square heterogeneity of independent AUCs", "p_value"] < 0.05
    assert tests.loc["trend of AUC over ordered strata", "estimate"] > 0
    assert "blocks = the 4 metrics" in tests.loc["Friedman (paper's)", "assumption"]
    assert strata.strata_order_check(t3).holds.all()
    plot_strata(t3)


def test_strata_errors():
    df = _strata_frame()
    with pytest.raises(ValueError, match="outside"):
        strata.strata_metrics(df.replace({"none": "partial"}), 0.0)
    one_class = df[~((df.hpt_damage == "none") & (df.label == 0))]
    # a single-class stratum is no longer an error: its row says why it has no metrics
    assert "single class" in strata.strata_metrics(one_class, 0.0).set_index("stratum").loc["none", "note"]
    with pytest.raises(ValueError, match="positive"):
        auc_heterogeneity([0.6, 0.7], [0.0, 0.01])


def test_twin_strata_truth():
    """3x twin, validation tumours, score simulated from the truth (expit(2 * damage_z + N(0, 1))).

    What the twin plants: damage drives the score, so the MEAN score is ordered complete > incomplete > none (in
    each class); and within a damage level iGCTs' impaired axes are more severely impaired than other tumours', with
    a gap that widens with the level (twin_parameters.json, hpt_damage.axis_beta). So the within-stratum AUC is
    ordered complete > incomplete > none, the strata are heterogeneous and the trend is significant, while the
    undamaged stratum carries no endocrine separation (its AUC CI spans 0.5).
    """
    from gvisage_lib.twin.tabular import generate_tabular

    manifest, truth = generate_tabular(seed=11, scale=3.0)
    df = manifest.merge(truth[["subject_id", "endocrine_damage"]], on="subject_id")
    df = df[(df.split == "validation") & df.group.isin(["iGCT", "other"])].copy()
    rng = np.random.default_rng(11)
    z = (df.endocrine_damage - df.endocrine_damage.mean()) / df.endocrine_damage.std()
    df["score"] = 1 / (1 + np.exp(-(2 * z + rng.normal(size=len(df)))))
    df["label"] = (df.group == "iGCT").astype(int)
    t3 = strata.strata_metrics(df, 0.5)
    assert strata.strata_order_check(t3, metric="mean_score").holds.all()
    assert strata.strata_order_check(t3, metric="mean_score_pos").holds.all()
    assert strata.strata_order_check(t3, metric="mean_score_neg").holds.all()
    assert strata.strata_order_check(t3, metric="auc").holds.all()
    tests = strata.strata_tests(t3).set_index("test")
    assert tests.loc["chi-square heterogeneity of independent AUCs", "p_value"] < 0.05
    assert tests.loc["trend of AUC over ordered strata", "p_value"] < 0.05
    none = t3.set_index("stratum").loc["none"]
    assert none.auc_ci_low < 0.5 < none.auc_ci_high
    assert roc_auc_delong(df.label, df.score).ci_low > 0.5


def test_strata_tests_leave_out_a_stratum_without_delong_variance():
    t3 = pd.DataFrame({"stratum": ["complete", "incomplete", "none"], "auc": [0.8, 0.7, 0.55],
                       "auc_variance": [np.nan, 0.004, 0.003], "accuracy": [0.7, 0.6, 0.5],
                       "sensitivity": [0.7, 0.6, 0.5], "specificity": [0.6, 0.6, 0.5]})
    out = strata.strata_tests(t3).set_index("test")
    het = out.loc["chi-square heterogeneity of independent AUCs"]
    assert het.df == 1 and "left out (no DeLong variance): complete" in het.assumption
    h = auc_heterogeneity([0.7, 0.55], [0.004, 0.003])
    assert het.statistic == pytest.approx(h.statistic) and het.p_value == pytest.approx(h.p_value)
    t3.loc[1, "auc_variance"] = np.nan
    out = strata.strata_tests(t3).set_index("test")
    assert np.isnan(out.loc["trend of AUC over ordered strata", "p_value"])


def test_single_class_stratum_is_kept_with_a_reason() -> None:
    """A small cohort's stratum may hold one tumour group only: the analysis goes on, the row says why."""
    from gvisage_lib.endocrine.strata import strata_metrics, strata_tests

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"hpt_damage": np.repeat(["complete", "incomplete", "none"], 20),
                       "label": np.r_[np.tile([0, 1], 20), np.ones(20, int)]})
    df["score"] = rng.uniform(size=len(df))
    t3 = strata_metrics(df, 0.5)
    none = t3.set_index("stratum").loc["none"]
    assert np.isnan(none["auc"]) and "single class" in none["note"]
    assert t3.set_index("stratum").loc["complete", "note"] == "" and np.isfinite(t3["auc"].iloc[0])
    tests = strata_tests(t3).set_index("test")
    assert np.isnan(tests.loc["Friedman (paper's)", "p_value"])
    assert "not computed" in tests.loc["Friedman (paper's)", "assumption"]
    assert np.isfinite(tests.loc["chi-square heterogeneity of independent AUCs", "statistic"])
