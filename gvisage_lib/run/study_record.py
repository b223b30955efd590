"""Where a replicate study lives and its record, ``DIR/study.json``: read by the study
(:mod:`gvisage_lib.run.replicates`) and by a run's index page, which links the study of its profile
(:func:`study_link`).

The default run of a profile, ``runs/<profile>/``, has its study in the sibling folder ``runs/replicates-<profile>/``
(:func:`study_dir_for`); a run's ``index.html`` links ``../replicates-<profile>/index.html`` where that folder holds a
study of the same profile with its overview page.

Examples
--------
>>> study_link("/nonexistent/runs/quick", "quick")
''
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["STUDY_JSON", "load_study", "study_dir_for", "study_link"]

#: The study's record in its folder.
STUDY_JSON = "study.json"


def study_dir_for(run_dir: str | os.PathLike[str], profile: str) -> Path:
    """Where the study of a run's profile is looked for: ``replicates-<profile>`` beside the run folder.

    ``runs/quick`` (``make reproduce``'s run) has its study in ``runs/replicates-quick``.

    Examples
    --------
    >>> study_dir_for("runs/quick", "quick").as_posix()
    'runs/replicates-quick'
    """
    return Path(run_dir).parent / f"replicates-{profile}"


def load_study(study_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The study record ``DIR/study.json``, or None where the folder has none.

    Raises a ``ValueError`` naming the file when it is not a study record (not JSON, or no ``settings``).

    Examples
    --------
    >>> load_study("/nonexistent") is None
    True
    """
    path = Path(study_dir) / STUDY_JSON
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path} is not a study record (not JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
        raise ValueError(f"{path} is not a study record of gvisage replicate (no settings)")
    return data


def study_link(run_dir: str | os.PathLike[str], profile: str) -> str:
    """The relative link from a run folder's ``index.html`` to the study of its profile, or ``""`` where there is
    none: ``../replicates-<profile>/index.html`` when that folder holds a study of the same profile with an index.

    Examples
    --------
    >>> study_link("/nonexistent/runs/quick", "quick")
    ''
    """
    folder = study_dir_for(run_dir, profile)
    try:
        record = load_study(folder)
    except ValueError:
        return ""
    if record is None or record["settings"].get("profile") != profile or not (folder / "index.html").is_file():
        return ""
    return f"../{folder.name}/index.html"
