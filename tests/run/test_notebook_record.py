"""A notebook records itself in the run record (``setup_notebook(notebook=...)`` ... ``nb.finish()``), and
``gvisage report`` renders the run's pages from the record: in-process checks, and a papermill run of notebook 04 on
a copy of the smoke run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.core.io import sha256_file
from gvisage_lib.core.record import NotebookRecord, RunRecord, RunSettings
from gvisage_lib.run.cli import main
from gvisage_lib.run.notebook import setup_notebook

ROOT = Path(__file__).resolve().parents[2]
#: notebook 04's own parameters at their declared defaults
DEFAULTS_04 = {"threshold_rule": "youden", "min_sensitivity": 0.90, "min_specificity": 0.90, "level": 0.95}


def _namespace(**changes: object) -> dict[str, object]:
    return {"run_dir": "ignored", "manifest": "", "profile": "smoke", "seed": 11, "score_fit": "", **DEFAULTS_04,
            **changes, "unrelated": [1, 2]}


def _record_of_a_finished_run(run: Path) -> None:
    RunRecord(status="succeeded", settings=RunSettings(profile="smoke", seed=11, synthetic_twin=True,
                                                       score_fit="out_of_fold"),
              profile={"name": "smoke", "score_fit": "out_of_fold"},
              notebooks=[NotebookRecord(f"0{k}_{name}.ipynb", "succeeded", seconds=1.0)
                         for k, name in ((3, "train"), (4, "stage_roc"), (5, "clinical_hybrid"), (6, "endocrine"))]
              ).save(run)


def test_a_notebook_records_its_parameters_outputs_and_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _record_of_a_finished_run(tmp_path)
    nb = setup_notebook(tmp_path, profile="smoke", seed=11, notebook="04_stage_roc", parameters=_namespace())
    assert nb.profile.score_fit == "out_of_fold"  # an empty score_fit is the run's
    assert "threshold_rule 'youden'" in capsys.readouterr().out
    four = RunRecord.load(tmp_path).notebook("04")
    assert four is not None and four.status == "running" and four.runner == "notebook"
    assert four.parameters == {"manifest": "", "profile": "smoke", "seed": 11, "score_fit": "", **DEFAULTS_04}
    table = nb.save_table(pd.DataFrame({"a": [1]}), "table1")
    nb.finish()
    record = RunRecord.load(tmp_path)
    four = record.notebook("04")
    assert four is not None and four.status == "succeeded" and four.seconds is not None
    assert four.outputs == {"tables/table1.csv": sha256_file(table)}
    # the same parameters: nothing later is stale
    assert [n.status for n in record.notebooks] == ["succeeded"] * 4


def test_a_changed_parameter_marks_the_later_notebooks_stale(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _record_of_a_finished_run(tmp_path)
    setup_notebook(tmp_path, profile="smoke", seed=11, notebook="04_stage_roc",
                   parameters=_namespace(threshold_rule="sensitivity_at_specificity"))
    out = capsys.readouterr().out
    assert "marks 05_clinical_hybrid, 06_endocrine stale" in out and "--from 05" in out
    record = RunRecord.load(tmp_path)
    assert [(n.number, n.status) for n in record.notebooks] == [("03", "succeeded"), ("04", "running"),
                                                                ("05", "stale"), ("06", "stale")]
    assert record.settings.notebook_parameters == {"threshold_rule": "sensitivity_at_specificity"}


def test_other_settings_than_the_runs_are_refused(tmp_path: Path) -> None:
    _record_of_a_finished_run(tmp_path)
    before = RunRecord.path(tmp_path).read_bytes()
    with pytest.raises(ValueError, match="made with profile 'smoke', not 'quick': run the notebook with -p profile "
                                         "smoke"):
        setup_notebook(tmp_path, profile="quick", seed=11, notebook="04_stage_roc", parameters=_namespace())
    with pytest.raises(ValueError, match="made with seed 11, not 12: run the notebook with -p seed 11"):
        setup_notebook(tmp_path, profile="smoke", seed=12, notebook="04_stage_roc", parameters=_namespace())
    assert RunRecord.path(tmp_path).read_bytes() == before
    with pytest.raises(ValueError, match="numbered notebook"):
        setup_notebook(tmp_path, profile="smoke", seed=11, notebook="stage_roc", parameters=_namespace())
    nb = setup_notebook(tmp_path, profile="smoke", seed=11, quiet=True)  # no notebook: nothing recorded
    with pytest.raises(ValueError, match="without notebook="):
        nb.finish()


def test_a_folder_without_a_record_gets_a_partial_one(tmp_path: Path) -> None:
    setup_notebook(tmp_path, profile="smoke", seed=3, quiet=True, notebook="07_simulation",
                   parameters={"replicates": 5, "scheduler": "local", "workers": 1})
    record = RunRecord.load(tmp_path)
    assert record.status == "partial" and (record.settings.profile, record.settings.seed) == ("smoke", 3)
    assert record.packages["numpy"] and record.profile["name"] == "smoke"
    seven = record.notebook("07_simulation.ipynb")
    assert seven is not None and seven.parameters == {"replicates": 5, "scheduler": "local", "workers": 1}


@pytest.mark.slow
def test_papermill_run_of_notebook_04_is_recorded_and_reported(smoke_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    # the smoke run is shared: work on a copy (without kernel sockets an interrupted run may have left)
    shutil.copytree(smoke_run, run, symlinks=True, ignore=shutil.ignore_patterns("kernel-ipc-*"))
    before = RunRecord.load(run)
    assert {n.number: n.runner for n in before.notebooks} == {f"0{k}": "gvisage reproduce" for k in range(1, 8)}
    assert before.notebook("02").parameters["crop_mode"] == "detect"  # type: ignore[union-attr]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("MPLBACKEND", None)
    cmd = [sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "04_stage_roc.ipynb"),
           str(run / "notebooks" / "04_stage_roc.ipynb"), "-p", "run_dir", str(run), "-p", "profile", "smoke",
           "-p", "seed", "11", "-p", "threshold_rule", "sensitivity_at_specificity"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert main(["report", str(run)]) == 0
    record = RunRecord.load(run)
    four = record.notebook("04")
    assert four is not None and four.status == "succeeded" and four.runner == "notebook"
    assert four.parameters["threshold_rule"] == "sensitivity_at_specificity"
    assert record.settings.notebook_parameters["threshold_rule"] == "sensitivity_at_specificity"
    assert {n.number: n.status for n in record.notebooks if n.number > "04"} == {"05": "stale", "06": "stale",
                                                                                "07": "stale"}
    assert {n.number: n.status for n in record.notebooks if n.number < "04"} == {"01": "succeeded",
                                                                                "02": "succeeded",
                                                                                "03": "succeeded"}
    assert four.outputs and all(sha256_file(run / p) == h for p, h in four.outputs.items())
    index = (run / "index.html").read_text(encoding="utf-8")
    assert "threshold_rule = &#39;sensitivity_at_specificity&#39;" in index and index.count(">stale<") == 3
    page = (run / "html" / "04_stage_roc.html").read_text(encoding="utf-8")
    assert "threshold_rule 'sensitivity_at_specificity'" in page  # setup_notebook's line of parameters
    # a failing papermill run leaves the notebook failed, with its cell
    bad = [*cmd[:-1], "no_such_rule"]
    proc = subprocess.run(bad, capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path, check=False)
    assert proc.returncode != 0
    four = RunRecord.load(run).notebook("04")
    assert four is not None and four.status == "failed" and four.cell is not None and "no_such_rule" in four.error
    raw = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert raw["notebooks"][3]["status"] == "failed"
