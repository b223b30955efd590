"""Prose filled from the run (gvisage_lib.run.glue): formats, escaping, the Markdown it shows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gvisage_lib.run.glue import Markdown, markdown_table, say, say_text


def test_formats() -> None:
    assert say_text("{p:p} {q:p} {r:p}", p=0.0004, q=0.0312, r=0.72) == "<.001 .03 .72"
    assert say_text("{x:ci}", x=(-0.5, -0.8, -0.1)) == "-0.500 (-0.800 to -0.100)"
    assert say_text("{x:ci}", x=(0.7, math.nan, 0.8)) == "0.700"
    assert say_text("{s:pct} {n} {f} {g:.1f}", s=0.05, n=7, f=0.12345, g=2.25) == "5.0% 7 0.123 2.2"
    assert say_text("{x} {y:p}", x=None, y=math.nan) == "n/a n/a"


def test_numpy_scalars_format_as_numbers() -> None:
    import numpy as np

    assert say_text("{a} {b:p}", a=np.float64(0.5), b=np.float32(0.002)) == "0.500 .002"


def test_values_cannot_inject_markup() -> None:
    assert say_text("{name}", name="*bold* [link](x) <b>") == "\\*bold\\* \\[link\\](x) \\<b\\>"


def test_missing_value_names_the_placeholder() -> None:
    with pytest.raises(KeyError, match="'auc' has no value"):
        say_text("AUC {auc}", p=0.1)


def test_say_displays_markdown(capsys: pytest.CaptureFixture) -> None:
    text = say_text("AUC {a}", a=0.71)
    assert isinstance(text, Markdown) and text._repr_markdown_() == "AUC 0.710"
    say("AUC {a}", a=0.71)  # outside a kernel, IPython's display prints the text
    assert "AUC 0.710" in capsys.readouterr().out


def test_markdown_table() -> None:
    t = markdown_table(pd.DataFrame({"test": ["a_b"], "p": [0.5]}), {"test": "Test", "p": "Rate"})
    assert t.splitlines() == ["| Test | Rate |", "|---|---|", "| a\\_b | 0.500 |"]
    with pytest.raises(KeyError, match="not in the frame"):
        markdown_table(pd.DataFrame({"a": [1]}), {"b": "B"})
