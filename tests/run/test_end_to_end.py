"""The whole pipeline on the smoke profile, as a user runs it: ``gvisage reproduce --profile smoke``.

One run (the session fixture ``smoke_run`` of tests/conftest.py, shared with tests/run/test_browser.py) is checked by
the assertions below. A second, partial run
(``--from 04``) checks that the statistics notebooks give byte-identical tables from the same predictions.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.run.pipeline import list_notebooks

pytestmark = pytest.mark.slow


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
    assert list(audit.columns) == ["item", "check", "location", "wording", "paper_values", "consistent", "note"]
    assert (~audit["consistent"]).any()
    figures = list((smoke_run / "figures").glob("*.png"))
    assert len(figures) >= 6
    for png in figures:
        assert png.with_suffix(".pdf").is_file()


def test_reporting_outputs_agree(smoke_run: Path) -> None:
    """Table 1's paper layout, the 2x2 tables, the STARD flow and the checklists of the smoke run."""
    from gvisage_lib.paper.checklists import reporting_checklists

    tables = smoke_run / "tables"
    layout = pd.read_csv(tables / "table1_paper_layout.csv", dtype=str, keep_default_na=False)
    assert layout.columns[0] == "Variable" and layout.columns[-1] == "Independent validation: P"
    # 2x2 counts give Table 2's sensitivity and specificity (Youden rows)
    tbt = pd.read_csv(tables / "two_by_two.csv")
    t2 = pd.read_csv(tables / "table2_gvisagenet.csv").set_index(["stage", "split"])
    youden = tbt[tbt["rule"] == "youden"]
    assert len(youden) == 4
    for r in youden.itertuples(index=False):
        assert t2.loc[(r.stage, r.split), "Sensitivity (95% CI)"].startswith(f"{100 * r.tp / (r.tp + r.fn):.2f}%")
        assert t2.loc[(r.stage, r.split), "Specificity (95% CI)"].startswith(f"{100 * r.tn / (r.tn + r.fp):.2f}%")
    # the STARD flow: eligible = excluded + not scored + index test, outcomes = the 2x2
    flow = pd.read_csv(tables / "stard_flow.csv")
    assert ((flow.eligible == flow.excluded_qc + flow.not_scored + flow.index_test) & (flow.not_scored == 0)).all()
    merged = flow.merge(youden, on=["stage", "split"], suffixes=("", "_2x2"))
    assert len(merged) == 4 and (merged.tp == merged.tp_2x2).all() and (merged.tn == merged.tn_2x2).all()
    assert (smoke_run / "figures" / "figS5_stard_flow.png").is_file()
    # the checklists: every output they point at is found (judged without writing, so that the run's record of its
    # outputs stays as the pipeline left it)
    for name, c in reporting_checklists(RunPaths(smoke_run)).items():
        missing = c[c["reason"].str.startswith("this run did not write")]
        assert missing.empty, (name, missing[["item", "reason"]].to_dict("records"))
        assert (c["status"] == "reported").sum() >= 15


def test_statistics_rerun_from_predictions_is_identical(smoke_run: Path) -> None:
    before = json.loads((smoke_run / "run.json").read_text())["outputs"]
    proc = subprocess.run([sys.executable, "-m", "gvisage_lib", "reproduce", "--profile", "smoke", "--out",
                           str(smoke_run), "--seed", "11", "--from", "04"], capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "continuing the run" in proc.stderr and "generating" not in proc.stderr  # the twin was not regenerated
    assert_quiet_terminal(proc.stderr)
    record = json.loads((smoke_run / "run.json").read_text())
    assert [n["notebook"][:2] for n in record["notebooks"]] == ["01", "02", "03", "04", "05", "06", "07"]
    after = json.loads((smoke_run / "run.json").read_text())["outputs"]
    assert after == before


def test_predict_reproduces_the_runs_scores(smoke_run: Path) -> None:
    """``gvisage predict`` on a subject's own photos gives the scores the pipeline recorded for that subject."""
    preds = pd.read_parquet(smoke_run / "predictions.parquet")
    selected = json.loads((smoke_run / "selected_model.json").read_text())
    faces = pd.read_parquet(smoke_run / "faces.parquet")
    manifest = pd.read_csv(smoke_run / "cohort" / "manifest.csv", dtype=str, keep_default_na=False)
    full = faces[faces.included & (faces.n_photos == faces.n_available)].subject_id
    row = manifest[manifest.subject_id.isin(full) & (manifest.group != "NC")].iloc[0]
    photos = [str(smoke_run / "cohort" / row[c]) for c in schema.PHOTO_COLUMNS if row[c]]
    proc = subprocess.run([sys.executable, "-m", "gvisage_lib", "predict", "--run", str(smoke_run), *photos],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    for stage in (1, 2):
        want = preds[(preds.subject_id == row.subject_id) & (preds.stage == stage)
                     & (preds.model == selected[f"stage{stage}"])].score.iloc[0]
        assert out[f"stage{stage}"]["probability"] == pytest.approx(float(want), abs=1e-5)


def test_rendered_notebooks_are_clean(smoke_run: Path) -> None:
    """What a reviewer reads: no progress bars or warnings, no path echoes, no machine paths, titled pages."""
    import nbformat

    from gvisage_lib.run.pipeline import notebook_title

    for book in list_notebooks():
        executed = nbformat.read(smoke_run / "notebooks" / book.name, as_version=4)
        stderr = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        assert not stderr, f"{book.name}: stderr in the notebook: {stderr[0].get('text', '')[:300]!r}"
        html = (smoke_run / "html" / f"{book.stem}.html").read_text(encoding="utf-8")
        assert "PosixPath(" not in html, book.name
        assert str(smoke_run) not in html, f"{book.name} shows the run folder's path"
        assert "injected-parameters" not in html and "run_dir: str =" not in html, book.name
        title = notebook_title(executed)
        assert title.startswith(book.name[:2]) and "<title>Notebook</title>" not in html, book.name
        assert "cdnjs.cloudflare.com" not in html and "<script src=" not in html, book.name
    # 03 shows its learning curves (Figure S4, figS4_...), with the caption the index uses; code folded
    html03 = (smoke_run / "html" / "03_train.html").read_text(encoding="utf-8")
    assert html03.count("data:image/png") >= 1 and "Figure S4." in html03
    assert html03.count('<details class="gv-code">') == html03.count('<div class="jp-Cell jp-CodeCell')


def test_terminal_progress_and_no_transport_warning(smoke_run: Path) -> None:
    stderr = (smoke_run.parent / "reproduce.stderr").read_text(encoding="utf-8")
    assert "without encryption" not in stderr
    assert "\r" not in stderr  # lines, not redrawn bars
    lines = stderr.splitlines()
    # one line per epoch (with an estimate of the time left before the last epoch) and one per model
    epoch_lines = [ln for ln in lines if re.match(r"03 train: \w+ stage \d( fold \d+/\d+)?: epoch \d+/\d+, ", ln)]
    assert epoch_lines, stderr[-2000:]
    assert all(" left (" in ln for ln in epoch_lines if not re.search(r"epoch (\d+)/\1,", ln))
    assert any(re.match(r"03 train: \w+ stage 2: trained and predicted in ", ln) for ln in lines)
    assert any(ln.startswith("02 faces: preprocessing faces: done in") for ln in lines)
    assert_quiet_terminal(stderr)


#: What a run may print on its terminal: the pipeline's own lines ("synthetic twin: ...", "[3/7] 03_train: ...",
#: "continuing the run ...", "run finished in ...") and the progress lines each notebook writes under its prefix
#: ("03 train: ...").
PROGRESS_LINE = re.compile(r"(\[\d+/\d+\] \d\d_\w+: |\d\d [a-z]+|[a-z][a-z ]*: |continuing the run |run finished in )")


def assert_quiet_terminal(stderr: str) -> None:
    """Every line is a progress line: nothing printed by the kernels' start or shutdown, by worker pools or their
    resource tracker (a Python warning of a notebook arrives as a progress line, ``NN name: warning: ...``)."""
    noise = [ln for ln in stderr.splitlines() if not PROGRESS_LINE.match(ln)]
    assert not noise, "\n".join(noise[:20])


def test_figures_print_quality(smoke_run: Path) -> None:
    from PIL import Image

    pngs = sorted((smoke_run / "figures").glob("*.png"))
    assert pngs
    for png in pngs:
        with Image.open(png) as im:
            assert round(im.info["dpi"][0]) == 300, png.name
        pdf = png.with_suffix(".pdf").read_bytes()
        assert b"/Type3" not in pdf and b"/FontFile2" in pdf, f"{png.name}: PDF fonts are not embedded TrueType"


def test_index_page(smoke_run: Path) -> None:
    page = (smoke_run / "index.html").read_text(encoding="utf-8")
    record = json.loads((smoke_run / "run.json").read_text())
    assert "succeeded" in page and record["parameters"]["profile"] in page
    for book in list_notebooks():
        assert f'href="html/{book.stem}.html"' in page
    for csv in (smoke_run / "tables").glob("*.csv"):
        assert f'href="tables/{csv.name}"' in page
    for png in (smoke_run / "figures").glob("*.png"):
        assert f'src="figures/{png.name}"' in page
    assert "0.739 (0.728–0.773)" in page  # the paper's stage-2 validation AUC beside this run's
