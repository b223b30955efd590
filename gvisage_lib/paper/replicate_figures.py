"""Figures of a replicate study (:mod:`gvisage_lib.paper.replicates`): the AUCs per seed against the paper's, and the
share of seeds in which each tested claim holds.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> values = pd.DataFrame({"seed": [1, 2], "item": ["x", "x"], "paper": [0.7, 0.7], "estimate": [0.6, 0.8]})
>>> fig = auc_strip_figure(values)
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['x']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.validation import check_frame

__all__ = ["FIGURES", "auc_strip_figure", "claims_share_figure"]

#: File stem and caption of each figure of the study.
FIGURES: dict[str, tuple[str, str]] = {
    "auc_strip": ("replicate_auc_strip", "Figure R1. Each AUC of Table 2, GVisageNet's stage-1 AUCs and Table 3, one "
                                         "dot per seed, the median as a bar, the paper's value as a red diamond."),
    "claims_share": ("replicate_claims_share", "Figure R2. Share of the seeds (that could judge it) in which each "
                                               "tested claim of the paper holds."),
}


def auc_strip_figure(values: pd.DataFrame) -> Any:
    """A strip plot: one row per AUC item (in the order of ``values``), a dot per seed, the median, the paper's value.

    ``values``: ``seed``, ``item``, ``paper``, ``estimate`` (the study's ``replicate_auc_values``); items without
    any value are left out.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> v = pd.DataFrame({"seed": [1, 2, 1, 2], "item": ["x", "x", "y", "y"], "paper": [0.7] * 4,
    ...                   "estimate": [0.6, 0.8, np.nan, np.nan]})
    >>> [t.get_text() for t in auc_strip_figure(v).axes[0].get_yticklabels()]  # y has no value
    ['x']
    """
    import matplotlib.pyplot as plt

    check_frame(values, "values", ("seed", "item", "paper", "estimate"))
    items = [i for i in dict.fromkeys(values["item"]) if values.loc[values["item"] == i, "estimate"].notna().any()]
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * max(len(items), 2) + 1.2))
    for y, item in enumerate(items):
        g = values[values["item"] == item]
        est = g["estimate"].dropna().to_numpy(float)
        jitter = np.linspace(-0.15, 0.15, len(est)) if len(est) > 1 else np.zeros(1)
        ax.scatter(est, y + jitter, s=18, color="#3b6ea8", alpha=0.8, zorder=2,
                   label="a seed" if y == 0 else None)
        ax.plot([np.median(est)] * 2, [y - 0.3, y + 0.3], color="#1a1a1a", lw=2, zorder=3,
                label="median" if y == 0 else None)
        ax.scatter([float(g["paper"].iloc[0])], [y], marker="D", s=36, color="#c0392b", zorder=4,
                   label="the paper" if y == 0 else None)
    ax.set_yticks(range(len(items)), items)
    ax.invert_yaxis()
    ax.set_xlabel("AUC")
    ax.axvline(0.5, color="#999999", lw=0.8, ls=":")
    ax.grid(axis="x", color="#e5e5e5")
    if items:
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def claims_share_figure(claims: pd.DataFrame) -> Any:
    """Horizontal bars: for each tested claim, the share of the seeds that could judge it in which it holds.

    ``claims``: the study's ``replicate_claims`` (``kind``, ``claim``, ``share_holds``, ``n_holds``, ``n_seeds``,
    ``n_cannot_tell``); claims no seed could judge are shown without a bar.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> c = pd.DataFrame({"kind": ["test"], "claim": ["c"], "share_holds": [0.5], "n_holds": [1], "n_seeds": [2],
    ...                   "n_cannot_tell": [0]})
    >>> [t.get_text() for t in claims_share_figure(c).axes[0].texts]
    ['1 of 2']
    """
    import matplotlib.pyplot as plt

    check_frame(claims, "claims", ("kind", "claim", "share_holds", "n_holds", "n_seeds", "n_cannot_tell"))
    tests = claims[claims["kind"] == "test"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8.5, 0.4 * max(len(tests), 2) + 1.0))
    shares = tests["share_holds"].fillna(0).to_numpy(float)
    ax.barh(range(len(tests)), shares, color="#3b6ea8")
    for y, r in tests.iterrows():
        told = int(r["n_seeds"] - r["n_cannot_tell"])
        ax.text(min(shares[y] + 0.02, 0.9), y, f"{int(r['n_holds'])} of {told}", va="center", fontsize=8)
    ax.set_yticks(range(len(tests)), tests["claim"])
    ax.invert_yaxis()
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("share of the seeds in which the claim holds")
    fig.tight_layout()
    return fig
