"""Cohort figures: the study flow (the paper's Figure 1) and the tumour distributions (Fig 3A, Fig 3B).

Every count is computed from the manifest passed in, so the same functions draw the twin and a user's cohort. None
of these figures shows a face.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from gvisage_lib.twin import generate_tabular
>>> m, _ = generate_tabular(seed=1, scale=0.2)
>>> fig = study_flow_figure(m)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from gvisage_lib.core import schema

_SPLIT_LABEL = {"train": "Training", "test": "Testing", "validation": "Independent validation"}
_SITE_LABEL = {"sellar": "Sellar", "pineal": "Pineal", "fourth_ventricle": "Fourth ventricle"}


def _check(manifest: pd.DataFrame, columns: tuple[str, ...]) -> None:
    if not isinstance(manifest, pd.DataFrame):
        raise TypeError(f"manifest must be a pandas DataFrame, got {type(manifest).__name__}")
    missing = [c for c in columns if c not in manifest.columns]
    if missing:
        raise ValueError(f"manifest lacks column(s) {missing}")


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
    _check(manifest, ("group", "split"))
    c = manifest.groupby(["split", "group"]).size().unstack(fill_value=0)
    c = c.reindex(index=[s for s in schema.SPLITS if s in c.index], columns=list(schema.GROUPS), fill_value=0)
    out = c.reset_index()
    out.columns.name = None
    out["stage1_n"] = out[list(schema.GROUPS)].sum(axis=1)
    out["stage2_n"] = out["iGCT"] + out["other"]
    return out


def _box(ax, x: float, y: float, w: float, h: float, text: str, colour: str) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01,rounding_size=0.015",
                                facecolor=colour, edgecolor="0.3", linewidth=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5, wrap=True)


def _arrow(ax, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", color="0.3", lw=1.0))


def study_flow_figure(manifest: pd.DataFrame) -> Figure:
    """The study design and participant flow (the paper's Figure 1), with counts from ``manifest``.

    Development (training and testing) and independent validation columns; per split the NC, iGCT and other counts,
    then the stage-1 set (midline tumour vs NC) and the stage-2 set (iGCT vs other midline tumour).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.1)
    >>> "Stage 1" in " ".join(t.get_text() for t in study_flow_figure(m).axes[0].texts)
    True
    """
    counts = study_flow_counts(manifest).set_index("split")
    fig, ax = plt.subplots(figsize=(11, 6.2))
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
             "#dbe9f6")
        for s in dev:
            _arrow(ax, xd, 0.875, xs[s], 0.80)
    if "validation" in counts.index:
        nv = counts.loc["validation"]
        _box(ax, xs["validation"], 0.92, 0.27, 0.09,
             f"Independent validation dataset\n(n={int(nv['stage1_n'])}; other institutions)", "#fde2c8")
        _arrow(ax, xs["validation"], 0.875, xs["validation"], 0.80)
    for s in splits:
        r = counts.loc[s]
        x = xs[s]
        _box(ax, x, 0.72, 0.25, 0.15,
             f"{_SPLIT_LABEL[s]} (n={int(r['stage1_n'])})\nNC: {r['NC']}\niGCT: {r['iGCT']}\nOther midline: {r['other']}",
             "#f2f2f2")
        _arrow(ax, x, 0.645, x, 0.535)
        _box(ax, x, 0.47, 0.25, 0.12,
             f"Stage 1: midline tumour vs NC\n{int(r['iGCT'] + r['other'])} tumours vs {r['NC']} NC\n(n={int(r['stage1_n'])})",
             "#e3f1e0")
        _arrow(ax, x, 0.41, x, 0.30)
        _box(ax, x, 0.24, 0.25, 0.12,
             f"Stage 2: iGCT vs other midline\n{r['iGCT']} iGCT vs {r['other']} other\n(n={int(r['stage2_n'])})",
             "#efe3f4")
    role = {"train": "fit the CNN", "test": "select the model", "validation": "external validation"}
    for s in splits:
        ax.text(xs[s], 0.13, role[s], ha="center", va="center", fontsize=8, style="italic", color="0.35")
    ax.set_title("Study design and participant flow (counts from the manifest)", fontsize=11)
    fig.tight_layout()
    return fig


def tumour_site_by_institution(manifest: pd.DataFrame, group: str = "iGCT") -> pd.DataFrame:
    """Counts of ``group`` subjects per split x institution x tumour site (tidy: ``split, site, tumor_site, n``).

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1)
    >>> int(tumour_site_by_institution(m).n.sum())
    567
    """
    _check(manifest, ("group", "split", "site", "tumor_site"))
    if group not in schema.TUMOUR_GROUPS:
        raise ValueError(f"group must be one of {schema.TUMOUR_GROUPS}, got {group!r}")
    d = manifest[manifest["group"] == group]
    out = d.groupby(["split", "site", "tumor_site"]).size().rename("n").reset_index()
    out["split"] = pd.Categorical(out["split"], categories=list(schema.SPLITS), ordered=True)
    return out.sort_values(["split", "site", "tumor_site"]).reset_index(drop=True)


def tumour_site_by_institution_figure(manifest: pd.DataFrame) -> Figure:
    """Fig 3A: tumour sites of the iGCTs per institution, one panel per split (stacked bars of counts).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.2)
    >>> len(tumour_site_by_institution_figure(m).axes)
    3
    """
    tidy = tumour_site_by_institution(manifest, "iGCT")
    splits = [s for s in schema.SPLITS if (tidy["split"] == s).any()]
    if not splits:
        raise ValueError("manifest has no iGCT subject to plot")
    colours = {"sellar": "#4c72b0", "pineal": "#dd8452", "fourth_ventricle": "#55a868"}
    fig, axes = plt.subplots(1, len(splits), figsize=(4.2 * len(splits), 4.2), squeeze=False)
    for ax, s in zip(axes[0], splits):
        t = tidy[tidy["split"] == s].pivot_table(index="site", columns="tumor_site", values="n", aggfunc="sum",
                                                 fill_value=0, observed=True)
        t = t.reindex(columns=[c for c in schema.TUMOR_SITES if c in t.columns])
        bottom = np.zeros(len(t))
        for c in t.columns:
            ax.bar(t.index, t[c].to_numpy(), bottom=bottom, color=colours[c], label=_SITE_LABEL[c])
            for i, (b, v) in enumerate(zip(bottom, t[c].to_numpy())):
                if v > 0:
                    ax.text(i, b + v / 2, str(int(v)), ha="center", va="center", fontsize=8, color="white")
            bottom += t[c].to_numpy()
        ax.set_title(f"{_SPLIT_LABEL[s]} (n={int(bottom.sum())})", fontsize=10)
        ax.set_ylabel("iGCT patients")
        ax.tick_params(axis="x", rotation=20)
    axes[0][0].legend(title="Tumour site", fontsize=8, title_fontsize=8)
    fig.suptitle("Fig 3A: iGCT tumour site by institution and dataset", fontsize=11)
    fig.tight_layout()
    return fig


def other_tumour_types(manifest: pd.DataFrame) -> pd.DataFrame:
    """Tumour types of the other-midline-tumour group over all splits: ``tumor_type, tumor_site, n, percent``.

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1)
    >>> round(other_tumour_types(m).percent.sum())
    100
    """
    _check(manifest, ("group", "tumor_type", "tumor_site"))
    d = manifest[manifest["group"] == "other"]
    out = d.groupby(["tumor_type", "tumor_site"]).size().rename("n").reset_index()
    out["percent"] = 100 * out["n"] / out["n"].sum() if len(out) else []
    return out.sort_values("n", ascending=False).reset_index(drop=True)


def other_tumour_types_figure(manifest: pd.DataFrame) -> Figure:
    """Fig 3B: distribution of tumour types in the other-midline-tumour group (all splits), coloured by site.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.2)
    >>> len(other_tumour_types_figure(m).axes)
    1
    """
    t = other_tumour_types(manifest)
    if t.empty:
        raise ValueError("manifest has no subject of group 'other' to plot")
    by_type = t.groupby("tumor_type")["n"].sum().sort_values()
    colours = {"sellar": "#4c72b0", "pineal": "#dd8452", "fourth_ventricle": "#55a868"}
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(by_type) + 1.6))
    left = pd.Series(0.0, index=by_type.index)
    for site in schema.TUMOR_SITES:
        v = t[t.tumor_site == site].set_index("tumor_type")["n"].reindex(by_type.index, fill_value=0)
        if v.sum() == 0:
            continue
        ax.barh(by_type.index, v.to_numpy(), left=left.to_numpy(), color=colours[site], label=_SITE_LABEL[site])
        left += v
    total = int(by_type.sum())
    for i, (name, n) in enumerate(by_type.items()):
        ax.text(n + total * 0.005, i, f"{int(n)} ({100 * n / total:.1f}%)", va="center", fontsize=8)
    ax.set_xlim(0, by_type.max() * 1.25)
    ax.set_xlabel("Patients")
    ax.legend(title="Tumour site", fontsize=8, title_fontsize=8, loc="lower right")
    ax.set_title(f"Fig 3B: tumour types of the other midline tumours (all datasets, n={total})", fontsize=11)
    fig.tight_layout()
    return fig
