"""How the notebooks show tables and figures: words for names, one number and P-value format, numbered captions.

The saved CSVs keep full precision and their identifiers; only what a reader sees in a rendered notebook (and on the
run's ``index.html``) is formatted here, by the rules of :mod:`gvisage_lib.core.labels`:

* **Names** of columns and levels in words (:func:`gvisage_lib.core.labels.label`: ``this_run_se`` -> "This run,
  SE", ``fourth_ventricle`` -> "Fourth ventricle", ``True`` -> "yes"); checkpoint hashes shortened; identifiers
  (``subject_id``) as they are.
* **P values** (a column named ``p``, ``p_value``, ``p_<x>``, ``<x>_p`` or ``<x>_p_<y>``, see :func:`p_columns`) in
  the report's one P format (:func:`gvisage_lib.core.labels.format_p`): ``<.001``, ``.004``, ``.03``, ``>.99``. A
  column that holds text already (the paper's printed ``.31``) is left as it is.
* **Other numbers**: a column of whole numbers as integers ("358", never "358.0"); a column whose values all lie in
  [-1, 1] (AUCs, proportions, correlations) with 3 decimals; any other number by its magnitude (2 decimals below
  100, 1 below 1000, none above). Missing values are blank.
* **Confidence intervals** beside their estimate: ``x``, ``x_ci_low``, ``x_ci_high`` (or ``x``, ``ci_low``,
  ``ci_high``, ``x`` the estimate before them, never a P value or an SE) become one column "X (95% CI)" reading
  ``0.705 (0.590–0.760)`` (:func:`merge_ci`).
* **Layout**: text left-aligned, numbers right-aligned on their decimal point (tabular figures); Table 1's levels
  indented under their variable, its sections as headings; a numbered caption above each table ("Table 3." for the
  paper's, "Table S12." for this package's: :func:`gvisage_lib.paper.index.table_caption`); a wide table scrolls on
  screen and shrinks to the page in print (``gvisage_lib/run/templates/gvisage.css``).
* **Long tables** as a short view: the first ``max_rows`` rows, a line saying how many there are, and a relative link
  to the full CSV (``../tables/<name>.csv`` from the notebook's HTML in ``<run>/html/``, so the run folder can be moved
  or zipped). No column is ever dropped.
* **Figures** inline with their numbered caption (:func:`gvisage_lib.paper.index.figure_caption`) and links to the
  300-dpi PNG and the PDF; the figure is closed afterwards, so it is shown once.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"variable": ["age", "sex"], "auc": [0.94213, 0.5], "n": [36.0, 19.0],
...                       "p_value": [3.2e-29, 0.0312]})
>>> display_frame(frame)
  Variable    AUC   n      P
0      age  0.942  36  <.001
1      Sex  0.500  19    .03
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

from gvisage_lib.core.labels import decimals_for, format_number, format_p, label, shorten_hash
from gvisage_lib.core.validation import check_int

__all__ = ["WRAP_AFTER", "ci_pairs", "display_frame", "format_number", "format_p", "merge_ci", "p_columns",
           "show_figure", "show_table", "table_caption_for", "table_html"]

_P_NAME = re.compile(r"(^|_)p($|_)|^p_?value|pvalue", re.IGNORECASE)


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


def _is_float(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and not isinstance(v, bool)


def _unit_decimals(values: Any) -> int | None:
    """3 when every finite value lies in [-1, 1] (AUCs, proportions, correlations: one precision down the column),
    else None (each value by its magnitude, :func:`gvisage_lib.core.labels.decimals_for`)."""
    arr = np.asarray(pd.to_numeric(pd.Series(values, dtype=object), errors="coerce"), dtype=float)
    arr = arr[np.isfinite(arr)]
    return 3 if len(arr) and np.all(np.abs(arr) <= 1) and not np.all(np.mod(arr, 1) == 0) else None


def _format_number_column(col: pd.Series, is_p: bool) -> pd.Series:
    if is_p:
        return col.map(lambda v: format_p(v, missing=""))
    finite = col[np.isfinite(col.astype(float))]
    if len(finite) and np.all(np.equal(np.mod(finite.astype(float), 1), 0)) and finite.abs().max() < 1e15:
        return col.map(lambda v: "" if pd.isna(v) else f"{int(v):d}")
    decimals = _unit_decimals(col)
    return col.map(lambda v: format_number(v, decimals))


def _is_id_column(name: Any) -> bool:
    text = str(name[-1] if isinstance(name, tuple) and name else name).lower()
    # values a reader must find as they are spelled (a manifest's column to fix, a file, a subject)
    return text.endswith("id") or text.startswith("photo") or text in ("path", "file", "column", "key", "name",
                                                                        "table", "field")


def _format_object_column(col: pd.Series, is_p: bool, *, labels: bool = True, ident: bool = False) -> pd.Series:
    floats = [v for v in col if _is_float(v)]
    decimals = _unit_decimals(floats) if floats else None

    def one(v: Any) -> Any:
        if v is None or v is pd.NA or (_is_float(v) and math.isnan(v)):
            return ""
        if _is_float(v):
            return format_p(v, missing="") if is_p and 0 <= v <= 1 else format_number(v, decimals)
        if isinstance(v, str) and _HEX.fullmatch(v):
            return shorten_hash(v)
        return v if ident or not labels else label(v)

    return col.map(one)


_HEX = re.compile(r"[0-9a-f]{32,}")
#: Estimates whose CI is spelled ``<alias>_ci_low``/``<alias>_ci_high`` (``or_ci_low`` is the odds ratio's).
_CI_ALIAS = {"or": "odds_ratio"}
#: Columns that are never the estimate of a following ``ci_low``/``ci_high`` pair.
_NOT_ESTIMATE = re.compile(r"^(se|z|t|df|n|statistic|stat|chi2)$|(^|_)p($|_)|^p_?value", re.IGNORECASE)


def ci_pairs(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(estimate, low, high)`` column triples of ``frame``: ``x, x_ci_low, x_ci_high`` and ``x, ci_low, ci_high``.

    For ``ci_low, ci_high`` the estimate is the nearest numeric column before ``ci_low`` that is not a standard
    error, a test statistic or a P value (``coef, se, z, p_value, ci_low, ci_high``: the CI is the coefficient's).

    Examples
    --------
    >>> cols = ["model", "estimate", "ci_low", "ci_high", "auc", "auc_ci_low", "auc_ci_high"]
    >>> ci_pairs(pd.DataFrame([["m", 0.5, 0.4, 0.6, 0.7, 0.6, 0.8]], columns=cols))
    [('estimate', 'ci_low', 'ci_high'), ('auc', 'auc_ci_low', 'auc_ci_high')]
    >>> cols = ["coef", "se", "z", "p_value", "ci_low", "ci_high", "odds_ratio", "or_ci_low", "or_ci_high"]
    >>> ci_pairs(pd.DataFrame([[0.3, 0.1, 3.0, 0.003, 0.1, 0.5, 1.35, 1.1, 1.6]], columns=cols))
    [('coef', 'ci_low', 'ci_high'), ('odds_ratio', 'or_ci_low', 'or_ci_high')]
    """
    cols = [c for c in frame.columns if isinstance(c, str)]
    out = []
    for c in cols:
        stem = c[:-7]
        if c.endswith("_ci_low") and f"{stem}_ci_high" in cols:
            est = stem if stem in cols else _CI_ALIAS.get(stem)
            if est in cols:
                out.append((est, c, f"{stem}_ci_high"))
    if "ci_low" in cols and "ci_high" in cols:
        before = list(frame.columns)[:list(frame.columns).index("ci_low")]
        for name in reversed(before):
            if isinstance(name, str) and pd.api.types.is_numeric_dtype(frame[name]) \
                    and not _NOT_ESTIMATE.search(name):
                out.insert(0, (name, "ci_low", "ci_high"))
                break
    return out


def _with_ci(est: Any, lo: Any, hi: Any, decimals: int | None = None) -> str:
    if any(v is None or pd.isna(v) for v in (est, lo, hi)):
        return format_number(est, decimals)
    if decimals is None:  # an estimate and its bounds with one precision, that of the largest
        decimals = decimals_for(max(abs(float(est)), abs(float(lo)), abs(float(hi))))
    text = format_number(est, decimals)
    sep = "–" if float(lo) >= 0 and float(hi) >= 0 else " to "
    return f"{text} ({format_number(lo, decimals)}{sep}{format_number(hi, decimals)})"


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
        decimals = _unit_decimals(pd.concat([frame[est], frame[lo], frame[hi]]).astype(object))
        merged = [_with_ci(e, a, b, decimals) for e, a, b in zip(frame[est], frame[lo], frame[hi])]
        out = out.drop(columns=[est, lo, hi])
        out.insert(pos, f"{est} (CI)", merged)
    return out


def _label_column(name: Any) -> Any:
    if isinstance(name, str) and name.endswith(" (CI)"):
        return f"{label(name[:-5], column=True)} (95% CI)"
    return label(name, column=True)


def display_frame(frame: pd.DataFrame, *, p_cols: Iterable[str] | None = None, labels: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` with every number formatted for reading (strings) and, with ``labels``, its column
    names, index names and levels in words (:func:`gvisage_lib.core.labels.label`).

    Parameters
    ----------
    frame : pandas.DataFrame
    p_cols : iterable of str, optional
        The P-value columns (default :func:`p_columns`); their numbers are formatted by :func:`format_p`.
    labels : bool, default True
        Name columns and levels in words; booleans read "yes"/"no"; long hex digests (checkpoint hashes) are
        shortened. Identifier columns (``subject_id``, photo paths) keep their values.

    Examples
    --------
    >>> display_frame(pd.DataFrame({"z": [-1.23456, 12.5], "p_holm": [0.00012, 1.0], "note": ["a", None],
    ...                             "mixed": [17.974615, "n/a"]}))  # doctest: +NORMALIZE_WHITESPACE
           z P (Holm) Note  Mixed
    0  -1.23    <.001    a  17.97
    1  12.50     >.99        n/a
    >>> display_frame(pd.DataFrame({"split": ["test"], "recovered": [False], "auc": [0.9]}))
         Split Recovered    AUC
    0  Testing        no  0.900
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    pset = set(p_columns(frame) if p_cols is None else p_cols)
    out = frame.copy()
    for i, name in enumerate(frame.columns):
        col = frame.iloc[:, i]
        if pd.api.types.is_bool_dtype(col):
            out.isetitem(i, col.map(label) if labels else col)
        elif pd.api.types.is_numeric_dtype(col):
            out.isetitem(i, _format_number_column(col.astype(float), name in pset))
        else:
            out.isetitem(i, _format_object_column(col.astype(object), name in pset, labels=labels,
                                                  ident=_is_id_column(name)))
    if labels:
        out.columns = (pd.MultiIndex.from_tuples([_label_column(c) for c in out.columns], names=out.columns.names)
                       if isinstance(out.columns, pd.MultiIndex) else [_label_column(c) for c in out.columns])
        out.columns.names = [label(n, column=True) for n in out.columns.names]
        if not pd.api.types.is_numeric_dtype(out.index.dtype) or isinstance(out.index, pd.MultiIndex):
            out.index = out.index.map(label)
        out.index.names = [label(n, column=True) for n in out.index.names]
    return out


#: Text longer than this wraps in its cell (class ``gv-wrap``); shorter text and numbers never break.
WRAP_AFTER = 40
#: A table of more columns than this prints in a smaller font (class ``gv-wide``), so that it fits the page.
WIDE_AFTER = 10
#: A cell that reads as a number: a number, a P value (``"<.001"``), a number with its CI or its percentage.
_NUMERIC_CELL = re.compile(r"^[<>]?[-−]?(\d+(\.\d+)?|\.\d+)( \(.*\))?%?$|^—$")
_PLAIN_NUMBER = re.compile(r"^([<>]?[-−]?\d*)(\.(\d+))?$")
#: Figure space and punctuation space: as wide as a digit and as a decimal point in tabular numbers.
_DIGIT_SPACE, _POINT_SPACE = "\u2007", "\u2008"
_LEVEL_INDENT = "\u00a0" * 4


def _align_decimals(texts: list[str]) -> list[str]:
    """Pad plain numbers on the right with figure spaces so that, right-aligned, their decimal points line up."""
    parts = [_PLAIN_NUMBER.match(t) if t else None for t in texts]
    width = max((len(m[3] or "") for m in parts if m and (m[1] or m[3])), default=0)
    if not width:
        return texts
    out = []
    for t, m in zip(texts, parts):
        if m and (m[1] or m[3]):
            decimals = len(m[3] or "")
            t += (_POINT_SPACE if not m[2] else "") + _DIGIT_SPACE * (width - decimals)
        out.append(t)
    return out


def _cell_html(value: Any) -> str:
    raw = str(value)
    if raw.startswith(_LEVEL_INDENT):  # a level under its variable (Table 1)
        return f'<span class="gv-level">{html.escape(raw.lstrip(chr(0xa0)))}</span>'
    text = html.escape(raw)
    if _NUMERIC_CELL.match(raw.strip(_DIGIT_SPACE + _POINT_SPACE)):
        return f'<span class="gv-num">{text}</span>'
    return f'<span class="gv-wrap">{text}</span>' if len(text) > WRAP_AFTER else text


def _label_html(name: Any) -> Any:
    # a long column name may break after its words where the page is narrow (print)
    return html.escape(name).replace("_", "_<wbr>") if isinstance(name, str) else name


def _section_rows(shown: pd.DataFrame) -> pd.DataFrame:
    """Mark a row whose only text is in its first column (a section of Table 1) as a section heading."""
    if shown.shape[1] < 3:
        return shown
    rest = shown.iloc[:, 1:].astype(str).apply(lambda c: c.str.strip() == "")
    first = shown.iloc[:, 0].astype(str)
    heads = rest.all(axis=1) & (first.str.strip() != "") & ~first.str.startswith(_LEVEL_INDENT)
    out = shown.copy()
    out.iloc[heads.to_numpy(), 0] = [f'<span class="gv-section">{html.escape(t)}</span>' for t in first[heads]]
    return out


def _spanning_header(shown: pd.DataFrame) -> pd.DataFrame:
    """Columns named ``"<group>: <name>"`` after a first column (Table 1: ``"Training: iGCT (n=40)"``) under one
    spanning header per group, so that a wide table repeats no group name."""
    cols = list(shown.columns)
    if isinstance(shown.columns, pd.MultiIndex) or len(cols) < 3 \
            or not all(isinstance(c, str) and ": " in c for c in cols[1:]):
        return shown
    out = shown.copy()
    out.columns = pd.MultiIndex.from_tuples([("", cols[0]), *(tuple(c.split(": ", 1)) for c in cols[1:])])
    return out


def _relative(target: str | os.PathLike[str], html_dir: str | os.PathLike[str] | None) -> str:
    target = Path(target)
    if html_dir is None:
        return target.as_posix()
    return Path(os.path.relpath(target, html_dir)).as_posix()


def table_caption_for(csv: str | os.PathLike[str] | None, caption: str = "") -> str:
    """The caption a shown table gets: the numbered caption of its saved table (by the CSV's name, a key of
    :mod:`gvisage_lib.paper.index`), followed by ``caption`` (what this view shows); ``caption`` alone otherwise.

    Examples
    --------
    >>> table_caption_for("/run/tables/table3_hpt_strata.csv", "Stage 2, by stratum")
    'Table 3. Stage 2 by HPT-axis damage (validation). Stage 2, by stratum.'
    >>> table_caption_for(None, "The audit in brief"), table_caption_for("/tmp/elsewhere.csv")
    ('The audit in brief', '')
    """
    from gvisage_lib.paper.index import table_caption

    view = caption.strip()
    if view and view[-1] not in ".?!:":
        view += "."
    if csv is None:
        return caption
    try:
        numbered = table_caption(Path(csv).stem)
    except KeyError:
        return caption
    return f"{numbered} {view}".strip()


def table_html(frame: pd.DataFrame, *, csv: str | os.PathLike[str] | None = None, max_rows: int = 15,
               caption: str = "", html_dir: str | os.PathLike[str] | None = None,
               p_cols: Iterable[str] | None = None, size_note: bool = False) -> str:
    """HTML of the short view of ``frame``: numbered caption, the first ``max_rows`` rows formatted, a link to the
    full CSV.

    Text is left-aligned and numbers right-aligned on their decimal point (class ``gv-num``, tabular figures, padded
    by :func:`_align_decimals`); columns and levels are named in words (:func:`display_frame`); a level of Table 1
    is indented under its variable and a section row set as a heading.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (full precision).
    csv : path-like, optional
        The saved full table; linked relative to ``html_dir``. Its name numbers the caption
        (:func:`table_caption_for`).
    max_rows : int
        Rows shown; a longer table is cut to this many, and the line under it says so.
    caption : str
        What this view shows, after the numbered caption of the saved table.
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
    >>> "Table 1." in table_html(frame, csv="/run/tables/table1_paper_layout.csv")
    True
    >>> table_html(frame, max_rows=0)
    Traceback (most recent call last):
    ...
    ValueError: max_rows must be a positive integer, got 0
    """
    check_int("max_rows", max_rows, minimum=1)
    merged = merge_ci(frame.head(max_rows))
    shown = display_frame(merged, p_cols=p_columns(merged) if p_cols is None else p_cols)
    # a plain row number (0, 1, ... or what is left of it after a filter) says nothing: hidden
    show_index = not (frame.index.nlevels == 1 and frame.index.name is None
                      and pd.api.types.is_integer_dtype(frame.index.dtype))
    for i in range(shown.shape[1]):
        shown.isetitem(i, _align_decimals(shown.iloc[:, i].astype(str).tolist()))
    shown = _section_rows(shown.map(_cell_html))
    shown = _spanning_header(shown.rename(columns=_label_html, index=_label_html))
    body = shown.to_html(index=show_index, border=0, na_rep="", classes="gv-table", escape=False, notebook=False)
    # a table of many columns gets a smaller print font (class gv-wide), so that it fits the printed page
    wide = shown.shape[1] + (shown.index.nlevels if show_index else 0) > WIDE_AFTER
    parts = [f'<div class="gv-table-wrap{" gv-wide" if wide else ""}">']
    title = table_caption_for(csv, caption)
    if title:
        number, sep, rest = title.partition(". ")
        head = (f"<b>{html.escape(number)}.</b> {html.escape(rest)}" if sep and number.startswith("Table ")
                else html.escape(title))
        parts.append(f'<p class="gv-table-caption">{head}</p>')
    parts.append(f'<div class="gv-table-scroll">{body}</div>')
    n, k = frame.shape
    note = (f"Showing the first {max_rows} of {n} rows." if n > max_rows
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

    The plain-text fallback (a terminal, ``nbconvert --to script``) is the same view as text, under its caption.
    """
    from IPython.display import display

    text = display_frame(merge_ci(frame.head(max_rows)), p_cols=p_cols).to_string()
    title = table_caption_for(csv, caption)
    display({"text/html": table_html(frame, csv=csv, max_rows=max_rows, caption=caption, html_dir=html_dir,
                                     p_cols=p_cols),
             "text/plain": f"{title}\n{text}" if title else text}, raw=True)


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
