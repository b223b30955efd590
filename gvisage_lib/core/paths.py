"""Layout of a run folder: where each step reads and writes.

A run folder holds everything one ``gvisage reproduce`` produced::

    <run>/
      cohort/manifest.csv, truth.csv, twin.json, photos/   (the synthetic twin; absent for a user's cohort)
      cache/faces/                                          12-channel stacks keyed by content hash
      models/                                               checkpoints
      predictions.parquet, cascade.parquet, selected_model.json
      tables/*.csv     figures/*.png|pdf
      notebooks/NN_name.ipynb (executed)   html/NN_name.html   index.html (overview)
      run.json

Examples
--------
>>> p = RunPaths("/tmp/run")
>>> p.tables.name, p.predictions.name
('tables', 'predictions.parquet')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunPaths:
    """Paths inside one run folder. Nothing is created until :meth:`ensure` is called."""

    root: Path

    def __init__(self, root: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "root", Path(root).resolve())

    @property
    def cohort(self) -> Path:
        return self.root / "cohort"

    @property
    def twin_manifest(self) -> Path:
        return self.cohort / "manifest.csv"

    @property
    def truth(self) -> Path:
        return self.cohort / "truth.csv"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def face_cache(self) -> Path:
        return self.cache / "faces"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def tables(self) -> Path:
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def html(self) -> Path:
        return self.root / "html"

    @property
    def index_html(self) -> Path:
        """The run's overview page (:mod:`gvisage_lib.run.report`)."""
        return self.root / "index.html"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions.parquet"

    @property
    def predictions_oof(self) -> Path:
        """Out-of-fold scores of the training subjects (profiles with ``score_fit == "out_of_fold"``)."""
        return self.root / "predictions_oof.parquet"

    @property
    def cascade(self) -> Path:
        return self.root / "cascade.parquet"

    @property
    def selected_model(self) -> Path:
        return self.root / "selected_model.json"

    @property
    def faces_index(self) -> Path:
        """Table of preprocessed subjects (subject_id, QC status, path of the cached stack)."""
        return self.root / "faces.parquet"

    @property
    def run_json(self) -> Path:
        """The run record; read and written only by :class:`gvisage_lib.core.record.RunRecord`."""
        return self.root / "run.json"

    def ensure(self) -> RunPaths:
        """Create the output folders and return self."""
        for d in (self.tables, self.figures, self.models, self.cache, self.notebooks, self.html):
            d.mkdir(parents=True, exist_ok=True)
        return self

    def resolve_manifest(self, manifest: str | os.PathLike[str] | None) -> Path:
        """Absolute manifest path: ``manifest`` if given (relative to the run folder), else the twin's."""
        if manifest is None or str(manifest) == "":
            return self.twin_manifest
        p = Path(manifest)
        return p if p.is_absolute() else (self.root / p).resolve()


def check_paths(paths: object, name: str = "paths") -> RunPaths:
    """Return ``paths`` when it is a :class:`RunPaths`; raise otherwise.

    The functions that read a run take it as a ``RunPaths`` (one currency). A bare folder path must not slip in:
    ``pathlib.Path`` has a ``root`` attribute of its own (``"/"``), which would silently stand for the run folder.

    Examples
    --------
    >>> check_paths(RunPaths("/tmp/run")).root.name
    'run'
    >>> check_paths(Path("/tmp/run"))
    Traceback (most recent call last):
    ...
    TypeError: paths must be a RunPaths (gvisage_lib.core.paths.RunPaths(folder)), got PosixPath('/tmp/run')
    """
    if not isinstance(paths, RunPaths):
        raise TypeError(f"{name} must be a RunPaths (gvisage_lib.core.paths.RunPaths(folder)), got {paths!r}")
    return paths
