"""A replicate study gives the same summary whichever scheduler ran it: the smoke study of seed 11 made locally
and on a Dask ``LocalCluster`` (``dask-local``) has the same replicate, to the last byte of every table, and identical
summary tables.

The local study reuses the session's smoke run (``smoke_run``: ``gvisage reproduce --profile smoke --seed 11``, run in
a subprocess of its own) as its replicate; the Dask study runs seed 11 again on the cluster. So one whole-pipeline
smoke run (about 3 minutes on a 2-core machine) compares the scheduler with a plain run, and the two studies' notebook
08 and summaries with each other. Marked ``slow``. That the replicates of ``vary="cohort"`` get twins of their own is
the docstring example of ``StudySettings.replicates``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.paper.replicates import SUMMARY_TABLES
from gvisage_lib.run.replicates import StudySettings, run_study


@pytest.mark.slow
def test_the_same_seeds_give_the_same_summary_locally_and_on_dask(smoke_run: Path, tmp_path: Path) -> None:
    settings = StudySettings(profile="smoke", seeds=1, first_seed=11, vary="cohort")
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "seed-11").symlink_to(smoke_run)  # seed 11 on twin 11: the session's smoke run
    local = run_study(tmp_path / "local", settings, scheduler="local", log=print)
    assert (local.reused, local.ran) == ([11], [])
    dask = run_study(tmp_path / "dask", settings, scheduler="dask-local", workers=1, log=print)
    assert (dask.reused, dask.ran) == ([], [11])
    for study in (local, dask):
        record = json.loads((study.study_dir / "study.json").read_text())
        assert record["status"] == "succeeded"
        assert (study.study_dir / "index.html").is_file() and (study.study_dir / "html" / "08_replicates.html").is_file()
    assert json.loads((dask.study_dir / "study.json").read_text())["scheduler"] == "dask-local"
    # the run on the cluster wrote the same tables and predictions as the plain run (their wall times aside)
    assert [e["run_hash"] for e in local.record["replicates"]] == [e["run_hash"] for e in dask.record["replicates"]]
    for name in SUMMARY_TABLES:
        a = pd.read_csv(local.study_dir / "tables" / f"{name}.csv")
        b = pd.read_csv(dask.study_dir / "tables" / f"{name}.csv")
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
    assert [e["master_seed"] for e in dask.record["replicates"]] == [11]
