"""Notebook 06: the CNN score against endocrine indicators (Fig 5A), performance by HPT-axis damage (Table 3,
Fig 5B) and, on the twin, the check against the planted truth.
"""


from gvisage_lib.endocrine.correlation import (
    correlation_matrix,
    describe_truth_check,
    fig5a_signs_with_paper,
    run_truth_check,
    score_correlations,
    twin_truth_check,
)
from gvisage_lib.endocrine.figures import plot_correlation_heatmap, plot_strata
from gvisage_lib.endocrine.strata import (
    friedman_as_paper,
    strata_metrics,
    strata_order_check,
    strata_tests,
    table3_with_paper,
)

__all__ = ["correlation_matrix", "describe_truth_check", "fig5a_signs_with_paper", "friedman_as_paper",
           "plot_correlation_heatmap", "plot_strata", "run_truth_check", "score_correlations", "strata_metrics",
           "strata_order_check", "strata_tests", "table3_with_paper", "twin_truth_check"]
