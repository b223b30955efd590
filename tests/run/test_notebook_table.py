"""NotebookRun.table: one call that saves a table under its key and shows it (or a view of it) linked to the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import get_profile
from gvisage_lib.run import notebook
from gvisage_lib.run.notebook import NotebookRun


@pytest.fixture
def nb(tmp_path: Path) -> NotebookRun:
    return NotebookRun(RunPaths(tmp_path), get_profile("smoke"), tmp_path / "m.csv", 1, True)


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    calls: list[dict] = []
    # the display module NotebookRun calls (patched through it: a doctest run may import run.display anew)
    monkeypatch.setattr(notebook.display, "show_table", lambda frame, csv=None, **kw: calls.append({"frame": frame,
                                                                                           "csv": csv, **kw}))
    return calls


def test_table_saves_the_frame_and_shows_it_linked(nb: NotebookRun, shown: list[dict]) -> None:
    frame = pd.DataFrame({"variable": ["age", "bmi"], "p_value": [0.01, 0.5]})
    assert nb.table(frame, "table1", max_rows=5, caption="Table 1") is None
    saved = pd.read_csv(nb.table_path("table1"))
    pd.testing.assert_frame_equal(saved, frame)
    assert len(shown) == 1
    assert shown[0]["frame"] is frame and Path(shown[0]["csv"]) == nb.table_path("table1")
    assert (shown[0]["max_rows"], shown[0]["caption"], Path(shown[0]["html_dir"])) == (5, "Table 1", nb.paths.html)


def test_table_shows_the_view_and_saves_the_whole_frame(nb: NotebookRun, shown: list[dict]) -> None:
    frame = pd.DataFrame({"metric": ["auc", "sensitivity"], "estimate": [0.9, 0.8]})
    view = frame[frame.metric == "auc"]
    nb.table(frame, "table1", view=view, p_cols=[])
    assert len(pd.read_csv(nb.table_path("table1"))) == 2
    assert shown[0]["frame"] is view and shown[0]["p_cols"] == []


def test_table_passes_csv_options_to_the_writer(nb: NotebookRun, shown: list[dict]) -> None:
    nb.table(pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name="row")), "table1", index=True)
    assert pd.read_csv(nb.table_path("table1")).columns.tolist() == ["row", "a"]


def test_an_unknown_key_writes_nothing(nb: NotebookRun, shown: list[dict]) -> None:
    with pytest.raises(KeyError, match="no table with key 'no_such_table'"):
        nb.table(pd.DataFrame({"a": [1]}), "no_such_table")
    assert not shown and not list(nb.paths.root.rglob("*.csv"))
