"""The skipped form of the stage-2 model outputs: what notebook 05 writes, with the reason, when a cohort cannot
support the clinical and hybrid models (too few subjects, absent clinical columns, no estimate).

A skipped bundle (:meth:`gvisage_lib.clinical.hybrid.HybridFits.skipped`) carries an empty score table that names
the reason (``scores.attrs["skipped"]``); every consumer of the scores or of a table made from them returns
:func:`skipped_table` (a table) or :func:`skipped_figure` (a figure) with that reason instead of an error.

Examples
--------
>>> t = skipped_table("too few subjects")
>>> skip_reason(t), skip_reason(skipped_scores("no column tsh")), skip_reason(t.iloc[:0])
('too few subjects', 'no column tsh', '')
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

#: Columns of the table written in place of each model table when the models are skipped.
SKIPPED_COLUMNS: tuple[str, ...] = ("skipped", "reason")
#: Columns of a stage-2 score table (long: one row per subject and model).
SCORE_COLUMNS: tuple[str, ...] = ("subject_id", "split", "model", "label", "score")


def skipped_table(reason: str) -> pd.DataFrame:
    """The one-row table written in place of a model table that was not computed, with the reason.

    Examples
    --------
    >>> skipped_table("too few subjects").values.tolist()
    [[True, 'too few subjects']]
    """
    if not str(reason):
        raise ValueError("reason must say why the table was skipped, got an empty string")
    return pd.DataFrame({"skipped": [True], "reason": [str(reason)]}, columns=list(SKIPPED_COLUMNS))


def skipped_scores(reason: str) -> pd.DataFrame:
    """An empty stage-2 score table (:data:`SCORE_COLUMNS`) that carries why it is empty in ``attrs["skipped"]``.

    Row selections of it keep the reason (pandas carries ``attrs`` through them).

    Examples
    --------
    >>> s = skipped_scores("too few subjects")
    >>> len(s), s[s.split != "train"].attrs["skipped"]
    (0, 'too few subjects')
    """
    if not str(reason):
        raise ValueError("reason must say why the models were skipped, got an empty string")
    out = pd.DataFrame({c: pd.Series(dtype=float if c in ("label", "score") else object) for c in SCORE_COLUMNS})
    out.attrs["skipped"] = str(reason)
    return out


def skip_reason(table: object) -> str:
    """Why ``table`` stands for skipped models ("" when it does not): a :func:`skipped_table` or a score table of
    :func:`skipped_scores` (or a row selection of one).

    Examples
    --------
    >>> skip_reason(pd.DataFrame({"model": ["m"], "score": [0.5]}))
    ''
    """
    if not isinstance(table, pd.DataFrame):
        return ""
    if list(table.columns) == list(SKIPPED_COLUMNS) and len(table):
        return str(table["reason"].iloc[0])
    return str(table.attrs.get("skipped", "") or "")


def skipped_figure(reason: str, title: str) -> Figure:
    """A figure that says, under ``title``, that it was not drawn and why.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> skipped_figure("too few subjects", "Calibration").axes[0].get_title()
    'Calibration'
    """
    fig = Figure(figsize=(5, 2.2))
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, f"Not drawn: the models were skipped.\n{reason}", ha="center", va="center", wrap=True,
            transform=ax.transAxes)
    return fig
