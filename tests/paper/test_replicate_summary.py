"""The summary of a replicate study (gvisage_lib.paper.replicates) on small hand-made inputs, every expected value
counted by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.paper import claims
from gvisage_lib.paper import replicates as rs

from support.replicates import write_replicate


def test_holding_verdicts_are_the_claims_tables_agreeing_verdicts() -> None:
    agreeing = {claims.verdict_direction(1, 0.2, 0.001), claims.verdict_significance(0.01),
                claims.verdict_no_difference([0.3, 0.6]), claims.verdict_selection("resnet50", "resnet50"),
                claims.verdict_signs([1, -1], [1, -1]), claims.verdict_estimate(0.7, 0.6, 0.8)}
    assert agreeing == set(rs.HOLDING_VERDICTS)
    disagreeing = {claims.verdict_direction(1, 0.2, 0.3), claims.verdict_direction(1, -0.2, 0.01),
                   claims.verdict_significance(0.2), claims.verdict_no_difference([0.01]),
                   claims.verdict_selection("resnet50", "alexnet"), claims.verdict_signs([1, -1], [1, 0]),
                   claims.verdict_estimate(0.7, 0.75, 0.8), claims.verdict_estimate(0.7, 0.5, 0.6)}
    assert not disagreeing & set(rs.HOLDING_VERDICTS)


def _aucs() -> pd.DataFrame:
    # item b comes first in the paper's order although it sorts after a
    return pd.DataFrame({"seed": [1, 2, 3, 1, 2, 3], "item": ["b"] * 3 + ["a"] * 3, "order": [0] * 3 + [1] * 3,
                         "paper": [0.7] * 3 + [0.5] * 3, "estimate": [0.62, 0.80, 0.71, 0.55, np.nan, 0.45],
                         "ci_low": [0.55, 0.72, 0.60, 0.40, np.nan, 0.41],
                         "ci_high": [0.69, 0.88, 0.80, 0.70, np.nan, 0.49]})


def test_auc_summary_median_range_and_paper_inside_ci() -> None:
    s = rs.auc_summary(_aucs())
    assert s["item"].tolist() == ["b", "a"]
    b, a = s.iloc[0], s.iloc[1]
    assert (b["n_seeds"], b["median"], b["min"], b["max"], b["n_paper_in_ci"]) == (3, 0.71, 0.62, 0.80, 1)
    # a: seed 2 has no value; of the two others only seed 1's CI (0.40-0.70) holds 0.5
    assert (a["n_seeds"], a["median"], a["min"], a["max"], a["n_paper_in_ci"]) == (2, 0.5, 0.45, 0.55, 1)


def test_auc_by_seed_is_one_column_per_seed_in_item_order() -> None:
    w = rs.auc_by_seed(_aucs().sample(frac=1, random_state=3))
    assert w.columns.tolist() == ["item", "paper", "seed 1", "seed 2", "seed 3"]
    assert w["item"].tolist() == ["b", "a"]
    assert w.iloc[0, 2:].tolist() == [0.62, 0.80, 0.71] and np.isnan(w.iloc[1]["seed 2"])


def test_claim_shares_count_holding_and_leave_out_cannot_tell() -> None:
    v = pd.DataFrame({"seed": [1, 2, 3, 4, 1, 2, 3, 4], "key": ["x"] * 4 + ["y"] * 4, "order": [0] * 4 + [1] * 4,
                      "kind": ["test"] * 8, "claim": ["X"] * 4 + ["Y"] * 4,
                      "verdict": ["same direction and significant", "same direction, not significant",
                                  "cannot tell", "same direction and significant",
                                  "cannot tell", "cannot tell", "cannot tell", "cannot tell"]})
    s = rs.claim_shares(v).set_index("key")
    assert s.loc["x", ["n_seeds", "n_holds", "n_cannot_tell"]].tolist() == [4, 2, 1]
    assert s.loc["x", "share_holds"] == pytest.approx(2 / 3)
    assert s.loc["x", "commonest_verdict"] == "same direction and significant"
    assert np.isnan(s.loc["y", "share_holds"]) and s.loc["y", "n_holds"] == 0


def test_selection_and_truth_checks_are_counted_per_stage_and_check() -> None:
    sel = pd.DataFrame({"seed": [1, 1, 2, 2, 3], "stage": [1, 2, 1, 2, 2],
                        "model": ["alexnet", "resnet50", "alexnet", "inception_v3", "resnet50"]})
    f = rs.selection_frequency(sel)
    assert f.values.tolist() == [[1, "alexnet", 2, 1.0], [2, "inception_v3", 1, 1 / 3], [2, "resnet50", 2, 2 / 3]]
    truth = pd.DataFrame({"seed": [1, 1, 2, 2], "check": ["z", "a", "z", "a"], "group": ["g"] * 4,
                          "recovered": [True, False, True, True]})
    t = rs.truth_check_counts(truth)
    assert t.values.tolist() == [["z", "g", 2, 2, 1.0], ["a", "g", 2, 1, 0.5]]  # the checks' own order


def test_a_frame_without_a_column_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"aucs lacks column\(s\) \['estimate'\]"):
        rs.auc_summary(pd.DataFrame(columns=["seed", "item", "order", "paper"]))


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_collect_and_summarise_read_the_replicates_tables(tmp_path: Path) -> None:
    runs = {11: write_replicate(tmp_path / "seed-11", seed=11, val_auc=0.74),
            12: write_replicate(tmp_path / "seed-12", seed=12, val_auc=0.60, selected="alexnet", recovered=False)}
    raw = rs.collect(runs)
    aucs = raw["aucs"]
    head = aucs[aucs["item"] == "Table 2, stage 2, GVisageNet, validation"]
    assert head["estimate"].tolist() == [0.74, 0.60] and head["paper"].tolist() == [0.739, 0.739]
    t3 = aucs[aucs["stratum"] == "complete"]
    assert t3["estimate"].tolist() == [0.7, 0.7] and t3["ci_high"].tolist() == [0.9, 0.9]
    s = rs.summarise(raw)
    assert set(s) == set(rs.SUMMARY_TABLES)
    row = s["replicate_auc_summary"].set_index("item").loc["Table 2, stage 2, GVisageNet, validation"]
    assert (row["median"], row["min"], row["max"], row["n_paper_in_ci"]) == pytest.approx((0.67, 0.60, 0.74, 1))
    sel = s["replicate_claims"].set_index("key").loc["stage2_selection"]
    assert (sel["n_holds"], sel["n_seeds"], sel["share_holds"]) == (1, 2, 0.5)  # resnet50 once, alexnet once
    est = s["replicate_claims"].set_index("key").loc["estimate_s2_gvisagenet_validation_auc"]
    assert est["n_holds"] == 1  # 0.739 inside 0.69-0.79, not inside 0.55-0.65
    assert s["replicate_truth_checks"][["n_seeds", "n_recovered"]].values.tolist() == [[2, 1]]
    text = rs.study_conclusions(s, vary="both")
    assert "median 0.670 (range 0.600 to 0.740) over 2 seeds, the paper's 0.739" in text
    assert "holds the paper's value in 1 of them" in text
    assert "Stage 2: AlexNet was selected in 1 of 2 seeds." in text
    assert "Truth checks of the twin: 0 of 1 recovered the planted relation in every seed." in text
