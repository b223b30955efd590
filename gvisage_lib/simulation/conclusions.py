"""What a reader of the paper should conclude from the simulation, in words computed from this run's rates.

Each rate of :func:`gvisage_lib.simulation.summary.simulation_tables` has a Monte-Carlo 95% CI. The verdict on a
rate compares that CI with the nominal value (:func:`rate_verdict`):

* a test's rejection rate under the null: **below its level** (the CI lies below alpha: conservative), **above its
  level** (anti-conservative), or **cannot tell from its level at R replicates** (the CI holds alpha);
* an interval's coverage: **below** or **above** the confidence level, or **cannot tell** likewise;
* a power: the rate and its CI, and whether it is told apart from the same test's rate under the null.

So at the quick profile's 100 replicates many verdicts are "cannot tell", which is what 100 replicates can say;
the paper profile's 1,000 replicates narrow the CIs. :func:`conclusions` writes the notebook's closing section from
these verdicts as Markdown (shown with :func:`gvisage_lib.run.glue.say`).

Examples
--------
>>> rate_verdict(0.003, 0.0001, 0.016, 0.025, n=300)
'below its nominal 0.025 (conservative)'
>>> rate_verdict(0.91, 0.836, 0.958, 0.95, n=100, kind="coverage")
'cannot tell from the nominal 0.95 at 100 replicates'
"""

from __future__ import annotations

import math

import pandas as pd

from gvisage_lib.simulation.scenarios import (
    BETTER,
    BOOTSTRAP_VALIDATION,
    DELONG_VALIDATION,
    LRT_TRAIN,
    STRATA_TESTS,
)

__all__ = ["conclusions", "rate_verdict"]


def rate_verdict(rate: float, ci_low: float, ci_high: float, nominal: float, *, n: int,
                 kind: str = "level") -> str:
    """The verdict on one Monte-Carlo rate against its nominal value (see the module docstring).

    Parameters
    ----------
    rate, ci_low, ci_high : float
        The rate and its Monte-Carlo 95% CI.
    nominal : float
        The test's level alpha, or the interval's confidence level.
    n : int
        Replicates behind the rate.
    kind : {"level", "coverage"}
        A rejection rate under the null, or a coverage.

    Examples
    --------
    >>> rate_verdict(0.11, 0.06, 0.19, 0.05, n=100)
    'above its nominal 0.05 (anti-conservative)'
    >>> rate_verdict(0.85, 0.77, 0.91, 0.95, n=100, kind="coverage")
    'below the nominal 0.95 (intervals too narrow)'
    >>> rate_verdict(float("nan"), float("nan"), float("nan"), 0.05, n=0)
    'not computed'
    >>> rate_verdict(0.1, 0.0, 0.2, 0.05, n=10, kind="power")
    Traceback (most recent call last):
    ...
    ValueError: kind must be 'level' or 'coverage', got 'power'
    """
    if kind not in ("level", "coverage"):
        raise ValueError(f"kind must be 'level' or 'coverage', got {kind!r}")
    if any(math.isnan(float(v)) for v in (rate, ci_low, ci_high)):
        return "not computed"
    nom = f"{nominal:g}"
    if ci_low <= nominal <= ci_high:
        return f"cannot tell from the nominal {nom} at {n} replicates"
    if kind == "level":
        return (f"below its nominal {nom} (conservative)" if ci_high < nominal
                else f"above its nominal {nom} (anti-conservative)")
    return (f"below the nominal {nom} (intervals too narrow)" if ci_high < nominal
            else f"above the nominal {nom} (intervals too wide)")


def _pct(x: float) -> str:
    return "n/a" if math.isnan(float(x)) else f"{100 * float(x):.1f}%"


def _row_text(r: pd.Series, kind: str | None) -> str:
    text = f"{_pct(r['rejection_rate'])} (Monte-Carlo 95% CI {_pct(r['ci_low'])} to {_pct(r['ci_high'])})"
    if kind is not None:
        text += ": " + rate_verdict(r["rejection_rate"], r["ci_low"], r["ci_high"], r["nominal"],
                                    n=int(r["n_replicates"]), kind=kind)
    return text


def _find(table: pd.DataFrame, test: str, scenario: str = "") -> pd.Series | None:
    m = table[(table["test"] == test) & table["scenario"].astype(str).str.contains(scenario, regex=False)]
    return m.iloc[0] if len(m) else None


def _apart(power: pd.Series | None, null: pd.Series | None) -> str:
    if power is None or null is None:
        return "not computed"
    if power["ci_low"] > null["ci_high"]:
        return "told apart from its rate under the null"
    return "not told apart from its rate under the null at these replicates"


def _nested(tables: dict[str, pd.DataFrame]) -> list[str]:
    t1 = tables.get("simulation_type1_nested")
    if t1 is None:
        return []
    out = ["**Hybrid vs clinical model (Table 2), when the added score carries no information.**"]
    for r in t1.to_dict("records"):
        out.append(f"* {r['test']}: {_row_text(pd.Series(r), 'level')}.")
    claim = _find(t1, DELONG_VALIDATION + BETTER)
    if claim is not None:
        v = rate_verdict(claim["rejection_rate"], claim["ci_low"], claim["ci_high"], claim["nominal"],
                         n=int(claim["n_replicates"]))
        if v.startswith("below"):
            meaning = ("DeLong's test makes the paper's claim \"the hybrid is significantly better\" less often than "
                       "its level allows, so the paper's significant DeLong P is not an artefact of the test, but a "
                       "non-significant one would say little")
        elif v.startswith("above"):
            meaning = ("DeLong's test makes the paper's claim more often than its level allows, so a significant "
                       "DeLong P such as the paper's can arise from a score without information")
        else:
            meaning = ("this run cannot tell whether DeLong's test makes the paper's claim at its nominal rate; "
                       "more replicates (the paper profile) would")
        conclusion = f"\nSo, for the paper's claim on new data: {meaning}."
    else:
        conclusion = ""
    pw = tables.get("simulation_power")
    if pw is not None:
        rows = pw[pw["scenario"].astype(str).str.startswith("hybrid vs clinical")]
        for scenario, g in rows.groupby("scenario", sort=False):
            parts = []
            for test in (LRT_TRAIN, DELONG_VALIDATION, BOOTSTRAP_VALIDATION):
                r = _find(g, test)
                if r is not None:
                    parts.append(f"{test}: {_row_text(r, None)}, {_apart(r, _find(t1, test))}")
            if parts:
                out.append(f"* Power, {scenario}: " + "; ".join(parts) + ".")
    if conclusion:
        out.append(conclusion)
    return out


def _coverage(tables: dict[str, pd.DataFrame]) -> list[str]:
    cov = tables.get("simulation_coverage")
    if cov is None:
        return []
    out = ["**Intervals: coverage of the paper's 95% intervals.**"]
    for r in cov.to_dict("records"):
        out.append(f"* {r['test']}: {_row_text(pd.Series(r), 'coverage')}.")
    return out


def _strata(tables: dict[str, pd.DataFrame]) -> list[str]:
    st = tables.get("simulation_type1_strata")
    if st is None:
        return []
    out = ["**Strata (Table 3), when the three strata share one AUC.**"]
    for r in st.to_dict("records"):
        out.append(f"* {r['test']}: {_row_text(pd.Series(r), 'level')}.")
    pw = tables.get("simulation_power")
    if pw is not None:
        rows = pw[pw["scenario"].astype(str).str.startswith("HPT strata")]
        for r in rows.to_dict("records"):
            out.append(f"* Power, {r['scenario']}, {r['test']}: {_row_text(pd.Series(r), None)}, "
                       f"{_apart(pd.Series(r), _find(st, r['test']))}.")
        friedman = STRATA_TESTS[0]
        f_null, f_pow = _find(st, friedman), _find(rows, friedman) if len(rows) else None
        if f_null is not None and f_pow is not None:
            if f_pow["ci_low"] > f_null["ci_high"]:
                meaning = ("the paper's Friedman test rejects more often under the paper's AUCs than when the strata "
                           "share one AUC, so its P = .03 carries some evidence")
            else:
                meaning = ("at these replicates the paper's Friedman test rejects no more often, beyond Monte-Carlo "
                           "noise, under the paper's AUCs than when the strata share one AUC: nothing here shows that "
                           "its P = .03 separates the two")
            out.append(f"\nSo: {meaning}.")
    return out


def conclusions(tables: dict[str, pd.DataFrame]) -> str:
    """The closing section of notebook 07 as Markdown, every rate and verdict from ``tables``.

    Examples
    --------
    >>> t = pd.DataFrame({"test": ["Friedman (paper's)"], "scenario": ["null"], "nominal": [0.05],
    ...                   "rejection_rate": [0.2], "ci_low": [0.12], "ci_high": [0.3], "n_replicates": [100]})
    >>> print(conclusions({"simulation_type1_strata": t}).splitlines()[-1])
    * Friedman (paper's): 20.0% (Monte-Carlo 95% CI 12.0% to 30.0%): above its nominal 0.05 (anti-conservative).
    >>> conclusions({})
    Traceback (most recent call last):
    ...
    ValueError: tables is empty: no simulation table to conclude from
    """
    if not tables:
        raise ValueError("tables is empty: no simulation table to conclude from")
    n = int(max(int(t["n_replicates"].max()) for t in tables.values()))
    head = (f"Computed from this run's {n} replicates. A verdict says \"cannot tell\" where the Monte-Carlo 95% CI "
            "holds the nominal value: at this many replicates the rate cannot be told apart from it.")
    blocks = [b for b in (_nested(tables), _coverage(tables), _strata(tables)) if b]
    return "\n\n".join([head] + ["\n".join(b) for b in blocks])
