"""Every plot function of every stage's ``figures.py`` draws on small synthetic inputs and returns its Figure.

A function that draws one Axes accepts ``ax`` and then draws into the caller's Axes and returns that Axes' figure; a
multi-panel function accepts ``fig`` and then adds its panels to the caller's (empty) figure and returns it
(:mod:`gvisage_lib.core.style`). The inputs come from the helpers the other tests use (the tabular twin, the rendered
twin of ``test_render``, ``demo_predictions``, the score frames of ``test_hybrid`` and ``test_strata``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gvisage_lib.clinical import calibration, hybrid  # noqa: E402
from gvisage_lib.core import style  # noqa: E402
from gvisage_lib.core.paths import RunPaths  # noqa: E402
from gvisage_lib.endocrine import correlation, strata  # noqa: E402
from gvisage_lib.paper import index  # noqa: E402
from gvisage_lib.roc import metrics as stage_roc  # noqa: E402
from gvisage_lib.twin import generate_tabular  # noqa: E402
from gvisage_lib.twin.render import render_cohort  # noqa: E402

from support.cohorts import make_truth  # noqa: E402
from support.frames import stage2_frame, strata_frame  # noqa: E402

STAGES = ("cohort", "faces", "cnn", "roc", "clinical", "endocrine", "simulation")
SEL = {"stage1": "resnet50", "stage2": "inception_v3"}


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """Small inputs of every figure, built once."""
    twin = tmp_path_factory.mktemp("twin")
    manifest, truth = make_truth(6, seed=1)
    m, t = render_cohort(manifest, truth, twin, seed=5, photo_size=(160, 200), workers=1, progress=False)
    m.to_csv(twin / "manifest.csv", index=False)
    t.to_csv(twin / "truth.csv", index=False)
    np.save(twin / "s.npy", np.zeros((12, 16, 16), np.uint8))
    pred = stage_roc.demo_predictions(seed=11, scale=0.3)
    tidy = stage_roc.gvisagenet_metrics(pred, SEL)
    scores = hybrid.fit_models(stage2_frame(n_train=200, n_test=80, n_val=80), ["tsh"]).scores
    rng = np.random.default_rng(0)
    endo = pd.DataFrame(rng.normal(size=(40, 3)), columns=["score", "tsh", "gh"])
    history = pd.DataFrame({"model": np.repeat(["alexnet", "resnet50"], 8), "stage": np.tile(np.repeat([1, 2], 4), 2),
                            "epoch": np.tile([1, 1, 2, 2], 4), "split": ["train", "test"] * 8,
                            "loss": np.linspace(.7, .3, 16), "auc": np.linspace(.5, .9, 16)})
    return SimpleNamespace(
        cohort=generate_tabular(seed=1, scale=0.1)[0], twin=twin / "manifest.csv",
        faces=pd.DataFrame({"subject_id": ["T000"], "included": [True], "stack_path": ["s.npy"]}),
        run=RunPaths(twin), qc=pd.DataFrame({"reason": ["passed", "no_face"], "n_photos": [20, 3]}), history=history,
        pred=pred, tidy=tidy, bands=stage_roc.roc_bands(pred, "resnet50", 1, n_boot=50),
        cand=stage_roc.candidate_metrics(pred), pr=stage_roc.pr_summary(pred, SEL), scores=scores,
        curves=calibration.decision_curves(scores, split="validation"),
        corr=correlation.correlation_matrix(endo, indicators=["tsh", "gh"]),
        table3=strata.strata_metrics(strata_frame(n=40), 0.4),
        stard=pd.DataFrame([{"stage": 2, "split": "test", "model": "resnet50", "rule": "youden", "threshold": 0.5,
                             "chosen_on": "train", "eligible": 9, "eligible_positive": 5, "eligible_negative": 4,
                             "excluded_qc": 1, "excluded_no_face": 1, "not_scored": 0, "index_test": 8,
                             "test_positive": 4, "test_negative": 4, "tp": 3, "fp": 1, "fn": 1, "tn": 3,
                             "reference_positive": 4, "reference_negative": 4, "photos_failed_qc_kept": 2}]),
        sim_table=pd.DataFrame({"test": ["DeLong", "LRT", "DeLong"], "scenario": ["null", "null", "effect"],
                                "nominal": 0.05, "rejection_rate": [0.01, 0.05, 0.6], "ci_low": [0.0, 0.03, 0.5],
                                "ci_high": [0.03, 0.07, 0.7], "n_replicates": 300}),
        sim_p=pd.DataFrame({"test": np.repeat(["DeLong", "LRT"], 50), "p_value": rng.uniform(size=100)}))


#: "stage.function" -> (how it takes a caller's drawing surface: "ax" or "fig", its arguments from the data).
CASES: dict[str, tuple[str, Callable[[SimpleNamespace], tuple[tuple, dict[str, Any]]]]] = {
    "cohort.plot_study_flow": ("ax", lambda d: ((d.cohort,), {})),
    "cohort.plot_site_by_institution": ("fig", lambda d: ((d.cohort,), {})),
    "cohort.plot_other_tumour_types": ("ax", lambda d: ((d.cohort,), {})),
    "cohort.plot_stard_flow": ("fig", lambda d: ((d.stard,), {})),
    "faces.phenotype_montage": ("fig", lambda d: ((d.twin,), {"n_per_group": 1})),
    "faces.crops_montage": ("fig", lambda d: ((d.twin, d.faces, d.run, ["T000"]), {})),
    "faces.plot_qc_reasons": ("ax", lambda d: ((d.qc,), {})),
    "cnn.plot_learning_curves": ("fig", lambda d: ((d.history,), {})),
    "roc.plot_roc_stage": ("ax", lambda d: ((d.pred, "resnet50", 1), {"bands": d.bands, "metrics": d.tidy})),
    "roc.plot_metric_bars": ("ax", lambda d: ((d.tidy[(d.tidy.split == "test") & (d.tidy.metric == "auc")],),
                                              {"hue": "stage", "metrics": ["auc"]})),
    "roc.plot_candidates": ("fig", lambda d: ((d.cand,), {})),
    "roc.plot_gvisagenet_bars": ("ax", lambda d: ((d.tidy, "test"), {})),
    "roc.plot_pr_curves": ("fig", lambda d: ((d.pred, SEL), {"summary": d.pr})),
    "clinical.plot_models_roc": ("ax", lambda d: ((d.scores,), {"split": "test"})),
    "clinical.plot_calibration": ("ax", lambda d: ((d.scores,), {"split": "validation", "n_bins": 4})),
    "clinical.plot_decision_curve": ("ax", lambda d: ((d.curves,), {})),
    "endocrine.plot_correlation_heatmap": ("ax", lambda d: ((d.corr.r, d.corr.p_bh), {})),
    "endocrine.plot_strata": ("ax", lambda d: ((d.table3,), {})),
    "simulation.plot_rejection_rates": ("ax", lambda d: ((d.sim_table,), {"title": "null"})),
    "simulation.plot_null_pvalues": ("ax", lambda d: ((d.sim_p,), {})),
    "simulation.plot_type1": ("fig", lambda d: ((d.sim_table, d.sim_p), {})),
}


def _function(case: str) -> Callable[..., Figure]:
    stage, name = case.split(".")
    return getattr(importlib.import_module(f"gvisage_lib.{stage}.figures"), name)


def _drawn(fig: Figure) -> bool:
    return any(ax.has_data() or ax.texts for ax in fig.axes)


def test_every_plot_function_is_tested() -> None:
    found = set()
    for stage in STAGES:
        module = importlib.import_module(f"gvisage_lib.{stage}.figures")
        found |= {f"{stage}.{n}" for n in module.__all__ if n.startswith("plot_") or n.endswith("_montage")}
    assert found == set(CASES)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("case", sorted(CASES))
def test_draws_a_new_figure(case: str, data: SimpleNamespace) -> None:
    args, kwargs = CASES[case][1](data)
    fig = _function(case)(*args, **kwargs)
    assert isinstance(fig, Figure) and _drawn(fig)
    plt.close(fig)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("case", sorted(CASES))
def test_draws_into_the_callers_axes_or_figure(case: str, data: SimpleNamespace) -> None:
    surface, make_args = CASES[case]
    args, kwargs = make_args(data)
    if surface == "ax":
        given, ax = plt.subplots(figsize=(3, 3))
        assert _function(case)(*args, ax=ax, **kwargs) is ax.figure is given
        assert ax.has_data() or ax.texts
        assert given.get_size_inches().tolist() == [3.0, 3.0]  # the caller's size is kept
    else:
        given = plt.figure(figsize=(3, 3))
        assert _function(case)(*args, fig=given, **kwargs) is given
        assert _drawn(given)
    plt.close(given)


def test_single_axes_functions_reject_what_is_not_an_axes(data: SimpleNamespace) -> None:
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None, got Figure"):
        _function("faces.plot_qc_reasons")(data.qc, ax=plt.figure())


def test_multi_panel_functions_want_an_empty_figure(data: SimpleNamespace) -> None:
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="fig must be an empty figure, got one with 1 Axes"):
        _function("cnn.plot_learning_curves")(data.history, fig=fig)


def test_panels_compose_into_one_figure(data: SimpleNamespace) -> None:
    """A single-axes figure and a multi-panel figure drawn side by side in one figure."""
    fig = plt.figure(figsize=(12, 4))
    left, right = fig.subfigures(1, 2)
    ax = left.subplots()
    _function("endocrine.plot_strata")(data.table3, ax=ax)
    assert _function("roc.plot_candidates")(data.cand, fig=right) is right
    assert len(fig.axes) == 3


def test_shared_style_is_used_across_stages(data: SimpleNamespace) -> None:
    fig = _function("roc.plot_roc_stage")(data.pred, "resnet50", 1)
    colours = {line.get_label().split(":")[0]: line.get_color() for line in fig.axes[0].get_lines()}
    assert colours[style.SPLIT_LABEL["validation"]] == style.SPLIT_COLOUR["validation"]
    fig = _function("clinical.plot_models_roc")(data.scores.query("model != 'GVisageNet'"), "test")
    colours = {line.get_label().split(" (")[0]: line.get_color() for line in fig.axes[0].get_lines()}
    assert colours["Hybrid model"] == style.MODEL_COLOUR["Hybrid model"]  # not the position's colour


def test_index_names_existing_figure_functions() -> None:
    figures = index.outputs().query("kind == 'figure'")
    for path in figures["function"]:
        module, name = path.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), name)), path


def test_style_helpers_validate() -> None:
    with pytest.raises(ValueError, match="panel must be one of"):
        style.grid_figsize("poster", 1, 1)
    with pytest.raises(ValueError, match="ncols must be a positive integer, got 0"):
        style.grid_figsize("square", 1, 0)
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure or None, got str"):
        style.new_panels("figure")  # type: ignore[arg-type]
