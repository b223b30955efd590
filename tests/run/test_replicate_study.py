"""``gvisage replicate`` without real runs: the seeds each replicate gets, resuming (a finished replicate is reused,
a failed one run again), the refusal of other settings, study.json, and the command line's argument errors."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from gvisage_lib.core.record import RunRecord, RunSettings
from gvisage_lib.run import replicates as rp
from gvisage_lib.run.cli import main


class FakeRunner:
    """Writes the run record ``reproduce`` would leave; ``fail`` seeds end ``failed``. Remembers what it ran."""

    def __init__(self, fail: tuple[int, ...] = ()) -> None:
        self.fail, self.calls = fail, []

    def __call__(self, replicate: rp.Replicate, study_dir: str) -> dict:
        self.calls.append(replicate.seed)
        status = "failed" if replicate.seed in self.fail else "succeeded"
        settings = RunSettings(profile=replicate.profile, seed=replicate.master_seed, twin_seed=replicate.twin_seed)
        RunRecord(status=status, settings=settings, total_seconds=1.0,
                  outputs={"tables/x.csv": f"{replicate.master_seed}-{replicate.cohort_seed}"}
                  ).save(Path(study_dir) / replicate.folder)
        return {"seed": replicate.seed, "exit_code": 1 if status == "failed" else 0, "seconds": 0.5}


SETTINGS = rp.StudySettings(profile="smoke", seeds=3, first_seed=11, vary="both")


def _study(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "study" / "study.json").read_text())


def test_the_seeds_of_each_replicate_follow_vary() -> None:
    def seeds(vary: str) -> list[tuple[int, int, int]]:
        st = rp.StudySettings(profile="smoke", seeds=2, first_seed=7, vary=vary)
        return [(r.seed, r.master_seed, r.cohort_seed) for r in st.replicates()]

    assert seeds("both") == [(7, 7, 7), (8, 8, 8)]
    assert seeds("training") == [(7, 7, 7), (8, 8, 7)]  # the twin stays the first seed's
    assert seeds("cohort") == [(7, 7, 7), (8, 7, 8)]  # the training seed stays the first seed
    with pytest.raises(ValueError, match=r"vary must be one of \['both', 'training', 'cohort'\], got 'all'"):
        rp.StudySettings(profile="smoke", vary="all")


def test_a_failed_replicate_is_run_again_and_a_finished_one_reused(tmp_path: Path) -> None:
    out = tmp_path / "study"
    first = FakeRunner(fail=(12,))
    with pytest.raises(rp.StudyFailed, match=r"seed 12 failed \(log logs/seed-12.log\).*rerun the same command"):
        rp.run_study(out, SETTINGS, runner=first, report=False, log=lambda m: None)
    assert first.calls == [11, 12, 13]
    rec = _study(tmp_path)
    assert rec["status"] == "failed" and [e["status"] for e in rec["replicates"]] == ["succeeded", "failed",
                                                                                      "succeeded"]
    second = FakeRunner()
    result = rp.run_study(out, SETTINGS, runner=second, report=False, log=lambda m: None)
    assert second.calls == [12] and result.ran == [12] and result.reused == [11, 13]
    rec = _study(tmp_path)
    assert rec["status"] == "succeeded" and rec["calls"] == 2
    assert rec["settings"] == {"profile": "smoke", "seeds": 3, "first_seed": 11, "vary": "both",
                               "seed_list": [11, 12, 13]}
    assert {"numpy", "pandas", "dask"} <= set(rec["packages"]) and rec["scheduler"] == "local"
    e11 = rec["replicates"][0]
    assert e11["run_json"] == "seed-11/run.json" and e11["outcome"] == "reused"
    assert e11["run_hash"] == rp.run_hash(RunRecord.load(out / "seed-11")) and len(e11["run_hash"]) == 64
    third = FakeRunner()
    assert rp.run_study(out, SETTINGS, runner=third, report=False, log=lambda m: None).ran == []
    assert third.calls == []


def test_a_run_folder_with_other_seeds_is_not_reused(tmp_path: Path) -> None:
    out = tmp_path / "study"
    # seed-12 holds a succeeded run whose twin came from another seed: not this study's replicate
    RunRecord(status="succeeded", settings=RunSettings(profile="smoke", seed=12, twin_seed=99)).save(out / "seed-12")
    RunRecord(status="succeeded", settings=RunSettings(profile="quick", seed=13)).save(out / "seed-13")
    RunRecord(status="interrupted", settings=RunSettings(profile="smoke", seed=11)).save(out / "seed-11")
    runner = FakeRunner()
    rp.run_study(out, SETTINGS, runner=runner, report=False, log=lambda m: None)
    assert runner.calls == [11, 12, 13]


def test_other_settings_into_the_same_folder_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "study"
    rp.run_study(out, SETTINGS, runner=FakeRunner(), report=False, log=lambda m: None)
    before = (out / "study.json").read_bytes()
    runner = FakeRunner()
    changes = {"vary": ("training", "vary 'both', not 'training'"), "seeds": (4, "seeds 3, not 4"),
               "first_seed": (12, "first_seed 11, not 12"), "profile": ("quick", "profile 'smoke', not 'quick'")}
    for name, (value, message) in changes.items():
        other = rp.StudySettings(**{**{k: getattr(SETTINGS, k) for k in rp.SETTING_NAMES}, name: value})
        with pytest.raises(rp.StudySettingsMismatch, match=f"study.json was made with {message}"):
            rp.run_study(out, other, runner=runner, report=False, log=lambda m: None)
    assert runner.calls == [] and (out / "study.json").read_bytes() == before


def test_a_replicate_runs_gvisage_reproduce_with_its_seeds(tmp_path: Path) -> None:
    fake = tmp_path / "python"  # stands in for the interpreter: prints the arguments it was given
    fake.write_text("#!/bin/sh\necho \"$@\"\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    rep = rp.StudySettings(profile="smoke", seeds=2, first_seed=7, vary="training").replicates()[1]
    outcome = rp.run_replicate(rep, str(tmp_path), python=str(fake))
    assert outcome["seed"] == 8 and outcome["exit_code"] == 3
    log = (tmp_path / "logs" / "seed-8.log").read_text()
    assert f"reproduce --profile smoke --seed 8 --out {tmp_path / 'seed-8'} --twin-seed 7" in log
    assert not (tmp_path / "seed-8").exists()  # the fake wrote no run: the study would call it "not run"
    assert rp._entry(rep, tmp_path, outcome)["status"] == "not run"


@pytest.mark.parametrize(("args", "message"), [
    (["--seeds", "0"], "--seeds must be >= 1, got 0"),
    (["--seeds", "2", "--vary", "everything"], "--vary must be one of both, training, cohort, got 'everything'"),
    (["--seeds", "2", "--first-seed", "-1"], "--first-seed must be an integer from 0 to 4294967295, got -1"),
    (["--seeds", "2", "--first-seed", "4294967295"], "goes past the largest seed 4294967295"),
    (["--seeds", "2", "--workers", "0"], "--workers must be >= 1, got 0"),
    (["--seeds", "2", "--scheduler", "dask"], "--scheduler: scheduler must be 'local', 'dask-local' or a Dask"),
])
def test_the_command_refuses_bad_arguments(args: list[str], message: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replicate", "--out", str(tmp_path / "s"), "--profile", "smoke", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gvisage: error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "s").exists()


def test_the_command_refuses_other_settings_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s"
    rp.run_study(out, rp.StudySettings(profile="smoke", seeds=2, first_seed=3), runner=FakeRunner(), report=False,
                 log=lambda m: None)
    assert main(["replicate", "--out", str(out), "--profile", "smoke", "--seeds", "2", "--first-seed", "3",
                 "--vary", "cohort"]) == 2
    assert "was made with vary 'both', not 'cohort'" in capsys.readouterr().err
    assert os.path.isfile(out / "study.json")


def test_a_replicate_gets_the_studys_thread_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a Dask worker sets OMP_NUM_THREADS=1 for itself; the replicate's run takes the study's setting instead
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho \"threads=${OMP_NUM_THREADS:-unset} mkl=${MKL_NUM_THREADS:-unset}\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("MKL_NUM_THREADS", "1")
    rep = rp.Replicate(5, 5, None, "smoke", environment=(("OMP_NUM_THREADS", "3"), ("MKL_NUM_THREADS", None)))
    rp.run_replicate(rep, str(tmp_path), python=str(fake))
    assert "threads=3 mkl=unset" in (tmp_path / "logs" / "seed-5.log").read_text()
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.delenv("MKL_NUM_THREADS")
    assert dict(rp.thread_environment())["OMP_NUM_THREADS"] == "2"
    assert dict(rp.thread_environment())["MKL_NUM_THREADS"] is None


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_an_interrupted_study_stops_its_replicates_and_records_it(tmp_path: Path) -> None:
    import functools
    import signal
    import threading
    import time

    from gvisage_lib.run.interrupt import RunInterrupted, signals_interrupt

    fake = tmp_path / "python"  # a replicate that runs until it is stopped, and says how it ended
    fake.write_text("#!/bin/sh\ntrap 'echo stopped by TERM; exit 143' TERM\nsleep 60 &\nwait\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    runner = functools.partial(rp.run_replicate, python=str(fake))
    threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    t0 = time.monotonic()
    with pytest.raises(RunInterrupted), signals_interrupt():
        rp.run_study(tmp_path / "s", SETTINGS, runner=runner, workers=2, report=False, log=lambda m: None)
    assert time.monotonic() - t0 < 30
    rec = json.loads((tmp_path / "s" / "study.json").read_text())
    assert rec["status"] == "interrupted" and "RunInterrupted" in rec["failure"]
    assert [e["outcome"] for e in rec["replicates"]] == ["ran", "ran", "ran"]  # none was reused
    logs = sorted((tmp_path / "s" / "logs").glob("*.log"))
    assert [p.name for p in logs] == ["seed-11.log", "seed-12.log"]  # two at a time; seed 13 never started
    assert all("stopped by TERM" in p.read_text() for p in logs)
