"""Privacy guard (docs/privacy.md): faces are rendered only for the synthetic twin.

A cohort counts as synthetic only when ``twin.json`` sits beside its manifest and every photo the manifest
references has exactly the SHA-256 recorded there by the twin's renderer (:func:`gvisage_lib.twin.render.render_cohort`).
A user's own cohort has no such file, and a real photo slipped into a twin folder has a hash the renderer never
wrote: in both cases the cohort is real, and :func:`assert_renderable` raises :class:`PrivacyError`. Every library
function that draws a face or a crop calls it itself (:mod:`gvisage_lib.faces.figures`), so a notebook cannot show a
real face by asking.

The messages name the manifest's file name and pseudonymous ``subject_id`` values only, never a photo path or name.
The check hashes every photo once and caches the answer per (manifest path, manifest mtime, twin.json mtime).

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
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pandas as pd

from gvisage_lib.core import io
from gvisage_lib.core.schema import PHOTO_COLUMNS


class PrivacyError(PermissionError):
    """Raised when library code is asked to render a face or a crop of a cohort that is not the synthetic twin."""


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=32)
def _check(manifest: str, _m_key: tuple[int, int], _t_key: tuple[int, int] | None) -> str:
    """'' if synthetic, else the reason (no paths in it)."""
    mpath = Path(manifest)
    twin = mpath.parent / "twin.json"
    if _t_key is None:
        return "no twin.json beside the manifest, so this is not the synthetic twin"
    try:
        meta = json.loads(twin.read_text(encoding="utf-8"))
        recorded = meta["photo_sha256"]
        if not isinstance(recorded, dict):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError):
        return "twin.json has no readable 'photo_sha256' table"
    try:
        man = pd.read_csv(mpath, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError):
        return "the manifest cannot be read"
    if "subject_id" not in man.columns or "photo_1" not in man.columns:
        return "the manifest has no subject_id/photo_1 columns"
    valid = set(recorded.values())
    n = 0
    for col in PHOTO_COLUMNS:
        if col not in man.columns:
            continue
        for sid, rel in zip(man["subject_id"], man[col]):
            rel = str(rel).strip()
            if not rel:
                continue
            p = Path(rel)
            p = p if p.is_absolute() else mpath.parent / p
            try:
                digest = io.sha256_file(p)
            except OSError:
                return f"a photo of subject {sid!r} ({col}) cannot be read"
            if digest not in valid:
                return f"a photo of subject {sid!r} ({col}) was not rendered by the twin (its hash is not in twin.json)"
            n += 1
    if n == 0:
        return "the manifest references no photo"
    return ""


def _reason(manifest_path: str | os.PathLike[str]) -> str:
    mpath = Path(manifest_path).resolve()
    if not mpath.is_file():
        raise FileNotFoundError(f"manifest not found: {mpath}")
    twin = mpath.parent / "twin.json"
    t_key = _stat_key(twin) if twin.is_file() else None
    return _check(str(mpath), _stat_key(mpath), t_key)


def is_synthetic_cohort(manifest_path: str | os.PathLike[str]) -> bool:
    """True only if ``twin.json`` sits beside the manifest and records the SHA-256 of every photo it references.

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
        man = pd.read_csv(manifest_path, dtype=str, keep_default_na=False, usecols=["subject_id"])
        unknown = sorted(set(map(str, subject_ids)) - set(man["subject_id"]))
        if unknown:
            raise PrivacyError(f"refusing to render faces of {name}: subject(s) {unknown[:5]} are not in the "
                               "checked cohort")
