"""A cohort too small for the clinical and hybrid models gets a valid skipped bundle: every consumer notebook 05
feeds it to (VIF, metrics, comparisons, optimism, calibration, decision curves, their tables and figures) returns
the table's skipped form with the reason, or a figure that says it, instead of an error."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical import (
    SKIPPED_COLUMNS,
    HybridFits,
    auc_view,
    calibration_table,
    compare_models,
    decision_curves,
    fit_models_or_skip,
    model_metrics,
    model_optimism,
    models_vif,
    plot_calibration,
    plot_decision_curve,
    plot_models_roc,
    screened_model_metrics,
    table2_with_paper,
    table_view,
)

matplotlib.use("Agg")


@pytest.fixture()
def tiny_frame() -> pd.DataFrame:
    """Six stage-2 subjects over three splits: two of each class on the training split, fewer than the
    coefficients of a two-variable clinical model."""
    return pd.DataFrame({"subject_id": [f"s{i}" for i in range(8)],
                         "split": ["train"] * 4 + ["test"] * 2 + ["validation"] * 2,
                         "label": [0, 1, 0, 1, 0, 1, 0, 1], "score": [.2, .8, .3, .6, .4, .7, .1, .9],
                         "x": [1.0, 2.0, 1.5, 2.5, 1.2, 2.2, 0.9, 2.8], "z": [0, 1, 1, 0, 0, 1, 1, 1]})


def _is_skipped(table: pd.DataFrame, reason: str) -> bool:
    return list(table.columns) == list(SKIPPED_COLUMNS) and table.reason.tolist() == [reason] and bool(table.skipped[0])


def test_tiny_frame_gives_the_skipped_bundle_with_its_reason(tiny_frame: pd.DataFrame) -> None:
    fits, reason = fit_models_or_skip(tiny_frame, ["x", "z"])
    assert isinstance(fits, HybridFits) and fits.is_skipped and fits.skip_reason == reason
    assert reason == "split 'train' has 2 subject(s) of the rarer class, fewer than the 3 coefficients of the " \
                     "clinical model"
    assert fits.estimation_note == f"The clinical and hybrid models are skipped: {reason}."
    assert fits.method == "skipped" and fits.fit_splits["Logistic regression"] == "train"
    assert len(fits.scores) == 0 and list(fits.scores.columns) == ["subject_id", "split", "model", "label", "score"]


def test_every_table_of_a_skipped_bundle_says_why(tiny_frame: pd.DataFrame) -> None:
    fits, reason = fit_models_or_skip(tiny_frame, ["x", "z"], hybrid_split="test")
    t2 = model_metrics(fits.scores, fit_splits=fits.fit_splits)
    tables = {
        "coefficients": fits.coefficient_table(),
        "imputed": fits.imputation_table(tiny_frame),
        "scores": fits.score_table(),
        "vif": models_vif(tiny_frame, fits),
        "table2": t2,
        "table2_vs_paper": table2_with_paper(t2),
        "comparisons": compare_models(fits, n_boot=100),
        "screened": screened_model_metrics(fits, fits),
        "optimism": model_optimism(tiny_frame, [fits, fits], n_boot=5),
        "calibration": calibration_table(fits.scores[fits.scores.split != "train"]),
        "decision_curves": decision_curves(fits.scores, split="validation"),
    }
    bad = {k: t.columns.tolist() for k, t in tables.items() if not _is_skipped(t, reason)}
    assert not bad, bad
    # the display forms leave a skipped table as it is
    assert _is_skipped(auc_view(t2), reason)
    assert _is_skipped(table_view(tables["optimism"], index="model", columns="statistic", values="apparent"), reason)


def test_every_figure_of_a_skipped_bundle_says_why(tiny_frame: pd.DataFrame) -> None:
    fits, reason = fit_models_or_skip(tiny_frame, ["x", "tsh"])
    assert "tsh" in reason
    figures = [plot_models_roc(fits.scores, "test"), plot_calibration(fits.scores, split="validation"),
               plot_decision_curve(decision_curves(fits.scores), title="Decision curves")]
    for fig in figures:
        text = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
        assert reason in text and "skipped" in text


def test_a_fitted_bundle_is_not_skipped_and_its_tables_are_real() -> None:
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"subject_id": range(n), "split": ["train"] * 200 + ["validation"] * 100,
                       "label": rng.integers(0, 2, n)})
    df["x"] = df.label + rng.normal(size=n)
    df["score"] = 1 / (1 + np.exp(-(df.label + rng.normal(size=n))))
    fits, reason = fit_models_or_skip(df, ["x"])
    assert reason == "" and not fits.is_skipped and fits.estimation_note.startswith("estimation: ml")
    assert fits.score_table() is fits.scores
    assert set(models_vif(df, fits).model) == {"Logistic regression", "Hybrid model"}
    assert "auc" in set(model_metrics(fits.scores, fit_splits=fits.fit_splits, eval_splits=["validation"]).metric)
    screened, why = fit_models_or_skip(df, [])
    assert why == "no clinical variable was given (the screening selected none)"
    assert _is_skipped(screened_model_metrics(fits, screened), why)


def test_skipped_bundle_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        HybridFits.skipped("", ["x"])
