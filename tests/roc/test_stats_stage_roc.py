"""Stage-wise ROC analysis (gvisage_lib.roc.metrics, gvisage_lib.roc.figures) and notebook 04.

The analyses are compositions of the functions tested against R in test_stats_delong.py / test_stats_metrics.py;
here they are checked against direct calls of those functions on the same subsets, and the inputs' validation is
checked. Predictions come from ``stage_roc.demo_predictions`` (synthetic; never written to a run folder).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import nbformat
import numpy as np
import pandas as pd
import pytest

from gvisage_lib import paper
from gvisage_lib.cnn.outputs import load_predictions, load_selected_model
from gvisage_lib.roc import figures as roc_figures
from gvisage_lib.roc import metrics as stage_roc
from gvisage_lib.stats import delong_test, diagnostic_metrics, operating_points, roc_auc_delong

REPO = Path(__file__).resolve().parents[2]
SEL = {"stage1": "resnet50", "stage2": "inception_v3"}


@pytest.fixture(scope="module")
def pred() -> pd.DataFrame:
    return stage_roc.demo_predictions(seed=11, scale=0.5)


def _sub(pred: pd.DataFrame, model: str, stage: int, split: str) -> pd.DataFrame:
    return pred.query("model == @model and stage == @stage and split == @split")


def test_stage_metrics_equal_direct_calls_with_train_thresholds(pred: pd.DataFrame) -> None:
    tidy = stage_roc.gvisagenet_metrics(pred, SEL, min_sensitivity=0.8, min_specificity=0.85)
    for stage in (1, 2):
        model = SEL[f"stage{stage}"]
        tr = _sub(pred, model, stage, "train")
        op = operating_points(tr["label"], tr["score"], min_sensitivity=0.8, min_specificity=0.85).set_index("rule")
        for split in ("test", "validation"):
            d = _sub(pred, model, stage, split)
            t = tidy.query("stage == @stage and split == @split")
            auc = t.query("metric == 'auc'").iloc[0]
            r = roc_auc_delong(d["label"], d["score"])
            assert (auc["estimate"], auc["ci_low"], auc["ci_high"]) == (r.auc, r.ci_low, r.ci_high)
            for rule in ("youden", "sensitivity_at_specificity", "specificity_at_sensitivity"):
                thr = op.loc[rule, "threshold"]
                m = diagnostic_metrics(d["label"], d["score"], thr)
                row = t.query("rule == @rule and metric == 'specificity'").iloc[0]
                assert row["threshold"] == thr and row["estimate"] == m.specificity
                assert (row["ci_low"], row["ci_high"]) == (m.specificity_ci_low, m.specificity_ci_high)


def test_table2_format(pred: pd.DataFrame) -> None:
    t2 = stage_roc.format_table2(stage_roc.gvisagenet_metrics(pred, SEL))
    assert len(t2) == 4 and set(t2["split"]) == {"test", "validation"}
    assert t2["Sensitivity (95% CI)"].str.match(r"^\d+\.\d\d% \(\d+\.\d\d%-\d+\.\d\d%\)$").all()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_pairwise_delong_equals_delong_test_and_holm(pred: pd.DataFrame) -> None:
    t = stage_roc.pairwise_delong(pred)
    assert len(t) == 12
    row = t.query("stage == 2 and split == 'validation' and model_a == 'alexnet' and model_b == 'resnet50'").iloc[0]
    a = _sub(pred, "alexnet", 2, "validation").set_index("subject_id")
    b = _sub(pred, "resnet50", 2, "validation").set_index("subject_id").loc[a.index]
    r = delong_test(a["label"], a["score"], b["score"])
    assert abs(row["z"] - r.z) < 1e-12 and abs(row["p_value"] - r.p_value) < 1e-12
    g = t.query("stage == 2 and split == 'validation'").sort_values("p_value")
    assert (g["p_holm"].to_numpy() >= g["p_value"].to_numpy()).all()
    assert np.isclose(g["p_holm"].iloc[0], min(1.0, 3 * g["p_value"].iloc[0]))


def test_pairwise_delong_rejects_label_mismatch(pred: pd.DataFrame) -> None:
    bad = pred.copy()
    i = bad.index[(bad.model == "alexnet") & (bad.stage == 1) & (bad.split == "test")][0]
    bad.loc[i, "label"] = 1 - bad.loc[i, "label"]
    with pytest.raises(ValueError, match="label of subject .* differs between models 'alexnet' and 'resnet50'"):
        stage_roc.pairwise_delong(bad, stages=[1], splits=["test"])


def test_roc_bands_are_seeded(pred: pd.DataFrame) -> None:
    a = stage_roc.roc_bands(pred, "resnet50", 1, n_boot=100, seed=5)
    b = stage_roc.roc_bands(pred, "resnet50", 1, n_boot=100, seed=5)
    assert a.equals(b) and len(a) == 202


def test_paper_results_transcription() -> None:
    p = paper.results()
    assert (p["source"] == "Table 2").sum() == 24
    t2 = p[p["source"] == "Table 2"].set_index(["model_key", "split", "metric"])
    assert t2.loc[("gvisagenet", "test", "auc"), "estimate"] == 0.705
    assert t2.loc[("hybrid", "validation", "specificity"), ["estimate", "ci_low", "ci_high"]].tolist() == [
        0.5845, 0.5073, 0.6605]
    s1 = p.query("stage == 1 and split == 'test' and metric == 'auc'").set_index("model_key")["estimate"]
    assert s1["gvisagenet"] == 0.942 and s1["resnet50"] == 0.972 and s1["alexnet"] == 0.963
    assert p.query("stage == 1 and split == 'validation' and metric == 'auc'")["estimate"].tolist() == [0.938]
    assert ((p["ci_low"] <= p["estimate"]) & (p["estimate"] <= p["ci_high"])).all()


def test_paper_comparison_labels_and_values(pred: pd.DataFrame) -> None:
    tidy = pd.concat([stage_roc.gvisagenet_metrics(pred, SEL), stage_roc.candidate_metrics(pred)])
    cmp = stage_roc.paper_comparison(tidy, paper.results(), SEL)
    assert {"paper", "this_run", "paper_ci", "this_run_ci"} <= set(cmp.columns)
    assert cmp["this_run"].notna().all() and len(cmp) == 22
    row = cmp.query("source == 'Table 2' and split == 'test' and metric == 'auc'").iloc[0]
    assert row["model"] == "GVisageNet -> inception_v3"
    d = _sub(pred, "inception_v3", 2, "test")
    assert row["this_run"] == roc_auc_delong(d["label"], d["score"]).auc


def test_load_predictions_reports_file_row_column(tmp_path: Path, pred: pd.DataFrame) -> None:
    bad = pred.copy()
    bad.loc[5, "label"] = 2
    bad.loc[7, "score"] = np.nan
    p = tmp_path / "predictions.parquet"
    bad.to_parquet(p)
    with pytest.raises(ValueError) as exc:
        load_predictions(p)
    msg = str(exc.value)
    assert str(p) in msg and "row 5, column 'label', value 2" in msg and "row 7, column 'score'" in msg
    pred.drop(columns="score").to_parquet(p)
    with pytest.raises(ValueError, match="missing column"):
        load_predictions(p)
    with pytest.raises(FileNotFoundError):
        load_predictions(tmp_path / "nope.parquet")


def test_selected_model_validation(tmp_path: Path) -> None:
    p = tmp_path / "selected_model.json"
    p.write_text(json.dumps({"stage1": "resnet50"}))
    with pytest.raises(ValueError, match="key 'stage2' must name a model"):
        load_selected_model(p)


def test_single_class_split_is_reported(pred: pd.DataFrame) -> None:
    one = pred[~((pred.split == "test") & (pred.label == 0))]
    with pytest.raises(ValueError, match="single class"):
        stage_roc.stage_metrics(one, "resnet50", 1)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_figures_draw(pred: pd.DataFrame) -> None:
    tidy = stage_roc.gvisagenet_metrics(pred, SEL)
    bands = stage_roc.roc_bands(pred, "resnet50", 1, n_boot=50)
    fig = roc_figures.plot_roc_stage(pred, "resnet50", 1, bands=bands, metrics=tidy)
    assert len(fig.axes[0].collections) >= 2  # two bands
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(lab.startswith("Testing: AUC") for lab in labels)
    assert len(roc_figures.plot_gvisagenet_bars(tidy, "validation").axes[0].patches) == 8
    assert len(roc_figures.plot_candidates(stage_roc.candidate_metrics(pred)).axes) == 2
    with pytest.raises(ValueError, match="lacks column"):
        roc_figures.plot_metric_bars(pd.DataFrame({"metric": ["auc"]}), hue="split")


def test_notebook_is_clean_and_parameterised() -> None:
    nb = nbformat.read(REPO / "notebooks" / "04_stage_roc.ipynb", as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for name in ("run_dir: str", "manifest: str", "profile: str", "seed: int"):
        assert name in code[0].source
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert not any("import torch" in c.source for c in code)


@pytest.mark.slow
def test_notebook_executes_on_demo_predictions(tmp_path: Path) -> None:
    """Runs notebook 04 with papermill on synthetic predictions (about 15 s)."""
    stage_roc.demo_predictions(seed=2, scale=0.3).to_parquet(tmp_path / "predictions.parquet")
    (tmp_path / "selected_model.json").write_text(json.dumps(SEL))
    out = tmp_path / "o4.ipynb"
    env = dict(os.environ, MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-m", "papermill", str(REPO / "notebooks" / "04_stage_roc.ipynb"), str(out),
                    "-p", "run_dir", str(tmp_path), "-p", "profile", "smoke", "-p", "score_fit", "test",
                    "--cwd", str(tmp_path)],
                   check=True, capture_output=True, env=env)
    assert (tmp_path / "tables" / "table2_gvisagenet.csv").exists()
    assert (tmp_path / "figures" / "fig4a_roc_stage1_test_validation.png").exists()
    assert len(pd.read_csv(tmp_path / "tables" / "delong_pairwise.csv")) == 12
    assert len(pd.read_csv(tmp_path / "tables" / "two_by_two.csv")) == 12  # 2 stages x 2 splits x 3 rules
    assert not (tmp_path / "tables" / "stard_flow.csv").exists()  # no faces index: the STARD flow is skipped
    ops = pd.read_csv(tmp_path / "tables" / "operating_points.csv")
    assert set(ops["chosen_on"]) == {"test"}  # no out-of-fold scores: thresholds on the test split, in-sample there
    tidy = pd.read_csv(tmp_path / "tables" / "gvisagenet_metrics_long.csv")
    assert tidy.loc[(tidy["split"] == "test") & (tidy["rule"].notna()), "in_sample"].all()
