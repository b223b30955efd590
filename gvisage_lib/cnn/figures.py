"""Figures of the training step: learning curves of every candidate and stage.

:func:`plot_learning_curves` draws a grid of panels (one row per stage) and accepts ``fig``
(:mod:`gvisage_lib.core.style`); it returns the Figure.

Examples
--------
>>> import pandas as pd, matplotlib
>>> matplotlib.use("Agg")
>>> h = pd.DataFrame({"model": "resnet50", "stage": [1, 1, 1, 1], "epoch": [1, 1, 2, 2],
...                   "split": ["train", "test"] * 2, "loss": [.7, .6, .5, .55], "auc": [.6, .7, .8, .75]})
>>> fig = plot_learning_curves(h)
>>> [ax.get_title() for ax in fig.axes]
['Stage 1: loss', 'Stage 1: AUC']
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from gvisage_lib.core import schema
from gvisage_lib.core.style import FONT, MODEL_COLOUR, finish, grid_figsize, model_label, new_panels, pick_colour
from gvisage_lib.core.validation import check_frame

__all__ = ["plot_learning_curves"]


def plot_learning_curves(history: pd.DataFrame, *, fig: Figure | None = None) -> Figure:
    """Loss and AUC per epoch (train: solid line, filled markers; test: dashed, open) for every candidate; one row
    per stage.

    Parameters
    ----------
    history : pandas.DataFrame
        Long format with ``model, stage, epoch, split, loss, auc`` (``training.HISTORY_COLUMNS``). The train values
        are running estimates over each epoch's training pass; the test values come from a clean pass after it,
        in the training's precision (:mod:`gvisage_lib.cnn.training`).
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the panels (one row per stage: loss, AUC) into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> h = pd.DataFrame({"model": ["alexnet", "resnet50"] * 2, "stage": 2, "epoch": 1,
    ...                   "split": ["train", "train", "test", "test"], "loss": .6, "auc": .7})
    >>> fig = plot_learning_curves(h, fig=plt.figure(figsize=(8, 3)))
    >>> fig.axes[1].get_legend_handles_labels()[1]
    ['AlexNet (train)', 'ResNet-50 (train)', 'AlexNet (test)', 'ResNet-50 (test)']
    """
    check_frame(history, "history", ("model", "stage", "epoch", "split", "loss", "auc"))
    if history.empty:
        raise ValueError("history is empty")
    stages = sorted(history["stage"].unique())
    own = fig is None
    fig, axes = new_panels(fig, len(stages), 2, grid_figsize("history", len(stages), 2))
    models = list(dict.fromkeys(history["model"]))
    colours = {m: pick_colour(MODEL_COLOUR, m, i) for i, m in enumerate(models)}
    for r, stage in enumerate(stages):
        h = history[history["stage"] == stage]
        for c, (metric, label) in enumerate((("loss", "loss"), ("auc", "AUC"))):
            ax = axes[r, c]
            for (model, split), g in h.groupby(["model", "split"], sort=False):
                g = g.sort_values("epoch")
                train = split == "train"  # test: dashed line and open markers, told apart in the legend too
                ax.plot(g["epoch"], g[metric], marker="o", color=colours[model], linestyle="-" if train else "--",
                        markerfacecolor=colours[model] if train else "white", label=f"{model_label(model)} ({split})")
            ax.set_title(f"Stage {stage}: {label}")
            ax.set_xlabel("epoch")
            ax.set_ylabel(label if metric == "loss" else f"{label} ({schema.STAGES[stage]['name']})",
                          fontsize=FONT.note)
            if metric == "auc":
                ax.axhline(0.5, color="grey", lw=0.8, ls=":")
                ax.set_ylim(0.3, 1.02)
            ax.xaxis.get_major_locator().set_params(integer=True)
        # right of the AUC panel, outside the data: inside, the legend covered the curves
        # a long sample, so that the dashes of the test lines show beside the marker
        axes[r, 1].legend(fontsize=FONT.small, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
                          handlelength=3.5)
    fig.suptitle("Learning curves (train: running estimate over the epoch; test: the 25% testing split)",
                 fontsize=FONT.title)
    return finish(fig, own=own)
