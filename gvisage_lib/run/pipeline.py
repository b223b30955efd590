"""Run the numbered notebooks in order with papermill: the one command behind ``gvisage reproduce``.

A run folder (see :mod:`gvisage_lib.core.paths`) receives the synthetic twin (unless ``manifest`` points at a cohort of
the user's own), every executed notebook, its HTML rendering and ``run.json``.

Behaviour worth knowing:

* The cohort is validated first. An invalid manifest of the user's writes nothing at all (not even the run
  folder) and raises :class:`gvisage_lib.cohort.manifest.ManifestError`.
* The twin is regenerated only when the run folder holds none made with the same seed and profile settings;
  likewise the face cache and finished checkpoints are reused by the notebooks, so a rerun redoes only what changed.
* Notebooks run in file-name order (``NN_name.ipynb``); ``start_at="04"`` reruns from that notebook on, reading
  what the earlier ones wrote.
* On a failing cell the run stops, the partially executed notebook is kept in ``notebooks/`` (papermill saves it
  cell by cell, on purpose), ``run.json`` records the notebook and the cell, and :class:`NotebookFailed` is raised.
  The cell is named by its execution count in the executed notebook (``In [N]``; papermill's injected-parameters
  cell counts) and its first source line.
* Each executed notebook is written by papermill; the HTML rendering and ``run.json`` are written atomically.

Examples
--------
>>> [p.name for p in list_notebooks()][:1]
['01_cohort.ipynb']
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gvisage_lib import __version__
from gvisage_lib.core.io import write_json, write_text
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import get_profile
from gvisage_lib.core.provenance import environment_info, git_state, manifest_hashes, output_hashes, package_versions

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
_NB_NAME = re.compile(r"^(\d\d)_[A-Za-z0-9_]+\.ipynb$")
DEFAULT_SEED = 20250130


class NotebookFailed(RuntimeError):
    """A notebook of the pipeline raised; names the notebook, the cell and the error."""

    def __init__(self, notebook: str, cell: int | None, error: str, partial: Path, source: str = "") -> None:
        self.notebook, self.cell, self.error, self.partial, self.source = notebook, cell, error, partial, source
        where = f"cell In [{cell}]" if cell is not None else "an unknown cell"
        first = source.strip().splitlines()[0] if source.strip() else ""
        super().__init__(f"notebook {notebook} failed in {where} ({first!r}): {error}\n"
                         f"partial executed notebook kept at {partial}")


@dataclass(frozen=True)
class NotebookTiming:
    """Wall time of one executed notebook."""

    notebook: str
    seconds: float


def list_notebooks(directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """The pipeline's notebooks (``NN_name.ipynb``) in run order.

    Examples
    --------
    >>> all(p.suffix == ".ipynb" for p in list_notebooks())
    True
    """
    folder = Path(NOTEBOOK_DIR if directory is None else directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"notebook folder {folder} does not exist")
    return sorted(p for p in folder.iterdir() if _NB_NAME.match(p.name))


def _twin_params(seed: int, profile_name: str) -> dict[str, Any]:
    prof = get_profile(profile_name)
    return {"seed": seed, "scale": prof.twin_scale, "photo_size": list(prof.photo_size), "capture_shift": 0.0}


def prepare_cohort(paths: RunPaths, *, seed: int, profile: str, log: Callable[[str], None] = print) -> Path:
    """Generate the synthetic twin into ``paths.cohort`` unless one with the same parameters is there already.

    Returns the manifest path. The twin's parameters are kept in ``cohort/twin_params.json`` (written last, so an
    interrupted generation is redone).
    """
    import json

    from gvisage_lib.twin import synthesize

    params = _twin_params(seed, profile)
    marker = paths.cohort / "twin_params.json"
    if marker.is_file() and paths.twin_manifest.is_file():
        try:
            if json.loads(marker.read_text()) == params:
                log(f"synthetic twin: reusing {paths.cohort} (same parameters)")
                return paths.twin_manifest
        except ValueError:
            pass
    if marker.exists():
        marker.unlink()
    t0 = time.perf_counter()
    log(f"synthetic twin: generating (seed {seed}, scale {params['scale']}) into {paths.cohort}")
    manifest = synthesize(paths.cohort, seed=seed, scale=params["scale"], photos=True,
                          photo_size=tuple(params["photo_size"]), capture_shift=params["capture_shift"])
    write_json(params, marker)
    log(f"synthetic twin: done in {time.perf_counter() - t0:.1f} s")
    return Path(manifest)


def _render_html(executed: Path, dest: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    write_text(body, dest)


def _kernel_env() -> None:
    """Make the notebook kernels use this interpreter.

    ``MPLBACKEND`` is removed from the kernels' environment: ipykernel then selects its inline backend, which is
    what puts figures into the executed notebook and its HTML (with ``Agg`` they would be saved but not shown).
    """
    bindir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bindir + os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.environ.pop("MPLBACKEND", None)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _continued_settings(run_dir: Path, start_at: str, *, profile: str | None, seed: int | None,
                        score_fit: str | None, manifest: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The settings of the run that ``--from`` continues, from its ``run.json``; a setting given differently is an error.

    A partial rerun must use the profile, seed, CNN-score fitting and cohort the earlier notebooks' outputs were made
    with, or it would mix outputs of two configurations under one run record. Returns the prior record's parameters,
    effective ``score_fit`` and notebook records.
    """
    import json

    record_path = RunPaths(run_dir).run_json
    if not record_path.is_file():
        raise FileNotFoundError(f"--from {start_at}: {record_path} not found; a partial rerun continues a run made "
                                "before (run from the first notebook without --from)")
    try:
        prior = json.loads(record_path.read_text(encoding="utf-8"))
        params = prior["parameters"]
        run_score_fit = prior["profile"]["score_fit"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"--from {start_at}: {record_path} is not a run record of this version ({exc!r}); run from "
                         "the first notebook") from None
    given = {"profile": profile, "seed": seed, "score_fit": score_fit}
    had = {"profile": params.get("profile"), "seed": params.get("seed"), "score_fit": run_score_fit}
    for name, value in given.items():
        if value is not None and value != had[name]:
            raise ValueError(f"--from {start_at}: the run in {run_dir} was made with {name} {had[name]!r}, not "
                             f"{value!r}; rerun from the first notebook (or into another --out) to change it")
    if manifest is not None:
        if params.get("synthetic_twin"):
            raise ValueError(f"--from {start_at}: the run in {run_dir} was made on the synthetic twin, not on "
                             f"{manifest}; rerun from the first notebook to change the cohort")
        if Path(manifest).resolve() != Path(params.get("manifest", "")).resolve():
            raise ValueError(f"--from {start_at}: the run in {run_dir} was made with the manifest "
                             f"{params.get('manifest')}, not {manifest}")
    run_manifest = Path(params.get("manifest", ""))
    if not run_manifest.is_file():
        raise FileNotFoundError(f"--from {start_at}: the run's manifest {run_manifest} no longer exists")
    digest = manifest_hashes(run_manifest)["manifest_sha256"]
    if digest != prior.get("data", {}).get("manifest_sha256"):
        raise ValueError(f"--from {start_at}: the manifest {run_manifest} changed since the run was made (SHA-256 "
                         f"{digest[:12]}... now); rerun from the first notebook")
    return {"profile": had["profile"], "seed": had["seed"], "score_fit": run_score_fit, "manifest": run_manifest,
            "synthetic_twin": bool(params.get("synthetic_twin")), "notebooks": prior.get("notebooks", [])}


def _inputs_of(start_at: str, paths: RunPaths, score_fit: str) -> list[Path]:
    """The files that the notebooks before ``start_at`` write and the later ones read."""
    need = []
    if start_at > "02":
        need.append(paths.faces_index)
    if start_at > "03":
        need += [paths.predictions, paths.selected_model]
        if score_fit == "out_of_fold":
            need.append(paths.predictions_oof)
    return need


def reproduce(run_dir: str | os.PathLike[str], *, profile: str | None = None,
              manifest: str | os.PathLike[str] | None = None, seed: int | None = None, start_at: str | None = None,
              score_fit: str | None = None, gpus: int | None = None,
              notebooks_dir: str | os.PathLike[str] | None = None,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the whole pipeline into the run folder ``run_dir`` and return the run record (also in ``run.json``).

    Parameters
    ----------
    run_dir : path-like
        Run folder; created if missing.
    profile : {"smoke", "quick", "paper"}, optional
        Parameter set (:mod:`gvisage_lib.core.profiles`); default ``"quick"``, or the run's with ``start_at``.
    manifest : path-like, optional
        A cohort manifest of the user's. Without it the synthetic twin is generated into ``run_dir/cohort``.
    seed : int, optional
        Master seed: the twin, the splits' resampling, the CNN initialisation and the bootstraps derive from it.
        Default :data:`DEFAULT_SEED`, or the run's with ``start_at``.
    start_at : str, optional
        Two-digit prefix of the first notebook to run (e.g. ``"04"``). A partial rerun continues the run recorded in
        ``run_dir/run.json``: profile, seed, ``score_fit`` and cohort are the run's (one given differently is a
        ``ValueError``, as is a manifest changed since), the twin is never regenerated, the files the skipped
        notebooks wrote must exist, and the skipped notebooks' records are kept in ``run.json``.
    score_fit : {"out_of_fold", "test"}, optional
        Overrides the profile's ``score_fit`` (where thresholds and models on CNN scores are fitted), e.g.
        ``"out_of_fold"`` on the quick profile for honest statistics at the cost of 5 more trainings of the selected
        network per stage. Recorded in ``run.json`` (``parameters`` and the effective ``profile``).
    gpus : int, optional
        CUDA devices for training (notebook 03's parameter ``gpus``): each candidate's chain of two trainings on its
        own GPU (:func:`gvisage_lib.cnn.parallel.plan_slots`). Default: one GPU if CUDA is available, trainings
        concurrent on it as memory allows. Recorded in ``run.json``; it does not change the run's results.
    notebooks_dir : path-like, optional
        Folder of the numbered notebooks (default: the repository's ``notebooks/``).
    log : callable
        Receives one progress line at a time.

    Raises
    ------
    gvisage_lib.cohort.manifest.ManifestError
        The cohort manifest is invalid (nothing has been written).
    NotebookFailed
        A notebook raised; the partial executed notebook is kept.

    Examples
    --------
    >>> reproduce("/tmp/x", profile="nope")
    Traceback (most recent call last):
    ...
    ValueError: profile must be one of ['paper', 'quick', 'smoke'], got 'nope'
    """
    import papermill as pm

    from gvisage_lib.cohort.manifest import load_manifest

    if profile is not None:
        get_profile(profile)  # an unknown name is refused before anything else
    if gpus is not None and (not isinstance(gpus, int) or isinstance(gpus, bool) or gpus < 1):
        raise ValueError(f"gpus must be a positive integer, got {gpus!r}")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    notebooks_dir = NOTEBOOK_DIR if notebooks_dir is None else notebooks_dir
    books = list_notebooks(notebooks_dir)
    if not books:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {notebooks_dir}")
    earlier: list[dict[str, Any]] = []
    continued = None
    if start_at is not None:
        if not any(b.name.startswith(f"{start_at}_") for b in books):
            raise ValueError(f"start_at must be the prefix of a notebook ({[b.name[:2] for b in books]}), got {start_at!r}")
        books = [b for b in books if b.name[:2] >= start_at]
        continued = _continued_settings(Path(run_dir), start_at, profile=profile, seed=seed, score_fit=score_fit,
                                        manifest=manifest)
        profile, seed, score_fit = continued["profile"], continued["seed"], continued["score_fit"]
        earlier = [n for n in continued["notebooks"] if str(n.get("notebook", ""))[:2] < start_at]
    profile = "quick" if profile is None else profile
    seed = DEFAULT_SEED if seed is None else seed
    prof = get_profile(profile, **({"score_fit": score_fit} if score_fit else {}))

    if continued is not None:
        paths = RunPaths(run_dir)
        missing = [str(p) for p in _inputs_of(start_at, paths, prof.score_fit) if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"--from {start_at}: the earlier notebooks' outputs are missing: "
                                    f"{', '.join(missing)}; rerun from an earlier notebook")
        user_manifest = None if continued["synthetic_twin"] else continued["manifest"]
        manifest_path = continued["manifest"]
        load_manifest(manifest_path)
        log(f"continuing the run in {paths.root} from notebook {start_at} (profile {profile}, seed {seed})")
        paths.ensure()
        t_start = time.perf_counter()
    else:
        user_manifest = Path(manifest).resolve() if manifest is not None else None
        if user_manifest is not None:
            load_manifest(user_manifest)  # raises ManifestError before anything is written
        paths = RunPaths(run_dir).ensure()
        t_start = time.perf_counter()
        manifest_path = (user_manifest if user_manifest is not None
                         else prepare_cohort(paths, seed=seed, profile=profile, log=log))
        if user_manifest is None:
            load_manifest(manifest_path)

    record: dict[str, Any] = {
        "gvisage_version": __version__,
        "status": "running",
        "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run_dir": str(paths.root),
        "parameters": {"profile": profile, "seed": seed, "manifest": str(manifest_path),
                       "synthetic_twin": user_manifest is None, "start_at": start_at, "score_fit": prof.score_fit,
                       "gpus": gpus},
        "profile": prof.to_dict(),
        "git": git_state(REPO_ROOT),
        "packages": package_versions(),
        "environment": environment_info(),
        "data": manifest_hashes(manifest_path),
        "notebooks": list(earlier),
    }
    write_json(record, paths.run_json)
    _kernel_env()
    params = {"run_dir": str(paths.root), "manifest": str(user_manifest) if user_manifest else "",
              "profile": profile, "seed": seed, "score_fit": prof.score_fit}
    for i, book in enumerate(books, 1):
        executed = paths.notebooks / book.name
        log(f"[{i}/{len(books)}] {book.stem}: running (elapsed {time.perf_counter() - t_start:.0f} s)")
        t0 = time.perf_counter()
        try:
            declared = pm.inspect_notebook(str(book))
            extra = {"gpus": gpus} if gpus is not None and "gpus" in declared else {}
            pm.execute_notebook(str(book), str(executed), parameters={**params, **extra}, cwd=str(paths.root),
                                kernel_name="python3", progress_bar=False, log_output=False)
        except pm.PapermillExecutionError as err:
            failure = NotebookFailed(book.name, err.exec_count, f"{err.ename}: {err.evalue}", executed,
                                     source=err.source or "")
            record["notebooks"].append({"notebook": book.name, "seconds": round(time.perf_counter() - t0, 2),
                                        "status": "failed", "cell": err.exec_count,
                                        "error": f"{err.ename}: {err.evalue}"})
            record.update(status="failed", finished_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            write_json(record, paths.run_json)
            raise failure from None
        secs = time.perf_counter() - t0
        _render_html(executed, paths.html / f"{book.stem}.html")
        record["notebooks"].append({"notebook": book.name, "seconds": round(secs, 2), "status": "succeeded"})
        write_json(record, paths.run_json)
        log(f"[{i}/{len(books)}] {book.stem}: done in {secs:.1f} s")
    record.update(status="succeeded", finished_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  total_seconds=round(time.perf_counter() - t_start, 2), outputs=output_hashes(paths.root))
    write_json(record, paths.run_json)
    log(f"run finished in {record['total_seconds']:.1f} s: {paths.root}")
    return record
