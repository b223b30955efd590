"""The twin's documented choices where the paper is silent, and the group sizes it draws.

``gvisage_lib/twin/data/twin_parameters.json`` holds every choice of the twin (dispersions, institutions, tumour types,
HPT-damage proportions and severities, the latent causes and their loadings, hCG); each section has a ``_note``, and
:mod:`gvisage_lib.twin.tabular` documents every number. The paper's
own numbers are in :mod:`gvisage_lib.paper`.

Examples
--------
>>> twin_parameters()["institutions"]["nc_site"]
'WYLF'
>>> group_sizes(1.0).loc[("validation", "NC")]
np.int64(100)
>>> int(group_sizes(0.01).min())
2
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from gvisage_lib import paper
from gvisage_lib.core import schema

_PARAMS_FILE = "twin_parameters.json"


@lru_cache(maxsize=1)
def _params_cached() -> str:
    return resources.files("gvisage_lib.twin.data").joinpath(_PARAMS_FILE).read_text(encoding="utf-8")


def twin_parameters() -> dict[str, Any]:
    """The twin's documented choices (a fresh dict parsed from ``twin_parameters.json``).

    Examples
    --------
    >>> twin_parameters()["institutions"]["nc_site"]
    'WYLF'
    """
    return json.loads(_params_cached())


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def group_sizes(scale: float = 1.0) -> pd.Series:
    """Number of subjects per (split, group) at ``scale`` times the paper's sizes (docs/paper.md).

    Each cell is rounded half up and kept at 2 or more, so every split keeps the classes of both stages. Computed
    once per process and scale (a fresh copy is returned).

    Parameters
    ----------
    scale : float
        Multiplier of the paper's group sizes; must be positive.

    Returns
    -------
    pandas.Series
        Integer counts indexed by ``(split, group)``, in :data:`schema.SPLITS` x :data:`schema.GROUPS` order.

    Examples
    --------
    >>> int(group_sizes(1.0).sum())
    1395
    >>> group_sizes(0.1).loc[("test", "iGCT")]
    np.int64(8)
    """
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return _group_sizes_cached(float(scale)).copy()


@lru_cache(maxsize=8)
def _group_sizes_cached(scale: float) -> pd.Series:
    t = paper.table1()
    n = t[(t.variable == "n") & (t.statistic == "count")].set_index(["split", "group"])["value"]
    out = {(s, g): max(2, _round_half_up(float(n.loc[(s, g)]) * scale)) for s in schema.SPLITS for g in schema.GROUPS}
    idx = pd.MultiIndex.from_tuples(list(out), names=["split", "group"])
    return pd.Series(list(out.values()), index=idx, dtype="int64", name="n")


def implied_cv(variable: str) -> float:
    """Coefficient of variation that the paper's own Table 1 P values imply for ``variable`` (NaN if none).

    Table 1 gives means without SDs for duration, BMI and the hormones, together with a P value per split. With a
    common CV in both groups, a two-sided z test of the means would give that P when
    ``cv = |m1 - m2| / (z_{P/2} * sqrt(m1**2 / n1 + m2**2 / n2))``; the value returned is the median over the splits
    whose P is printed as a number (``"<.01"`` is read as .01).

    Examples
    --------
    >>> round(implied_cv("tsh"), 2)
    2.88
    >>> math.isnan(implied_cv("tt3"))
    True
    """
    from scipy import stats

    t = paper.table1()
    cvs = []
    for split in schema.SPLITS:
        rows = t[(t.split == split) & (t.variable == variable) & (t.statistic == "mean")].set_index("group")
        if not {"iGCT", "other"} <= set(rows.index):
            continue
        p = paper.parse_p(rows.loc["iGCT", "paper_p"])
        if not 0.0 < p < 1.0:
            continue
        n = t[(t.split == split) & (t.variable == "n")].set_index("group")["value"]
        m1, m2 = float(rows.loc["iGCT", "value"]), float(rows.loc["other", "value"])
        z = float(stats.norm.isf(p / 2.0))
        cvs.append(abs(m1 - m2) / (z * math.sqrt(m1**2 / float(n["iGCT"]) + m2**2 / float(n["other"]))))
    return float(pd.Series(cvs).median()) if cvs else math.nan


def effective_dispersions() -> dict[str, float]:
    """The CV the twin draws each continuous clinical variable with (``twin_parameters.json``, "dispersion_rule").

    ``cv = min(cap, max(chosen, implied))``: the chosen CV (from paediatric reference ranges) unless the paper's P
    values imply a larger spread (:func:`implied_cv`), capped. Variables listed as exempt keep the chosen CV.
    The values depend only on the packaged data, so they are computed once per process (a fresh dict is returned);
    the twin's generator asks for them in every cell, and the simulation (:mod:`gvisage_lib.simulation`) draws
    thousands of twins.

    Examples
    --------
    >>> d = effective_dispersions()
    >>> d["bmi"], d["tsh"]
    (0.18, 2.0)
    """
    return dict(_effective_dispersions_cached())


@lru_cache(maxsize=1)
def _effective_dispersions_cached() -> tuple[tuple[str, float], ...]:
    return tuple(_compute_effective_dispersions().items())


def _compute_effective_dispersions() -> dict[str, float]:
    params = twin_parameters()
    chosen = {k: float(v) for k, v in params["dispersions"].items() if not k.startswith("_")}
    rule = params["dispersion_rule"]
    out = {}
    for var, cv in chosen.items():
        imp = implied_cv(var)
        if var in rule["exempt"] or math.isnan(imp):
            out[var] = cv
        else:
            out[var] = round(min(float(rule["cap"]), max(cv, imp)), 4)
    return out
