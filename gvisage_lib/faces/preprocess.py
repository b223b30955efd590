"""Face preprocessing: crop, quality control, resize and stack a subject's photos into a 12-channel uint8 array.

The paper cropped each photo to the face, resized it to 256x256 and stacked the four photos of a patient into a
12-channel image. :func:`preprocess_cohort` does that for every subject of a manifest.

Crop modes (``crop_mode``)
--------------------------
``"detect"``
    OpenCV Haar frontal-face cascade (:func:`gvisage_lib.faces.detection.detect_faces`); the largest face, expanded by
    ``margin`` of its side on every side into a square (border pixels replicated where the square leaves the photo).
``"box"``
    The face box is given in the manifest: column ``face_box_k`` for ``photo_k`` (k = 1..4), text ``"x,y,w,h"`` in
    pixels of that photo (x, y = top-left corner). A photo without a box, or a box that is not four numbers with
    w, h > 0 that overlaps the photo, is a manifest error (ValueError naming the subject, column and value). The box
    is expanded by ``margin`` like a detected face. The multiple-face check is skipped (the user chose the face).
``"none"``
    The photos are already face crops: a non-square photo is centre-cropped to a square; no detection, no
    face-size check.

Quality control (per photo; reasons, in the order they are checked)
------------------------------------------------------------------
``unreadable``      the file is missing or does not decode as an image.
``no_face``         detect mode: the cascade finds no face.
``multiple_faces``  detect mode: a second face whose area is at least ``multi_face_ratio`` of the largest one and
                    which does not overlap it (intersection under half of the smaller box) - the photo shows two
                    people, and we do not guess which is the subject. Smaller detections are ignored (spurious).
``face_too_small``  detect and box modes: the face's side is under ``min_face_fraction`` of the photo's shorter side
                    (a distant face gives a crop of too few real pixels to resize to ``image_size``).
``blurred``         variance of the Laplacian of the face region (resized to 128x128 first, so independent of the
                    resolution; :func:`gvisage_lib.faces.detection.laplacian_variance`) under ``blur_threshold``.

Notes (per photo; they do not change the QC outcome)
----------------------------------------------------
``alpha_share``     the photo has transparency data (an alpha channel, or a palette's or PNG's transparency): the
                    pipeline's decoder reads colour only, so transparent pixels show the colour stored under them.
                    The share of pixels that are not fully opaque (:func:`gvisage_lib.core.images.alpha_share`);
                    NaN for a photo without transparency data.
``repeat_of``       the photo's bytes are those of an earlier photo of the same subject (one photo given as several
                    views): the column of that photo, "" otherwise. The repeat is QC-ed and stacked like any photo,
                    so the subject's stack holds the same view twice.
``note``            both in words ("" when neither applies); :func:`qc_notes` counts them.

Subjects and fewer photos (documented policy)
---------------------------------------------
A photo that fails QC is dropped; the subject keeps its passing photos. A subject with no passing photo is
excluded (``included=False``) and its ``qc_reason`` lists the reasons of its photos (unique, in check order,
joined by ``";"``). An included subject's stack holds its passing photos in manifest order, repeated cyclically to
fill the four slots (1 photo: 1,1,1,1; 2: 1,2,1,2; 3: 1,2,3,1), and ``n_photos`` records how many passing photos it
holds (a repeated view counts again: see ``repeat_of``). The channels are RGB of slot 1, RGB of slot 2, and so on.

Cache
-----
Each subject's result is cached in ``paths.face_cache`` under ``key`` = SHA-256 of :data:`PREPROCESS_VERSION`,
every parameter, and for each photo slot its column, the SHA-256 of the file's bytes and its box. ``<key>.npy``
holds the stack and ``<key>.json`` the per-photo QC; a rerun with the same photos and parameters reads them and
decodes no image (``cache_hit=True``). Renaming a photo file does not invalidate the cache; changing a pixel does.

Outputs: ``faces.parquet`` (:attr:`RunPaths.faces_index`; one row per subject: ``subject_id, included, qc_reason,
n_photos, stack_path, cache_hit, n_available, cache_key``) and ``qc_photos.parquet`` beside it (one row per
listed photo: ``subject_id, photo, passed, qc_reason, face_x, face_y, face_w, face_h, face_fraction,
sharpness, alpha_share, repeat_of, note``). Neither holds a photo path or file name (privacy: docs/privacy.md).

Examples
--------
>>> import tempfile, pathlib, numpy as np, cv2, pandas as pd
>>> from gvisage_lib.core.paths import RunPaths
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> rng = np.random.default_rng(0)
>>> _ = cv2.imwrite(str(d / "a.png"), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
>>> _ = pd.DataFrame({"subject_id": ["s1"], "photo_1": ["a.png"]}).to_csv(d / "m.csv", index=False)
>>> faces = preprocess_cohort(d / "m.csv", RunPaths(d / "run"), image_size=32, crop_mode="none", workers=1,
...                           progress=False)
>>> faces[["subject_id", "included", "n_photos"]].values.tolist()
[['s1', True, 1]]
>>> load_stack(RunPaths(d / "run").root / faces.stack_path[0]).shape
(12, 32, 32)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from gvisage_lib.core import io
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.progress import Ticker
from gvisage_lib.core.schema import PHOTO_COLUMNS
from gvisage_lib.core.validation import check_int
from gvisage_lib.core.workers import worker_pool
from gvisage_lib.faces import detection as F

#: Bump when the preprocessing output changes for the same inputs and parameters (invalidates the cache).
PREPROCESS_VERSION = "gvisage-preprocess-1"
CROP_MODES: tuple[str, ...] = ("detect", "box", "none")
#: QC reasons, in the order they are checked.
QC_REASONS: tuple[str, ...] = ("unreadable", "no_face", "multiple_faces", "face_too_small", "blurred")
BOX_COLUMNS: tuple[str, ...] = ("face_box_1", "face_box_2", "face_box_3", "face_box_4")
FACES_COLUMNS: tuple[str, ...] = ("subject_id", "included", "qc_reason", "n_photos", "stack_path", "cache_hit",
                                  "n_available", "cache_key")
QC_PHOTO_COLUMNS: tuple[str, ...] = ("subject_id", "photo", "passed", "qc_reason", "face_x", "face_y", "face_w",
                                     "face_h", "face_fraction", "sharpness", "alpha_share", "repeat_of", "note")
#: The notes of the per-photo QC table (module documentation): kind -> what the pipeline does about it.
QC_NOTES: dict[str, str] = {
    "alpha channel": "ignored: transparent pixels show the colour stored under them",
    "repeated view": "QC-ed and stacked like another view: the subject's stack holds the same photo twice",
}

#: Defaults. The twin's faces have a sharpness (Laplacian variance at 128 px) of about 100-600; a photo blurred
#: with a Gaussian of sigma >= 2 px at 320x400 falls under 30.
DEFAULT_BLUR_THRESHOLD = 30.0
DEFAULT_MIN_FACE_FRACTION = 0.15
DEFAULT_MARGIN = 0.2
DEFAULT_MULTI_FACE_RATIO = 0.5
#: The cascade runs on a copy whose longer side is at most this
#: (speed; see :func:`gvisage_lib.faces.detection.detect_faces`).
DEFAULT_DETECT_MAX_SIDE = 200


def _validate_params(image_size: Any, crop_mode: Any, workers: Any, blur_threshold: Any, min_face_fraction: Any,
                     margin: Any, multi_face_ratio: Any) -> None:
    check_int("image_size", image_size, minimum=8)
    if crop_mode not in CROP_MODES:
        raise ValueError(f"crop_mode must be one of {list(CROP_MODES)}, got {crop_mode!r}")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 1):
        raise ValueError(f"workers must be None or an integer >= 1, got {workers!r}")
    for name, value, lo, hi in (("blur_threshold", blur_threshold, 0.0, math.inf),
                                ("min_face_fraction", min_face_fraction, 0.0, 1.0),
                                ("margin", margin, 0.0, 2.0), ("multi_face_ratio", multi_face_ratio, 0.0, 1.0)):
        if not isinstance(value, (int, float, np.floating, np.integer)) or not lo <= float(value) <= hi:
            raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {value!r}")


def parse_box(text: Any, *, subject_id: str = "?", column: str = "face_box") -> tuple[int, int, int, int]:
    """Parse a manifest face box ``"x,y,w,h"`` (pixels; top-left corner, width, height).

    Examples
    --------
    >>> parse_box("10, 20, 30, 40")
    (10, 20, 30, 40)
    >>> parse_box("10,20,0,40", subject_id="S1", column="face_box_1")
    Traceback (most recent call last):
    ...
    ValueError: subject 'S1', column 'face_box_1': box must be 'x,y,w,h' with w, h > 0, got '10,20,0,40'
    """
    parts = str(text).replace(";", ",").split(",") if text is not None else []
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        vals = []
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals) or vals[2] <= 0 or vals[3] <= 0:
        raise ValueError(f"subject {subject_id!r}, column {column!r}: box must be 'x,y,w,h' with w, h > 0, "
                         f"got {text!r}")
    return tuple(int(round(v)) for v in vals)  # type: ignore[return-value]


def _overlap_fraction(a: F.Box, b: F.Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / max(1, min(a[2] * a[3], b[2] * b[3]))


def qc_photo(image: np.ndarray | None, *, crop_mode: str = "detect", box: F.Box | None = None,
             image_size: int = 80, blur_threshold: float = DEFAULT_BLUR_THRESHOLD,
             min_face_fraction: float = DEFAULT_MIN_FACE_FRACTION, margin: float = DEFAULT_MARGIN,
             multi_face_ratio: float = DEFAULT_MULTI_FACE_RATIO,
             detect_max_side: int = DEFAULT_DETECT_MAX_SIDE) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Quality-control and crop one photo.

    Parameters
    ----------
    image : ndarray or None
        RGB uint8 photo; None means it could not be read (QC reason ``unreadable``).
    crop_mode, box, image_size, blur_threshold, min_face_fraction, margin, multi_face_ratio, detect_max_side
        See the module documentation and :func:`preprocess_cohort`.

    Returns
    -------
    (crop, record)
        ``crop``: (image_size, image_size, 3) uint8 face crop, or None if the photo failed QC. ``record``: dict with
        ``passed``, ``qc_reason`` ("" if passed), ``face_x, face_y, face_w, face_h`` (NaN when unknown),
        ``face_fraction`` (face side / shorter photo side) and ``sharpness`` (Laplacian variance of the face).

    Examples
    --------
    >>> crop, rec = qc_photo(np.full((200, 160, 3), 120, np.uint8), crop_mode="detect")
    >>> crop is None, rec["qc_reason"]
    (True, 'no_face')
    """
    rec: dict[str, Any] = {"passed": False, "qc_reason": "", "face_x": np.nan, "face_y": np.nan, "face_w": np.nan,
                           "face_h": np.nan, "face_fraction": np.nan, "sharpness": np.nan}
    if image is None:
        rec["qc_reason"] = "unreadable"
        return None, rec
    F.check_rgb_image(image)
    H, W = image.shape[:2]
    if crop_mode == "none":
        side = min(H, W)
        y0, x0 = (H - side) // 2, (W - side) // 2
        face: F.Box = (x0, y0, side, side)
        m = 0.0
    else:
        if crop_mode == "detect":
            found = F.detect_faces(image, max_side=detect_max_side)
            if not found:
                rec["qc_reason"] = "no_face"
                return None, rec
            face = found[0]
            area = face[2] * face[3]
            others = [b for b in found[1:]
                      if b[2] * b[3] >= multi_face_ratio * area and _overlap_fraction(face, b) < 0.5]
            if others:
                rec.update(zip(("face_x", "face_y", "face_w", "face_h"), face))
                rec["qc_reason"] = "multiple_faces"
                return None, rec
        elif crop_mode == "box":
            if box is None:
                raise ValueError("crop_mode='box' needs a box for every photo")
            face = box
            if face[0] >= W or face[1] >= H or face[0] + face[2] <= 0 or face[1] + face[3] <= 0:
                raise ValueError(f"box {face!r} lies outside the {W}x{H} photo")
        else:
            raise ValueError(f"crop_mode must be one of {list(CROP_MODES)}, got {crop_mode!r}")
        m = margin
    rec.update(zip(("face_x", "face_y", "face_w", "face_h"), (int(v) for v in face)))
    rec["face_fraction"] = max(face[2], face[3]) / min(H, W)
    if crop_mode != "none" and rec["face_fraction"] < min_face_fraction:
        rec["qc_reason"] = "face_too_small"
        return None, rec
    rec["sharpness"] = F.laplacian_variance(image, face)
    if rec["sharpness"] < blur_threshold:
        rec["qc_reason"] = "blurred"
        return None, rec
    rec["passed"] = True
    return F.resize_square(F.crop_square(image, face, margin=m), image_size), rec


def preprocess_params(*, image_size: int, crop_mode: str = "detect", blur_threshold: float = DEFAULT_BLUR_THRESHOLD,
                      min_face_fraction: float = DEFAULT_MIN_FACE_FRACTION, margin: float = DEFAULT_MARGIN,
                      multi_face_ratio: float = DEFAULT_MULTI_FACE_RATIO,
                      detect_max_side: int = DEFAULT_DETECT_MAX_SIDE) -> dict[str, Any]:
    """The checked parameter set of the preprocessing (part of every cache key), for :func:`qc_photo_bytes`.

    Examples
    --------
    >>> preprocess_params(image_size=64)["crop_mode"]
    'detect'
    """
    _validate_params(image_size, crop_mode, None, blur_threshold, min_face_fraction, margin, multi_face_ratio)
    return {"image_size": int(image_size), "crop_mode": crop_mode, "blur_threshold": float(blur_threshold),
            "min_face_fraction": float(min_face_fraction), "margin": float(margin),
            "multi_face_ratio": float(multi_face_ratio), "detector": F.CASCADE_FILE,
            "detect_max_side": int(detect_max_side)}


def qc_photo_bytes(data: bytes | None, params: dict[str, Any],
                   box: F.Box | None = None) -> tuple[np.ndarray | None, dict[str, Any], str]:
    """Decode one photo file's bytes with the pipeline's decoder and quality-control it: the step preprocessing
    applies to every photo, for one photo.

    Parameters
    ----------
    data : bytes or None
        The file's bytes (None: the file could not be read).
    params : dict
        :func:`preprocess_params`.
    box : (x, y, w, h), optional
        The face box (``crop_mode="box"`` only).

    Returns
    -------
    (crop, record, detail)
        As :func:`qc_photo`, plus ``detail``: why an ``unreadable`` photo is unreadable ("" otherwise).

    Examples
    --------
    >>> crop, rec, detail = qc_photo_bytes(b"not an image", preprocess_params(image_size=32))
    >>> rec["qc_reason"], detail
    ('unreadable', 'image: not a readable image (OpenCV cannot decode it)')
    """
    img, detail = None, ""
    if data is None:
        detail = "the file cannot be read"
    else:
        try:
            img = F.decode_image(data)
        except ValueError as exc:
            detail = str(exc)
    crop, rec = qc_photo(img, crop_mode=params["crop_mode"], box=box, image_size=params["image_size"],
                         blur_threshold=params["blur_threshold"], min_face_fraction=params["min_face_fraction"],
                         margin=params["margin"], multi_face_ratio=params["multi_face_ratio"],
                         detect_max_side=params["detect_max_side"])
    return crop, rec, detail


def stack_photos(crops: list[np.ndarray], n_slots: int = 4) -> np.ndarray:
    """Stack RGB crops into a (3 * n_slots, S, S) uint8 array, repeating them cyclically to fill the slots.

    Examples
    --------
    >>> a, b = np.zeros((4, 4, 3), np.uint8), np.ones((4, 4, 3), np.uint8)
    >>> s = stack_photos([a, b])
    >>> s.shape, s[:, 0, 0].tolist()
    ((12, 4, 4), [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1])
    """
    if not crops:
        raise ValueError("crops must hold at least one image")
    shape = crops[0].shape
    for c in crops:
        if c.dtype != np.uint8 or c.ndim != 3 or c.shape != shape or shape[2] != 3 or shape[0] != shape[1]:
            raise ValueError(f"crops must be square RGB uint8 arrays of one shape, got {c.dtype} {c.shape}")
    slots = [crops[i % len(crops)] for i in range(n_slots)]
    return np.ascontiguousarray(np.concatenate([s.transpose(2, 0, 1) for s in slots], axis=0))


def load_stack(path: str | os.PathLike[str], image_size: int | None = None) -> np.ndarray:
    """Load a cached stack: a (12, S, S) uint8 array (pickles refused); ValueError naming the file otherwise.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.npy"
    >>> np.save(p, np.zeros((12, 8, 8), np.uint8))
    >>> load_stack(p, 8).shape
    (12, 8, 8)
    """
    arr = np.load(path, allow_pickle=False)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[0] != 12 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"stack {str(path)!r} must be a (12, S, S) uint8 array, got {arr.dtype} {arr.shape}")
    if image_size is not None and arr.shape[1] != image_size:
        raise ValueError(f"stack {str(path)!r} has side {arr.shape[1]}, expected image_size={image_size}")
    return arr


def _cache_key(params: dict[str, Any], photos: list[tuple[str, str, str]]) -> str:
    h = hashlib.sha256()
    h.update(PREPROCESS_VERSION.encode())
    h.update(json.dumps(params, sort_keys=True).encode())
    for col, digest, box in photos:
        h.update(f"|{col}|{digest}|{box}".encode())
    return h.hexdigest()


def _photo_notes(columns: list[str], digests: list[str], blobs: list[bytes | None]) -> list[dict[str, Any]]:
    """The notes of a subject's photos (module documentation): ``alpha_share``, ``repeat_of`` and ``note``.

    Examples
    --------
    >>> [n["note"] for n in _photo_notes(["photo_1", "photo_2"], ["d1", "d1"], [None, None])]
    ['', 'repeated view: same file content as photo_1']
    """
    from gvisage_lib.core.images import alpha_share

    first: dict[str, str] = {}
    notes = []
    for col, digest, data in zip(columns, digests, blobs):
        share = alpha_share(data) if data is not None else None
        repeat_of = first.get(digest, "") if digest != "missing" else ""
        first.setdefault(digest, col)
        words = []
        if share is not None:
            words.append(f"alpha channel: {100 * share:.0f}% of pixels not opaque, {QC_NOTES['alpha channel']}")
        if repeat_of:
            words.append(f"repeated view: same file content as {repeat_of}")
        notes.append({"alpha_share": np.nan if share is None else share, "repeat_of": repeat_of,
                      "note": "; ".join(words)})
    return notes


def _process_subject(job: tuple[Any, ...]) -> dict[str, Any]:
    """Worker: one subject -> its cache entry (reading it when present, computing and writing it otherwise), with
    the photos' notes (never cached: they are read from the bytes each time)."""
    subject_id, photos, params, cache_dir = job
    cache = Path(cache_dir)
    blobs: list[bytes | None] = []
    keyed = []
    for col, path, box in photos:
        try:
            data = Path(path).read_bytes()
        except OSError:
            data = None
        blobs.append(data)
        keyed.append((col, io.sha256_bytes(data) if data is not None else "missing", box or ""))
    key = _cache_key(params, keyed)
    notes = _photo_notes([c for c, _, _ in photos], [d for _, d, _ in keyed], blobs)
    meta_path, stack_path = cache / f"{key}.json", cache / f"{key}.npy"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not meta["included"] or stack_path.is_file():
            noted = [{**rec, **note} for rec, note in zip(meta["photos"], notes)]
            return {**meta, "photos": noted, "subject_id": subject_id, "cache_hit": True, "cache_key": key}
    cv2.setNumThreads(1)
    crops, records = [], []
    for (col, _, box), data in zip(photos, blobs):
        box_t = parse_box(box, subject_id=subject_id, column=f"face_box_{col[-1]}") if params["crop_mode"] == "box" \
            else None
        try:
            crop, rec, _ = qc_photo_bytes(data, params, box_t)
        except ValueError as exc:
            raise ValueError(f"subject {subject_id!r}, column {col!r}: {exc}") from None
        records.append({"photo": col, **{k: (None if isinstance(v, float) and math.isnan(v) else v)
                                        for k, v in rec.items()}})
        if crop is not None:
            crops.append(crop)
    meta = {"included": bool(crops), "n_photos": len(crops), "photos": records}
    if crops:
        stack = stack_photos(crops)
        with io.atomic_path(stack_path) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, stack, allow_pickle=False)
    io.write_json(meta, meta_path)
    noted = [{**rec, **note} for rec, note in zip(records, notes)]
    return {**meta, "photos": noted, "subject_id": subject_id, "cache_hit": False, "cache_key": key}


def _subject_reason(records: list[dict[str, Any]]) -> str:
    reasons = {r["qc_reason"] for r in records if r["qc_reason"]}
    return ";".join(r for r in QC_REASONS if r in reasons)


def preprocess_cohort(manifest_path: str | os.PathLike[str], paths: RunPaths, *, image_size: int,
                      crop_mode: str = "detect", workers: int | None = None,
                      blur_threshold: float = DEFAULT_BLUR_THRESHOLD,
                      min_face_fraction: float = DEFAULT_MIN_FACE_FRACTION, margin: float = DEFAULT_MARGIN,
                      multi_face_ratio: float = DEFAULT_MULTI_FACE_RATIO,
                      detect_max_side: int = DEFAULT_DETECT_MAX_SIDE, progress: bool = True) -> pd.DataFrame:
    """Crop, quality-control, resize and stack every subject's photos; cache the stacks; write the faces index.

    Parameters
    ----------
    manifest_path : path-like
        Cohort manifest (``subject_id``, ``photo_1``..``photo_4`` relative to its folder; ``face_box_1..4`` for
        ``crop_mode="box"``).
    paths : RunPaths
        Run folder: stacks go to ``paths.face_cache``, the index to ``paths.faces_index`` and the per-photo
        QC table to ``qc_photos.parquet`` beside it.
    image_size : int
        Side of the square crops (the profile's ``image_size``; 256 in the paper).
    crop_mode : {"detect", "box", "none"}
        How the face is found (module documentation).
    workers : int, optional
        Worker processes (None = all cores; 1 = in this process).
    blur_threshold, min_face_fraction, margin, multi_face_ratio : float
        QC thresholds and crop margin (module documentation).
    detect_max_side : int
        Detect mode: the cascade runs on a copy scaled to this longer side (0 = full size); smaller is faster
        but misses small faces.
    progress : bool
        Report progress on the terminal (:mod:`gvisage_lib.core.progress`): a line at most every 30 s and one when
        done; never into a notebook.

    Returns
    -------
    DataFrame
        The faces index (:data:`FACES_COLUMNS`), one row per manifest subject in manifest order; also written to
        ``paths.faces_index``. ``stack_path`` is relative to the run folder ("" for excluded subjects).

    Examples
    --------
    See the module documentation.
    """
    if not isinstance(paths, RunPaths):
        raise TypeError(f"paths must be a RunPaths, got {type(paths).__name__}")
    _validate_params(image_size, crop_mode, workers, blur_threshold, min_face_fraction, margin, multi_face_ratio)
    from gvisage_lib.cohort.manifest import load_manifest

    mpath = Path(manifest_path)
    if not mpath.is_file():
        raise FileNotFoundError(f"manifest not found: {mpath}")
    # the one reader: ids stripped as in every other step, photo paths absolute (validated before the pipeline runs)
    man = load_manifest(mpath, validate=False)
    for col in ("subject_id", "photo_1") + (BOX_COLUMNS[:1] if crop_mode == "box" else ()):
        if col not in man.columns:
            raise ValueError(f"manifest {mpath.name}: column {col!r} missing")
    dup = man["subject_id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise ValueError(f"manifest {mpath.name}: row {row + 2}, column 'subject_id': value "
                         f"{man['subject_id'].iloc[row]!r} is duplicated")
    params = preprocess_params(image_size=image_size, crop_mode=crop_mode, blur_threshold=blur_threshold,
                               min_face_fraction=min_face_fraction, margin=margin, multi_face_ratio=multi_face_ratio,
                               detect_max_side=detect_max_side)
    jobs = []
    for i, r in enumerate(man.to_dict("records")):
        photos = []
        for k, col in enumerate(PHOTO_COLUMNS):
            path = r.get(col, "")
            if not path:
                continue
            box = r.get(BOX_COLUMNS[k], "") if crop_mode == "box" else ""
            box = "" if pd.isna(box) else str(box)
            if crop_mode == "box":
                parse_box(box, subject_id=r["subject_id"], column=BOX_COLUMNS[k])  # fail early, before any work
            photos.append((col, path, box))
        if not photos:
            raise ValueError(f"manifest {mpath.name}: row {i + 2} (subject {r['subject_id']!r}), column 'photo_1' "
                             "is empty")
        jobs.append((r["subject_id"], photos, params, str(paths.face_cache)))
    paths.face_cache.mkdir(parents=True, exist_ok=True)

    n_workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    results: list[dict[str, Any]] = []
    ticker = Ticker("preprocessing faces", len(jobs), unit="subject", enabled=progress)
    if n_workers == 1 or len(jobs) < 8:
        for job in jobs:
            results.append(_process_subject(job))
            ticker.update()
    else:
        chunk = max(1, min(32, len(jobs) // (n_workers * 8)))
        with worker_pool(n_workers) as pool:
            for res in pool.map(_process_subject, jobs, chunksize=chunk):
                results.append(res)
                ticker.update()
    hits = sum(bool(r["cache_hit"]) for r in results)
    ticker.finish(f"{len(results)} subjects, {hits} from the cache, {n_workers} worker(s)")

    rel_cache = os.path.relpath(paths.face_cache, paths.root)
    faces = pd.DataFrame({
        "subject_id": [r["subject_id"] for r in results],
        "included": [bool(r["included"]) for r in results],
        "qc_reason": ["" if r["included"] else _subject_reason(r["photos"]) for r in results],
        "n_photos": [int(r["n_photos"]) for r in results],
        "stack_path": [f"{Path(rel_cache).as_posix()}/{r['cache_key']}.npy" if r["included"] else ""
                       for r in results],
        "cache_hit": [bool(r["cache_hit"]) for r in results],
        "n_available": [len(r["photos"]) for r in results],
        "cache_key": [r["cache_key"] for r in results],
    }, columns=list(FACES_COLUMNS))
    qc = pd.DataFrame([{"subject_id": r["subject_id"], **rec} for r in results for rec in r["photos"]])
    qc = qc.reindex(columns=list(QC_PHOTO_COLUMNS))
    qc["passed"] = qc["passed"].astype(bool)
    for c in ("face_x", "face_y", "face_w", "face_h", "face_fraction", "sharpness", "alpha_share"):
        qc[c] = pd.to_numeric(qc[c], errors="coerce").astype(float)
    for c in ("repeat_of", "note"):
        qc[c] = qc[c].fillna("").astype(str)
    io.write_parquet(faces, paths.faces_index)
    io.write_parquet(qc, qc_photos_path(paths))
    return faces


def qc_photos_path(paths: RunPaths) -> Path:
    """Where :func:`preprocess_cohort` writes the per-photo QC table (beside ``faces.parquet``).

    Examples
    --------
    >>> qc_photos_path(RunPaths("/tmp/r")).name
    'qc_photos.parquet'
    """
    return paths.faces_index.with_name("qc_photos.parquet")


def load_qc_photos(paths: RunPaths) -> pd.DataFrame:
    """The per-photo QC table written by the last :func:`preprocess_cohort` run in ``paths``."""
    p = qc_photos_path(paths)
    if not p.is_file():
        raise FileNotFoundError(f"per-photo QC table not found: {p} (run preprocess_cohort first)")
    return pd.read_parquet(p)


def qc_counts(qc_photos: pd.DataFrame, faces: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts of photos (and, given ``faces``, of excluded subjects) by QC reason, one row per reason + "passed".

    Returns a tidy table ``reason, n_photos, pct_photos[, n_subjects_excluded]``; a subject excluded for several
    reasons counts once under each.

    Examples
    --------
    >>> qc = pd.DataFrame({"passed": [True, False, False], "qc_reason": ["", "blurred", "no_face"]})
    >>> int(qc_counts(qc).set_index("reason").loc["blurred", "n_photos"])
    1
    """
    for col in ("passed", "qc_reason"):
        if col not in qc_photos.columns:
            raise ValueError(f"qc_photos lacks column {col!r}")
    reasons = ("passed",) + QC_REASONS
    lab = np.where(qc_photos["passed"].astype(bool), "passed", qc_photos["qc_reason"].astype(str))
    counts = pd.Series(lab).value_counts().reindex(list(reasons), fill_value=0)
    out = pd.DataFrame({"reason": list(reasons), "n_photos": counts.to_numpy().astype(np.int64)})
    out["pct_photos"] = 100.0 * out["n_photos"] / max(1, len(qc_photos))
    if faces is not None:
        exc = faces.loc[~faces["included"].astype(bool), "qc_reason"].astype(str)
        out["n_subjects_excluded"] = [0 if r == "passed" else int(sum(r in s.split(";") for s in exc))
                                      for r in reasons]
    return out


def qc_notes(qc_photos: pd.DataFrame) -> pd.DataFrame:
    """Photos and subjects with each QC note (:data:`QC_NOTES`), one row per note, and what the pipeline does.

    Returns ``note, n_photos, n_subjects, handling``; a zero row says the note was looked for and not found.

    Examples
    --------
    >>> qc = pd.DataFrame({"subject_id": ["a", "a", "b"], "alpha_share": [np.nan, np.nan, 0.3],
    ...                    "repeat_of": ["", "photo_1", ""]})
    >>> qc_notes(qc)[["note", "n_photos", "n_subjects"]].values.tolist()
    [['alpha channel', 1, 1], ['repeated view', 1, 1]]
    """
    for col in ("subject_id", "alpha_share", "repeat_of"):
        if col not in qc_photos.columns:
            raise ValueError(f"qc_photos lacks column {col!r}")
    flags = {"alpha channel": qc_photos["alpha_share"].notna().to_numpy(),
             "repeated view": (qc_photos["repeat_of"].fillna("").astype(str) != "").to_numpy()}
    rows = [(kind, int(hit.sum()), int(qc_photos.loc[hit, "subject_id"].nunique()), QC_NOTES[kind])
            for kind, hit in flags.items()]
    return pd.DataFrame(rows, columns=["note", "n_photos", "n_subjects", "handling"])


def preprocess_summary(faces: pd.DataFrame) -> pd.DataFrame:
    """One-row-per-measure summary of a faces index: subjects, included, excluded, cache hits, photos used.

    Examples
    --------
    >>> f = pd.DataFrame({"subject_id": ["a", "b"], "included": [True, False], "n_photos": [4, 0],
    ...                   "cache_hit": [True, False]})
    >>> int(preprocess_summary(f).set_index("measure").loc["excluded", "value"])
    1
    """
    for col in ("included", "n_photos", "cache_hit"):
        if col not in faces.columns:
            raise ValueError(f"faces lacks column {col!r}")
    inc = faces["included"].astype(bool)
    rows = [("subjects", len(faces)), ("included", int(inc.sum())), ("excluded", int((~inc).sum())),
            ("cache hits", int(faces["cache_hit"].astype(bool).sum()))]
    rows += [(f"included with {k} distinct photo(s)", int(((faces["n_photos"] == k) & inc).sum()))
             for k in (1, 2, 3, 4)]
    return pd.DataFrame(rows, columns=["measure", "value"])


def excluded_subjects(faces: pd.DataFrame) -> pd.DataFrame:
    """The excluded subjects (pseudonymous ``subject_id``) with the QC reasons of their photos.

    Examples
    --------
    >>> f = pd.DataFrame({"subject_id": ["a", "b"], "included": [True, False], "qc_reason": ["", "no_face"],
    ...                   "n_available": [4, 2]})
    >>> excluded_subjects(f).values.tolist()
    [['b', 'no_face', 2]]
    """
    for col in ("subject_id", "included", "qc_reason", "n_available"):
        if col not in faces.columns:
            raise ValueError(f"faces lacks column {col!r}")
    out = faces.loc[~faces["included"].astype(bool), ["subject_id", "qc_reason", "n_available"]]
    return out.rename(columns={"n_available": "n_photos_listed"}).reset_index(drop=True)
