"""The run record, ``<run>/run.json``: the typed record of one run and the only code that reads or writes it.

A :class:`RunRecord` holds what a run was made with and how it went:

* **settings** (:class:`RunSettings`, the JSON key ``parameters``): profile, seed, the twin's own seed where it was
  set apart from the seed (``twin_seed``), cohort manifest, whether it is the synthetic twin, where fits on CNN
  scores get their scores (``score_fit``), the first notebook of a partial rerun and the notebook parameters set for
  the run (``notebook_parameters``);
* the effective profile (``profile``: every field of :class:`gvisage_lib.core.profiles.Profile`);
* **notebooks** (:class:`NotebookRecord`, one per notebook run): its parameters, who ran it (``gvisage reproduce``
  or the notebook's own kernel under papermill or JupyterLab), start and end times, duration, status (``running``,
  ``succeeded``, ``failed``, ``interrupted`` or ``stale``), the failing cell and error, and the SHA-256 of every file
  it saved (``outputs``, path relative to the run folder) and the wall time of each cell (``cells``);
* **trainings** (:class:`TrainingRecord`, one per ``gvisage train``): model, stage, distributed world size, device;
* provenance: package version, git commit, package versions, machine, the cohort's hashes (``data``) and, at the
  end, the hashes of the tabular outputs (``outputs``);
* the run's status: ``running``, ``succeeded``, ``failed``, ``interrupted``, or ``partial`` for a record that
  notebooks run one by one made (no ``gvisage reproduce`` ran in the folder).

The file is always written whole to a temporary file beside it and moved into place (:func:`os.replace`), so a
reader never sees half a record. Keys this version does not know are kept as they are (``extra``), so a record
written by a newer version survives a rewrite by an older one.

A notebook parameter that changes between two runs of a notebook (a notebook run again by papermill with ``-p``)
makes every later notebook of the record ``stale`` (:meth:`RunRecord.start_notebook`): their outputs were made from
the earlier value. A stale notebook is brought up to date by running it again (``gvisage reproduce --from NN``).

Examples
--------
>>> import tempfile
>>> run = tempfile.mkdtemp()
>>> rec = RunRecord(settings=RunSettings(profile="smoke", seed=11))
>>> _ = rec.save(run)
>>> back = RunRecord.load(run)
>>> back.settings.profile, back.settings.seed, back.status
('smoke', 11, 'running')
>>> stale = back.start_notebook("01_cohort.ipynb", {"check_photos": True})
>>> back.finish_notebook("01_cohort.ipynb", seconds=1.5).status
'succeeded'
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gvisage_lib.core.io import write_json
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import DEFAULT_PROFILE, DEFAULT_SEED

__all__ = ["NOTEBOOK_RUNNER", "NOTEBOOK_STATUSES", "PIPELINE_RUNNER", "RUN_STATUSES", "NotebookRecord", "RunRecord",
           "RunRecordError", "RunSettings", "TrainingRecord", "now_utc"]

#: Status of a run.
RUN_STATUSES: tuple[str, ...] = ("running", "succeeded", "failed", "interrupted", "partial")
#: Status of one notebook's run.
NOTEBOOK_STATUSES: tuple[str, ...] = ("running", "succeeded", "failed", "interrupted", "stale")
#: Crop mode of preprocessing when the run set none (notebook 02's default ``crop_mode``).
DEFAULT_CROP_MODE = "detect"
#: ``NotebookRecord.runner`` of a notebook run by ``gvisage reproduce``, and of one whose own kernel recorded it
#: (papermill by hand, JupyterLab).
PIPELINE_RUNNER = "gvisage reproduce"
NOTEBOOK_RUNNER = "notebook"
#: Name of the synthetic cohort in what a user reads (``gvisage predict``'s ``trained_on``).
SYNTHETIC_COHORT = "synthetic twin"


class RunRecordError(ValueError):
    """``run.json`` exists but is not a run record this version can read (names the file and what is wrong)."""


def now_utc() -> str:
    """The current time, UTC, ISO 8601 to the second (the record's time stamps).

    Examples
    --------
    >>> now_utc().endswith("+00:00")
    True
    """
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _paths(run: RunPaths | str | os.PathLike[str]) -> RunPaths:
    return run if isinstance(run, RunPaths) else RunPaths(run)


def _split(data: Mapping[str, Any], cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """The keys of ``data`` that are fields of the dataclass ``cls``, and the others (kept as ``extra``)."""
    names = {f.name for f in fields(cls)} - {"extra"}
    return {k: v for k, v in data.items() if k in names}, {k: v for k, v in data.items() if k not in names}


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise RunRecordError(f"{where} must be an object, got {type(value).__name__} {value!r}")
    return dict(value)


@dataclass
class RunSettings:
    """What the run was made with (``run.json``'s ``parameters``).

    Examples
    --------
    >>> RunSettings().profile == DEFAULT_PROFILE, RunSettings().seed == DEFAULT_SEED
    (True, True)
    """

    profile: str = DEFAULT_PROFILE
    seed: int = DEFAULT_SEED
    #: absolute path of the cohort manifest (the twin's ``cohort/manifest.csv`` or the user's).
    manifest: str = ""
    #: None where the record does not say (a record written by hand or by an early version).
    synthetic_twin: bool | None = True
    #: first notebook of a partial rerun (``--from``), None for a whole run.
    start_at: str | None = None
    #: the effective ``score_fit`` (the profile's unless overridden).
    score_fit: str = ""
    #: notebook parameters set for the run (``-p``), ``name -> value``.
    notebook_parameters: dict[str, Any] = field(default_factory=dict)
    #: seed of the synthetic twin where it was set apart from ``seed`` (``gvisage reproduce --twin-seed``); None: the
    #: twin's seed is ``seed`` (and the key is left out of ``run.json``, the layout of earlier versions).
    twin_seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cohort_seed(self) -> int:
        """The seed the synthetic twin was generated from: ``twin_seed`` where set, else ``seed``.

        Examples
        --------
        >>> RunSettings(seed=3).cohort_seed, RunSettings(seed=3, twin_seed=7).cohort_seed
        (3, 7)
        """
        return self.seed if self.twin_seed is None else self.twin_seed

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out["notebook_parameters"] = dict(self.notebook_parameters)
        if self.twin_seed is None:
            del out["twin_seed"]
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSettings:
        """The settings from ``run.json``'s ``parameters``; a value of the wrong type is a :class:`RunRecordError`.

        Examples
        --------
        >>> RunSettings.from_dict({}).synthetic_twin is None
        True
        >>> RunSettings.from_dict({"synthetic_twin": "yes"})
        Traceback (most recent call last):
        ...
        gvisage_lib.core.record.RunRecordError: parameters.synthetic_twin must be true or false, got 'yes'
        """
        known, extra = _split(_mapping(data, "parameters"), cls)
        known["notebook_parameters"] = _mapping(known.get("notebook_parameters"), "parameters.notebook_parameters")
        known.setdefault("synthetic_twin", None)
        checks = {"profile": (str,), "seed": (int,), "manifest": (str,), "synthetic_twin": (bool, type(None)),
                  "start_at": (str, type(None)), "score_fit": (str,), "twin_seed": (int, type(None))}
        for name, types in checks.items():
            value = known.get(name)
            if name in known and (not isinstance(value, types)
                                  or (name in ("seed", "twin_seed") and isinstance(value, bool))):
                kind = "true or false" if name == "synthetic_twin" else " or ".join(
                    "null" if t is type(None) else t.__name__ for t in types)
                raise RunRecordError(f"parameters.{name} must be {kind}, got {value!r}")
        return cls(**known, extra=extra)


@dataclass
class NotebookRecord:
    """One run of one notebook.

    Examples
    --------
    >>> NotebookRecord("04_stage_roc.ipynb", "succeeded", seconds=12.0).to_dict()
    {'notebook': '04_stage_roc.ipynb', 'status': 'succeeded', 'seconds': 12.0}
    """

    #: file name, ``NN_name.ipynb``.
    notebook: str
    status: str = "running"
    #: wall time of the notebook's run as its runner measured it (``gvisage reproduce``: the kernel's start included).
    seconds: float | None = None
    started_utc: str = ""
    finished_utc: str = ""
    #: ``gvisage reproduce``, or ``notebook`` (the notebook's own kernel: papermill by hand, JupyterLab).
    runner: str = ""
    #: the notebook's parameters as it ran, ``run_dir`` left out (a machine path).
    parameters: dict[str, Any] = field(default_factory=dict)
    #: failing cell (execution count ``In [N]``) and error, for a failed run.
    cell: int | None = None
    error: str = ""
    #: why a ``stale`` notebook's outputs no longer follow from the record.
    stale_reason: str = ""
    #: SHA-256 of every file the notebook saved through its ``NotebookRun``, path relative to the run folder.
    outputs: dict[str, str] = field(default_factory=dict)
    #: wall time of each executed cell: ``{"cell": N, "seconds": s, "source": its first line}``, in execution order.
    cells: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; empty optional fields are left out (the layout of earlier versions)."""
        out: dict[str, Any] = {"notebook": self.notebook, "status": self.status, "seconds": self.seconds}
        for name in ("started_utc", "finished_utc", "runner", "parameters", "cell", "error", "stale_reason",
                     "outputs", "cells"):
            value = getattr(self, name)
            if value not in (None, "", {}, []):
                out[name] = value
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NotebookRecord:
        known, extra = _split(_mapping(data, "a notebook record"), cls)
        if not isinstance(known.get("notebook"), str):
            raise RunRecordError(f"a notebook record must name its notebook, got {dict(data)!r}")
        for name in ("parameters", "outputs"):
            known[name] = _mapping(known.get(name), f"notebook {known['notebook']}: {name}")
        cells = known.get("cells") or []
        if not isinstance(cells, list) or not all(isinstance(c, Mapping) for c in cells):
            raise RunRecordError(f"notebook {known['notebook']}: cells must be a list of objects, got {cells!r}")
        known["cells"] = [dict(c) for c in cells]
        return cls(**known, extra=extra)

    @property
    def number(self) -> str:
        """The two-digit prefix (``"04"``)."""
        return self.notebook[:2]


@dataclass
class TrainingRecord:
    """One ``gvisage train`` of one candidate for one stage (under ``torchrun``: its world size).

    Examples
    --------
    >>> TrainingRecord("resnet50", 1, world_size=2).to_dict()["world_size"]
    2
    """

    model: str
    stage: int
    world_size: int = 1
    device: str = ""
    #: ``trained`` or ``reused`` (a finished model with the same configuration was there).
    outcome: str = ""
    started_utc: str = ""
    finished_utc: str = ""
    seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}, **self.extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingRecord:
        known, extra = _split(_mapping(data, "a training record"), cls)
        return cls(**known, extra=extra)


#: Top-level keys written only when set (earlier versions' records have them only at the end of a run).
_OPTIONAL = ("finished_utc", "total_seconds", "outputs", "interruption", "failure", "trainings")


@dataclass
class RunRecord:
    """The record of one run folder (see the module documentation)."""

    status: str = "running"
    gvisage_version: str = ""
    started_utc: str = ""
    finished_utc: str = ""
    total_seconds: float | None = None
    run_dir: str = ""
    settings: RunSettings = field(default_factory=RunSettings)
    #: the effective profile, every field (:meth:`gvisage_lib.core.profiles.Profile.to_dict`).
    profile: dict[str, Any] = field(default_factory=dict)
    git: dict[str, Any] = field(default_factory=dict)
    packages: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    #: the cohort's fingerprint (:func:`gvisage_lib.cohort.manifest.manifest_hashes`).
    data: dict[str, Any] = field(default_factory=dict)
    notebooks: list[NotebookRecord] = field(default_factory=list)
    trainings: list[TrainingRecord] = field(default_factory=list)
    #: SHA-256 of the run's tabular outputs at the end of a run (:func:`gvisage_lib.core.provenance.output_hashes`).
    outputs: dict[str, str] = field(default_factory=dict)
    interruption: str = ""
    #: for a ``failed`` run: the step that failed (a notebook, or writing the overview page) and the error.
    failure: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ file
    @staticmethod
    def path(run: RunPaths | str | os.PathLike[str]) -> Path:
        """Where the record of the run folder ``run`` lives.

        Examples
        --------
        >>> RunRecord.path("/tmp/r").name
        'run.json'
        """
        return _paths(run).run_json

    @classmethod
    def exists(cls, run: RunPaths | str | os.PathLike[str]) -> bool:
        """Whether the run folder has a record."""
        return cls.path(run).is_file()

    @classmethod
    def load(cls, run: RunPaths | str | os.PathLike[str]) -> RunRecord:
        """Read the record of the run folder ``run``.

        Raises ``FileNotFoundError`` (no record: not a run folder of ``gvisage reproduce``) or :class:`RunRecordError`
        (not JSON, or not a record of this layout), naming the file.

        Examples
        --------
        >>> RunRecord.load("/nonexistent/run")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: /nonexistent/run/run.json not found: /nonexistent/run is not a run folder of ...
        """
        path = cls.path(run)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: {path.parent} is not a run folder of gvisage reproduce")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise RunRecordError(f"{path} is not a run record (not JSON: {exc})") from None
        try:
            return cls.from_dict(data)
        except (RunRecordError, TypeError) as exc:
            raise RunRecordError(f"{path} is not a run record of this version: {exc}") from None

    @classmethod
    def load_or_none(cls, run: RunPaths | str | os.PathLike[str]) -> RunRecord | None:
        """The record, or None where the folder has none or it cannot be read (a best-effort reader)."""
        try:
            return cls.load(run)
        except (OSError, RunRecordError):
            return None

    def save(self, run: RunPaths | str | os.PathLike[str]) -> Path:
        """Write the record into the run folder ``run``, atomically; return its path."""
        return write_json(self.to_dict(), self.path(run))

    def save_final(self, run: RunPaths | str | os.PathLike[str]) -> Path:
        """Write the record of a run that ended (``failed``), even on a full disk; return its path.

        Atomically where possible (:meth:`save`); where that fails (no room for a second file beside the record), in
        place over the old record: opening it for writing frees its blocks, so the record, about the same size,
        fits. A record saying ``running`` after the run ended would be worse than one written without the atomic
        guarantee once. Nothing is raised when even that fails.

        Examples
        --------
        >>> import tempfile
        >>> run = tempfile.mkdtemp()
        >>> RunRecord(status="failed").save_final(run).name
        'run.json'
        """
        path = self.path(run)
        try:
            return self.save(run)
        except OSError:
            with contextlib.suppress(OSError), open(path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n")
            return path

    @classmethod
    @contextlib.contextmanager
    def updating(cls, run: RunPaths | str | os.PathLike[str], *,
                 create: RunRecord | None = None) -> Iterator[RunRecord]:
        """Read the record, let the block change it, write it back (not written when the block raises).

        ``create`` is used where the folder has no record yet (without it a missing record is an error).

        Examples
        --------
        >>> import tempfile
        >>> run = tempfile.mkdtemp()
        >>> with RunRecord.updating(run, create=RunRecord(status="partial")) as rec:
        ...     rec.settings.seed = 5
        >>> RunRecord.load(run).settings.seed
        5
        """
        record = create if create is not None and not cls.exists(run) else cls.load(run)
        yield record
        record.save(run)

    # ------------------------------------------------------------------ JSON form
    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the record (the layout ``run.json`` has had since the first version, plus new keys)."""
        out: dict[str, Any] = {
            "gvisage_version": self.gvisage_version, "status": self.status, "started_utc": self.started_utc,
            "run_dir": self.run_dir, "parameters": self.settings.to_dict(), "profile": dict(self.profile),
            "git": dict(self.git), "packages": dict(self.packages), "environment": dict(self.environment),
            "data": dict(self.data), "notebooks": [n.to_dict() for n in self.notebooks],
        }
        for name in _OPTIONAL:
            value = getattr(self, name)
            if name == "trainings":
                value = [t.to_dict() for t in value]
            if value not in (None, "", {}, []):
                out[name] = value
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        """The record from its JSON form; keys this version does not know are kept (``extra``).

        Examples
        --------
        >>> RunRecord.from_dict({"status": "succeeded", "parameters": {"profile": "smoke"}, "x": 1}).extra
        {'x': 1}
        >>> RunRecord.from_dict({"notebooks": {}})
        Traceback (most recent call last):
        ...
        gvisage_lib.core.record.RunRecordError: notebooks must be a list, got dict
        """
        data = dict(_mapping(data, "the record"))
        if "parameters" in data:
            data["settings"] = data.pop("parameters")
        known, extra = _split(data, cls)
        for name in ("notebooks", "trainings"):
            value = known.get(name)
            if value is not None and not isinstance(value, list):
                raise RunRecordError(f"{name} must be a list, got {type(value).__name__}")
        known["settings"] = RunSettings.from_dict(known.get("settings") or {})
        known["notebooks"] = [NotebookRecord.from_dict(n) for n in known.get("notebooks") or []]
        known["trainings"] = [TrainingRecord.from_dict(t) for t in known.get("trainings") or []]
        for name in ("profile", "git", "packages", "environment", "data", "outputs"):
            known[name] = _mapping(known.get(name), name)
        status = known.get("status", "running")
        if status not in RUN_STATUSES and status != "unknown":
            raise RunRecordError(f"status must be one of {list(RUN_STATUSES)}, got {status!r}")
        return cls(**known, extra=extra)

    # ------------------------------------------------------------------ settings read by the stages
    @property
    def crop_mode(self) -> str:
        """Preprocessing's crop mode in this run: notebook 02's recorded parameter, else the run's notebook
        parameter, else :data:`DEFAULT_CROP_MODE`.

        Examples
        --------
        >>> RunRecord().crop_mode
        'detect'
        >>> RunRecord(settings=RunSettings(notebook_parameters={"crop_mode": "none"})).crop_mode
        'none'
        """
        faces = next((n for n in self.notebooks if n.number == "02" and "crop_mode" in n.parameters), None)
        if faces is not None:
            return str(faces.parameters["crop_mode"])
        return str(self.settings.notebook_parameters.get("crop_mode", DEFAULT_CROP_MODE))

    @property
    def cohort_name(self) -> str:
        """The cohort the run was made on, for a reader: ``"synthetic twin"`` or the manifest's file name.

        Examples
        --------
        >>> RunRecord().cohort_name
        'synthetic twin'
        >>> RunRecord(settings=RunSettings(manifest="/data/kids.csv", synthetic_twin=False)).cohort_name
        'kids.csv'
        """
        if self.settings.synthetic_twin is None:
            return "cohort not recorded"
        return SYNTHETIC_COHORT if self.settings.synthetic_twin else Path(self.settings.manifest).name

    @property
    def image_size(self) -> int:
        """The profile's crop size in pixels (:class:`RunRecordError` when the record lacks it)."""
        try:
            return int(self.profile["image_size"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RunRecordError(f"the record's profile has no image_size ({exc!r})") from None

    # ------------------------------------------------------------------ notebooks
    def notebook(self, name: str) -> NotebookRecord | None:
        """The record of notebook ``name`` (file name, or its two-digit prefix), or None."""
        return next((n for n in self.notebooks if n.notebook == name or n.number == name), None)

    def _put(self, entry: NotebookRecord) -> NotebookRecord:
        """Replace the notebook's record, or insert it in notebook order."""
        others = [n for n in self.notebooks if n.notebook != entry.notebook]
        self.notebooks = sorted([*others, entry], key=lambda n: n.notebook)
        return entry

    def start_notebook(self, name: str, parameters: Mapping[str, Any], *, runner: str = "",
                       changed: Mapping[str, tuple[Any, Any]] | None = None) -> list[str]:
        """Record that notebook ``name`` started with ``parameters``; return the notebooks this made stale.

        ``changed`` maps each notebook parameter whose value differs from the one the record's later notebooks were
        made with to ``(before, now)``: the run's ``notebook_parameters`` take the new values and every later
        notebook of the record that had run becomes ``stale``.

        Examples
        --------
        >>> rec = RunRecord(notebooks=[NotebookRecord("04_stage_roc.ipynb", "succeeded"),
        ...                            NotebookRecord("05_clinical_hybrid.ipynb", "succeeded")])
        >>> rec.start_notebook("04_stage_roc.ipynb", {"threshold_rule": "sensitivity_at_specificity"},
        ...                    changed={"threshold_rule": ("youden", "sensitivity_at_specificity")})
        ['05_clinical_hybrid.ipynb']
        >>> rec.notebook("05").status, rec.settings.notebook_parameters
        ('stale', {'threshold_rule': 'sensitivity_at_specificity'})
        """
        entry = self._put(NotebookRecord(name, "running", started_utc=now_utc(), runner=runner,
                                         parameters={k: v for k, v in parameters.items() if k != "run_dir"}))
        if not changed:
            return []
        self.settings.notebook_parameters.update({k: now for k, (_, now) in changed.items()})
        reason = (f"notebook {entry.number} ran again with "
                  + ", ".join(f"{k} = {now!r} (was {before!r})" for k, (before, now) in changed.items()))
        stale = []
        for later in self.notebooks:
            if later.number > entry.number and later.status in ("succeeded", "stale"):
                later.status, later.stale_reason = "stale", reason
                stale.append(later.notebook)
        return stale

    def finish_notebook(self, name: str, *, seconds: float | None = None,
                        outputs: Mapping[str, str] | None = None, runner: str = "",
                        cells: list[dict[str, Any]] | None = None) -> NotebookRecord:
        """Record that notebook ``name`` succeeded (its record is created where it has none)."""
        entry = self.notebook(name) or self._put(NotebookRecord(name, runner=runner))
        entry.status, entry.finished_utc, entry.cell, entry.error, entry.stale_reason = \
            "succeeded", now_utc(), None, "", ""
        if seconds is not None:
            entry.seconds = round(float(seconds), 2)
        if outputs:
            entry.outputs = dict(outputs)
        if cells:
            entry.cells = [dict(c) for c in cells]
        if runner:
            entry.runner = runner
        return entry

    def fail_notebook(self, name: str, *, cell: int | None, error: str, seconds: float | None = None,
                      status: str = "failed", cells: list[dict[str, Any]] | None = None) -> NotebookRecord:
        """Record that notebook ``name`` failed in ``cell`` with ``error`` (or was ``interrupted``)."""
        if status not in ("failed", "interrupted"):
            raise ValueError(f"status must be 'failed' or 'interrupted', got {status!r}")
        entry = self.notebook(name) or self._put(NotebookRecord(name))
        entry.status, entry.finished_utc = status, now_utc()
        if status == "failed":
            entry.cell, entry.error = cell, error
        if seconds is not None:
            entry.seconds = round(float(seconds), 2)
        if cells:
            entry.cells = [dict(c) for c in cells]
        return entry

    def keep_notebooks_before(self, start_at: str) -> None:
        """Drop the records of notebook ``start_at`` and later (a partial rerun runs them again)."""
        self.notebooks = [n for n in self.notebooks if n.number < start_at]

    def mark_interrupted(self, why: str) -> None:
        """The run (and a notebook still running) did not finish: ``why`` says how it ended."""
        self.status, self.interruption = "interrupted", why
        self.finished_utc = self.finished_utc or now_utc()
        for entry in self.notebooks:
            if entry.status == "running":
                entry.status = "interrupted"

    # ------------------------------------------------------------------ trainings
    def add_training(self, training: TrainingRecord) -> None:
        """Record one ``gvisage train`` (replacing an earlier record of the same model and stage)."""
        self.trainings = [t for t in self.trainings if (t.model, t.stage) != (training.model, training.stage)]
        self.trainings.append(training)
