"""Figures of the endocrine analysis (notebook 06): the correlation heatmap (Fig 5A) and the HPT strata (Fig 5B).

Both draw one Axes, accept ``ax`` and return the Figure (:mod:`gvisage_lib.core.style`).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from gvisage_lib import paper
>>> [t.get_text() for t in plot_strata(paper.table3()).axes[0].get_xticklabels()]
['AUC', 'Accuracy', 'Sensitivity', 'Specificity']
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gvisage_lib.core import schema
from gvisage_lib.core.style import (
    CORRELATION_CMAP,
    FIGSIZE,
    FONT,
    HPT_COLOUR,
    METRIC_LABEL,
    finish,
    new_axes,
    pick_colour,
)
from gvisage_lib.core.validation import check_frame
from gvisage_lib.endocrine.strata import METRICS

__all__ = ["plot_correlation_heatmap", "plot_strata"]


def plot_correlation_heatmap(r: pd.DataFrame, p: pd.DataFrame | None = None, *, score_label: str = "CNN score",
                             title: str = "Score and endocrine indicators", p_label: str = "BH-adjusted P",
                             ax: Axes | None = None) -> Figure:
    """Lower-triangle heatmap of a correlation matrix (seaborn), stars where ``p`` < .05 (*) / .01 (**), with a key.

    The numbers in the cells are :data:`gvisage_lib.core.style.FONT` ``.cell`` points (7), in black or white by the
    cell's colour (seaborn's choice).

    Parameters
    ----------
    r : pandas.DataFrame
        Square correlation matrix, the score first (:func:`gvisage_lib.endocrine.correlation.correlation_matrix`).
    p : pandas.DataFrame, optional
        The matching matrix of P values behind the stars: the Benjamini-Hochberg adjusted ones over all the pairs
        drawn (``CorrelationMatrix.p_bh``) in notebook 06 (no stars without it).
    score_label : str
        Axis label of the first row and column.
    title : str
        Title of the Axes.
    p_label : str
        What ``p`` is, for the key under the heatmap.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (default: a new figure sized to the matrix); the colour bar is taken from it.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.endocrine.correlation import correlation_matrix
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["score", "tsh", "gh"])
    >>> cm = correlation_matrix(df, indicators=["tsh", "gh"])
    >>> fig = plot_correlation_heatmap(cm.r, cm.p_bh)
    >>> len(fig.axes)  # the heatmap and its colour bar
    2
    """
    if not isinstance(r, pd.DataFrame) or r.shape[0] != r.shape[1] or r.empty:
        raise ValueError(f"r must be a non-empty square DataFrame, got {type(r).__name__} of shape "
                         f"{getattr(r, 'shape', None)}")
    if p is not None and (not isinstance(p, pd.DataFrame) or p.shape != r.shape):
        raise ValueError(f"p must be a DataFrame of r's shape {r.shape}, got {type(p).__name__} of shape "
                         f"{getattr(p, 'shape', None)}")
    import seaborn as sns

    short = {c: schema.ENDOCRINE_LABELS.get(c, c).split(" (")[0] for c in r.columns}
    short[r.columns[0]] = score_label
    k = r.shape[0]
    mask = np.triu(np.ones((k, k), dtype=bool), 1)
    vals = r.to_numpy(dtype=float)
    # the number in each lower-triangle cell, starred by its P; the diagonal (r = 1) stays blank
    annot = np.full((k, k), "", dtype=object)
    for i in range(k):
        for j in range(i):
            if np.isnan(vals[i, j]):
                continue
            star = ""
            if p is not None and not np.isnan(p.iat[i, j]):
                star = "**" if p.iat[i, j] < 0.01 else ("*" if p.iat[i, j] < 0.05 else "")
            annot[i, j] = f"{vals[i, j]:.2f}{star}"
    labels = [short[c] for c in r.columns]
    own = ax is None
    fig, ax = new_axes(ax, (0.6 * k + 2.4, 0.52 * k + 1.8))
    with warnings.catch_warnings():  # seaborn's own use of a matplotlib API due for deprecation: not ours to fix
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        sns.heatmap(pd.DataFrame(vals, index=labels, columns=labels), mask=mask, cmap=CORRELATION_CMAP, vmin=-1,
                    vmax=1, center=0, annot=annot, fmt="", annot_kws={"fontsize": FONT.cell}, square=True,
                    linewidths=0.5, linecolor="white", cbar_kws={"shrink": 0.7, "label": "correlation"}, ax=ax)
    ax.set_xticks(np.arange(k) + 0.5, labels, rotation=90, fontsize=FONT.small)
    ax.set_yticks(np.arange(k) + 0.5, labels, rotation=0, fontsize=FONT.small)
    ax.set_title(title, fontsize=FONT.medium)
    if p is not None:
        n_pairs = int(np.isfinite(np.where(mask | np.eye(k, dtype=bool), np.nan, p.to_numpy())).sum())
        # in the empty upper triangle, clear of the cells and of the tick labels
        ax.text(0.98, 0.98, f"* {p_label} < .05\n** {p_label} < .01\n({n_pairs} pairs)", transform=ax.transAxes,
                ha="right", va="top", fontsize=FONT.small)
    return finish(fig, own=own)


def plot_strata(table3: pd.DataFrame, *, title: str = "Stage 2 by HPT-axis damage (validation)",
                ax: Axes | None = None) -> Figure:
    """Grouped bars of AUC, accuracy, sensitivity, specificity per stratum with CI whiskers (Fig 5B).

    Parameters
    ----------
    table3 : pandas.DataFrame
        :func:`gvisage_lib.endocrine.strata.strata_metrics` output (or the paper's Table 3): ``stratum``, ``n``, the
        four metrics and, where known, their ``_ci_low``/``_ci_high``.
    title : str
        Title of the Axes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw the bars of the strata into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib import paper
    >>> len(plot_strata(paper.table3()).axes[0].patches)  # 3 strata x 4 metrics
    12
    """
    check_frame(table3, "table3", ["stratum", "n", *METRICS])
    if table3.empty:
        raise ValueError("table3 is empty: no stratum to plot")
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["wide_bars"])
    width = 0.8 / len(table3)
    x = np.arange(len(METRICS))
    for i, (_, r) in enumerate(table3.iterrows()):
        est = np.array([r[m] for m in METRICS], dtype=float)
        lo = np.array([r.get(f"{m}_ci_low", np.nan) for m in METRICS], dtype=float)
        hi = np.array([r.get(f"{m}_ci_high", np.nan) for m in METRICS], dtype=float)
        err = np.vstack([np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)])
        ax.bar(x + (i - (len(table3) - 1) / 2) * width, est, width, yerr=err, capsize=2,
               color=pick_colour(HPT_COLOUR, r["stratum"], i), label=f"{r['stratum']} (n={int(r['n'])})")
    ax.set_xticks(x, [METRIC_LABEL[m] for m in METRICS])
    # a little headroom above 1: an interval reaching 1.0 shows its cap instead of being cut at the frame
    ax.set(ylim=(0, 1.05), yticks=np.linspace(0, 1, 6), ylabel="Estimate (95% CI)", title=title)
    ax.axhline(0.5, color="0.6", lw=0.7, ls="--")
    # right of the Axes: inside, the legend covered bars and whiskers
    ax.legend(fontsize=FONT.note, title="HPT damage", title_fontsize=FONT.note, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)
    return finish(fig, own=own)
