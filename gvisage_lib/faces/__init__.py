"""Notebook 02: face detection, preprocessing into 12-channel stacks with quality control, and the checks that the
faces carry a signal (image statistics, the twin's ceilings).
"""


from gvisage_lib.faces.detection import detect_faces, laplacian_variance, read_image
from gvisage_lib.faces.figures import crops_montage, phenotype_montage, plot_qc_reasons
from gvisage_lib.faces.preprocess import (
    excluded_subjects,
    load_qc_photos,
    load_stack,
    preprocess_cohort,
    preprocess_summary,
    qc_counts,
    qc_notes,
)
from gvisage_lib.faces.signal_check import (
    cohort_signal_check,
    image_statistics,
    phenotype_ceiling,
    signal_check,
    twin_ceilings,
)

__all__ = ["cohort_signal_check", "crops_montage", "detect_faces", "excluded_subjects", "image_statistics",
           "laplacian_variance", "load_qc_photos", "load_stack", "phenotype_ceiling", "phenotype_montage",
           "plot_qc_reasons", "preprocess_cohort", "preprocess_summary", "qc_counts", "qc_notes", "read_image",
           "signal_check", "twin_ceilings"]
