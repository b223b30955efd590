"""What a reader sees: display formatting, progress lines, figure files, the notebook HTML and the run's index page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from gvisage_lib.core import io, progress
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.paper.index import OUTPUTS, figure_caption, figure_number
from gvisage_lib.run import display, report
from gvisage_lib.run.pipeline import _render_html, notebook_title

# --- display ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("p", "text"), [(0.0, "<.001"), (0.000999, "<.001"), (0.001, ".001"), (0.0099, ".010"),
                                         (0.031, ".03"), (0.05, ".05"), (0.994, ".99"), (0.996, ">.99"),
                                         (1.0, ">.99"), (0.0496, ".0496"), (np.nan, "—")])
def test_format_p(p: float, text: str) -> None:
    assert display.format_p(p) == text


def test_display_frame_rounds_but_keeps_every_column() -> None:
    wide = pd.DataFrame({f"c{i}": [1.23456789] for i in range(25)} | {"note": ["x" * 300], "p_value": [3.17e-29]})
    shown = display.display_frame(wide, labels=False)
    assert list(shown.columns) == list(wide.columns)
    assert shown.loc[0, "c0"] == "1.23" and shown.loc[0, "p_value"] == "<.001" and len(shown.loc[0, "note"]) == 300
    assert display.display_frame(wide).shape == wide.shape
    html = display.table_html(wide)
    assert "3.17e-29" not in html and "<.001" in html.replace("&lt;", "<") and html.count("<th") >= 27


def test_table_html_short_view_links_the_csv(tmp_path: Path) -> None:
    csv = tmp_path / "tables" / "big.csv"
    frame = pd.DataFrame({"x": np.arange(207) / 7})
    html = display.table_html(frame, csv=csv, max_rows=10, html_dir=tmp_path / "html")
    assert html.count("<tr") == 11  # header + 10 rows
    assert "first 10 of 207 rows" in html and 'href="../tables/big.csv"' in html


def test_show_table_refuses_an_unsaved_key(tmp_path: Path) -> None:
    from gvisage_lib.run.notebook import setup_notebook

    (tmp_path / "m.csv").write_text("subject_id\n")
    nb = setup_notebook(tmp_path, manifest=str(tmp_path / "m.csv"), profile="smoke", seed=1, quiet=True)
    with pytest.raises(FileNotFoundError, match="table1"):
        nb.show_table(pd.DataFrame({"a": [1]}), "table1")


def test_setup_notebook_prints_no_machine_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gvisage_lib.run.notebook import setup_notebook

    run = tmp_path / "my_run"
    run.mkdir()
    (run / "own.csv").write_text("subject_id\n")
    setup_notebook(run, manifest=str(run / "own.csv"), profile="smoke", seed=3)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "my_run" in out and "own.csv" in out and str(tmp_path) not in out


# --- captions and figures -----------------------------------------------------------------------------------------


def test_figure_numbers_one_scheme_in_file_name_and_caption() -> None:
    figures = [o for o in OUTPUTS if o.kind == "figure"]
    s_numbers = []
    for o in figures:
        number = figure_number(o.key)
        assert o.name.split("_")[0] == o.key and o.key.lower() == f"fig{number.lower()}"
        assert figure_caption(o.key).startswith(f"Figure {number}. ")
        if number.startswith("S"):
            s_numbers.append(int(re.match(r"S(\d+)", number)[1]))
        else:  # the paper's number: only where the paper has that figure
            assert o.paper_item == f"Figure {number}"
    # S-numbers in reading order, one per figure (panels A and B share theirs)
    assert list(dict.fromkeys(s_numbers)) == list(range(1, max(s_numbers) + 1))
    notebooks = [o.notebook for o in figures]
    assert notebooks == sorted(notebooks)  # reading order = notebook order


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_save_figure_300_dpi_and_truetype_pdf(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.set_title("text that needs a font")
    png, pdf = io.save_figure(fig, tmp_path / "f")
    with Image.open(png) as im:
        assert round(im.info["dpi"][0]) == 300
    data = pdf.read_bytes()
    assert b"/FontFile2" in data and b"/Type3" not in data


def _overlaps_data(fig, ax) -> bool:
    fig.canvas.draw()
    legend = ax.get_legend()
    renderer = fig.canvas.get_renderer()
    return legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_legends_outside_the_data() -> None:
    from gvisage_lib import paper
    from gvisage_lib.cnn.figures import plot_learning_curves
    from gvisage_lib.endocrine.figures import plot_strata
    from gvisage_lib.roc.figures import plot_candidates
    from gvisage_lib.roc.metrics import candidate_metrics, demo_predictions

    fig = plot_strata(paper.table3())
    assert not _overlaps_data(fig, fig.axes[0])
    fig = plot_candidates(candidate_metrics(demo_predictions(0)), stages=[1])
    assert not _overlaps_data(fig, fig.axes[0])
    hist = pd.DataFrame([{"model": m, "stage": s, "epoch": e, "split": sp, "loss": 0.5, "auc": 0.7}
                         for m in ("alexnet", "resnet50") for s in (1, 2) for e in (1, 2) for sp in ("train", "test")])
    fig = plot_learning_curves(hist)
    assert not _overlaps_data(fig, fig.axes[1])


def test_heatmap_numbers_readable() -> None:
    from gvisage_lib.endocrine.correlation import correlation_matrix
    from gvisage_lib.endocrine.figures import plot_correlation_heatmap

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 5)), columns=["score", "tsh", "gh", "ft3", "ft4"])
    cm = correlation_matrix(df, indicators=["tsh", "gh", "ft3", "ft4"])
    fig = plot_correlation_heatmap(cm.r, cm.p_bh)
    numbers = [t for t in fig.axes[0].texts if re.fullmatch(r"-?\d\.\d\d\**", t.get_text())]
    assert len(numbers) == 10  # the lower triangle without the diagonal
    assert min(t.get_fontsize() for t in numbers) >= 7


# --- progress -------------------------------------------------------------------------------------------------------


def test_progress_goes_to_the_process_stderr_not_the_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    import io as stdio

    # in a kernel, sys.stdout/sys.stderr are the notebook's; terminal() is the process's own stderr
    assert progress.terminal() is sys.__stderr__
    out = stdio.StringIO()
    t = progress.Ticker("resnet50 stage 2", 10, unit="epoch", start=2, every_s=0, stream=out, prefix="03 train",
                        clock=iter([0.0, 38.0, 50.0]).__next__)
    t.update(detail="loss 0.500")
    t.update()
    lines = out.getvalue().splitlines()
    assert lines[0] == "03 train: resnet50 stage 2: epoch 3/10, 38 s, about 4 min 26 s left (loss 0.500)"
    assert lines[1].startswith("03 train: resnet50 stage 2: epoch 4/10, 50 s, about 2 min 30 s left")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_training_reports_one_line_per_epoch(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import torch

    from gvisage_lib.cnn.datasets import StackSet
    from gvisage_lib.cnn.training import train_model

    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 255, (8, 12, 64, 64), dtype=torch.uint8, generator=g)
    data = StackSet(tuple(f"s{i}" for i in range(8)), x, torch.tensor([0, 1] * 4))
    train_model("alexnet", data, data, stage=1, epochs=2, batch_size=4, learning_rate=1e-3, seed=0,
                out_dir=tmp_path, device="cpu", progress=True)
    err = capfd.readouterr().err
    lines = [ln for ln in err.splitlines() if "alexnet stage 1: epoch" in ln]
    assert len(lines) == 2 and "\r" not in err, err


# --- kernels and the rendered notebook ------------------------------------------------------------------------------


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_kernel_starts_without_transport_warning_and_gets_the_prefix(tmp_path: Path) -> None:
    book = tmp_path / "01_t.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os\nfrom gvisage_lib.core.progress import report\nreport('kernel says hello')\nx = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, book)
    code = ("import sys; from pathlib import Path; from gvisage_lib.run.pipeline import _execute_book, _kernel_env; "
            f"_kernel_env(); _execute_book(Path({str(book)!r}), Path({str(tmp_path / 'out.ipynb')!r}), {{}}, "
            f"Path({str(tmp_path)!r}), prefix='01 t')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "without encryption" not in proc.stderr
    assert "01 t: kernel says hello" in proc.stderr  # the kernel's progress reached the terminal
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert executed.cells[-1].outputs == []  # and not the notebook
    assert not list(tmp_path.glob("kernel-*"))  # no socket files left in the working folder


def test_rendered_html_titled_offline_without_parameter_cells(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 07 · Something: *useful*\n\ntext"),
        nbformat.v4.new_code_cell('run_dir = "/home/someone/runs/x"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('run_dir = "/home/someone/runs/y"', metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_code_cell("1 + 1"),
    ])
    src = tmp_path / "07_something.ipynb"
    nbformat.write(nb, src)
    dest = tmp_path / "html" / "07_something.html"
    _render_html(src, dest)
    html = dest.read_text(encoding="utf-8")
    assert "<title>07 · Something: useful</title>" in html
    assert "/home/someone" not in html
    assert html.count('<div class="jp-Cell jp-CodeCell') == 1  # the parameter cells are gone, the other one stays
    assert "<script src=" not in html and "https://cdnjs" not in html
    assert 'href="../index.html"' in html and "gv-table" in html  # the display CSS
    assert notebook_title(nb) == "07 · Something: useful"


# --- the run's index page -------------------------------------------------------------------------------------------


def _fake_run(root: Path, status: str = "succeeded") -> Path:
    for sub in ("tables", "figures", "html", "notebooks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    notebooks = [{"notebook": "01_cohort.ipynb", "seconds": 10.5, "status": "succeeded"}]
    if status == "failed":
        notebooks.append({"notebook": "02_faces.ipynb", "seconds": 3.0, "status": "failed", "cell": 4,
                          "error": "ValueError: no face <found>"})
        (root / "html" / "02_faces.html").write_text("<html><title>02</title></html>")
    record = {"status": status, "gvisage_version": "0.1.0", "started_utc": "2025-01-30T00:00:00+00:00",
              "parameters": {"profile": "smoke", "seed": 11, "synthetic_twin": True, "score_fit": "out_of_fold",
                             "manifest": "/secret/place/cohort/manifest.csv"},
              "git": {"commit": "0123456789abcdef", "dirty": False}, "packages": {"torch": "2.14.1"},
              "environment": {"python": "3.11.7"}, "notebooks": notebooks}
    (root / "run.json").write_text(json.dumps(record))
    (root / "html" / "01_cohort.html").write_text("<html><title>01</title></html>")
    pd.DataFrame({"stratum": ["complete", "incomplete", "none"], "n": [40, 50, 30], "auc": [0.7, 0.6, 0.5],
                  "auc_ci_low": [0.5, 0.4, 0.3], "auc_ci_high": [0.9, 0.8, 0.7]}).to_csv(
        root / "tables" / "table3_hpt_strata.csv", index=False)
    pd.DataFrame({"item": ["1a"], "section": ["Title"], "where": ["README"]}).to_csv(
        root / "tables" / "stard2015_checklist.csv", index=False)
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots(figsize=(1, 1))
    io.save_figure(fig, root / "figures" / "fig1_study_flow")
    plt.close(fig)
    return root


def test_index_page_of_a_run(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run")
    page = report.write_run_index(RunPaths(run)).read_text(encoding="utf-8")
    assert "<title>GVisage run run: succeeded</title>" in page
    assert 'href="html/01_cohort.html"' in page and "01 · Cohort" in page  # linked, with its title as summary
    from markupsafe import escape

    assert 'src="figures/fig1_study_flow.png"' in page and str(escape(figure_caption("fig1"))) in page
    assert 'href="tables/table3_hpt_strata.csv"' in page
    assert "STARD 2015" in page and "Reporting checklists" in page
    assert "0.700 (0.500–0.900)" in page and "0.678" in page  # Table 3: this run beside the paper
    assert "/secret/place" not in page and "0123456789ab" in page
    hrefs = re.findall(r'(?:href|src)="([^"#]+)"', page)
    assert hrefs and all(not h.startswith(("/", "file:")) for h in hrefs)  # relative: the folder can move


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_index_page_of_a_failed_run(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run", status="failed")
    page = report.write_run_index(RunPaths(run)).read_text(encoding="utf-8")
    assert "The run stopped in notebook 02_faces.ipynb" in page and "In [4]" in page
    assert "no face &lt;found&gt;" in page  # escaped
    assert 'href="html/02_faces.html"' in page
    assert "not run" in page  # the notebooks after it


def test_index_needs_a_run_record(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run.json"):
        report.write_run_index(RunPaths(tmp_path))


def test_pipeline_and_tests_use_the_notebook_helper() -> None:
    """No notebook ends a cell with a save call (which would echo its paths) or shows a frame raw."""
    root = Path(__file__).resolve().parents[2] / "notebooks"
    for path in sorted(root.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            last = cell.source.strip().splitlines()[-1]
            assert not re.match(r"\s*nb\.save_(figure|table)\(", last), f"{path.name}: cell ends with {last!r}"
            assert "display(" not in cell.source and "plt.show()" not in cell.source, f"{path.name}: {last!r}"


def test_warnings_go_to_the_terminal_only_in_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    import io as stdio
    import warnings

    from gvisage_lib.run.notebook import warnings_to_terminal

    with warnings.catch_warnings():
        assert warnings_to_terminal() is (sys.stderr is not sys.__stderr__)
        captured = stdio.StringIO()
        monkeypatch.setattr(sys, "stderr", captured)  # as in a kernel: stderr is the notebook's
        terminal = stdio.StringIO()
        monkeypatch.setattr(sys, "__stderr__", terminal)
        assert warnings_to_terminal()
        warnings.simplefilter("always")
        warnings.warn("an optimiser's note", RuntimeWarning, stacklevel=1)
    assert captured.getvalue() == "" and "warning: RuntimeWarning: an optimiser's note" in terminal.getvalue()
