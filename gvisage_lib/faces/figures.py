"""Figures of the face step: example twins with their phenotype, preprocessed crops, and QC counts by reason.

Every function that draws a face or a crop calls :func:`gvisage_lib.cohort.privacy.assert_renderable` first and so
raises :class:`gvisage_lib.cohort.privacy.PrivacyError` for any cohort that is not the synthetic twin, whatever the
caller asks.
Photos are read through :func:`gvisage_lib.cohort.privacy.read_twin_photo`, which decodes only bytes whose hash the
twin recorded, from the paths the guard checked.
:func:`plot_qc_reasons` draws counts only and is allowed on every cohort.

The montages draw a grid of panels and accept ``fig``; :func:`plot_qc_reasons` draws one Axes and accepts ``ax``
(:mod:`gvisage_lib.core.style`). Each returns the Figure.

Examples
--------
>>> import pandas as pd, matplotlib
>>> matplotlib.use("Agg")
>>> counts = pd.DataFrame({"reason": ["passed", "no_face"], "n_photos": [10, 2], "pct_photos": [83.3, 16.7]})
>>> fig = plot_qc_reasons(counts)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from gvisage_lib.cohort.manifest import resolve_manifest_path
from gvisage_lib.cohort.privacy import assert_renderable, read_twin_photo
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.style import FIGSIZE, FONT, QC_COLOUR, finish, grid_figsize, new_axes, new_panels
from gvisage_lib.core.validation import check_frame, check_int
from gvisage_lib.faces.preprocess import load_stack
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS

__all__ = ["crops_montage", "phenotype_montage", "pick_examples", "plot_qc_reasons"]

_SHORT = {c: c.removeprefix("phen_") for c in PHENOTYPE_COLUMNS}


def pick_examples(truth: pd.DataFrame, *, n_per_group: int = 4, seed: int = 0) -> pd.DataFrame:
    """Example subjects per group spanning the range of endocrine damage (lowest to highest, evenly spaced ranks).

    Within a group, subjects are ordered by ``endocrine_damage`` (ties broken by a seeded shuffle) and
    ``n_per_group`` evenly spaced ones are taken, so the montage shows mild and marked phenotypes.

    Examples
    --------
    >>> t = pd.DataFrame({"subject_id": list("abcdef"), "group": ["NC"] * 3 + ["iGCT"] * 3,
    ...                   "endocrine_damage": [0, 0, 0, 0.1, 0.5, 0.9]})
    >>> pick_examples(t, n_per_group=2)["subject_id"].tolist()[-2:]
    ['d', 'f']
    """
    check_int("n_per_group", n_per_group, minimum=1)
    for col in ("subject_id", "group", "endocrine_damage"):
        if col not in truth.columns:
            raise ValueError(f"truth lacks column {col!r}")
    rng = np.random.default_rng(seed)
    out = []
    for g in schema.GROUPS:
        sub = truth[truth["group"] == g]
        if sub.empty:
            continue
        sub = sub.iloc[rng.permutation(len(sub))].sort_values("endocrine_damage", kind="stable")
        idx = np.unique(np.linspace(0, len(sub) - 1, min(n_per_group, len(sub))).round().astype(int))
        out.append(sub.iloc[idx])
    return pd.concat(out, ignore_index=True)


def _caption(row: pd.Series) -> str:
    head = f"{row['subject_id']} {row['group']}"
    if "sex" in row and "age_years" in row:
        head += f" {row['sex']} {float(row['age_years']):.0f}y"
    if row.get("group") != "NC" and "hpt_damage" in row:
        head += f"\nHPT {row['hpt_damage']}"
    phen = sorted(((float(row[c]), _SHORT[c]) for c in PHENOTYPE_COLUMNS if c in row), reverse=True)[:3]
    return head + "\n" + ", ".join(f"{n} {v:.2f}" for v, n in phen)


def phenotype_montage(manifest_path: str | os.PathLike[str], *, truth_path: str | os.PathLike[str] | None = None,
                      n_per_group: int = 4, photo: int = 1, seed: int = 0, fig: Figure | None = None) -> Figure:
    """Montage of example twins per group (rows), with group, sex, age, HPT damage and top-3 phenotype values.

    Parameters
    ----------
    manifest_path : path-like
        The twin's manifest; must pass the privacy guard (else :class:`~gvisage_lib.cohort.privacy.PrivacyError`).
    truth_path : path-like, optional
        The twin's ``truth.csv`` with the ``phen_*`` columns (default: beside the manifest).
    n_per_group : int
        Subjects per group (see :func:`pick_examples`).
    photo : int
        Which photo (1..4) to show.
    seed : int
        Seed of the tie-breaking shuffle.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the montage (one row per group, one column per example) into (default: a new one).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import tempfile
    >>> from gvisage_lib.twin import generate_tabular
    >>> from gvisage_lib.twin.render import render_cohort
    >>> m, t = generate_tabular(seed=1, scale=0.05)  # doctest: +SLOW
    >>> keep = m.groupby("group").head(1)["subject_id"]
    >>> d = Path(tempfile.mkdtemp())
    >>> m, t = render_cohort(m[m.subject_id.isin(keep)], t[t.subject_id.isin(keep)], d, seed=1,
    ...                      photo_size=(160, 200), workers=1, progress=False)
    >>> m.to_csv(d / "manifest.csv", index=False); t.to_csv(d / "truth.csv", index=False)
    >>> fig = phenotype_montage(d / "manifest.csv", n_per_group=1)
    >>> len([ax for ax in fig.axes if ax.images])  # one twin of each group
    3
    """
    assert_renderable(manifest_path)
    mpath = resolve_manifest_path(manifest_path)  # the file the guard checked, symbolic links followed
    tpath = Path(truth_path) if truth_path is not None else mpath.parent / "truth.csv"
    if not 1 <= int(photo) <= 4:
        raise ValueError(f"photo must be 1..4, got {photo!r}")
    truth = pd.read_csv(tpath, dtype={"subject_id": str})
    missing = [c for c in PHENOTYPE_COLUMNS if c not in truth.columns]
    if missing:
        raise ValueError(f"truth file {tpath.name} lacks phenotype column(s) {missing} (render the photos first)")
    ex = pick_examples(truth, n_per_group=n_per_group, seed=seed)
    assert_renderable(mpath, list(ex["subject_id"]))
    groups = [g for g in schema.GROUPS if g in set(ex["group"])]
    ncol = int(ex.groupby("group").size().max())
    own = fig is None
    fig, axes = new_panels(fig, len(groups), ncol, grid_figsize("face", len(groups), ncol))
    for ax in axes.ravel():
        ax.axis("off")
    for i, g in enumerate(groups):
        for j, (_, row) in enumerate(ex[ex["group"] == g].iterrows()):
            img = read_twin_photo(mpath, str(row["subject_id"]), int(photo))
            axes[i, j].imshow(img)
            axes[i, j].set_title(_caption(row), fontsize=FONT.small)
    fig.suptitle("Synthetic twins by group (rows: NC, iGCT, other; columns: increasing endocrine damage)",
                 fontsize=FONT.medium)
    return finish(fig, own=own)


def crops_montage(manifest_path: str | os.PathLike[str], faces: pd.DataFrame, paths: RunPaths,
                  subject_ids: list[str], *, fig: Figure | None = None) -> Figure:
    """The four preprocessed crops (what the CNN sees) of each given subject, one row per subject.

    Raises :class:`~gvisage_lib.cohort.privacy.PrivacyError` for a cohort that is not the synthetic twin.

    Parameters
    ----------
    manifest_path : path-like
        The twin's manifest; must pass the privacy guard for ``subject_ids``.
    faces : pandas.DataFrame
        The face table of the preprocessing (``subject_id``, ``included``, ``stack_path``).
    paths : RunPaths
        The run, whose folder the ``stack_path`` values are relative to.
    subject_ids : list of str
        Subjects to show, one row each.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw the montage (one row per subject, four columns) into (default: a new one).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "manifest.csv").write_text("subject_id,photo_1\\nS1,photos/S1_1.jpg\\n")
    >>> crops_montage(d / "manifest.csv", pd.DataFrame(), RunPaths(d), ["S1"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gvisage_lib.cohort.privacy.PrivacyError: refusing to render faces of manifest.csv: no twin.json beside ...
    """
    assert_renderable(manifest_path, list(subject_ids))
    idx = faces.set_index(faces["subject_id"].astype(str))
    own = fig is None
    fig, axes = new_panels(fig, len(subject_ids), 4, grid_figsize("crop", len(subject_ids), 4))
    for i, sid in enumerate(subject_ids):
        if sid not in idx.index or not bool(idx.at[sid, "included"]):
            raise ValueError(f"subject {sid!r} has no preprocessed stack (excluded or not in faces)")
        st = load_stack(paths.root / idx.at[sid, "stack_path"])
        for k in range(4):
            axes[i, k].imshow(st[3 * k:3 * k + 3].transpose(1, 2, 0))
            axes[i, k].set_xticks([])
            axes[i, k].set_yticks([])
            if k == 0:
                axes[i, k].set_ylabel(sid, fontsize=FONT.small)
            if i == 0:
                axes[i, k].set_title(f"slot {k + 1}", fontsize=FONT.note)
    return finish(fig, own=own)


def plot_qc_reasons(counts: pd.DataFrame, *, ax: Axes | None = None) -> Figure:
    """Bar chart of photos by QC outcome (from :func:`gvisage_lib.faces.preprocess.qc_counts`); no faces drawn.

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per QC outcome: ``reason`` ("passed" or why a photo was excluded) and ``n_photos``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw the bar chart into (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> counts = pd.DataFrame({"reason": ["passed", "blurred"], "n_photos": [40, 3]})
    >>> [t.get_text() for t in plot_qc_reasons(counts).axes[0].texts]
    [' 40', ' 3']
    """
    check_frame(counts, "counts", ("reason", "n_photos"))
    own = ax is None
    fig, ax = new_axes(ax, FIGSIZE["strip"])
    colours = [QC_COLOUR["passed"] if r == "passed" else QC_COLOUR["excluded"] for r in counts["reason"]]
    ax.barh(counts["reason"], counts["n_photos"], color=colours)
    ax.invert_yaxis()
    ax.set_xscale("symlog")
    for y, n in enumerate(counts["n_photos"]):
        ax.text(n, y, f" {int(n)}", va="center", fontsize=FONT.note)
    ax.set_xlabel("photos (symmetric log scale)")
    ax.set_title("Face QC: photos by outcome")
    return finish(fig, own=own)
