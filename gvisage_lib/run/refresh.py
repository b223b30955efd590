"""``gvisage report RUN [--zip]``: the report of a finished run folder rendered again from what the run wrote.

It sits above :mod:`gvisage_lib.run.pipeline` (whose :func:`~gvisage_lib.run.pipeline.render_run` renders the pages)
and :mod:`gvisage_lib.run.report` (the index), so neither imports the other back.

Examples
--------
>>> refresh_report("/nonexistent/run")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
FileNotFoundError: .../nonexistent/run/run.json not found: ... is not a run folder of gvisage reproduce
"""

from __future__ import annotations

import os
from typing import Any

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.record import RunRecord
from gvisage_lib.paper.checklists import write_checklists
from gvisage_lib.run.bundle import write_bundle
from gvisage_lib.run.pipeline import render_run
from gvisage_lib.run.report import build_context, render_index, write_docs, write_report_tables, write_run_index

__all__ = ["refresh_report"]


def refresh_report(run_dir: str | os.PathLike[str], *, bundle: bool = False,
                   notebooks_dir: str | os.PathLike[str] | None = None, log: Any = None) -> dict[str, Any]:
    """``gvisage report RUN [--zip]``: the claims and limitations tables, the design notes and the checklists, then
    the notebook pages and ``index.html`` from the run record (:func:`gvisage_lib.run.pipeline.render_run`); with
    ``bundle``, then ``report.zip`` (:mod:`gvisage_lib.run.bundle`) and the index again, linking it.

    Nothing is recomputed: the pages are rendered from the executed notebooks and the tables the run wrote. Returns
    ``{"index": path, "bundle": path or None}``.
    """
    paths = RunPaths(run_dir)
    if not RunRecord.exists(paths):
        raise FileNotFoundError(f"{RunRecord.path(paths)} not found: {paths.root} is not a run folder of gvisage "
                                "reproduce")
    say = log or (lambda _msg: None)
    write_report_tables(paths)
    write_docs(paths)
    write_checklists(paths)
    index = render_run(paths.root, notebooks_dir, log=say)
    zipped = None
    if bundle:  # the index inside the zip does not link the zip; the one beside it does
        inner = build_context(paths, notebooks_dir)
        inner["bundle"] = ""
        zipped = write_bundle(paths, texts={"index.html": render_index(inner)})
        index = write_run_index(paths, notebooks_dir, bundle=True)
        say(f"bundle: {zipped} ({zipped.stat().st_size / 1e6:.1f} MB)")
    return {"index": index, "bundle": zipped}
