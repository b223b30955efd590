"""Notebook 05: the clinical logistic regression, the hybrid model with the CNN score, their comparisons,
optimism, calibration and decision curves (Table 2, stage 2).
"""

from gvisage_lib.clinical.calibration import calibration_summary, calibration_table, decision_curves, net_benefit
from gvisage_lib.clinical.figures import plot_calibration, plot_decision_curve, plot_models_roc
from gvisage_lib.clinical.hybrid import (
    DEMLER_NOTE,
    HybridFits,
    Stage2Data,
    auc_view,
    compare_models,
    fit_models,
    fit_models_or_skip,
    hybrid_vif,
    likelihood_ratio_test,
    load_stage2_frame,
    model_metrics,
    model_optimism,
    models_vif,
    screened_model_metrics,
    stage2_model_tables,
    table2_with_paper,
    table_view,
)
from gvisage_lib.clinical.logistic import (
    LogisticFit,
    SeparationError,
    fit_logistic,
    imputation_counts,
    screen_univariate,
    vif,
)
from gvisage_lib.clinical.optimism import optimism_bootstrap
from gvisage_lib.clinical.skipped import SKIPPED_COLUMNS, skip_reason, skipped_table

__all__ = ["DEMLER_NOTE", "SKIPPED_COLUMNS", "auc_view", "calibration_summary", "calibration_table",
           "compare_models", "decision_curves", "fit_logistic", "fit_models", "fit_models_or_skip", "hybrid_vif",
           "HybridFits", "imputation_counts", "likelihood_ratio_test", "load_stage2_frame", "LogisticFit",
           "model_metrics", "model_optimism", "models_vif", "screened_model_metrics", "skip_reason", "table_view",
           "net_benefit", "optimism_bootstrap", "plot_calibration", "plot_decision_curve", "plot_models_roc",
           "screen_univariate", "SeparationError", "skipped_table", "Stage2Data", "stage2_model_tables",
           "table2_with_paper", "vif"]
