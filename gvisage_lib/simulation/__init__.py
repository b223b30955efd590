"""Notebook 07: how much the paper's statistical choices matter at its own sample sizes, by Monte-Carlo simulation on
the synthetic twin, whose truth is known.

* :mod:`~gvisage_lib.simulation.scenarios`: one replicate (the twin's cohort, scores with a controlled AUC, the
  library's analyses) and its settings;
* :mod:`~gvisage_lib.simulation.engine`: the map over replicates, with joblib or on a Dask cluster;
* :mod:`~gvisage_lib.simulation.summary`: rejection rates and coverages with Monte-Carlo CIs, the headline;
* :mod:`~gvisage_lib.simulation.conclusions`: what a reader of the paper should conclude, in words from the rates;
* :mod:`~gvisage_lib.simulation.figures`: the figures;
* :mod:`~gvisage_lib.simulation.outputs`: the tables, figures and ``simulation.json`` of ``gvisage simulate``.

Examples
--------
>>> res = run_simulation(1, seed=3, workers=1,
...                      settings=SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5))
>>> list(res.tables())
['simulation_type1_nested']
"""

from gvisage_lib.simulation.conclusions import conclusions, rate_verdict
from gvisage_lib.simulation.engine import SCHEDULERS, SimulationResult, check_scheduler, run_simulation
from gvisage_lib.simulation.figures import plot_null_pvalues, plot_rejection_rates, plot_type1
from gvisage_lib.simulation.outputs import FIGURES, simulation_figure, simulation_figures, write_simulation
from gvisage_lib.simulation.scenarios import TABLES, SimulationSettings, simulate_replicate
from gvisage_lib.simulation.summary import (
                                           TABLE_COLUMNS,
                                           headline,
                                           interval_bias,
                                           null_pvalues,
                                           rejection_direction,
                                           simulation_tables,
)

__all__ = ["FIGURES", "SCHEDULERS", "TABLES", "TABLE_COLUMNS", "SimulationResult", "SimulationSettings",
           "check_scheduler", "conclusions", "rate_verdict", "headline", "interval_bias", "null_pvalues",
           "plot_null_pvalues", "plot_rejection_rates", "plot_type1", "rejection_direction", "run_simulation",
           "simulate_replicate", "simulation_figure", "simulation_figures", "simulation_tables", "write_simulation"]
