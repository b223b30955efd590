"""The overview page reads the tables of a run in their skipped form (``skipped``, ``reason``: the analysis did not
run, e.g. a cohort too small for the clinical models) without failing."""

from __future__ import annotations

from pathlib import Path

from gvisage_lib.clinical.hybrid import skipped_table, stage2_model_tables
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.record import RunRecord, RunSettings
from gvisage_lib.paper.index import OUTPUTS
from gvisage_lib.run.report import headline_table2, write_run_index


def _run(root: Path, keys: list[str]) -> RunPaths:
    paths = RunPaths(root).ensure()
    RunRecord(status="succeeded", settings=RunSettings(profile="smoke", seed=1, synthetic_twin=False)).save(paths)
    for key in keys:
        skipped_table("too few subjects for the clinical models").to_csv(paths.tables / f"{key}.csv", index=False)
    return paths


def test_the_stage2_tables_in_their_skipped_form_leave_the_headline_blank(tmp_path: Path) -> None:
    paths = _run(tmp_path / "run", stage2_model_tables())
    head = headline_table2(paths.tables)
    stage2 = head[head["Stage"] == 2]
    assert len(stage2) and (stage2.iloc[:, -1] == "").all()


def test_the_overview_page_is_written_with_the_stage2_tables_skipped(tmp_path: Path) -> None:
    # the tables that have a skipped form: notebook 05's, for a cohort too small for the clinical models
    assert set(stage2_model_tables()) <= {o.name for o in OUTPUTS if o.kind == "table"}
    paths = _run(tmp_path / "run", stage2_model_tables())
    page = write_run_index(paths)
    assert page.is_file() and "</html>" in page.read_text(encoding="utf-8")
