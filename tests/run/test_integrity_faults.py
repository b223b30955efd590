"""Faults end a run cleanly: a full disk (a failing write, simulated) and a killed kernel give exit 1, a message
naming the notebook (and the file), ``run.json`` saying ``failed``, no truncated executed notebook and earlier
outputs intact."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import nbformat
import pytest

from gvisage_lib.core.record import RunRecord
from gvisage_lib.run import pipeline
from gvisage_lib.run.cli import main

from support.notebooks import write_notebook


@pytest.fixture
def books(tmp_path: Path) -> Path:
    d = tmp_path / "books"
    d.mkdir()
    write_notebook(d / "01_first.ipynb", "from pathlib import Path\nPath(run_dir, 'tables', 'first.csv').write_text('a\\n1\\n')")
    write_notebook(d / "02_second.ipynb", "x = 1", "y = 2", "z = 3")
    return d


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_full_disk_while_writing_the_executed_notebook_ends_failed_and_named(
        tiny_cohort: Path, books: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import papermill.iorw

    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    real_write = papermill.iorw.papermill_io.write

    def full_disk(buf: str, path: str, *args: object, **kwargs: object) -> None:
        if "02_second" in str(path) and "y = 2" in buf and '"execution_count": 4' in buf:
            Path(path).write_text(buf[: len(buf) // 2])  # the write is cut short, as on a full disk
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(buf, path, *args, **kwargs)

    monkeypatch.setattr(papermill.iorw.papermill_io, "write", full_disk)
    out = tmp_path / "run"
    assert main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "02_second.ipynb" in err and "No space left on device" in err and "02_second" in err.split("device")[1]
    rec = RunRecord.load(out)
    assert rec.status == "failed" and rec.notebook("02").status == "failed"
    assert "No space left on device" in rec.notebook("02").error
    executed = out / "notebooks" / "02_second.ipynb"
    if executed.exists():  # the last whole notebook papermill wrote, never the truncated one
        nbformat.read(executed, as_version=4)
    assert not list((out / "notebooks").glob(".*partial*"))
    assert (out / "tables" / "first.csv").read_text() == "a\n1\n"  # earlier outputs intact
    assert rec.notebook("01").status == "succeeded"


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_failing_write_of_the_rendering_names_the_file(tiny_cohort: Path, books: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    real = pipeline._render_html

    def full_disk(executed: Path, dest: Path) -> None:
        if "02_second" in dest.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(dest))
        real(executed, dest)

    monkeypatch.setattr(pipeline, "_render_html", full_disk)
    out = tmp_path / "run"
    assert main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "notebook 02_second.ipynb failed" in err and "02_second.html" in err
    assert json.loads((out / "run.json").read_text())["status"] == "failed"
    nbformat.read(out / "notebooks" / "02_second.ipynb", as_version=4)  # whole


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_killed_kernel_ends_failed_and_named(tiny_cohort: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "books"
    d.mkdir()
    write_notebook(d / "01_first.ipynb", "from pathlib import Path\nPath(run_dir, 'tables', 'first.csv').write_text('a\\n1\\n')")
    write_notebook(d / "02_killed.ipynb", "x = 1", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", d)
    out = tmp_path / "run"
    assert main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "notebook 02_killed.ipynb failed" in err and "DeadKernelError" in err
    rec = RunRecord.load(out)
    assert rec.status == "failed" and rec.notebook("02").status == "failed" and "DeadKernelError" in rec.failure
    nbformat.read(out / "notebooks" / "02_killed.ipynb", as_version=4)
    assert (out / "tables" / "first.csv").read_text() == "a\n1\n"


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_successful_run_prints_no_error_lines(tiny_cohort: Path, books: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    (books / "02_second.ipynb").unlink()
    monkeypatch.setattr(pipeline, "NOTEBOOK_DIR", books)
    assert main(["reproduce", "--profile", "smoke", "--manifest", str(tiny_cohort), "--out", str(tmp_path / "r")]) == 0
    err = capfd.readouterr().err  # the kernels' own standard error included
    assert "run finished" in err and "ERROR" not in err
