"""The papermill runner and the ``gvisage`` command: ordering, failure reporting, invalid input, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from gvisage_lib.cohort.manifest import ManifestError
from gvisage_lib.run import pipeline
from gvisage_lib.run.cli import main

from support.notebooks import write_notebook


@pytest.fixture
def books(tmp_path: Path) -> Path:
    d = tmp_path / "books"
    d.mkdir()
    write_notebook(d / "01_first.ipynb", "from pathlib import Path\nPath(run_dir, 'tables', 'first.csv').write_text(f'seed\\n{seed}\\n')")
    write_notebook(d / "02_second.ipynb", "x = 1", "raise RuntimeError('planted failure ' + profile)", "y = 2")
    write_notebook(d / "03_never.ipynb", "from pathlib import Path\nPath(run_dir, 'never').write_text('ran')")
    (d / "README.md").write_text("not a notebook")
    (d / "9_bad_name.ipynb").write_text("{}")
    return d


def test_list_notebooks_orders_numbered_files_only(books: Path) -> None:
    assert [p.name for p in pipeline.list_notebooks(books)] == ["01_first.ipynb", "02_second.ipynb", "03_never.ipynb"]


def test_repository_notebooks_are_stored_without_outputs() -> None:
    books = pipeline.list_notebooks()
    assert [b.name[:2] for b in books] == ["01", "02", "03", "04", "05", "06", "07"]
    for book in books:
        nb = nbformat.read(book, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), book.name
        assert all(not c.outputs and c.execution_count is None for c in code), book.name
        # the kernel's inline backend puts figures into the rendering; Agg would hide them
        assert not any("matplotlib.use(" in c.source for c in code), book.name


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_failure_names_notebook_and_cell_and_keeps_partial(tiny_cohort: Path, books: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(pipeline.NotebookFailed) as info:
        pipeline.reproduce(out, profile="smoke", manifest=tiny_cohort, seed=7, notebooks_dir=books, log=lambda m: None)
    err = info.value
    # In [4]: the parameters cell, papermill's injected cell, "x = 1", then the failing cell
    assert err.notebook == "02_second.ipynb" and err.cell == 4
    assert "planted failure smoke" in err.error and "raise RuntimeError" in str(err)
    assert (out / "notebooks" / "02_second.ipynb").is_file()  # partial kept
    assert not (out / "never").exists()  # stopped
    assert (out / "tables" / "first.csv").read_text() == "seed\n7\n"  # parameters reached the kernel
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "failed"
    assert [(n["notebook"], n["status"]) for n in record["notebooks"]] == [("01_first.ipynb", "succeeded"),
                                                                           ("02_second.ipynb", "failed")]
    assert record["notebooks"][1]["cell"] == 4
    assert record["data"]["manifest_sha256"] and record["packages"]["numpy"]
    assert (out / "html" / "01_first.html").is_file()
    # the overview page says what failed and links the partial notebook, rendered up to the failing cell
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "The run stopped in notebook 02_second.ipynb" in page and "In [4]" in page and "planted failure" in page
    assert 'href="html/02_second.html"' in page and (out / "html" / "02_second.html").is_file()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_cli_failure_exit_code_and_message(tiny_cohort: Path, books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    code = main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(tmp_path / "r")])
    assert code == 1
    assert "02_" in capsys.readouterr().err
    # a partial rerun continues the recorded run (its profile, seed and manifest) and fails in the same place
    code = main(["reproduce", "--out", str(tmp_path / "r"), "--from", "02"])
    assert code == 1
    assert "02_" in capsys.readouterr().err


def test_invalid_manifest_writes_nothing(tiny_cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tiny_cohort.read_text().splitlines()
    text[1] = text[1].replace(",NC,", ",XX,", 1)
    tiny_cohort.write_text("\n".join(text) + "\n")
    out = tmp_path / "never_created"
    with pytest.raises(ManifestError):
        pipeline.reproduce(out, profile="smoke", manifest=tiny_cohort, log=lambda m: None)
    assert not out.exists()
    capsys.readouterr()
    assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(out)]) == 2
    assert not out.exists()
    captured = capsys.readouterr()
    assert "XX" in captured.out + captured.err


def test_validate_command_exit_codes(tiny_cohort: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tiny_cohort)]) == 0
    text = tiny_cohort.read_text().splitlines()
    text[2] = text[2].replace(",10,", ",-3,", 1)
    tiny_cohort.write_text("\n".join(text) + "\n")
    capsys.readouterr()
    assert main(["validate", str(tiny_cohort)]) == 2
    printed = capsys.readouterr().out
    assert "age_years" in printed and "-3" in printed


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seed"):
        pipeline.reproduce(tmp_path, seed=-1)
    with pytest.raises(ValueError, match="start_at"):
        pipeline.reproduce(tmp_path, start_at="99")


def test_every_parameter_of_the_notebooks_parses_for_papermill() -> None:
    """papermill reads each parameters cell line by line; a line it cannot parse becomes an 'unknown parameter'."""
    from papermill.translators import PythonTranslator

    for book in pipeline.list_notebooks(pipeline.NOTEBOOK_DIR):
        nb = nbformat.read(book, as_version=4)
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1, f"{book.name}: one parameters cell expected, found {len(cells)}"
        lines = [ln for ln in cells[0].source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        names = [p.name for p in PythonTranslator.inspect(cells[0])]
        assert names == [ln.split(":")[0].split("=")[0].strip() for ln in lines], book.name
        for required in ("run_dir", "manifest", "profile", "seed", "score_fit"):
            assert required in names, f"{book.name} lacks the pipeline parameter {required!r}"


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_partial_rerun_continues_the_recorded_run_and_refuses_other_settings(
        tiny_cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "books"
    d.mkdir()
    write_notebook(d / "01_first.ipynb", "from pathlib import Path\nPath(run_dir, 'tables', 'first.csv').write_text(f'{profile} {seed}')")
    write_notebook(d / "02_second.ipynb", "from pathlib import Path\nPath(run_dir, 'tables', 'second.csv').write_text(f'{profile} {seed} {score_fit}')")
    out = tmp_path / "run"
    quiet = {"notebooks_dir": d, "log": lambda m: None}
    pipeline.reproduce(out, profile="smoke", manifest=tiny_cohort, seed=7, **quiet)
    first = json.loads((out / "run.json").read_text())
    # no settings given: the run's are used, the skipped notebook's record is kept
    again = pipeline.reproduce(out, start_at="02", **quiet).to_dict()
    assert (out / "tables" / "second.csv").read_text() == "smoke 7 out_of_fold"
    assert [n["notebook"] for n in again["notebooks"]] == ["01_first.ipynb", "02_second.ipynb"]
    assert again["notebooks"][0] == first["notebooks"][0] and again["parameters"]["seed"] == 7
    # a setting given differently is refused, before anything runs
    for kwargs, word in (({"profile": "quick"}, "profile"), ({"seed": 8}, "seed"),
                         ({"score_fit": "test"}, "score_fit"), ({"manifest": tmp_path / "other.csv"}, "manifest")):
        with pytest.raises(ValueError, match=f"made with {word}" if word != "manifest" else "made with the manifest"):
            pipeline.reproduce(out, start_at="02", **kwargs, **quiet)
    assert (out / "tables" / "second.csv").read_text() == "smoke 7 out_of_fold"
    assert main(["reproduce", "--out", str(out), "--from", "02", "--seed", "8"]) == 2
    assert "made with seed 7, not 8" in capsys.readouterr().err
    # the cohort changed since the run: refused
    tiny_cohort.write_text(tiny_cohort.read_text() + "\n")
    with pytest.raises(ValueError, match="changed since the run was made"):
        pipeline.reproduce(out, start_at="02", **quiet)
    # no run to continue, or the earlier notebooks' outputs missing
    with pytest.raises(FileNotFoundError, match="run.json not found"):
        pipeline.reproduce(tmp_path / "empty", start_at="02", **quiet)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_partial_rerun_needs_the_earlier_notebooks_outputs(tiny_cohort: Path, tmp_path: Path) -> None:
    d = tmp_path / "books"
    d.mkdir()
    for k in range(1, 5):
        write_notebook(d / f"0{k}_n.ipynb", "x = 1")
    out = tmp_path / "run"
    pipeline.reproduce(out, profile="smoke", manifest=tiny_cohort, seed=1, notebooks_dir=d, log=lambda m: None)
    with pytest.raises(FileNotFoundError, match=r"outputs are missing: .*faces\.parquet.*predictions\.parquet"):
        pipeline.reproduce(out, start_at="04", notebooks_dir=d, log=lambda m: None)
