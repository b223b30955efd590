"""The whole pipeline on the smoke profile, as a user runs it: ``gvisage reproduce --profile smoke``.

One run is shared by the assertions below (it takes about a minute or two on 2 CPU cores). A second, partial run
(``--from 04``) checks that the statistics notebooks give byte-identical tables from the same predictions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.core import schema
from gvisage_lib.run.pipeline import list_notebooks

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("smoke") / "run"
    proc = subprocess.run([sys.executable, "-m", "gvisage_lib", "reproduce", "--profile", "smoke", "--out", str(out),
                           "--seed", "11"], capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        pytest.fail(f"gvisage reproduce --profile smoke exited {proc.returncode}\n{proc.stderr[-4000:]}")
    # progress lines name each notebook
    for book in list_notebooks():
        assert book.stem in proc.stderr
    return out


def test_every_notebook_executed_and_rendered(smoke_run: Path) -> None:
    record = json.loads((smoke_run / "run.json").read_text())
    assert record["status"] == "succeeded"
    names = [b.name for b in list_notebooks()]
    assert [n["notebook"] for n in record["notebooks"]] == names
    for name in names:
        assert (smoke_run / "notebooks" / name).is_file()
        html = (smoke_run / "html" / name.replace(".ipynb", ".html")).read_text()
        assert "Traceback (most recent call last)" not in html
        # every notebook shows figures in the rendering reviewers read (not only in figures/)
        assert html.count("data:image/png") >= 1, name
    assert record["parameters"]["seed"] == 11 and record["profile"]["name"] == "smoke"
    assert record["data"]["manifest_sha256"] and record["data"]["n_photos"] > 0
    assert record["packages"]["torch"] and record["git"] is not None


def test_outputs_follow_their_schemas(smoke_run: Path) -> None:
    preds = pd.read_parquet(smoke_run / "predictions.parquet")
    assert list(preds.columns) == list(schema.PREDICTION_COLUMNS)
    assert set(preds["stage"]) == {1, 2} and set(preds["model"]) == set(schema.CANDIDATE_MODELS)
    assert preds["score"].between(0, 1).all()
    manifest = pd.read_csv(smoke_run / "cohort" / "manifest.csv")
    stage2 = preds[preds["stage"] == 2].merge(manifest[["subject_id", "group"]], on="subject_id")
    assert set(stage2["group"]) == {"iGCT", "other"}
    assert (smoke_run / "tables").glob("*.csv")
    # nothing downstream is fitted on in-sample CNN scores: the smoke profile fits on out-of-fold training scores
    record = json.loads((smoke_run / "run.json").read_text())
    assert record["profile"]["score_fit"] == "out_of_fold" == record["parameters"]["score_fit"]
    oof = pd.read_parquet(smoke_run / "predictions_oof.parquet")
    assert set(oof["split"]) == {"train"} and oof["model"].nunique() == 1
    ops = pd.read_csv(smoke_run / "tables" / "operating_points.csv")
    assert set(ops["chosen_on"]) == {"train"}
    t2 = pd.read_csv(smoke_run / "tables" / "table2_stage2_models.csv")
    assert list(t2.columns) == list(schema.TABLE2_COLUMNS) and not t2["in_sample"].any()
    lrt = pd.read_csv(smoke_run / "tables" / "stage2_model_comparisons.csv")
    assert set(lrt.loc[lrt["method"] == "likelihood-ratio test", "split"]) == {"train"}
    opt = pd.read_csv(smoke_run / "tables" / "stage2_optimism.csv")
    assert {"Logistic regression", "Hybrid model"} <= set(opt["model"]) and opt["corrected"].notna().all()
    audit = pd.read_csv(smoke_run / "tables" / "paper_consistency.csv")
    assert list(audit.columns) == ["item", "check", "paper_values", "consistent", "note"] and (~audit["consistent"]).any()
    figures = list((smoke_run / "figures").glob("*.png"))
    assert len(figures) >= 6
    for png in figures:
        assert png.with_suffix(".pdf").is_file()


def test_statistics_rerun_from_predictions_is_identical(smoke_run: Path) -> None:
    before = json.loads((smoke_run / "run.json").read_text())["outputs"]
    proc = subprocess.run([sys.executable, "-m", "gvisage_lib", "reproduce", "--profile", "smoke", "--out",
                           str(smoke_run), "--seed", "11", "--from", "04"], capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "continuing the run" in proc.stderr and "generating" not in proc.stderr  # the twin was not regenerated
    record = json.loads((smoke_run / "run.json").read_text())
    assert [n["notebook"][:2] for n in record["notebooks"]] == ["01", "02", "03", "04", "05", "06", "07"]
    after = json.loads((smoke_run / "run.json").read_text())["outputs"]
    assert after == before
