"""A partial rerun checks by content every input it reuses; a run succeeds only when it wrote everything; bad
settings are refused before anything runs.

The notebooks here are small fakes that write the files the real ones write (``faces.parquet``,
``predictions.parquet``, the tables and figures of the output index), so the checks of the runner are exercised
without training anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gvisage_lib.cohort.manifest import load_manifest, manifest_hashes
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import get_profile
from gvisage_lib.core.record import RunRecord, RunSettings
from gvisage_lib.run import pipeline
from gvisage_lib.run.cli import main

from support.notebooks import write_notebook

#: A cell writing every table and figure that the output index says the notebook named ``stem`` writes.
_DECLARED = (
    "from pathlib import Path\n"
    "from gvisage_lib.paper.index import OUTPUTS\n"
    "for o in OUTPUTS:\n"
    "    if o.notebook == {stem!r}:\n"
    "        f = Path(run_dir, 'tables', o.name + '.csv') if o.kind == 'table' else "
    "Path(run_dir, 'figures', o.name + '.png')\n"
    "        f.parent.mkdir(exist_ok=True)\n"
    "        f.write_text('x\\n1\\n')\n"
)


def _books(d: Path) -> Path:
    d.mkdir()
    write_notebook(d / "01_cohort.ipynb", _DECLARED.format(stem="01_cohort"))
    write_notebook(d / "02_faces.ipynb", _DECLARED.format(stem="02_faces"),
              "Path(run_dir, 'faces.parquet').write_bytes(b'faces')")
    write_notebook(d / "03_train.ipynb", _DECLARED.format(stem="03_train"),
              "Path(run_dir, 'predictions.parquet').write_bytes(b'scores')\n"
              "Path(run_dir, 'predictions_oof.parquet').write_bytes(b'oof')\n"
              "Path(run_dir, 'selected_model.json').write_text('{}')")
    write_notebook(d / "04_stage_roc.ipynb", _DECLARED.format(stem="04_stage_roc"))
    return d


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A finished run of the four fake notebooks on the tiny cohort: (run folder, notebooks, manifest)."""
    from support.cohorts import write_tiny_cohort

    base = tmp_path_factory.mktemp("integrity")
    books = _books(base / "books")
    manifest = write_tiny_cohort(base / "cohort")
    with pytest.MonkeyPatch.context() as mp:  # the fake tables hold no columns the real overview page reads
        mp.setattr(pipeline, "write_run_index", _plain_index)
        pipeline.reproduce(base / "run", profile="smoke", manifest=manifest, seed=3, notebooks_dir=books,
                           log=lambda m: None)
    return base / "run", books, manifest


def _plain_index(paths: RunPaths, notebooks_dir: object = None) -> Path:
    page = paths.index_html
    page.write_text("<html>run</html>")
    return page


def _copy(finished: tuple[Path, Path, Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of the finished run and of its cohort (the record pointed at the copy's manifest)."""
    run, books, manifest = finished
    out, cohort = tmp_path / "run", tmp_path / "cohort"
    shutil.copytree(run, out)
    shutil.copytree(manifest.parent, cohort)
    with RunRecord.updating(out) as rec:
        rec.settings.manifest = str(cohort / manifest.name)
    return out, books, cohort / manifest.name


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_each_notebook_records_the_digests_of_what_it_wrote(finished: tuple[Path, Path, Path]) -> None:
    run, _, manifest = finished
    rec = RunRecord.load(run)
    assert rec.status == "succeeded"
    outs = {n.number: n.outputs for n in rec.notebooks}
    assert "faces.parquet" in outs["02"] and "predictions.parquet" not in outs["02"]
    assert {"predictions.parquet", "selected_model.json"} <= set(outs["03"]) and "faces.parquet" not in outs["03"]
    assert "tables/table1.csv" in outs["01"] and "figures/fig1_study_flow.png" in outs["01"]
    assert len(rec.data["photos"]) == rec.data["n_photos"] == manifest_hashes(manifest)["n_photos"]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_changed_photo_refuses_the_rerun_and_the_record_keeps_its_digest(
        finished: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out, books, manifest = _copy(finished, tmp_path)
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    before = json.loads((out / "run.json").read_text())
    photo = Path(load_manifest(manifest, validate=False).iloc[0]["photo_1"])
    photo.write_bytes(photo.read_bytes() + b"\0")
    assert main(["reproduce", "--out", str(out), "--from", "04"]) == 2
    err = capsys.readouterr().err
    assert photo.name in err and "rerun from notebook 01" in err
    after = json.loads((out / "run.json").read_text())
    assert after["data"]["photos_sha256"] == before["data"]["photos_sha256"] and after["status"] == "succeeded"


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_rewritten_predictions_file_refuses_the_rerun(finished: tuple[Path, Path, Path], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out, books, _ = _copy(finished, tmp_path)
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    (out / "predictions.parquet").write_bytes(b"1 - scores")
    assert main(["reproduce", "--out", str(out), "--from", "04"]) == 2
    err = capsys.readouterr().err
    assert "predictions.parquet differs" in err and "--from 03" in err


def test_deleted_tables_of_a_skipped_notebook_refuse_the_rerun(finished: tuple[Path, Path, Path], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out, books, _ = _copy(finished, tmp_path)
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    shutil.rmtree(out / "tables")
    assert main(["reproduce", "--out", str(out), "--from", "04"]) == 2
    err = capsys.readouterr().err
    assert "tables/" in err and "written by notebook 01, is missing" in err and "--from 01" in err


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_notebook_that_does_not_write_its_declared_outputs_fails(tiny_cohort: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    books = tmp_path / "books"
    books.mkdir()
    write_notebook(books / "01_cohort.ipynb", "x = 1")  # writes none of Table 1, the study flow, ...
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    out = tmp_path / "run"
    assert main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "did not write its declared outputs" in err and "tables/table1.csv" in err
    rec = RunRecord.load(out)
    assert rec.status == "failed" and rec.notebook("01").status == "failed"
    assert "tables/table1.csv" in rec.notebook("01").error


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_the_run_succeeds_only_once_the_overview_page_is_written(finished: tuple[Path, Path, Path], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out, books, _ = _copy(finished, tmp_path)
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)

    def broken_index(paths: object, notebooks_dir: object = None) -> Path:
        raise KeyError("model")

    monkeypatch.setattr(pipeline, "write_run_index", broken_index)
    assert main(["reproduce", "--out", str(out), "--from", "04"]) == 1
    err = capsys.readouterr().err
    assert "overview page index.html" in err and "KeyError" in err
    rec = RunRecord.load(out)
    assert rec.status == "failed" and "index.html" in rec.failure


def test_refused_parameter_values_and_seeds_write_nothing(tiny_cohort: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(out),
                 "-p", "corr_method", "bogus"]) == 2
    assert "corr_method must be one of spearman, pearson, got 'bogus'" in capsys.readouterr().err
    assert main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(out),
                 "--seed", str(2**32)]) == 2
    assert "--seed must be an integer from 0 to 4294967295" in capsys.readouterr().err
    assert not out.exists()
    assert main(["parameters"]) == 0
    assert "[one of: spearman, pearson]" in capsys.readouterr().out


def test_a_partial_rerun_does_not_inherit_an_invalid_value(tiny_cohort: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    out.mkdir()
    for name in ("faces.parquet", "predictions.parquet", "selected_model.json"):
        (out / name).write_text("x")
    settings = RunSettings(profile="smoke", seed=1, manifest=str(tiny_cohort), synthetic_twin=False,
                           notebook_parameters={"corr_method": "bogus"})
    RunRecord(status="failed", settings=settings, profile=get_profile("smoke").to_dict(),
              data=manifest_hashes(tiny_cohort)).save(out)
    assert main(["reproduce", "--out", str(out), "--from", "06"]) == 2
    err = capsys.readouterr().err
    assert "corr_method must be one of spearman, pearson, got 'bogus'" in err and "-p NAME VALUE" in err
    assert RunRecord.load(out).status == "failed"  # untouched


def test_the_conditional_outputs_are_outputs_of_the_index() -> None:
    from gvisage_lib.paper.index import OUTPUTS

    keys = {o.key for o in OUTPUTS}
    assert pipeline.CONDITIONAL_OUTPUTS <= keys, sorted(pipeline.CONDITIONAL_OUTPUTS - keys)
    # the montages of the twin, the STARD flow, the clinical models' figures and Figure 5C
    names = {o.name for o in OUTPUTS if o.key in pipeline.CONDITIONAL_OUTPUTS}
    assert {"figS2_twin_phenotype_montage", "figS5_stard_flow", "fig5c_attribution_maps"} <= names
