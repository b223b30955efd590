"""GVIF, the optimism bootstrap, the decision-curve grid and the audit of the paper's own numbers.

Reference values: tests/data/honest_statistics_reference.json, written by
``Rscript tests/r/honest_statistics_reference.R`` (R 4.2.2, car 3.1.1, rms 6.5.0) on R's ``infert`` data.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical.calibration import net_benefit
from gvisage_lib.clinical.logistic import vif
from gvisage_lib.clinical.optimism import optimism_bootstrap
from gvisage_lib.paper.consistency import AUDIT_COLUMNS, paper_consistency
from gvisage_lib.paper.table1_audit import paper_p_check

REF = json.loads((Path(__file__).parents[1] / "data" / "honest_statistics_reference.json").read_text())
INFERT = pd.DataFrame(REF["infert"])
TERMS = ["age", "parity", "induced", "spontaneous"]


def test_gvif_matches_car_vif_on_infert() -> None:
    out = vif(INFERT, ["education", *TERMS], kinds={"education": "categorical"}).set_index("term")
    ref = pd.DataFrame(REF["gvif"]).set_index("term")
    np.testing.assert_allclose(out.loc[ref.index, "gvif"], ref["gvif"], rtol=1e-10)
    np.testing.assert_allclose(out.loc[ref.index, "gvif_adj"], ref["gvif_adj"], rtol=1e-10)
    assert out.loc["education", "df"] == 2
    # the per-dummy VIFs of education are 6.8 and 7.5 (the old alarm); its GVIF raises none
    assert out.loc["education", "flag"] == "" and (out["flag"] == "").all()


def test_gvif_does_not_depend_on_the_reference_level() -> None:
    releveled = INFERT.assign(education=INFERT.education.replace({"0-5yrs": "z 0-5yrs"}))
    a = vif(INFERT, ["education", *TERMS], kinds={"education": "categorical"}).set_index("term")["gvif"]
    b = vif(releveled, ["education", *TERMS], kinds={"education": "categorical"}).set_index("term")["gvif"]
    np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_optimism_bootstrap_equals_r_on_the_same_samples() -> None:
    idx = np.array(REF["optimism"]["indices"]).T  # R writes one sample per column
    res = optimism_bootstrap(INFERT, "case", TERMS, indices=idx).set_index("statistic")
    for ours, theirs in (("auc", "auc"), ("calibration_slope", "slope")):
        assert res.loc[ours, "apparent"] == pytest.approx(REF["optimism"]["apparent"][theirs], rel=1e-7, abs=1e-8)
        assert res.loc[ours, "optimism"] == pytest.approx(REF["optimism"]["optimism"][theirs], rel=1e-6)
        assert res.loc[ours, "corrected"] == pytest.approx(REF["optimism"]["corrected"][theirs], rel=1e-6)
    assert res.loc["auc", "n_boot"] == idx.shape[0] and res.loc["auc", "n_failed"] == 0


@pytest.mark.slow  # 2,000 bootstrap refits (about 35 s of CPU): make test, not make test-fast
def test_optimism_bootstrap_agrees_with_rms_validate() -> None:
    """rms::validate draws its own samples: agreement within Monte-Carlo error (B = 2000 on both sides)."""
    res = optimism_bootstrap(INFERT, "case", TERMS, n_boot=2000, seed=5).set_index("statistic")
    v = REF["validate"]
    assert res.loc["auc", "apparent"] == pytest.approx(v["dxy_index"] / 2 + 0.5, rel=1e-9)
    assert res.loc["auc", "corrected"] == pytest.approx(v["dxy_corrected"] / 2 + 0.5, abs=0.004)
    assert res.loc["calibration_slope", "corrected"] == pytest.approx(v["slope_corrected"], abs=0.02)


def test_optimism_bootstrap_inputs() -> None:
    with pytest.raises(ValueError, match="n_boot must be an integer >= 10"):
        optimism_bootstrap(INFERT, "case", TERMS, n_boot=3)
    with pytest.raises(ValueError, match="indices must be an array of shape"):
        optimism_bootstrap(INFERT, "case", TERMS, indices=np.zeros((5, 3), int))


def test_net_benefit_grid_is_exactly_k_over_100() -> None:
    nb = net_benefit([0, 1, 1, 0], [0.23, 0.23, 0.9, 0.1])
    nb = nb[nb.strategy == "model"]
    assert np.array_equal(nb["threshold"].to_numpy(), np.arange(1, 100) / 100)
    # a probability equal to a nominal threshold is treated (score >= threshold)
    row = nb.set_index("threshold").loc[0.23]
    assert row["net_benefit"] == pytest.approx(2 / 4 - 1 / 4 * 0.23 / 0.77)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_paper_consistency_audit() -> None:
    audit = paper_consistency(paper_p_check())
    assert list(audit.columns) == list(AUDIT_COLUMNS)
    acc = audit[audit.check == "accuracy between sensitivity and specificity"]
    assert len(acc) == 11 and int((~acc.consistent).sum()) == 6  # 6 of the paper's 11 rows (Table 2, 3, stage 1)
    p = audit[audit.check == "P value recomputed from the summaries"].set_index("item")
    assert not p.loc["Table 1: age_years, train", "consistent"]
    counts = audit[audit["item"].str.startswith("Counts:")]
    assert not counts.consistent.any()
    assert audit["note"].notna().all()
    with pytest.raises(ValueError, match="table1_p_check lacks columns"):
        paper_consistency(pd.DataFrame({"variable": ["age_years"]}))
