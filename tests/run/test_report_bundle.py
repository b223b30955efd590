"""``gvisage report RUN --zip``: the report re-rendered from a run folder and packed, without models or caches."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.run.bundle import BUNDLE_NAME, bundle_files, write_bundle
from gvisage_lib.run.cli import main


def _run_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "run.json").write_text(json.dumps({"status": "succeeded",
                                               "parameters": {"profile": "smoke", "seed": 1, "synthetic_twin": True},
                                               "notebooks": [{"notebook": "04_stage_roc.ipynb", "seconds": 1.0,
                                                              "status": "succeeded"}]}))
    for folder in ("tables", "figures", "notebooks", "models/resnet50", "cache", "cohort/photos"):
        (root / folder).mkdir(parents=True)
    (root / "tables" / "operating_points.csv").write_text("stage,chosen_on\n1,test\n2,test\n")
    (root / "figures" / "fig4a_roc.png").write_bytes(b"\x89PNG fake")
    (root / "models" / "resnet50" / "model.pt").write_bytes(b"weights" * 100)
    (root / "cache" / "faces.npz").write_bytes(b"cache")
    (root / "cohort" / "photos" / "s1.png").write_bytes(b"photo")
    (root / "predictions.parquet").write_bytes(b"scores")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 04 · Stage-wise\n\n## Operating points")])
    nbformat.write(nb, root / "notebooks" / "04_stage_roc.ipynb")
    return root


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_report_zip_holds_the_report_and_nothing_else(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = _run_folder(tmp_path / "run")
    assert main(["report", str(run), "--zip"]) == 0
    names = set(zipfile.ZipFile(run / BUNDLE_NAME).namelist())
    assert {"index.html", "run.json", "html/04_stage_roc.html", "notebooks/04_stage_roc.ipynb",
            "figures/fig4a_roc.png", "tables/operating_points.csv", "tables/paper_claims.csv",
            "tables/limitations.csv", "tables/stard2015_checklist.csv"} <= names
    assert not [n for n in names if n.startswith(("models/", "cache/", "cohort/")) or n.endswith(".parquet")]
    # the index of the run folder links the zip; the one inside it does not (it would link nothing)
    assert 'href="report.zip"' in (run / "index.html").read_text(encoding="utf-8")
    inner = zipfile.ZipFile(run / BUNDLE_NAME).read("index.html").decode("utf-8")
    assert "report.zip" not in inner and "data-notice" in inner
    # every page carries the data notice
    assert 'id="data-notice"' in (run / "html" / "04_stage_roc.html").read_text(encoding="utf-8")
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # atomic writes leave no temporary file
    assert "bundle:" in capsys.readouterr().err


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_report_without_zip_writes_no_bundle(tmp_path: Path) -> None:
    run = _run_folder(tmp_path / "run")
    assert main(["report", str(run)]) == 0
    assert not (run / BUNDLE_NAME).exists()
    assert 'href="report.zip"' not in (run / "index.html").read_text(encoding="utf-8")


def test_not_a_run_folder_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", str(tmp_path), "--zip"]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError, match="run.json"):
        write_bundle(RunPaths(tmp_path))


def test_a_failed_bundle_leaves_no_partial_zip(tmp_path: Path) -> None:
    run = _run_folder(tmp_path / "run")
    with pytest.raises(ValueError, match="not in the bundle"):
        write_bundle(RunPaths(run), texts={"nope.html": "x"})
    assert not (run / BUNDLE_NAME).exists() and not [p for p in run.iterdir() if p.name.startswith(".")]


def test_bundle_files_are_relative_and_sorted(tmp_path: Path) -> None:
    run = _run_folder(tmp_path / "run")
    files = bundle_files(RunPaths(run))
    assert files == sorted(files) and all(not p.is_absolute() for p in files)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_every_link_of_the_bundled_report_resolves_inside_the_zip(tmp_path: Path) -> None:
    import re

    run = _run_folder(tmp_path / "run")
    (run / "cohort" / "twin.json").write_text("{}")  # checklist items point at files the zip leaves out
    assert main(["report", str(run), "--zip"]) == 0
    out = tmp_path / "unzipped"
    zipfile.ZipFile(run / BUNDLE_NAME).extractall(out)
    for page in [out / "index.html", *(out / "html").glob("*.html"), *(out / "docs").glob("*.html")]:
        for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            path = href.partition("#")[0]
            if not path or ":" in path:
                continue
            assert (page.parent / path).exists(), (page.name, href)
