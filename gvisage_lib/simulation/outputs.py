"""What ``gvisage simulate`` writes: the four tables, one figure per scenario, the records and ``simulation.json``.

Tables go to ``<out>/tables/<name>.csv`` and figures to ``<out>/figures/<name>.png`` and ``.pdf``, under the names of
:mod:`gvisage_lib.paper.index` (the notebook writes the same files into its run folder), all atomically;
``<out>/simulation_records.parquet`` holds every replicate's records (P values, estimates, truths) and
``<out>/simulation.json`` the seed, the replicates, the scheduler and workers, the settings, the wall time and the
package versions.

Examples
--------
>>> FIGURES["simulation_coverage"]
'figS11'
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure

from gvisage_lib import __version__
from gvisage_lib.core import io
from gvisage_lib.core.provenance import package_versions
from gvisage_lib.paper.index import figure_name, table_name
from gvisage_lib.simulation.engine import SimulationResult
from gvisage_lib.simulation.figures import plot_rejection_rates, plot_type1
from gvisage_lib.simulation.summary import null_pvalues

__all__ = ["FIGURES", "simulation_figure", "simulation_figures", "write_simulation"]

#: The figure key (:mod:`gvisage_lib.paper.index`) of each table's scenario.
FIGURES: dict[str, str] = {"simulation_type1_nested": "figS10", "simulation_coverage": "figS11",
                           "simulation_type1_strata": "figS12", "simulation_power": "figS13"}


def simulation_figure(result: SimulationResult, table: str) -> Figure:
    """The figure of one scenario (``table``, a key of :data:`FIGURES`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.simulation import SimulationSettings, run_simulation
    >>> res = run_simulation(1, seed=2, workers=1,
    ...                      settings=SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5))
    >>> len(simulation_figure(res, "simulation_type1_nested").axes)
    2
    """
    tables = result.tables()
    if table not in FIGURES:
        raise ValueError(f"table must be one of {list(FIGURES)}, got {table!r}")
    if table not in tables:
        raise ValueError(f"the simulation did not run {table!r}; it ran {list(tables)}")
    t = tables[table]
    if table == "simulation_type1_nested":
        return plot_type1(t, null_pvalues(result.records, table),
                          title="Hybrid vs clinical model, added score without information")
    if table == "simulation_type1_strata":
        return plot_type1(t, null_pvalues(result.records, table), title="HPT strata sharing one AUC")
    if table == "simulation_coverage":
        return plot_rejection_rates(t, title="Coverage of 95% intervals", xlabel="Coverage (95% MC CI)")
    return plot_rejection_rates(t, title="Power for the planted effects",
                                xlabel="Rejection rate = power (95% MC CI)")


def simulation_figures(result: SimulationResult) -> dict[str, Figure]:
    """One figure per scenario that ``result`` holds, keyed by its figure key (:data:`FIGURES`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.simulation import SimulationSettings, run_simulation
    >>> light = SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5)
    >>> list(simulation_figures(run_simulation(1, seed=2, workers=1, settings=light)))
    ['figS10']
    """
    present = result.tables()
    return {fig: simulation_figure(result, table) for table, fig in FIGURES.items() if table in present}


def write_simulation(result: SimulationResult, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the tables, figures, records and ``simulation.json`` of ``result`` under ``out_dir``; return the paths.

    Examples
    --------
    >>> import tempfile, matplotlib
    >>> matplotlib.use("Agg")
    >>> from gvisage_lib.simulation import SimulationSettings, run_simulation
    >>> res = run_simulation(1, seed=2, workers=1,  # doctest: +SLOW
    ...                      settings=SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5))
    >>> sorted(p.name for p in write_simulation(res, tempfile.mkdtemp()))
    ['figS10_simulation_type1_nested.pdf', 'figS10_simulation_type1_nested.png', 'simulation.json', \
'simulation_records.parquet', 'simulation_type1_nested.csv']
    """
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    written = [io.write_csv(t, out / "tables" / f"{table_name(k)}.csv") for k, t in result.tables().items()]
    for key, fig in simulation_figures(result).items():
        written += io.save_figure(fig, out / "figures" / figure_name(key))
        plt.close(fig)
    meta = {"gvisage_version": __version__, **result.to_dict(),
            "packages": package_versions(("gvisage", "numpy", "pandas", "scipy", "statsmodels", "joblib", "dask",
                                          "distributed"))}
    written.append(io.write_parquet(result.records, out / "simulation_records.parquet"))
    written.append(io.write_json(meta, out / "simulation.json"))
    return written
