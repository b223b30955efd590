"""Reporting checklists (gvisage_lib.paper.checklists): the item lists, their pointers, and the status of each item
computed from what a run folder holds.

The smoke run's checklists are checked in test_end_to_end.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.paper import checklists as cl
from gvisage_lib.paper.index import figure_name, table_name

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "n_items"), [("stard2015", 30), ("tripod_ai", 27)])
def test_item_lists_number_the_items_as_the_statements(name: str, n_items: int) -> None:
    items = cl.checklist_items(name)
    assert items["item"].is_unique
    assert all(re.fullmatch(r"\d{1,2}[a-g]?", i) for i in items["item"])
    numbers = items["item"].str.extract(r"^(\d+)")[0].astype(int)
    assert sorted(numbers.unique()) == list(range(1, n_items + 1))
    assert numbers.is_monotonic_increasing
    # sub-items run a, b, c, ... without gaps
    for n, g in items.groupby(numbers):
        letters = [i.removeprefix(str(n)) for i in g["item"]]
        assert letters == [""] or letters == [chr(ord("a") + k) for k in range(len(letters))], (n, letters)
    assert (items[["section", "topic", "asks"]] != "").all().all()
    assert items["asks"].str.len().max() < 200  # paraphrased, short


def test_sub_items_of_the_statements() -> None:
    stard = set(cl.checklist_items("stard2015")["item"])
    assert {"10a", "10b", "12a", "12b", "13a", "13b", "21a", "21b"} <= stard
    tripod = set(cl.checklist_items("tripod_ai")["item"])
    assert {"3a", "3c", "5b", "6c", "8c", "9c", "12g", "18f", "20c", "23b", "27c"} <= tripod


@pytest.mark.parametrize("name", sorted(cl.CHECKLISTS))
def test_every_pointer_names_an_existing_output_or_notebook_section(name: str) -> None:
    """Keys exist in the output index and notebook headings in the repository's notebooks, so pointers never go stale."""
    notebooks = {p.stem: p for p in (REPO / "notebooks").glob("*.ipynb")}
    for r in cl.checklist_items(name).itertuples(index=False):
        for token in filter(None, (t.strip() for t in r.evidence.split(";"))):
            kind, _, ref = token.partition(":")
            if kind == "table":
                table_name(ref)
            elif kind == "figure":
                figure_name(ref)
            elif kind == "notebook":
                stem, _, heading = ref.partition("#")
                assert stem in notebooks, (r.item, token)
                nb = nbformat.read(notebooks[stem], as_version=4)
                heads = [ln.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
                         for ln in c.source.splitlines() if ln.startswith("#")]
                assert any(h.startswith(heading) for h in heads), (r.item, token)
            else:
                assert kind == "file", (r.item, token)
        for col in ("twin", "own"):
            verdict = getattr(r, col)
            if verdict.startswith(("not applicable", "not reported")):
                assert re.match(r"not (applicable|reported): \S", verdict), (r.item, col, verdict)


def _fake_run(root: Path, *, synthetic: bool) -> Path:
    """A run folder with a few of the outputs the checklists point at."""
    for d in ("tables", "figures", "notebooks", "cohort"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "run.json").write_text(json.dumps({"parameters": {"synthetic_twin": synthetic}}))
    (root / "tables" / f"{table_name('two_by_two')}.csv").write_text("a\n1\n")
    (root / "tables" / f"{table_name('stard_flow')}.csv").write_text("a\n1\n")
    (root / "figures" / f"{figure_name('figS5')}.png").write_bytes(b"png")
    (root / "figures" / f"{figure_name('fig1')}.png").write_bytes(b"png")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 04 · Stage-wise\n\n## 2x2 tables at the "
                                                                       "operating points\ntext")])
    nbformat.write(nb, root / "notebooks" / "04_stage_roc.ipynb")
    if synthetic:
        (root / "cohort" / "manifest.csv").write_text("subject_id\n")
    return root


def test_status_follows_what_the_run_wrote(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run", synthetic=True)
    c = cl.reporting_checklists(RunPaths(run))
    assert set(c) == {"stard2015", "tripod_ai"}
    stard = c["stard2015"].set_index("item")
    assert list(c["stard2015"].columns) == list(cl.CHECKLIST_COLUMNS)
    assert set(c["stard2015"]["status"]) <= set(cl.STATUSES)
    # every pointer present: reported
    assert stard.loc["23", "status"] == "reported"
    assert stard.loc["23", "reported_in"] == ("html/04_stage_roc.html#2x2-tables-at-the-operating-points; "
                                              "tables/two_by_two.csv")
    assert stard.loc["19", "status"] == "reported"
    # one pointer missing: not reported, and the reason names it
    assert stard.loc["24", "status"] == "not reported"
    assert "tables/table2_gvisagenet.csv" in stard.loc["24", "reason"]
    # a notebook without the section does not count
    assert stard.loc["12a", "status"] == "not reported"
    assert "html/04_stage_roc.html#Operating-points" in stard.loc["12a", "reason"]
    # fixed verdicts for what a synthetic cohort cannot have
    assert stard.loc["5", "status"] == "not applicable" and "synthetic" in stard.loc["5", "reason"]
    assert stard.loc["2", "status"] == "not reported"


def test_twin_and_own_cohort_differ(tmp_path: Path) -> None:
    twin = cl.reporting_checklists(RunPaths(_fake_run(tmp_path / "twin", synthetic=True)))
    own = cl.reporting_checklists(RunPaths(_fake_run(tmp_path / "own", synthetic=False)))
    s_twin, s_own = (c["stard2015"].set_index("item") for c in (twin, own))
    assert s_twin.loc["22", "status"] == "not applicable"
    assert s_own.loc["22", "status"] == "not reported" and "manifest" in s_own.loc["22", "reason"]
    t_twin, t_own = (c["tripod_ai"].set_index("item") for c in (twin, own))
    assert t_twin.loc["18e", "status"] == "reported" and t_twin.loc["18e", "reported_in"] == "cohort/manifest.csv"
    assert t_own.loc["18e", "status"] == "not reported"
    # the argument overrides run.json
    forced = cl.reporting_checklists(RunPaths(tmp_path / "twin"), synthetic=False)["stard2015"].set_index("item")
    assert forced.loc["22", "status"] == "not reported"


def test_write_checklists_writes_both_tables(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run", synthetic=True)
    out = cl.write_checklists(RunPaths(run))
    assert out == {"stard2015": run / "tables" / "stard2015_checklist.csv",
                   "tripod_ai": run / "tables" / "tripod_ai_checklist.csv"}
    back = pd.read_csv(out["tripod_ai"], dtype=str, keep_default_na=False)
    assert back.equals(cl.reporting_checklists(RunPaths(run))["tripod_ai"])
    assert not list((run / "tables").glob("*.tmp*"))  # atomic writes leave no temporary file


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run folder not found: .*missing"):
        cl.reporting_checklists(RunPaths(tmp_path / "missing"))
    with pytest.raises(TypeError, match=r"paths must be a RunPaths \(.*\), got PosixPath"):
        cl.reporting_checklists(tmp_path)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="run.json"):
        cl.reporting_checklists(RunPaths(tmp_path))
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {}}))
    with pytest.raises(ValueError, match="synthetic_twin"):
        cl.reporting_checklists(RunPaths(tmp_path))
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {"synthetic_twin": "yes"}}))
    with pytest.raises(ValueError, match="'yes'"):
        cl.reporting_checklists(RunPaths(tmp_path))
    with pytest.raises(TypeError, match="synthetic"):
        cl.reporting_checklists(RunPaths(tmp_path), synthetic="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'file:../secret'"):
        cl.resolve_evidence("file:../secret", RunPaths(tmp_path))
    with pytest.raises(KeyError, match="nope"):
        cl.resolve_evidence("table:nope", RunPaths(tmp_path))


def test_items_the_run_reports_are_reported_with_the_runs_own_words(tmp_path: Path) -> None:
    """Sampling, reference standard, sample size and limitations are stated by a twin run, so they are "reported";
    the cut-off item names the split its thresholds were chosen on, read from operating_points.csv."""
    run = _fake_run(tmp_path / "run", synthetic=True)
    (run / "cohort" / "twin.json").write_text("{}")
    (run / "cohort" / "truth.csv").write_text("subject_id,group\n1,iGCT\n")
    (run / "tables" / f"{table_name('study_flow')}.csv").write_text("a\n1\n")
    (run / "tables" / f"{table_name('limitations')}.csv").write_text("topic,text\nData,x\n")
    (run / "tables" / f"{table_name('operating_points')}.csv").write_text("stage,chosen_on\n1,test\n2,test\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Operating points\ntext")])
    nbformat.write(nb, run / "notebooks" / "04_stage_roc.ipynb")
    stard = cl.reporting_checklists(RunPaths(run))["stard2015"].set_index("item")
    for item in ("9", "10b", "18", "26"):
        assert stard.loc[item, "status"] == "reported", (item, stard.loc[item, "reason"])
    assert stard.loc["12a", "status"] == "reported"
    assert "the internal test split" in stard.loc["12a", "reason"] and "training" not in stard.loc["12a", "reason"]
    tripod = cl.reporting_checklists(RunPaths(run))["tripod_ai"].set_index("item")
    assert tripod.loc["26", "status"] == "reported" and tripod.loc["26", "reported_in"] == "tables/limitations.csv"
    assert "the internal test split" in tripod.loc["12a", "reason"]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_heading_anchor_is_nbconverts() -> None:
    """The anchor of a heading is the id nbconvert's Markdown renderer writes (the same page element)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    for heading in ("2x2 tables at the operating points", "Fig 4C and 4D: AUC, accuracy (95% CIs)",
                    "04 · Stage-wise diagnostic accuracy: Table 2 `x`"):
        html = markdown2html_mistune(f"## {heading}")
        assert f'id="{cl.heading_anchor(heading)}"' in html, html
