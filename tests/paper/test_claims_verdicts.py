"""The paper's claims beside a run (gvisage_lib.paper.claims): each verdict rule, and the table from run outputs."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.paper import claims as cl
from gvisage_lib.paper import numbers


@pytest.mark.parametrize(("sign", "est", "p", "expected"), [
    (1, 0.05, 0.001, "same direction and significant"),
    (1, 0.05, 0.049, "same direction and significant"),
    (1, 0.05, 0.05, "same direction, not significant"),  # P < .05 is significant, .05 is not
    (1, -0.05, 0.01, "opposite, significant"),
    (1, -0.05, 0.7, "opposite, not significant"),
    (-1, -0.05, 0.01, "same direction and significant"),
    (1, 0.0, 0.9, "no difference, not significant"),
    (1, math.nan, 0.01, "cannot tell"),
    (1, 0.1, math.nan, "cannot tell"),
])
def test_direction_rule(sign: int, est: float, p: float, expected: str) -> None:
    assert cl.verdict_direction(sign, est, p) == expected


def test_the_other_rules() -> None:
    assert cl.verdict_significance(0.049) == "significant, as the paper"
    assert cl.verdict_significance(0.37) == "not significant"
    assert cl.verdict_no_difference([0.3, math.nan, 0.06]) == "not significant, as the paper"
    assert cl.verdict_no_difference([0.3, 0.04]) == "significant, unlike the paper"
    assert cl.verdict_signs([1, 1, -1, 0], [1, 0, -1, 1]) == "2 of 3 same direction and significant"
    assert cl.verdict_signs([1, -1], [-1, -1]) == "1 of 2 same direction and significant, 1 opposite"
    assert cl.verdict_estimate(0.683, 0.683, 0.9) == "paper's value inside this run's 95% CI"
    assert cl.verdict_estimate(0.683, 0.70, 0.9) == "this run higher"
    assert cl.verdict_estimate(0.683, 0.30, 0.6) == "this run lower"
    with pytest.raises(ValueError, match="paper_sign"):
        cl.verdict_direction(2, 0.1, 0.1)


def test_claims_quote_the_papers_numbers() -> None:
    """Every number in a claim's paper value is one the paper module holds (no second transcription drifts)."""
    published = set()
    for frame in (numbers.results(), numbers.table3()):
        for col in frame.columns:
            published.update(pd.to_numeric(frame[col], errors="coerce").dropna().round(3).tolist())
    for c in cl.TEST_CLAIMS:
        for x in re.findall(r"\d\.\d{3}", c.paper):
            assert round(float(x), 3) in published, (c.key, x)
        assert c.rule in cl.RULES, c.key
        assert c.notebook in {"03_train", "04_stage_roc", "05_clinical_hybrid", "06_endocrine"}


def _run(root: Path) -> Path:
    t = root / "tables"
    t.mkdir(parents=True)
    (root / "selected_model.json").write_text(json.dumps({"stage1": "alexnet", "stage2": "alexnet"}))
    pd.DataFrame({"model": ["resnet50"] * 4, "stage": [1, 1, 2, 2], "split": ["test", "validation"] * 2,
                  "n_pos": 10, "n_neg": 10, "auc": [0.9, 0.93, 0.6, 0.55], "ci_low": 0.5, "ci_high": 0.99,
                  "z_delong": 3.0, "p_delong": [1e-4, 1e-5, 0.2, 0.3], "p_mann_whitney": 0.01}
                 ).to_csv(t / "auc_vs_chance.csv", index=False)
    pd.DataFrame([
        {"comparison": "GVisageNet vs Logistic regression", "split": "validation", "method": "DeLong (paired)",
         "auc_a": 0.70, "auc_b": 0.65, "delta_auc": 0.05, "ci_low": 0.01, "ci_high": 0.09, "p_value": 0.02},
        {"comparison": "Hybrid model vs GVisageNet", "split": "validation", "method": "DeLong (paired)",
         "auc_a": 0.69, "auc_b": 0.70, "delta_auc": -0.01, "ci_low": -0.05, "ci_high": 0.03, "p_value": 0.72},
        {"comparison": "Hybrid model vs GVisageNet", "split": "test", "method": "likelihood-ratio test",
         "p_value": 0.001},
    ]).to_csv(t / "stage2_model_comparisons.csv", index=False)
    pd.DataFrame({"test": ["Friedman (paper's)", "chi-square heterogeneity of independent AUCs",
                           "trend of AUC over ordered strata"], "p_value": [0.37, 0.5, 0.2],
                  "estimate": [math.nan, 0.6, 0.04]}).to_csv(t / "table3_hpt_strata_tests.csv", index=False)
    signs = numbers.fig5a_signs()
    run_signs = signs.copy()
    run_signs[run_signs[run_signs != 0].index[0]] = 0  # one claimed sign does not come back
    pd.DataFrame({"indicator": signs.index, "paper_sign": signs.values, "this_run_sign": run_signs.values}
                 ).to_csv(t / "fig5a_signs_paper_vs_this_run.csv", index=False)
    pd.DataFrame([
        {"model": "Hybrid model", "stage": 2, "split": "test", "rule": "", "metric": "auc", "estimate": 0.862,
         "ci_low": 0.8, "ci_high": 0.92, "in_sample": True},
        {"model": "GVisageNet", "stage": 2, "split": "validation", "rule": "youden", "metric": "sensitivity",
         "estimate": 0.485, "ci_low": 0.40, "ci_high": 0.57, "in_sample": False},
    ]).to_csv(t / "table2_stage2_models.csv", index=False)
    return root


def test_claims_table_from_a_run(tmp_path: Path) -> None:
    t = cl.claims_table(RunPaths(_run(tmp_path / "run"))).set_index("key")
    assert list(t.reset_index().columns) == list(cl.CLAIM_COLUMNS)
    assert t.loc["stage1_auc_vs_chance", "verdict"] == "same direction and significant"
    assert t.loc["stage2_auc_vs_chance", "verdict"] == "same direction, not significant"
    assert t.loc["cnn_vs_clinical", "verdict"] == "same direction and significant"
    assert t.loc["hybrid_vs_cnn", "verdict"] == "opposite, not significant"
    assert "likelihood-ratio test .001" in t.loc["hybrid_vs_cnn", "this_run_p"]
    assert t.loc["friedman", "verdict"] == "not significant"
    assert t.loc["hpt_trend", "verdict"] == "same direction, not significant"
    assert t.loc["stage2_selection", "verdict"] == "different model"
    assert t.loc["fig5a_signs", "verdict"].startswith("7 of 8")
    assert t.loc["stage1_candidates_similar", "verdict"] == "cannot tell"  # no delong_pairwise.csv
    hybrid = t.loc["estimate_s2_hybrid_test_auc"]
    assert bool(hybrid["in_sample"]) and hybrid["verdict"] == "this run higher"
    sens = t.loc["estimate_s2_gvisagenet_validation_sensitivity"]
    assert sens["paper"].startswith("0.683") and sens["verdict"] == "this run lower" and not sens["in_sample"]


def test_a_skipped_table_is_cannot_tell(tmp_path: Path) -> None:
    run = _run(tmp_path / "run")
    pd.DataFrame({"status": ["skipped: too few subjects"]}).to_csv(run / "tables" / "stage2_model_comparisons.csv",
                                                                   index=False)
    t = cl.claims_table(RunPaths(run)).set_index("key")
    assert t.loc["cnn_vs_clinical", "verdict"] == "cannot tell"
