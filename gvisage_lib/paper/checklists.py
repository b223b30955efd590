"""Reporting checklists of a run: STARD 2015 (diagnostic accuracy) and TRIPOD+AI (prediction models with AI).

The item lists are package data (``paper/data/stard2015_items.csv``: 30 items, ``paper/data/tripod_ai_items.csv``:
27 items; numbered as the statements number them, sub-items such as ``10a``/``10b`` as rows of their own). What each
item asks is paraphrased, short; the statements themselves are the authority (STARD 2015: Bossuyt et al., BMJ
2015;351:h5527; TRIPOD+AI: Collins et al., BMJ 2024;385:e078378).

Each item row says where a run reports it and how to judge it:

``evidence``
    ``"; "``-separated pointers into the run folder: ``table:<key>`` and ``figure:<key>`` (keys of
    :mod:`gvisage_lib.paper.index`, resolved to ``tables/<name>.csv`` and ``figures/<name>.png``),
    ``notebook:<stem>#<heading>`` (the executed notebook ``notebooks/<stem>.ipynb`` holding a Markdown heading that
    starts with ``<heading>``) and ``file:<path>`` (a file, or a non-empty folder, relative to the run folder).
``twin``, ``own``
    For a run on the synthetic twin and on an own cohort: either a fixed verdict, ``"not applicable: <why>"`` or
    ``"not reported: <why>"`` (the item asks about something a pipeline run does not hold, such as recruitment of
    real patients), or else a short note on the evidence (may be empty).

The status is computed from what the run wrote: an item with evidence is ``"reported"`` when every pointer exists
and ``"not reported"`` (naming what is missing) otherwise; an item with a fixed verdict takes it. Which column applies
comes from the run record (``run.json``'s ``parameters.synthetic_twin``) unless ``synthetic`` is given.

Examples
--------
>>> items = checklist_items("stard2015")
>>> items["item"].str.rstrip("abcdefg").nunique(), checklist_items("tripod_ai")["item"].str.rstrip("abcdefg").nunique()
(30, 27)
>>> items.set_index("item").loc["23", "topic"]
'Cross tabulation'
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from gvisage_lib.core import io
from gvisage_lib.core.paths import RunPaths, check_paths
from gvisage_lib.core.record import RunRecord, RunRecordError
from gvisage_lib.paper.index import figure_name, table_name

__all__ = ["CHECKLISTS", "CHECKLIST_COLUMNS", "STATUSES", "checklist_items", "heading_anchor", "reporting_checklists",
           "resolve_evidence", "run_facts", "threshold_provenance", "write_checklists"]

#: The checklists: name -> (item-list file in ``paper/data``, file stem of the run's table under ``tables/``).
CHECKLISTS: dict[str, tuple[str, str]] = {
    "stard2015": ("stard2015_items.csv", "stard2015_checklist"),
    "tripod_ai": ("tripod_ai_items.csv", "tripod_ai_checklist"),
}
#: Columns of a run's checklist table.
CHECKLIST_COLUMNS: tuple[str, ...] = ("item", "section", "topic", "asks", "reported_in", "status", "reason")
STATUSES: tuple[str, ...] = ("reported", "not applicable", "not reported")
_ITEM_COLUMNS = ("item", "section", "topic", "asks", "evidence", "twin", "own")
_FIXED = ("not applicable", "not reported")


def _check_name(name: str) -> str:
    if name not in CHECKLISTS:
        raise ValueError(f"name must be one of {sorted(CHECKLISTS)}, got {name!r}")
    return name


@cache
def _items_cached(name: str) -> pd.DataFrame:
    file = CHECKLISTS[name][0]
    with resources.files("gvisage_lib.paper.data").joinpath(file).open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    missing = [c for c in _ITEM_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"gvisage_lib/paper/data/{file}: missing column(s) {missing}")
    for i, r in df.iterrows():
        for col in ("twin", "own"):
            fixed = r[col].startswith(_FIXED)
            if not fixed and not r["evidence"].strip():
                raise ValueError(f"gvisage_lib/paper/data/{file}: row {i + 2}, item {r['item']!r}, column {col!r}, "
                                 f"value {r[col]!r}: an item without evidence needs a fixed verdict "
                                 f"('not applicable: ...' or 'not reported: ...')")
    return df[list(_ITEM_COLUMNS)]


def checklist_items(name: str) -> pd.DataFrame:
    """The item list of checklist ``name`` (``"stard2015"`` or ``"tripod_ai"``), a fresh copy.

    Columns: ``item, section, topic, asks, evidence, twin, own`` (see the module docstring).

    Examples
    --------
    >>> checklist_items("tripod_ai").iloc[0][["item", "section"]].tolist()
    ['1', 'Title']
    >>> checklist_items("consort")
    Traceback (most recent call last):
    ...
    ValueError: name must be one of ['stard2015', 'tripod_ai'], got 'consort'
    """
    return _items_cached(_check_name(name)).copy()


def heading_anchor(heading: str) -> str:
    """The ``id`` nbconvert gives a Markdown heading in a rendered notebook (its text, spaces as ``-``, URL-quoted).

    Inline Markdown (``**``, backquotes, ``*``) is dropped first, as the rendered heading's text has none.

    Examples
    --------
    >>> heading_anchor("2x2 tables at the operating points"), heading_anchor("Fig 4A: `ROC` **curves**")
    ('2x2-tables-at-the-operating-points', 'Fig-4A:-ROC-curves')
    """
    from urllib.parse import quote

    text = re.sub(r"[`*]", "", heading).replace("\\", "").strip()
    return quote(text.replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _find_heading(notebook: Path, prefix: str) -> str | None:
    """The first Markdown heading of ``notebook`` that starts with ``prefix`` (its full text), or None."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return None
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        src = cell.get("source", "")
        for line in ("".join(src) if isinstance(src, list) else src).splitlines():
            if line.startswith("#") and line.lstrip("#").strip().startswith(prefix):
                return line.lstrip("#").strip()
    return None


def resolve_evidence(token: str, paths: RunPaths) -> tuple[str, bool]:
    """Where one evidence pointer lives in a run folder (relative path) and whether the run wrote it.

    Parameters
    ----------
    token : str
        ``table:<key>``, ``figure:<key>``, ``notebook:<stem>#<heading>`` or ``file:<path>``.
    paths : RunPaths
        The run.

    Returns
    -------
    (str, bool)
        The relative location and whether it exists. A notebook section is located in the notebook's rendered page
        with the anchor nbconvert gives its heading (the heading that starts with ``<heading>``, spaces as ``-``):
        ``"html/04_stage_roc.html#Operating-points"``.

    Examples
    --------
    >>> resolve_evidence("table:two_by_two", RunPaths("/nonexistent"))
    ('tables/two_by_two.csv', False)
    >>> resolve_evidence("notebook:04_stage_roc#Operating points", RunPaths("/nonexistent"))[0]
    'html/04_stage_roc.html#Operating-points'
    >>> resolve_evidence("slide:3", RunPaths("/nonexistent"))
    Traceback (most recent call last):
    ...
    ValueError: token must be 'table:<key>', 'figure:<key>', 'notebook:<stem>#<heading>' or 'file:<path>', got 'slide:3'
    """
    check_paths(paths)
    root = paths.root
    kind, _, ref = str(token).strip().partition(":")
    ref = ref.strip()
    if kind == "table" and ref:
        rel = f"tables/{table_name(ref)}.csv"
        return rel, (root / rel).is_file()
    if kind == "figure" and ref:
        rel = f"figures/{figure_name(ref)}.png"
        return rel, (root / rel).is_file()
    if kind == "notebook" and "#" in ref:
        stem, _, heading = ref.partition("#")
        full = _find_heading(root / f"notebooks/{stem.strip()}.ipynb", heading.strip())
        return f"html/{stem.strip()}.html#{heading_anchor(full or heading.strip())}", full is not None
    if kind == "file" and ref and not Path(ref).is_absolute() and ".." not in Path(ref).parts:
        p = root / ref
        return ref, p.is_file() or (p.is_dir() and any(p.iterdir()))
    raise ValueError("token must be 'table:<key>', 'figure:<key>', 'notebook:<stem>#<heading>' or 'file:<path>', "
                     f"got {token!r}")


def _synthetic_from_run(paths: RunPaths) -> bool:
    try:
        flag = RunRecord.load(paths).settings.synthetic_twin
    except FileNotFoundError:
        raise FileNotFoundError(f"run record not found: {RunRecord.path(paths)} (written by the pipeline); "
                                "pass synthetic=True or False to say which cohort the run used") from None
    except RunRecordError as exc:
        raise ValueError(f"{exc}; pass synthetic=True or False") from None
    if flag is None:
        raise ValueError(f"{RunRecord.path(paths)}: parameters.synthetic_twin is not recorded; pass synthetic=True "
                         "or False")
    return flag


_SPLIT_WORD = {"train": "the training split's out-of-fold scores", "test": "the internal test split",
               "validation": "the independent validation split"}


def threshold_provenance(paths: RunPaths) -> str:
    """Where the run's thresholds were chosen, in words, from ``operating_points.csv``'s ``chosen_on``.

    Empty when the run has not written the table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp()); (run / "tables").mkdir()
    >>> _ = (run / "tables" / "operating_points.csv").write_text("stage,chosen_on\\n1,test\\n2,test\\n")
    >>> threshold_provenance(RunPaths(run))
    'the internal test split'
    """
    check_paths(paths)
    path = paths.tables / "operating_points.csv"
    ops = pd.read_csv(path) if path.is_file() else None
    if ops is None or "chosen_on" not in ops.columns or ops.empty:
        return ""
    return " and ".join(_SPLIT_WORD.get(str(s), str(s)) for s in dict.fromkeys(ops["chosen_on"].astype(str)))


def run_facts(paths: RunPaths) -> dict[str, str]:
    """What an item's note may name from the run (``{thresholds_chosen_on}``: where the thresholds were chosen, from
    ``operating_points.csv``'s ``chosen_on``; see :func:`threshold_provenance`).

    Examples
    --------
    >>> run_facts(RunPaths("/nonexistent"))
    {'thresholds_chosen_on': 'a split this run has not recorded yet'}
    """
    check_paths(paths)
    return {"thresholds_chosen_on": threshold_provenance(paths) or "a split this run has not recorded yet"}


def _judge(items: pd.DataFrame, paths: RunPaths, synthetic: bool) -> pd.DataFrame:
    col = "twin" if synthetic else "own"
    facts = run_facts(paths)
    rows = []
    for r in items.itertuples(index=False):
        verdict = getattr(r, col).strip()
        if "{" in verdict:
            try:
                verdict = verdict.format_map(facts)
            except KeyError as exc:
                raise ValueError(f"checklist item {r.item!r}, column {col!r}: unknown run fact {exc.args[0]!r} "
                                 f"(known: {sorted(facts)})") from None
        tokens = [t.strip() for t in r.evidence.split(";") if t.strip()]
        where = [resolve_evidence(t, paths) for t in tokens]
        reported_in = "; ".join(w for w, _ in where)
        if verdict.startswith(_FIXED):
            status, _, reason = verdict.partition(":")
            status, reason = status.strip(), reason.strip()
        elif all(ok for _, ok in where):
            status, reason = "reported", verdict
        else:
            status = "not reported"
            reason = "this run did not write " + ", ".join(w for w, ok in where if not ok)
        rows.append({"item": r.item, "section": r.section, "topic": r.topic, "asks": r.asks,
                     "reported_in": reported_in, "status": status, "reason": reason})
    return pd.DataFrame(rows, columns=list(CHECKLIST_COLUMNS))


def reporting_checklists(paths: RunPaths, *, synthetic: bool | None = None) -> dict[str, pd.DataFrame]:
    """The STARD 2015 and TRIPOD+AI checklists of the run ``paths``, judged from the files it wrote.

    Parameters
    ----------
    paths : RunPaths
        The run (its folder must exist).
    synthetic : bool, optional
        Whether the run used the synthetic twin; default: ``parameters.synthetic_twin`` of its ``run.json``.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``{"stard2015": ..., "tripod_ai": ...}``, each with :data:`CHECKLIST_COLUMNS`, one row per item or sub-item.

    Examples
    --------
    >>> import tempfile
    >>> c = reporting_checklists(RunPaths(tempfile.mkdtemp()), synthetic=True)
    >>> c["stard2015"].set_index("item").loc["23", ["reported_in", "status"]].tolist()
    ['html/04_stage_roc.html#2x2-tables-at-the-operating-points; tables/two_by_two.csv', 'not reported']
    >>> c["stard2015"].set_index("item").loc["5", "status"]
    'not applicable'
    """
    check_paths(paths)
    if not paths.root.is_dir():
        raise FileNotFoundError(f"run folder not found: {paths.root}")
    if synthetic is None:
        synthetic = _synthetic_from_run(paths)
    elif not isinstance(synthetic, bool):
        raise TypeError(f"synthetic must be True, False or None, got {synthetic!r}")
    return {name: _judge(checklist_items(name), paths, synthetic) for name in CHECKLISTS}


def write_checklists(paths: RunPaths, *, synthetic: bool | None = None) -> dict[str, Path]:
    """Write the run's checklists as ``tables/stard2015_checklist.csv`` and ``tables/tripod_ai_checklist.csv``.

    Meant to run after the last notebook, so that every output the items point at exists; each file is written
    atomically (:func:`gvisage_lib.core.io.write_csv`). See :func:`reporting_checklists`.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"stard2015": <path>, "tripod_ai": <path>}``.

    Examples
    --------
    >>> import tempfile
    >>> out = write_checklists(RunPaths(tempfile.mkdtemp()), synthetic=False)
    >>> sorted(p.name for p in out.values())
    ['stard2015_checklist.csv', 'tripod_ai_checklist.csv']
    """
    check_paths(paths)
    tables = reporting_checklists(paths, synthetic=synthetic)
    return {name: io.write_csv(frame, paths.tables / f"{CHECKLISTS[name][1]}.csv") for name, frame in tables.items()}
