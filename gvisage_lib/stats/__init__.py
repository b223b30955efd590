"""Diagnostic-accuracy statistics: AUC and DeLong tests (fast, equal to R pROC), exact proportion CIs, 2x2 metrics,
operating points and threshold rules, a seeded stratified bootstrap, multiple-testing adjustment, and tests across
independent strata of AUCs (heterogeneity, trend, Friedman), and the two-group tests of Table 1.

Examples
--------
>>> from gvisage_lib.stats import roc_auc_delong, proportion_ci
>>> round(roc_auc_delong([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).auc, 2)
0.75
>>> [round(v, 4) for v in proportion_ci(5, 10)]
[0.1871, 0.8129]
"""

from .bootstrap import (
    BootstrapResult,
    batched_auc,
    batched_auc_ranks,
    bootstrap_ci,
    bootstrap_indices,
    dense_ranks,
    interpolated_sensitivity,
    roc_confidence_band,
    roc_confidence_band_step,
    sensitivity_at_specificity,
)
from .chance import ChanceTestResult, auc_vs_chance
from .curves import average_precision, pr_curve, roc_curve
from .delong import (
    AUCResult,
    DeLongTestResult,
    UnpairedDeLongResult,
    delong_auc_covariance,
    delong_placements,
    delong_test,
    delong_test_unpaired,
    midrank,
    roc_auc_delong,
)
from .heterogeneity import (
    FriedmanResult,
    HeterogeneityResult,
    TrendResult,
    auc_heterogeneity,
    auc_trend,
    friedman_exact_p,
    friedman_test,
)
from .metrics import DiagnosticMetrics, diagnostic_metrics, metrics_from_counts
from .multiple_testing import bh_adjust
from .operating_points import RULES, Threshold, apply_operating_points, choose_threshold, operating_points
from .proportions import proportion_ci
from .two_groups import TwoGroupResult, compare_two_groups, contingency_test, fisher_freeman_halton

__all__ = [
    "ChanceTestResult",
    "auc_vs_chance",
    "RULES",
    "BootstrapResult",
    "FriedmanResult",
    "HeterogeneityResult",
    "Threshold",
    "TrendResult",
    "auc_heterogeneity",
    "auc_trend",
    "bh_adjust",
    "choose_threshold",
    "friedman_exact_p",
    "friedman_test",
    "AUCResult",
    "DiagnosticMetrics",
    "apply_operating_points",
    "average_precision",
    "batched_auc",
    "batched_auc_ranks",
    "bootstrap_ci",
    "bootstrap_indices",
    "dense_ranks",
    "diagnostic_metrics",
    "metrics_from_counts",
    "operating_points",
    "pr_curve",
    "interpolated_sensitivity",
    "roc_confidence_band",
    "roc_confidence_band_step",
    "roc_curve",
    "sensitivity_at_specificity",
    "DeLongTestResult",
    "UnpairedDeLongResult",
    "delong_auc_covariance",
    "delong_placements",
    "delong_test",
    "delong_test_unpaired",
    "midrank",
    "proportion_ci",
    "TwoGroupResult",
    "compare_two_groups",
    "contingency_test",
    "fisher_freeman_halton",
    "roc_auc_delong",
]
