"""Synthetic digital-twin cohort: the paper's group sizes and Table 1, with a known latent endocrine state.

:func:`synthesize` writes ``manifest.csv`` (the data contract, docs/data.md) and ``truth.csv`` (the latent ground
truth, kept apart) into a folder, and, with ``photos=True``, the rendered face photos
(:mod:`gvisage_lib.twin.render`). The tabular model is documented in :mod:`gvisage_lib.twin.tabular`.

Examples
--------
>>> import tempfile
>>> p = synthesize(tempfile.mkdtemp(), seed=3, scale=0.1, photos=False)
>>> p.name, (p.parent / "truth.csv").exists()
('manifest.csv', True)
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from gvisage_lib.core import io
from gvisage_lib.core.profiles import DEFAULT_SEED

from .tabular import TRUTH_COLUMNS, generate_tabular, planted_endocrine_loadings

__all__ = ["synthesize", "generate_tabular", "planted_endocrine_loadings", "TRUTH_COLUMNS"]

#: Float format of the written CSVs (values are already rounded by the generator; this fixes the text form).
_FLOAT_FORMAT = "%.10g"


def synthesize(out_dir: str | os.PathLike[str], *, seed: int = DEFAULT_SEED, scale: float = 1.0, photos: bool = True,
               photo_size: tuple[int, int] = (320, 400), capture_shift: float = 0.0,
               workers: int | None = None) -> Path:
    """Generate the twin into ``out_dir`` and return the path of its ``manifest.csv``.

    Parameters
    ----------
    out_dir : path-like
        Folder to write ``manifest.csv``, ``truth.csv`` (and, with photos, ``photos/`` and ``twin.json``) into;
        created if missing.
    seed : int
        Master seed (default :data:`gvisage_lib.core.profiles.DEFAULT_SEED`); the same seed gives byte-identical CSV
        files.
    scale : float
        Multiplier of the paper's group sizes.
    photos : bool
        Render face photos with :func:`gvisage_lib.twin.render.render_cohort` (otherwise photo columns stay empty
        and the manifest does not pass :func:`gvisage_lib.cohort.manifest.validate_manifest`).
    photo_size, capture_shift, workers
        Passed to the renderer: photo width x height in pixels, strength of the capture shift (controls
        photographed differently from patients; 0 = off) and worker processes.

    Returns
    -------
    pathlib.Path
        ``out_dir / "manifest.csv"``.
    """
    out = Path(out_dir)
    manifest, truth = generate_tabular(seed, scale)
    if photos:
        from .render import render_cohort

        out.mkdir(parents=True, exist_ok=True)
        manifest, truth = render_cohort(manifest, truth, out, seed=seed, photo_size=photo_size,
                                        capture_shift=capture_shift, workers=workers)
    write_twin_tables(manifest, truth, out)
    return out / "manifest.csv"


def write_twin_tables(manifest: pd.DataFrame, truth: pd.DataFrame,
                      out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``manifest.csv`` and ``truth.csv`` atomically with a fixed float format; return both paths.

    Examples
    --------
    >>> import tempfile
    >>> m, t = generate_tabular(seed=1, scale=0.05)
    >>> mp, tp = write_twin_tables(m, t, tempfile.mkdtemp())
    >>> mp.read_text().splitlines()[0].split(",")[:3]
    ['subject_id', 'group', 'split']
    """
    out = Path(out_dir)
    mp = io.write_csv(manifest, out / "manifest.csv", float_format=_FLOAT_FORMAT)
    tp = io.write_csv(truth, out / "truth.csv", float_format=_FLOAT_FORMAT)
    return mp, tp
