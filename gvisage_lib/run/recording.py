"""A notebook records itself in its run's record, whoever runs it: ``gvisage reproduce``, papermill, JupyterLab.

:func:`gvisage_lib.run.notebook.setup_notebook` called with ``notebook=`` and the notebook's namespace
(``parameters=globals()``) records the notebook as ``running`` in ``run.json`` with the values of the parameters
its ``parameters`` cell declares (:func:`start_recording`); ``nb.finish()`` in its last cell records ``succeeded``,
the duration and the SHA-256 of every file it saved (:func:`finish_recording`). A cell that raises in between records
``failed`` with the cell's number and the error (an IPython ``post_run_cell`` hook, :func:`watch_failures`), so a
notebook that stops half-way is never recorded as succeeded.

The run's settings (profile and seed) must be the record's: a notebook run with others is refused with a message
that says which ``-p`` to give, since its outputs would mix two configurations in one run folder. A notebook
parameter whose value differs from the one the run was made with (``papermill ... -p threshold_rule
sensitivity_at_specificity``) becomes the run's, and every later notebook that had run is marked ``stale`` in the
record (:meth:`gvisage_lib.core.record.RunRecord.start_notebook`); ``gvisage reproduce --from NN`` reruns them with
the run's parameters, the new value included.

Examples
--------
>>> import tempfile
>>> from gvisage_lib.core.record import RunSettings
>>> run = tempfile.mkdtemp()
>>> _ = RunRecord(status="succeeded", settings=RunSettings(profile="smoke", seed=11)).save(run)
>>> check_settings(RunRecord.load(run), profile="quick", seed=11)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: the run in this folder was made with profile 'smoke', not 'quick': run the notebook with -p profile ...
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gvisage_lib import __version__
from gvisage_lib.core.io import sha256_file
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import Profile
from gvisage_lib.core.provenance import environment_info, git_state, package_versions
from gvisage_lib.core.record import NOTEBOOK_RUNNER, RunRecord, RunSettings, now_utc
from gvisage_lib.run.catalog import NOTEBOOK_DIR
from gvisage_lib.run.parameters import PIPELINE_PARAMETERS, declared_parameters

__all__ = ["RUNNER_ENV", "cell_times", "check_settings", "finish_recording", "notebook_file", "notebook_values",
           "start_recording", "stop_watching", "watch_failures"]

#: Environment variable naming who runs the notebook's kernel (``gvisage reproduce`` sets it for its kernels).
RUNNER_ENV = "GVISAGE_RUNNER"
#: The failure hook registered by the last :func:`watch_failures` in this kernel (one at a time).
_HOOK: dict[str, Any] = {}


def notebook_file(notebook: str) -> str:
    """The notebook's file name from its name with or without ``.ipynb``.

    Examples
    --------
    >>> notebook_file("04_stage_roc"), notebook_file("04_stage_roc.ipynb")
    ('04_stage_roc.ipynb', '04_stage_roc.ipynb')
    """
    name = Path(str(notebook)).name
    if len(name) < 3 or not name[:2].isdigit() or name[2] != "_":
        raise ValueError(f"notebook must be the name of a numbered notebook (NN_name), got {notebook!r}")
    return name if name.endswith(".ipynb") else f"{name}.ipynb"


def notebook_values(notebook: str, namespace: Mapping[str, Any],
                    notebooks_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The values in ``namespace`` of the parameters that ``notebook``'s ``parameters`` cell declares.

    Examples
    --------
    >>> vals = notebook_values("06_endocrine", {"corr_method": "pearson", "run_dir": "x", "other": 1})
    >>> vals["corr_method"], "other" in vals
    ('pearson', False)
    """
    source = Path(NOTEBOOK_DIR if notebooks_dir is None else notebooks_dir) / notebook_file(notebook)
    if not source.is_file():
        raise FileNotFoundError(f"notebook {notebook_file(notebook)} not found in {source.parent}: cannot tell which "
                                "parameters it declares")
    declared = declared_parameters([source])
    return {name: namespace[name] for name in declared if name in namespace}


def check_settings(record: RunRecord, *, profile: str, seed: int) -> None:
    """Refuse a notebook that runs with another profile or seed than the run it writes into was made with."""
    for name, had, given in (("profile", record.settings.profile, profile), ("seed", record.settings.seed, seed)):
        if had != given:
            raise ValueError(f"the run in this folder was made with {name} {had!r}, not {given!r}: run the notebook "
                             f"with -p {name} {had} (or set it in its parameters cell)")


def _changed(record: RunRecord, notebook: str, values: Mapping[str, Any],
             notebooks_dir: str | os.PathLike[str] | None) -> dict[str, tuple[Any, Any]]:
    """The notebook's own parameters whose values differ from the run's (its recorded value, else the default)."""
    source = Path(NOTEBOOK_DIR if notebooks_dir is None else notebooks_dir) / notebook_file(notebook)
    declared = declared_parameters([source])
    out = {}
    for name, value in values.items():
        if name in PIPELINE_PARAMETERS or name not in declared:
            continue
        before = record.settings.notebook_parameters.get(name, declared[name].default)
        if value != before:
            out[name] = (before, value)
    return out


def _new_record(paths: RunPaths, prof: Profile, *, seed: int, manifest_path: Path, synthetic: bool) -> RunRecord:
    """The record a notebook makes in a run folder that has none (no ``gvisage reproduce`` ran there)."""
    from gvisage_lib.cohort.manifest import manifest_hashes

    repo = Path(__file__).resolve().parents[2]
    settings = RunSettings(profile=prof.name, seed=seed, manifest=str(manifest_path), synthetic_twin=synthetic,
                           score_fit=prof.score_fit)
    return RunRecord(status="partial", gvisage_version=__version__, started_utc=now_utc(), run_dir=str(paths.root),
                     settings=settings, profile=prof.to_dict(), git=git_state(repo), packages=package_versions(),
                     environment=environment_info(),
                     data=manifest_hashes(manifest_path) if manifest_path.is_file() else {})


def start_recording(paths: RunPaths, notebook: str, values: Mapping[str, Any], *, prof: Profile, seed: int,
                    manifest_path: Path, synthetic: bool,
                    notebooks_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Record that ``notebook`` started with ``values``; return the notebooks that this made stale.

    A folder without a record gets one (status ``partial``) with the run's settings and provenance.
    """
    name = notebook_file(notebook)
    fresh = _new_record(paths, prof, seed=seed, manifest_path=manifest_path, synthetic=synthetic) \
        if not RunRecord.exists(paths) else None
    with RunRecord.updating(paths, create=fresh) as record:
        changed = _changed(record, name, values, notebooks_dir)
        runner = os.environ.get(RUNNER_ENV) or NOTEBOOK_RUNNER
        stale = record.start_notebook(name, values, runner=runner, changed=changed)
    return stale


def finish_recording(paths: RunPaths, notebook: str, *, seconds: float, written: list[Path]) -> None:
    """Record that ``notebook`` ran to its end in ``seconds``, with the SHA-256 of the files it saved."""
    outputs = {}
    for path in written:
        if path.is_file():
            key = str(path.relative_to(paths.root)) if path.is_relative_to(paths.root) else str(path)
            outputs[key] = sha256_file(path)
    with RunRecord.updating(paths) as record:
        record.finish_notebook(notebook_file(notebook), seconds=seconds, outputs=outputs, cells=cell_times())
    stop_watching()


def cell_times() -> list[dict[str, Any]]:
    """The wall time of each cell executed since :func:`watch_failures` (cell number, seconds, first line)."""
    return [dict(c) for c in _HOOK.get("cells", [])]


def watch_failures(paths: RunPaths, notebook: str, started: float) -> bool:
    """In an IPython kernel, time every cell from now on and record the notebook as ``failed`` when a cell raises
    (with the cell's number and the error).

    Replaces the hooks of an earlier call in the same kernel. Returns whether hooks were registered (False outside
    IPython). The cell that calls it (the set-up cell) is timed from ``started``.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return False
    shell = get_ipython()
    if shell is None:
        return False
    stop_watching()
    name = notebook_file(notebook)
    cells: list[dict[str, Any]] = []
    clock = {"t0": started, "source": "the set-up cell (setup_notebook)"}

    def before(info: Any) -> None:
        clock["t0"] = time.perf_counter()
        lines = [ln for ln in str(getattr(info, "raw_cell", "") or "").splitlines() if ln.strip()]
        clock["source"] = lines[0][:80] if lines else ""

    def after(result: Any) -> None:
        cells.append({"cell": result.execution_count, "seconds": round(time.perf_counter() - clock["t0"], 3),
                      "source": clock["source"]})
        error = result.error_in_exec or result.error_before_exec
        if error is None or not RunRecord.exists(paths):
            return
        try:
            with RunRecord.updating(paths) as record:
                record.fail_notebook(name, cell=result.execution_count, error=f"{type(error).__name__}: {error}",
                                     seconds=time.perf_counter() - started, cells=cells)
        except (OSError, ValueError) as exc:  # the cell's own error is the one the user needs to see
            from gvisage_lib.core.progress import report

            report(f"the run record could not note the failure of {name}: {exc}")

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
    _HOOK.update(shell=shell, before=before, after=after, cells=cells)
    return True


def stop_watching() -> None:
    """Remove the hooks of :func:`watch_failures`, if registered."""
    shell = _HOOK.pop("shell", None)
    for event, key in (("pre_run_cell", "before"), ("post_run_cell", "after")):
        callback = _HOOK.pop(key, None)
        if shell is not None and callback is not None:
            try:
                shell.events.unregister(event, callback)
            except ValueError:
                pass
