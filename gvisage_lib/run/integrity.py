"""What a run read and wrote, by content: the hashes a partial rerun checks before it reuses anything.

A run records in ``run.json`` (:class:`gvisage_lib.core.record.RunRecord`):

* the cohort's fingerprint (``data``): the manifest's SHA-256, the combined digest of its photos and, per photo, its
  own SHA-256 (``photos``, :func:`photo_hashes`: ``subject_id/photo_n -> digest``);
* per notebook, the SHA-256 of every file it wrote into the run folder (``notebooks[].outputs``,
  :func:`notebook_outputs`): the faces cache, ``predictions.parquet``, the models, tables and figures.

A partial rerun (``gvisage reproduce --from NN``) reads what the notebooks before ``NN`` wrote and the cohort; it
first compares each of these files with its recorded digest (:func:`check_reused_inputs`) and refuses to run,
naming the file and the notebook to rerun from, when one differs or is missing (:class:`InputChanged`).

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> before = snapshot(root)
>>> _ = (root / "tables").mkdir(), (root / "tables" / "t.csv").write_text("a\\n1\\n")
>>> sorted(notebook_outputs(root, before))
['tables/t.csv']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gvisage_lib.core.io import sha256_file
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.record import RunRecord

__all__ = ["BOOKKEEPING", "InputChanged", "check_reused_inputs", "notebook_outputs", "photo_hashes", "snapshot"]

#: Paths of the run folder that are no notebook's output: the record and its lock, the executed notebooks and their
#: HTML, the overview page, and the cohort (an input, checked through the manifest's and the photos' digests).
BOOKKEEPING: tuple[str, ...] = (RunRecord.path(".").name, "run.lock", "index.html", "notebooks/", "html/", "cohort/")

Snapshot = dict[str, tuple[int, int]]
#: Writers of the files that a record of an earlier version (no per-notebook outputs) has digests of.
_WRITERS = {"faces.parquet": "02", "predictions.parquet": "03", "predictions_oof.parquet": "03"}


class InputChanged(ValueError):
    """A file that a partial rerun would reuse is missing or differs from what the run recorded."""


def _skip(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return name.startswith(".") or any(rel == b or (b.endswith("/") and rel.startswith(b)) for b in BOOKKEEPING)


def snapshot(root: str | os.PathLike[str]) -> Snapshot:
    """Size and modification time of every file of the run folder that a notebook may write (not hashed).

    Examples
    --------
    >>> import tempfile
    >>> snapshot(tempfile.mkdtemp())
    {}
    """
    base = Path(root)
    out: Snapshot = {}
    for dirpath, _, files in os.walk(base):
        for name in files:
            path = Path(dirpath) / name
            rel = path.relative_to(base).as_posix()
            if _skip(rel):
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            out[rel] = (st.st_size, st.st_mtime_ns)
    return out


def notebook_outputs(root: str | os.PathLike[str], before: Snapshot,
                     previous: Mapping[str, str] | None = None) -> dict[str, str]:
    """SHA-256 of the files a notebook wrote: new or changed since ``before`` (:func:`snapshot` taken as it
    started), plus the files of its ``previous`` record that it left as they were (reused: a finished model, the
    faces cache) and that still exist; keyed by path relative to ``root``.
    """
    base = Path(root)
    after = snapshot(base)
    written = {rel for rel, stat in after.items() if before.get(rel) != stat}
    kept = {rel for rel in (previous or {}) if rel in after}
    return {rel: sha256_file(base / rel) for rel in sorted(written | kept)}


def photo_hashes(manifest: str | os.PathLike[str]) -> dict[str, str]:
    """SHA-256 of each photo of the manifest, ``subject_id/photo_n -> digest`` (``missing`` for a missing file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.jpg").write_bytes(b"x")
    >>> _ = (d / "m.csv").write_text("subject_id,photo_1\\nS1,a.jpg\\n")
    >>> photo_hashes(d / "m.csv")["S1/photo_1"][:12]
    '2d711642b726'
    """
    from gvisage_lib.cohort.manifest import load_manifest
    from gvisage_lib.core import schema

    df = load_manifest(Path(manifest), validate=False)
    out: dict[str, str] = {}
    for _, row in df.iterrows():
        for col in schema.PHOTO_COLUMNS:
            photo = row.get(col, "")
            if isinstance(photo, str) and photo:
                out[f"{row.get('subject_id', '')}/{col}"] = sha256_file(photo) if Path(photo).is_file() else "missing"
    return out


def _photo_path(manifest: Path, key: str) -> str:
    from gvisage_lib.cohort.manifest import load_manifest

    subject, col = key.split("/", 1)
    df = load_manifest(manifest, validate=False)
    rows = df[df["subject_id"].astype(str) == subject]
    return str(rows.iloc[0][col]) if len(rows) and col in rows.columns else key


def _check_photos(record: RunRecord, start_at: str) -> None:
    """Each photo against its recorded digest (or, for a record without them, the combined digest)."""
    from gvisage_lib.cohort.manifest import manifest_hashes

    manifest = Path(record.settings.manifest)
    recorded: Mapping[str, Any] = record.data.get("photos") or {}
    if recorded:
        now = photo_hashes(manifest)
        for key in sorted(set(recorded) | set(now)):
            if recorded.get(key) != now.get(key):
                raise InputChanged(f"--from {start_at}: the photo {_photo_path(manifest, key)} ({key}) changed since "
                                   "the run used it; the faces and everything after them were made from the old "
                                   "photo: rerun from notebook 01 (without --from)")
        return
    digest = manifest_hashes(manifest)["photos_sha256"]
    if record.data.get("photos_sha256") and digest != record.data["photos_sha256"]:
        raise InputChanged(f"--from {start_at}: a photo of the manifest {manifest} changed since the run used it "
                           "(the combined SHA-256 of its photos differs); rerun from notebook 01 (without --from)")


def check_reused_inputs(record: RunRecord, start_at: str, root: str | os.PathLike[str]) -> None:
    """Refuse a partial rerun from ``start_at`` whose reused inputs differ from what ``record`` says was used.

    Checked: the photos (per photo), and every file recorded as an output of a notebook before ``start_at``
    (compared with the digest that the last notebook that wrote it recorded); where the record has no per-notebook
    outputs (a record of an earlier version), the run's end-of-run output digests (``outputs``) of
    ``predictions.parquet`` and the other parquet files. The manifest itself is checked by the pipeline.

    Raises
    ------
    InputChanged
        Naming the file, the notebook that wrote it and the notebook to rerun from.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gvisage_lib.core.record import NotebookRecord
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "predictions.parquet").write_bytes(b"changed")
    >>> rec = RunRecord(notebooks=[NotebookRecord("03_train.ipynb", "succeeded",
    ...                                           outputs={"predictions.parquet": "0" * 64})])
    >>> check_reused_inputs(rec, "04", root)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gvisage_lib.run.integrity.InputChanged: --from 04: predictions.parquet differs ...; rerun with --from 03
    """
    paths = RunPaths(root)
    if start_at > "01" and record.settings.manifest:
        _check_photos(record, start_at)
    writer: dict[str, tuple[str, str]] = {}  # file -> (first notebook that wrote it, digest of the last one)
    for entry in sorted(record.notebooks, key=lambda n: n.notebook):
        for rel, digest in entry.outputs.items():
            first = writer[rel][0] if rel in writer else entry.number
            writer[rel] = (first, digest)
    if not writer:  # a record without per-notebook outputs: its end-of-run digests of the files 02 and 03 write
        writer = {rel: (_WRITERS[rel], digest) for rel, digest in record.outputs.items() if rel in _WRITERS}
    for rel, (first, digest) in sorted(writer.items(), key=lambda kv: (kv[1][0], kv[0])):
        if first >= start_at:
            continue
        path = paths.root / rel
        if not path.is_file():
            raise InputChanged(f"--from {start_at}: {rel}, written by notebook {first}, is missing; rerun with "
                               f"--from {first}")
        if sha256_file(path) != digest:
            raise InputChanged(f"--from {start_at}: {rel} differs from what the run recorded (written by notebook "
                               f"{first}, SHA-256 {digest[:12]}...); rerun with --from {first}")
