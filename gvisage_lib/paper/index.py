"""Where each of the paper's items is regenerated: the one list of every output the notebooks write.

Each :class:`Output` names one figure or table: its key (what a notebook asks for), its file name (the paper's
numbering, spelled here once: ``fig4a_...`` for the paper's Figure 4A, ``figS<n>_...`` for a supplementary figure of
this package, ``table2_...`` for a Table 2 piece), the paper item it regenerates (empty when the paper has none), the
notebook that writes it and the function that computes it. Figures are written as ``<name>.png`` and ``<name>.pdf``
under ``<run>/figures``, tables as ``<name>.csv`` under ``<run>/tables``.

One numbering scheme per figure: the key is the file name's first part and holds the figure's number, the paper's
where the paper has the figure (``fig4a`` is Figure 4A) and an S-number for this package's own (``figS7a`` is
Figure S7A; S-numbers run in reading order, the order of :data:`OUTPUTS`). :func:`figure_caption` gives the
numbered caption that both the notebook and the run's ``index.html`` (:mod:`gvisage_lib.run.report`) print under
the figure, and the notebooks' headings use the same number. Tables are numbered as the paper numbers its own
(:data:`PAPER_TABLES`) and ``S<n>`` in reading order otherwise (:func:`table_caption`); their CSV names stay.

Examples
--------
>>> figure_caption("fig4a")
'Figure 4A. ROC of GVisageNet, stage 1 (test and validation).'
>>> figure_name("fig4a")
'fig4a_roc_stage1_test_validation'
>>> outputs().query("paper_item == 'Table 3' and kind == 'table'")["name"].tolist()[:2]
['table3_hpt_strata', 'table3_paper_vs_this_run']
>>> figure_name("nope")
Traceback (most recent call last):
...
KeyError: "no figure with key 'nope' in gvisage_lib.paper.index; keys: ['fig1', 'fig3a', 'fig3b', 'fig3c', 'fig4a', 'fig4b', 'fig4c', 'fig4d', 'fig5a', 'fig5b', 'fig5c', 'figS1', 'figS10', 'figS11', 'figS12', 'figS13', 'figS2', 'figS3', 'figS4', 'figS5', 'figS6', 'figS7a', 'figS7b', 'figS8a', 'figS8b', 'figS9']"
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pandas as pd

__all__ = ["OUTPUTS", "PAPER_TABLES", "Output", "figure_caption", "figure_name", "figure_number", "outputs",
           "table_caption", "table_name", "table_number"]


@dataclass(frozen=True)
class Output:
    """One output file of the pipeline and where it comes from."""

    key: str
    kind: str  # "figure" or "table"
    name: str
    paper_item: str
    notebook: str
    function: str
    caption: str


def _f(key, name, item, nb, fn, cap) -> Output:
    return Output(key, "figure", name, item, nb, fn, cap)


def _t(name, item, nb, fn, cap) -> Output:
    return Output(name, "table", name, item, nb, fn, cap)


_C, _F, _N, _R, _H, _E, _S = ("gvisage_lib.cohort", "gvisage_lib.faces", "gvisage_lib.cnn", "gvisage_lib.roc",
                              "gvisage_lib.clinical", "gvisage_lib.endocrine", "gvisage_lib.simulation")

#: Every output, in notebook order.
OUTPUTS: tuple[Output, ...] = (
    # 01 cohort
    _t("manifest_validation", "", "01_cohort", f"{_C}.manifest.validate_manifest", "Every problem of the manifest (row, column, value, why)."),
    _t("study_flow", "Figure 1", "01_cohort", f"{_C}.figures.study_flow_counts", "Subjects per split and group."),
    _f("fig1", "fig1_study_flow", "Figure 1", "01_cohort", f"{_C}.figures.plot_study_flow", "Study design and participant flow."),
    _t("table1", "Table 1", "01_cohort", f"{_C}.table1.table1_all_splits", "Demographics, symptoms and hormones by split and tumour group, with the paper's tests."),
    _t("table1_paper_layout", "Table 1", "01_cohort", f"{_C}.table1.table1_paper_layout", "Demographics, symptoms and hormones of iGCTs and other midline tumours per split, with P values, in the paper's layout."),
    _t("table1_calibration", "Table 1", "01_cohort", f"{_C}.table1.calibration_vs_paper", "The twin's Table 1 against the paper's, in standard errors."),
    _t("table1_pooled_demographics", "Table 1", "01_cohort", f"{_C}.demographics.pooled_demographics_table", "The Results' pooled demographics beside what Table 1 implies and this cohort's."),
    _t("table1_paper_p_check", "Table 1", "01_cohort", "gvisage_lib.paper.table1_audit.paper_p_check", "The paper's Table 1 P values recomputed from its own summaries."),
    _t("paper_consistency", "", "01_cohort", "gvisage_lib.paper.consistency.paper_consistency", "What the paper's numbers allow: its tables and counts checked against each other."),
    _t("tumour_site_by_institution", "Figure 3A", "01_cohort", f"{_C}.figures.tumour_site_by_institution", "iGCT tumour sites per institution and split."),
    _f("fig3a", "fig3a_tumour_site_by_institution", "Figure 3A", "01_cohort", f"{_C}.figures.plot_site_by_institution", "Tumour site of iGCTs by institution and split."),
    _t("other_tumour_types", "Figure 3B", "01_cohort", f"{_C}.figures.other_tumour_types", "Tumour types of the other midline tumours."),
    _f("fig3b", "fig3b_other_tumour_types", "Figure 3B", "01_cohort", f"{_C}.figures.plot_other_tumour_types", "Tumour types in the other-midline-tumour group."),
    # 02 faces
    _t("faces_preprocessing_summary", "", "02_faces", f"{_F}.preprocess.preprocess_summary", "Subjects and photos through preprocessing."),
    _t("face_qc_photos", "", "02_faces", f"{_F}.preprocess.load_qc_photos", "Quality control of every photo."),
    _t("face_qc_counts", "", "02_faces", f"{_F}.preprocess.qc_counts", "Photos and subjects by QC outcome."),
    _t("face_qc_notes", "", "02_faces", f"{_F}.preprocess.qc_notes", "Photos with an alpha channel and repeated views (notes that do not change QC)."),
    _f("figS1", "figS1_face_qc_by_reason", "", "02_faces", f"{_F}.figures.plot_qc_reasons", "Photos and subjects by quality-control outcome."),
    _t("face_excluded_subjects", "", "02_faces", f"{_F}.preprocess.excluded_subjects", "Subjects without a photo passing QC."),
    _f("figS2", "figS2_twin_phenotype_montage", "", "02_faces", f"{_F}.figures.phenotype_montage", "Synthetic twins by group and latent damage, with their planted phenotype."),
    _f("figS3", "figS3_twin_preprocessed_crops", "", "02_faces", f"{_F}.figures.crops_montage", "The preprocessed crops the CNN sees (synthetic twins)."),
    _t("face_signal_check", "", "02_faces", f"{_F}.signal_check.cohort_signal_check", "Cross-validated AUC of a regression on image statistics, per stage."),
    _t("twin_ceilings", "", "02_faces", f"{_F}.signal_check.twin_ceilings", "Per stage: the twin's phenotype ceiling, the image-statistics check and the paper's AUC."),
    # 03 training
    _t("training_history", "", "03_train", f"{_N}.candidates.train_candidates", "Loss and AUC per epoch, candidate and stage."),
    _f("figS4", "figS4_learning_curves_candidates", "", "03_train", f"{_N}.figures.plot_learning_curves", "Learning curves of every candidate and stage."),
    _t("test_auc_by_candidate", "Figure 3C", "03_train", f"{_N}.predict.auc_by_candidate", "Test AUC per candidate and stage, beside the paper's."),
    _t("validation_auc_by_candidate", "", "03_train", f"{_N}.predict.auc_by_candidate", "Validation AUC per candidate and stage."),
    _t("cascade_calls", "", "03_train", f"{_N}.predict.cascade_summary", "Final calls of the two-stage cascade per split and group."),
    # 04 stage-wise ROC
    _t("operating_points", "Table 2", "04_stage_roc", f"{_R}.metrics.selected_operating_points", "Operating points of GVisageNet, on the split they are chosen on (out-of-fold training scores or the internal test split)."),
    _t("two_by_two", "Table 2", "04_stage_roc", f"{_R}.metrics.two_by_two", "2x2 tables of GVisageNet (TP, FP, FN, TN with totals) per stage, split and operating point."),
    _t("stard_flow", "Figure 1", "04_stage_roc", f"{_C}.figures.stard_flow_counts", "STARD flow counts per stage and split: eligible, excluded at photo QC by reason, index test, outcomes at the threshold."),
    _f("figS5", "figS5_stard_flow", "Figure 1", "04_stage_roc", f"{_C}.figures.plot_stard_flow", "STARD flow diagram per stage and split, with the photo-QC exclusions."),
    _t("table2_gvisagenet", "Table 2", "04_stage_roc", f"{_R}.metrics.format_table2", "GVisageNet rows of both stages."),
    _t("gvisagenet_metrics_long", "Table 2", "04_stage_roc", f"{_R}.metrics.gvisagenet_metrics", "GVisageNet's metrics at every operating point, tidy."),
    _t("stage_roc_paper_vs_this_run", "Table 2", "04_stage_roc", f"{_R}.metrics.paper_comparison", "This run's stage-wise numbers beside the paper's."),
    _t("candidates", "Figure 3C", "04_stage_roc", f"{_R}.metrics.candidate_metrics", "Test metrics of every candidate."),
    _f("fig3c", "fig3c_candidate_models_test", "Figure 3C", "04_stage_roc", f"{_R}.figures.plot_candidates", "Accuracy, sensitivity, specificity and AUC of the candidates (test)."),
    _t("auc_vs_chance", "Abstract", "04_stage_roc", f"{_R}.metrics.auc_vs_chance_table", "GVisageNet's AUC against 0.5 per stage and split (DeLong z-test, Mann-Whitney)."),
    _t("delong_pairwise", "", "04_stage_roc", f"{_R}.metrics.pairwise_delong", "Paired DeLong comparisons of the candidates."),
    _t("roc_bands", "Figure 4", "04_stage_roc", f"{_R}.metrics.roc_bands", "Bootstrap confidence bands of GVisageNet's ROC curves."),
    _f("fig4a", "fig4a_roc_stage1_test_validation", "Figure 4A", "04_stage_roc", f"{_R}.figures.plot_roc_stage", "ROC of GVisageNet, stage 1 (test and validation)."),
    _f("fig4b", "fig4b_roc_stage2_test_validation", "Figure 4B", "04_stage_roc", f"{_R}.figures.plot_roc_stage", "ROC of GVisageNet, stage 2 (test and validation)."),
    _f("fig4c", "fig4c_gvisagenet_metrics_test", "Figure 4C", "04_stage_roc", f"{_R}.figures.plot_gvisagenet_bars", "GVisageNet's AUC, accuracy, sensitivity and specificity (test)."),
    _f("fig4d", "fig4d_gvisagenet_metrics_validation", "Figure 4D", "04_stage_roc", f"{_R}.figures.plot_gvisagenet_bars", "GVisageNet's AUC, accuracy, sensitivity and specificity (validation)."),
    _t("pr_summary", "", "04_stage_roc", f"{_R}.metrics.pr_summary", "Average precision of GVisageNet per stage and split."),
    _f("figS6", "figS6_pr_curves_gvisagenet", "", "04_stage_roc", f"{_R}.figures.plot_pr_curves", "Precision-recall curves of GVisageNet."),
    # 05 clinical and hybrid
    _t("stage2_univariate_screening", "Table 1", "05_clinical_hybrid", f"{_H}.logistic.screen_univariate", "Univariate screening of the clinical variables (training split)."),
    _t("stage2_logistic_coefficients", "", "05_clinical_hybrid", f"{_H}.hybrid.HybridFits.coefficient_table", "Odds ratios of the clinical and hybrid models."),
    _t("stage2_vif", "", "05_clinical_hybrid", f"{_H}.hybrid.models_vif", "Variance inflation factors of the clinical and hybrid models."),
    _t("stage2_imputed_values", "", "05_clinical_hybrid", f"{_H}.hybrid.HybridFits.imputation_table", "Missing values imputed per clinical variable and split, with the fill value and the split it was learned on."),
    _t("table2_stage2_models", "Table 2", "05_clinical_hybrid", f"{_H}.hybrid.model_metrics", "Stage 2: GVisageNet, logistic regression and hybrid model."),
    _t("stage2_model_scores", "", "05_clinical_hybrid", f"{_H}.hybrid.fit_models", "Every stage-2 subject's score under each model."),
    _t("table2_stage2_models_vs_paper", "Table 2", "05_clinical_hybrid", f"{_H}.hybrid.table2_with_paper", "Table 2's stage-2 rows beside the paper's."),
    _f("figS7a", "figS7a_stage2_models_roc_test", "", "05_clinical_hybrid", f"{_H}.figures.plot_models_roc", "ROC of the three stage-2 models (test)."),
    _f("figS7b", "figS7b_stage2_models_roc_validation", "", "05_clinical_hybrid", f"{_H}.figures.plot_models_roc", "ROC of the three stage-2 models (validation)."),
    _t("stage2_model_comparisons", "", "05_clinical_hybrid", f"{_H}.hybrid.compare_models", "DeLong, likelihood-ratio and bootstrap comparisons of the stage-2 models."),
    _t("stage2_sensitivity_screened_models", "", "05_clinical_hybrid", f"{_H}.hybrid.screened_model_metrics", "Sensitivity analysis: the models on the screened variables."),
    _t("stage2_optimism", "", "05_clinical_hybrid", f"{_H}.optimism.optimism_bootstrap", "Apparent and optimism-corrected AUC and calibration slope of each clinical model (Harrell's bootstrap)."),
    _t("stage2_calibration", "", "05_clinical_hybrid", f"{_H}.calibration.calibration_table", "Calibration slope, intercept and Brier score of the stage-2 models."),
    _f("figS8a", "figS8a_stage2_calibration_test", "", "05_clinical_hybrid", f"{_H}.figures.plot_calibration", "Calibration curves of the stage-2 models (test)."),
    _f("figS8b", "figS8b_stage2_calibration_validation", "", "05_clinical_hybrid", f"{_H}.figures.plot_calibration", "Calibration curves of the stage-2 models (validation)."),
    _t("stage2_decision_curves_validation", "", "05_clinical_hybrid", f"{_H}.calibration.decision_curves", "Net benefit of the stage-2 models (validation)."),
    _f("figS9", "figS9_stage2_decision_curves_validation", "", "05_clinical_hybrid", f"{_H}.figures.plot_decision_curve", "Decision curves of the stage-2 models (validation)."),
    # 06 endocrine
    _t("fig5a_score_endocrine_correlations", "Figure 5A", "06_endocrine", f"{_E}.correlation.score_correlations", "Correlation of the stage-2 score with 15 endocrine indicators."),
    _t("fig5a_signs_paper_vs_this_run", "Figure 5A", "06_endocrine", f"{_E}.correlation.fig5a_signs_with_paper", "The paper's Fig 5A signs beside this run's."),
    _t("fig5a_correlation_matrix", "Figure 5A", "06_endocrine", f"{_E}.correlation.correlation_matrix", "Pairwise correlations of the score and the indicators."),
    _f("fig5a", "fig5a_score_endocrine_correlation_heatmap", "Figure 5A", "06_endocrine", f"{_E}.figures.plot_correlation_heatmap", "Correlations of the score and 15 endocrine indicators (validation tumours)."),
    _t("fig5a_score_endocrine_correlations_by_group", "Figure 5A", "06_endocrine", f"{_E}.correlation.score_correlations", "The correlations within each tumour group."),
    _t("table3_hpt_strata", "Table 3", "06_endocrine", f"{_E}.strata.strata_metrics", "Stage 2 by HPT-axis damage (validation)."),
    _t("table3_paper_vs_this_run", "Table 3", "06_endocrine", f"{_E}.strata.table3_with_paper", "Table 3 beside the paper's."),
    _f("fig5b", "fig5b_hpt_strata_metrics", "Figure 5B", "06_endocrine", f"{_E}.figures.plot_strata", "AUC, accuracy, sensitivity and specificity by HPT-axis damage."),
    _t("table3_hpt_strata_tests", "Table 3", "06_endocrine", f"{_E}.strata.strata_tests", "Friedman test as the paper's and tests for independent strata."),
    _t("table3_paper_friedman_recomputed", "Table 3", "06_endocrine", f"{_E}.strata.strata_tests", "The paper's Friedman test recomputed from its own Table 3."),
    _t("twin_truth_check_mechanism", "", "06_endocrine", f"{_E}.correlation.run_truth_check", "Does the analysis recover what the twin planted?"),
    _t("fig5c_attribution_subjects", "Figure 5C", "06_endocrine", f"{_N}.fig5c.fig5c_attribution", "Subjects whose attribution maps were computed, with the selected network's score per stage."),
    _t("fig5c_localisation", "Figure 5C", "06_endocrine", f"{_N}.localisation.localisation_table", "Share of attribution on each planted phenotype's region, the rest of the face and the background, and its enrichment over the area share (synthetic twin)."),
    _t("fig5c_localisation_by_subject", "Figure 5C", "06_endocrine", f"{_N}.localisation.localisation_shares", "Per subject, stage, method and phenotype: intensity and attribution share on the planted region and the face (synthetic twin)."),
    _t("fig5c_occlusion", "Figure 5C", "06_endocrine", f"{_N}.occlusion.occlusion_table", "Change of the stage score when each planted phenotype's region is hidden, against equal areas elsewhere on the face, per group, with a t 95% CI across subjects (synthetic twin)."),
    _t("fig5c_occlusion_by_subject", "Figure 5C", "06_endocrine", f"{_N}.occlusion.occlusion_deltas", "Per subject, stage and local phenotype: the score drops when its region and equal-area control patches are hidden (synthetic twin)."),
    _f("fig5c", "fig5c_attribution_maps", "Figure 5C", "06_endocrine", f"{_N}.attribution_figures.plot_fig5c", "Where the selected network looks: Grad-CAM and integrated-gradient maps per stage, group-averaged, one colour scale per row (over the group's average face and with an example per group on the synthetic twin only)."),
    # 07 simulation
    _t("simulation_type1_nested", "", "07_simulation", f"{_S}.summary.simulation_tables", "Type-I error of DeLong's test of hybrid vs clinical model, the likelihood-ratio test and the bootstrap, when the added score carries no information."),
    _f("figS10", "figS10_simulation_type1_nested", "", "07_simulation", f"{_S}.figures.plot_type1", "Type-I error and null P values of the nested-model tests."),
    _t("simulation_coverage", "", "07_simulation", f"{_S}.summary.simulation_tables", "Coverage of DeLong CIs of the AUC and of Clopper-Pearson CIs of sensitivity and specificity at thresholds picked on training data (rejection_rate holds the coverage)."),
    _f("figS11", "figS11_simulation_coverage", "", "07_simulation", f"{_S}.figures.plot_rejection_rates", "Coverage of the AUC, sensitivity and specificity intervals."),
    _t("simulation_type1_strata", "", "07_simulation", f"{_S}.summary.simulation_tables", "Type-I error of the paper's Friedman test and of the tests of independent AUCs when the HPT strata share one AUC."),
    _f("figS12", "figS12_simulation_type1_strata", "", "07_simulation", f"{_S}.figures.plot_type1", "Type-I error and null P values of the tests across HPT strata."),
    _t("simulation_power", "", "07_simulation", f"{_S}.summary.simulation_tables", "Power of each test for the planted effect sizes."),
    _f("figS13", "figS13_simulation_power", "", "07_simulation", f"{_S}.figures.plot_rejection_rates", "Power of the nested-model tests and of the tests across strata."),
    # the run's report (index.html), written after the last notebook
    _t("paper_claims", "", "index", "gvisage_lib.paper.claims.claims_table", "Every claim of the paper beside this run's value, with a verdict by a stated rule."),
    _t("limitations", "", "index", "gvisage_lib.run.notice.limitations", "The run's limitations: data, profile, training seed, thresholds, in-sample rows, selection."),
)

_BY_KEY = {(o.kind, o.key): o for o in OUTPUTS}
if len(_BY_KEY) != len(OUTPUTS) or len({o.name for o in OUTPUTS}) != len(OUTPUTS):
    raise RuntimeError("gvisage_lib.paper.index: output keys and names must be unique")


def _get(kind: str, key: str) -> Output:
    try:
        return _BY_KEY[(kind, key)]
    except KeyError:
        keys = sorted(k for (kd, k) in _BY_KEY if kd == kind)
        raise KeyError(f"no {kind} with key {key!r} in gvisage_lib.paper.index; keys: {keys}") from None


def figure_name(key: str) -> str:
    """File stem of the figure with ``key`` (``.png`` and ``.pdf`` are added when it is saved)."""
    return _get("figure", key).name


_FIG_NUMBER = re.compile(r"^fig(S?)(\d+)([a-z]?)$")


def figure_number(key: str) -> str:
    """Number of the figure with ``key``, as its file name, its caption and its notebook heading spell it.

    The paper's number where the paper has the figure (``"4A"`` for ``fig4a_...``), an S-number for a figure of
    this package (``"S7A"`` for ``figS7a_...``): the key is the file name's first part.

    Examples
    --------
    >>> figure_number("fig4a"), figure_number("figS4"), figure_number("figS7b")
    ('4A', 'S4', 'S7B')
    """
    _get("figure", key)
    m = _FIG_NUMBER.match(key)
    if m is None:
        raise ValueError(f"figure key {key!r} is not fig<n>[a-z] or figS<n>[a-z]")
    return f"{m[1]}{m[2]}{m[3].upper()}"


def figure_caption(key: str) -> str:
    """Numbered caption of the figure with ``key``: ``Figure <number>. <caption>``.

    A supplementary figure that stands beside one of the paper's figures says which.

    Examples
    --------
    >>> figure_caption("figS1")
    'Figure S1. Photos and subjects by quality-control outcome.'
    >>> figure_caption("figS5")
    "Figure S5. STARD flow diagram per stage and split, with the photo-QC exclusions. Beside the paper's Figure 1."
    """
    out = _get("figure", key)
    number = figure_number(key)
    text = f"Figure {number}. {out.caption}"
    return f"{text} Beside the paper's {out.paper_item}." if out.paper_item and out.paper_item != f"Figure {number}" \
        else text


#: The tables that are the paper's own (one of its pieces): numbered as the paper numbers them.
PAPER_TABLES: dict[str, str] = {"table1_paper_layout": "1", "table2_gvisagenet": "2", "table2_stage2_models": "2",
                                "table3_hpt_strata": "3"}


def table_number(key: str) -> str:
    """Number of the table with ``key``: the paper's (``"1"``) for :data:`PAPER_TABLES`, else ``"S<n>"`` in reading
    order (the order of :data:`OUTPUTS`).

    Examples
    --------
    >>> table_number("table1_paper_layout"), table_number("manifest_validation"), table_number("table1")
    ('1', 'S1', 'S3')
    """
    _get("table", key)
    if key in PAPER_TABLES:
        return PAPER_TABLES[key]
    ours = [o.key for o in OUTPUTS if o.kind == "table" and o.key not in PAPER_TABLES]
    return f"S{ours.index(key) + 1}"


def table_caption(key: str) -> str:
    """Numbered caption of the table with ``key``: ``Table <number>. <caption>``.

    Examples
    --------
    >>> table_caption("table3_hpt_strata")
    'Table 3. Stage 2 by HPT-axis damage (validation).'
    """
    return f"Table {table_number(key)}. {_get('table', key).caption}"


def table_name(key: str) -> str:
    """File stem of the table with ``key`` (``.csv`` is added when it is saved).

    Examples
    --------
    >>> table_name("table3_hpt_strata")
    'table3_hpt_strata'
    """
    return _get("table", key).name


def outputs() -> pd.DataFrame:
    """The index as a table: key, kind, name, paper_item, notebook, function, caption.

    Examples
    --------
    >>> sorted(outputs().query("paper_item != ''")["paper_item"].unique())[:3]
    ['Abstract', 'Figure 1', 'Figure 3A']
    """
    return pd.DataFrame([asdict(o) for o in OUTPUTS])
