"""The synthetic twin's own seed (``reproduce(twin_seed=...)``, ``gvisage reproduce --twin-seed``): recorded in the
run record, used for the twin, shown on the index page, kept by a ``--from`` rerun, refused where it cannot apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from gvisage_lib.cohort.manifest import manifest_hashes
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.record import RunRecord, RunRecordError, RunSettings
from gvisage_lib.run import pipeline
from gvisage_lib.run.cli import main
from gvisage_lib.run.report import write_run_index


def test_settings_record_the_twin_seed_only_when_set() -> None:
    assert "twin_seed" not in RunSettings(seed=3).to_dict()  # the layout of earlier records when not given
    back = RunSettings.from_dict(RunSettings(seed=3, twin_seed=8).to_dict())
    assert (back.twin_seed, back.cohort_seed, RunSettings.from_dict({"seed": 3}).cohort_seed) == (8, 8, 3)
    with pytest.raises(RunRecordError, match="parameters.twin_seed must be int or null, got 'x'"):
        RunSettings.from_dict({"twin_seed": "x"})


class _Stop(RuntimeError):
    pass


def test_the_twin_is_generated_from_the_twin_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, int] = {}

    def fake_cohort(paths: object, *, seed: int, profile: str, log: object) -> Path:
        seen["seed"] = seed
        raise _Stop("stop before any notebook")

    monkeypatch.setattr(pipeline, "prepare_cohort", fake_cohort)
    with pytest.raises(pipeline.RunStepFailed, match="stop before any notebook"):
        pipeline.reproduce(tmp_path / "run", profile="smoke", seed=11, twin_seed=5, log=lambda m: None)
    assert seen == {"seed": 5}
    settings = RunRecord.load(tmp_path / "run").settings
    assert (settings.seed, settings.twin_seed) == (11, 5)
    with pytest.raises(pipeline.RunStepFailed):  # without it the twin's seed is the master seed, as before
        pipeline.reproduce(tmp_path / "run2", profile="smoke", seed=11, log=lambda m: None)
    assert seen == {"seed": 11} and RunRecord.load(tmp_path / "run2").settings.twin_seed is None


def test_bad_twin_seeds_are_refused_before_anything_is_written(tmp_path: Path, tiny_cohort: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="twin_seed must be"):
        pipeline.reproduce(tmp_path / "a", twin_seed=-1)
    with pytest.raises(ValueError, match="--twin-seed must be an integer from 0 to 4294967295, got 4294967296"):
        pipeline.reproduce(tmp_path / "a", twin_seed=2**32)
    with pytest.raises(ValueError, match="has no twin"):
        pipeline.reproduce(tmp_path / "a", twin_seed=3, manifest=tiny_cohort)
    assert main(["reproduce", "--out", str(tmp_path / "a"), "--twin-seed", "-4"]) == 2
    assert "twin_seed must be" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def _prior_run(folder: Path, manifest: Path, twin_seed: int | None) -> None:
    folder.mkdir()
    record = RunRecord(status="succeeded", settings=RunSettings(profile="smoke", seed=11, manifest=str(manifest),
                                                                twin_seed=twin_seed, score_fit="test"),
                       profile={"score_fit": "test"}, data=manifest_hashes(manifest))
    record.save(folder)


def test_a_partial_rerun_keeps_the_twin_seed_and_refuses_another(tmp_path: Path, tiny_cohort: Path) -> None:
    run = tmp_path / "run"
    _prior_run(run, tiny_cohort, twin_seed=5)
    kw = {"profile": None, "seed": None, "score_fit": None, "manifest": None}
    assert pipeline._continued_record(run, "04", **kw).settings.twin_seed == 5
    assert pipeline._continued_record(run, "04", twin_seed=5, **kw).settings.twin_seed == 5
    with pytest.raises(ValueError, match="was made with twin_seed 5, not 6"):
        pipeline._continued_record(run, "04", twin_seed=6, **kw)
    prior = pipeline._continued_record(run, "04", **kw)
    from gvisage_lib.core.profiles import get_profile

    kept = pipeline._new_record(run, get_profile("smoke"), seed=11, start_at="04", user_manifest=None, overrides={},
                                prior=prior, twin_seed=prior.settings.twin_seed)
    assert kept.settings.twin_seed == 5 and kept.settings.cohort_seed == 5


def test_the_index_page_shows_the_twin_seed(tmp_path: Path) -> None:
    RunRecord(settings=RunSettings(profile="smoke", seed=11, twin_seed=5)).save(tmp_path)
    assert "(the synthetic twin: seed 5)" in write_run_index(RunPaths(tmp_path)).read_text(encoding="utf-8")
    RunRecord(settings=RunSettings(profile="smoke", seed=11)).save(tmp_path)
    assert "the synthetic twin: seed" not in write_run_index(RunPaths(tmp_path)).read_text(encoding="utf-8")
