"""A replicate study gives the same summary whichever scheduler ran it: a 2-seed smoke study (twins 11 and 12, the
training seed fixed at 11) made locally and on a Dask ``LocalCluster`` (``dask-local``) has identical summary tables.

Costly: both studies reuse the session's smoke run (``smoke_run``: seed 11, the same twin) as their first replicate;
seed 12 is run by each, in this process and on the cluster, and those two runs must agree to the last byte of every
table: two smoke runs of the whole pipeline, on a 2-core machine about 6 minutes. Marked ``slow``.
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
    # vary cohort: two twins, so the study's spread is more than one twin's training noise
    settings = StudySettings(profile="smoke", seeds=2, first_seed=11, vary="cohort")
    for where in ("local", "dask"):
        (tmp_path / where).mkdir()
        (tmp_path / where / "seed-11").symlink_to(smoke_run)  # seed 11 on twin 11: the session's smoke run
    local = run_study(tmp_path / "local", settings, scheduler="local", log=print)
    assert (local.reused, local.ran) == ([11], [12])
    dask = run_study(tmp_path / "dask", settings, scheduler="dask-local", workers=1, log=print)
    assert (dask.reused, dask.ran) == ([11], [12])
    for study in (local, dask):
        record = json.loads((study.study_dir / "study.json").read_text())
        assert record["status"] == "succeeded"
        assert (study.study_dir / "index.html").is_file() and (study.study_dir / "html" / "08_replicates.html").is_file()
    assert json.loads((dask.study_dir / "study.json").read_text())["scheduler"] == "dask-local"
    # the runs themselves wrote the same tables and predictions (their wall times aside)
    assert [e["run_hash"] for e in local.record["replicates"]] == [e["run_hash"] for e in dask.record["replicates"]]
    for name in SUMMARY_TABLES:
        a = pd.read_csv(local.study_dir / "tables" / f"{name}.csv")
        b = pd.read_csv(dask.study_dir / "tables" / f"{name}.csv")
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
    # vary cohort: two twins, one training seed
    twins = [(dask.study_dir / f"seed-{s}" / "cohort" / "manifest.csv").read_bytes() for s in (11, 12)]
    assert twins[0] != twins[1]
    assert [e["master_seed"] for e in dask.record["replicates"]] == [11, 11]
