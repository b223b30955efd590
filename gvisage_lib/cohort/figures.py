"""Cohort figures: the study flow (the paper's Figure 1), its STARD form, and the tumour distributions (Fig 3A, 3B).

Every count is computed from the manifest passed in, so the same functions draw the twin and a user's cohort. None
of these figures shows a face. :func:`plot_study_flow` and :func:`plot_other_tumour_types` draw one Axes and accept
``ax``; :func:`plot_site_by_institution` draws one panel per split and accepts ``fig``
(:mod:`gvisage_lib.core.style`). Each returns the Figure. :func:`plot_stard_flow` draws the STARD 2015 flow
of one stage and split per panel (accepts ``fig``) from :func:`stard_flow_counts`, which needs the face QC and the
2x2 tables of the stage-wise analysis too, so it is drawn in notebook 04.

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
    STAGE_CLASS_LABEL,
    STAGE_TITLE,
    finish,
    grid_figsize,
    model_label,
    new_axes,
    new_panels,
)
from gvisage_lib.core.validation import check_frame

__all__ = ["other_tumour_types", "plot_other_tumour_types", "plot_site_by_institution", "plot_stard_flow",
           "plot_study_flow", "stard_flow_counts", "study_flow_counts", "tumour_site_by_institution"]


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


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, colour: str, fontsize: float = FONT.box) -> None:
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.01,rounding_size=0.015",
                                facecolor=colour, edgecolor="0.3", linewidth=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, wrap=True)


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
             f"{SPLIT_LABEL[s]} (n={int(r['stage1_n'])})\nNC: {r['NC']}\niGCT: {r['iGCT']}\n"
             f"Other midline: {r['other']}",
             FLOW_BOX_COLOUR["split"])
        _arrow(ax, x, 0.645, x, 0.535)
        _box(ax, x, 0.47, 0.25, 0.12,
             f"Stage 1: midline tumour vs NC\n{int(r['iGCT'] + r['other'])} tumours vs {r['NC']} NC\n"
             f"(n={int(r['stage1_n'])})",
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


#: Columns of :func:`stard_flow_counts` (the ``excluded_<reason>`` columns follow ``excluded_qc``).
STARD_FLOW_COLUMNS: tuple[str, ...] = (
    "stage", "split", "model", "rule", "threshold", "chosen_on", "eligible", "eligible_positive", "eligible_negative",
    "excluded_qc", "not_scored", "index_test", "test_positive", "test_negative", "tp", "fp", "fn", "tn",
    "reference_positive", "reference_negative", "photos_failed_qc_kept")


def stard_flow_counts(manifest: pd.DataFrame, faces: pd.DataFrame, two_by_two: pd.DataFrame, *,
                      rule: str = "youden", reasons: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The numbers of a STARD 2015 flow diagram, per stage and split: eligible, excluded at photo QC by reason,
    index test, index test positive and negative, and the reference standard within each.

    * **Eligible**: the subjects of the manifest in the split whose group takes part in the stage (stage 1: every
      group; stage 2: iGCT and other midline tumours), by reference standard (the stage's positive class or not).
    * **Excluded at photo QC**: eligible subjects with no photo passing the face QC (``faces.included`` False),
      and per QC reason the subjects excluded for it (a subject excluded for several reasons counts under each, as
      in :func:`gvisage_lib.faces.preprocess.qc_counts`); ``photos_failed_qc_kept`` counts the photos that failed
      QC of subjects kept with their other photos.
    * **Not scored**: eligible subjects that passed QC but have no CNN score (absent from the faces index, or
      from the predictions): ``eligible - excluded_qc - index_test``; 0 in a complete run.
    * **Index test** and the outcome counts at the threshold, on the split named by ``chosen_on``: from the 2x2 table of
      :func:`gvisage_lib.roc.metrics.two_by_two` for ``rule``, so the flow and Table 2 agree by construction.

    There are no indeterminate index-test results (every scored subject has a score and a threshold) and no missing
    reference standard (every subject's group is known), so the STARD boxes for them are not drawn.

    Parameters
    ----------
    manifest : pandas.DataFrame
        Cohort manifest with ``subject_id``, ``group`` and ``split``.
    faces : pandas.DataFrame
        The faces index (``faces.parquet``): ``subject_id``, ``included``, ``qc_reason`` and, for
        ``photos_failed_qc_kept``, ``n_available`` and ``n_photos`` (else that column is NaN).
    two_by_two : pandas.DataFrame
        The 2x2 counts of the stage-wise analysis (:func:`gvisage_lib.roc.metrics.two_by_two`).
    rule : str, default "youden"
        The operating point of the flow's outcome boxes (a ``rule`` of ``two_by_two``).
    reasons : tuple of str, optional
        The QC reasons, in order (:data:`gvisage_lib.faces.preprocess.QC_REASONS`); default: those found in
        ``faces``, in order of first appearance. Each gives a column ``excluded_<reason>``.

    Returns
    -------
    pandas.DataFrame
        One row per stage x split of ``two_by_two`` at ``rule``: :data:`STARD_FLOW_COLUMNS` with the
        ``excluded_<reason>`` columns after ``excluded_qc``.

    Examples
    --------
    >>> m = pd.DataFrame({"subject_id": list("abcdef"), "split": "test", "group": ["iGCT", "iGCT", "other", "other",
    ...                   "NC", "NC"]})
    >>> f = pd.DataFrame({"subject_id": list("abcdef"), "included": [True, True, True, False, True, True],
    ...                   "qc_reason": ["", "", "", "no_face", "", ""]})
    >>> t = pd.DataFrame({"stage": [2], "split": ["test"], "model": ["resnet50"], "rule": ["youden"],
    ...                   "threshold": [0.5], "tp": [1], "fp": [0], "fn": [1], "tn": [1]})
    >>> c = stard_flow_counts(m, f, t).iloc[0]
    >>> int(c.eligible), int(c.excluded_qc), int(c.excluded_no_face), int(c.index_test), int(c.not_scored)
    (4, 1, 1, 3, 0)
    """
    check_frame(manifest, "manifest", ("subject_id", "group", "split"))
    check_frame(faces, "faces", ("subject_id", "included", "qc_reason"))
    check_frame(two_by_two, "two_by_two", ("stage", "split", "model", "rule", "threshold", "tp", "fp", "fn", "tn"))
    tb = two_by_two[two_by_two["rule"] == rule]
    if tb.empty:
        raise ValueError(f"two_by_two holds no row with rule={rule!r}; rules: {sorted(set(two_by_two['rule']))}")
    dup = faces["subject_id"].duplicated()
    if dup.any():
        raise ValueError(f"faces: subject_id {faces.loc[dup, 'subject_id'].iloc[0]!r} appears more than once")
    f = faces.set_index(faces["subject_id"].astype(str))
    excluded_reasons = f.loc[~f["included"].astype(bool), "qc_reason"].fillna("").astype(str)
    found = list(dict.fromkeys(r for s in excluded_reasons for r in s.split(";") if r))
    reasons = tuple(reasons) if reasons is not None else tuple(found)
    unknown = sorted(set(found) - set(reasons))
    if unknown:
        raise ValueError(f"faces: qc_reason holds reason(s) {unknown} not in reasons={reasons}")
    rows = []
    for r in tb.itertuples(index=False):
        stage, split = int(r.stage), str(r.split)
        if stage not in schema.STAGES:
            raise ValueError(f"two_by_two: stage must be one of {sorted(schema.STAGES)}, got {r.stage!r}")
        spec = schema.STAGES[stage]
        elig = manifest[(manifest["split"] == split) & manifest["group"].isin(spec["groups"])]  # type: ignore[arg-type]
        ids = elig["subject_id"].astype(str)
        known = ids.isin(f.index)
        inc = pd.Series(False, index=ids.index)
        inc[known] = f.loc[ids[known], "included"].astype(bool).to_numpy()
        excl = known & ~inc
        why = f.loc[ids[excl], "qc_reason"].fillna("").astype(str)
        tp, fp, fn, tn = (int(v) for v in (r.tp, r.fp, r.fn, r.tn))
        index_test = tp + fp + fn + tn
        not_scored = len(elig) - int(excl.sum()) - index_test
        if not_scored < 0:
            raise ValueError(f"two_by_two: stage {stage}, split {split!r} counts {index_test} scored subjects, more "
                             f"than the {len(elig) - int(excl.sum())} eligible subjects of the manifest that passed QC")
        row = {"stage": stage, "split": split, "model": r.model, "rule": rule, "threshold": float(r.threshold),
               "chosen_on": str(getattr(r, "chosen_on", "")), "eligible": len(elig),
               "eligible_positive": int(elig["group"].isin(spec["positive"]).sum()),  # type: ignore[arg-type]
               "eligible_negative": int((~elig["group"].isin(spec["positive"])).sum()),  # type: ignore[arg-type]
               "excluded_qc": int(excl.sum())}
        row.update({f"excluded_{q}": int(sum(q in s.split(";") for s in why)) for q in reasons})
        kept = ids[inc]
        photos = (int((f.loc[kept, "n_available"] - f.loc[kept, "n_photos"]).sum())
                  if {"n_available", "n_photos"} <= set(f.columns) else np.nan)
        row.update(not_scored=not_scored, index_test=index_test, test_positive=tp + fp, test_negative=fn + tn, tp=tp,
                   fp=fp, fn=fn, tn=tn, reference_positive=tp + fn, reference_negative=fp + tn,
                   photos_failed_qc_kept=photos)
        rows.append(row)
    cols = list(STARD_FLOW_COLUMNS)
    cols[cols.index("excluded_qc") + 1:cols.index("excluded_qc") + 1] = [f"excluded_{q}" for q in reasons]
    return pd.DataFrame(rows, columns=cols)


def _draw_stard_panel(ax: Axes, r: pd.Series, reasons: list[str]) -> None:
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    pos, neg = STAGE_CLASS_LABEL[int(r["stage"])]
    fs = FONT.small
    thr = float(r["threshold"])
    _box(ax, 0.32, 0.91, 0.56, 0.12,
         f"Eligible subjects (n={int(r['eligible'])})\n{pos}: {int(r['eligible_positive'])}; "
         f"{neg}: {int(r['eligible_negative'])}", FLOW_BOX_COLOUR["development"], fs)
    lines = [f"Excluded at photo QC (n={int(r['excluded_qc'])})"]
    lines += [f"  {q.replace('_', ' ')}: {int(r[f'excluded_{q}'])}" for q in reasons if int(r[f"excluded_{q}"]) > 0]
    if int(r["not_scored"]):
        lines.append(f"Not scored (n={int(r['not_scored'])})")
    if pd.notna(r.get("photos_failed_qc_kept", np.nan)) and int(r["photos_failed_qc_kept"]):
        lines.append(f"({int(r['photos_failed_qc_kept'])} failed photo(s)\nof subjects kept)")
    text = "\n".join(lines)
    _box(ax, 0.80, 0.765, 0.36, 0.04 + 0.04 * (text.count("\n") + 1), text, FLOW_BOX_COLOUR["validation"], fs)
    _arrow(ax, 0.32, 0.85, 0.32, 0.625)
    _arrow(ax, 0.32, 0.765, 0.62, 0.765)
    _box(ax, 0.32, 0.58, 0.56, 0.09,
         f"Index test: CNN score ({model_label(str(r['model']))})\n(n={int(r['index_test'])})",
         FLOW_BOX_COLOUR["split"], fs)
    colour = FLOW_BOX_COLOUR[f"stage{int(r['stage'])}"]
    for x, label, n, na, nb in ((0.25, f"positive (score ≥ {thr:.3g})", r["test_positive"], r["tp"], r["fp"]),
                                (0.75, f"negative (score < {thr:.3g})", r["test_negative"], r["fn"], r["tn"])):
        _arrow(ax, 0.32, 0.535, x, 0.445)
        _box(ax, x, 0.40, 0.44, 0.09, f"Index test {label}\n(n={int(n)})", colour, fs)
        _arrow(ax, x, 0.355, x, 0.265)
        _box(ax, x, 0.17, 0.44, 0.18, f"Reference standard\n(n={int(n)})\n{pos}: {int(na)}\n{neg}: {int(nb)}", colour,
             fs)
    where = f" chosen on the {r['chosen_on']} split" if str(r.get("chosen_on", "")) not in ("", "nan") else ""
    ax.text(0.5, 0.02, f"operating point: {r['rule']}; threshold {thr:.4g}{where}", ha="center", va="bottom",
            fontsize=FONT.small, style="italic", color="0.35")
    ax.set_title(f"{STAGE_TITLE[int(r['stage'])]}\n{SPLIT_LABEL.get(r['split'], r['split'])}", fontsize=FONT.medium)


def plot_stard_flow(counts: pd.DataFrame, *, fig: Figure | None = None) -> Figure:
    """The STARD 2015 flow diagram of each stage and split: one panel per row of :func:`stard_flow_counts`.

    Each panel follows the STARD template: eligible subjects (by reference standard), those excluded at photo QC
    (by reason), the index test (the CNN score), its positive and negative results at the threshold (chosen on the
    split its ``chosen_on`` names), and the reference standard within each (true and false positives; false and
    true negatives). Stages are rows and splits columns.

    Parameters
    ----------
    counts : pandas.DataFrame
        Output of :func:`stard_flow_counts`.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the panels into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> c = pd.DataFrame([{"stage": 2, "split": "test", "model": "resnet50", "rule": "youden", "threshold": 0.5,
    ...                    "eligible": 4, "eligible_positive": 2, "eligible_negative": 2, "excluded_qc": 1,
    ...                    "excluded_no_face": 1, "not_scored": 0, "index_test": 3, "test_positive": 1,
    ...                    "test_negative": 2, "tp": 1, "fp": 0, "fn": 1, "tn": 1, "reference_positive": 2,
    ...                    "reference_negative": 1, "photos_failed_qc_kept": 0}])
    >>> len(plot_stard_flow(c).axes)
    1
    """
    check_frame(counts, "counts", ("stage", "split", "eligible", "excluded_qc", "index_test", "tp", "fp", "fn", "tn"))
    if counts.empty:
        raise ValueError("counts has no row to draw (see stard_flow_counts)")
    stages = sorted(counts["stage"].unique())
    splits = [s for s in (*schema.SPLITS, *sorted(set(counts["split"]) - set(schema.SPLITS)))
              if (counts["split"] == s).any()]
    reasons = [c.removeprefix("excluded_") for c in counts.columns if c.startswith("excluded_") and c != "excluded_qc"]
    own = fig is None
    fig, axes = new_panels(fig, len(stages), len(splits), grid_figsize("flow", len(stages), len(splits)))
    for i, stage in enumerate(stages):
        for j, split in enumerate(splits):
            sel = counts[(counts["stage"] == stage) & (counts["split"] == split)]
            if sel.empty:
                axes[i][j].axis("off")
                continue
            _draw_stard_panel(axes[i][j], sel.iloc[0], reasons)
    fig.suptitle("STARD flow: photo QC, index test (CNN score) and reference standard", fontsize=FONT.heading)
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
    for i, (_name, n) in enumerate(by_type.items()):
        ax.text(n + total * 0.005, i, f"{int(n)} ({100 * n / total:.1f}%)", va="center", fontsize=FONT.note)
    ax.set_xlim(0, by_type.max() * 1.25)
    ax.set_xlabel("Patients")
    ax.legend(title="Tumour site", fontsize=FONT.note, title_fontsize=FONT.note, loc="lower right")
    ax.set_title(f"Fig 3B: tumour types of the other midline tumours (all datasets, n={total})",
                 fontsize=FONT.heading)
    return finish(fig, own=own)
