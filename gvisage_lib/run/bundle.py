"""The report of a run in one file for a reviewer: ``<run>/report.zip``.

A run folder holds the report (a few tens of MB: ``index.html``, the rendered notebooks, figures, tables,
``run.json``) beside what produced it (hundreds of MB of checkpoints under ``models/``, the face cache, the
synthetic cohort's photos). :func:`write_bundle` packs the report alone, with every path relative to the run folder,
so that ``index.html`` opened from the unpacked zip finds everything it links:

* ``index.html``, ``run.json`` (the run record, :class:`gvisage_lib.core.record.RunRecord`);
* ``html/`` (the rendered notebooks), ``figures/``, ``tables/``, ``docs/`` (the design notes);
* the executed notebooks ``notebooks/*.ipynb`` (their outputs, for a reader who wants the cells);
* ``selected_model.json`` (the chosen candidate).

Never: ``models/``, caches, ``cohort/`` (photos), ``predictions*.parquet`` (per-subject scores), or anything else.
The zip is written atomically (a temporary file beside it, moved into place), deterministic in its order and
timestamps (the files' own), and the index, when re-rendered, links it.

Examples
--------
>>> import json, tempfile, pathlib, zipfile
>>> run = pathlib.Path(tempfile.mkdtemp())
>>> _ = (run / "run.json").write_text(json.dumps({"parameters": {}}))
>>> (run / "models").mkdir(); _ = (run / "models" / "m.pt").write_bytes(b"x")
>>> (run / "tables").mkdir(); _ = (run / "tables" / "t.csv").write_text("a\\n1\\n")
>>> from gvisage_lib.core.paths import RunPaths, check_paths
>>> sorted(zipfile.ZipFile(write_bundle(RunPaths(run))).namelist())
['run.json', 'tables/t.csv']
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

from gvisage_lib.core.io import atomic_path
from gvisage_lib.core.paths import RunPaths, check_paths
from gvisage_lib.core.record import RunRecord

__all__ = ["BUNDLE_NAME", "BUNDLE_PARTS", "bundle_files", "in_bundle", "write_bundle"]

#: File name of the bundle inside the run folder.
BUNDLE_NAME = "report.zip"
#: What the bundle holds: single files and (folder, glob) pairs, relative to the run folder.
BUNDLE_PARTS: tuple[str | tuple[str, str], ...] = (
    "index.html", "selected_model.json",
    ("html", "*.html"), ("figures", "*.png"), ("figures", "*.pdf"), ("tables", "*.csv"), ("docs", "*.html"),
    ("notebooks", "*.ipynb"),
)


def bundle_files(paths: RunPaths) -> list[Path]:
    """The files of the run folder that go into the bundle (relative paths, sorted; see the module docstring).

    Examples
    --------
    >>> import tempfile
    >>> bundle_files(RunPaths(tempfile.mkdtemp()))
    []
    """
    check_paths(paths)
    root = paths.root
    out: set[Path] = set()
    if RunRecord.exists(root):  # the run record, through its owner
        out.add(RunRecord.path(root).relative_to(root))
    for part in BUNDLE_PARTS:
        if isinstance(part, str):
            if (root / part).is_file():
                out.add(Path(part))
        else:
            folder, pattern = part
            out.update(p.relative_to(root) for p in (root / folder).glob(pattern) if p.is_file()
                       and not p.is_symlink())
    return sorted(out)


def in_bundle(relative: str | os.PathLike[str]) -> bool:
    """Whether a path relative to the run folder is of a kind the bundle holds (:data:`BUNDLE_PARTS`, the run record).

    Examples
    --------
    >>> in_bundle("tables/x.csv"), in_bundle("html/04_stage_roc.html"), in_bundle("models"), in_bundle("cohort/a.csv")
    (True, True, False, False)
    """
    rel = Path(relative)
    if rel.as_posix() == RunRecord.path(".").name:
        return True
    for part in BUNDLE_PARTS:
        if isinstance(part, str):
            if rel.as_posix() == part:
                return True
        elif len(rel.parts) == 2 and rel.parts[0] == part[0] and rel.match(part[1]):
            return True
    return False


def write_bundle(paths: RunPaths, *, texts: Mapping[str, str] | None = None) -> Path:
    """Write ``<run>/report.zip`` (atomically) with :func:`bundle_files` and return its path.

    ``texts`` replaces files by the given text in the zip (relative path -> text): the index packed in the zip is
    the one that does not link the zip itself.

    Raises
    ------
    FileNotFoundError
        When the run has no record (not a run folder).
    """
    check_paths(paths)
    root = paths.root
    if not RunRecord.exists(root):
        raise FileNotFoundError(f"{RunRecord.path(root)} not found: {root} is not a run folder of gvisage reproduce")
    dest = root / BUNDLE_NAME
    with atomic_path(dest, suffix=".zip") as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        replaced = dict(texts or {})
        for rel in bundle_files(paths):
            if rel.as_posix() in replaced:
                info = zipfile.ZipInfo.from_file(root / rel, rel.as_posix())
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, replaced.pop(rel.as_posix()).encode("utf-8"))
                continue
            # PNG and PDF are compressed already
            kind = zipfile.ZIP_STORED if rel.suffix in (".png", ".pdf") else zipfile.ZIP_DEFLATED
            zf.write(root / rel, rel.as_posix(), compress_type=kind)
        if replaced:
            raise ValueError(f"texts names file(s) that are not in the bundle: {sorted(replaced)}")
    return dest
