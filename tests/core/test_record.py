"""The run record (``gvisage_lib.core.record``): its JSON layout, atomic writes, notebooks' records and staleness."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gvisage_lib.core.record import NotebookRecord, RunRecord, RunRecordError, RunSettings, TrainingRecord


def _record() -> RunRecord:
    return RunRecord(status="succeeded", gvisage_version="0.1.0", started_utc="2026-01-01T00:00:00+00:00",
                     run_dir="/runs/x", settings=RunSettings(profile="smoke", seed=11, manifest="/runs/x/m.csv",
                                                             synthetic_twin=True, score_fit="out_of_fold",
                                                             notebook_parameters={"crop_mode": "none"}),
                     profile={"name": "smoke", "image_size": 80, "score_fit": "out_of_fold"},
                     notebooks=[NotebookRecord("01_cohort.ipynb", "succeeded", seconds=3.25),
                                NotebookRecord("02_faces.ipynb", "succeeded", seconds=9.0,
                                               parameters={"crop_mode": "none"})],
                     total_seconds=12.5, finished_utc="2026-01-01T00:01:00+00:00")


def test_round_trip_keeps_the_layout_of_earlier_versions_and_unknown_keys(tmp_path: Path) -> None:
    rec = _record()
    rec.extra["from_the_future"] = {"a": 1}
    rec.save(tmp_path)
    raw = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    # the keys readers of earlier versions used
    assert raw["parameters"]["seed"] == 11 and raw["parameters"]["synthetic_twin"] is True
    assert raw["parameters"]["notebook_parameters"] == {"crop_mode": "none"}
    assert raw["profile"]["image_size"] == 80 and raw["status"] == "succeeded"
    assert raw["notebooks"][0] == {"notebook": "01_cohort.ipynb", "status": "succeeded", "seconds": 3.25}
    assert raw["total_seconds"] == 12.5 and raw["from_the_future"] == {"a": 1}
    assert "interruption" not in raw and "trainings" not in raw  # written only when set
    back = RunRecord.load(tmp_path)
    assert back == rec and back.to_dict() == raw


def test_settings_read_by_the_stages() -> None:
    rec = _record()
    assert rec.crop_mode == "none" and rec.cohort_name == "synthetic twin" and rec.image_size == 80
    own = RunRecord(settings=RunSettings(manifest="/data/cohort_2024.csv", synthetic_twin=False))
    assert own.cohort_name == "cohort_2024.csv" and own.crop_mode == "detect"
    with pytest.raises(RunRecordError, match="image_size"):
        _ = own.image_size


def test_bad_records_are_refused_naming_the_file_and_the_value(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="is not a run folder"):
        RunRecord.load(tmp_path)
    path = tmp_path / "run.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RunRecordError, match=r"run\.json is not a run record \(not JSON"):
        RunRecord.load(tmp_path)
    assert RunRecord.load_or_none(tmp_path) is None
    for bad, why in (({"parameters": {"seed": "11"}}, "parameters.seed must be int, got '11'"),
                     ({"parameters": {"seed": True}}, "parameters.seed must be int, got True"),
                     ({"status": "done"}, "status must be one of"),
                     ({"notebooks": [{"status": "succeeded"}]}, "must name its notebook"),
                     ({"notebooks": "01"}, "notebooks must be a list")):
        path.write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(RunRecordError, match=why):
            RunRecord.load(tmp_path)


def test_save_is_atomic_and_a_failing_update_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _record().save(tmp_path)
    before = (tmp_path / "run.json").read_bytes()
    with pytest.raises(RuntimeError), RunRecord.updating(tmp_path) as rec:
        rec.status = "failed"
        raise RuntimeError("boom")
    assert (tmp_path / "run.json").read_bytes() == before

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    rec = RunRecord.load(tmp_path)
    rec.status = "failed"
    with pytest.raises(OSError, match="disk full"):
        rec.save(tmp_path)
    assert (tmp_path / "run.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]  # no temporary file left behind


def test_a_changed_parameter_makes_the_later_notebooks_stale() -> None:
    rec = _record()
    rec.notebooks += [NotebookRecord("04_stage_roc.ipynb", "succeeded"),
                      NotebookRecord("05_clinical_hybrid.ipynb", "succeeded"),
                      NotebookRecord("06_endocrine.ipynb", "failed")]
    # the same parameters again: nothing becomes stale
    assert rec.start_notebook("04_stage_roc.ipynb", {"run_dir": "/x", "threshold_rule": "youden"}) == []
    rec.finish_notebook("04_stage_roc.ipynb", seconds=2)
    stale = rec.start_notebook("04_stage_roc.ipynb", {"run_dir": "/x", "threshold_rule": "sensitivity_at_specificity"},
                               runner="notebook", changed={"threshold_rule": ("youden", "sensitivity_at_specificity")})
    assert stale == ["05_clinical_hybrid.ipynb"]  # 06 had not succeeded: it stays failed
    four = rec.notebook("04")
    assert four is not None and four.status == "running" and four.runner == "notebook"
    assert four.parameters == {"threshold_rule": "sensitivity_at_specificity"}  # no machine path
    five = rec.notebook("05_clinical_hybrid.ipynb")
    assert five is not None and five.status == "stale"
    assert "threshold_rule = 'sensitivity_at_specificity' (was 'youden')" in five.stale_reason
    assert rec.settings.notebook_parameters["threshold_rule"] == "sensitivity_at_specificity"
    assert [n.status for n in rec.notebooks if n.number < "04"] == ["succeeded", "succeeded"]
    # the stale notebook run again is up to date
    rec.start_notebook("05_clinical_hybrid.ipynb", {})
    done = rec.finish_notebook("05_clinical_hybrid.ipynb", seconds=1.0, outputs={"tables/a.csv": "ab"})
    assert (done.status, done.stale_reason, done.outputs) == ("succeeded", "", {"tables/a.csv": "ab"})


def test_failures_interruptions_and_trainings() -> None:
    rec = _record()
    rec.start_notebook("03_train.ipynb", {})
    rec.fail_notebook("03_train.ipynb", cell=4, error="ValueError: x", seconds=1.234)
    three = rec.notebook("03")
    assert three is not None and (three.status, three.cell, three.error, three.seconds) == \
        ("failed", 4, "ValueError: x", 1.23)
    rec.start_notebook("04_stage_roc.ipynb", {})
    rec.mark_interrupted("SIGTERM after 3 s")
    assert rec.status == "interrupted" and rec.notebook("04").status == "interrupted"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="status must be 'failed' or 'interrupted'"):
        rec.fail_notebook("04_stage_roc.ipynb", cell=None, error="", status="stale")
    rec.add_training(TrainingRecord("resnet50", 1, world_size=2, outcome="trained"))
    rec.add_training(TrainingRecord("resnet50", 1, world_size=4, outcome="trained"))
    assert [t.world_size for t in rec.trainings] == [4]
    assert RunRecord.from_dict(rec.to_dict()) == rec
    rec.keep_notebooks_before("03")
    assert [n.notebook for n in rec.notebooks] == ["01_cohort.ipynb", "02_faces.ipynb"]
