"""The report of a replicate study: its summary tables and figures, notebook 08 and the study's ``index.html``.

:func:`write_study_report` runs once, after every replicate of a study succeeded (:func:`gvisage_lib.run.replicates.
run_study`): it computes the summary from the replicates' run folders (:mod:`gvisage_lib.paper.replicates`) and
writes it, each file atomically, into the study folder::

    DIR/tables/replicate_*.csv      the summary tables (gvisage_lib.paper.replicates.SUMMARY_TABLES)
    DIR/figures/replicate_*.png|pdf the figures (gvisage_lib.paper.replicate_figures.FIGURES)
    DIR/notebooks/08_replicates.ipynb  notebook 08 executed on the study (it reads the tables, writes nothing)
    DIR/html/08_replicates.html     its rendering, with the run pages' template
    DIR/index.html                  the study's overview: settings, replicates (linked), conclusions, tables, figures

Notebook 08 (``notebooks/08_replicates.ipynb``) is not one of the pipeline's notebooks: it runs on a study, not on a
run, and :func:`gvisage_lib.run.catalog.list_notebooks` leaves it out (:data:`gvisage_lib.run.catalog.STUDY_NOTEBOOKS`).
It opens the study with :func:`open_study` and shows what :class:`StudyView` holds.

Examples
--------
>>> open_study("/nonexistent/study")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
FileNotFoundError: /nonexistent/study/study.json not found: /nonexistent/study is not a study folder of gvisage ...
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gvisage_lib.core.io import save_figure, write_csv, write_text
from gvisage_lib.paper import replicates as summary_lib
from gvisage_lib.paper.replicate_figures import FIGURES, auc_strip_figure, claims_share_figure
from gvisage_lib.run.catalog import NOTEBOOK_DIR
from gvisage_lib.run.study_record import STUDY_JSON, load_study, study_dir_for

__all__ = ["STUDY_NOTEBOOK", "StudyView", "open_study", "write_study_index", "write_study_report",
           "write_study_summary"]

#: The study's notebook, in the repository's ``notebooks/``.
STUDY_NOTEBOOK = "08_replicates.ipynb"
TEMPLATE_DIR = Path(__file__).resolve().with_name("templates")


def _record(study_dir: Path) -> dict[str, Any]:
    record = load_study(study_dir)
    if record is None:
        raise FileNotFoundError(f"{study_dir / STUDY_JSON} not found: {study_dir} is not a study folder of gvisage "
                                "replicate")
    return record


def write_study_summary(study_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Compute the summary from the replicates that ``study.json`` lists and write its tables and figures; return
    the files by name (a figure by its PNG).

    Examples
    --------
    >>> write_study_summary("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent/study.json not found: ...
    """
    import matplotlib.pyplot as plt

    folder = Path(study_dir)
    record = _record(folder)
    runs = {int(e["seed"]): folder / e["folder"] for e in record.get("replicates", [])}
    if not runs:
        raise ValueError(f"{folder / STUDY_JSON} lists no replicate: nothing to summarise")
    tables = summary_lib.summarise(summary_lib.collect(runs))
    files = {name: write_csv(frame, folder / "tables" / f"{name}.csv") for name, frame in tables.items()}
    for key, fig in (("auc_strip", auc_strip_figure(tables["replicate_auc_values"])),
                     ("claims_share", claims_share_figure(tables["replicate_claims"]))):
        stem = FIGURES[key][0]
        files[stem] = save_figure(fig, folder / "figures" / stem, dpi=150)[0]
        plt.close(fig)
    return files


@dataclass
class StudyView:
    """What notebook 08 and the study's index show: the study record and its summary tables (read, not computed).

    Examples
    --------
    >>> record = {"settings": {"vary": "training", "profile": "smoke", "seed_list": [11, 12]}, "scheduler": "local",
    ...           "replicates": [{"seed": 11, "master_seed": 11, "twin_seed": 11, "status": "succeeded",
    ...                           "outcome": "ran", "seconds": 80.5, "run_hash": "ab" * 32}]}
    >>> view = StudyView(Path("/s/study"), record, {})
    >>> view.description()
    'study study: 2 replicate(s), seeds 11 to 12, vary training, profile smoke; scheduler local'
    >>> view.replicates()["run hash"].tolist()
    ['abababababab']
    """

    folder: Path
    record: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    @property
    def vary(self) -> str:
        return str(self.record["settings"]["vary"])

    def description(self) -> str:
        """One line: the seeds, what varied, the profile, the scheduler and the status of the study."""
        st = self.record["settings"]
        seeds = st.get("seed_list") or []
        span = f"seeds {seeds[0]} to {seeds[-1]}" if len(seeds) > 1 else f"seed {seeds[0]}" if seeds else "no seed"
        return (f"study {self.folder.name}: {len(seeds)} replicate(s), {span}, vary {st['vary']}, profile "
                f"{st['profile']}; scheduler {self.record.get('scheduler', '')}")

    def replicates(self) -> pd.DataFrame:
        """The replicates as ``study.json`` records them: seed, seeds given to the run, status, run hash."""
        cols = {"seed": "seed", "master_seed": "master seed", "twin_seed": "twin seed", "status": "status",
                "outcome": "outcome", "seconds": "seconds", "run_hash": "run hash"}
        frame = pd.DataFrame(self.record.get("replicates", []), columns=list(cols))
        frame["run_hash"] = frame["run_hash"].fillna("").astype(str).str[:12]
        return frame.rename(columns=cols)

    def conclusions(self) -> str:
        """What the study shows, in Markdown (:func:`gvisage_lib.paper.replicates.study_conclusions`)."""
        return summary_lib.study_conclusions(self.tables, vary=self.vary)

    def csv(self, name: str) -> Path:
        return self.folder / "tables" / f"{name}.csv"

    def figure(self, key: str) -> Any:
        """The figure ``key`` of :data:`~gvisage_lib.paper.replicate_figures.FIGURES`, drawn from the tables."""
        if key == "auc_strip":
            return auc_strip_figure(self.tables["replicate_auc_values"])
        if key == "claims_share":
            return claims_share_figure(self.tables["replicate_claims"])
        raise ValueError(f"key must be one of {sorted(FIGURES)}, got {key!r}")

    def view(self, name: str) -> pd.DataFrame:
        """The summary table ``name`` as shown: the claims without their keys and with their kind in words (the
        display would read the kind ``test`` as the testing split)."""
        frame = self.tables[name]
        if name in ("replicate_claims", "replicate_claim_verdicts"):
            kinds = {"test": "tested claim", "estimate": "reported value"}
            frame = frame.drop(columns="key").assign(kind=frame["kind"].map(kinds).fillna(frame["kind"]))
        return frame

    def show_table(self, name: str, *, max_rows: int = 30, caption: str = "") -> None:
        """Show the summary table ``name`` (:meth:`view`) in the notebook, linking its CSV."""
        from gvisage_lib.run import display

        display.show_table(self.view(name), self.csv(name), max_rows=max_rows, caption=caption or name,
                           html_dir=self.folder / "html")

    def show_figure(self, key: str) -> None:
        """Show the figure ``key`` with its caption and links to its saved files."""
        from gvisage_lib.run import display

        stem, caption = FIGURES[key]
        files = [p for p in (self.folder / "figures" / f"{stem}.png", self.folder / "figures" / f"{stem}.pdf")
                 if p.is_file()]
        display.show_figure(self.figure(key), caption, files=files, html_dir=self.folder / "html")

    def show_replicates(self) -> None:
        """Show the replicates table (:meth:`replicates`)."""
        from gvisage_lib.run import display

        display.show_table(self.replicates(), None, max_rows=max(len(self.record.get("replicates", [])), 1),
                           caption="The replicates (study.json)")

    def show_markdown(self, text: str) -> None:
        """Show Markdown written from the study's tables as the page's own text."""
        from IPython.display import display

        from gvisage_lib.run.glue import Markdown

        display(Markdown(text))


def open_study(study_dir: str | os.PathLike[str] | None = None, *, run_dir: str | os.PathLike[str] = "",
               profile: str = "") -> StudyView:
    """The study in ``study_dir`` (default: the study of the run folder ``run_dir``'s profile,
    :func:`gvisage_lib.run.replicates.study_dir_for`) with its summary tables.

    Raises ``FileNotFoundError`` where the folder holds no study or its summary is not written yet.

    Examples
    --------
    >>> open_study(run_dir="/nonexistent/runs/smoke", profile="smoke")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent/runs/replicates-smoke/study.json not found: ...
    """
    folder = Path(study_dir) if study_dir else study_dir_for(run_dir, profile)
    record = _record(folder)
    tables = {}
    for name in summary_lib.SUMMARY_TABLES:
        path = folder / "tables" / f"{name}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the study's summary is written once all its replicates "
                                    "succeeded (gvisage replicate)")
        tables[name] = pd.read_csv(path, keep_default_na=True)
    return StudyView(folder, record, tables)


def _run_notebook(folder: Path, notebooks_dir: Path, log: Callable[[str], None]) -> dict[str, Path]:
    """Execute notebook 08 on the study (into a temporary file, then moved into place) and render its page."""
    from gvisage_lib.run.pipeline import _execute_book, _kernel_env, _place_executed, _render_html

    book = notebooks_dir / STUDY_NOTEBOOK
    executed = folder / "notebooks" / STUDY_NOTEBOOK
    executed.parent.mkdir(parents=True, exist_ok=True)
    partial = executed.with_name(f".{executed.stem}.partial.ipynb")
    _kernel_env()
    log(f"{book.stem}: running on the study")
    try:
        _execute_book(book, partial, {"study_dir": str(folder)}, folder, prefix=book.stem.replace("_", " "))
    finally:
        _place_executed(partial, executed)
    page = _render_html(executed, folder / "html" / f"{executed.stem}.html")
    return {"notebook": executed, "html": page}


def write_study_index(study_dir: str | os.PathLike[str]) -> Path:
    """Write the study's overview ``DIR/index.html`` (atomically) from ``study.json`` and the summary; its path.

    Examples
    --------
    >>> write_study_index("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent/study.json not found: /nonexistent is not a study folder of gvisage replicate
    """
    import jinja2
    import mistune

    from gvisage_lib.run.display import table_html

    view = open_study(study_dir)
    html_dir = view.folder
    shown = [("replicate_auc_summary", "Each AUC over the seeds: median, range, the paper's value"),
             ("replicate_claims", "Share of the seeds in which each claim of the paper holds"),
             ("replicate_selection", "The architecture selected per stage"),
             ("replicate_truth_checks", "The twin's truth checks: seeds in which each recovered what was planted")]
    reps = view.replicates()
    links = [f"{e['folder']}/index.html" if (view.folder / e["folder"] / "index.html").is_file() else ""
             for e in view.record.get("replicates", [])]
    context = {
        "name": view.folder.name, "status": view.record.get("status", "unknown"), "record": view.record,
        "description": view.description(), "conclusions": mistune.html(view.conclusions()),
        "replicates": list(zip(reps.to_dict("records"), links, strict=True)), "columns": list(reps.columns),
        "tables": [(title, table_html(view.view(name), csv=view.csv(name), max_rows=len(view.tables[name]) or 1,
                                      caption=title, html_dir=html_dir)) for name, title in shown],
        "figures": [{"png": f"figures/{stem}.png", "caption": caption} for stem, caption in FIGURES.values()
                    if (view.folder / "figures" / f"{stem}.png").is_file()],
        "notebook": f"html/{Path(STUDY_NOTEBOOK).stem}.html"
        if (view.folder / "html" / f"{Path(STUDY_NOTEBOOK).stem}.html").is_file() else "",
        "css": (TEMPLATE_DIR / "gvisage.css").read_text(encoding="utf-8"),
    }
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return write_text(env.get_template("study.html.j2").render(**context), view.folder / "index.html")


def write_study_report(study_dir: str | os.PathLike[str], *, notebooks_dir: str | os.PathLike[str] | None = None,
                       notebook: bool = True, index: bool = True, log: Callable[[str], None] = print
                       ) -> dict[str, Path]:
    """Write the whole report of a study (module docstring): summary, notebook 08 and its page, ``index.html``.

    ``notebook=False`` leaves notebook 08 out (the index then has no link to it); ``index=False`` leaves the index
    to the caller (:func:`gvisage_lib.run.replicates.run_study` writes it once ``study.json`` says how the study
    ended).

    Examples
    --------
    >>> write_study_report("/nonexistent", log=print)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent/study.json not found: ...
    """
    folder = Path(study_dir)
    files = write_study_summary(folder)
    log(f"study summary: {len(files)} tables and figures in {folder}")
    if notebook:
        files.update(_run_notebook(folder, Path(notebooks_dir or NOTEBOOK_DIR), log))
    if index:
        files["index"] = write_study_index(folder)
    return files
