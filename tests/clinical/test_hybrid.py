"""Tests of gvisage_lib.clinical.hybrid: LR test vs R anova(glm), train-only fitting, Table 2 rows, nested comparisons.

Reference values: tests/data/clinical_endocrine_reference.json (``Rscript tests/r/clinical_endocrine_reference.R``; R 4.2.2):
``anova(glm(y ~ x1 + x2 + sex), glm(y ~ x1 + x2 + x3 + sex), test = "Chisq")``.
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
from gvisage_lib.clinical import hybrid
from gvisage_lib.clinical.figures import plot_models_roc
from gvisage_lib.clinical.logistic import fit_logistic
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.stats import delong_test, diagnostic_metrics, operating_points, roc_auc_delong

from support.frames import stage2_frame as _frame

REF = json.loads((Path(__file__).parents[1] / "data" / "clinical_endocrine_reference.json").read_text())


def test_lr_test_matches_r_anova():
    g = REF["data"]["glm"]
    df = pd.DataFrame({k: [np.nan if v is None else v for v in g[k]] for k in ("y", "x1", "x2", "x3", "sex")})
    full = fit_logistic(df, "y", ["x1", "x2", "x3", "sex"])
    red = fit_logistic(df, "y", ["x1", "x2", "sex"])
    lr = hybrid.likelihood_ratio_test(full, red)
    stat, dof, p = lr.statistic, lr.df, lr.p_value
    assert red.llf == pytest.approx(REF["glm"]["reduced_loglik"], rel=1e-9)
    assert stat == pytest.approx(REF["glm"]["lrt_stat"], rel=1e-7)
    assert dof == REF["glm"]["lrt_df"]
    assert p == pytest.approx(REF["glm"]["lrt_p"], rel=1e-6)
    with pytest.raises(ValueError, match="not nested"):
        hybrid.likelihood_ratio_test(full, fit_logistic(df.assign(z=df.x1 ** 2), "y", ["z"]))


def test_models_are_fitted_on_train_only():
    df = _frame()
    fits = hybrid.fit_models(df, ["tsh", "diabetes_insipidus"])
    flipped = df.copy()
    ev = flipped.split != "train"
    flipped.loc[ev, "label"] = 1 - flipped.loc[ev, "label"]
    fits2 = hybrid.fit_models(flipped, ["tsh", "diabetes_insipidus"])
    pd.testing.assert_frame_equal(fits.hybrid.table, fits2.hybrid.table)
    assert fits.hybrid.n == 400
    assert list(fits.hybrid.table.term) == ["const", "tsh", "diabetes_insipidus", hybrid.CNN_TERM]
    # the CNN row is the score itself; the CNN-only logistic model is a monotone map of it (same AUC)
    sc = fits.scores[fits.scores.split == "validation"].pivot(index="subject_id", columns="model", values="score")
    y = df.set_index("subject_id").loc[sc.index, "label"]
    cnn_only = fits.cnn_only.predict(df.set_index("subject_id").loc[sc.index].assign(
        **{hybrid.CNN_TERM: hybrid.logit(sc[hybrid.CNN].to_numpy())}))
    assert roc_auc_delong(y, cnn_only).auc == pytest.approx(roc_auc_delong(y, sc[hybrid.CNN]).auc)


def test_table2_rows_carry_train_threshold():
    df = _frame()
    fits = hybrid.fit_models(df, ["tsh", "diabetes_insipidus"])
    t2 = hybrid.model_metrics(fits.scores)
    assert list(t2.columns) == list(schema.TABLE2_COLUMNS)
    assert t2[["model", "split"]].drop_duplicates().values.tolist() == [[m, d] for m in hybrid.MODEL_ORDER
                                                                        for d in ("test", "validation")]
    assert set(t2.metric) == {"auc", "accuracy", "sensitivity", "specificity"} and (t2.stage == 2).all()
    for m in hybrid.MODEL_ORDER:
        tr = fits.scores[(fits.scores.model == m) & (fits.scores.split == "train")]
        thr = operating_points(tr.label, tr.score).set_index("rule").loc["youden", "threshold"]
        rows = t2[(t2.model == m) & (t2.metric != "auc")]
        assert (rows.threshold == thr).all() and (rows.rule == "youden").all()
        ev = fits.scores[(fits.scores.model == m) & (fits.scores.split == "validation")]
        dm = diagnostic_metrics(ev.label, ev.score, thr)
        r = t2[(t2.model == m) & (t2.split == "validation")].set_index("metric")
        assert r.loc["sensitivity", "estimate"] == dm.sensitivity
        assert r.loc["specificity", "ci_low"] == dm.specificity_ci_low
        assert r.loc["auc", "estimate"] == pytest.approx(roc_auc_delong(ev.label, ev.score).auc)
        assert r.loc["auc", "n"] == r.loc["accuracy", "n"] == 200  # n = the denominator of each metric


def test_comparisons_delong_lrt_bootstrap():
    df = _frame()
    fits = hybrid.fit_models(df, ["tsh", "diabetes_insipidus"])
    out = hybrid.compare_models(fits, n_boot=300, seed=3)
    assert out.loc[out.method == "likelihood-ratio test", "split"].eq("train").all()
    lrt = out[(out.method == "likelihood-ratio test") & (out.model_b == hybrid.CLINICAL)].iloc[0]
    assert lrt.df == 1
    assert lrt.statistic == pytest.approx(2 * (fits.hybrid.llf - fits.clinical.llf))
    wide = fits.scores[fits.scores.split == "validation"].pivot(index="subject_id", columns="model", values="score")
    y = df.set_index("subject_id").loc[wide.index, "label"]
    d = delong_test(y, wide[hybrid.CNN], wide[hybrid.CLINICAL])
    row = out[(out.comparison == f"{hybrid.CNN} vs {hybrid.CLINICAL}") & (out.split == "validation")].iloc[0]
    assert row.p_value == pytest.approx(d.p_value) and not row.nested
    boot = out[out.method == "bootstrap ΔAUC"]
    assert len(boot) == 4 and (boot.ci_low <= boot.delta_auc).all() and (boot.delta_auc <= boot.ci_high).all()
    again = hybrid.compare_models(fits, n_boot=300, seed=3)
    pd.testing.assert_frame_equal(out, again)  # seeded: identical
    assert "Demler" in lrt.note


def test_stage2_frame_checks_labels_and_model():
    man = pd.DataFrame({"subject_id": ["a", "b", "c"], "group": ["iGCT", "other", "NC"], "split": "train"})
    pred = pd.DataFrame({"subject_id": ["a", "b"], "split": "train", "stage": 2, "model": "resnet50",
                         "label": [1, 1], "score": [0.8, 0.3]})
    with pytest.raises(ValueError, match="subject 'b' has stage-2 label 1 but group 'other'"):
        hybrid.stage2_frame(man, pred, "resnet50")
    with pytest.raises(ValueError, match="no stage-2 predictions for model 'alexnet'"):
        hybrid.stage2_frame(man, pred, "alexnet")


def test_load_stage2_frame_reads_through_the_run_folder_readers(tmp_path):
    from gvisage_lib.cnn.outputs import load_predictions

    man = pd.DataFrame({"subject_id": ["a", "b", "c"], "group": ["iGCT", "other", "NC"], "split": "train",
                        "sex": "F", "age_years": 10.0})
    man.to_csv(tmp_path / "m.csv", index=False)
    run = RunPaths(tmp_path)
    row = {"split": "train", "stage": 2, "model": "alexnet", "profile": "smoke", "seed": 1, "checkpoint_sha256": "0"}
    pred = pd.DataFrame([{**row, "subject_id": "a", "label": 1, "score": 0.8},
                         {**row, "subject_id": "b", "label": 0, "score": 0.3}])
    pred[list(schema.PREDICTION_COLUMNS)].to_parquet(run.predictions)
    run.selected_model.write_text(json.dumps({"stage1": "resnet50", "stage2": "alexnet"}))
    data = hybrid.load_stage2_frame(run, tmp_path / "m.csv")
    assert data.model == "alexnet" and data.to_frame()[["subject_id", "label"]].values.tolist() == [["a", 1], ["b", 0]]
    run.selected_model.write_text(json.dumps({"stage1": "resnet50"}))
    with pytest.raises(ValueError, match="stage2"):
        hybrid.load_stage2_frame(run, tmp_path / "m.csv")
    assert len(load_predictions(run.predictions)) == 2


def test_paper_table2_and_roc_plot():
    t = paper.table2()
    auc = t[t.metric == "auc"]
    assert len(auc) == 6 and auc.estimate.between(0.5, 1).all()
    fits = hybrid.fit_models(_frame(), ["tsh"])
    plot_models_roc(fits.scores)
