"""The report of a replicate study: summary tables and figures written once, notebook 08 executed on the study and
kept out of a run, the study's index.html, and the link to it from the run of the same profile."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.record import RunRecord, RunSettings
from gvisage_lib.run import replicates as rp
from gvisage_lib.run.catalog import NOTEBOOK_DIR, STUDY_NOTEBOOKS, list_notebooks
from gvisage_lib.run.report import write_run_index
from gvisage_lib.run.study_record import study_link
from gvisage_lib.run.study_report import open_study, write_study_report

from support.replicates import write_replicate

AUCS = {11: 0.74, 12: 0.60}


def _runner(replicate: rp.Replicate, study_dir: str) -> dict:
    write_replicate(Path(study_dir) / replicate.folder, seed=replicate.master_seed, val_auc=AUCS[replicate.seed],
                    selected="resnet50" if replicate.seed == 11 else "alexnet", profile=replicate.profile)
    return {"seed": replicate.seed, "exit_code": 0, "seconds": 1.0}


def _study(folder: Path, *, report: bool) -> rp.StudyResult:
    return rp.run_study(folder, rp.StudySettings(profile="smoke", seeds=2, first_seed=11), runner=_runner,
                        report=report, log=lambda m: None)


def test_notebook_08_is_in_the_repository_but_not_in_a_run() -> None:
    assert (NOTEBOOK_DIR / "08_replicates.ipynb").is_file() and "08_replicates.ipynb" in STUDY_NOTEBOOKS
    assert "08_replicates.ipynb" not in [p.name for p in list_notebooks()]
    nb = nbformat.read(NOTEBOOK_DIR / "08_replicates.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_the_summary_and_index_come_from_the_replicates(tmp_path: Path) -> None:
    out = tmp_path / "study"
    _study(out, report=False)
    files = write_study_report(out, notebook=False, log=lambda m: None)
    assert {"replicate_auc_summary", "replicate_claims", "replicate_auc_strip", "index"} <= set(files)
    summary = pd.read_csv(out / "tables" / "replicate_auc_summary.csv").set_index("item")
    head = summary.loc["Table 2, stage 2, GVisageNet, validation"]
    assert (head["median"], head["min"], head["max"]) == pytest.approx((0.67, 0.6, 0.74))
    assert (out / "figures" / "replicate_auc_strip.png").is_file()
    assert (out / "figures" / "replicate_claims_share.pdf").is_file()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "median 0.670 (range 0.600 to 0.740) over 2 seeds" in page
    assert 'href="tables/replicate_auc_summary.csv"' in page and 'src="figures/replicate_auc_strip.png"' in page
    assert "vary both" in page and not [p for p in out.rglob(".*tmp*")]
    view = open_study(out)
    assert view.replicates()["seed"].tolist() == [11, 12]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_study_runs_notebook_08_and_links_it(tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = _study(out, report=True)
    record = json.loads((out / "study.json").read_text())
    assert record["status"] == "succeeded" and record["summary"]["index"] == "index.html"
    assert result.files["html"] == out / "html" / "08_replicates.html"
    nb = nbformat.read(out / "notebooks" / "08_replicates.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps([o.get("data", {}).get("text/markdown", "") for o in outputs])
    assert "Stage 2: AlexNet was selected in 1 of 2 seeds." in text
    assert 'href="html/08_replicates.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in result.files["html"].read_text(encoding="utf-8")  # back to the study


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_the_run_of_a_profile_links_its_study(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "smoke"
    RunRecord(status="succeeded", settings=RunSettings(profile="smoke", seed=11)).save(run)
    assert study_link(run, "smoke") == "" and "replicate study" not in write_run_index(RunPaths(run)).read_text("utf-8")
    study = tmp_path / "runs" / "replicates-smoke"
    _study(study, report=False)
    write_study_report(study, notebook=False, log=lambda m: None)
    assert study_link(run, "smoke") == "../replicates-smoke/index.html"
    assert 'href="../replicates-smoke/index.html"' in write_run_index(RunPaths(run)).read_text("utf-8")
    assert study_link(run, "quick") == ""  # the study of another profile is not this run's
