"""Out-of-fold CNN scores: no quantity downstream is fitted on a network's scores of its own training images.

Trains a tiny CNN (registered for the test, as in ``test_training.py``) through ``train_candidates`` with
``score_fit="out_of_fold"``, then checks the fold structure, the merge into the predictions and the in-sample marks of
the statistics that use them.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from torch import nn

from gvisage_lib.clinical.hybrid import CNN, fit_models, model_metrics, model_optimism
from gvisage_lib.cnn import models
from gvisage_lib.cnn.candidates import fold_assignment, train_candidates
from gvisage_lib.cnn.datasets import load_subjects, stage_subjects, write_synthetic_stacks
from gvisage_lib.cnn.outputs import FitPredictions, load_fit_predictions
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import get_profile
from gvisage_lib.roc.metrics import candidate_metrics, demo_predictions, stage_metrics

SIZE = 16
FOLDS = 2


def _tiny(num_classes: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(8, num_classes))


@pytest.fixture(scope="module")
def oof_run(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setitem(models.MODEL_REGISTRY, "tiny", models.ModelSpec("tiny", _tiny, "0", ("3.",), (), 8))
    root = write_synthetic_stacks(tmp_path_factory.mktemp("oof"), n_per_group=6, image_size=SIZE, seed=4, signal=3.0)
    paths = RunPaths(root).ensure()
    prof = get_profile("smoke", image_size=SIZE, models=("tiny",), epochs=2, batch_size=8, score_fit="out_of_fold",
                       oof_folds=FOLDS)
    train_candidates(root / "manifest.csv", paths, prof, 5, progress=False)
    yield root, paths, prof
    mp.undo()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_every_training_subject_is_scored_by_a_network_that_did_not_see_it(oof_run):
    root, paths, prof = oof_run
    oof = pd.read_parquet(paths.predictions_oof)
    pred = pd.read_parquet(paths.predictions)
    assert tuple(oof.columns) == schema.PREDICTION_COLUMNS
    assert set(oof["split"]) == {"train"} and set(oof["model"]) == {"tiny"}
    subj = load_subjects(root / "manifest.csv", paths.faces_index, root)
    for stage in (1, 2):
        st = stage_subjects(subj, stage)
        st = st[st["split"] == "train"].reset_index(drop=True)
        got = oof[oof["stage"] == stage].set_index("subject_id").loc[st["subject_id"]]
        assert len(got) == len(st) and got.index.is_unique  # each training subject once per stage
        # one network per fold, and the subjects it scored are exactly its held-out fold
        fold = fold_assignment(st["label"].to_numpy(), FOLDS, 5 + stage)
        by_net = got.groupby("checkpoint_sha256").groups
        assert len(by_net) == FOLDS
        assert sorted(sorted(v) for v in by_net.values()) == sorted(
            sorted(st["subject_id"][fold == f]) for f in range(FOLDS))
        in_sample = pred[(pred["stage"] == stage) & (pred["split"] == "train")].set_index("subject_id")
        assert not set(got["checkpoint_sha256"]) & set(in_sample["checkpoint_sha256"])
        assert not np.allclose(got["score"], in_sample.loc[got.index, "score"])
    for f in range(FOLDS):
        assert (paths.models / f"oof_fold{f}").is_dir()


def test_fit_predictions_replace_only_the_training_scores(oof_run):
    _, paths, _ = oof_run
    pred = pd.read_parquet(paths.predictions)
    fp = load_fit_predictions(paths, "out_of_fold")
    assert (fp.fit_split, fp.oof_models, fp.threshold_split("tiny"), fp.threshold_split("alexnet")) == (
        "train", ("tiny",), "train", "test")
    key = ["subject_id", "stage", "model", "split"]
    merged = fp.frame.merge(pred, on=key, suffixes=("", "_pred"))
    assert len(merged) == len(pred) == len(fp.frame)
    held_out = merged["split"] != "train"
    assert np.array_equal(merged.loc[held_out, "score"], merged.loc[held_out, "score_pred"])
    oof = pd.read_parquet(paths.predictions_oof).set_index(["subject_id", "stage"])["score"]
    tr = merged[~held_out].set_index(["subject_id", "stage"])["score"]
    assert np.array_equal(tr.to_numpy(), oof.loc[tr.index].to_numpy())
    as_is = load_fit_predictions(paths, "test")
    assert as_is.fit_split == "test" and as_is.frame.equals(pred)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_missing_or_foreign_out_of_fold_scores_are_errors(oof_run, tmp_path):
    _, paths, _ = oof_run
    other = RunPaths(tmp_path)  # a run folder with the predictions and no out-of-fold scores, then foreign ones
    shutil.copyfile(paths.predictions, other.predictions)
    with pytest.raises(FileNotFoundError, match="out-of-fold scores not found"):
        load_fit_predictions(other, "out_of_fold")
    bad = pd.read_parquet(paths.predictions_oof)
    bad.loc[bad.index[0], "split"] = "test"
    bad.to_parquet(other.predictions_oof, index=False)
    with pytest.raises(ValueError, match="must be of the train split"):
        load_fit_predictions(other, "out_of_fold")


def test_fold_assignment_is_stratified_and_rejects_too_many_folds():
    y = np.array([0] * 7 + [1] * 5)
    f = fold_assignment(y, 5, seed=1)
    assert all(np.bincount(f[y == 1], minlength=5) == 1)
    with pytest.raises(ValueError, match="folds must be between 2"):
        fold_assignment(y, 6, seed=1)


def test_thresholds_chosen_on_the_evaluated_split_are_marked_in_sample():
    pred = demo_predictions(0)
    t = stage_metrics(pred, "resnet50", 2, train_split="test", rules=["youden"])
    thr = t[t["rule"] != ""]
    assert thr.loc[thr["split"] == "test", "in_sample"].all()
    assert not thr.loc[thr["split"] == "validation", "in_sample"].any()
    assert not t.loc[t["metric"] == "auc", "in_sample"].any()  # a threshold does not touch the AUC
    cand = candidate_metrics(pred, threshold_splits={"alexnet": "test"})
    marked = cand[cand["in_sample"]]
    assert set(marked["model"]) == {"alexnet"} and set(marked["metric"]) == {"accuracy", "sensitivity", "specificity"}


def _stage2_frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = {"train": 240, "test": 120, "validation": 160}
    df = pd.DataFrame({"split": np.repeat(list(n), list(n.values()))})
    df["subject_id"] = [f"s{i}" for i in range(len(df))]
    df["x"] = rng.normal(size=len(df))
    df["label"] = (rng.random(len(df)) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    df["score"] = 1 / (1 + np.exp(-(1.5 * df["label"] - 0.75 + rng.normal(size=len(df)))))
    return df


def test_hybrid_fitted_on_the_test_split_is_in_sample_there_and_its_lrt_uses_that_split():
    df = _stage2_frame()
    fits = fit_models(df, ["x"], hybrid_split="test", method="ml")
    assert fits.fit_splits == {CNN: "test", "Logistic regression": "train", "Hybrid model": "test"}
    assert fits.clinical_nested is not fits.clinical and fits.clinical_nested.n == 120
    t = model_metrics(fits.scores, fit_splits=fits.fit_splits)
    flag = t.set_index(["model", "split", "metric"])["in_sample"]
    assert flag[("Hybrid model", "test", "auc")] and not flag[("Hybrid model", "validation", "auc")]
    assert not flag[("Logistic regression", "test", "auc")]
    assert flag[(CNN, "test", "sensitivity")] and not flag[(CNN, "test", "auc")]
    from gvisage_lib.clinical.hybrid import compare_models

    cmp = compare_models(fits, n_boot=100, seed=1)
    assert set(cmp.loc[cmp["method"] == "likelihood-ratio test", "split"]) == {"test"}


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_model_optimism_rows_and_overfitting_shows():
    df = _stage2_frame(1)
    for k in range(15):  # noise predictors: the apparent AUC is optimistic, the corrected one is not
        df[f"noise{k}"] = np.random.default_rng(100 + k).normal(size=len(df))
    fits = fit_models(df, ["x", *[f"noise{k}" for k in range(15)]], method="ml")
    t = model_optimism(df, fits, n_boot=30, seed=2)
    assert list(t["model"].unique()) == ["Logistic regression", "Hybrid model"]
    auc = t[t["statistic"] == "auc"].set_index("model")
    slope = t[t["statistic"] == "calibration_slope"].set_index("model")
    assert (auc["optimism"] > 0).all() and (auc["corrected"] < auc["apparent"]).all()
    assert (slope["apparent"].round(6) == 1).all() and (slope["corrected"] < 1).all()
    assert t["external"].notna().all() and set(t["external_split"]) == {"validation"}
    with pytest.raises(ValueError, match="external_split 'nope' has no rows"):
        model_optimism(df, fits, n_boot=30, external_split="nope")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_model_optimism_is_the_same_table_in_one_process_and_in_a_pool():
    df = _stage2_frame(3)
    fits = fit_models(df, ["x"], method="ml")
    screened = fit_models(df, ["x"], method="ml", names=("LR (screened)", "Hybrid (screened)"))
    alone = model_optimism(df, [fits, screened], n_boot=25, seed=4)
    pooled = model_optimism(df, [fits, screened], n_boot=25, seed=4, workers=2)
    pd.testing.assert_frame_equal(alone, pooled, check_exact=True)
    assert alone["model"].unique().tolist() == ["Logistic regression", "Hybrid model", "LR (screened)",
                                                "Hybrid (screened)"]
    assert (alone["n_boot"] == 25).all()
    with pytest.raises(ValueError, match="workers must be"):
        model_optimism(df, fits, n_boot=20, workers=-1)


def test_fit_predictions_note_names_the_choice():
    fp = FitPredictions(pd.DataFrame(), "test", "test")
    assert "in-sample" in fp.note and fp.threshold_split("anything") == "test"


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_optimism_replays_the_estimation_rule_on_separated_resamples():
    """A rare symptom seen only in cases separates many bootstrap samples: maximum likelihood cannot fit them, the
    "auto" rule of fit_models (Firth where separated) can, so no sample is lost to separation."""
    from gvisage_lib.clinical.optimism import optimism_bootstrap

    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=150)})
    df["y"] = (rng.random(150) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    df["rare"] = 0
    df.loc[df.index[df["y"] == 1][:6], "rare"] = 1  # 6 cases, no control
    df.loc[df.index[df["y"] == 0][:1], "rare"] = 1  # one control: the full data are not separated
    ml = optimism_bootstrap(df, "y", ["x", "rare"], n_boot=60, seed=3, method="ml")
    auto = optimism_bootstrap(df, "y", ["x", "rare"], n_boot=60, seed=3, method="auto")
    assert ml["n_failed"].iloc[0] > 10 and auto["n_failed"].iloc[0] < ml["n_failed"].iloc[0]
    assert auto["n_boot"].iloc[0] + auto["n_failed"].iloc[0] == 60
    with pytest.raises(ValueError, match="method must be 'ml', 'firth' or 'auto'"):
        optimism_bootstrap(df, "y", ["x"], n_boot=20, method="bayes")
