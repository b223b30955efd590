"""Cohort figures: the study flow (the paper's Figure 1) and the tumour distributions (Fig 3A, Fig 3B).

Every count is computed from the manifest passed in, so the same functions draw the twin and a user's cohort. None
of these figures shows a face. :func:`plot_study_flow` and :func:`plot_other_tumour_types` draw one Axes and accept
``ax``; :func:`plot_site_by_institution` draws one panel per split and accepts ``fig``
(:mod:`gvisage_lib.core.style`). Each returns the Figure.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from gvisage_lib.twin import generate_tabular
>>> m, _ = generate_tabular(seed=1, scale=0.2)
>>> fig = plot_study_flow(m)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from gvisage_lib.core import schema
from gvisage_lib.core.style import (
    FIGSIZE,
    FLOW_BOX_COLOUR,
    FONT,
    SITE_COLOUR,
    SITE_LABEL,
    SPLIT_LABEL,
    finish,
    grid_figsize,
    new_axes,
    new_panels,
)
from gvisage_lib.core.validation import check_frame

__all__ = ["other_tumour_types", "plot_other_tumour_types", "plot_site_by_institution", "plot_study_flow",
           "study_flow_counts", "tumour_site_by_institution"]


def study_flow_counts(manifest: pd.DataFrame) -> pd.DataFrame:
    """Subjects per split x group with the stage-1 and stage-2 set sizes (the numbers of the flow diagram).

    Returns
    -------
    pandas.DataFrame
        One row per split: ``split, NC, iGCT, other, stage1_n, stage2_n``.

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1)
    >>> study_flow_counts(m).set_index("split").loc["train", "stage1_n"]
    np.int64(847)
    """
    check_frame(manifest, "manifest", ("group", "split"))
    c = manifest.groupby(["split", "group"]).size().unstack(fill_value=0)
    c = c.reindex(index=[s for s in schema.SPLITS if s in c.index], columns=list(schema.GROUPS), fill_value=0)
    out = c.reset_index()
    out.columns.name = None
    out["stage1_n"] = out[list(schema.GROUPS)].sum(axis=1)
    out["stage2_n"] = out["iGCT"] + out["other"]
    return out


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, colour: str) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01,rounding_size=0.015",
                                facecolor=colour, edgecolor="0.3", linewidth=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT.box, wrap=True)


def _arrow(ax: Axes, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", color="0.3", lw=1.0))


def plot_study_flow(manifest: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """The study design and participant flow (the paper's Figure 1), with counts from ``manifest``.

    Development (training and testing) and independent validation columns; per split the NC, iGCT and other counts,
    then the stage-1 set (midline tumour vs NC) and the stage-2 set (iGCT vs other midline tumour).

    Parameters
    ----------
    manifest : pandas.DataFrame
        Cohort manifest with ``group`` and ``split``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw the flow diagram into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.1)
    >>> "Stage 1" in " ".join(t.get_text() for t in plot_study_flow(m).axes[0].texts)
    True
    """
    counts = study_flow_counts(manifest).set_index("split")
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["flow"])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    splits = list(counts.index)
    dev = [s for s in splits if s in ("train", "test")]
    xs = {s: x for s, x in zip(splits, np.linspace(0.17, 0.83, len(splits)))}
    total_dev = int(counts.loc[dev, "stage1_n"].sum()) if dev else 0
    if dev:
        xd = float(np.mean([xs[s] for s in dev]))
        nd = counts.loc[dev, list(schema.GROUPS)].sum()
        _box(ax, xd, 0.92, 0.42, 0.09,
             f"Development dataset (n={total_dev})\nNC {nd['NC']}, iGCT {nd['iGCT']}, other midline {nd['other']}",
             FLOW_BOX_COLOUR["development"])
        for s in dev:
            _arrow(ax, xd, 0.875, xs[s], 0.80)
    if "validation" in counts.index:
        nv = counts.loc["validation"]
        _box(ax, xs["validation"], 0.92, 0.27, 0.09,
             f"Independent validation dataset\n(n={int(nv['stage1_n'])}; other institutions)",
             FLOW_BOX_COLOUR["validation"])
        _arrow(ax, xs["validation"], 0.875, xs["validation"], 0.80)
    for s in splits:
        r = counts.loc[s]
        x = xs[s]
        _box(ax, x, 0.72, 0.25, 0.15,
             f"{SPLIT_LABEL[s]} (n={int(r['stage1_n'])})\nNC: {r['NC']}\niGCT: {r['iGCT']}\nOther midline: {r['other']}",
             FLOW_BOX_COLOUR["split"])
        _arrow(ax, x, 0.645, x, 0.535)
        _box(ax, x, 0.47, 0.25, 0.12,
             f"Stage 1: midline tumour vs NC\n{int(r['iGCT'] + r['other'])} tumours vs {r['NC']} NC\n(n={int(r['stage1_n'])})",
             FLOW_BOX_COLOUR["stage1"])
        _arrow(ax, x, 0.41, x, 0.30)
        _box(ax, x, 0.24, 0.25, 0.12,
             f"Stage 2: iGCT vs other midline\n{r['iGCT']} iGCT vs {r['other']} other\n(n={int(r['stage2_n'])})",
             FLOW_BOX_COLOUR["stage2"])
    role = {"train": "fit the CNN", "test": "select the model", "validation": "external validation"}
    for s in splits:
        ax.text(xs[s], 0.13, role[s], ha="center", va="center", fontsize=FONT.note, style="italic", color="0.35")
    ax.set_title("Study design and participant flow (counts from the manifest)", fontsize=FONT.heading)
    return finish(fig, own=own)


def tumour_site_by_institution(manifest: pd.DataFrame, group: str = "iGCT") -> pd.DataFrame:
    """Counts of ``group`` subjects per split x institution x tumour site (tidy: ``split, site, tumor_site, n``).

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1)
    >>> int(tumour_site_by_institution(m).n.sum())
    567
    """
    check_frame(manifest, "manifest", ("group", "split", "site", "tumor_site"))
    if group not in schema.TUMOUR_GROUPS:
        raise ValueError(f"group must be one of {schema.TUMOUR_GROUPS}, got {group!r}")
    d = manifest[manifest["group"] == group]
    out = d.groupby(["split", "site", "tumor_site"]).size().rename("n").reset_index()
    out["split"] = pd.Categorical(out["split"], categories=list(schema.SPLITS), ordered=True)
    return out.sort_values(["split", "site", "tumor_site"]).reset_index(drop=True)


def plot_site_by_institution(manifest: pd.DataFrame, *, fig: Figure | None = None) -> Figure:
    """Fig 3A: tumour sites of the iGCTs per institution, one panel per split (stacked bars of counts).

    Parameters
    ----------
    manifest : pandas.DataFrame
        Cohort manifest with ``group``, ``split``, ``site`` and ``tumor_site``.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the panels (one per split with an iGCT) into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.2)
    >>> len(plot_site_by_institution(m).axes)
    3
    """
    tidy = tumour_site_by_institution(manifest, "iGCT")
    splits = [s for s in schema.SPLITS if (tidy["split"] == s).any()]
    if not splits:
        raise ValueError("manifest has no iGCT subject to plot")
    own = fig is None
    fig, axes = new_panels(fig, 1, len(splits), grid_figsize("square", 1, len(splits)))
    for ax, s in zip(axes[0], splits):
        t = tidy[tidy["split"] == s].pivot_table(index="site", columns="tumor_site", values="n", aggfunc="sum",
                                                 fill_value=0, observed=True)
        t = t.reindex(columns=[c for c in schema.TUMOR_SITES if c in t.columns])
        bottom = np.zeros(len(t))
        for c in t.columns:
            ax.bar(t.index, t[c].to_numpy(), bottom=bottom, color=SITE_COLOUR[c], label=SITE_LABEL[c])
            for i, (b, v) in enumerate(zip(bottom, t[c].to_numpy())):
                if v > 0:
                    ax.text(i, b + v / 2, str(int(v)), ha="center", va="center", fontsize=FONT.note, color="white")
            bottom += t[c].to_numpy()
        ax.set_title(f"{SPLIT_LABEL[s]} (n={int(bottom.sum())})", fontsize=FONT.title)
        ax.set_ylabel("iGCT patients")
        ax.tick_params(axis="x", rotation=20)
    axes[0][0].legend(title="Tumour site", fontsize=FONT.note, title_fontsize=FONT.note)
    fig.suptitle("Fig 3A: iGCT tumour site by institution and dataset", fontsize=FONT.heading)
    return finish(fig, own=own)


def other_tumour_types(manifest: pd.DataFrame) -> pd.DataFrame:
    """Tumour types of the other-midline-tumour group over all splits: ``tumor_type, tumor_site, n, percent``.

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1)
    >>> round(other_tumour_types(m).percent.sum())
    100
    """
    check_frame(manifest, "manifest", ("group", "tumor_type", "tumor_site"))
    d = manifest[manifest["group"] == "other"]
    out = d.groupby(["tumor_type", "tumor_site"]).size().rename("n").reset_index()
    out["percent"] = 100 * out["n"] / out["n"].sum() if len(out) else []
    return out.sort_values("n", ascending=False).reset_index(drop=True)


def plot_other_tumour_types(manifest: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Fig 3B: distribution of tumour types in the other-midline-tumour group (all splits), coloured by site.

    Parameters
    ----------
    manifest : pandas.DataFrame
        Cohort manifest with ``group``, ``tumor_type`` and ``tumor_site``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (default: a new figure, 0.45 inch high per tumour type).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.2)
    >>> len(plot_other_tumour_types(m).axes)
    1
    """
    t = other_tumour_types(manifest)
    if t.empty:
        raise ValueError("manifest has no subject of group 'other' to plot")
    by_type = t.groupby("tumor_type")["n"].sum().sort_values()
    own = ax is None
    fig, ax = new_axes(ax, (7.5, 0.45 * len(by_type) + 1.6))
    left = pd.Series(0.0, index=by_type.index)
    for site in schema.TUMOR_SITES:
        v = t[t.tumor_site == site].set_index("tumor_type")["n"].reindex(by_type.index, fill_value=0)
        if v.sum() == 0:
            continue
        ax.barh(by_type.index, v.to_numpy(), left=left.to_numpy(), color=SITE_COLOUR[site], label=SITE_LABEL[site])
        left += v
    total = int(by_type.sum())
    for i, (name, n) in enumerate(by_type.items()):
        ax.text(n + total * 0.005, i, f"{int(n)} ({100 * n / total:.1f}%)", va="center", fontsize=FONT.note)
    ax.set_xlim(0, by_type.max() * 1.25)
    ax.set_xlabel("Patients")
    ax.legend(title="Tumour site", fontsize=FONT.note, title_fontsize=FONT.note, loc="lower right")
    ax.set_title(f"Fig 3B: tumour types of the other midline tumours (all datasets, n={total})",
                 fontsize=FONT.heading)
    return finish(fig, own=own)
