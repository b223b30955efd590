"""Figures of the face step: example twins with their phenotype, preprocessed crops, and QC counts by reason.

Every function that draws a face or a crop calls :func:`gvisage_lib.cohort.privacy.assert_renderable` first and so raises
:class:`gvisage_lib.cohort.privacy.PrivacyError` for any cohort that is not the synthetic twin, whatever the caller asks.
:func:`qc_reason_figure` draws counts only and is allowed on every cohort.

Examples
--------
>>> import pandas as pd, matplotlib
>>> matplotlib.use("Agg")
>>> counts = pd.DataFrame({"reason": ["passed", "no_face"], "n_photos": [10, 2], "pct_photos": [83.3, 16.7]})
>>> fig = qc_reason_figure(counts)
>>> len(fig.axes)
1
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from gvisage_lib.faces.detection import read_image
from gvisage_lib.faces.preprocess import load_stack
from gvisage_lib.cohort.privacy import assert_renderable
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS

_GROUP_ORDER = ("NC", "iGCT", "other")
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
    if not isinstance(n_per_group, (int, np.integer)) or n_per_group < 1:
        raise ValueError(f"n_per_group must be an integer >= 1, got {n_per_group!r}")
    for col in ("subject_id", "group", "endocrine_damage"):
        if col not in truth.columns:
            raise ValueError(f"truth lacks column {col!r}")
    rng = np.random.default_rng(seed)
    out = []
    for g in _GROUP_ORDER:
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
                      n_per_group: int = 4, photo: int = 1, seed: int = 0):
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    assert_renderable(manifest_path)
    mpath = Path(manifest_path)
    tpath = Path(truth_path) if truth_path is not None else mpath.parent / "truth.csv"
    if not 1 <= int(photo) <= 4:
        raise ValueError(f"photo must be 1..4, got {photo!r}")
    truth = pd.read_csv(tpath, dtype={"subject_id": str})
    missing = [c for c in PHENOTYPE_COLUMNS if c not in truth.columns]
    if missing:
        raise ValueError(f"truth file {tpath.name} lacks phenotype column(s) {missing} (render the photos first)")
    ex = pick_examples(truth, n_per_group=n_per_group, seed=seed)
    man = pd.read_csv(mpath, dtype=str, keep_default_na=False).set_index("subject_id")
    assert_renderable(mpath, list(ex["subject_id"]))
    groups = [g for g in _GROUP_ORDER if g in set(ex["group"])]
    ncol = int(ex.groupby("group").size().max())
    fig, axes = plt.subplots(len(groups), ncol, figsize=(2.3 * ncol, 3.4 * len(groups)), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, g in enumerate(groups):
        for j, (_, row) in enumerate(ex[ex["group"] == g].iterrows()):
            img = read_image(mpath.parent / man.at[row["subject_id"], f"photo_{int(photo)}"])
            axes[i, j].imshow(img)
            axes[i, j].set_title(_caption(row), fontsize=7)
    fig.suptitle("Synthetic twins by group (rows: NC, iGCT, other; columns: increasing endocrine damage)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def crops_montage(manifest_path: str | os.PathLike[str], faces: pd.DataFrame, run_root: str | os.PathLike[str],
                  subject_ids: list[str]):
    """The four preprocessed crops (what the CNN sees) of each given subject, one row per subject.

    Raises :class:`~gvisage_lib.cohort.privacy.PrivacyError` for a cohort that is not the synthetic twin.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    assert_renderable(manifest_path, list(subject_ids))
    idx = faces.set_index(faces["subject_id"].astype(str))
    fig, axes = plt.subplots(len(subject_ids), 4, figsize=(6.4, 1.7 * len(subject_ids)), squeeze=False)
    for i, sid in enumerate(subject_ids):
        if sid not in idx.index or not bool(idx.at[sid, "included"]):
            raise ValueError(f"subject {sid!r} has no preprocessed stack (excluded or not in faces)")
        st = load_stack(Path(run_root) / idx.at[sid, "stack_path"])
        for k in range(4):
            axes[i, k].imshow(st[3 * k:3 * k + 3].transpose(1, 2, 0))
            axes[i, k].set_xticks([])
            axes[i, k].set_yticks([])
            if k == 0:
                axes[i, k].set_ylabel(sid, fontsize=7)
            if i == 0:
                axes[i, k].set_title(f"slot {k + 1}", fontsize=8)
    fig.tight_layout()
    return fig


def qc_reason_figure(counts: pd.DataFrame):
    """Bar chart of photos by QC outcome (from :func:`gvisage_lib.faces.preprocess.qc_counts`); no faces drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    for col in ("reason", "n_photos"):
        if col not in counts.columns:
            raise ValueError(f"counts lacks column {col!r}")
    fig, ax = plt.subplots(figsize=(6, 3))
    colours = ["tab:green" if r == "passed" else "tab:red" for r in counts["reason"]]
    ax.barh(counts["reason"], counts["n_photos"], color=colours)
    ax.invert_yaxis()
    ax.set_xscale("symlog")
    for y, n in enumerate(counts["n_photos"]):
        ax.text(n, y, f" {int(n)}", va="center", fontsize=8)
    ax.set_xlabel("photos (symmetric log scale)")
    ax.set_title("Face QC: photos by outcome")
    fig.tight_layout()
    return fig
