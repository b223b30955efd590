"""Markdown cells hold no result: every decimal number or percentage they state is the paper's or a setting.

A notebook's Markdown is written before any run, so a number it states cannot be this run's; results are shown by
code cells (tables, figures, and prose rendered from the run's tables with ``nb.say`` / ``nb.show_markdown``). This
test reads every Markdown cell of the seven notebooks and fails on a decimal number (``0.73``, ``.04``) or a
percentage (``25%``) that comes from none of these sources:

* **the paper** (:mod:`gvisage_lib.paper`): every number of ``gvisage_lib/paper/data/*.csv`` (Table 1 with its
  printed P values, the performance results, Table 3, the stated counts) and the paper's Table 1 P values recomputed
  from those numbers alone (:func:`gvisage_lib.paper.table1_audit.paper_p_check`); a percentage matches the proportion;
* **the package's settings**, which the Markdown documents: the notebooks' parameter defaults, the simulation's
  settings (:class:`gvisage_lib.simulation.SimulationSettings`), the twin's planted parameters
  (``gvisage_lib/twin/data/twin_parameters.json``) and the face QC's ``DEFAULT_MIN_FACE_FRACTION``;
* **method constants** (:data:`CONSTANTS`, each with why).

A number matches a source value when it equals it (a percentage: its hundredth), as printed: the paper's values
are stored as the paper prints them. Only the recomputed P values, which are computed, match when rounded to the
number's decimals. Text in backquotes (code) is not read.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
#: Method constants a Markdown cell may state, and why they are not results.
CONSTANTS: dict[float, str] = {
    0.5: "the AUC of a score without information; the cascade's 0.5 decision rule",
    0.025: "the one-sided level alpha / 2 of a claim in one direction",
    0.01: "the second significance level of the heatmap's stars",
}
#: A decimal number or a percentage (a leading minus sign, ASCII or Unicode, belongs to it).
NUMBER = re.compile(r"(?<![\w.])([-−]?)(\d*\.\d+|\d+(?:\.\d+)?)(\s?%)?(?![\w.]*\d)")


def _numbers_in(value: object) -> list[float]:
    text = str(value)
    out = []
    for m in re.finditer(r"[-−]?\d*\.?\d+(?:e[-+]?\d+)?", text):
        try:
            out.append(float(m.group(0).replace("−", "-")))
        except ValueError:
            continue
    return out


def _paper_values() -> set[float]:
    values: set[float] = set()
    for csv in (REPO / "gvisage_lib" / "paper" / "data").glob("*.csv"):
        if csv.name.endswith("_items.csv"):
            continue  # checklist wording, not the paper's numbers
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        for col in frame.columns:
            for cell in frame[col]:
                values.update(_numbers_in(cell))
    return values


def _recomputed_values() -> set[float]:
    from gvisage_lib.paper.table1_audit import paper_p_check

    check = paper_p_check()
    return {float(v) for col in check.columns if "p" in col.split("_")
            for v in pd.to_numeric(check[col], errors="coerce").dropna()}


def _setting_values() -> set[float]:
    from gvisage_lib.faces.preprocess import DEFAULT_MIN_FACE_FRACTION
    from gvisage_lib.simulation import SimulationSettings

    values = {float(DEFAULT_MIN_FACE_FRACTION)}
    st = SimulationSettings()
    values.update([st.alpha, st.level, st.cnn_auc, *st.nested_effect_aucs, *dict(st.strata_aucs).values(),
                   st.latent_share])
    params = json.loads((REPO / "gvisage_lib" / "twin" / "data" / "twin_parameters.json").read_text("utf-8"))

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if not str(k).startswith("_"):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            values.add(float(node))

    walk(params)
    for nb_path in NOTEBOOKS:
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
                for node in ast.walk(ast.parse(cell.source)):
                    if isinstance(node, ast.Constant) and isinstance(node.value, float):
                        values.add(node.value)
    return values


@pytest.fixture(scope="module")
def allowed() -> tuple[set[float], set[float]]:
    """(values matched exactly, values matched after rounding)."""
    return _paper_values() | _setting_values() | set(CONSTANTS), _recomputed_values()


def _matches(number: str, percent: bool, sign: str, allowed: tuple[set[float], set[float]]) -> bool:
    exact, rounded = allowed
    x = float(number) * (-1 if sign else 1)
    decimals = len(number.split(".")[1]) if "." in number else 0
    targets = [(x / 100, decimals + 2), (x, decimals)] if percent else [(x, decimals)]
    for target, d in targets:
        if any(abs(v - target) < 1e-12 for v in exact):
            return True
        if any(round(v, d) == round(target, d) for v in rounded):
            return True
    return False


def stated_numbers(markdown: str) -> list[tuple[str, str, bool]]:
    """(sign, number, is_percentage) of each decimal number or percentage in ``markdown`` outside code spans.

    Examples
    --------
    >>> stated_numbers("AUC 0.739 (P = .04), 25% of `x = 0.3`, n = 358, −0.85")
    [('', '0.739', False), ('', '.04', False), ('', '25', True), ('−', '0.85', False)]
    """
    text = re.sub(r"`[^`]*`", " ", markdown)
    out = []
    for m in NUMBER.finditer(text):
        sign, number, pct = m.groups()
        if "." in number or pct:
            out.append((sign, number, bool(pct)))
    return out


def test_stated_numbers_finds_decimals_and_percentages() -> None:
    assert stated_numbers("AUC 0.739 (P = .04), 25% of `x = 0.3`, n = 358, −0.85, 1,000") == [
        ("", "0.739", False), ("", ".04", False), ("", "25", True), ("−", "0.85", False)]


def test_a_result_number_is_caught(allowed: tuple[set[float], set[float]]) -> None:
    """The check can fail: numbers that were in the prose before (a twin's AUC, a speed-up, a run's hybrid AUC and a
    Monte-Carlo bound) are not allowed. (A short number can coincide with a value of the paper or a setting and then
    pass; the test catches what no source holds.)"""
    for number in ("0.73", "1.5", "1.8", "0.862", "0.836"):
        assert not _matches(number, False, "", allowed), number
    assert _matches("0.739", False, "", allowed) and _matches("71.71", True, "", allowed)
    assert _matches(".04", False, "", allowed)  # the paper's P of the hybrid vs GVisageNet


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_markdown_states_no_result(path: Path, allowed: tuple[set[float], set[float]]) -> None:
    nb = nbformat.read(path, as_version=4)
    bad = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for sign, number, pct in stated_numbers(cell.source):
            if not _matches(number, pct, sign, allowed):
                bad.append(f"cell {i}: {sign}{number}{'%' if pct else ''}")
    assert not bad, (f"{path.name}: Markdown states numbers that are neither the paper's nor a setting (render them "
                     f"from the run with nb.say instead): {bad}")
