"""The run's overview page, ``<run>/index.html``: what ran, how it went, the headline beside the paper, every output.

Written by :func:`gvisage_lib.run.pipeline.reproduce` at the end of a run, and also when a notebook fails (the page
then says which notebook and cell failed, with the error, and links the partial notebook). It is built from the run
folder alone: ``run.json`` (status, profile, seed, commit, package versions, per-notebook times), the tables and
figures the notebooks saved, the executed notebooks (their titles), and :mod:`gvisage_lib.paper.numbers` for the
paper's values. Rebuild it at any time with :func:`write_run_index`.

Sections: the run (status, parameters, provenance, per-notebook times); the headline, this run beside the paper
(Table 2 AUCs with stage 1's, Table 3 by HPT-axis damage, the Fig 5A signs); the notebooks, each linked with its title
as a one-line summary; every figure as a thumbnail with its numbered caption
(:func:`gvisage_lib.paper.index.figure_caption`, the same as in the notebooks); the reporting checklists
(``tables/stard2015_checklist.csv``, ``tables/tripod_ai_checklist.csv``) where the run has them; links to every table.

Every link is relative, so the folder can be moved or zipped and the page still works. The page is rendered by
Jinja2 from ``gvisage_lib/run/templates/index.html.j2`` (package data) with autoescaping; it loads nothing from the
network.

Examples
--------
>>> import tempfile, pathlib
>>> from gvisage_lib.core.record import RunSettings
>>> run = pathlib.Path(tempfile.mkdtemp())
>>> _ = RunRecord(settings=RunSettings(profile="smoke", seed=1)).save(run)
>>> page = write_run_index(RunPaths(run))
>>> page.name, "smoke" in page.read_text(encoding="utf-8")
('index.html', True)
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.io import write_text
from gvisage_lib.core.paths import RunPaths, check_paths
from gvisage_lib.core.record import RunRecord
from gvisage_lib.paper import numbers
from gvisage_lib.paper.checklists import CHECKLIST_COLUMNS
from gvisage_lib.paper.index import OUTPUTS, figure_caption, table_caption
from gvisage_lib.run.catalog import NOTEBOOK_DIR, list_notebooks, notebook_title
from gvisage_lib.run.display import format_p, table_html
from gvisage_lib.run.parameters import PIPELINE_PARAMETERS

__all__ = ["CHECKLISTS", "DOCS", "IN_SAMPLE_NOTE", "build_context", "claims_frames", "docs_source", "figure_entries",
           "headline_fig5a", "headline_table2", "headline_table3", "notebook_entries", "render_index",
           "table_entries", "write_docs", "write_report_tables", "write_run_index"]

TEMPLATE_DIR = Path(__file__).resolve().with_name("templates")
#: Reporting checklists a run may hold (file stem, title), shown in a section of their own.
CHECKLISTS: tuple[tuple[str, str], ...] = (("stard2015_checklist", "STARD 2015"),
                                           ("tripod_ai_checklist", "TRIPOD+AI"))
#: Packages listed on the page (the rest are in run.json).
_KEY_PACKAGES = ("torch", "torchvision", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib",
                 "seaborn", "papermill", "nbconvert")
_SPLIT = {"train": "Training", "test": "Testing", "validation": "Validation"}
#: How an in-sample row is marked wherever the index shows it.
IN_SAMPLE_NOTE = "in-sample: fitted on these subjects"
#: Design notes (``docs/*.md`` of the repository) rendered into ``<run>/docs/`` so that the report's links work from
#: the run folder: (file stem, what it explains).
DOCS: tuple[tuple[str, str], ...] = (
    ("twin", "the synthetic twin: how its data and photos are made, and what was calibrated to the paper"),
    ("statistics", "the statistical choices, and where the paper is silent"),
    ("paper", "the paper's numbers and its inconsistencies"),
    ("report", "what the report shows and how"),
    ("data", "the manifest of a cohort of your own"),
    ("profiles", "the profiles smoke, quick and paper"),
    ("training", "training the networks"),
    ("simulation", "the Monte-Carlo check of the paper's tests"),
    ("replicates", "the pipeline over several seeds (gvisage replicate, notebook 08)"),
    ("attribution", "where the networks look (Fig 5C)"),
    ("privacy", "what is shown of a cohort's faces"),
)


def _estimate(est: Any, lo: Any = np.nan, hi: Any = np.nan) -> str:
    """``0.705 (0.590–0.760)``, ``-0.538 (-0.786 to -0.143)`` (a dash would read as a minus); blank when missing.

    Examples
    --------
    >>> _estimate(0.705, 0.59, 0.76), _estimate(-0.5381, -0.786, -0.143), _estimate(float("nan"))
    ('0.705 (0.590–0.760)', '-0.538 (-0.786 to -0.143)', '')
    """
    if est is None or pd.isna(est):
        return ""
    text = f"{float(est):.3f}"
    if lo is not None and hi is not None and not (pd.isna(lo) or pd.isna(hi)):
        sep = "–" if float(lo) >= 0 and float(hi) >= 0 else " to "
        text += f" ({float(lo):.3f}{sep}{float(hi):.3f})"
    return text


def _read(path: Path) -> pd.DataFrame | None:
    """The table at ``path``; None where it is absent or in its skipped form (``skipped``, ``reason``: the analysis
    did not run, :func:`gvisage_lib.clinical.hybrid.skipped_table`), which has none of the analysis' columns."""
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    return None if "skipped" in frame.columns and "reason" in frame.columns else frame


def headline_table2(tables: str | os.PathLike[str]) -> pd.DataFrame:
    """AUCs of Table 2 (stage 2: GVisageNet, logistic regression, hybrid) and GVisageNet's stage 1, paper vs run.

    The paper's side comes from :mod:`gvisage_lib.paper.numbers` (Table 2; stage 1 from its Results, "Performance of
    GVisageNet"); this run's from ``table2_stage2_models.csv`` and ``gvisagenet_metrics_long.csv`` (blank where the
    run has not written them).

    Examples
    --------
    >>> import tempfile
    >>> h = headline_table2(tempfile.mkdtemp())
    >>> h.iloc[0, 1:].tolist()
    ['GVisageNet', 'Testing', '0.942 (0.921–0.972)', '', '']
    """
    tables = Path(tables)
    pr = numbers.results()
    pr = pr[(pr["metric"] == "auc") & ((pr["source"] == "Table 2")
                                       | ((pr["source"] == "Results: Performance of GVisageNet") & (pr["stage"] == 1)))]
    pr = pr.sort_values(["stage", "model"], key=lambda c: c.map({"GVisageNet": 0, "Logistic regression": 1,
                                                                  "Hybrid model": 2}) if c.name == "model" else c,
                        kind="stable")
    stage2 = _read(tables / "table2_stage2_models.csv")
    stage1 = _read(tables / "gvisagenet_metrics_long.csv")
    rows = []
    for r in pr.itertuples(index=False):
        m = pd.DataFrame()
        if int(r.stage) == 2 and stage2 is not None:
            m = stage2[(stage2["model"] == r.model) & (stage2["split"] == r.split) & (stage2["metric"] == "auc")]
        elif int(r.stage) == 1 and stage1 is not None:
            m = stage1[(stage1["stage"] == 1) & (stage1["split"] == r.split) & (stage1["metric"] == "auc")]
        ours, note = "", ""
        if len(m):
            ours = _estimate(m["estimate"].iloc[0], m["ci_low"].iloc[0], m["ci_high"].iloc[0])
            if "in_sample" in m.columns and str(m["in_sample"].iloc[0]).lower() == "true":
                note = IN_SAMPLE_NOTE
        rows.append({"Stage": int(r.stage), "Model": r.model, "Split": _SPLIT.get(r.split, r.split),
                     "Paper AUC (95% CI)": _estimate(r.estimate, r.ci_low, r.ci_high),
                     "This run AUC (95% CI)": ours, "In-sample": note})
    return pd.DataFrame(rows)


def headline_table3(tables: str | os.PathLike[str]) -> pd.DataFrame:
    """Table 3, stage 2 AUC by HPT-axis damage (validation): the paper's n and AUC beside this run's.

    The paper's AUC is its Results text's (0.678, 0.575, 0.517; its Table 3 prints 68.00%, 57.00%, 52.00%); this
    run's from ``table3_hpt_strata.csv`` (its strata hold iGCTs and other tumours, so their n differ from the paper's,
    see notebook 06).

    Examples
    --------
    >>> import tempfile
    >>> headline_table3(tempfile.mkdtemp())["Paper AUC"].tolist()
    ['0.678', '0.575', '0.517']
    """
    ours = _read(Path(tables) / "table3_hpt_strata.csv")
    ours = ours.set_index("stratum") if ours is not None else None
    rows = []
    for r in numbers.table3().itertuples(index=False):
        row = {"HPT-axis damage": r.stratum, "Paper n": int(r.n), "Paper AUC": _estimate(r.auc_text),
               "This run n": "", "This run AUC (95% CI)": ""}
        if ours is not None and r.stratum in ours.index:
            o = ours.loc[r.stratum]
            row.update({"This run n": str(int(o["n"])),
                        "This run AUC (95% CI)": _estimate(o["auc"], o.get("auc_ci_low"), o.get("auc_ci_high"))})
        rows.append(row)
    return pd.DataFrame(rows)


def headline_fig5a(tables: str | os.PathLike[str]) -> pd.DataFrame:
    """Fig 5A: the sign of each indicator's correlation with the stage-2 score, the paper's beside this run's.

    Signs are ``+``, ``−`` or ``0`` (no significant correlation); this run's from
    ``fig5a_signs_paper_vs_this_run.csv`` (BH-adjusted P < .05), with r, its 95% CI and the adjusted P.

    Examples
    --------
    >>> import tempfile
    >>> h = headline_fig5a(tempfile.mkdtemp())
    >>> h.iloc[1].tolist()[:2]
    ['TSH', '+']
    """
    sign = {1: "+", -1: "−", 0: "0"}
    from gvisage_lib.core import schema

    ours = _read(Path(tables) / "fig5a_signs_paper_vs_this_run.csv")
    ours = ours.set_index("indicator") if ours is not None else None
    rows = []
    for ind, ps in numbers.fig5a_signs().items():
        row = {"Indicator": schema.ENDOCRINE_LABELS.get(ind, ind).split(" (")[0], "Paper": sign[int(ps)],
               "This run": "", "r (95% CI)": "", "P (BH)": "", "Agrees": ""}
        if ours is not None and ind in ours.index:
            o = ours.loc[ind]
            row.update({"This run": sign[int(o["this_run_sign"])], "r (95% CI)": _estimate(o["r"], o["ci_low"],
                                                                                          o["ci_high"]),
                        "P (BH)": format_p(o["p_bh"]), "Agrees": "yes" if bool(o["agrees"]) else "no"})
        rows.append(row)
    return pd.DataFrame(rows)


def _title_of(notebook: Path) -> str:
    import nbformat

    try:
        return notebook_title(nbformat.read(notebook, as_version=4), default=notebook.stem)
    except (OSError, ValueError):
        return notebook.stem


def notebook_entries(paths: RunPaths, record: dict[str, Any],
                     notebooks_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """One entry per notebook of the pipeline: name, title (the one-line summary), status, seconds, links.

    Notebooks the run has not reached are listed as ``not run``; a notebook made with earlier parameters is
    ``stale`` (with the reason). ``parameters``: the notebook's own parameters as it ran (the record's), ``runner``:
    who ran it. Links (``html``, ``ipynb``) are relative to the run folder and present only where the file exists.
    """
    recs = {str(n.get("notebook")): n for n in record.get("notebooks", [])}
    try:
        names = [b.name for b in list_notebooks(notebooks_dir)]
    except FileNotFoundError:
        names = []
    names += [n for n in recs if n not in names]
    out = []
    for name in names:
        stem = Path(name).stem
        executed = paths.notebooks / name
        source = Path(NOTEBOOK_DIR if notebooks_dir is None else notebooks_dir) / name
        title_from = executed if executed.is_file() else source
        rec = recs.get(name, {})
        html_file = paths.html / f"{stem}.html"
        own = {k: v for k, v in (rec.get("parameters") or {}).items() if k not in PIPELINE_PARAMETERS}
        out.append({"name": name, "stem": stem,
                    "title": _title_of(title_from) if title_from is not None and title_from.is_file() else stem,
                    "status": rec.get("status", "not run"),
                    "parameters": ", ".join(f"{k} = {v!r}" for k, v in own.items()),
                    "runner": rec.get("runner", ""), "stale_reason": rec.get("stale_reason", ""),
                    "seconds": rec.get("seconds"),
                    "error": rec.get("error", ""), "cell": rec.get("cell"),
                    "html": f"html/{html_file.name}" if html_file.is_file() else "",
                    "ipynb": f"notebooks/{name}" if executed.is_file() else ""})
    return out


def figure_entries(paths: RunPaths) -> list[dict[str, str]]:
    """Every saved figure in reading order: key, numbered caption, notebook and relative PNG/PDF links.

    Figures in ``figures/`` that the index does not name follow, without a number.
    """
    out, known = [], set()
    for o in OUTPUTS:
        if o.kind != "figure":
            continue
        png = paths.figures / f"{o.name}.png"
        known.add(png.name)
        if png.is_file():
            pdf = png.with_suffix(".pdf")
            out.append({"key": o.key, "caption": figure_caption(o.key), "notebook": o.notebook,
                        "png": f"figures/{png.name}", "pdf": f"figures/{pdf.name}" if pdf.is_file() else ""})
    if paths.figures.is_dir():
        for png in sorted(paths.figures.glob("*.png")):
            if png.name not in known:
                pdf = png.with_suffix(".pdf")
                out.append({"key": png.stem, "caption": png.stem, "notebook": "",
                            "png": f"figures/{png.name}", "pdf": f"figures/{pdf.name}" if pdf.is_file() else ""})
    return out


def table_entries(paths: RunPaths) -> list[dict[str, Any]]:
    """Every ``tables/*.csv`` of the run: name, caption and notebook (from the index), rows, relative link.

    In the index's order, then any other CSV alphabetically.
    """
    if not paths.tables.is_dir():
        return []
    files = {p.stem: p for p in paths.tables.glob("*.csv")}
    order = [o for o in OUTPUTS if o.kind == "table" and o.name in files]
    named = {o.name for o in order}
    out = []
    for o in order:
        out.append({"name": o.name, "caption": table_caption(o.key), "notebook": o.notebook, "path": files[o.name]})
    for stem in sorted(set(files) - named):
        out.append({"name": stem, "caption": "", "notebook": "", "path": files[stem]})
    for e in out:
        with open(e["path"], encoding="utf-8") as fh:
            e["rows"] = max(0, sum(1 for _ in fh) - 1)  # lines; a quoted field with a newline counts twice
        e["href"] = f"tables/{e['path'].name}"
    return out


def _link_text(href: str) -> str:
    """``html/04_stage_roc.html#Operating-points`` -> ``04_stage_roc § Operating points``; other links as given."""
    from urllib.parse import unquote

    if href.startswith("html/") and "#" in href:
        page, _, anchor = href[len("html/"):].partition("#")
        return f"{Path(page).stem} § {unquote(anchor).replace('-', ' ')}"
    return href


def _checklists(paths: RunPaths) -> list[dict[str, Any]]:
    """Each checklist's rows, with ``reported_in`` as relative links (a notebook section links to its anchor); a
    target outside the report (models, the cohort's files, predictions: not in ``report.zip``) or not written by the
    run is named, not linked."""
    from gvisage_lib.run.bundle import in_bundle

    out = []
    for stem, title in CHECKLISTS:
        csv = paths.tables / f"{stem}.csv"
        if csv.is_file():
            frame = pd.read_csv(csv, keep_default_na=False, dtype=str)
            rows = []
            for r in frame.to_dict("records"):
                links = [t.strip() for t in str(r.get("reported_in", "")).split(";") if t.strip()]
                # a link only where the target travels with the report (report.zip): not models/, cohort/, ...
                shown = [{"href": t if in_bundle(t.partition("#")[0]) and (paths.root / t.partition("#")[0]).exists()
                          else "", "text": _link_text(t)} for t in links]
                rows.append({**dict.fromkeys(CHECKLIST_COLUMNS, ""), **r, "links": shown})
            out.append({"title": title, "href": f"tables/{csv.name}", "rows": rows,
                        "counts": frame["status"].value_counts().to_dict() if "status" in frame else {}})
    return out


def claims_frames(paths: RunPaths) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claims table of the index: the tests, and the reported values, as displayed (words, no raw keys).

    Examples
    --------
    >>> tests, values = claims_frames(RunPaths("/nonexistent"))
    >>> list(tests.columns)
    ['Claim', 'Where', 'Paper', 'Paper P', 'This run', 'This run P', 'Verdict']
    """
    check_paths(paths)
    from gvisage_lib.paper.claims import claims_table

    t = claims_table(paths)

    def view(d: pd.DataFrame, with_p: bool) -> pd.DataFrame:
        verdict = d["verdict"] + np.where(d["in_sample"].astype(bool), f" ({IN_SAMPLE_NOTE})", "")
        cols = {"Claim": d["claim"], "Where": d["location"], "Paper": d["paper"]}
        if with_p:
            cols["Paper P"] = d["paper_p"]
        cols["This run"] = d["this_run"]
        if with_p:
            cols["This run P"] = d["this_run_p"]
        cols["Verdict"] = verdict
        return pd.DataFrame(cols).reset_index(drop=True)

    return view(t[t["kind"] == "test"], True), view(t[t["kind"] == "estimate"], False)


def write_report_tables(paths: RunPaths) -> dict[str, Path]:
    """Write ``tables/paper_claims.csv`` (:func:`gvisage_lib.paper.claims.claims_table`) and
    ``tables/limitations.csv`` (:func:`gvisage_lib.run.notice.limitations`), atomically; return their paths.

    Run after the last notebook and before the checklists (STARD 26 and TRIPOD+AI 26 point at the limitations).
    """
    check_paths(paths)
    from gvisage_lib.core.io import write_csv
    from gvisage_lib.paper.claims import claims_table
    from gvisage_lib.run.notice import limitations

    return {"paper_claims": write_csv(claims_table(paths), paths.tables / "paper_claims.csv"),
            "limitations": write_csv(pd.DataFrame(limitations(paths), columns=["topic", "text"]),
                                     paths.tables / "limitations.csv")}


def docs_source() -> Path | None:
    """The repository's ``docs/`` folder next to the package (None for an installed wheel, which has none)."""
    folder = Path(__file__).resolve().parents[2] / "docs"
    return folder if (folder / "twin.md").is_file() else None


def _doc_links(html: str) -> str:
    import re

    # links between the notes (x.md, x.md#y) point at their rendered pages; links into the repository have no page
    # in a run folder, so they become plain text
    html = re.sub(r'href="([a-z_]+)\.md(#[^"]*)?"', lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)
    return re.sub(r'<a href="(\.\./[^"]*|[^":#]+/[^"]*)">(.*?)</a>', r"\2", html)


def write_docs(paths: RunPaths) -> list[Path]:
    """Render the design notes (:data:`DOCS`) into ``<run>/docs/<name>.html`` so the report's links work from the run
    folder (and from its zip); returns the pages written (none where the repository's ``docs/`` is absent).
    """
    check_paths(paths)
    import mistune

    source = docs_source()
    if source is None:
        return []
    out_dir = paths.root / "docs"
    css = (TEMPLATE_DIR / "gvisage.css").read_text(encoding="utf-8")
    written = []
    for stem, _ in DOCS:
        md = source / f"{stem}.md"
        if not md.is_file():
            continue
        text = md.read_text(encoding="utf-8")
        title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), stem)
        body = _doc_links(mistune.create_markdown(plugins=["table"])(text))
        page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
                f"<style>body{{font-family:sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em;"
                f"line-height:1.45}} table{{border-collapse:collapse}} td,th{{border-bottom:1px solid #ddd;"
                f"padding:.2em .5em;text-align:left;vertical-align:top}} pre{{white-space:pre-wrap}}{css}</style>"
                f'</head><body><nav class="gv-nav"><a href="../index.html">&larr; Run overview (index.html)</a> · '
                f"design note {escape(stem)}.md of gvisage</nav>{body}</body></html>\n")
        written.append(write_text(page, out_dir / f"{stem}.html"))
    return written


def build_context(paths: RunPaths, notebooks_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Everything the page shows, from the run folder (see the module docstring)."""
    check_paths(paths)
    record = RunRecord.load(paths).to_dict()
    params = record.get("parameters", {})
    git = record.get("git") or {}
    packages = record.get("packages", {})
    manifest = params.get("manifest", "")
    nbs = notebook_entries(paths, record, notebooks_dir)
    failed = next((n for n in nbs if n["status"] == "failed"), None)
    headline = [
        ("Table 2: AUC of each model (stage 2) and of GVisageNet in stage 1",
         headline_table2(paths.tables), "AUC with its 95% CI (this run: DeLong)."),
        ("Table 3: stage 2 by HPT-axis damage (validation)", headline_table3(paths.tables),
         ("This run's strata hold every validation tumour with an HPT grade (iGCT and other), the paper's the iGCTs "
         "only; notebook 06 explains.")),
        ("Fig 5A: sign of each indicator's correlation with the stage-2 score (validation)",
         headline_fig5a(paths.tables), "+ / − significant (this run: BH-adjusted P < .05), 0 none."),
    ]
    from gvisage_lib.paper.claims import RULES
    from gvisage_lib.run.notice import data_notice, limitations, notice_html

    claim_tests, claim_values = claims_frames(paths)
    docs = [{"href": f"docs/{stem}.html", "name": f"{stem}.md", "what": what} for stem, what in DOCS
            if (paths.root / "docs" / f"{stem}.html").is_file()]
    return {
        "notice": notice_html(paths),
        "notice_kind": data_notice(paths)["kind"],
        "claims": {"columns": list(claim_tests.columns), "rows": claim_tests.to_dict("records")},
        "claim_values": {"columns": list(claim_values.columns), "rows": claim_values.to_dict("records")},
        "claim_rules": list(RULES.values()),
        "claim_counts": claim_tests["Verdict"].str.replace(f" ({IN_SAMPLE_NOTE})", "", regex=False)
        .value_counts().to_dict(),
        "limitations": limitations(paths),
        "docs": docs,
        "bundle": "report.zip" if (paths.root / "report.zip").is_file() else "",
        "run_name": paths.root.name,
        "status": record.get("status", "unknown"),
        "record": record,
        "profile": params.get("profile") or record.get("profile", {}).get("name", ""),
        "seed": params.get("seed", ""),
        "twin_seed": params.get("twin_seed"),
        "study": _study_link(paths.root, params.get("profile") or ""),
        "score_fit": params.get("score_fit", ""),
        "cohort": "the synthetic twin" if params.get("synthetic_twin", True) else f"{Path(manifest).name} (own cohort)",
        "start_at": params.get("start_at"),
        "started": record.get("started_utc", ""),
        "finished": record.get("finished_utc", ""),
        "total_seconds": record.get("total_seconds"),
        "version": record.get("gvisage_version", ""),
        "commit": (git.get("commit") or "")[:12] if isinstance(git, dict) else "",
        "dirty": bool(git.get("dirty")) if isinstance(git, dict) else False,
        "python": record.get("environment", {}).get("python", ""),
        "device": record.get("environment", {}).get("cuda_device") or "CPU",
        "packages": [(k, packages[k]) for k in _KEY_PACKAGES if k in packages],
        "notebooks": nbs,
        "failed": failed,
        "headline": [(title, table_html(frame, max_rows=max(len(frame), 1), size_note=False), note)
                     for title, frame, note in headline],
        "figures": figure_entries(paths),
        "tables": table_entries(paths),
        "checklists": _checklists(paths),
        "css": (TEMPLATE_DIR / "gvisage.css").read_text(encoding="utf-8"),
    }


def _study_link(run_dir: Path, profile: str) -> str:
    """The link to the replicate study of the run's profile (:func:`gvisage_lib.run.study_record.study_link`)."""
    from gvisage_lib.run.study_record import study_link

    return study_link(run_dir, profile) if profile else ""


def render_index(context: dict[str, Any]) -> str:
    """The HTML of the page from :func:`build_context`'s ``context`` (Jinja2, autoescaped)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["duration"] = _duration
    return env.get_template("index.html.j2").render(**context)


def _duration(seconds: Any) -> str:
    from gvisage_lib.core.progress import format_seconds

    return "" if seconds is None or pd.isna(seconds) else format_seconds(float(seconds))


def write_run_index(paths: RunPaths, notebooks_dir: str | os.PathLike[str] | None = None, *,
                    bundle: bool | None = None) -> Path:
    """Write ``<run>/index.html`` (atomically) from the run folder and return its path.

    ``bundle``: link ``report.zip`` (True), do not (False), or link it when it exists (None).
    """
    check_paths(paths)
    context = build_context(paths, notebooks_dir)
    if bundle is not None:
        context["bundle"] = "report.zip" if bundle else ""
    return write_text(render_index(context), paths.index_html)
