"""Run the numbered notebooks in order with papermill: the one command behind ``gvisage reproduce``.

A run folder (see :mod:`gvisage_lib.core.paths`) receives the synthetic twin (unless ``manifest`` points at a cohort of
the user's own), every executed notebook, its HTML rendering and ``run.json``.

Behaviour worth knowing:

* The cohort is validated first, for the columns of the notebooks about to run
  (:data:`gvisage_lib.cohort.manifest.NOTEBOOK_COLUMNS`) and every photo. An invalid manifest of the user's writes
  nothing at all (not even the run folder) and raises :class:`gvisage_lib.cohort.manifest.ManifestError`; its
  warnings (an optional column absent, an implausible age) are logged.
* The twin is regenerated only when the run folder holds none made with the same seed and profile settings;
  likewise the face cache and finished checkpoints are reused by the notebooks, so a rerun redoes only what changed.
* Notebooks run in file-name order (``NN_name.ipynb``); ``start_at="04"`` reruns from that notebook on, reading
  what the earlier ones wrote.
* On a failing cell the run stops, the partially executed notebook is kept in ``notebooks/`` (papermill saves it
  cell by cell, on purpose), ``run.json`` records the notebook and the cell, and :class:`NotebookFailed` is raised.
  The cell is named by its execution count in the executed notebook (``In [N]``; papermill's injected-parameters
  cell counts) and its first source line.
* Each executed notebook is written by papermill; the HTML rendering and ``run.json`` are written atomically.
* Notebook parameters other than the run's five (``parameters={"crop_mode": "box"}``, ``gvisage reproduce -p``)
  are checked against the notebooks' declarations (:mod:`gvisage_lib.run.parameters`), passed to the notebooks that
  declare them and recorded in ``run.json`` (``parameters.notebook_parameters``). Change them with ``--from NN``
  from the first notebook that reads them, or run that notebook by hand with papermill: every notebook records
  itself in the run record (:mod:`gvisage_lib.run.recording`), the later ones become ``stale``, and
  :func:`render_run` (``gvisage report``) renders the pages from the record.
* The run record (:class:`gvisage_lib.core.record.RunRecord`) is read back after every notebook: the notebook's
  kernel writes its own parameters, cell times and output hashes into it.
* One run at a time per run folder (:mod:`gvisage_lib.run.lock`); a run folder that cannot be created or written
  is refused with :class:`RunFolderError` before anything is written.
* ``SIGINT``/``SIGTERM`` stop the run cleanly (:mod:`gvisage_lib.run.interrupt`): ``run.json`` records
  ``"interrupted"``, the kernel and its worker processes are ended, the lock is released and
  :class:`~gvisage_lib.run.interrupt.RunInterrupted` is raised.

Examples
--------
>>> [p.name for p in list_notebooks()][:1]
['01_cohort.ipynb']
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gvisage_lib import __version__
from gvisage_lib.cohort.manifest import manifest_hashes
from gvisage_lib.core.io import write_json, write_text
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import DEFAULT_PROFILE, DEFAULT_SEED, Profile, get_profile
from gvisage_lib.core.progress import PREFIX_ENV
from gvisage_lib.core.provenance import environment_info, git_state, output_hashes, package_versions
from gvisage_lib.core.record import PIPELINE_RUNNER, RunRecord, RunRecordError, RunSettings, now_utc
from gvisage_lib.core.validation import check_int
from gvisage_lib.run.catalog import NOTEBOOK_DIR, list_notebooks, notebook_title
from gvisage_lib.run.integrity import check_reused_inputs, notebook_outputs, photo_hashes, snapshot
from gvisage_lib.run.interrupt import RunInterrupted, execute_notebook_in_thread, signals_interrupt
from gvisage_lib.run.lock import RunLock
from gvisage_lib.run.parameters import NotebookParameter, check_overrides, check_seed, declared_parameters
from gvisage_lib.run.recording import RUNNER_ENV
from gvisage_lib.run.report import write_run_index

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = Path(__file__).resolve().with_name("templates")


class RunStepFailed(RuntimeError):
    """A step of the run failed (a notebook, or writing the overview page and checklists at the end); ``run.json``
    says ``failed`` and names it. ``gvisage reproduce`` exits 1."""


class NotebookFailed(RunStepFailed):
    """A notebook of the pipeline raised, its kernel died, a file could not be written, or it did not write a
    declared output; names the notebook, the cell (where one failed) and the error."""

    def __init__(self, notebook: str, cell: int | None, error: str, partial: Path, source: str = "") -> None:
        self.notebook, self.cell, self.error, self.partial, self.source = notebook, cell, error, partial, source
        where = f"cell In [{cell}]" if cell is not None else "an unknown cell"
        first = source.strip().splitlines()[0] if source.strip() else ""
        super().__init__(f"notebook {notebook} failed in {where} ({first!r}): {error}\n"
                         f"partial executed notebook kept at {partial}")


class RunFolderError(ValueError):
    """The run folder (``--out``) cannot be used: it is a file, lies inside a file, or cannot be created or written."""


@dataclass(frozen=True)
class NotebookTiming:
    """Wall time of one executed notebook."""

    notebook: str
    seconds: float


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


def _render_html(executed: Path, dest: Path) -> Path:
    """Render an executed notebook to HTML for reading and sharing.

    The page is titled with the notebook's first heading, uses this package's template
    (``gvisage_lib/run/templates/notebook.html.j2``: JupyterLab's page without scripts from the network, with the
    display CSS of :mod:`gvisage_lib.run.display` and a link back to the run's ``index.html``) and leaves out the
    parameters cell and papermill's injected-parameters cell (``setup_notebook`` prints the parameters on one line
    without machine paths instead).
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = notebook_title(nb, default=executed.stem)
    exporter = HTMLExporter(template_name="lab", template_file="notebook.html.j2",
                            extra_template_paths=[str(TEMPLATE_DIR)])
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters"}),
                                   enabled=True)
    run = executed.resolve().parent.parent  # <run>/notebooks/<name>.ipynb
    notice = ""
    if RunRecord.exists(run):
        from gvisage_lib.run.notice import notice_html

        notice = notice_html(RunPaths(run), link_prefix="../")  # what the data are, at the top of the page
    body, _ = exporter.from_notebook_node(nb, resources={"gvisage_notice": notice})
    return write_text(body, dest)


def render_run(run_dir: str | os.PathLike[str], notebooks_dir: str | os.PathLike[str] | None = None,
               log: Callable[[str], None] = print) -> Path:
    """Render again the HTML of every executed notebook the run record lists, and the overview page, from the record
    (``gvisage report RUN``); return the overview page's path.

    This is how a notebook run by papermill by hand (or in JupyterLab) reaches the run's pages: the notebook
    recorded itself in the record (:mod:`gvisage_lib.run.recording`), and its executed copy is expected in
    ``<run>/notebooks/``. An executed notebook older than its record's start (papermill wrote the new one elsewhere)
    is rendered all the same and named in a warning line: its page shows the earlier execution.

    Examples
    --------
    >>> render_run("/nonexistent/run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent/run/run.json not found: /nonexistent/run is not a run folder of ...
    """
    from datetime import datetime

    paths = RunPaths(run_dir)
    record = RunRecord.load(paths)
    for entry in record.notebooks:
        executed = paths.notebooks / entry.notebook
        if not executed.is_file():
            log(f"warning: {entry.notebook} is in the run record but not in {paths.notebooks}: no page rendered")
            continue
        if entry.started_utc:
            started = datetime.fromisoformat(entry.started_utc).timestamp()
            if executed.stat().st_mtime < started - 1:
                log(f"warning: {executed} is older than its record's run (started {entry.started_utc}): its page "
                    f"shows an earlier execution; write papermill's output to {executed} to show the last one")
        _render_html(executed, paths.html / f"{executed.stem}.html")
        log(f"{entry.notebook}: {entry.status}; page html/{executed.stem}.html")
    stale = [n.notebook for n in record.notebooks if n.status == "stale"]
    if stale:
        log(f"stale in the record: {', '.join(stale)} (made with earlier parameters); bring them up to date with "
            f"gvisage reproduce --out {paths.root} --from {stale[0][:2]}")
    return write_run_index(paths, notebooks_dir)


#: Arguments of every notebook kernel. ipykernel by default also captures what is written to the kernel process's file
#: descriptors 1 and 2 into the notebook; off, the process's own standard error (``sys.__stderr__``) stays the
#: terminal of ``gvisage reproduce``, where :mod:`gvisage_lib.core.progress` writes, and low-level noise of extension
#: libraries (C++ warnings) stays out of the notebooks. ``sys.stdout``/``sys.stderr`` are captured as always. The
#: start-up line keeps ipykernel's own exit quiet on that terminal
#: (:func:`gvisage_lib.run.interrupt.quiet_kernel_exit`).
KERNEL_ARGUMENTS: tuple[str, ...] = (
    "--IPKernelApp.capture_fd_output=False",
    "--IPKernelApp.exec_lines=__import__('gvisage_lib.run.interrupt', fromlist=['_']).quiet_kernel_exit()",
)


def kernel_config() -> Any:
    """Configuration of the notebook kernels' manager: local IPC transport (Unix sockets) where the system has it.

    Over TCP (jupyter_client's default) ipykernel warns at every start that the kernel "is running over TCP without
    encryption"; the kernels of a run only ever talk to the ``gvisage`` process on the same machine, so Unix-domain
    sockets in the Jupyter runtime folder (readable by the user only) are the right transport and the warning does
    not arise. On Windows, which has no IPC transport in ZeroMQ, TCP on localhost stays.

    Examples
    --------
    >>> cfg = kernel_config()
    >>> cfg.KernelManager.transport if os.name != "nt" else "ipc"
    'ipc'
    """
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc"}}) if os.name != "nt" else Config()


def _execute_book(book: Path, executed: Path, parameters: dict[str, Any], cwd: Path, *, prefix: str = "") -> None:
    """Execute one notebook with papermill into ``executed``: kernel over IPC, progress lines prefixed by ``prefix``.

    The kernel gets :data:`KERNEL_ARGUMENTS` (its process's standard error is the terminal's, not the notebook's).

    ``prefix`` (e.g. ``"03 train"``) reaches the kernel in the environment variable
    :data:`gvisage_lib.core.progress.PREFIX_ENV` and begins each progress line the library writes to the terminal;
    :data:`gvisage_lib.run.recording.RUNNER_ENV` tells the notebook's record who ran it.
    Runs in a helper thread (:func:`gvisage_lib.run.interrupt.execute_notebook_in_thread`), so that ``SIGINT`` and
    ``SIGTERM`` reach the pipeline. Raises papermill's ``PapermillExecutionError`` when a cell fails.
    """
    before = {name: os.environ.get(name) for name in (PREFIX_ENV, RUNNER_ENV)}
    os.environ[PREFIX_ENV], os.environ[RUNNER_ENV] = prefix, PIPELINE_RUNNER
    try:
        execute_notebook_in_thread(str(book), str(executed), parameters=parameters, cwd=str(cwd),
                                   config=kernel_config(), extra_arguments=list(KERNEL_ARGUMENTS))
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _kernel_env() -> None:
    """Make the notebook kernels use this interpreter and this copy of ``gvisage_lib``.

    The folder holding the ``gvisage_lib`` that runs the pipeline goes first on the kernels' ``PYTHONPATH``, so the
    notebooks import the same code as the command that runs them (a checkout run with ``python -m gvisage_lib``
    beside another, installed one would otherwise mix the two). ``MPLBACKEND`` is removed from the kernels'
    environment: ipykernel then selects its inline backend, which is what puts figures into the executed notebook and
    its HTML (with ``Agg`` they would be saved but not shown).
    """
    bindir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bindir + os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    package_root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if not paths or paths[0] != package_root:
        os.environ["PYTHONPATH"] = os.pathsep.join([package_root, *[p for p in paths if p != package_root]])
    os.environ.pop("MPLBACKEND", None)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _twin_note(settings: RunSettings) -> str:
    """``", twin seed 7"`` where the run's twin has its own seed, else empty (progress lines).

    Examples
    --------
    >>> _twin_note(RunSettings(seed=3, twin_seed=7)), _twin_note(RunSettings(seed=3))
    (', twin seed 7', '')
    """
    return f", twin seed {settings.twin_seed}" if settings.twin_seed is not None else ""


def _continued_record(run_dir: Path, start_at: str, *, profile: str | None, seed: int | None,
                      score_fit: str | None, manifest: str | os.PathLike[str] | None,
                      notebook_parameters: dict[str, Any] | None = None,
                      declared: dict[str, NotebookParameter] | None = None,
                      twin_seed: int | None = None) -> RunRecord:
    """The record of the run that ``--from`` continues; a setting given differently from it is an error.

    A partial rerun must use the profile, seed, CNN-score fitting and cohort the earlier notebooks' outputs were made
    with, or it would mix outputs of two configurations under one run record. The same holds for a notebook
    parameter that a notebook before ``start_at`` reads; one that only later notebooks read may change. Returns the
    prior record with its notebook parameters updated with the ones given.
    """
    try:
        prior = RunRecord.load(run_dir)
        run_score_fit = prior.profile["score_fit"]
    except FileNotFoundError:
        raise FileNotFoundError(f"--from {start_at}: {RunRecord.path(run_dir)} not found; a partial rerun continues a "
                                "run made before (run from the first notebook without --from)") from None
    except (RunRecordError, KeyError) as exc:
        raise ValueError(f"--from {start_at}: {RunRecord.path(run_dir)} is not a run record of this version "
                         f"({exc}); run from the first notebook") from None
    params = prior.settings
    given = {"profile": profile, "seed": seed, "score_fit": score_fit, "twin_seed": twin_seed}
    had = {"profile": params.profile, "seed": params.seed, "score_fit": run_score_fit,
           "twin_seed": params.cohort_seed}
    for name, value in given.items():
        if value is not None and value != had[name]:
            raise ValueError(f"--from {start_at}: the run in {run_dir} was made with {name} {had[name]!r}, not "
                             f"{value!r}; rerun from the first notebook (or into another --out) to change it")
    if manifest is not None:
        if params.synthetic_twin:
            raise ValueError(f"--from {start_at}: the run in {run_dir} was made on the synthetic twin, not on "
                             f"{manifest}; rerun from the first notebook to change the cohort")
        if Path(manifest).resolve() != Path(params.manifest).resolve():
            raise ValueError(f"--from {start_at}: the run in {run_dir} was made with the manifest "
                             f"{params.manifest}, not {manifest}")
    run_manifest = Path(params.manifest)
    if not run_manifest.is_file():
        raise FileNotFoundError(f"--from {start_at}: the run's manifest {run_manifest} no longer exists")
    digest = manifest_hashes(run_manifest)["manifest_sha256"]
    if digest != prior.data.get("manifest_sha256"):
        raise ValueError(f"--from {start_at}: the manifest {run_manifest} changed since the run was made (SHA-256 "
                         f"{digest[:12]}... now); rerun from the first notebook")
    run_overrides = dict(params.notebook_parameters)
    for name, value in (notebook_parameters or {}).items():
        param = (declared or {}).get(name)
        before = run_overrides.get(name, param.default if param is not None else None)
        readers = [b for b in (param.notebooks if param is not None else ()) if b[:2] < start_at]
        if readers and value != before:
            raise ValueError(f"--from {start_at}: parameter {name} is read by notebook {readers[0]}, which runs "
                             f"before {start_at}; the run in {run_dir} was made with {name} = {before!r}, not "
                             f"{value!r}; rerun with --from {readers[0][:2]} to change it")
        params.notebook_parameters[name] = value
    try:  # a value recorded before the notebooks declared their values, or by hand, is not inherited unchecked
        if declared is not None:
            check_overrides(params.notebook_parameters, declared)
    except ValueError as exc:
        raise ValueError(f"--from {start_at}: the run's notebook parameters in {RunRecord.path(run_dir)} are not "
                         f"valid: {exc}; give a valid value with -p NAME VALUE") from None
    params.score_fit = run_score_fit
    return prior


def _check_cohort(manifest: Path, books: list[Path], log: Callable[[str], None]) -> None:
    """Validate ``manifest`` for the notebooks ``books`` (raises ManifestError); log the report if it has warnings."""
    from gvisage_lib.cohort.manifest import NOTEBOOK_COLUMNS, validate_manifest

    known = {n.notebook for n in NOTEBOOK_COLUMNS}
    report = validate_manifest(manifest, notebooks=[b.stem for b in books if b.stem in known])
    report.raise_for_errors()
    if not report.warnings.empty:
        log(str(report))


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


def check_run_folder(run_dir: str | os.PathLike[str]) -> Path:
    """Refuse a run folder that is a file or lies inside one; return it as a path. Reads only.

    Whether the folder can be created and written is learnt when it is (:class:`RunFolderError` then too): a test of
    permissions ahead of time says nothing reliable (``root``, read-only mounts, network file systems).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "file"
    >>> _ = f.write_text("x")
    >>> check_run_folder(f / "run")
    Traceback (most recent call last):
    ...
    gvisage_lib.run.pipeline.RunFolderError: --out ... lies inside ..., which is a file, not a folder
    """
    folder = Path(run_dir)
    for candidate in (folder, *folder.parents):
        try:
            exists = candidate.exists()
            is_dir = candidate.is_dir()
        except OSError as exc:
            raise RunFolderError(f"--out {folder}: cannot look at {candidate}: {exc.strerror or exc}") from None
        if exists:
            if not is_dir:
                if candidate == folder:
                    raise RunFolderError(f"--out {folder} is a file, not a folder")
                raise RunFolderError(f"--out {folder} lies inside {candidate}, which is a file, not a folder")
            break
    return folder


def _make_run_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"--out {folder}: cannot create the run folder: {exc.strerror or exc}") from None


def reproduce(run_dir: str | os.PathLike[str], *, profile: str | None = None,
              manifest: str | os.PathLike[str] | None = None, seed: int | None = None, start_at: str | None = None,
              score_fit: str | None = None, parameters: dict[str, Any] | None = None,
              gpus: int | None = None, twin_seed: int | None = None,
              notebooks_dir: str | os.PathLike[str] | None = None,
              log: Callable[[str], None] = print) -> RunRecord:
    """Run the whole pipeline into the run folder ``run_dir`` and return the run record (also in ``run.json``).

    Parameters
    ----------
    run_dir : path-like
        Run folder; created if missing.
    profile : {"smoke", "quick", "paper"}, optional
        Parameter set (:mod:`gvisage_lib.core.profiles`); default :data:`DEFAULT_PROFILE`, or the run's with
        ``start_at``.
    manifest : path-like, optional
        A cohort manifest of the user's. Without it the synthetic twin is generated into ``run_dir/cohort``.
    seed : int, optional
        Master seed: the twin, the splits' resampling, the CNN initialisation and the bootstraps derive from it.
        Default :data:`DEFAULT_SEED`, or the run's with ``start_at``.
    start_at : str, optional
        Two-digit prefix of the first notebook to run (e.g. ``"04"``). A partial rerun continues the run recorded in
        ``run_dir/run.json``: profile, seed, ``score_fit``, cohort and notebook parameters are the run's (one given
        differently is a ``ValueError``, as is a manifest changed since; a notebook parameter that only notebooks
        from ``start_at`` on read may change), the twin is never regenerated, the files the skipped notebooks wrote
        must exist, and the skipped notebooks' records are kept in ``run.json``.
    score_fit : {"out_of_fold", "test"}, optional
        Overrides the profile's ``score_fit`` (where thresholds and models on CNN scores are fitted), e.g.
        ``"out_of_fold"`` on the quick profile for honest statistics at the cost of 5 more trainings of the selected
        network per stage. Recorded in ``run.json`` (``parameters`` and the effective ``profile``).
    parameters : dict, optional
        Notebook parameters, ``name -> value`` (text is parsed to the declared type): each goes to the notebooks
        that declare it. Checked by :func:`gvisage_lib.run.parameters.check_overrides` (an undeclared name, one of
        the run's five, or a value of the wrong type is a ``ValueError``); recorded in ``run.json``.
    gpus : int, optional
        CUDA devices for training: the same as the notebook parameter ``gpus`` of notebook 03 (``-p gpus N``), each
        candidate's chain of two trainings on its own GPU (:func:`gvisage_lib.cnn.parallel.plan_slots`). Default:
        one GPU if CUDA is available, the trainings one after another on it. Recorded in ``run.json`` with the
        notebook parameters; it does not change the run's results.
    twin_seed : int, optional
        Seed of the synthetic twin alone, set apart from ``seed`` (which then drives only the training's
        initialisation and resampling and the statistics' resampling): ``gvisage replicate --vary training`` keeps
        the cohort fixed this way. Default: ``seed`` (the behaviour without it). Recorded in ``run.json``
        (``parameters.twin_seed``) when given; with ``start_at`` it is the run's (a different one is refused). Not
        allowed with ``manifest`` (a cohort of the user's has no twin).
    notebooks_dir : path-like, optional
        Folder of the numbered notebooks (default: the repository's ``notebooks/``, or the installed copy).
    log : callable
        Receives one progress line at a time.

    Raises
    ------
    gvisage_lib.cohort.manifest.ManifestError
        The cohort manifest is invalid (nothing has been written).
    RunFolderError
        ``run_dir`` is a file, lies inside one, or cannot be created or written (nothing has been written).
    gvisage_lib.run.lock.RunLocked
        Another run is using ``run_dir``.
    NotebookFailed
        A notebook raised; the partial executed notebook is kept.
    gvisage_lib.run.interrupt.RunInterrupted
        ``SIGINT`` or ``SIGTERM`` arrived; ``run.json`` says ``"interrupted"`` and nothing is left running.

    Examples
    --------
    >>> reproduce("/tmp/x", profile="nope")
    Traceback (most recent call last):
    ...
    ValueError: profile must be one of ['paper', 'quick', 'smoke'], got 'nope'
    """

    if profile is not None:
        get_profile(profile)  # an unknown name is refused before anything else
    check_int("gpus", gpus, minimum=1, allow_none=True)
    if gpus is not None and gpus > 1:  # refused here, before anything is written, not in notebook 03
        import torch

        if gpus > torch.cuda.device_count():
            raise ValueError(f"gpus must be at most the {torch.cuda.device_count()} visible CUDA devices, got {gpus}")
    check_int("seed", seed, minimum=0, allow_none=True)
    if seed is not None:
        check_seed(seed)  # the range: 0 .. 2**32 - 1
    check_int("twin_seed", twin_seed, minimum=0, allow_none=True)
    if twin_seed is not None:
        check_seed(twin_seed, option="--twin-seed")
        if manifest is not None:
            raise ValueError(f"twin_seed ({twin_seed}) is the synthetic twin's seed; a run on the manifest {manifest} "
                             "has no twin: give one or the other")
    notebooks_dir = NOTEBOOK_DIR if notebooks_dir is None else notebooks_dir
    all_books = list_notebooks(notebooks_dir)
    if not all_books:
        raise FileNotFoundError(f"no numbered notebooks (NN_name.ipynb) in {notebooks_dir}")
    books = all_books
    if start_at is not None and not any(b.name.startswith(f"{start_at}_") for b in books):
        raise ValueError(f"start_at must be the prefix of a notebook ({[b.name[:2] for b in books]}), got {start_at!r}")
    folder = check_run_folder(run_dir)
    declared = declared_parameters(all_books)
    parameters = dict(parameters or {})
    if gpus is not None:  # --gpus is notebook 03's parameter ``gpus``
        if "gpus" in parameters and str(parameters["gpus"]) != str(gpus):
            raise ValueError(f"gpus is given twice with different values: --gpus {gpus} and -p gpus "
                             f"{parameters['gpus']!r}")
        parameters["gpus"] = gpus
    overrides = check_overrides(parameters, declared)
    prior = None
    if start_at is not None:
        books = [b for b in books if b.name[:2] >= start_at]
        prior = _continued_record(folder, start_at, profile=profile, seed=seed, score_fit=score_fit,
                                  manifest=manifest, notebook_parameters=overrides, declared=declared,
                                  twin_seed=twin_seed)
        profile, seed, score_fit = prior.settings.profile, prior.settings.seed, prior.settings.score_fit
        twin_seed = prior.settings.twin_seed
    profile = DEFAULT_PROFILE if profile is None else profile
    seed = DEFAULT_SEED if seed is None else seed
    prof = get_profile(profile, **({"score_fit": score_fit} if score_fit else {}))

    if prior is not None:
        missing = [str(p) for p in _inputs_of(start_at, RunPaths(folder), prof.score_fit) if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"--from {start_at}: the earlier notebooks' outputs are missing: "
                                    f"{', '.join(missing)}; rerun from an earlier notebook")
        check_reused_inputs(prior, start_at, folder)  # raises InputChanged (a ValueError) naming the file
        user_manifest = None if prior.settings.synthetic_twin else Path(prior.settings.manifest)
        _check_cohort(Path(prior.settings.manifest), books, log)
    else:
        user_manifest = Path(manifest).resolve() if manifest is not None else None
        if user_manifest is not None:
            _check_cohort(user_manifest, books, log)  # raises ManifestError before anything is written
    record = _new_record(folder, prof, seed=seed, start_at=start_at, user_manifest=user_manifest,
                         overrides=prior.settings.notebook_parameters if prior is not None else overrides,
                         prior=prior, twin_seed=twin_seed)
    _make_run_folder(folder)
    with signals_interrupt():
        lock = RunLock(folder, log=log)
        try:
            lock.acquire()
        except OSError as exc:
            raise RunFolderError(f"--out {folder}: cannot write into the run folder: {exc.strerror or exc}") from None
        try:
            previous = {n.notebook: dict(n.outputs) for n in (prior.notebooks if prior is not None else [])}
            return _run(folder, books, record, prof=prof, user_manifest=user_manifest, declared=declared,
                        notebooks_dir=Path(notebooks_dir), log=log, previous_outputs=previous)
        finally:
            lock.release()


def _new_record(folder: Path, prof: Profile, *, seed: int, start_at: str | None, user_manifest: Path | None,
                overrides: dict[str, Any], prior: RunRecord | None, twin_seed: int | None = None) -> RunRecord:
    """The record a run starts with: its settings and provenance, and the notebooks a partial rerun keeps."""
    paths = RunPaths(folder)
    manifest = prior.settings.manifest if prior is not None else str(user_manifest or paths.twin_manifest)
    settings = RunSettings(profile=prof.name, seed=seed, manifest=manifest, synthetic_twin=user_manifest is None,
                           start_at=start_at, score_fit=prof.score_fit, notebook_parameters=dict(overrides),
                           twin_seed=twin_seed)
    record = RunRecord(status="running", gvisage_version=__version__, started_utc=now_utc(), run_dir=str(paths.root),
                       settings=settings, profile=prof.to_dict(), git=git_state(REPO_ROOT),
                       packages=package_versions(), environment=environment_info(),
                       notebooks=list(prior.notebooks) if prior is not None else [],
                       trainings=list(prior.trainings) if prior is not None else [],
                       data=dict(prior.data) if prior is not None else {})
    if start_at is not None:
        record.keep_notebooks_before(start_at)
    return record


def _run(folder: Path, books: list[Path], record: RunRecord, *, prof: Profile, user_manifest: Path | None,
         declared: dict[str, NotebookParameter], notebooks_dir: Path, log: Callable[[str], None],
         previous_outputs: dict[str, dict[str, str]] | None = None) -> RunRecord:
    """The run itself, under the run folder's lock: the cohort, the record, each notebook and its HTML, then the
    checklists and the overview page; ``succeeded`` is recorded only once all of these are written.

    The record is read back after each notebook (a notebook's kernel may record in it too).
    ``previous_outputs`` (notebook -> its outputs in the record a partial rerun continues) lets a rerun notebook
    that reuses a file (a finished model) still record it.
    """
    paths = RunPaths(folder).ensure()
    t_start = time.perf_counter()
    settings = record.settings
    current: tuple[str, float] | None = None
    try:
        record.save(paths)  # "running" from the start: an interruption is recorded
        if settings.start_at is not None:
            log(f"continuing the run in {paths.root} from notebook {settings.start_at} (profile {settings.profile}, "
                f"seed {settings.seed}{_twin_note(settings)})")
        else:
            manifest_path = (user_manifest if user_manifest is not None
                             else prepare_cohort(paths, seed=settings.cohort_seed, profile=settings.profile, log=log))
            if user_manifest is None:
                _check_cohort(manifest_path, books, log)
            settings.manifest = str(manifest_path)
            # the cohort's digests describe what this run uses; a partial rerun keeps the run's (checked equal)
            record.data = {**manifest_hashes(manifest_path), "photos": photo_hashes(manifest_path)}
        record.save(paths)
        if settings.notebook_parameters:
            log("notebook parameters: " + ", ".join(
                f"{k}={v!r} ({', '.join(b[:2] for b in declared[k].notebooks) if k in declared else 'no notebook'})"
                for k, v in settings.notebook_parameters.items()))
        _kernel_env()
        run_params = {"run_dir": str(paths.root), "manifest": str(user_manifest) if user_manifest else "",
                      "profile": settings.profile, "seed": settings.seed, "score_fit": prof.score_fit}
        for i, book in enumerate(books, 1):
            log(f"[{i}/{len(books)}] {book.stem}: running (elapsed {time.perf_counter() - t_start:.0f} s)")
            params = dict(run_params)
            params.update({k: v for k, v in settings.notebook_parameters.items()
                           if k in declared and book.name in declared[k].notebooks})
            record.start_notebook(book.name, params, runner=PIPELINE_RUNNER)
            record.save(paths)
            current = (book.name, time.perf_counter())
            record = _run_book(book, params, paths, notebooks_dir, log,
                               previous=(previous_outputs or {}).get(book.name))
            current = None
            log(f"[{i}/{len(books)}] {book.stem}: done in {record.notebook(book.name).seconds:.1f} s")
        record = _finish(paths, record, synthetic=user_manifest is None, notebooks_dir=notebooks_dir,
                         seconds=time.perf_counter() - t_start, log=log)
    except RunInterrupted as exc:
        record = RunRecord.load_or_none(paths) or record
        if current is not None:
            record.fail_notebook(current[0], cell=None, error="", seconds=time.perf_counter() - current[1],
                                 status="interrupted")
        record.mark_interrupted(f"{exc.signal_name} after {time.perf_counter() - t_start:.1f} s"
                                + (f", in notebook {current[0]}" if current is not None else ""))
        record.save(paths)
        raise
    except RunStepFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - preparing the cohort or the record failed (a full disk): named, failed
        error = _describe(exc)
        record.status, record.finished_utc = "failed", now_utc()
        record.failure = f"preparing the run: {error}"
        record.save_final(paths)
        raise RunStepFailed(f"the run failed before its first notebook: {error}") from None
    log(f"run finished in {record.total_seconds:.1f} s: {paths.root}; overview: {paths.index_html}")
    return record


def _finish(paths: RunPaths, record: RunRecord, *, synthetic: bool, notebooks_dir: Path, seconds: float,
            log: Callable[[str], None]) -> RunRecord:
    """Write the reporting checklists and the overview page; the run succeeded only when both are written.

    The STARD 2015 and TRIPOD+AI checklists say where this run reports each item: written once every notebook has
    written its outputs, before the outputs are hashed (so ``run.json`` lists them too). The overview page reads
    ``run.json``, so the record says ``succeeded`` while it is written; a failure writing either turns the record
    to ``failed`` (naming the step and the error) and raises :class:`RunStepFailed`.
    """
    from gvisage_lib.paper.checklists import write_checklists
    from gvisage_lib.run.report import write_docs, write_report_tables

    step = "writing the report tables"
    try:
        for path in write_report_tables(paths).values():  # the claims table, and the limitations item 26 points at
            log(f"report table: {path.relative_to(paths.root)}")
        step = "writing the documentation pages"
        write_docs(paths)
        step = "writing the reporting checklists"
        for path in write_checklists(paths, synthetic=synthetic).values():
            log(f"reporting checklist: {path.relative_to(paths.root)}")
        record.status, record.finished_utc = "succeeded", now_utc()
        record.total_seconds = round(seconds, 2)
        record.outputs = output_hashes(paths.root)
        step = "writing run.json"
        record.save(paths)
        step = f"writing the overview page {paths.index_html.name}"
        write_run_index(paths, notebooks_dir)
    except RunInterrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here means the run did not succeed; it is named
        error = _describe(exc)
        record.status, record.finished_utc, record.interruption = "failed", now_utc(), ""
        record.failure = f"{step}: {error}"
        record.save_final(paths)
        raise RunStepFailed(f"the run failed {step}: {error}") from None
    return record


def _describe(exc: BaseException) -> str:
    """One line for an error, naming the file of an ``OSError`` (``No space left on device: 'tables/x.csv'``)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{type(exc).__name__}: {exc.strerror}{where}"
    return f"{type(exc).__name__}: {exc}"


def _run_book(book: Path, params: dict[str, Any], paths: RunPaths, notebooks_dir: Path,
              log: Callable[[str], None], previous: dict[str, str] | None = None) -> RunRecord:
    """Execute one notebook of the run, check its declared outputs, render its HTML; return the record as it is then.

    The notebook is executed into a temporary file beside ``notebooks/NN_name.ipynb`` and moved into place
    (:func:`_place_executed`), so a full disk or a killed kernel never leaves a truncated notebook there. Once it
    ran, the files it wrote are hashed into its record (:func:`gvisage_lib.run.integrity.notebook_outputs`).

    Any failure (a failing cell, a dead kernel, a file that cannot be written, a declared output not written)
    records the notebook and the run as ``failed``, renders the partial notebook and the overview page where it can,
    and raises :class:`NotebookFailed` naming the notebook, the cell where one failed, and the file where there is
    one.
    """
    import papermill as pm

    executed = paths.notebooks / book.name
    partial = paths.notebooks / f".{book.stem}.partial.ipynb"
    t0 = time.perf_counter()
    before = snapshot(paths.root)
    cell, source = None, ""
    try:
        try:
            _execute_book(book, partial, params, paths.root, prefix=book.stem.replace("_", " "))
        finally:
            _place_executed(partial, executed)
        missing = missing_outputs(book.name, paths)
        if missing:
            raise DeclaredOutputsMissing(f"{book.name} did not write its declared outputs: {', '.join(missing)}")
        outputs = notebook_outputs(paths.root, before, previous)
        _render_html(executed, paths.html / f"{book.stem}.html")
    except RunInterrupted:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure of a step ends the run the same way, named
        if isinstance(exc, pm.PapermillExecutionError):
            cell, source, error = exc.exec_count, exc.source or "", f"{exc.ename}: {exc.evalue}"
        else:
            error = _describe(exc)
        _fail_book(book, paths, notebooks_dir, log, cell=cell, error=error, seconds=time.perf_counter() - t0)
        raise NotebookFailed(book.name, cell, error, executed, source=source) from None
    with RunRecord.updating(paths) as record:
        record.finish_notebook(book.name, seconds=time.perf_counter() - t0, runner=PIPELINE_RUNNER, outputs=outputs)
    return record


class DeclaredOutputsMissing(RuntimeError):
    """A notebook ran to its end without writing every table and figure the output index says it writes."""


#: Keys of the outputs of the index that a notebook writes only for some cohorts or run folders: the twin's
#: montages (synthetic cohort only), the STARD flow (needs the faces index), the clinical models' figures (a cohort
#: too small or without the clinical columns has their tables in the skipped form, and no figure) and Figure 5C
#: (needs the face stacks and network weights). Every other table and figure of a notebook must exist once it ran.
#: Keys of the index: a renumbering there must be followed here (a test checks that every key exists).
CONDITIONAL_OUTPUTS: frozenset[str] = frozenset({
    "figS2", "figS3", "stard_flow", "figS5", "figS7a", "figS7b", "figS8a", "figS8b", "figS9", "fig5c",
    "fig5c_attribution_subjects", "fig5c_localisation", "fig5c_localisation_by_subject"})


def missing_outputs(notebook: str, paths: RunPaths) -> list[str]:
    """The tables and figures that the output index (:mod:`gvisage_lib.paper.index`) says ``notebook`` writes
    (:data:`CONDITIONAL_OUTPUTS` left out) and that are not in the run folder (paths relative to it; a figure as
    its PNG).

    Examples
    --------
    >>> import tempfile
    >>> missing_outputs("01_cohort.ipynb", RunPaths(tempfile.mkdtemp()))[:2]
    ['tables/manifest_validation.csv', 'tables/study_flow.csv']
    """
    from gvisage_lib.paper.index import OUTPUTS

    stem = Path(notebook).stem
    missing = []
    for out in OUTPUTS:
        if out.notebook != stem or out.key in CONDITIONAL_OUTPUTS:
            continue
        rel = f"tables/{out.name}.csv" if out.kind == "table" else f"figures/{out.name}.png"
        if not (paths.root / rel).is_file():
            missing.append(rel)
    return missing


def _place_executed(partial: Path, executed: Path) -> None:
    """Move the executed notebook papermill wrote to ``partial`` onto ``executed``, if it is a whole notebook.

    papermill rewrites its output notebook after every cell; a write cut short (a full disk) leaves invalid JSON.
    Such a file is deleted and whatever ``executed`` held before stays.
    """
    import nbformat

    if not partial.is_file():
        return
    try:
        nbformat.read(partial, as_version=4)
    except Exception:  # noqa: BLE001 - a truncated or unreadable notebook is not kept
        partial.unlink(missing_ok=True)
        return
    os.replace(partial, executed)


def _fail_book(book: Path, paths: RunPaths, notebooks_dir: Path, log: Callable[[str], None], *, cell: int | None,
               error: str, seconds: float) -> None:
    """Record notebook ``book`` and the run as failed; render the partial notebook and the overview where possible."""
    try:
        record = RunRecord.load(paths)
    except (OSError, RunRecordError):
        return
    record.fail_notebook(book.name, cell=cell, error=error, seconds=seconds)
    record.status, record.finished_utc = "failed", now_utc()
    record.failure = f"notebook {book.name}: {error}"
    record.save_final(paths)
    executed = paths.notebooks / book.name
    try:  # the partial notebook, rendered up to the failing cell, and the overview page saying what failed
        if executed.is_file():
            _render_html(executed, paths.html / f"{book.stem}.html")
        log(f"run failed in {book.stem}; overview: {write_run_index(paths, notebooks_dir)}")
    except Exception as exc:  # noqa: BLE001 - the notebook's failure is the one to report
        log(f"the overview page could not be written after the failure: {exc!r}")
