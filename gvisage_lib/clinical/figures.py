"""Figures of the stage-2 models (notebook 05): their ROC curves, calibration curves and decision curves.

Each function takes the long score table of :func:`gvisage_lib.clinical.hybrid.fit_models` (``split, model, label,
score``) or the decision curves of :func:`gvisage_lib.clinical.calibration.decision_curves`, draws one Axes, accepts
``ax`` and returns the Figure (:mod:`gvisage_lib.core.style`). The models keep the colours of
:data:`gvisage_lib.core.style.MODEL_COLOUR`; another model takes the default cycle's colour of its position.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> sc = pd.DataFrame({"split": "test", "model": "GVisageNet", "label": [0, 1, 0, 1], "score": [.1, .9, .6, .4]})
>>> plot_models_roc(sc, "test").axes[0].get_title()
'Stage 2, test'
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gvisage_lib.clinical.calibration import calibration_curve, calibration_summary
from gvisage_lib.clinical.hybrid import MODEL_ORDER
from gvisage_lib.clinical.skipped import skip_reason, skipped_figure
from gvisage_lib.core.style import (
    FIGSIZE,
    FONT,
    MODEL_COLOUR,
    SPLIT_LABEL,
    STRATEGY_STYLE,
    finish,
    new_axes,
    pick_colour,
)
from gvisage_lib.core.validation import check_frame
from gvisage_lib.stats import roc_auc_delong, roc_curve

__all__ = ["plot_calibration", "plot_decision_curve", "plot_models_roc"]


def _split_scores(scores: pd.DataFrame, split: str) -> pd.DataFrame:
    check_frame(scores, "scores", ("split", "model", "label", "score"))
    sub = scores[scores["split"] == split]
    if sub.empty:
        raise ValueError(f"no scores of split {split!r}; splits present: {sorted(scores['split'].unique())}")
    return sub


def plot_models_roc(scores: pd.DataFrame, split: str = "validation", *, ax: Axes | None = None) -> Figure:
    """ROC curves of each model on ``split`` (one panel), AUC in the legend.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long score table (``split, model, label, score``); the paper's three models come first, in Table 2's order.
    split : str
        Split to draw.
    ax : matplotlib.axes.Axes, optional
        Axes to draw the ROC curves into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> sc = pd.DataFrame({"split": "validation", "model": "m", "label": [0, 1, 0, 1], "score": [.1, .9, .6, .4]})
    >>> plot_models_roc(sc).axes[0].get_legend_handles_labels()[1]
    ['m (AUC 0.750)']
    """
    if reason := skip_reason(scores):
        return skipped_figure(reason, f"Stage 2, {split}")
    sub = _split_scores(scores, split)
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["curve"])
    models = [m for m in MODEL_ORDER if m in set(sub["model"])] + sorted(set(sub["model"]) - set(MODEL_ORDER))
    for i, m in enumerate(models):
        g = sub[sub["model"] == m]
        y, s = g["label"].to_numpy(int), g["score"].to_numpy(float)
        roc = roc_curve(y, s)
        ax.plot(roc["fpr"], roc["sensitivity"], color=pick_colour(MODEL_COLOUR, m, i),
                label=f"{m} (AUC {roc_auc_delong(y, s).auc:.3f})")
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls="--")
    ax.set(xlabel="1 - specificity", ylabel="Sensitivity", title=f"Stage 2, {split}", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="lower right", fontsize=FONT.note)
    return finish(fig, own=own)


def plot_calibration(scores: pd.DataFrame, *, split: str = "validation", n_bins: int = 10,
                     ax: Axes | None = None) -> Figure:
    """Calibration curves (deciles of predicted risk, exact CIs) of every model on ``split``.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long score table (``split, model, label, score``), models drawn in order of appearance.
    split : str
        Split to draw.
    n_bins : int
        Groups of predicted risk (:func:`gvisage_lib.clinical.calibration.calibration_curve`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw the calibration curves into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> sc = pd.DataFrame({"model": "m", "split": "validation", "label": [0, 1] * 20,
    ...                    "score": np.linspace(.1, .9, 40)})
    >>> plot_calibration(sc, n_bins=4).axes[0].get_xlabel()
    'Predicted probability'
    """
    if reason := skip_reason(scores):
        return skipped_figure(reason, f"Calibration, {SPLIT_LABEL.get(split, split).lower()} split")
    sub = _split_scores(scores, split)
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["curve"])
    for i, (m, g) in enumerate(sub.groupby("model", sort=False, observed=True)):
        cc = calibration_curve(g["label"], g["score"], n_bins=n_bins)
        s = calibration_summary(g["label"], g["score"])
        ax.errorbar(cc["mean_predicted"], cc["observed"],
                    yerr=[cc["observed"] - cc["ci_low"], cc["ci_high"] - cc["observed"]], marker="o", ms=3,
                    capsize=2, lw=1, color=pick_colour(MODEL_COLOUR, m, i),
                    label=f"{m} (slope {s.slope:.2f}, intercept {s.intercept:.2f}, Brier {s.brier:.3f})")
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=0.8)
    # margins round [0, 1]: an interval reaching 0 or 1 shows its cap instead of being cut at the frame
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.03, 1.03), xlabel="Predicted probability", ylabel="Observed proportion",
           title=f"Calibration, {SPLIT_LABEL.get(split, split).lower()} split")
    # below the Axes: inside, the legend covered the points and their error bars
    ax.legend(fontsize=FONT.small, loc="upper center", bbox_to_anchor=(0.5, -0.15), frameon=False)
    return finish(fig, own=own)


def plot_decision_curve(curves: pd.DataFrame, *, title: str = "Decision curve", ax: Axes | None = None) -> Figure:
    """Net benefit over threshold probability of each strategy: the models, "treat all" and "treat none".

    The curves are :func:`gvisage_lib.clinical.calibration.decision_curves` (or
    :func:`~gvisage_lib.clinical.calibration.net_benefit`) output.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``threshold, strategy, net_benefit`` (long format).
    title : str
        Title of the Axes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw the decision curves into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.clinical.calibration import net_benefit
    >>> fig = plot_decision_curve(net_benefit([0, 1, 1, 0], [.2, .8, .6, .7]))
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['model', 'treat all', 'treat none']
    """
    if reason := skip_reason(curves):
        return skipped_figure(reason, title)
    check_frame(curves, "curves", ("threshold", "strategy", "net_benefit"))
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["decision"])
    n_models = 0
    for strat, g in curves.groupby("strategy", sort=False):
        style = STRATEGY_STYLE.get(str(strat))
        if style is None:
            style = {"color": pick_colour(MODEL_COLOUR, str(strat), n_models)}
            n_models += 1
        ax.plot(g["threshold"], g["net_benefit"], label=str(strat), lw=1.3, **style)
    top = curves.loc[curves["strategy"] != "treat all", "net_benefit"].max()
    ax.set(xlabel="Threshold probability", ylabel="Net benefit", title=title, xlim=(0, 1),
           ylim=(min(-0.05, -0.1 * abs(top)), max(0.05, 1.1 * top)))
    ax.legend(fontsize=FONT.note)
    return finish(fig, own=own)
