"""A check, before any CNN, that the face stacks carry a signal: logistic regression on simple image statistics.

:func:`image_statistics` summarises each subject's 12-channel stack by a few hand-made numbers, averaged over its
photos: mean colour of the central face (R, G, B), saturation, redness (R minus the mean of G and B), brightness of
the eye band relative to the cheek band (dark circles, swollen lids), texture energy of the cheeks (mean absolute
Laplacian: acne, stubble), the spread of brightness over the face (shine), the height of the darkest row of the eye
band (face proportions), and the darkness of the lower face (stubble). :func:`signal_check` fits a standardised
logistic regression on them for each stage and reports the cross-validated AUC (stratified k-fold, seeded). A
reviewer sees how much a simple model already finds, and a CNN should do at least as well; on a real cohort it is a
quick look for capture artefacts.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> stacks = rng.integers(0, 256, (40, 12, 32, 32), dtype=np.uint8)
>>> stats = image_statistics(stacks)
>>> stats.shape
(40, 10)
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.schema import STAGES, stage_label

FEATURES: tuple[str, ...] = ("mean_r", "mean_g", "mean_b", "saturation", "redness", "eye_cheek_ratio",
                             "cheek_texture", "face_spread", "eye_row", "lower_face_dark")


def _photo_stats(rgb: np.ndarray) -> np.ndarray:
    s = rgb.shape[0]
    f = rgb.astype(np.float32)
    c0, c1 = int(0.25 * s), int(0.75 * s)
    centre = f[c0:c1, c0:c1]
    hsv = cv2.cvtColor(rgb[c0:c1, c0:c1], cv2.COLOR_RGB2HSV).astype(np.float32)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    x0, x1 = int(0.2 * s), int(0.8 * s)
    eye = gray[int(0.3 * s):int(0.5 * s), x0:x1]
    cheek = gray[int(0.5 * s):int(0.68 * s), x0:x1]
    lower = gray[int(0.7 * s):int(0.85 * s), int(0.3 * s):int(0.7 * s)]
    lap = np.abs(cv2.Laplacian(gray, cv2.CV_32F))[int(0.5 * s):int(0.75 * s), x0:x1]
    rows = gray[int(0.2 * s):int(0.6 * s), int(0.3 * s):int(0.7 * s)].mean(axis=1)
    return np.array([
        centre[..., 0].mean(), centre[..., 1].mean(), centre[..., 2].mean(),
        hsv[..., 1].mean(),
        (centre[..., 0] - 0.5 * (centre[..., 1] + centre[..., 2])).mean(),
        eye.mean() / max(1.0, cheek.mean()),
        lap.mean(),
        gray[c0:c1, c0:c1].std(),
        (0.2 * s + float(np.argmin(rows))) / s,
        lower.mean() / max(1.0, cheek.mean()),
    ], dtype=np.float64)


def image_statistics(stacks: np.ndarray | list[np.ndarray]) -> pd.DataFrame:
    """Per-subject image statistics (:data:`FEATURES`) of (12, S, S) uint8 stacks, averaged over the 4 photos.

    Parameters
    ----------
    stacks : ndarray (N, 12, S, S) or list of (12, S, S) arrays
        uint8 face stacks (RGB of photo 1, RGB of photo 2, ...).

    Returns
    -------
    DataFrame
        One row per stack, columns :data:`FEATURES`.

    Examples
    --------
    >>> s = np.zeros((1, 12, 16, 16), np.uint8); s[:, 0::3] = 200
    >>> float(image_statistics(s)["redness"].iloc[0])
    200.0
    """
    out = []
    for i, st in enumerate(stacks):
        st = np.asarray(st)
        if st.dtype != np.uint8 or st.ndim != 3 or st.shape[0] != 12 or st.shape[1] != st.shape[2]:
            raise ValueError(f"stacks[{i}] must be a (12, S, S) uint8 array, got {st.dtype} {st.shape}")
        photos = [np.ascontiguousarray(st[3 * k:3 * k + 3].transpose(1, 2, 0)) for k in range(4)]
        out.append(np.mean([_photo_stats(p) for p in photos], axis=0))
    return pd.DataFrame(np.array(out).reshape(-1, len(FEATURES)), columns=list(FEATURES))


def signal_check(stats: pd.DataFrame, groups: pd.Series | np.ndarray | list[str], *, n_splits: int = 5,
                 seed: int = 0, features: tuple[str, ...] = FEATURES) -> pd.DataFrame:
    """Cross-validated AUC of a logistic regression on image statistics, for each stage.

    Parameters
    ----------
    stats : DataFrame
        Output of :func:`image_statistics` (one row per subject).
    groups : sequence of str
        Each subject's group (``NC``, ``iGCT``, ``other``), aligned with ``stats``.
    n_splits : int
        Folds of the stratified k-fold (shuffled with ``seed``).
    seed : int
        Seed of the fold assignment.
    features : tuple of str
        Columns of ``stats`` used.

    Returns
    -------
    DataFrame
        One row per stage: ``stage, comparison, n, n_positive, auc_mean, auc_sd, auc_pooled, n_splits, features``.
        ``auc_pooled`` is the AUC of the out-of-fold scores pooled over folds.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> g = np.array(["NC"] * 60 + ["iGCT"] * 30 + ["other"] * 30)
    >>> st = pd.DataFrame({"a": rng.normal(size=120) + (g != "NC") * 2.0, "b": rng.normal(size=120)})
    >>> res = signal_check(st, g, features=("a", "b"))
    >>> bool(res.loc[res.stage == 1, "auc_mean"].iloc[0] > 0.85)
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    groups = np.asarray(groups, dtype=object)
    if len(groups) != len(stats):
        raise ValueError(f"groups has {len(groups)} entries but stats has {len(stats)} rows")
    missing = [f for f in features if f not in stats.columns]
    if missing:
        raise ValueError(f"stats lacks feature column(s) {missing}")
    if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    X_all = stats[list(features)].to_numpy(dtype=float)
    rows = []
    for stage in sorted(STAGES):
        labels = [stage_label(str(g), stage) for g in groups]
        keep = np.array([lab is not None for lab in labels])
        y = np.array([lab for lab in labels if lab is not None], dtype=int)
        X = X_all[keep]
        n_pos = int(y.sum())
        row = {"stage": stage, "comparison": STAGES[stage]["name"], "n": int(len(y)), "n_positive": n_pos,
               "auc_mean": np.nan, "auc_sd": np.nan, "auc_pooled": np.nan, "n_splits": int(n_splits),
               "features": ",".join(features)}
        if min(n_pos, len(y) - n_pos) >= n_splits:
            cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            aucs, oof = [], np.zeros(len(y))
            for tr, te in cv.split(X, y):
                model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
                model.fit(X[tr], y[tr])
                oof[te] = model.decision_function(X[te])
                aucs.append(roc_auc_score(y[te], oof[te]))
            row.update(auc_mean=float(np.mean(aucs)), auc_sd=float(np.std(aucs, ddof=1)),
                       auc_pooled=float(roc_auc_score(y, oof)))
        rows.append(row)
    return pd.DataFrame(rows)


def cohort_signal_check(paths: RunPaths, manifest_path: str | os.PathLike[str], *, n_splits: int = 5,
                        seed: int = 0) -> pd.DataFrame:
    """:func:`signal_check` on the included subjects of a preprocessed cohort (all splits pooled).

    Reads the run's faces index (``paths.faces_index``, stack paths relative to the run folder) and the manifest's
    ``group`` column. Only
    statistics leave this function: no image is shown, so it is allowed on a real cohort.
    """
    from gvisage_lib.cohort.manifest import load_manifest
    from gvisage_lib.faces.preprocess import load_stack

    faces = pd.read_parquet(paths.faces_index)
    man = load_manifest(manifest_path, validate=False)
    for col in ("subject_id", "group"):
        if col not in man.columns:
            raise ValueError(f"manifest {Path(manifest_path).name}: column {col!r} missing")
    inc = faces.loc[faces["included"].astype(bool), ["subject_id", "stack_path"]]
    inc = inc.merge(man[["subject_id", "group"]], on="subject_id", how="inner", validate="one_to_one")
    stacks = [load_stack(paths.root / p) for p in inc["stack_path"]]
    return signal_check(image_statistics(stacks), inc["group"].to_numpy(), n_splits=n_splits, seed=seed)


def phenotype_ceiling(truth: pd.DataFrame, *, n_splits: int = 5, seed: int = 0) -> pd.DataFrame:
    """Cross-validated AUC of a logistic regression on the twin's true phenotype intensities, for each stage.

    The synthetic twin knows what it drew into every face (``phen_*`` columns of ``truth.csv``, see
    :mod:`gvisage_lib.twin.phenotype`). A model that recovered those intensities exactly from the photos would reach
    this AUC, so it is the ceiling any image model can approach on the twin (all splits pooled, stratified k-fold,
    seeded; same model and folds as :func:`signal_check`).

    Parameters
    ----------
    truth : DataFrame
        The twin's truth table with ``group`` and the phenotype columns.
    n_splits, seed : int
        Folds and fold seed, as in :func:`signal_check`.

    Returns
    -------
    DataFrame
        As :func:`signal_check`.

    Examples
    --------
    >>> from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS
    >>> rng = np.random.default_rng(0)
    >>> g = np.array(["NC"] * 50 + ["iGCT"] * 50 + ["other"] * 50)
    >>> t = pd.DataFrame({c: rng.random(150) for c in PHENOTYPE_COLUMNS}).assign(group=g)
    >>> t.loc[t.group != "NC", "phen_pallor"] += 1.0
    >>> res = phenotype_ceiling(t)  # doctest: +SLOW
    >>> (bool(res.loc[res.stage == 1, "auc_pooled"].iloc[0] > 0.9),
    ...  bool(res.loc[res.stage == 2, "auc_pooled"].iloc[0] < 0.7))
    (True, True)
    """
    from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS

    missing = [c for c in ("group", *PHENOTYPE_COLUMNS) if c not in truth.columns]
    if missing:
        raise ValueError(f"truth lacks column(s) {missing}: the ceiling needs the twin's phenotype intensities")
    return signal_check(truth[list(PHENOTYPE_COLUMNS)], truth["group"].to_numpy(), n_splits=n_splits, seed=seed,
                        features=tuple(PHENOTYPE_COLUMNS))


#: Columns of :func:`twin_ceilings`.
CEILING_COLUMNS: tuple[str, ...] = ("stage", "comparison", "n", "phenotype_ceiling_auc", "image_statistics_auc",
                                    "paper_validation_auc")


def twin_ceilings(signal: pd.DataFrame, paths: RunPaths, *, n_splits: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per stage: the phenotype ceiling, the image-statistics check and the paper's validation AUC side by side.

    ``signal`` is the output of :func:`cohort_signal_check`. The ceiling (:func:`phenotype_ceiling`) is computed on
    the subjects whose faces passed quality control (those the CNN sees; ``paths.faces_index``), with the twin's
    ``paths.truth``. The paper's AUC is GVisageNet's on its
    independent validation set (stage 1 0.938, stage 2 0.739). A user's own cohort has no ``truth.csv``: the result
    is then an empty table with the same columns.

    Examples
    --------
    >>> twin_ceilings(pd.DataFrame(), RunPaths("/nonexistent/run")).columns.tolist()
    ['stage', 'comparison', 'n', 'phenotype_ceiling_auc', 'image_statistics_auc', 'paper_validation_auc']
    """
    tp = paths.truth
    if not tp.is_file():
        return pd.DataFrame(columns=list(CEILING_COLUMNS))
    from gvisage_lib import paper as published

    truth = pd.read_csv(tp, dtype={"subject_id": str})
    faces = pd.read_parquet(paths.faces_index)
    included = set(faces.loc[faces["included"].astype(bool), "subject_id"].astype(str))
    ceiling = phenotype_ceiling(truth[truth["subject_id"].isin(included)], n_splits=n_splits, seed=seed)
    reported = published.candidate_auc()
    out = ceiling[["stage", "comparison", "n"]].copy()
    out["phenotype_ceiling_auc"] = ceiling["auc_pooled"].to_numpy()
    out["image_statistics_auc"] = out["stage"].map(signal.set_index("stage")["auc_pooled"]).to_numpy()
    out["paper_validation_auc"] = [reported.get(("resnet50", int(s), "validation"), np.nan) for s in out["stage"]]
    return out[list(CEILING_COLUMNS)]
