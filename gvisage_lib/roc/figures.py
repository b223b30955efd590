"""Figures of the stage-wise ROC analysis: Fig 3C (candidates), Fig 4A/4B (ROC curves with bands and operating
points), Fig 4C/4D (metric bars with CIs) and precision-recall curves.

Each function takes tidy tables from :mod:`gvisage_lib.roc.metrics` (or predictions) and returns a matplotlib Figure;
nothing is computed here that the tables do not already hold, except the curves themselves
(:func:`gvisage_lib.stats.roc_curve`, :func:`gvisage_lib.stats.pr_curve`). No figure shows a face.

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

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gvisage_lib.stats import pr_curve, roc_curve

__all__ = ["plot_roc_stage", "plot_metric_bars", "plot_candidates", "plot_gvisagenet_bars", "plot_pr_curves"]

SPLIT_LABEL = {"train": "Training", "test": "Testing", "validation": "Independent validation"}
STAGE_TITLE = {1: "Stage 1: midline tumour vs NC", 2: "Stage 2: iGCT vs other midline tumour"}
MODEL_LABEL = {"alexnet": "AlexNet", "resnet50": "ResNet-50", "inception_v3": "Inception-v3"}
METRIC_LABEL = {"auc": "AUC", "accuracy": "Accuracy", "sensitivity": "Sensitivity", "specificity": "Specificity"}
SPLIT_COLOR = {"test": "#1f77b4", "validation": "#d62728", "train": "#7f7f7f"}
RULE_MARKER = {"youden": "o", "max_sensitivity": "^", "max_specificity": "s"}
RULE_LABEL = {"youden": "Youden", "max_sensitivity": "max sensitivity", "max_specificity": "max specificity"}


def _need(df: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")


def plot_roc_stage(pred: pd.DataFrame, model: str, stage: int, bands: pd.DataFrame | None = None,
                   metrics: pd.DataFrame | None = None, splits: Sequence[str] = ("test", "validation"),
                   title: str | None = None) -> Figure:
    """ROC curves of ``model`` in ``stage`` on each split, with bootstrap bands and the operating points.

    Parameters
    ----------
    pred : DataFrame
        predictions (``model, stage, split, label, score``).
    bands : DataFrame, optional
        :func:`gvisage_lib.roc.metrics.roc_bands` output (``split, specificity, se_low, se_high``).
    metrics : DataFrame, optional
        :func:`gvisage_lib.roc.metrics.stage_metrics` output: the AUC (with CI) goes in the legend and each rule's
        point (thresholds chosen on train) is marked on each split's curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.roc.metrics import demo_predictions
    >>> fig = plot_roc_stage(demo_predictions(0), "resnet50", 1)
    >>> fig.axes[0].get_xlabel()
    '1 - specificity'
    """
    _need(pred, ["model", "stage", "split", "label", "score"], "pred")
    fig, ax = plt.subplots(figsize=(5.2, 5.0))
    ax.plot([0, 1], [0, 1], ls=":", color="0.6", lw=1)
    for split in splits:
        d = pred[(pred["model"] == model) & (pred["stage"] == stage) & (pred["split"] == split)]
        if d.empty:
            continue
        color = SPLIT_COLOR.get(split, None)
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
                        label=f"{RULE_LABEL.get(str(rule), rule)} point (train threshold)" if split == splits[0]
                        else None)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("Sensitivity")
    ax.set_aspect("equal")
    ax.set_title(title or f"{STAGE_TITLE.get(stage, stage)}\n{MODEL_LABEL.get(model, model)}", fontsize=10)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def plot_metric_bars(tidy: pd.DataFrame, hue: str, ax: plt.Axes | None = None, title: str = "",
                     metrics: Sequence[str] = ("auc", "accuracy", "sensitivity", "specificity"),
                     hue_labels: dict | None = None) -> Figure:
    """Grouped bars of ``metrics`` (x) by ``hue`` with their CIs as error bars (Fig 4C/4D, Fig 3C panels).

    ``tidy`` needs ``metric, estimate, ci_low, ci_high`` and the ``hue`` column, one row per metric x hue.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = pd.DataFrame({"metric": ["auc", "auc"], "estimate": [0.7, 0.8], "ci_low": [0.6, 0.7],
    ...                   "ci_high": [0.8, 0.9], "split": ["test", "validation"]})
    >>> fig = plot_metric_bars(t, hue="split", metrics=["auc"])
    >>> len(fig.axes[0].patches)
    2
    """
    _need(tidy, ["metric", "estimate", "ci_low", "ci_high", hue], "tidy")
    hues = list(dict.fromkeys(tidy[hue]))
    dup = tidy.duplicated(["metric", hue])
    if dup.any():
        raise ValueError(f"tidy must hold one row per metric x {hue}; duplicated: "
                         f"{tidy.loc[dup, ['metric', hue]].iloc[0].tolist()}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 3.6))
    else:
        fig = ax.figure
    width = 0.8 / max(1, len(hues))
    x = np.arange(len(metrics))
    cmap = plt.get_cmap("tab10")
    for j, h in enumerate(hues):
        sub = tidy[tidy[hue] == h].set_index("metric").reindex(list(metrics))
        est = sub["estimate"].to_numpy(float)
        err = np.vstack([est - sub["ci_low"].to_numpy(float), sub["ci_high"].to_numpy(float) - est])
        color = SPLIT_COLOR.get(h, cmap(j)) if hue == "split" else cmap(j)
        lab = (hue_labels or {}).get(h, SPLIT_LABEL.get(h, MODEL_LABEL.get(h, str(h))))
        ax.bar(x + (j - (len(hues) - 1) / 2) * width, est, width, yerr=err, capsize=3, color=color, alpha=0.85,
               label=lab, error_kw={"lw": 1})
    ax.set_xticks(x, [METRIC_LABEL.get(m, m) for m in metrics])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Estimate (95% CI)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_candidates(cand: pd.DataFrame, stages: Sequence[int] = (2, 1)) -> Figure:
    """Fig 3C: AUC, accuracy, sensitivity and specificity of each candidate with CIs, one panel per stage.

    ``cand`` is :func:`gvisage_lib.roc.metrics.candidate_metrics` output (one split).
    """
    _need(cand, ["model", "stage", "metric", "estimate", "ci_low", "ci_high"], "cand")
    fig, axes = plt.subplots(1, len(stages), figsize=(6.0 * len(stages), 3.8), squeeze=False)
    split = ", ".join(SPLIT_LABEL.get(s, s) for s in dict.fromkeys(cand.get("split", pd.Series(["test"]))))
    for ax, stage in zip(axes[0], stages, strict=True):
        plot_metric_bars(cand[cand["stage"] == stage], hue="model", ax=ax,
                         title=f"{STAGE_TITLE.get(stage, stage)} ({split})")
    fig.tight_layout()
    return fig


def plot_gvisagenet_bars(tidy: pd.DataFrame, split: str, rule: str = "youden", title: str | None = None) -> Figure:
    """Fig 4C/4D: AUC, accuracy, sensitivity and specificity of GVisageNet on ``split``, stage 1 and stage 2 bars.

    ``tidy`` is :func:`gvisage_lib.roc.metrics.gvisagenet_metrics` output; proportions are those of ``rule``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.roc.metrics import demo_predictions, gvisagenet_metrics
    >>> t = gvisagenet_metrics(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"})
    >>> len(plot_gvisagenet_bars(t, "test").axes[0].patches)
    8
    """
    _need(tidy, ["stage", "split", "rule", "metric", "estimate", "ci_low", "ci_high"], "tidy")
    d = tidy[(tidy["split"] == split) & ((tidy["metric"] == "auc") | (tidy["rule"] == rule))
             & tidy["metric"].isin(list(METRIC_LABEL))]
    if d.empty:
        raise ValueError(f"tidy holds no rows for split {split!r} and rule {rule!r}")
    labels = {s: STAGE_TITLE.get(s, str(s)) for s in d["stage"].unique()}
    fig = plot_metric_bars(d, hue="stage", hue_labels=labels,
                           title=title or f"GVisageNet, {SPLIT_LABEL.get(split, split)} ({rule} threshold from train)")
    return fig


def plot_pr_curves(pred: pd.DataFrame, selected: dict, splits: Sequence[str] = ("test", "validation"),
                   summary: pd.DataFrame | None = None) -> Figure:
    """Precision-recall curves of the selected model, one panel per stage, with the prevalence (no-skill) line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.roc.metrics import demo_predictions
    >>> fig = plot_pr_curves(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"})
    >>> [a.get_xlabel() for a in fig.axes]
    ['Recall (sensitivity)', 'Recall (sensitivity)']
    """
    _need(pred, ["model", "stage", "split", "label", "score"], "pred")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for ax, stage in zip(axes, (1, 2), strict=True):
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
            color = SPLIT_COLOR.get(split)
            ax.step(np.r_[0, pr["recall"]], np.r_[pr["precision"].iloc[0], pr["precision"]], where="pre",
                    color=color, lw=1.6, label=label)
            ax.axhline(d["label"].mean(), color=color, ls=":", lw=1)
        ax.set_xlim(0, 1.01)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("Recall (sensitivity)")
        ax.set_ylabel("Precision (PPV)")
        ax.set_title(f"{STAGE_TITLE[stage]}\n{MODEL_LABEL.get(model, model)} (dotted: prevalence)", fontsize=10)
        ax.legend(fontsize=7, frameon=False, loc="lower left")
    fig.tight_layout()
    return fig
