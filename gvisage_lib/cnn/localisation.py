"""The localisation score of Fig 5C (synthetic twin only): how much of a subject's attribution falls on the region
where each phenotype was planted, against the region's area and against where the region usually lies.

The twin knows where each phenotype is drawn (:mod:`gvisage_lib.faces.regions`; regions in
:data:`gvisage_lib.twin.render.REGION_DESCRIPTIONS`). For a subject, a method and a phenotype, each photo's
attribution is split by that photo's masks into the share on the **planted region**, on the **rest of the face** and
on the **background** (everything outside the visible face: hair, ears, neck, clothes, backdrop); the three add up
to 1. The same split of the crop area gives the area shares, and **enrichment = share / area share** (1 = no more
attribution than the area predicts; for a group, the ratio of the mean share to the mean area share, with a
percentile bootstrap 95% CI over subjects). Grad-CAM's map applies to the four photos alike, so its split uses each
photo's masks with a quarter of the map. Four phenotypes change the whole face (``region_kind == "face"``: childlike
and mature proportions, puffiness, pallor): their region is the face, so their rows measure face against background
only. Rows come per stage, method and group of the stage, and for ``carriers``: the stage's sampled subjects, of any
group, whose intensity of the phenotype is at least :data:`CARRIER_INTENSITY` (where the feature is visibly drawn).

Enrichment over the area share rewards any map that favours the middle of the crop, where faces and most regions
are (a blurred, centred map of a network that uses nothing in particular scores well above 1 on the eyes). So each
row also carries a **null share**: every subject's map split by the mean region of the *other* subjects of the
stage's sample (their photos pooled), i.e. the share expected from where the region usually lies in the crop, and
**enrichment_vs_null = share / null share**, above 1 only when the attribution follows the subject's own feature
rather than the average face position. Where a network *looks* is not what it *uses*: the causal test is the region
occlusion of :mod:`gvisage_lib.cnn.occlusion`.

Examples
--------
>>> m = np.zeros((1, 1, len(MASK_KEYS), 2, 2), np.uint8); m[0, 0, :, 0, :] = 255
>>> s = localisation_shares(np.array([[[[1.0, 1.0], [2.0, 0.0]]]]), m, keys=MASK_KEYS)
>>> float(s["phen_beard"][0]), float(s["area:phen_beard"][0])
(0.5, 0.5)
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.stats.bootstrap import bootstrap_indices
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS
from gvisage_lib.twin.render import FACE_WIDE_PHENOTYPES, REGION_KEYS

__all__ = ["CARRIER_INTENSITY", "LOCALISATION_COLUMNS", "LOCALISATION_SUBJECT_COLUMNS", "MASK_KEYS",
           "localisation_pivot", "localisation_shares", "localisation_table", "region_key", "twin_masks"]

#: Intensity from which a subject counts as a carrier of a phenotype (rows ``group == "carriers"``).
CARRIER_INTENSITY: float = 0.5
#: Columns of the localisation table.
LOCALISATION_COLUMNS: tuple[str, ...] = (
    "stage", "model", "method", "map_side", "group", "phenotype", "region_kind", "n", "n_zero_maps",
    "mean_intensity", "share_region", "share_rest_of_face", "share_background", "area_region", "area_rest_of_face",
    "area_background", "enrichment_region", "enrichment_region_ci_low", "enrichment_region_ci_high",
    "enrichment_rest_of_face", "enrichment_background", "share_region_null", "enrichment_vs_null")
#: Columns of the per-subject localisation table.
LOCALISATION_SUBJECT_COLUMNS: tuple[str, ...] = (
    "stage", "method", "group", "subject_id", "phenotype", "intensity", "share_region", "share_face", "area_region",
    "area_face", "share_region_null")
_N_BOOT = 1000


#: The distinct planted regions (the whole-face phenotypes' region is the face): the masks kept per subject.
MASK_KEYS: tuple[str, ...] = ("face", *(k for k in PHENOTYPE_COLUMNS if k not in FACE_WIDE_PHENOTYPES))


def region_key(phenotype: str) -> str:
    """The mask (of :data:`MASK_KEYS`) of a phenotype's planted region: its own, or the face for a whole-face one.

    Examples
    --------
    >>> region_key("phen_beard"), region_key("phen_pallor")
    ('phen_beard', 'face')
    """
    if phenotype not in PHENOTYPE_COLUMNS:
        raise ValueError(f"phenotype must be one of {list(PHENOTYPE_COLUMNS)}, got {phenotype!r}")
    return "face" if phenotype in FACE_WIDE_PHENOTYPES else phenotype


def twin_masks(regions: Any, subject_ids: Sequence[str]) -> np.ndarray:
    """uint8 coverage masks (N, P, len(MASK_KEYS), S, S) of the subjects (a quarter of float32's memory).

    ``regions`` is a :class:`gvisage_lib.faces.regions.TwinRegions` (anything with its ``masks(subject_id)``).

    Examples
    --------
    >>> class Flat:
    ...     def masks(self, sid): return np.full((4, len(REGION_KEYS), 2, 2), 0.5, np.float32)
    >>> twin_masks(Flat(), ["a", "b"]).shape, int(twin_masks(Flat(), ["a"]).max())
    ((2, 4, 6, 2, 2), 128)
    """
    if not len(subject_ids):
        raise ValueError("subject_ids must not be empty")
    idx = [REGION_KEYS.index(k) for k in MASK_KEYS]
    first = regions.masks(subject_ids[0])
    out = np.empty((len(subject_ids), first.shape[0], len(idx), *first.shape[2:]), np.uint8)
    for i, sid in enumerate(subject_ids):
        m = first if i == 0 else regions.masks(sid)
        out[i] = np.rint(m[:, idx] * 255.0).astype(np.uint8)
    return out


def localisation_shares(maps: np.ndarray, masks: np.ndarray, *, keys: Sequence[str] = REGION_KEYS,
                        null_masks: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Split each subject's attribution by its planted-region masks.

    Parameters
    ----------
    maps : numpy.ndarray
        Attribution mass (N, P, S, S), non-negative.
    masks : numpy.ndarray
        Region masks (N, P, K, S, S): fractions in [0, 1] (float), or uint8 coverage in 0..255 (divided by 255);
        region ``r`` is ``keys[r]`` (:meth:`gvisage_lib.faces.regions.TwinRegions.masks` gives all of
        :data:`~gvisage_lib.twin.render.REGION_KEYS`).
    keys : sequence of str
        Names of the K regions.
    null_masks : numpy.ndarray, optional
        (N, K, S, S) masks to split each subject's map by instead, photo by photo alike (the null: where the
        regions of the *other* subjects lie on average); gives ``"null:<key>"``.

    Returns
    -------
    dict
        ``<key>`` -> (N,) share of the subject's attribution on that region (NaN for a subject whose map is zero
        everywhere), ``"area:<key>"`` -> (N,) share of the crop area, and ``"null:<key>"`` with ``null_masks``.

    Examples
    --------
    >>> m = np.zeros((1, 1, len(REGION_KEYS), 2, 2), np.float32); m[0, 0, :, 0, 0] = 1
    >>> a = np.array([[[[3.0, 1.0], [0.0, 0.0]]]])
    >>> s = localisation_shares(a, m)
    >>> float(s["phen_acne"][0]), float(s["area:phen_acne"][0])
    (0.75, 0.25)
    """
    k = len(keys)
    if maps.ndim != 4 or masks.ndim != 5 or masks.shape[:2] != maps.shape[:2] or masks.shape[3:] != maps.shape[2:] \
            or masks.shape[2] != k:
        raise ValueError(f"maps (N, P, S, S) and masks (N, P, {k}, S, S) disagree: {maps.shape}, {masks.shape}")
    if null_masks is not None and null_masks.shape != (masks.shape[0], k, *maps.shape[2:]):
        raise ValueError(f"null_masks must have shape {(masks.shape[0], k, *maps.shape[2:])}, got {null_masks.shape}")
    if (maps < 0).any():
        raise ValueError("maps must be non-negative (attribution mass)")
    scale = 255.0 if masks.dtype == np.uint8 else 1.0
    a = maps.astype(np.float64)
    total = a.sum(axis=(1, 2, 3))
    mass = np.einsum("npij,nprij->nr", a, masks.astype(np.float64)) / scale
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[:, None] > 0, mass / total[:, None], np.nan)
    area = masks.mean(axis=(1, 3, 4), dtype=np.float64) / scale
    out = {key: share[:, r] for r, key in enumerate(keys)}
    out.update({f"area:{key}": area[:, r] for r, key in enumerate(keys)})
    if null_masks is not None:
        null = np.einsum("nij,nrij->nr", a.sum(axis=1), null_masks.astype(np.float64)) / scale
        with np.errstate(invalid="ignore", divide="ignore"):
            null = np.where(total[:, None] > 0, null / total[:, None], np.nan)
        out.update({f"null:{key}": null[:, r] for r, key in enumerate(keys)})
    return out


def _ratio_ci(num: np.ndarray, den: np.ndarray, seed: int) -> tuple[float, float]:
    """Percentile bootstrap 95% CI (subjects resampled) of mean(num) / mean(den)."""
    if len(num) < 2:
        return float("nan"), float("nan")
    idx = bootstrap_indices(np.zeros(len(num), int), n_boot=_N_BOOT, seed=seed, stratified=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = num[idx].mean(axis=1) / den[idx].mean(axis=1)
    lo, hi = np.nanquantile(ratio, [0.025, 0.975])
    return float(lo), float(hi)


def localisation_table(per_subject: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Group summary of the per-subject shares (columns :data:`LOCALISATION_COLUMNS`, without model and map side).

    ``per_subject`` has one row per stage, method, group, subject and phenotype with ``intensity``,
    ``share_region``, ``share_face``, ``area_region``, ``area_face`` and, optionally, ``share_region_null`` (the
    share of the subject's map on the other subjects' mean region; ``enrichment_vs_null`` is the ratio of the
    means); rows whose shares are NaN (a map zero everywhere) count in ``n_zero_maps`` only. Besides the groups,
    ``carriers`` pools the subjects of a stage whose
    intensity is at least :data:`CARRIER_INTENSITY`.

    Examples
    --------
    >>> ps = pd.DataFrame({"stage": 1, "method": "gradcam", "group": ["NC", "NC"], "subject_id": ["a", "b"],
    ...                    "phenotype": "phen_acne", "intensity": [0.0, 0.9], "share_region": [0.2, 0.4],
    ...                    "share_face": [0.5, 0.8], "area_region": [0.1, 0.1], "area_face": [0.3, 0.3]})
    >>> t = localisation_table(ps)
    >>> t[["group", "n", "share_region", "enrichment_region"]].round(3).values.tolist()
    [['NC', 2, 0.3, 3.0], ['carriers', 1, 0.4, 4.0]]
    """
    missing = [c for c in LOCALISATION_SUBJECT_COLUMNS if c not in per_subject.columns and c != "share_region_null"]
    if missing:
        raise ValueError(f"per_subject lacks column(s) {missing}")
    rows = []
    if "share_region_null" not in per_subject.columns:
        per_subject = per_subject.assign(share_region_null=np.nan)
    carriers = per_subject[per_subject["intensity"] >= CARRIER_INTENSITY].assign(group="carriers")
    data = pd.concat([per_subject, carriers], ignore_index=True)
    order = {g: i for i, g in enumerate((*schema.GROUPS, "carriers"))}
    data = data.assign(_g=data["group"].map(order), _p=data["phenotype"].map(PHENOTYPE_COLUMNS.index))
    for (stage, method, _g, _p), g in data.groupby(["stage", "method", "_g", "_p"], sort=True):
        ok = g[g["share_region"].notna()]
        phen = str(g["phenotype"].iloc[0])
        sr, sf = ok["share_region"].to_numpy(float), ok["share_face"].to_numpy(float)
        ar, af = ok["area_region"].to_numpy(float), ok["area_face"].to_numpy(float)
        sn = ok["share_region_null"].to_numpy(float)
        m = {k: float(v.mean()) if len(v) else float("nan")
             for k, v in (("sr", sr), ("sf", sf), ("ar", ar), ("af", af), ("sn", sn))}
        rest, area_rest = m["sf"] - m["sr"], m["af"] - m["ar"]
        crc = zlib.crc32(f"{stage}|{method}|{g['group'].iloc[0]}|{phen}".encode())
        lo, hi = _ratio_ci(sr, ar, seed=int(np.random.SeedSequence([int(seed), crc]).generate_state(1)[0]))

        def ratio(a: float, b: float) -> float:
            return a / b if b > 0 else float("nan")

        rows.append({
            "stage": int(stage), "method": method, "group": g["group"].iloc[0], "phenotype": phen,
            "region_kind": "face" if phen in FACE_WIDE_PHENOTYPES else "local", "n": len(ok),
            "n_zero_maps": int(len(g) - len(ok)), "mean_intensity": float(g["intensity"].mean()),
            "share_region": m["sr"], "share_rest_of_face": rest, "share_background": 1.0 - m["sf"],
            "area_region": m["ar"], "area_rest_of_face": area_rest, "area_background": 1.0 - m["af"],
            "enrichment_region": ratio(m["sr"], m["ar"]), "enrichment_region_ci_low": lo,
            "enrichment_region_ci_high": hi, "enrichment_rest_of_face": ratio(rest, area_rest),
            "enrichment_background": ratio(1.0 - m["sf"], 1.0 - m["af"]), "share_region_null": m["sn"],
            "enrichment_vs_null": ratio(m["sr"], m["sn"]),
        })
    cols = [c for c in LOCALISATION_COLUMNS if c not in ("model", "map_side")]
    return pd.DataFrame(rows, columns=cols)


def localisation_pivot(table: pd.DataFrame, value: str = "enrichment_region", *,
                       region_kind: str | None = "local") -> pd.DataFrame:
    """The localisation table at a glance: one row per stage, method and phenotype, one column per group.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`localisation_table` (or the ``fig5c_localisation`` table).
    value : str
        Column shown (default the region's enrichment).
    region_kind : {"local", "face"} or None
        Phenotypes kept: drawn in a part of the face (default), over the whole face, or all (None).

    Examples
    --------
    >>> t = pd.DataFrame({"stage": 1, "method": "gradcam", "group": ["NC", "iGCT"], "phenotype": "phen_beard",
    ...                   "region_kind": "local", "enrichment_region": [1.0, 2.5]})
    >>> localisation_pivot(t).columns.tolist()
    ['NC', 'iGCT']
    """
    if value not in table.columns:
        raise ValueError(f"value must be a column of the table, got {value!r}")
    if region_kind not in ("local", "face", None):
        raise ValueError(f"region_kind must be 'local', 'face' or None, got {region_kind!r}")
    t = table if region_kind is None else table[table["region_kind"] == region_kind]
    order = [g for g in (*schema.GROUPS, "carriers") if g in set(t["group"])]
    out = t.pivot_table(index=["stage", "method", "phenotype"], columns="group", values=value, aggfunc="first",
                        sort=False, dropna=False)
    out.columns.name = None
    return out.reindex(columns=order)
