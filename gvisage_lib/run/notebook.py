"""The one call every notebook starts with: run folder, profile, cohort, display settings, and named outputs.

A notebook's first code cell after its parameters is::

    from gvisage_lib.run.notebook import setup_notebook
    nb = setup_notebook(run_dir, manifest=manifest, profile=profile, seed=seed, score_fit=score_fit,
                        notebook="04_stage_roc", parameters=globals())

and its last cell ``nb.finish()``: with ``notebook`` and its parameters, the notebook records itself in the run's
record (``run.json``), whoever runs it (``gvisage reproduce``, papermill by hand, JupyterLab's "run all"): its
parameters, start, end, status and the files it saved (:mod:`gvisage_lib.run.recording`). A run folder that has a
record sets the defaults: an empty ``score_fit`` or ``manifest`` is the run's, and a profile or seed other than the
run's is refused.

and it saves what it computes by the keys of :mod:`gvisage_lib.paper.index`, so the file names (the paper's
numbering) are spelled in one place: ``nb.save_table(frame, "table1")``, ``nb.save_figure(fig, "fig4a")``.

What a reader sees goes through :mod:`gvisage_lib.run.display`: ``nb.show_table(view, "table1")`` shows a short,
rounded view with a link to the saved CSV, ``nb.table(frame, "table1")`` saves and shows it in one call,
``nb.show_figure(fig, "fig4a")`` saves the figure and shows it once with its numbered caption. They return None,
so a cell ending with them echoes no path. ``setup_notebook`` prints the run's parameters on one line, naming the
run folder and a user's manifest by their names only (no machine paths).

Examples
--------
>>> import tempfile, pathlib
>>> run = pathlib.Path(tempfile.mkdtemp())
>>> (run / "m.csv").write_text("subject_id\\n")
11
>>> nb = setup_notebook(run, manifest=str(run / "m.csv"), profile="smoke", seed=1)  # doctest: +ELLIPSIS
parameters: run folder tmp...; cohort m.csv (own cohort); profile smoke; seed 1; CNN-score fits out_of_fold
>>> nb.profile.name, nb.manifest_path.name, nb.synthetic
('smoke', 'm.csv', False)
>>> nb.save_table(__import__("pandas").DataFrame({"a": [1]}), "table1").name
'table1.csv'
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gvisage_lib.cohort.privacy import is_synthetic_cohort
from gvisage_lib.core import io
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import DEFAULT_PROFILE, DEFAULT_SEED, Profile, get_profile
from gvisage_lib.core.progress import report
from gvisage_lib.core.record import RunRecord
from gvisage_lib.paper.index import figure_caption, figure_name, table_name
from gvisage_lib.run import display
from gvisage_lib.run.parameters import PIPELINE_PARAMETERS
from gvisage_lib.run.recording import (
    check_settings,
    finish_recording,
    notebook_file,
    notebook_values,
    start_recording,
    watch_failures,
)

__all__ = ["NotebookRun", "setup_notebook"]


@dataclass
class NotebookRun:
    """What a notebook needs about its run: folders, profile, cohort manifest and seed; writers of named outputs."""

    paths: RunPaths
    profile: Profile
    manifest_path: Path
    seed: int
    #: the cohort is the synthetic twin (faces may be shown; see :mod:`gvisage_lib.cohort.privacy`).
    synthetic: bool
    #: the notebook's file name when it records itself in the run record (``setup_notebook(notebook=...)``).
    notebook: str = ""
    #: when :func:`setup_notebook` ran (``time.perf_counter``), and the files saved since (hashed by :meth:`finish`).
    started: float = field(default_factory=time.perf_counter)
    written: list[Path] = field(default_factory=list)

    def save_table(self, frame: pd.DataFrame, key: str, **kwargs: Any) -> Path:
        """Write ``frame`` to ``<run>/tables/<name>.csv`` (name from :func:`gvisage_lib.paper.index.table_name`)."""
        path = io.write_csv(frame, self.paths.tables / f"{table_name(key)}.csv", **kwargs)
        self.written.append(path)
        return path

    def save_figure(self, fig: Any, key: str) -> list[Path]:
        """Write ``fig`` as PNG and PDF under ``<run>/figures/`` (name from
        :func:`gvisage_lib.paper.index.figure_name`)."""
        paths = io.save_figure(fig, self.paths.figures / figure_name(key))
        self.written.extend(paths)
        return paths

    def finish(self) -> None:
        """Record in the run record that the notebook ran to its end: ``succeeded``, its duration and the SHA-256 of
        every table and figure it saved (:func:`gvisage_lib.run.recording.finish_recording`). The last cell of
        every notebook calls it."""
        if not self.notebook:
            raise ValueError("finish: setup_notebook was called without notebook=...; the notebook has no record "
                             "to finish")
        finish_recording(self.paths, self.notebook, seconds=time.perf_counter() - self.started,
                         written=self.written)

    def table_path(self, key: str) -> Path:
        """Path of the saved table with ``key`` (``<run>/tables/<name>.csv``)."""
        return self.paths.tables / f"{table_name(key)}.csv"

    def show_table(self, frame: pd.DataFrame, key: str | None = None, *, max_rows: int = 15, caption: str = "",
                   p_cols: list[str] | None = None) -> None:
        """Show a short, rounded view of ``frame`` (:func:`gvisage_lib.run.display.show_table`).

        With ``key``, the view links to the saved table of that key (which must have been saved, with
        :meth:`save_table`, before), relative to the notebook's HTML in ``<run>/html``.
        """
        csv = None
        if key is not None:
            csv = self.table_path(key)
            if not csv.is_file():
                raise FileNotFoundError(f"show_table: the table with key {key!r} ({csv.name}) has not been saved in "
                                        f"{self.paths.tables.name}/; call save_table(frame, {key!r}) first")
        display.show_table(frame, csv, max_rows=max_rows, caption=caption, html_dir=self.paths.html, p_cols=p_cols)

    def table(self, frame: pd.DataFrame, key: str, *, view: pd.DataFrame | None = None, max_rows: int = 15,
              caption: str = "", p_cols: list[str] | None = None, **save_kwargs: Any) -> None:
        """Save ``frame`` under ``key`` (:meth:`save_table`) and show it, or the shorter ``view`` of it, linked to the
        saved file (:meth:`show_table`): the one call of a table that is both written and shown.

        Examples
        --------
        >>> import tempfile
        >>> nb = NotebookRun(RunPaths(tempfile.mkdtemp()), get_profile("smoke"), Path("m.csv"), 1, True)
        >>> nb.table(pd.DataFrame({"a": [1, 2]}), "table1")  # doctest: +ELLIPSIS
        {'text/html': '<div class="gv-table-wrap">...Full table: <a href="../tables/table1.csv">table1.csv</a>...}
        >>> pd.read_csv(nb.table_path("table1"))["a"].tolist()
        [1, 2]
        """
        self.save_table(frame, key, **save_kwargs)
        self.show_table(frame if view is None else view, key, max_rows=max_rows, caption=caption, p_cols=p_cols)

    def say(self, template: str, /, **values: Any) -> None:
        """Show ``template`` filled with ``values`` as Markdown (:func:`gvisage_lib.run.glue.say`): prose whose
        numbers and verdicts this run computed."""
        from gvisage_lib.run.glue import say

        say(template, **values)

    def show_markdown(self, text: str) -> None:
        """Show Markdown that the library wrote from this run's tables (e.g.
        :func:`gvisage_lib.simulation.conclusions`), as the page's own text."""
        from IPython.display import display

        from gvisage_lib.run.glue import Markdown

        display(Markdown(text))

    def show_claims(self, notebook: str) -> None:
        """Show the paper's claims that ``notebook`` recomputes, beside this run's values, with their verdicts
        (:func:`gvisage_lib.paper.claims.claims_table`; the rules in :data:`gvisage_lib.paper.claims.RULES`)."""
        from gvisage_lib.paper.claims import RULES, claims_table
        from gvisage_lib.run.report import IN_SAMPLE_NOTE

        t = claims_table(self.paths, notebook=notebook)
        if t.empty:
            print(f"no claim of the paper is recomputed in {notebook}")
            return
        verdict = t["verdict"].where(~t["in_sample"].astype(bool), t["verdict"] + f" ({IN_SAMPLE_NOTE})")
        view = pd.DataFrame({"Claim": t["claim"], "Paper": t["paper"], "Paper P": t["paper_p"],
                             "This run": t["this_run"], "This run P": t["this_run_p"], "Verdict": verdict})
        display.show_table(view, None, max_rows=len(view), caption="The paper's claims beside this run")
        rules = "; ".join(f"{k}: {v}" for k, v in RULES.items() if k in set(t["rule"]))
        self.say("Verdicts by the rules ({rules}). The same claims, with the others, are on the run's index page.",
                 rules=rules)

    def show_figure(self, fig: Any, key: str) -> None:
        """Save ``fig`` (:meth:`save_figure`) and show it once, with its numbered caption and links to its files."""
        files = self.save_figure(fig, key)
        display.show_figure(fig, figure_caption(key), files=files, html_dir=self.paths.html)


def _warning_to_terminal(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                         file: Any = None, line: str | None = None) -> None:
    report(f"warning: {category.__name__}: {message} ({Path(filename).name}:{lineno})")


def warnings_to_terminal() -> bool:
    """In a notebook kernel, send Python warnings to the terminal (:func:`gvisage_lib.core.progress.report`).

    A warning of a library (a deprecation, a convergence note of an optimiser that the analysis handles) is not a
    finding: in the rendered notebook it is noise on a red background. Whatever the notebook should say, it prints.
    Applies only where ``sys.stderr`` is captured (a kernel: it is not the process's own ``sys.__stderr__``);
    returns whether it did. Code that records warnings (``warnings.catch_warnings(record=True)``) still gets them.
    """
    if sys.stderr is sys.__stderr__:
        return False
    warnings.showwarning = _warning_to_terminal
    return True


def setup_notebook(run_dir: str | os.PathLike[str], *, manifest: str = "", profile: str = DEFAULT_PROFILE,
                   seed: int = DEFAULT_SEED, score_fit: str = "", quiet: bool = False, notebook: str = "",
                   parameters: Mapping[str, Any] | None = None) -> NotebookRun:
    """Prepare a notebook of the pipeline and return its :class:`NotebookRun`.

    Parameters
    ----------
    run_dir : path-like
        Run folder (created with its sub-folders if missing).
    manifest : str
        The cohort manifest; empty means the run's (its record's), else the synthetic twin at
        ``<run_dir>/cohort/manifest.csv``.
    profile : str
        Pipeline profile (:mod:`gvisage_lib.core.profiles`).
    seed : int
        Master seed of the run.
    score_fit : str
        Overrides the profile's ``score_fit`` (``"out_of_fold"`` or ``"test"``); empty keeps the run's (its record's),
        else the profile's.
    quiet : bool
        Do not print the one-line summary of the parameters (run folder and manifest by name only, no machine
        paths: the rendered notebooks are meant to be shared).
    notebook : str
        The notebook's name (``"04_stage_roc"``): it then records itself in the run record
        (:mod:`gvisage_lib.run.recording`) and its last cell calls :meth:`NotebookRun.finish`.
    parameters : mapping, optional
        The notebook's namespace (``globals()``), from which the values of the parameters its ``parameters`` cell
        declares are recorded.

    Raises
    ------
    ValueError
        The run folder's record says another profile or seed (the message names the ``-p`` to give).
    """
    warnings_to_terminal()
    pd.set_option("display.max_rows", 300)
    pd.set_option("display.max_columns", None)  # a frame shown without show_table never loses columns
    pd.set_option("display.width", 200)
    paths = RunPaths(run_dir).ensure()
    record = RunRecord.load(paths) if RunRecord.exists(paths) else None
    if record is not None:  # the run's settings: the outputs of one folder come from one configuration
        check_settings(record, profile=profile, seed=seed)
        score_fit = score_fit or record.settings.score_fit
        manifest = manifest or (record.settings.manifest if record.settings.synthetic_twin is False else "")
    prof = get_profile(profile, **({"score_fit": score_fit} if score_fit else {}))
    manifest_path = paths.resolve_manifest(manifest or None)
    # notebooks 04-06 can run from predictions alone; only a manifest that exists can be a twin
    synthetic = Path(manifest_path).is_file() and is_synthetic_cohort(manifest_path)
    run = NotebookRun(paths, prof, Path(manifest_path), int(seed), bool(synthetic))
    values: dict[str, Any] = {}
    stale: list[str] = []
    if notebook:
        run.notebook = notebook_file(notebook)
        values = notebook_values(notebook, parameters or {})
        stale = start_recording(paths, run.notebook, values, prof=prof, seed=int(seed), manifest_path=run.manifest_path,
                                synthetic=run.synthetic)
        watch_failures(paths, run.notebook, run.started)
    if not quiet:
        cohort = "the synthetic twin" if synthetic else f"{Path(manifest_path).name} (own cohort)"
        own = [f"{k} {v!r}" for k, v in values.items() if k not in PIPELINE_PARAMETERS]
        print(f"parameters: run folder {paths.root.name}; cohort {cohort}; profile {prof.name}; seed {seed}; "
              f"CNN-score fits {prof.score_fit}" + (f"; {', '.join(own)}" if own else ""))
        if stale:
            print(f"changed parameters: the run record now marks {', '.join(Path(s).stem for s in stale)} stale; "
                  f"bring them up to date with gvisage reproduce --from {stale[0][:2]}")
    return run
