"""Face stacks as tensors for training: subject tables per stage, stack loading, augmentation, normalisation.

Inputs are the manifest (``subject_id, group, split``) and the faces index written by preprocessing
(``faces.parquet``: ``subject_id, included, stack_path`` relative to the run folder). Each stack is a uint8 array of
shape (12, S, S): 4 RGB photos in order.

Stacks are held in memory as one uint8 tensor (about 100 MB for the full twin at 80 px, 1.1 GB at 256 px) and
batches are cut from it, so no DataLoader workers are needed and every random draw comes from one seeded
``torch.Generator`` (deterministic on the CPU, identical batches on any device).

Augmentation (face-appropriate; documented choice)
--------------------------------------------------
* **Geometry, one transform per stack**: the 4 photos of a subject are aligned crops of the same face, and the
  network sees them as 12 registered channels, so all 4 photos get the *same* small random similarity transform:
  shift up to ±6 % of the side, scale 0.92-1.08, rotation up to ±5°, edges padded by replication.
* **Horizontal flip, one decision per stack** (probability 0.5), applied identically to the 4 photos: a face and
  its mirror image belong to the same class; flipping the photos independently would break the registration.
  **No vertical flips** (an upside-down face is not a face photo).
* **Photometry, independently per photo**: the photos were taken at different times under different light, so each
  photo gets its own brightness shift (±0.08 on the [0, 1] scale) and contrast factor (0.9-1.1 about its mean).
  The jitter is kept small so that skin-tone differences, a plausible facial sign of endocrine disease, survive.

Normalisation uses the ImageNet RGB mean and standard deviation repeated for the 4 photos, which is what inflated
ImageNet weights (``models.build_model(weights=...)``) expect.

Examples
--------
>>> import torch
>>> x = torch.full((2, 12, 16, 16), 128, dtype=torch.uint8)
>>> y = augment_batch(to_float(x), torch.Generator().manual_seed(0))
>>> tuple(y.shape), bool((y >= 0).all() and (y <= 1).all())
((2, 12, 16, 16), True)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from gvisage_lib.cohort.manifest import load_manifest
from gvisage_lib.core import schema
from gvisage_lib.faces.preprocess import load_stack

__all__ = [
    "AUGMENT",
    "StackSet",
    "apply_augment",
    "augment_batch",
    "draw_augment",
    "load_stacks",
    "load_subjects",
    "normalise",
    "prepare_batch",
    "stage_subjects",
    "to_float",
    "write_synthetic_stacks",
]

#: Augmentation parameters (see the module docstring); part of each training run's configuration hash.
AUGMENT: dict[str, float] = {
    "max_shift": 0.06, "max_scale": 0.08, "max_rotate_deg": 5.0, "p_hflip": 0.5,
    "max_brightness": 0.08, "max_contrast": 0.10,
}

_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class StackSet:
    """Subjects, their uint8 stacks (N, C, S, S) and binary labels (N,), aligned by position."""

    subject_ids: tuple[str, ...]
    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        n = len(self.subject_ids)
        if self.x.dtype != torch.uint8 or self.x.ndim != 4:
            raise ValueError(f"x must be a uint8 tensor (N, C, S, S), got {self.x.dtype} {tuple(self.x.shape)}")
        if self.x.shape[0] != n or self.y.shape != (n,):
            raise ValueError(f"x {tuple(self.x.shape)}, y {tuple(self.y.shape)} and {n} subject ids disagree")

    def __len__(self) -> int:
        return len(self.subject_ids)

    def subset(self, mask: np.ndarray | Sequence[bool]) -> StackSet:
        """Rows where ``mask`` is True."""
        m = np.asarray(mask, dtype=bool)
        idx = torch.from_numpy(np.flatnonzero(m))
        return StackSet(tuple(s for s, k in zip(self.subject_ids, m) if k), self.x[idx], self.y[idx])


def _read_manifest(manifest_path: Path) -> pd.DataFrame:
    # The manifest was validated (photos opened) by the cohort and preprocessing steps that wrote faces.parquet;
    # here it is only read, typed, without opening the photos again.
    if not manifest_path.is_file():
        raise FileNotFoundError(f"manifest not found: {manifest_path}")
    df = load_manifest(manifest_path, validate=False)
    missing = [c for c in ("subject_id", "group", "split") if c not in df.columns]
    if missing:
        raise ValueError(f"manifest {manifest_path}: column(s) {missing} missing")
    return df


def load_subjects(manifest_path: str | os.PathLike[str], faces_index: str | os.PathLike[str],
                  run_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Included subjects with their group, split and absolute stack path.

    Parameters
    ----------
    manifest_path : path-like
        Cohort manifest (``subject_id``, ``group``, ``split`` are read).
    faces_index : path-like
        ``faces.parquet`` written by preprocessing (``subject_id``, ``included``, ``stack_path``).
    run_dir : path-like
        Run folder; ``stack_path`` is relative to it.

    Returns
    -------
    pandas.DataFrame
        ``subject_id, group, split, stack_path`` for subjects that passed face QC, in manifest order.

    Examples
    --------
    >>> import tempfile
    >>> root = write_synthetic_stacks(tempfile.mkdtemp(), n_per_group=2, image_size=8, seed=0)
    >>> load_subjects(root / "manifest.csv", root / "faces.parquet", root).shape
    (18, 4)
    """
    manifest_path, faces_index, run_dir = Path(manifest_path), Path(faces_index), Path(run_dir)
    man = _read_manifest(manifest_path)
    if not faces_index.is_file():
        raise FileNotFoundError(f"faces index not found: {faces_index} (run the preprocessing notebook first)")
    faces = pd.read_parquet(faces_index)
    missing = [c for c in ("subject_id", "included", "stack_path") if c not in faces.columns]
    if missing:
        raise ValueError(f"faces index {faces_index}: column(s) {missing} missing")
    for col, allowed in (("group", schema.GROUPS), ("split", schema.SPLITS)):
        bad = ~man[col].isin(allowed)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(f"manifest {manifest_path}: row {row + 2}, column {col!r}: value "
                             f"{man[col].iloc[row]!r} not in {list(allowed)}")
    faces = faces.assign(subject_id=faces["subject_id"].astype(str))
    inc = faces.loc[faces["included"].astype(bool), ["subject_id", "stack_path"]]
    df = man[["subject_id", "group", "split"]].assign(subject_id=lambda d: d["subject_id"].astype(str))
    df = df.merge(inc, on="subject_id", how="inner", validate="one_to_one")
    df["stack_path"] = [str(run_dir / p) for p in df["stack_path"]]
    return df.reset_index(drop=True)


def stage_subjects(subjects: pd.DataFrame, stage: int) -> pd.DataFrame:
    """Subjects taking part in ``stage`` with their binary ``label`` (``schema.stage_label``).

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a", "b", "c"], "group": ["NC", "iGCT", "other"]})
    >>> stage_subjects(df, 2)[["subject_id", "label"]].values.tolist()
    [['b', 1], ['c', 0]]
    """
    labels = [schema.stage_label(g, stage) for g in subjects["group"]]
    keep = np.array([lab is not None for lab in labels], dtype=bool)
    out = subjects.loc[keep].copy()
    out["label"] = np.array([lab for lab in labels if lab is not None], dtype=np.int64)
    return out.reset_index(drop=True)


def load_stacks(paths: Sequence[str], image_size: int, in_channels: int = 12) -> torch.Tensor:
    """Read stacks into one uint8 tensor of shape (N, in_channels, image_size, image_size).

    A stack of another shape or dtype is an error naming the file (e.g. a cache built for another image size).

    Examples
    --------
    >>> import tempfile
    >>> root = write_synthetic_stacks(tempfile.mkdtemp(), n_per_group=1, image_size=8, seed=0)
    >>> subj = load_subjects(root / "manifest.csv", root / "faces.parquet", root)
    >>> load_stacks(subj["stack_path"], 8).shape
    torch.Size([9, 12, 8, 8])
    """
    out = torch.empty((len(paths), in_channels, image_size, image_size), dtype=torch.uint8)
    for i, p in enumerate(paths):
        arr = np.asarray(load_stack(p))
        if arr.dtype != np.uint8 or arr.shape != (in_channels, image_size, image_size):
            raise ValueError(f"stack {p}: expected uint8 {(in_channels, image_size, image_size)}, got "
                             f"{arr.dtype} {arr.shape} (preprocessed for another image_size?)")
        out[i] = torch.from_numpy(np.ascontiguousarray(arr))
    return out


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 stacks -> float32 in [0, 1]."""
    return x.float().div_(255.0)


def normalise(x: torch.Tensor) -> torch.Tensor:
    """Subtract the ImageNet RGB mean and divide by its SD, photo by photo (channels in groups of 3).

    Examples
    --------
    >>> normalise(torch.full((1, 6, 1, 1), 0.485))[0, :, 0, 0].tolist()[::3]
    [0.0, 0.0]
    """
    c = x.shape[1]
    if c % 3:
        raise ValueError(f"x must have a multiple of 3 channels, got {c}")
    mean, std = _norm_constants(c, x.dtype, x.device)
    return (x - mean) / std


_NORM_CACHE: dict[tuple[int, torch.dtype, torch.device], tuple[torch.Tensor, torch.Tensor]] = {}


def _norm_constants(c: int, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The (1, c, 1, 1) mean and SD tensors, made once per channel count, dtype and device: no host-to-device copy
    per batch (which a CUDA graph capture would refuse)."""
    key = (c, dtype, device)
    if key not in _NORM_CACHE:
        _NORM_CACHE[key] = (torch.tensor(_IMAGENET_MEAN * (c // 3), dtype=dtype, device=device).view(1, c, 1, 1),
                            torch.tensor(_IMAGENET_STD * (c // 3), dtype=dtype, device=device).view(1, c, 1, 1))
    return _NORM_CACHE[key]


def draw_augment(n: int, channels: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random numbers of one batch's augmentation, drawn on the CPU from ``generator``.

    Returns ``(u, v)``: ``u`` (n, 5) uniform numbers for shift x, shift y, scale, rotation and flip of each stack,
    ``v`` (n, channels / 3, 2) for the brightness and contrast of each photo. :func:`augment_batch` is
    ``apply_augment(x, *draw_augment(...))``; the training loop draws a whole epoch's numbers in step order first
    (the same stream, so the same numbers) and moves them to the device in one copy.

    Examples
    --------
    >>> u, v = draw_augment(2, 12, torch.Generator().manual_seed(0))
    >>> tuple(u.shape), tuple(v.shape)
    ((2, 5), (2, 4, 2))
    """
    if channels % 3:
        raise ValueError(f"channels must be a multiple of 3, got {channels}")
    u = torch.rand((n, 5), generator=generator)  # shift x, shift y, scale, rotation, flip
    v = torch.rand((n, channels // 3, 2), generator=generator)
    return u, v


def apply_augment(x: torch.Tensor, u: torch.Tensor, v: torch.Tensor,
                  params: dict[str, float] | None = None) -> torch.Tensor:
    """Augment a float batch (N, C, S, S) in [0, 1] with the random numbers ``u``, ``v`` of :func:`draw_augment`.

    Everything runs on ``x``'s device (``u`` and ``v`` are moved there if they are elsewhere), so on a GPU the
    augmentation costs no host work beyond launching the kernels.

    Examples
    --------
    >>> x = torch.rand(2, 12, 8, 8, generator=torch.Generator().manual_seed(1))
    >>> u, v = draw_augment(2, 12, torch.Generator().manual_seed(2))
    >>> bool(torch.equal(apply_augment(x, u, v), augment_batch(x, torch.Generator().manual_seed(2))))
    True
    """
    p = AUGMENT if params is None else params
    n, c = x.shape[:2]
    if c % 3:
        raise ValueError(f"x must have a multiple of 3 channels, got {c}")
    if u.shape != (n, 5) or v.shape != (n, c // 3, 2):
        raise ValueError(f"u, v must have shapes {(n, 5)}, {(n, c // 3, 2)} for x {tuple(x.shape)}, got "
                         f"{tuple(u.shape)}, {tuple(v.shape)}")
    u = u.to(x.device)
    v = v.to(x.device)
    shift = (u[:, :2] * 2 - 1) * p["max_shift"] * 2  # affine_grid coordinates span [-1, 1]
    scale = 1 + (u[:, 2] * 2 - 1) * p["max_scale"]
    angle = (u[:, 3] * 2 - 1) * math.radians(p["max_rotate_deg"])
    flip = torch.where(u[:, 4] < p["p_hflip"], -1.0, 1.0)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1),
                         torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    k = c // 3
    bright = ((v[..., 0] * 2 - 1) * p["max_brightness"]).to(x.dtype)
    contrast = (1 + (v[..., 1] * 2 - 1) * p["max_contrast"]).to(x.dtype)
    photos = out.view(n, k, 3, *x.shape[2:])
    mean = photos.mean(dim=(2, 3, 4), keepdim=True)
    photos = (photos - mean) * contrast.view(n, k, 1, 1, 1) + mean + bright.view(n, k, 1, 1, 1)
    return photos.clamp_(0.0, 1.0).view_as(x)


def augment_batch(x: torch.Tensor, generator: torch.Generator, params: dict[str, float] | None = None) -> torch.Tensor:
    """Randomly augment a float batch (N, C, S, S) in [0, 1] as described in the module docstring.

    Random numbers are drawn on the CPU from ``generator`` (so a seed gives the same augmentation on any device); the
    transform runs on ``x``'s device.

    Examples
    --------
    >>> x = torch.rand(3, 12, 20, 20, generator=torch.Generator().manual_seed(1))
    >>> a = augment_batch(x, torch.Generator().manual_seed(7))
    >>> b = augment_batch(x, torch.Generator().manual_seed(7))
    >>> bool(torch.equal(a, b))
    True
    """
    n, c = x.shape[:2]
    if c % 3:
        raise ValueError(f"x must have a multiple of 3 channels, got {c}")
    return apply_augment(x, *draw_augment(n, c, generator), params)


def prepare_batch(x_uint8: torch.Tensor, device: torch.device, generator: torch.Generator | None, *,
                  channels_last: bool | None = None,
                  augment: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """uint8 stacks -> normalised float batch on ``device`` (augmented when ``generator`` or ``augment`` is given).

    ``augment`` = ``(u, v)`` drawn beforehand by :func:`draw_augment` (used instead of drawing from ``generator``).
    The batch is returned in channels_last memory format when ``channels_last`` is true (default: on CUDA).

    Examples
    --------
    >>> prepare_batch(torch.zeros(2, 12, 8, 8, dtype=torch.uint8), torch.device("cpu"), None).shape
    torch.Size([2, 12, 8, 8])
    """
    x = to_float(x_uint8.to(device, non_blocking=True))
    if augment is not None:
        x = apply_augment(x, *augment)
    elif generator is not None:
        x = augment_batch(x, generator)
    x = normalise(x)
    if device.type == "cuda" if channels_last is None else channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def write_synthetic_stacks(root: str | os.PathLike[str], *, n_per_group: int, image_size: int, seed: int,
                           signal: float = 1.0) -> Path:
    """Write a tiny labelled cohort of random stacks (manifest.csv, faces.parquet, stacks/) for tests and benchmarks.

    Every split holds ``n_per_group`` subjects of each group. Tumour stacks carry a bright blob at the centre of every
    photo and iGCT stacks a second blob in the top-left corner, each of amplitude ``signal`` x 80 grey levels on
    uniform noise, so both stages are learnable. This is not the digital twin; it only exercises the training code.
    The manifest's ``photo_1`` paths are placeholders (no photos are written): read it with ``validate=False``.

    Returns
    -------
    pathlib.Path
        ``root``, which then serves both as the manifest folder and as the run folder.

    Examples
    --------
    >>> import tempfile
    >>> root = write_synthetic_stacks(tempfile.mkdtemp(), n_per_group=1, image_size=8, seed=0)
    >>> sorted(p.name for p in root.iterdir())
    ['faces.parquet', 'manifest.csv', 'stacks']
    """
    from gvisage_lib.core import io

    root = Path(root)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:image_size, 0:image_size] / max(image_size - 1, 1)
    centre = np.exp(-((yy - 0.5) ** 2 + (xx - 0.5) ** 2) / 0.02)
    corner = np.exp(-((yy - 0.2) ** 2 + (xx - 0.2) ** 2) / 0.01)
    rows, faces = [], []
    for split in schema.SPLITS:
        for group in schema.GROUPS:
            for i in range(n_per_group):
                sid = f"{split[:2]}-{group}-{i:03d}"
                img = rng.uniform(40, 200, size=(12, image_size, image_size))
                if group != "NC":
                    img += signal * 80 * centre
                if group == "iGCT":
                    img += signal * 80 * corner
                rel = Path("stacks") / f"{sid}.npy"
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                with io.atomic_path(root / rel) as tmp:
                    np.save(tmp, np.clip(img, 0, 255).astype(np.uint8))
                rows.append({"subject_id": sid, "group": group, "split": split, "site": "synthetic",
                             "sex": "FM"[i % 2], "age_years": 10 + i % 8, "photo_1": f"photos/{sid}.jpg"})
                faces.append({"subject_id": sid, "included": True, "qc_reason": "", "n_photos": 4,
                              "stack_path": rel.as_posix(), "cache_hit": False})
    io.write_csv(pd.DataFrame(rows), root / "manifest.csv")
    io.write_parquet(pd.DataFrame(faces), root / "faces.parquet")
    return root
