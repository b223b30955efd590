"""Figures of the simulation (notebook 07): rejection rates or coverages with their Monte-Carlo CIs, and the null
distribution of P values.

:func:`plot_rejection_rates` and :func:`plot_null_pvalues` draw one Axes and accept ``ax``; :func:`plot_type1` draws
both side by side and accepts ``fig`` (:mod:`gvisage_lib.core.style`).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> t = pd.DataFrame({"test": ["a", "b"], "scenario": "s", "nominal": 0.05, "rejection_rate": [0.05, 0.01],
...                   "ci_low": [0.03, 0.0], "ci_high": [0.07, 0.03], "n_replicates": 500})
>>> len(plot_rejection_rates(t).axes[0].collections)  # the nominal levels, the rates' CIs
2
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gvisage_lib.core.style import CYCLE, FONT, finish, new_axes, new_panels
from gvisage_lib.core.validation import check_frame
from gvisage_lib.simulation.summary import TABLE_COLUMNS

__all__ = ["plot_null_pvalues", "plot_rejection_rates", "plot_type1"]


def _wrap(text: str, width: int = 48) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def plot_rejection_rates(table: pd.DataFrame, *, title: str = "", xlabel: str = "Rejection rate (95% MC CI)",
                         ax: Axes | None = None) -> Figure:
    """Dot plot of each test's rejection rate (or coverage) with its Monte-Carlo CI and its nominal level (a bar).

    Parameters
    ----------
    table : DataFrame
        A ``simulation_*`` table (:data:`gvisage_lib.simulation.summary.TABLE_COLUMNS`). Rows of several scenarios
        get one colour each, with a legend.
    title, xlabel : str
        Title and x-axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (default: a new figure sized to the rows).

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_frame(table, "table", TABLE_COLUMNS)
    if table.empty:
        raise ValueError("table is empty: no rate to plot")
    own = ax is None
    fig, ax = new_axes(ax, (7.2, 0.42 * len(table) + 1.6))
    scenarios = list(dict.fromkeys(table["scenario"]))
    y = np.arange(len(table))[::-1]
    handles = []
    for i, sc in enumerate(scenarios):
        m = (table["scenario"] == sc).to_numpy()
        t = table[m]
        rate = t["rejection_rate"].to_numpy(float)
        err = np.vstack([np.clip(rate - t["ci_low"].to_numpy(float), 0, None),
                         np.clip(t["ci_high"].to_numpy(float) - rate, 0, None)])
        handles.append(ax.errorbar(rate, y[m], xerr=err, fmt="o", color=CYCLE[i % len(CYCLE)], capsize=3, ms=5,
                                   label=_wrap(sc, 70)))
    nominal = table["nominal"].to_numpy(float)
    handles.append(ax.scatter(nominal, y, marker="|", s=260, linewidths=2.0, color="0.25", zorder=3,
                              label="nominal level"))
    ax.set_yticks(y, [_wrap(t) for t in table["test"]], fontsize=FONT.small)
    ax.set_ylim(-0.6, len(table) - 0.4)
    lo = np.nanmin(np.r_[table["ci_low"].to_numpy(float), nominal])
    hi = np.nanmax(np.r_[table["ci_high"].to_numpy(float), nominal])
    ax.set_xlim(max(-0.02, lo - 0.06), min(1.02, hi + 0.06))
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.set_xlabel(xlabel)
    n = int(table["n_replicates"].max())
    ax.set_title(f"{title} ({n} replicates)" if title else f"{n} replicates", fontsize=FONT.medium)
    if len(scenarios) == 1:  # the title says what the scenario is: only the nominal marker needs a key
        ax.legend(handles[-1:], [h.get_label() for h in handles[-1:]], fontsize=FONT.small, loc="best")
    else:  # below the Axes, clear of the points
        ax.legend(handles, [h.get_label() for h in handles], fontsize=FONT.small, loc="upper center",
                  bbox_to_anchor=(0.5, -0.1), ncol=1, frameon=False)
    return finish(fig, own=own)


def plot_null_pvalues(pvalues: pd.DataFrame, *, alpha: float = 0.05, title: str = "P values under the null",
                      ax: Axes | None = None) -> Figure:
    """Empirical distribution function of each test's P values against the uniform a valid test would give.

    A curve under the diagonal is a conservative test (P values too large), above it a liberal one; steps show a
    test whose P can take few values. The dotted line marks ``alpha``.

    Parameters
    ----------
    pvalues : DataFrame
        ``test, p_value`` (:func:`gvisage_lib.simulation.summary.null_pvalues`).
    alpha : float
        Level marked on the axes.
    title : str
        Title of the Axes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (default: a new figure).

    Examples
    --------
    >>> p = pd.DataFrame({"test": "t", "p_value": np.linspace(0.01, 1, 50)})
    >>> len(plot_null_pvalues(p).axes[0].lines)  # the test, the diagonal, alpha
    3
    """
    check_frame(pvalues, "pvalues", ["test", "p_value"])
    if pvalues.empty:
        raise ValueError("pvalues is empty: no P value to plot")
    own = ax is None
    fig, ax = new_axes(ax, (5.0, 4.6))
    for i, (test, g) in enumerate(pvalues.groupby("test", sort=False)):
        p = np.sort(g["p_value"].to_numpy(float))
        ax.step(np.r_[0.0, p, 1.0], np.r_[0.0, np.arange(1, p.size + 1) / p.size, 1.0], where="post",
                color=CYCLE[i % len(CYCLE)], label=_wrap(test, 40))
    ax.plot([0, 1], [0, 1], color="0.4", ls="--", lw=0.9, label="uniform (a valid test)")
    ax.axvline(alpha, color="0.5", ls=":", lw=0.9)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="P value", ylabel="share of replicates with P <= x")
    ax.set_title(title, fontsize=FONT.medium)
    ax.legend(fontsize=FONT.small, loc="lower right")
    return finish(fig, own=own)


def plot_type1(table: pd.DataFrame, pvalues: pd.DataFrame, *, title: str = "", fig: Figure | None = None) -> Figure:
    """Type-I error rates (left) and the null distribution of the P values (right) of one scenario.

    Examples
    --------
    >>> t = pd.DataFrame({"test": ["a"], "scenario": "s", "nominal": 0.05, "rejection_rate": [0.05],
    ...                   "ci_low": [0.03], "ci_high": [0.07], "n_replicates": 500})
    >>> len(plot_type1(t, pd.DataFrame({"test": "a", "p_value": [0.2, 0.6]})).axes)
    2
    """
    own = fig is None
    fig, axes = new_panels(fig, 1, 2, figsize=(13.0, 0.42 * len(table) + 3.4))
    alpha = float(table["nominal"].iloc[0]) if len(table) else 0.05
    plot_rejection_rates(table, title=title, xlabel="Type-I error rate (95% MC CI)", ax=axes[0, 0])
    plot_null_pvalues(pvalues, alpha=alpha, ax=axes[0, 1])
    return finish(fig, own=own)
