"""Tables a paper would print and code out of the way: labels, one number and P format, alignment, captions, folded
code, figure legends and limits."""

from __future__ import annotations

import ast
import html as html_lib
import re
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from gvisage_lib import paper
from gvisage_lib.core import labels
from gvisage_lib.paper.index import OUTPUTS, PAPER_TABLES, table_caption, table_number
from gvisage_lib.run import display
from gvisage_lib.run.pipeline import _render_html

LIB = Path(labels.__file__).resolve().parents[1]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_one_p_value_format_everywhere() -> None:
    assert paper.format_p is labels.format_p and display.format_p is labels.format_p
    defined = [p.relative_to(LIB).as_posix() for p in LIB.rglob("*.py")
               if any(isinstance(n, ast.FunctionDef) and n.name == "format_p"
                      for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))]
    assert defined == ["core/labels.py"]
    assert [labels.format_p(p, prefix=True) for p in (3e-24, 0.04, 0.287, 0.9991)] == \
        ["P<.001", "P=.04", "P=.29", "P>.99"]


@pytest.mark.parametrize(("name", "words"), [
    ("this_run_se", "This run, SE"), ("fourth_ventricle", "Fourth ventricle"), ("phen_beard", "Beard"),
    (True, "yes"), (False, "no"), ("resnet50", "ResNet-50"), ("validation", "Independent validation"),
    ("paper_in_ci", "Paper in CI"), ("limb_movement_disorder", "Limb movement disorder"),
])
def test_one_label_map(name: object, words: str) -> None:
    assert labels.label(name, column=True) == words


def test_numbers_one_format() -> None:
    frame = pd.DataFrame({"n": [358.0, 12.0], "auc": [0.9, 0.74213], "mean": [8.93912, 249.14]})
    shown = display.display_frame(frame, labels=False)
    assert shown["n"].tolist() == ["358", "12"]  # counts never "358.0"
    assert shown["auc"].tolist() == ["0.900", "0.742"]  # one precision down a column of AUCs
    assert shown["mean"].tolist() == ["8.94", "249.1"]  # no spurious "8.939"


def test_ci_belongs_to_the_estimate_not_to_the_p_value() -> None:
    coefs = pd.DataFrame({"term": ["age_years"], "coef": [-0.69], "se": [0.2], "z": [-3.4], "p_value": [0.0007],
                          "ci_low": [-1.04], "ci_high": [-0.065]})
    merged = display.merge_ci(coefs)
    assert "coef (CI)" in merged.columns and "p_value" in merged.columns
    shown = display.display_frame(merged)
    assert list(shown.columns) == ["Term", "Coefficient (95% CI)", "SE", "z", "P"]
    assert shown.iloc[0].tolist() == ["Age (years)", "-0.69 (-1.04 to -0.07)", "0.200", "-3.40", "<.001"]


def _cells(page: str) -> list[tuple[str, str]]:
    return re.findall(r"<td>(<span class=\"(gv-[a-z]+)\">)?", page)


def test_text_left_numbers_right_on_the_decimal_point() -> None:
    frame = pd.DataFrame({"model": ["GVisageNet", "Hybrid model", "x"], "mean": [1.5, 12.25, 358.0]})
    page = display.table_html(frame)
    numbers = re.findall(r'<span class="gv-num">([^<]*)</span>', page)
    tails = {len(t) - re.match(r"[<>]?-?\d*", t).end() for t in numbers}
    assert len(numbers) == 3 and len(tails) == 1  # as wide right of the point: right-aligned, the points line up
    assert numbers[2].startswith("358\u2008")  # a whole number gets the width of the point too
    assert "<td>GVisageNet</td>" in page  # text is not a number: left-aligned by the CSS
    css = (Path(display.__file__).parent / "templates" / "gvisage.css").read_text(encoding="utf-8")
    assert "td:has(> .gv-num) { text-align: right; }" in css and "tabular-nums" in css
    # under the table's box: more specific than JupyterLab's right-aligning ":not(...).jp-RenderedHTMLCommon td"
    assert re.search(r"\.gv-table-wrap table\.gv-table th, \.gv-table-wrap table\.gv-table td \{[^}]*"
                     r"text-align: left", css)


def test_table1_levels_indented_sections_as_headings_splits_spanning() -> None:
    from gvisage_lib.cohort.table1 import table1, table1_paper_layout

    m = pd.DataFrame({"split": "test", "group": ["iGCT"] * 4 + ["other"] * 3,
                      "age_years": [12, 15, 17, 20, 8, 9, 11], "sex": ["F", "M", "M", "F", "F", "M", "F"]})
    page = display.table_html(table1_paper_layout(table1(m, split="test")), csv="/r/tables/table1_paper_layout.csv")
    assert '<span class="gv-level">Female</span>' in page and '<span class="gv-section">Demographics</span>' in page
    assert re.search(r'<th colspan="3"[^>]*>Testing</th>', page) and "<th>iGCT (n=4)</th>" in page
    assert "<b>Table 1.</b>" in page


def test_numbered_caption_instead_of_a_size_line() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    page = display.table_html(frame, csv="/r/tables/stage2_vif.csv", html_dir="/r/html", caption="Both models")
    number = table_number("stage2_vif")
    assert f"<b>Table {number}.</b>" in page and "Both models." in page and "rows," not in page
    # every table has one number: the paper's for its own, S-numbers in reading order for the others
    keys = [o.key for o in OUTPUTS if o.kind == "table"]
    ours = [table_number(k) for k in keys if k not in PAPER_TABLES]
    assert ours == [f"S{i}" for i in range(1, len(ours) + 1)]
    assert {table_number(k) for k in PAPER_TABLES} == {"1", "2", "3"}
    assert table_caption("table1_paper_layout").startswith("Table 1. ")


def test_no_raw_python_objects_in_the_notebooks_prints() -> None:
    # a print of a bare dict, list or bool (the selected model, a list of names, a flag) reads as code
    nb_dir = LIB.parent / "notebooks"
    for path in sorted(nb_dir.glob("0*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print":
                    for arg in node.args:
                        assert not isinstance(arg, ast.Name) or arg.id.isupper(), (path.name, ast.unparse(node))
                if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Call):
                    name = getattr(node.value.func, "id", getattr(node.value.func, "attr", ""))
                    assert name not in ("sorted", "list", "dict"), (path.name, ast.unparse(node))
                if isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Attribute):
                    assert node.value.attr not in ("synthetic",), (path.name, ast.unparse(node))


def test_code_cells_folded_with_a_toggle(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 09 · A page\n\ntext"),
        nbformat.v4.new_code_cell("import os\nx = 1\nprint(x)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
    ])
    src = tmp_path / "09_page.ipynb"
    nbformat.write(nb, src)
    dest = tmp_path / "html" / "09_page.html"
    _render_html(src, dest)
    page = dest.read_text(encoding="utf-8")
    assert page.count('<details class="gv-code"><summary>Code (3 lines)</summary>') == 1
    folded = page.split('<details class="gv-code">', 1)[1].split("</details>", 1)[0]
    assert "jp-InputArea" in folded and "jp-OutputArea" not in folded  # the output stays in view
    assert 'id="gv-code-toggle"' in page and "<script src=" not in page
    assert "details.gv-code { display: none; }" in html_lib.unescape(page)  # print: code left out


def test_calibration_legend_below_the_axes_and_strata_cis_not_cut() -> None:
    from gvisage_lib.clinical.figures import plot_calibration
    from gvisage_lib.endocrine.figures import plot_strata

    rng = np.random.default_rng(3)
    scores = pd.DataFrame({"model": "m", "split": "test", "score": rng.uniform(0, 1, 60)})
    scores["label"] = (rng.uniform(0, 1, 60) < scores["score"]).astype(int)
    fig = plot_calibration(scores, split="test", n_bins=4)
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert legend.y1 <= ax.get_window_extent().y0  # under the axes: over no point or error bar
    assert ax.get_ylim()[1] > 1 and ax.get_ylim()[0] < 0
    t3 = pd.DataFrame({"stratum": ["none", "complete"], "n": [20, 30],
                       **{m: [0.8, 0.9] for m in ("auc", "accuracy", "sensitivity", "specificity")},
                       **{f"{m}_ci_low": [0.6, 0.7] for m in ("auc", "accuracy", "sensitivity", "specificity")},
                       **{f"{m}_ci_high": [1.0, 1.0] for m in ("auc", "accuracy", "sensitivity", "specificity")}})
    assert plot_strata(t3).axes[0].get_ylim()[1] > 1.0  # a CI that reaches 1.0 shows its cap
