"""Result objects shared by the statistics modules.

Every result is a frozen dataclass that prints as a small table (``str``), renders as an HTML table in a notebook
(``_repr_html_``) and converts to a tidy one-row :class:`pandas.DataFrame` with :meth:`StatResult.to_frame`, in the
manner of pingouin.

Examples
--------
>>> from gvisage_lib.stats import roc_auc_delong
>>> r = roc_auc_delong([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
>>> list(r.to_frame().columns)[:4]
['auc', 'variance', 'ci_low', 'ci_high']
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd


class StatResult:
    """Mixin for frozen dataclasses: tidy frame, plain-text and HTML display."""

    #: fields shown in ``str``/HTML (all dataclass fields that are scalars by default).
    _display_fields: tuple[str, ...] | None = None

    def _scalar_items(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        names = self._display_fields or tuple(f.name for f in dataclasses.fields(self))  # type: ignore[arg-type]
        for name in names:
            value = getattr(self, name)
            if isinstance(value, (int, float, str, bool)) or value is None:
                out[name] = value
        return out

    def to_dict(self) -> dict[str, Any]:
        """The scalar fields as a plain dict (arrays and matrices are left out)."""
        return self._scalar_items()

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy DataFrame of the scalar fields (index = the test's name)."""
        return pd.DataFrame([self._scalar_items()], index=[type(self).__name__.replace("Result", "")])

    def __str__(self) -> str:
        with pd.option_context("display.float_format", "{:.6g}".format, "display.width", 200):
            return f"{type(self).__name__}\n{self.to_frame().to_string()}"

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(float_format="{:.4g}".format)
