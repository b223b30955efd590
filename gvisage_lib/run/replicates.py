"""A replicate study: the whole pipeline run for several seeds, each run a normal run folder (``gvisage replicate``).

One run shows one draw of the training's randomness (and of the synthetic twin); a study runs
:func:`gvisage_lib.run.pipeline.reproduce` for the seeds ``S, S+1, ..., S+N-1`` into ``DIR/seed-<s>/`` and then
summarises them (:mod:`gvisage_lib.paper.replicates`) into ``DIR/tables/``, ``DIR/figures/``, notebook 08 and
``DIR/index.html``. What varies between the replicates (:data:`VARIES`):

``both`` (default)
    the master seed is ``s``, as in a normal run with ``--seed s``: the twin and the training change together;
``training``
    the twin is the same in every replicate (its seed is the first seed ``S``: ``reproduce(twin_seed=S)``) and the
    master seed ``s`` changes the training's initialisation and resampling (and the statistics' resampling) alone;
``cohort``
    the twin's seed is ``s`` and the master seed stays ``S``.

Scheduling (:func:`run_study`), modelled on :func:`gvisage_lib.simulation.engine.run_simulation` and sharing its
:func:`~gvisage_lib.simulation.engine.check_scheduler`: each replicate is one task, :func:`run_replicate`, which runs
``gvisage reproduce`` in a child process of its own (its own notebook kernels, signal handling and environment)
writing only its run folder and its log ``DIR/logs/seed-<s>.log``. ``local`` runs the tasks one after another in
this process (``workers`` > 1: that many at a time from a thread pool, each a child process); ``dask-local`` starts
a ``dask.distributed.LocalCluster`` of ``workers`` single-threaded worker processes; any other value is the address
of a running Dask scheduler, joined as a client (its workers need this package and ``DIR`` on a shared file system).

The study is recorded in ``DIR/study.json`` (:data:`STUDY_JSON`), written atomically by the process that runs the
study (never by a task): its settings (:class:`StudySettings`), the scheduler, package versions and git commit, and
per replicate its seeds, status, whether it was run or reused, its wall time and its run hash (:func:`run_hash`)
with a reference to its ``run.json``. An interrupted or failed study resumes: a replicate whose run record says
``succeeded`` with the study's profile and seeds is reused (:func:`reusable`), any other is run again. A study
with other settings than ``DIR/study.json``'s is refused (:class:`StudySettingsMismatch`, naming the setting and
both values). One study at a time per folder (the folder's lock, :class:`gvisage_lib.run.lock.RunLock`). The
summary is computed and written once, after every replicate succeeded.

The default run of a profile, ``runs/<profile>/``, finds its study in the sibling folder ``runs/replicates-<profile>/``
(:func:`study_dir_for`), which its ``index.html`` links where it exists.

Examples
--------
>>> st = StudySettings(profile="smoke", seeds=3, first_seed=11, vary="training")
>>> [(r.seed, r.master_seed, r.twin_seed) for r in st.replicates()]
[(11, 11, 11), (12, 12, 11), (13, 13, 11)]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from gvisage_lib import __version__
from gvisage_lib.core.io import sha256_bytes, write_json
from gvisage_lib.core.profiles import DEFAULT_PROFILE, DEFAULT_SEED, get_profile
from gvisage_lib.core.provenance import git_state, package_versions
from gvisage_lib.core.record import RunRecord, now_utc
from gvisage_lib.core.validation import check_choice, check_int
from gvisage_lib.run.parameters import check_seed
from gvisage_lib.run.study_record import STUDY_JSON, load_study, study_dir_for
from gvisage_lib.simulation.engine import check_scheduler, dask_client, default_workers

__all__ = ["STUDY_JSON", "THREAD_VARIABLES", "TIMED_OUTPUTS", "VARIES", "Replicate", "StudyFailed", "StudyResult",
           "StudySettings", "StudySettingsMismatch", "check_study_settings", "load_study", "reusable", "run_hash",
           "run_replicate", "run_study", "study_dir_for", "thread_environment"]

#: What varies between the replicates (module docstring).
VARIES: tuple[str, ...] = ("both", "training", "cohort")
#: The settings that make a study: a rerun into the same folder must give the same.
SETTING_NAMES: tuple[str, ...] = ("profile", "seeds", "first_seed", "vary")
REPO_ROOT = Path(__file__).resolve().parents[2]


class StudySettingsMismatch(ValueError):
    """The study folder holds a study made with other settings (names the setting and both values)."""


class StudyFailed(RuntimeError):
    """One or more replicates did not succeed; names their seeds, statuses and logs. ``gvisage replicate`` exits 1."""


@dataclass(frozen=True)
class Replicate:
    """One replicate: its label ``seed``, the seeds ``reproduce`` gets, and its run folder (relative to the study)."""

    seed: int
    master_seed: int
    #: ``reproduce``'s ``twin_seed``; None: the twin's seed is ``master_seed``.
    twin_seed: int | None
    profile: str
    #: the thread settings (:data:`THREAD_VARIABLES`) of the process that runs the study, ``(name, value or None)``:
    #: the replicate's run gets them wherever it runs (a Dask worker sets its own to 1), so it computes as it would
    #: here.
    environment: tuple[tuple[str, str | None], ...] = ()

    @property
    def folder(self) -> str:
        """``seed-<s>``, the run folder's name inside the study folder."""
        return f"seed-{self.seed}"

    @property
    def cohort_seed(self) -> int:
        """The seed the twin is generated from."""
        return self.master_seed if self.twin_seed is None else self.twin_seed


@dataclass(frozen=True)
class StudySettings:
    """What a study is made with: profile, number of seeds, the first seed and what varies.

    Examples
    --------
    >>> StudySettings(profile="smoke", seeds=2, first_seed=5, vary="cohort").seed_list()
    [5, 6]
    >>> StudySettings(profile="smoke", seeds=0)
    Traceback (most recent call last):
    ...
    ValueError: seeds must be a positive integer, got 0
    """

    profile: str = DEFAULT_PROFILE
    seeds: int = 2
    first_seed: int = DEFAULT_SEED
    vary: str = "both"

    def __post_init__(self) -> None:
        get_profile(self.profile)  # an unknown profile is a ValueError naming the profiles
        check_int("seeds", self.seeds, minimum=1)
        check_int("first_seed", self.first_seed, minimum=0)
        check_seed(self.first_seed, option="first_seed")
        check_seed(self.first_seed + self.seeds - 1, option="the last seed (first_seed + seeds - 1)")
        check_choice(self.vary, "vary", VARIES)

    def seed_list(self) -> list[int]:
        """The replicates' seeds, ``first_seed`` to ``first_seed + seeds - 1``."""
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def replicates(self) -> list[Replicate]:
        """One :class:`Replicate` per seed, with the seeds ``reproduce`` gets under :attr:`vary`.

        Examples
        --------
        >>> [(r.folder, r.master_seed, r.cohort_seed) for r in StudySettings("smoke", 2, 11, "cohort").replicates()]
        [('seed-11', 11, 11), ('seed-12', 11, 12)]
        >>> [(r.master_seed, r.cohort_seed) for r in StudySettings("smoke", 2, 11, "training").replicates()]
        [(11, 11), (12, 11)]
        >>> [(r.master_seed, r.cohort_seed) for r in StudySettings("smoke", 2, 11, "both").replicates()]
        [(11, 11), (12, 12)]
        """
        out = []
        for s in self.seed_list():
            if self.vary == "training":
                out.append(Replicate(s, s, self.first_seed, self.profile))
            elif self.vary == "cohort":
                out.append(Replicate(s, self.first_seed, s, self.profile))
            else:
                out.append(Replicate(s, s, None, self.profile))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "seed_list": self.seed_list()}


def check_study_settings(study_dir: str | os.PathLike[str], settings: StudySettings) -> dict[str, Any] | None:
    """Refuse a study into ``study_dir`` whose record was made with other settings; return that record (or None).

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = write_json({"settings": StudySettings("smoke", 2, 11, "both").to_dict()}, f"{d}/study.json")
    >>> check_study_settings(d, StudySettings("smoke", 2, 11, "training"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gvisage_lib.run.replicates.StudySettingsMismatch: .../study.json was made with vary 'both', not 'training'; ...
    """
    prior = load_study(study_dir)
    if prior is None:
        return None
    had, now = prior["settings"], settings.to_dict()
    for name in SETTING_NAMES:
        if had.get(name) != now[name]:
            raise StudySettingsMismatch(
                f"{Path(study_dir) / STUDY_JSON} was made with {name} {had.get(name)!r}, not {now[name]!r}; give "
                f"the same settings to resume that study, or another --out for a new one")
    return prior


#: Outputs that record wall times (seconds, images per second) beside the results, left out of :func:`run_hash`:
#: two runs of the same seeds differ in them and in nothing else.
TIMED_OUTPUTS: frozenset[str] = frozenset({"tables/training_history.csv"})


def run_hash(record: RunRecord) -> str:
    """SHA-256 of the run's output digests (``run.json``'s ``outputs``: every table and Parquet file, those of
    :data:`TIMED_OUTPUTS` left out), or ``""``.

    Two runs with the same hash wrote the same tables and predictions, byte for byte (their wall times aside).

    Examples
    --------
    >>> a = RunRecord(outputs={"tables/a.csv": "00", "tables/training_history.csv": "11"})
    >>> b = RunRecord(outputs={"tables/a.csv": "00", "tables/training_history.csv": "22"})
    >>> run_hash(RunRecord()), len(run_hash(a)), run_hash(a) == run_hash(b)
    ('', 64, True)
    """
    results = {k: v for k, v in record.outputs.items() if k not in TIMED_OUTPUTS}
    if not results:
        return ""
    return sha256_bytes(json.dumps(results, sort_keys=True).encode("utf-8"))


def reusable(replicate: Replicate, study_dir: str | os.PathLike[str]) -> RunRecord | None:
    """The record of the replicate's run folder where it can be reused: ``succeeded``, on the synthetic twin, with
    the replicate's profile, master seed and twin seed; else None (it is run again).

    Examples
    --------
    >>> reusable(Replicate(11, 11, None, "smoke"), "/nonexistent") is None
    True
    """
    record = RunRecord.load_or_none(Path(study_dir) / replicate.folder)
    if record is None or record.status != "succeeded" or record.settings.synthetic_twin is not True:
        return None
    s = record.settings
    if (s.profile, s.seed, s.cohort_seed) != (replicate.profile, replicate.master_seed, replicate.cohort_seed):
        return None
    return record


#: Environment variables that set the number of threads of the numerical libraries. Dask's nanny sets the first
#: three to 1 in its workers; a replicate takes the study's values instead (:attr:`Replicate.environment`), so the
#: same seeds compute the same way on every scheduler.
THREAD_VARIABLES: tuple[str, ...] = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def thread_environment() -> tuple[tuple[str, str | None], ...]:
    """This process's :data:`THREAD_VARIABLES`, each with its value or None where unset.

    Examples
    --------
    >>> [name for name, _ in thread_environment()][:1]
    ['OMP_NUM_THREADS']
    """
    return tuple((name, os.environ.get(name)) for name in THREAD_VARIABLES)


def _child_env(environment: tuple[tuple[str, str | None], ...] = ()) -> dict[str, str]:
    """The environment of a replicate's ``gvisage reproduce``: this package's folder first on ``PYTHONPATH``, and
    the study's thread settings (``environment``: a value, or None to unset)."""
    env = dict(os.environ)
    for name, value in environment:
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(REPO_ROOT)]
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *paths])
    return env


def run_replicate(replicate: Replicate, study_dir: str, python: str = "") -> dict[str, Any]:
    """Run one replicate (one task of the study): ``gvisage reproduce`` into ``study_dir/seed-<s>`` in a child
    process, its output into ``study_dir/logs/seed-<s>.log``; return the seed, exit code and wall time.

    The run folder and the log are written by this task alone. ``python`` is the interpreter (default: this one).

    Examples
    --------
    >>> import tempfile
    >>> run_replicate(Replicate(3, 3, None, "no-such-profile"), tempfile.mkdtemp())["exit_code"]  # doctest: +SLOW
    2
    """
    folder = Path(study_dir) / replicate.folder
    log = Path(study_dir) / "logs" / f"{replicate.folder}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [python or sys.executable, "-m", "gvisage_lib", "reproduce", "--profile", replicate.profile,
           "--seed", str(replicate.master_seed), "--out", str(folder)]
    if replicate.twin_seed is not None:
        cmd += ["--twin-seed", str(replicate.twin_seed)]
    t0 = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        fh.write(" ".join(cmd[:1] + ["-m", "gvisage_lib"] + cmd[3:]) + "\n")
        fh.flush()
        proc = subprocess.Popen([cmd[0], "-c", _CHILD, *cmd[3:]], stdout=fh, stderr=subprocess.STDOUT,
                                env=_child_env(replicate.environment))
        _LIVE.add(proc)
        if _STOPPING.is_set():  # the study was interrupted while this replicate was starting
            _stop([proc])
        try:
            code = proc.wait()
        except BaseException:  # the study was interrupted: the run records it, its kernels end with it
            _stop([proc])
            raise
        finally:
            _LIVE.discard(proc)
    return {"seed": replicate.seed, "exit_code": code, "seconds": round(time.perf_counter() - t0, 2)}


#: The replicates' processes running in this process's threads (``local`` with several workers), to be stopped
#: when the study is interrupted.
_LIVE: set[subprocess.Popen[bytes]] = set()
#: Set while an interrupted study stops its replicates: one that is starting stops at once.
_STOPPING = threading.Event()


def _stop(processes: Sequence[subprocess.Popen[bytes]], grace: float = 60.0) -> None:
    """``SIGTERM`` to each process (its run records ``interrupted``), then wait for it; ``SIGKILL`` after ``grace``."""
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()


#: The replicate's process: ``gvisage`` with the given arguments, ended by ``SIGTERM`` (its run then records
#: ``interrupted``) when the thread that started it ends: a Dask worker closed by an interrupted study leaves no run
#: behind (Linux; elsewhere the run goes on to its end, and a rerun of the study waits for its lock or takes it over).
_CHILD = ("import signal, sys; from gvisage_lib.core.workers import _set_pdeathsig; _set_pdeathsig(signal.SIGTERM); "
          "from gvisage_lib.run.cli import main; sys.exit(main(sys.argv[1:]))")


Runner = Callable[[Replicate, str], dict[str, Any]]


def _schedule(todo: Sequence[Replicate], study_dir: str, scheduler: str, workers: int, runner: Runner,
              log: Callable[[str], None]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run ``runner(replicate, study_dir)`` for each replicate on the scheduler; the outcomes, and what ran them."""
    if not todo:
        return [], {}
    if scheduler == "local":
        def logged(replicate: Replicate, folder: str) -> dict[str, Any]:
            log(f"seed {replicate.seed}: running (log logs/{replicate.folder}.log)")
            outcome = runner(replicate, folder)
            log(f"seed {replicate.seed}: exit {outcome.get('exit_code')} after {outcome.get('seconds', 0):.0f} s")
            return outcome

        if workers == 1:
            return [logged(r, study_dir) for r in todo], {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gvisage-replicate")
        try:
            return list(pool.map(logged, todo, [study_dir] * len(todo))), {}
        except BaseException:  # interrupted: no new replicate starts, the running ones stop and record it
            _STOPPING.set()
            pool.shutdown(wait=False, cancel_futures=True)
            _stop(list(_LIVE))
            raise
        finally:
            pool.shutdown(wait=True)
            _STOPPING.clear()
    log(f"replicate study: {len(todo)} replicate(s) submitted to {scheduler}; each logs to logs/seed-<s>.log")
    with dask_client(scheduler, workers) as (client, n):
        if scheduler != "dask-local":
            log(f"replicate study: {len(todo)} replicate(s) on the Dask cluster at {scheduler} ({n} workers)")
        futures = client.map(runner, list(todo), [study_dir] * len(todo), pure=False)
        return client.gather(futures), {"dask_workers": n}


def _entry(replicate: Replicate, study_dir: Path, outcome: dict[str, Any] | None) -> dict[str, Any]:
    """The replicate's line in ``study.json``, from its run record (the record, not the task, says how it went)."""
    record = RunRecord.load_or_none(study_dir / replicate.folder)
    status = record.status if record is not None else "not run"
    if record is not None and reusable(replicate, study_dir) is None and status == "succeeded":
        status = "other settings"  # a run folder left with other seeds or profile: not this replicate
    reference = f"{replicate.folder}/{RunRecord.path(study_dir / replicate.folder).name}"  # a link may resolve away
    return {"seed": replicate.seed, "master_seed": replicate.master_seed, "twin_seed": replicate.cohort_seed,
            "folder": replicate.folder, "run_json": reference, "status": status,
            "outcome": "reused" if outcome is None else "ran",
            "exit_code": None if outcome is None else outcome.get("exit_code"),
            "seconds": (record.total_seconds if record is not None else None) if outcome is None
            else outcome.get("seconds"),
            "run_hash": run_hash(record) if record is not None else "",
            "log": "" if outcome is None else f"logs/{replicate.folder}.log"}


@dataclass
class StudyResult:
    """What :func:`run_study` did: the study record (``study.json``) and the summary's files."""

    study_dir: Path
    record: dict[str, Any]
    files: dict[str, Path]

    @property
    def ran(self) -> list[int]:
        """Seeds of the replicates run by this call."""
        return [e["seed"] for e in self.record["replicates"] if e["outcome"] == "ran"]

    @property
    def reused(self) -> list[int]:
        """Seeds of the replicates reused from an earlier call."""
        return [e["seed"] for e in self.record["replicates"] if e["outcome"] == "reused"]


def _new_record(settings: StudySettings, scheduler: str, workers: int, prior: dict[str, Any] | None
                ) -> dict[str, Any]:
    """The study record at the start of a call: settings, scheduler and provenance (``started_utc`` of the first
    call kept, and the calls counted)."""
    return {"gvisage_version": __version__, "status": "running", "settings": settings.to_dict(),
            "scheduler": scheduler, "workers": workers,
            "started_utc": (prior or {}).get("started_utc") or now_utc(), "resumed_utc": now_utc() if prior else "",
            "calls": int((prior or {}).get("calls", 0)) + 1, "git": git_state(REPO_ROOT),
            "packages": package_versions(), "replicates": list((prior or {}).get("replicates", [])),
            "summary": {}}


def _check_study_dir(study_dir: str | os.PathLike[str]) -> Path:
    """The study folder as a path; a file, or a folder inside one, is refused (``RunFolderError``)."""
    from gvisage_lib.run.pipeline import check_run_folder

    return check_run_folder(study_dir)


def run_study(study_dir: str | os.PathLike[str], settings: StudySettings, *, scheduler: str = "local",
              workers: int | None = None, runner: Runner = run_replicate, report: bool = True,
              log: Callable[[str], None] = print) -> StudyResult:
    """Run (or resume) a replicate study into ``study_dir`` and summarise it; return what was done.

    Parameters
    ----------
    study_dir : path-like
        The study folder (created if missing): ``seed-<s>/`` run folders, ``logs/``, ``study.json`` and the summary.
    settings : StudySettings
        Profile, number of seeds, first seed and what varies; must equal those of ``study_dir/study.json`` if any.
    scheduler : str
        ``"local"``, ``"dask-local"`` or a Dask scheduler's address (module docstring).
    workers : int, optional
        Replicates at a time for ``local`` (default 1: one after another) and ``dask-local`` (default: the CPUs
        available, at most the number of replicates to run); ignored for an address (the cluster has its own).
    runner : callable
        ``runner(replicate, study_dir)`` runs one replicate (default :func:`run_replicate`); a Dask scheduler needs a
        function its workers can import.
    report : bool
        Write the summary (tables, figures, notebook 08, ``index.html``) once every replicate succeeded.
    log : callable
        Receives one line per replicate and step.

    Raises
    ------
    StudySettingsMismatch
        ``study.json`` records other settings (nothing is run or written).
    StudyFailed
        A replicate did not succeed (``study.json`` says ``failed`` and names it; rerun to resume).
    gvisage_lib.run.lock.RunLocked
        Another study is running in ``study_dir``.

    Examples
    --------
    >>> run_study("/tmp/s", StudySettings("smoke", 2), scheduler="dask")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: scheduler must be 'local', 'dask-local' or a Dask scheduler address such as tcp://host:8786, got 'dask'
    """
    from gvisage_lib.run.lock import RunLock

    sched = check_scheduler(scheduler)
    check_int("workers", workers, minimum=1, allow_none=True)
    if not isinstance(settings, StudySettings):
        raise TypeError(f"settings must be a StudySettings, got {type(settings).__name__}")
    folder = _check_study_dir(study_dir)
    prior = check_study_settings(folder, settings)
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    with RunLock(folder, log=log):
        record = _new_record(settings, sched, 0, prior)
        reps = settings.replicates()
        threads = thread_environment()
        todo = [replace(r, environment=threads) for r in reps if reusable(r, folder) is None]
        running = {r.seed for r in todo}
        n_workers = (workers or 1) if sched == "local" else min(workers or default_workers(), max(len(todo), 1))
        record["workers"] = n_workers
        write_json(record, folder / STUDY_JSON)
        log(f"replicate study in {folder}: {len(reps)} seed(s) {settings.seed_list()[0]}.."
            f"{settings.seed_list()[-1]}, vary {settings.vary}, profile {settings.profile}; "
            f"{len(reps) - len(todo)} reused, {len(todo)} to run on {sched}")
        t0 = time.perf_counter()
        try:
            outcomes, meta = _schedule(todo, str(folder), sched, n_workers, runner, log)
        except BaseException as exc:  # interrupted (or the cluster failed): recorded, then raised as it came
            from gvisage_lib.run.interrupt import RunInterrupted

            stopped = isinstance(exc, (RunInterrupted, KeyboardInterrupt))
            record.update(status="interrupted" if stopped else "failed", finished_utc=now_utc(),
                          failure=f"{type(exc).__name__}: {exc}",
                          replicates=[_entry(r, folder, {} if r.seed in running else None) for r in reps])
            write_json(record, folder / STUDY_JSON)
            raise
        by_seed = {o["seed"]: o for o in outcomes}
        record["replicates"] = [_entry(r, folder, by_seed.get(r.seed)) for r in reps]
        record.update(meta, seconds=round(time.perf_counter() - t0, 2))
        return _finish(folder, record, report=report, log=log)


def _finish(folder: Path, record: dict[str, Any], *, report: bool, log: Callable[[str], None]) -> StudyResult:
    """Record how the replicates went; where all succeeded, write the summary once and record ``succeeded``."""
    for e in record["replicates"]:
        log(f"seed {e['seed']}: {e['status']} ({e['outcome']}"
            + (f", {e['seconds']:.0f} s" if e.get("seconds") is not None else "") + ")")
    bad = [e for e in record["replicates"] if e["status"] != "succeeded"]
    if bad:
        record.update(status="failed", finished_utc=now_utc(), failure="replicates not succeeded: " + "; ".join(
            f"seed {e['seed']} {e['status']}" + (f" (log {e['log']})" if e["log"] else "") for e in bad))
        write_json(record, folder / STUDY_JSON)
        raise StudyFailed(f"{record['failure']}; rerun the same command to resume (succeeded replicates are reused)")
    files: dict[str, Path] = {}
    if not report:
        record.update(status="succeeded", finished_utc=now_utc())
        write_json(record, folder / STUDY_JSON)
        return StudyResult(folder, record, files)
    from gvisage_lib.run.study_report import write_study_index, write_study_report

    write_json(record, folder / STUDY_JSON)  # the replicates, for the summary to read; still "running"
    step = "writing the summary"
    try:  # as a run's: "succeeded" once the summary is written, while the overview page (which shows it) is
        files = write_study_report(folder, index=False, log=log)
        record.update(status="succeeded", finished_utc=now_utc(),
                      summary={k: p.relative_to(folder).as_posix() for k, p in files.items()})
        write_json(record, folder / STUDY_JSON)
        step = "writing the overview page index.html"
        files["index"] = write_study_index(folder)
        record["summary"]["index"] = "index.html"
        write_json(record, folder / STUDY_JSON)
    except Exception as exc:  # noqa: BLE001 - the study did not finish: recorded and named
        record.update(status="failed", finished_utc=now_utc(), failure=f"{step}: {type(exc).__name__}: {exc}")
        write_json(record, folder / STUDY_JSON)
        raise StudyFailed(f"{record['failure']}; the replicates succeeded and are reused by a rerun") from None
    log(f"replicate study finished: {folder / STUDY_JSON}" + (f"; overview {files['index']}" if "index" in files
                                                              else ""))
    return StudyResult(folder, record, files)
