"""How the notebooks show tables and figures: rounded numbers, APA-style P values, short views, numbered captions.

The saved CSVs keep full precision; only what a reader sees in a rendered notebook is formatted here:

* **P values** (a column named ``p``, ``p_value``, ``p_<x>``, ``<x>_p`` or ``<x>_p_<y>``, see :func:`p_columns`) as
  in APA style: ``<.001``, three decimals below .01 (``.004``), else two (``.03``), ``>.99`` at the top, no leading
  zero. A column that holds text already (the paper's printed ``.31``) is left as it is.
* **Other numbers** with as many decimals as their magnitude needs (:func:`decimals_for`, per value): 3 below 10
  (AUCs, z), 2 below 100, 1 below 1000, none above; a float column holding whole numbers only is shown as integers.
  Missing values are blank.
* **Confidence intervals** beside their estimate: ``x``, ``x_ci_low``, ``x_ci_high`` (or ``x``, ``ci_low``,
  ``ci_high``) become one column ``x (CI)`` reading ``0.705 (0.590–0.760)`` (:func:`merge_ci`).
* **Long tables** as a short view: the first ``max_rows`` rows, a line saying how many there are, and a relative link
  to the full CSV (``../tables/<name>.csv`` from the notebook's HTML in ``<run>/html/``, so the run folder can be moved
  or zipped). No column is ever dropped; text longer than :data:`WRAP_AFTER` characters wraps in its cell, numbers and
  short text never break (the page's CSS, ``gvisage_lib/run/templates/gvisage.css``).
* **Figures** inline with their numbered caption (:func:`gvisage_lib.paper.index.figure_caption`) and links to the
  300-dpi PNG and the PDF; the figure is closed afterwards, so it is shown once.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"variable": ["age", "sex"], "auc": [0.94213, 0.5], "n": [36.0, 19.0],
...                       "p_value": [3.2e-29, 0.0312]})
>>> display_frame(frame)
  variable    auc   n p_value
0      age  0.942  36   <.001
1      sex  0.500  19     .03
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["WRAP_AFTER", "ci_pairs", "decimals_for", "display_frame", "format_number", "format_p", "merge_ci",
           "p_columns", "show_figure", "show_table", "table_html"]

_P_NAME = re.compile(r"(^|_)p($|_)|^p_?value|pvalue", re.IGNORECASE)


def format_p(p: Any) -> str:
    """A P value as APA style writes it: ``"<.001"``, ``".004"``, ``".03"``, ``">.99"``; blank when missing.

    Parameters
    ----------
    p : float or None
        The P value, in [0, 1].

    Examples
    --------
    >>> [format_p(v) for v in (3.17e-29, 0.0042, 0.0312, 0.5, 0.996, float("nan"))]
    ['<.001', '.004', '.03', '.50', '>.99', '']
    >>> format_p(1.2)
    Traceback (most recent call last):
    ...
    ValueError: p must be in [0, 1], got 1.2
    """
    if p is None or (isinstance(p, float) and math.isnan(p)) or p is pd.NA:
        return ""
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    if value < 0.001:
        return "<.001"
    text = f"{value:.3f}" if value < 0.01 else f"{value:.2f}"
    if text in ("1.00", "1.000"):
        return ">.99"
    return text.lstrip("0")


def p_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` that hold P values, by name (``p``, ``p_value``, ``p_holm``, ``paper_p``, ...).

    Examples
    --------
    >>> p_columns(pd.DataFrame(columns=["p_value", "paper_p", "p_holm", "this_run_p", "pct_photos", "ppv", "P (BH)"]))
    ['p_value', 'paper_p', 'p_holm', 'this_run_p']
    >>> p_columns(pd.DataFrame(columns=pd.MultiIndex.from_tuples([("Training", "iGCT"), ("Training", "P")])))
    [('Training', 'P')]
    """
    def last(name: Any) -> Any:  # a column of a MultiIndex (("Training", "P")) is named by its last level
        return name[-1] if isinstance(name, tuple) and name else name

    return [c for c in frame.columns if isinstance(last(c), str) and _P_NAME.search(last(c))]


def decimals_for(value: float) -> int:
    """Decimals to show for a number: 3 below 10 in absolute value, 2 below 100, 1 below 1000, else 0.

    Decided per value, not per column: a column that mixes counts, means and proportions (the paper's Table 1
    numbers) keeps the precision of each.

    Examples
    --------
    >>> decimals_for(0.942), decimals_for(-16.95), decimals_for(249.1), decimals_for(1016.0)
    (3, 2, 1, 0)
    """
    top = abs(float(value))
    return 3 if top < 10 else 2 if top < 100 else 1 if top < 1000 else 0


def format_number(value: Any) -> str:
    """A number for reading (:func:`decimals_for` decimals); blank when missing.

    Examples
    --------
    >>> [format_number(v) for v in (0.94213, 17.974615, 358.0, 12345.6, float("nan"), float("inf"))]
    ['0.942', '17.97', '358.0', '12346', '', 'inf']
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    return str(v) if math.isinf(v) else f"{v:.{decimals_for(v)}f}"


def _is_float(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and not isinstance(v, bool)


def _format_number_column(col: pd.Series, is_p: bool) -> pd.Series:
    if is_p:
        return col.map(format_p)
    finite = col[np.isfinite(col.astype(float))]
    if len(finite) and np.all(np.equal(np.mod(finite.astype(float), 1), 0)) and finite.abs().max() < 1e15:
        return col.map(lambda v: "" if pd.isna(v) else f"{int(v):d}")
    return col.map(format_number)


def _format_object_column(col: pd.Series, is_p: bool) -> pd.Series:
    def one(v: Any) -> Any:
        if v is None or v is pd.NA or (_is_float(v) and math.isnan(v)):
            return ""
        if _is_float(v):
            return format_p(v) if is_p and 0 <= v <= 1 else format_number(v)
        return v

    return col.map(one)


def ci_pairs(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(estimate, low, high)`` column triples of ``frame``: ``x, x_ci_low, x_ci_high`` and ``x, ci_low, ci_high``
    (``x`` the numeric column just before ``ci_low``).

    Examples
    --------
    >>> cols = ["model", "estimate", "ci_low", "ci_high", "auc", "auc_ci_low", "auc_ci_high"]
    >>> ci_pairs(pd.DataFrame([["m", 0.5, 0.4, 0.6, 0.7, 0.6, 0.8]], columns=cols))
    [('estimate', 'ci_low', 'ci_high'), ('auc', 'auc_ci_low', 'auc_ci_high')]
    """
    cols = [c for c in frame.columns if isinstance(c, str)]
    out = []
    for c in cols:
        if c.endswith("_ci_low") and c[:-7] in cols and f"{c[:-7]}_ci_high" in cols:
            out.append((c[:-7], c, f"{c[:-7]}_ci_high"))
    if "ci_low" in cols and "ci_high" in cols:
        i = list(frame.columns).index("ci_low")
        before = frame.columns[i - 1] if i > 0 else None
        if isinstance(before, str) and pd.api.types.is_numeric_dtype(frame[before]):
            out.insert(0, (before, "ci_low", "ci_high"))
    return out


def _with_ci(est: Any, lo: Any, hi: Any) -> str:
    text = format_number(est)
    if not text or any(v is None or pd.isna(v) for v in (lo, hi)):
        return text
    sep = "–" if float(lo) >= 0 and float(hi) >= 0 else " to "
    return f"{text} ({format_number(lo)}{sep}{format_number(hi)})"


def merge_ci(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each estimate and its CI bounds (:func:`ci_pairs`) in one column ``"<x> (CI)"`` of text.

    Three numbers that belong together are read together, and a wide table loses two columns per estimate; no value
    is dropped. Bounds with a negative number are joined by "to" (a dash would read as a minus).

    Examples
    --------
    >>> merge_ci(pd.DataFrame({"r": [-0.5381], "ci_low": [-0.786], "ci_high": [-0.143], "n": [40]}))
    ... # doctest: +NORMALIZE_WHITESPACE
                      r (CI)   n
    0  -0.538 (-0.786 to -0.143)  40
    """
    out = frame.copy()
    for est, lo, hi in ci_pairs(frame):
        pos = list(out.columns).index(est)
        merged = [_with_ci(e, a, b) for e, a, b in zip(frame[est], frame[lo], frame[hi])]
        out = out.drop(columns=[est, lo, hi])
        out.insert(pos, f"{est} (CI)", merged)
    return out


def display_frame(frame: pd.DataFrame, *, p_cols: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every number formatted for reading (strings); the index is kept.

    Parameters
    ----------
    frame : pandas.DataFrame
    p_cols : iterable of str, optional
        The P-value columns (default :func:`p_columns`); their numbers are formatted by :func:`format_p`.

    Examples
    --------
    >>> display_frame(pd.DataFrame({"z": [-1.23456, 12.5], "p_holm": [0.00012, 1.0], "note": ["a", None],
    ...                             "mixed": [17.974615, "n/a"]}))  # doctest: +NORMALIZE_WHITESPACE
           z p_holm note  mixed
    0  -1.235  <.001    a  17.97
    1  12.50    >.99        n/a
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    pset = set(p_columns(frame) if p_cols is None else p_cols)
    out = frame.copy()
    for i, name in enumerate(frame.columns):
        col = frame.iloc[:, i]
        if pd.api.types.is_bool_dtype(col):
            continue
        if pd.api.types.is_numeric_dtype(col):
            out.isetitem(i, _format_number_column(col.astype(float), name in pset))
        else:
            out.isetitem(i, _format_object_column(col.astype(object), name in pset))
    return out


#: Text longer than this wraps in its cell (class ``gv-wrap``); shorter text and numbers never break.
WRAP_AFTER = 40


def _cell_html(value: Any) -> str:
    text = html.escape(str(value))
    return f'<span class="gv-wrap">{text}</span>' if len(text) > WRAP_AFTER else text


def _label_html(label: Any) -> Any:
    # a column name like "this_run_ci_low" may break after its underscores where the page is narrow (print)
    return html.escape(label).replace("_", "_<wbr>") if isinstance(label, str) else label


def _relative(target: str | os.PathLike[str], html_dir: str | os.PathLike[str] | None) -> str:
    target = Path(target)
    if html_dir is None:
        return target.as_posix()
    return Path(os.path.relpath(target, html_dir)).as_posix()


def table_html(frame: pd.DataFrame, *, csv: str | os.PathLike[str] | None = None, max_rows: int = 15,
               caption: str = "", html_dir: str | os.PathLike[str] | None = None,
               p_cols: Iterable[str] | None = None, size_note: bool = True) -> str:
    """HTML of the short view of ``frame``: caption, the first ``max_rows`` rows formatted, a link to the full CSV.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (full precision).
    csv : path-like, optional
        The saved full table; linked relative to ``html_dir``.
    max_rows : int
        Rows shown; a longer table is cut to this many, and the line under it says so.
    caption : str
        Shown above the table.
    html_dir : path-like, optional
        Folder of the page the HTML ends up in (``<run>/html``); None links ``csv`` as given.
    p_cols : iterable of str, optional
        P-value columns (default :func:`p_columns`).
    size_note : bool
        Say the table's size under it when it is shown whole (a cut table always says how much is shown).

    Examples
    --------
    >>> frame = pd.DataFrame({"x": range(30)})
    >>> text = table_html(frame, csv="/run/tables/x.csv", max_rows=5, html_dir="/run/html")
    >>> "first 5 of 30 rows" in text, 'href="../tables/x.csv"' in text
    (True, True)
    >>> table_html(frame, max_rows=0)
    Traceback (most recent call last):
    ...
    ValueError: max_rows must be an integer >= 1, got 0
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(f"max_rows must be an integer >= 1, got {max_rows!r}")
    shown = display_frame(merge_ci(frame.head(max_rows)), p_cols=p_columns(frame) if p_cols is None else p_cols)
    # a plain row number (0, 1, ... or what is left of it after a filter) says nothing: hidden
    show_index = not (frame.index.nlevels == 1 and frame.index.name is None
                      and pd.api.types.is_integer_dtype(frame.index.dtype))
    shown = shown.map(_cell_html).rename(columns=_label_html, index=_label_html)
    body = shown.to_html(index=show_index, border=0, na_rep="", classes="gv-table", escape=False, notebook=False)
    parts = ['<div class="gv-table-wrap">']
    if caption:
        parts.append(f'<p class="gv-table-caption">{html.escape(caption)}</p>')
    parts.append(body)
    n, k = frame.shape
    note = (f"Showing the first {max_rows} of {n} rows ({k} columns)." if n > max_rows
            else f"{n} row{'s' if n != 1 else ''}, {k} column{'s' if k != 1 else ''}." if size_note else "")
    if csv is not None:
        href = _relative(csv, html_dir)
        note += f' Full table: <a href="{html.escape(href)}">{html.escape(Path(csv).name)}</a>.'
    if note:
        parts.append(f'<p class="gv-table-note">{note.strip()}</p>')
    parts.append("</div>")
    return "\n".join(parts)


def show_table(frame: pd.DataFrame, csv: str | os.PathLike[str] | None = None, *, max_rows: int = 15,
               caption: str = "", html_dir: str | os.PathLike[str] | None = None,
               p_cols: Iterable[str] | None = None) -> None:
    """Display the short view of ``frame`` (:func:`table_html`) in the notebook; return nothing (no echo).

    The plain-text fallback (a terminal, ``nbconvert --to script``) is the same view as text.
    """
    from IPython.display import display

    text = display_frame(frame.head(max_rows), p_cols=p_cols).to_string()
    display({"text/html": table_html(frame, csv=csv, max_rows=max_rows, caption=caption, html_dir=html_dir,
                                     p_cols=p_cols),
             "text/plain": text}, raw=True)


def show_figure(fig: Any, caption: str, *, files: Iterable[str | os.PathLike[str]] = (),
                html_dir: str | os.PathLike[str] | None = None) -> None:
    """Display ``fig`` inline with its numbered ``caption`` and links to its saved ``files``; then close it.

    Closing it keeps matplotlib's inline backend from showing it a second time at the end of the cell.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(fig)
    plt.close(fig)
    number, _, rest = caption.partition(". ")
    links = " · ".join(f'<a href="{html.escape(_relative(f, html_dir))}">{Path(f).suffix[1:].upper()}</a>'
                       for f in files)
    body = f"<b>{html.escape(number)}.</b> {html.escape(rest)}" if rest else html.escape(caption)
    display({"text/html": f'<p class="gv-caption">{body}{" (" + links + ")" if links else ""}</p>',
             "text/plain": caption}, raw=True)
