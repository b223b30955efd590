"""Monte-Carlo summaries of the simulation: rejection rates (or coverages) with Clopper-Pearson CIs, and the headline.

Each table has the columns :data:`TABLE_COLUMNS`: ``test``, ``scenario``, ``nominal`` (the test's level alpha, or
the interval's confidence level), ``rejection_rate`` (the share of replicates in which the test rejected; in
``simulation_coverage``, whose scenario says so, the share in which the interval covered the truth), ``ci_low`` and
``ci_high`` (the Monte-Carlo 95% CI of that share: Clopper-Pearson, :func:`gvisage_lib.stats.proportion_ci`) and
``n_replicates`` (the replicates in which the analysis could be run: all of them at the paper's sizes).

Examples
--------
>>> rec = pd.DataFrame({"replicate": [0, 1, 2, 3], "table": "simulation_power", "scenario": "s", "test": "t",
...                     "nominal": 0.05, "outcome": [1.0, 1.0, 0.0, 1.0]})
>>> rejection_table(rec, "simulation_power")[["rejection_rate", "n_replicates"]].values.tolist()
[[0.75, 4.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gvisage_lib.core.validation import check_frame, check_level
from gvisage_lib.simulation.scenarios import (
    BETTER,
    BOOTSTRAP_VALIDATION,
    BOOTSTRAP_VALIDATION_BETTER,
    DELONG_TRAIN,
    DELONG_VALIDATION,
    LRT_TRAIN,
    STRATA_TESTS,
    TABLES,
)
from gvisage_lib.stats import proportion_ci

__all__ = ["TABLE_COLUMNS", "headline", "interval_bias", "null_pvalues", "rejection_direction", "rejection_table",
           "simulation_tables"]

#: Columns of every ``simulation_*`` table.
TABLE_COLUMNS: tuple[str, ...] = ("test", "scenario", "nominal", "rejection_rate", "ci_low", "ci_high",
                                  "n_replicates")


def rejection_table(records: pd.DataFrame, table: str, level: float = 0.95) -> pd.DataFrame:
    """Share of replicates with ``outcome == 1`` per scenario and test of ``table``, with its Monte-Carlo CI.

    Rows keep the order in which the scenarios and tests first appear; replicates whose outcome is NaN (the analysis
    could not be run) are left out of that row's ``n_replicates``.

    Parameters
    ----------
    records : DataFrame
        :attr:`gvisage_lib.simulation.SimulationResult.records` (needs table, scenario, test, nominal, outcome).
    table : str
        One of :data:`gvisage_lib.simulation.scenarios.TABLES`.
    level : float
        Level of the Clopper-Pearson interval of each share.

    Returns
    -------
    DataFrame
        :data:`TABLE_COLUMNS`.
    """
    check_frame(records, "records", ["table", "scenario", "test", "nominal", "outcome"])
    lv = check_level(level)
    rows = records[records["table"] == table]
    if rows.empty:
        raise ValueError(f"records hold no row of table {table!r}; tables present: {sorted(records['table'].unique())}")
    out = []
    for (scenario, test), g in rows.groupby(["scenario", "test"], sort=False):
        ok = g["outcome"].notna()
        n = int(ok.sum())
        k = int(g.loc[ok, "outcome"].sum())
        lo, hi = proportion_ci(k, n, level=lv) if n else (np.nan, np.nan)
        out.append({"test": test, "scenario": scenario, "nominal": float(g["nominal"].iloc[0]),
                    "rejection_rate": k / n if n else np.nan, "ci_low": lo, "ci_high": hi, "n_replicates": n})
    return pd.DataFrame(out, columns=list(TABLE_COLUMNS))


def simulation_tables(records: pd.DataFrame, level: float = 0.95) -> dict[str, pd.DataFrame]:
    """The tables of :data:`gvisage_lib.simulation.scenarios.TABLES` that ``records`` hold, keyed by their names.

    Examples
    --------
    >>> from gvisage_lib.simulation.scenarios import SimulationSettings, records_frame, simulate_replicate
    >>> rec = records_frame(simulate_replicate(
    ...     0, 1, SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5)))
    >>> list(simulation_tables(rec))
    ['simulation_type1_nested']
    """
    check_frame(records, "records", ["table"])
    present = set(records["table"])
    return {t: rejection_table(records, t, level) for t in TABLES if t in present}


def null_pvalues(records: pd.DataFrame, table: str) -> pd.DataFrame:
    """P values of the tests of ``table`` (tests without one, such as the bootstrap CI, are left out): test, p_value.

    Examples
    --------
    >>> rec = pd.DataFrame({"table": ["a", "a"], "test": ["t", "u"], "p_value": [0.5, np.nan]})
    >>> null_pvalues(rec, "a").values.tolist()
    [['t', 0.5]]
    """
    check_frame(records, "records", ["table", "test", "p_value"])
    rows = records[(records["table"] == table) & records["p_value"].notna()]
    return rows[["test", "p_value"]].reset_index(drop=True)


def _rate(table: pd.DataFrame, test: str, scenario_contains: str = "") -> str:
    r = table[(table["test"] == test) & table["scenario"].str.contains(scenario_contains, regex=False)]
    if r.empty or not np.isfinite(r["rejection_rate"].iloc[0]):
        return "n/a"
    r = r.iloc[0]
    return f"{r['rejection_rate']:.1%} (95% CI {r['ci_low']:.1%} to {r['ci_high']:.1%})"


def headline(tables: dict[str, pd.DataFrame]) -> str:
    """The headline rejection rates and coverages in words, from the tables of :func:`simulation_tables`.

    One paragraph per table present.

    Examples
    --------
    >>> from gvisage_lib.simulation.scenarios import SimulationSettings, records_frame, simulate_replicate
    >>> rec = records_frame(simulate_replicate(
    ...     0, 1, SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5)))
    >>> headline(simulation_tables(rec)).splitlines()[0][:40]
    'Monte-Carlo results over 1 replicate(s) '
    """
    if not tables:
        raise ValueError("tables is empty: no simulation table to summarise")
    first = next(iter(tables.values()))
    lines = [(f"Monte-Carlo results over {int(first['n_replicates'].max())} replicate(s) (each rate with its 95% "
             "Clopper-Pearson CI).")]
    if "simulation_type1_nested" in tables:
        t1 = tables["simulation_type1_nested"]
        alpha = float(t1.loc[t1["test"] == LRT_TRAIN, "nominal"].iloc[0])
        lines.append(
            f"Hybrid vs clinical model when the added score carries no information: DeLong's test declares the "
            f"hybrid significantly better (nominal {alpha / 2:g}) in {_rate(t1, DELONG_TRAIN + BETTER)} of replicates "
            f"on the training split the models were fitted on and in {_rate(t1, DELONG_VALIDATION + BETTER)} on the "
            f"validation split, and rejects two-sided (nominal {alpha:g}) in {_rate(t1, DELONG_TRAIN)} and "
            f"{_rate(t1, DELONG_VALIDATION)}; the likelihood-ratio test "
            f"rejects in {_rate(t1, LRT_TRAIN)}; the bootstrap CI of ΔAUC excludes 0 in "
            f"{_rate(t1, BOOTSTRAP_VALIDATION)} and lies above 0 in {_rate(t1, BOOTSTRAP_VALIDATION_BETTER)}.")
    if "simulation_coverage" in tables:
        cov = tables["simulation_coverage"]
        sens = "Clopper-Pearson CI of sensitivity, "
        lines.append(
            f"Coverage of {cov['nominal'].iloc[0]:.0%} intervals: DeLong CI of the AUC on the validation split "
            f"{_rate(cov, 'DeLong CI of the AUC, validation split')}; Clopper-Pearson CI of sensitivity at the "
            f"threshold picked on the same split {_rate(cov, sens + 'threshold picked on the same split (test)')} on "
            f"the test split and {_rate(cov, sens + 'threshold picked on the same split (training)')} on the "
            f"training split, against "
            f"{_rate(cov, sens + 'threshold from the training split, validation split')} on the validation split.")
    if "simulation_type1_strata" in tables:
        st = tables["simulation_type1_strata"]
        friedman, het, trend = STRATA_TESTS
        lines.append(
            f"HPT strata sharing one AUC (nominal {st['nominal'].iloc[0]:g}): the paper's Friedman test rejects in "
            f"{_rate(st, friedman)}, the chi-square heterogeneity test of independent AUCs in {_rate(st, het)}, "
            f"the trend test in {_rate(st, trend)}.")
    if "simulation_power" in tables:
        pw = tables["simulation_power"]
        parts = []
        for scenario in pw["scenario"].unique():
            rows = pw[pw["scenario"] == scenario]
            parts.append(f"{scenario}: " + ", ".join(
                f"{t} {r:.0%}" for t, r in zip(rows["test"], rows["rejection_rate"], strict=True)))
        lines.append("Power: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def interval_bias(records: pd.DataFrame, table: str = "simulation_coverage") -> pd.DataFrame:
    """Mean estimate, mean truth and their mean difference per interval of ``table`` (the coverage records).

    For sensitivity and specificity at a threshold picked on the same split, the mean difference is the optimism of
    the picked threshold (its in-sample value over its true value); at a threshold carried to new data it is near 0.

    Returns
    -------
    DataFrame
        test, n_replicates, mean_estimate, mean_truth, mean_bias (mean of estimate - truth).

    Examples
    --------
    >>> rec = pd.DataFrame({"table": "simulation_coverage", "test": ["t", "t"], "estimate": [0.8, 0.7],
    ...                     "truth": [0.7, 0.7]})
    >>> interval_bias(rec).round(3).values.tolist()
    [['t', 2, 0.75, 0.7, 0.05]]
    """
    check_frame(records, "records", ["table", "test", "estimate", "truth"])
    rows = records[(records["table"] == table) & records["estimate"].notna() & records["truth"].notna()]
    if rows.empty:
        raise ValueError(f"records hold no estimate of table {table!r}")
    out = rows.assign(bias=rows["estimate"] - rows["truth"]).groupby("test", sort=False).agg(
        n_replicates=("bias", "size"), mean_estimate=("estimate", "mean"), mean_truth=("truth", "mean"),
        mean_bias=("bias", "mean"))
    return out.reset_index()


def rejection_direction(records: pd.DataFrame, table: str = "simulation_type1_nested") -> pd.DataFrame:
    """How the two-sided rejections of the AUC comparisons of ``table`` split by the sign of ΔAUC (hybrid - clinical).

    Returns
    -------
    DataFrame
        test, n_replicates, rejections, hybrid_better (ΔAUC > 0), hybrid_worse (ΔAUC < 0), mean_delta_auc.

    Examples
    --------
    >>> rec = pd.DataFrame({"table": "t", "test": "DeLong", "outcome": [1.0, 1.0, 0.0], "p_value": [.01, .02, .5],
    ...                     "estimate": [-0.01, 0.02, 0.0]})
    >>> rejection_direction(rec, "t")[["rejections", "hybrid_better", "hybrid_worse"]].values.tolist()
    [[2, 1, 1]]
    """
    check_frame(records, "records", ["table", "test", "outcome", "p_value", "estimate"])
    rows = records[(records["table"] == table) & records["estimate"].notna() & records["outcome"].notna()]
    rows = rows[~rows["test"].str.endswith(BETTER) & (rows["test"] != BOOTSTRAP_VALIDATION_BETTER)]
    if rows.empty:
        raise ValueError(f"records hold no AUC comparison of table {table!r}")
    rej = rows["outcome"] == 1
    out = rows.assign(rej=rej, better=rej & (rows["estimate"] > 0), worse=rej & (rows["estimate"] < 0))
    out = out.groupby("test", sort=False).agg(n_replicates=("rej", "size"), rejections=("rej", "sum"),
                                             hybrid_better=("better", "sum"), hybrid_worse=("worse", "sum"),
                                             mean_delta_auc=("estimate", "mean"))
    return out.reset_index()
