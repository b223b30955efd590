"""Figures of the stage-wise ROC analysis: Fig 3C (candidates), Fig 4A/4B (ROC curves with bands and operating
points), Fig 4C/4D (metric bars with CIs) and precision-recall curves.

Each function takes tidy tables from :mod:`gvisage_lib.roc.metrics` (or predictions) and returns a matplotlib Figure;
nothing is computed here that the tables do not already hold, except the curves themselves
(:func:`gvisage_lib.stats.roc_curve`, :func:`gvisage_lib.stats.pr_curve`). No figure shows a face.
:func:`plot_roc_stage`, :func:`plot_metric_bars` and :func:`plot_gvisagenet_bars` draw one Axes and accept ``ax``;
:func:`plot_candidates` and :func:`plot_pr_curves` draw one panel per stage and accept ``fig``
(:mod:`gvisage_lib.core.style`).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from gvisage_lib.roc.metrics import demo_predictions, candidate_metrics
>>> fig = plot_candidates(candidate_metrics(demo_predictions(0)))
>>> len(fig.axes)
2
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gvisage_lib.core.style import (
    FIGSIZE,
    FONT,
    METRIC_LABEL,
    MODEL_COLOUR,
    RULE_LABEL,
    RULE_MARKER,
    SPLIT_COLOUR,
    SPLIT_LABEL,
    STAGE_TITLE,
    finish,
    grid_figsize,
    model_label,
    new_axes,
    new_panels,
    pick_colour,
)
from gvisage_lib.core.validation import check_frame
from gvisage_lib.stats import pr_curve, roc_curve

__all__ = ["plot_candidates", "plot_gvisagenet_bars", "plot_metric_bars", "plot_pr_curves", "plot_roc_stage",
           "threshold_source"]


def plot_roc_stage(pred: pd.DataFrame, model: str, stage: int, bands: pd.DataFrame | None = None,
                   metrics: pd.DataFrame | None = None, splits: Sequence[str] = ("test", "validation"),
                   title: str | None = None, *, ax: Axes | None = None) -> Figure:
    """ROC curves of ``model`` in ``stage`` on each split, with bootstrap bands and the operating points.

    Parameters
    ----------
    pred : DataFrame
        predictions (``model, stage, split, label, score``).
    bands : DataFrame, optional
        :func:`gvisage_lib.roc.metrics.roc_bands` output (``split, specificity, se_low, se_high``).
    metrics : DataFrame, optional
        :func:`gvisage_lib.roc.metrics.stage_metrics` output: the AUC (with CI) goes in the legend and each rule's
        point (thresholds from the split they were chosen on) is marked on each split's curve.
    ax : matplotlib.axes.Axes, optional
        Axes to draw the curves and points into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.roc.metrics import demo_predictions
    >>> fig = plot_roc_stage(demo_predictions(0), "resnet50", 1)
    >>> fig.axes[0].get_xlabel()
    '1 - specificity'
    """
    check_frame(pred, "pred", ["model", "stage", "split", "label", "score"])
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["roc"])
    ax.plot([0, 1], [0, 1], ls=":", color="0.6", lw=1)
    for split in splits:
        d = pred[(pred["model"] == model) & (pred["stage"] == stage) & (pred["split"] == split)]
        if d.empty:
            continue
        color = SPLIT_COLOUR.get(split, None)
        roc = roc_curve(d["label"], d["score"])
        label = SPLIT_LABEL.get(split, split)
        if metrics is not None:
            a = metrics[(metrics["split"] == split) & (metrics["metric"] == "auc") & (metrics["stage"] == stage)
                        & (metrics["model"] == model)]
            if len(a):
                r = a.iloc[0]
                label += f": AUC {r['estimate']:.3f} ({r['ci_low']:.3f}-{r['ci_high']:.3f})"
        ax.step(roc["fpr"], roc["sensitivity"], where="post", color=color, lw=1.8, label=label)
        if bands is not None:
            b = bands[(bands["split"] == split)]
            if "stage" in b:
                b = b[b["stage"] == stage]
            if len(b):
                ax.fill_between(1 - b["specificity"], b["se_low"], b["se_high"], color=color, alpha=0.15, lw=0,
                                step=None)
        if metrics is not None:
            pts = metrics[(metrics["split"] == split) & (metrics["stage"] == stage) & (metrics["model"] == model)
                          & metrics["metric"].isin(["sensitivity", "specificity"]) & (metrics["rule"] != "")]
            for rule, g in pts.groupby("rule", sort=False):
                g = g.set_index("metric")
                ax.plot(1 - g.loc["specificity", "estimate"], g.loc["sensitivity", "estimate"],
                        marker=RULE_MARKER.get(str(rule), "D"), color=color, mec="black", ms=7, ls="none",
                        label=f"{RULE_LABEL.get(str(rule), rule)} point ({threshold_source(metrics)})"
                        if split == splits[0] else None)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("Sensitivity")
    ax.set_aspect("equal")
    ax.set_title(title or f"{STAGE_TITLE.get(stage, stage)}\n{model_label(model)}", fontsize=FONT.title)
    ax.legend(loc="lower right", fontsize=FONT.small, frameon=False)
    return finish(fig, own=own)


def threshold_source(tidy: pd.DataFrame) -> str:
    """Where the thresholds of ``tidy`` (:func:`gvisage_lib.roc.metrics.stage_metrics` rows) were chosen, for labels.

    A threshold is chosen on one split and carried to the others; the rows evaluated on that split are marked
    ``in_sample``. So the split of the in-sample threshold rows is where the thresholds were chosen; without any,
    they were chosen on the out-of-fold training scores (no evaluated split is the fitting split). A ``chosen_on``
    column, where present (:func:`gvisage_lib.roc.metrics.two_by_two`), wins.

    Examples
    --------
    >>> threshold_source(pd.DataFrame({"rule": ["youden"], "split": ["test"], "in_sample": [True]}))
    'threshold from the test split'
    >>> threshold_source(pd.DataFrame({"rule": ["youden"], "split": ["test"], "in_sample": [False]}))
    'threshold from out-of-fold training scores'
    """
    if "chosen_on" in tidy.columns and tidy["chosen_on"].notna().any():
        where = str(tidy["chosen_on"].dropna().iloc[0])
    else:
        rows = tidy[(tidy.get("rule", pd.Series("", index=tidy.index)).fillna("") != "")]
        flagged = rows[rows["in_sample"].astype(bool)] if "in_sample" in rows.columns else rows.iloc[0:0]
        where = str(flagged["split"].iloc[0]) if len(flagged) else "train"
    return ("threshold from out-of-fold training scores" if where == "train"
            else f"threshold from the {where} split")


def plot_metric_bars(tidy: pd.DataFrame, hue: str, ax: Axes | None = None, title: str = "",
                     metrics: Sequence[str] = ("auc", "accuracy", "sensitivity", "specificity"),
                     hue_labels: dict | None = None) -> Figure:
    """Grouped bars of ``metrics`` (x) by ``hue`` with their CIs as error bars (Fig 4C/4D, Fig 3C panels).

    ``tidy`` needs ``metric, estimate, ci_low, ci_high`` and the ``hue`` column, one row per metric x hue. A split
    or a model as ``hue`` takes its colour from :mod:`gvisage_lib.core.style`; other hues take the default cycle.

    Parameters
    ----------
    tidy : pandas.DataFrame
        The estimates and their CIs.
    hue : str
        Column whose values are the bars of each metric.
    ax : matplotlib.axes.Axes, optional
        Axes to draw the bars into (default: a new figure).
    title : str
        Title of the Axes.
    metrics : sequence of str
        Metrics on the x axis, in order.
    hue_labels : dict, optional
        Legend label of each hue value (default: the split or model display name, else the value).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> t = pd.DataFrame({"metric": ["auc", "auc"], "estimate": [0.7, 0.8], "ci_low": [0.6, 0.7],
    ...                   "ci_high": [0.8, 0.9], "split": ["test", "validation"]})
    >>> fig = plot_metric_bars(t, hue="split", metrics=["auc"])
    >>> len(fig.axes[0].patches)
    2
    """
    check_frame(tidy, "tidy", ["metric", "estimate", "ci_low", "ci_high", hue])
    hues = list(dict.fromkeys(tidy[hue]))
    dup = tidy.duplicated(["metric", hue])
    if dup.any():
        raise ValueError(f"tidy must hold one row per metric x {hue}; duplicated: "
                         f"{tidy.loc[dup, ['metric', hue]].iloc[0].tolist()}")
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["bars"])
    width = 0.8 / max(1, len(hues))
    x = np.arange(len(metrics))
    palette = {"split": SPLIT_COLOUR, "model": MODEL_COLOUR}.get(hue, {})
    for j, h in enumerate(hues):
        sub = tidy[tidy[hue] == h].set_index("metric").reindex(list(metrics))
        est = sub["estimate"].to_numpy(float)
        err = np.vstack([est - sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float) - est])
        color = pick_colour(palette, h, j)
        lab = (hue_labels or {}).get(h, SPLIT_LABEL.get(h, model_label(str(h))))
        ax.bar(x + (j - (len(hues) - 1) / 2) * width, est, width, yerr=err, capsize=3, color=color, alpha=0.85,
               label=lab, error_kw={"lw": 1})
    ax.set_xticks(x, [METRIC_LABEL.get(m, m) for m in metrics])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Estimate (95% CI)")
    ax.set_title(title, fontsize=FONT.title)
    # below the Axes: inside, a legend covers bars whatever corner it takes
    ax.legend(fontsize=FONT.small, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncol=min(len(hues), 3))
    ax.grid(axis="y", alpha=0.3)
    return finish(fig, own=own)


def plot_candidates(cand: pd.DataFrame, stages: Sequence[int] = (2, 1), *, fig: Figure | None = None) -> Figure:
    """Fig 3C: AUC, accuracy, sensitivity and specificity of each candidate with CIs, one panel per stage.

    Parameters
    ----------
    cand : pandas.DataFrame
        :func:`gvisage_lib.roc.metrics.candidate_metrics` output (one split).
    stages : sequence of int
        Stages, one panel each, left to right.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the panels (one per stage) into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.roc.metrics import demo_predictions, candidate_metrics
    >>> [ax.get_title() for ax in plot_candidates(candidate_metrics(demo_predictions(0)), stages=[1]).axes]
    ['Stage 1: midline tumour vs NC (Testing)']
    """
    check_frame(cand, "cand", ["model", "stage", "metric", "estimate", "ci_low", "ci_high"])
    own = fig is None
    fig, axes = new_panels(fig, 1, len(stages), grid_figsize("bars", 1, len(stages)))
    split = ", ".join(SPLIT_LABEL.get(s, s) for s in dict.fromkeys(cand.get("split", pd.Series(["test"]))))
    for ax, stage in zip(axes[0], stages, strict=True):
        plot_metric_bars(cand[cand["stage"] == stage], hue="model", ax=ax,
                         title=f"{STAGE_TITLE.get(stage, stage)} ({split})")
    return finish(fig, own=own)


def plot_gvisagenet_bars(tidy: pd.DataFrame, split: str, rule: str = "youden", title: str | None = None, *,
                         ax: Axes | None = None) -> Figure:
    """Fig 4C/4D: AUC, accuracy, sensitivity and specificity of GVisageNet on ``split``, stage 1 and stage 2 bars.

    ``tidy`` is :func:`gvisage_lib.roc.metrics.gvisagenet_metrics` output; proportions are those of ``rule``. With
    ``ax`` the bars are drawn into it (default: a new figure); returns the Figure.

    Examples
    --------
    >>> from gvisage_lib.roc.metrics import demo_predictions, gvisagenet_metrics
    >>> t = gvisagenet_metrics(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"})
    >>> len(plot_gvisagenet_bars(t, "test").axes[0].patches)
    8
    """
    check_frame(tidy, "tidy", ["stage", "split", "rule", "metric", "estimate", "ci_low", "ci_high"])
    d = tidy[(tidy["split"] == split) & ((tidy["metric"] == "auc") | (tidy["rule"] == rule))
             & tidy["metric"].isin(list(METRIC_LABEL))]
    if d.empty:
        raise ValueError(f"tidy holds no rows for split {split!r} and rule {rule!r}")
    labels = {s: STAGE_TITLE.get(s, str(s)) for s in d["stage"].unique()}
    return plot_metric_bars(d, hue="stage", hue_labels=labels, ax=ax,
                            title=title or f"GVisageNet, {SPLIT_LABEL.get(split, split)} ({rule}, "
                                                  f"{threshold_source(tidy)})")


def plot_pr_curves(pred: pd.DataFrame, selected: dict, splits: Sequence[str] = ("test", "validation"),
                   summary: pd.DataFrame | None = None, *, fig: Figure | None = None) -> Figure:
    """Precision-recall curves of the selected model, one panel per stage, with the prevalence (no-skill) line.

    Parameters
    ----------
    pred : pandas.DataFrame
        Predictions (``model, stage, split, label, score``).
    selected : dict
        The selected model of each stage (``{"stage1": ..., "stage2": ...}``).
    splits : sequence of str
        Splits drawn in each panel.
    summary : pandas.DataFrame, optional
        :func:`gvisage_lib.roc.metrics.pr_summary` output: the average precision goes in the legend.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the two panels (stage 1, stage 2) into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.roc.metrics import demo_predictions
    >>> fig = plot_pr_curves(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"})
    >>> [a.get_xlabel() for a in fig.axes]
    ['Recall (sensitivity)', 'Recall (sensitivity)']
    """
    check_frame(pred, "pred", ["model", "stage", "split", "label", "score"])
    own = fig is None
    fig, axes = new_panels(fig, 1, 2, grid_figsize("curve", 1, 2))
    for ax, stage in zip(axes[0], (1, 2), strict=True):
        model = selected[f"stage{stage}"]
        for split in splits:
            d = pred[(pred["model"] == model) & (pred["stage"] == stage) & (pred["split"] == split)]
            if d.empty:
                continue
            pr = pr_curve(d["label"], d["score"])
            label = SPLIT_LABEL.get(split, split)
            if summary is not None:
                s = summary[(summary["stage"] == stage) & (summary["split"] == split)]
                if len(s):
                    label += f": AP {s['average_precision'].iloc[0]:.3f}"
            color = SPLIT_COLOUR.get(split)
            ax.step(np.r_[0, pr["recall"]], np.r_[pr["precision"].iloc[0], pr["precision"]], where="pre",
                    color=color, lw=1.6, label=label)
            ax.axhline(d["label"].mean(), color=color, ls=":", lw=1)
        ax.set_xlim(0, 1.01)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("Recall (sensitivity)")
        ax.set_ylabel("Precision (PPV)")
        ax.set_title(f"{STAGE_TITLE[stage]}\n{model_label(model)} (dotted: prevalence)", fontsize=FONT.title)
        ax.legend(fontsize=FONT.small, frameon=False, loc="lower left")
    return finish(fig, own=own)
