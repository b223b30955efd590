"""Figures of the training step: learning curves of every candidate and stage.

Examples
--------
>>> import pandas as pd
>>> h = pd.DataFrame({"model": "resnet50", "stage": [1, 1, 1, 1], "epoch": [1, 1, 2, 2],
...                   "split": ["train", "test"] * 2, "loss": [.7, .6, .5, .55], "auc": [.6, .7, .8, .75]})
>>> fig = plot_learning_curves(h)
>>> [ax.get_title() for ax in fig.axes]
['Stage 1: loss', 'Stage 1: AUC']
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: notebooks and CI render to files

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gvisage_lib.core import schema  # noqa: E402

__all__ = ["plot_learning_curves"]

_LABELS = {"alexnet": "AlexNet", "resnet50": "ResNet-50", "inception_v3": "Inception-v3"}


def plot_learning_curves(history: pd.DataFrame) -> Figure:
    """Loss and AUC per epoch (train solid, test dashed) for every candidate; one row per stage.

    Parameters
    ----------
    history : pandas.DataFrame
        Long format with ``model, stage, epoch, split, loss, auc`` (``training.HISTORY_COLUMNS``). The train values
        are running estimates over each epoch's training pass; the test values come from a clean pass after it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    need = {"model", "stage", "epoch", "split", "loss", "auc"}
    missing = need - set(history.columns)
    if missing:
        raise ValueError(f"history lacks column(s) {sorted(missing)}")
    if history.empty:
        raise ValueError("history is empty")
    stages = sorted(history["stage"].unique())
    fig, axes = plt.subplots(len(stages), 2, figsize=(10, 3.4 * len(stages)), squeeze=False)
    models = list(dict.fromkeys(history["model"]))
    colours = dict(zip(models, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for r, stage in enumerate(stages):
        h = history[history["stage"] == stage]
        for c, (metric, label) in enumerate((("loss", "loss"), ("auc", "AUC"))):
            ax = axes[r, c]
            for (model, split), g in h.groupby(["model", "split"], sort=False):
                g = g.sort_values("epoch")
                ax.plot(g["epoch"], g[metric], marker="o", color=colours[model],
                        linestyle="-" if split == "train" else "--",
                        label=f"{_LABELS.get(model, model)} ({split})")
            ax.set_title(f"Stage {stage}: {label}")
            ax.set_xlabel("epoch")
            ax.set_ylabel(label if metric == "loss" else f"{label} ({schema.STAGES[stage]['name']})", fontsize=8)
            if metric == "auc":
                ax.axhline(0.5, color="grey", lw=0.8, ls=":")
                ax.set_ylim(0.3, 1.02)
            ax.xaxis.get_major_locator().set_params(integer=True)
        axes[r, 1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Learning curves (train: running estimate over the epoch; test: the 25% testing split)",
                 fontsize=10)
    fig.tight_layout()
    return fig
