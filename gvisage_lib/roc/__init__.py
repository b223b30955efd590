"""Notebook 04: stage-wise diagnostic accuracy of the candidates and GVisageNet (Table 2 rows, Fig 3C, Fig 4).
"""


from gvisage_lib.roc.figures import (
    plot_candidates,
    plot_gvisagenet_bars,
    plot_metric_bars,
    plot_pr_curves,
    plot_roc_stage,
)
from gvisage_lib.roc.metrics import (
    auc_vs_chance_table,
    candidate_metrics,
    format_table2,
    format_two_by_two,
    gvisagenet_metrics,
    pairwise_delong,
    paper_comparison,
    pr_summary,
    roc_bands,
    selected_operating_points,
    stage_metrics,
    train_operating_points,
    two_by_two,
)

__all__ = ["auc_vs_chance_table", "candidate_metrics", "format_table2", "gvisagenet_metrics", "pairwise_delong",
           "paper_comparison", "plot_candidates", "plot_gvisagenet_bars", "plot_metric_bars", "plot_pr_curves",
           "plot_roc_stage",
           "pr_summary", "roc_bands", "selected_operating_points", "stage_metrics", "train_operating_points",
           "format_two_by_two", "two_by_two"]
