"""Notebook 01: the cohort manifest (reading and validation), the privacy guard, Table 1 and the study flow.
"""


from gvisage_lib.cohort.demographics import cohort_pooled_demographics, pooled_demographics_table
from gvisage_lib.cohort.figures import (
    other_tumour_types,
    plot_other_tumour_types,
    plot_site_by_institution,
    plot_stard_flow,
    plot_study_flow,
    stard_flow_counts,
    study_flow_counts,
    tumour_site_by_institution,
)
from gvisage_lib.cohort.manifest import ManifestError, ValidationReport, load_manifest, validate_manifest
from gvisage_lib.cohort.privacy import PrivacyError, assert_renderable, is_synthetic_cohort
from gvisage_lib.cohort.table1 import (
    calibration_vs_paper,
    largest_deviation,
    table1,
    table1_all_splits,
    table1_paper_layout,
)
from gvisage_lib.stats.two_groups import TwoGroupResult, compare_two_groups

__all__ = ["assert_renderable", "calibration_vs_paper", "cohort_pooled_demographics", "compare_two_groups",
           "is_synthetic_cohort", "pooled_demographics_table",
           "largest_deviation", "load_manifest", "ManifestError", "other_tumour_types",
           "plot_other_tumour_types", "plot_site_by_institution", "plot_stard_flow", "plot_study_flow", "PrivacyError",
           "stard_flow_counts", "study_flow_counts", "table1", "table1_all_splits", "table1_paper_layout",
           "TwoGroupResult", "tumour_site_by_institution", "validate_manifest", "ValidationReport"]
