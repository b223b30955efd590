"""Where the twin drew each planted phenotype, in the coordinates of the preprocessed face crops the CNN sees.

The twin's renderer knows where it draws every phenotype (:func:`gvisage_lib.twin.render.planted_regions`: the
visible face and one region per phenotype, drawn for every subject whatever its intensities). :class:`TwinRegions`
carries those masks through the preprocessing of a run: for each subject it renders the photos again with their masks
(:func:`gvisage_lib.twin.render.render_subject_regions`, from the seed, photo size, capture shift and phenotype
effects recorded in ``twin.json`` and the latent state in ``truth.csv``), cuts every mask with the face box that
preprocessing recorded for the photo (``qc_photos.parquet``) and its margin, resizes it like the crop, and stacks the
photos that passed quality control in the slots of the subject's cached stack (cyclically, as preprocessing does).

Two checks make sure the masks belong to the crops the network saw, and fail loudly otherwise: every re-rendered
photo must have the SHA-256 that ``twin.json`` records for it, and the crop cut from it must equal, byte for byte,
the slot of the cached stack (so the face box, the margin and the image size are those preprocessing used).

Masks are fractions in [0, 1] (area coverage of each crop pixel, from the anti-aliased photo-resolution masks,
shrunk with area interpolation like the crop). Only the synthetic twin has them; a user's cohort has no planted
regions and :class:`TwinRegions` refuses it.

Examples
--------
>>> from gvisage_lib.twin.render import REGION_KEYS
>>> REGION_KEYS[:3]
('face', 'phen_childlike', 'phen_puffiness')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from gvisage_lib.cohort.privacy import is_synthetic_cohort
from gvisage_lib.core import io
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.record import DEFAULT_CROP_MODE, RunRecord
from gvisage_lib.core.schema import PHOTO_COLUMNS
from gvisage_lib.core.validation import check_int
from gvisage_lib.faces import detection as F
from gvisage_lib.faces.preprocess import CROP_MODES, DEFAULT_MARGIN, load_qc_photos, load_stack
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS, PhenotypeEffects, phenotype_from_truth
from gvisage_lib.twin.render import REGION_KEYS, render_subject_regions

__all__ = ["TwinRegions", "crop_mask", "region_areas"]


def crop_mask(mask: np.ndarray, box: tuple[int, int, int, int], *, margin: float, image_size: int) -> np.ndarray:
    """Cut a photo-resolution mask (H, W) as preprocessing cuts the photo
    (:func:`~gvisage_lib.faces.detection.crop_square` then :func:`~gvisage_lib.faces.detection.resize_square`):
    square window about ``box`` widened by ``margin``, then
    resized to ``image_size`` (area interpolation when shrinking, so a value is the covered fraction of the pixel;
    bilinear when enlarging).

    Examples
    --------
    >>> m = np.zeros((100, 100), np.float32); m[40:60, 40:60] = 1
    >>> c = crop_mask(m, (30, 30, 40, 40), margin=0.0, image_size=20)
    >>> c.shape, float(c.sum())
    ((20, 20), 100.0)
    """
    if mask.ndim != 2:
        raise ValueError(f"mask must be a 2-D array, got shape {mask.shape}")
    check_int("image_size", image_size, minimum=8)
    win = F.crop_window(mask.astype(np.float32, copy=False), F.square_window(box, margin=margin))
    shrink = win.shape[0] >= image_size
    out = cv2.resize(win, (int(image_size), int(image_size)),
                     interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    return np.clip(out, 0.0, 1.0)


def region_areas(masks: np.ndarray) -> dict[str, float]:
    """Share of the crop area of the face, of each phenotype's region and of the background, for masks of shape
    (..., len(REGION_KEYS), S, S) (averaged over every leading axis: slots, subjects).

    Examples
    --------
    >>> m = np.zeros((len(REGION_KEYS), 4, 4), np.float32); m[0, :2] = 1; m[1:, 0] = 1
    >>> a = region_areas(m)
    >>> a["face"], a["background"], a["phen_acne"]
    (0.5, 0.5, 0.25)
    """
    if masks.ndim < 3 or masks.shape[-3] != len(REGION_KEYS):
        raise ValueError(f"masks must have shape (..., {len(REGION_KEYS)}, S, S), got {masks.shape}")
    axes = tuple(i for i in range(masks.ndim) if i != masks.ndim - 3)
    mean = masks.mean(axis=axes, dtype=np.float64)
    out = {k: float(v) for k, v in zip(REGION_KEYS, mean)}
    out["background"] = 1.0 - out["face"]
    return out


class TwinRegions:
    """Planted-region masks of the twin's subjects in the coordinates of their cached face stacks.

    Parameters
    ----------
    paths : RunPaths
        Run folder (``faces.parquet``, ``qc_photos.parquet`` and the face cache are read).
    manifest_path : path-like
        The twin's manifest; ``twin.json`` and ``truth.csv`` must sit beside it and the cohort must pass
        :func:`gvisage_lib.cohort.privacy.is_synthetic_cohort` (otherwise ``ValueError``: no planted regions).
    image_size : int
        Side of the cached crops.
    margin : float
        Margin of the face crop that preprocessing used (its default); checked against the cached stacks.
    crop_mode : {"detect", "box", "none"}, optional
        Preprocessing's crop mode (notebook 02's parameter ``crop_mode``). Default: the run's
        (:attr:`gvisage_lib.core.record.RunRecord.crop_mode`; ``"detect"`` when the run folder has no record).
        ``"none"`` crops the centred square without a margin, so ``margin`` is then 0.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "manifest.csv").write_text("subject_id,photo_1\\nS1,a.jpg\\n")
    >>> TwinRegions(RunPaths(d / "run"), d / "manifest.csv", image_size=64)
    Traceback (most recent call last):
    ...
    ValueError: manifest.csv is not the synthetic twin: planted regions exist only for the twin's photos
    """

    def __init__(self, paths: RunPaths, manifest_path: str | os.PathLike[str], *, image_size: int,
                 margin: float = DEFAULT_MARGIN, crop_mode: str | None = None) -> None:
        mpath = Path(manifest_path)
        if crop_mode is None:
            record = RunRecord.load_or_none(paths)
            crop_mode = record.crop_mode if record is not None else DEFAULT_CROP_MODE
        if crop_mode not in CROP_MODES:
            raise ValueError(f"crop_mode must be one of {list(CROP_MODES)}, got {crop_mode!r}")
        self.crop_mode = crop_mode
        if not mpath.is_file() or not is_synthetic_cohort(mpath):
            raise ValueError(f"{mpath.name} is not the synthetic twin: planted regions exist only for the twin's "
                             "photos")
        meta = json.loads((mpath.parent / "twin.json").read_text(encoding="utf-8"))
        try:
            photos = meta["photos"]
            self._seed = int(photos["seed"])
            self._photo_size = (int(photos["photo_size"][0]), int(photos["photo_size"][1]))
            self._capture_shift = float(photos["capture_shift"])
            effects = PhenotypeEffects(**photos["effects"])
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"twin.json beside {mpath.name}: 'photos' record incomplete ({exc!r})") from None
        self._hashes: dict[str, str] = meta["photo_sha256"]
        truth_path = mpath.parent / "truth.csv"
        if not truth_path.is_file():
            raise FileNotFoundError(f"truth table not found beside {mpath.name}: {truth_path.name}")
        truth = pd.read_csv(truth_path, dtype={"subject_id": str})
        # the phenotype exactly as the renderer computed it (truth.csv's phen_* columns are rounded copies)
        self.phenotype = phenotype_from_truth(truth, effects, seed=self._seed).set_index("subject_id")
        man = pd.read_csv(mpath, dtype=str, keep_default_na=False)
        self._manifest = man.set_index("subject_id")
        self._index = {sid: i for i, sid in enumerate(man["subject_id"])}
        self._root = mpath.parent
        faces = pd.read_parquet(paths.faces_index)
        self._faces = faces.set_index(faces["subject_id"].astype(str))
        qc = load_qc_photos(paths)
        self._qc = {sid: g.set_index("photo") for sid, g in qc.assign(subject_id=qc["subject_id"].astype(str))
                    .groupby("subject_id")}
        self._run_root = paths.root
        self.image_size = int(image_size)
        self.margin = 0.0 if crop_mode == "none" else float(margin)

    def intensities(self, subject_id: str) -> dict[str, float]:
        """The subject's phenotype intensities (:data:`~gvisage_lib.twin.phenotype.PHENOTYPE_COLUMNS`) as rendered."""
        if subject_id not in self.phenotype.index:
            raise KeyError(f"subject {subject_id!r} is not in the twin's truth table")
        return {c: float(self.phenotype.at[subject_id, c]) for c in PHENOTYPE_COLUMNS}

    def masks(self, subject_id: str) -> np.ndarray:
        """Masks of one subject's stack: float32 array (4 slots, len(REGION_KEYS), S, S) in [0, 1].

        Slot ``k`` holds the masks of the photo in slot ``k`` of the cached stack (its passing photos in manifest
        order, repeated cyclically). ``ValueError`` names the subject and photo when a re-rendered photo or its crop
        differs from what the run holds.
        """
        sid = str(subject_id)
        if sid not in self._index:
            raise KeyError(f"subject {sid!r} is not in the twin's manifest")
        if sid not in self._faces.index or not bool(self._faces.at[sid, "included"]):
            raise ValueError(f"subject {sid!r} has no preprocessed stack (excluded or not in faces.parquet)")
        stack = load_stack(self._run_root / self._faces.at[sid, "stack_path"], self.image_size)
        row = self._manifest.loc[sid]
        listed = [c for c in PHOTO_COLUMNS if str(row.get(c, "") or "").strip()]
        shift = self._capture_shift if (self._capture_shift > 0 and row.get("group") == "NC") else 0.0
        rendered = render_subject_regions(self._index[sid], sid, str(row["sex"]), float(row["age_years"]),
                                          self.intensities(sid), seed=self._seed, photo_size=self._photo_size,
                                          capture_shift=shift, n_photos=len(PHOTO_COLUMNS))
        qc = self._qc.get(sid)
        if qc is None:
            raise ValueError(f"subject {sid!r} has no rows in qc_photos.parquet")
        passing = []
        for k, col in enumerate(PHOTO_COLUMNS):
            if col not in listed:
                continue
            jpeg, regions = rendered[k]
            rel = str(row[col]).strip()
            if io.sha256_bytes(jpeg) != self._hashes.get(rel):
                raise ValueError(f"subject {sid!r}, column {col!r}: the photo rendered again differs from the one "
                                 "twin.json records (the twin was made by another renderer version)")
            if col in qc.index and bool(qc.at[col, "passed"]):
                box = tuple(int(qc.at[col, c]) for c in ("face_x", "face_y", "face_w", "face_h"))
                passing.append((col, jpeg, regions, box))
        if not passing:
            raise ValueError(f"subject {sid!r} has no photo that passed quality control")
        S = self.image_size
        out = np.empty((len(PHOTO_COLUMNS), len(REGION_KEYS), S, S), np.float32)
        for slot in range(len(PHOTO_COLUMNS)):
            col, jpeg, regions, box = passing[slot % len(passing)]
            crop = F.resize_square(F.crop_square(F.decode_image(jpeg), box, margin=self.margin), S)
            if not np.array_equal(crop.transpose(2, 0, 1), stack[3 * slot:3 * slot + 3]):
                raise ValueError(f"subject {sid!r}, slot {slot + 1} ({col}): the crop cut with the recorded face box "
                                 f"and margin {self.margin} (crop mode {self.crop_mode!r}) differs from the cached "
                                 "stack (preprocessed with another margin or crop mode?)")
            for r, key in enumerate(REGION_KEYS):
                out[slot, r] = crop_mask(regions[key], box, margin=self.margin, image_size=S)
        return out

    def __repr__(self) -> str:
        return (f"TwinRegions({len(self._index)} subjects, image_size={self.image_size}, margin={self.margin}, "
                f"seed={self._seed})")
