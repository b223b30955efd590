"""The paper's published numbers (one transcription) and the index of what regenerates each of its items.

Examples
--------
>>> from gvisage_lib import paper
>>> paper.CLINICAL_MODEL[:2]
('limb_movement_disorder', 'diabetes_insipidus')
"""

from gvisage_lib.paper.numbers import (
    CLINICAL_MODEL,
    FIG5A_SIGNS,
    candidate_auc,
    counts,
    fig5a_signs,
    format_p,
    parse_p,
    pooled_demographics,
    results,
    statements,
    table1,
    table2,
    table3,
    training_p,
)

__all__ = ["CLINICAL_MODEL", "FIG5A_SIGNS", "candidate_auc", "counts", "fig5a_signs", "format_p", "parse_p",
           "pooled_demographics", "results", "statements", "table1", "table2", "table3", "training_p"]
