"""Prose computed by the run: Markdown text filled with the run's values, shown as a notebook's output.

A notebook's Markdown cells are written before the run and so hold no result (``tests/run/test_markdown_numbers.py``
checks that they state no number that is not the paper's). Where the text has to say what the run found, a code
cell renders it from the run's tables, in the spirit of Jupyter Book's ``glue``:

    nb.say("The stage-2 validation AUC is {auc:.3f} (P {p:p}): {verdict}.", auc=0.71, p=0.004, verdict="...")

``say`` formats the values with :class:`RunFormatter` and shows the result as Markdown (``text/markdown``, which
nbconvert renders as the page's own text, not as a code output). The format specifications beyond Python's own:

``p``
    a P value in the report's style (:func:`gvisage_lib.paper.numbers.format_p`: ``<.001``, ``.004``, ``.03``);
``ci``
    a tuple ``(estimate, low, high)`` as ``0.705 (0.590–0.760)`` (3 decimals; `` to `` between negative bounds);
``pct``
    a proportion as a percentage with one decimal (``0.913`` -> ``91.3%``);
no specification
    a float with 3 decimals, an int as is, anything else by ``str``; a missing value (None, NaN) as ``n/a``.

Values are escaped for Markdown (``*``, ``_``, backquote, ``[``, ``]``, ``<`` in a value never turn into markup).
:func:`markdown_table` writes a small frame as a Markdown table for the same purpose.

Examples
--------
>>> say_text("AUC {a} (P {p:p}), {r:ci}, {s:pct}, {n}", a=0.7051, p=0.0004, r=(0.7, 0.6, 0.8), s=0.9133, n=12)
'AUC 0.705 (P <.001), 0.700 (0.600–0.800), 91.3%, 12'
>>> say_text("{x}", x=float("nan")), say_text("{name}", name="a_b*")
('n/a', 'a\\\\_b\\\\*')
"""

from __future__ import annotations

import math
import string
from typing import Any

import pandas as pd

__all__ = ["Markdown", "RunFormatter", "markdown_table", "say", "say_text"]

_ESCAPE = {c: "\\" + c for c in "\\`*_[]<>|"}


def _escape(text: str) -> str:
    return "".join(_ESCAPE.get(c, c) for c in text)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


class RunFormatter(string.Formatter):
    """``str.format`` with the report's number formats (``p``, ``ci``, ``pct``; see the module docstring)."""

    def format_field(self, value: Any, format_spec: str) -> str:  # noqa: D102 (documented above)
        from gvisage_lib.paper.numbers import format_p

        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            try:
                value = value.item()  # numpy scalars
            except (ValueError, AttributeError):
                pass
        if format_spec == "ci":
            est, lo, hi = value
            if _missing(est):
                return "n/a"
            if _missing(lo) or _missing(hi):
                return f"{float(est):.3f}"
            sep = "–" if float(lo) >= 0 and float(hi) >= 0 else " to "
            return f"{float(est):.3f} ({float(lo):.3f}{sep}{float(hi):.3f})"
        if _missing(value):
            return "n/a"
        if format_spec == "p":
            return format_p(float(value))
        if format_spec == "pct":
            return f"{100 * float(value):.1f}%"
        if format_spec == "" and isinstance(value, float):
            return f"{value:.3f}"
        if format_spec == "" and isinstance(value, str):
            return _escape(value)
        return super().format_field(value, format_spec)


class Markdown(str):
    """Markdown text that a notebook shows as Markdown (``text/markdown``) and prints as itself."""

    def _repr_markdown_(self) -> str:
        return str(self)


def say_text(template: str, /, **values: Any) -> Markdown:
    """``template`` filled with ``values`` by :class:`RunFormatter`, as :class:`Markdown` (not shown).

    Raises
    ------
    KeyError
        Naming the placeholder of ``template`` that no value fills.
    """
    try:
        return Markdown(RunFormatter().format(template, **values))
    except KeyError as exc:
        raise KeyError(f"template placeholder {exc.args[0]!r} has no value; given: {sorted(values)}") from None


def say(template: str, /, **values: Any) -> None:
    """Show ``template`` filled with ``values`` as Markdown in the notebook (see the module docstring)."""
    from IPython.display import display

    display(say_text(template, **values))


def markdown_table(frame: pd.DataFrame, columns: dict[str, str] | None = None) -> Markdown:
    """A small frame as a Markdown table; ``columns`` maps (and selects) column names to their headings.

    Cells are formatted as :func:`say_text` formats a value without a specification.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"a": [0.12345], "b": ["x"]}), {"b": "B", "a": "A"}))
    | B | A |
    |---|---|
    | x | 0.123 |
    """
    cols = columns or {c: str(c) for c in frame.columns}
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the frame (it has {list(frame.columns)})")
    fmt = RunFormatter()
    lines = ["| " + " | ".join(_escape(h) for h in cols.values()) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(fmt.format_field(row[c], "") for c in cols) + " |")
    return Markdown("\n".join(lines))
