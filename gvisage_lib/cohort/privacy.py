"""Privacy guard (docs/privacy.md): faces are rendered only for the synthetic twin.

A cohort counts as synthetic only when ``twin.json`` sits beside its manifest and every photo the manifest
references has exactly the SHA-256 recorded there by the twin's renderer
(:func:`gvisage_lib.twin.render.render_cohort`).
A user's own cohort has no such file, and a real photo slipped into a twin folder has a hash the renderer never
wrote: in both cases the cohort is real, and :func:`assert_renderable` raises :class:`PrivacyError`. Every library
function that draws a face or a crop calls it itself (:mod:`gvisage_lib.faces.figures`), so a notebook cannot show a
real face by asking.

The guard reads the manifest with the library's one reader (:func:`gvisage_lib.cohort.manifest.load_manifest`), so
it checks exactly the files the other steps read: a manifest that is a symbolic link is followed to its target, and
``twin.json`` and the photos are looked up beside the target, by the guard and by the montage alike. A photo is
drawn only through :func:`read_twin_photo`, which hashes the very bytes it decodes: a photo replaced after the check
is refused, not drawn.

The messages name the manifest's file name and pseudonymous ``subject_id`` values only, never a photo path or name.
Photo digests are cached per file (path, device, inode, size, modification and change times): any write to a photo
changes its times, so its content is hashed again; the verdict itself is recomputed at every call.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "manifest.csv").write_text("subject_id,photo_1\\nS1,a.jpg\\n")
>>> is_synthetic_cohort(d / "manifest.csv")
False
>>> assert_renderable(d / "manifest.csv")
Traceback (most recent call last):
...
gvisage_lib.cohort.privacy.PrivacyError: refusing to render faces of manifest.csv: no twin.json beside the manifest, so this is not the synthetic twin (docs/privacy.md)
"""  # noqa: E501 (a doctest's expected output line)

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np

from gvisage_lib.cohort.manifest import ManifestError, load_manifest, resolve_manifest_path
from gvisage_lib.core import io
from gvisage_lib.core.schema import PHOTO_COLUMNS


class PrivacyError(PermissionError):
    """Raised when library code is asked to render a face or a crop of a cohort that is not the synthetic twin."""


def _file_key(path: Path) -> tuple[int, ...]:
    """Identity and change stamp of a file: a write to it changes the modification and change times."""
    st = path.stat()
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


@functools.lru_cache(maxsize=100_000)
def _digest(path: str, _key: tuple[int, ...]) -> str:
    return io.sha256_file(path)


@functools.lru_cache(maxsize=32)
def _recorded(twin_json: str, _key: tuple[int, ...]) -> frozenset[str] | None:
    """The photo hashes ``twin.json`` records, or None if it has no readable table."""
    try:
        meta = json.loads(Path(twin_json).read_text(encoding="utf-8"))
        recorded = meta["photo_sha256"]
        if not isinstance(recorded, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return frozenset(str(v) for v in recorded.values())


def _twin_hashes(real_manifest: Path) -> tuple[frozenset[str] | None, str]:
    """(recorded hashes, '') or (None, reason) for the twin.json beside the resolved manifest."""
    twin = real_manifest.parent / "twin.json"
    if not twin.is_file():
        return None, "no twin.json beside the manifest, so this is not the synthetic twin"
    recorded = _recorded(str(twin), _file_key(twin))
    if recorded is None:
        return None, "twin.json has no readable 'photo_sha256' table"
    return recorded, ""


def _reason(manifest_path: str | os.PathLike[str]) -> str:
    """'' if synthetic, else the reason (no paths in it)."""
    real = resolve_manifest_path(manifest_path)
    if not real.is_file():
        raise FileNotFoundError(f"manifest not found: {real}")
    valid, reason = _twin_hashes(real)
    if valid is None:
        return reason
    try:
        man = load_manifest(real, validate=False)
    except ManifestError:
        return "the manifest cannot be read"
    if "subject_id" not in man.columns or "photo_1" not in man.columns:
        return "the manifest has no subject_id/photo_1 columns"
    n = 0
    for col in PHOTO_COLUMNS:
        if col not in man.columns:
            continue
        for sid, photo in zip(man["subject_id"], man[col]):
            if not photo:
                continue
            try:
                digest = _digest(photo, _file_key(Path(photo)))
            except OSError:
                return f"a photo of subject {sid!r} ({col}) cannot be read"
            if digest not in valid:
                return f"a photo of subject {sid!r} ({col}) was not rendered by the twin (its hash is not in twin.json)"
            n += 1
    if n == 0:
        return "the manifest references no photo"
    return ""


def is_synthetic_cohort(manifest_path: str | os.PathLike[str]) -> bool:
    """True only if ``twin.json`` sits beside the manifest and records the SHA-256 of every photo it references.

    A manifest that is a symbolic link is judged where it points (the same file every reader reads).

    Parameters
    ----------
    manifest_path : path-like
        The cohort's manifest CSV.

    Returns
    -------
    bool

    Examples
    --------
    See the module documentation.
    """
    return _reason(manifest_path) == ""


def assert_renderable(manifest_path: str | os.PathLike[str], subject_ids: list[str] | None = None) -> None:
    """Raise :class:`PrivacyError` unless the cohort is the synthetic twin (see :func:`is_synthetic_cohort`).

    Parameters
    ----------
    manifest_path : path-like
        The cohort's manifest CSV.
    subject_ids : list of str, optional
        Subjects whose faces are about to be drawn; each must be in the manifest (a face of someone outside the
        checked cohort could be real).

    Examples
    --------
    See the module documentation.
    """
    reason = _reason(manifest_path)
    name = Path(manifest_path).name
    if reason:
        raise PrivacyError(f"refusing to render faces of {name}: {reason} (docs/privacy.md)")
    if subject_ids is not None:
        known = set(load_manifest(manifest_path, validate=False)["subject_id"])
        unknown = sorted(set(map(str, subject_ids)) - known)
        if unknown:
            raise PrivacyError(f"refusing to render faces of {name}: subject(s) {unknown[:5]} are not in the "
                               "checked cohort")


def read_twin_photo(manifest_path: str | os.PathLike[str], subject_id: str, photo: int = 1) -> np.ndarray:
    """Decode one photo of the synthetic twin for drawing, after checking the bytes decoded are the twin's.

    The cohort must pass :func:`assert_renderable` for ``subject_id``; the photo is then read once, its SHA-256
    checked against ``twin.json`` and those same bytes decoded (:func:`gvisage_lib.core.images.decode_image`), so
    what is drawn is what was checked, even if the file changed since.

    Parameters
    ----------
    manifest_path : path-like
        The twin's manifest.
    subject_id : str
        Whose photo.
    photo : int
        Which photo, 1..4.

    Returns
    -------
    numpy.ndarray
        RGB uint8 image.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "manifest.csv").write_text("subject_id,photo_1\\nS1,a.jpg\\n")
    >>> read_twin_photo(d / "manifest.csv", "S1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gvisage_lib.cohort.privacy.PrivacyError: refusing to render faces of manifest.csv: no twin.json beside ...
    """
    from gvisage_lib.core.images import decode_image

    if not isinstance(photo, (int, np.integer)) or not 1 <= int(photo) <= 4:
        raise ValueError(f"photo must be 1..4, got {photo!r}")
    assert_renderable(manifest_path, [str(subject_id)])
    name = Path(manifest_path).name
    man = load_manifest(manifest_path, validate=False).set_index("subject_id")
    col = f"photo_{int(photo)}"
    path = str(man.at[str(subject_id), col]) if col in man.columns else ""
    if not path:
        raise ValueError(f"manifest {name}: subject {subject_id!r} has no {col}")
    data = Path(path).read_bytes()
    valid, reason = _twin_hashes(resolve_manifest_path(manifest_path))
    if valid is None or io.sha256_bytes(data) not in valid:
        raise PrivacyError(f"refusing to render faces of {name}: the {col} of subject {subject_id!r} read for drawing "
                           f"is not a photo rendered by the twin {reason}".rstrip() + " (docs/privacy.md)")
    return decode_image(data, name=f"{col} of subject {subject_id!r}")
