"""Notebook 03: the candidate CNNs, their training in two stages, predictions, the selection of GVisageNet and the
readers of what training writes into the run folder; for notebook 06, the attribution maps of Fig 5C.

The readers (:mod:`gvisage_lib.cnn.outputs`) need no PyTorch; everything else is imported on first use, so the
statistics notebooks (04, 05 and 06 up to its Fig 5C), which only read predictions, do not load PyTorch.

Examples
--------
>>> from gvisage_lib.cnn import load_selected_model
>>> callable(load_selected_model)
True
"""

from __future__ import annotations

import importlib
from typing import Any

from gvisage_lib.cnn.outputs import FitPredictions, load_fit_predictions, load_predictions, load_selected_model

_LAZY = {
    "MODEL_REGISTRY": "models", "build_model": "models",
    "StackSet": "datasets", "load_stacks": "datasets", "load_subjects": "datasets", "stage_subjects": "datasets",
    "CandidateRun": "candidates", "TrainedModel": "training", "load_trained": "training",
    "train_candidates": "candidates", "train_model": "training",
    "auc_by_candidate": "predict", "cascade_summary": "predict", "cascade_table": "predict", "pick_device": "predict",
    "predict_scores": "predict", "select_gvisagenet": "predict",
    "plot_learning_curves": "figures",
    "fig5c_attribution": "fig5c", "fig5c_missing_inputs": "fig5c", "localisation_pivot": "localisation",
    "plot_fig5c": "attribution_figures", "occlusion_interpretation": "occlusion",
}

__all__ = ["FitPredictions", "load_fit_predictions", "auc_by_candidate", "build_model", "CandidateRun",
           "cascade_summary", "cascade_table", "fig5c_attribution", "fig5c_missing_inputs", "load_predictions",
           "localisation_pivot", "occlusion_interpretation", "plot_fig5c",
           "load_selected_model", "load_stacks", "load_subjects", "load_trained", "MODEL_REGISTRY", "pick_device",
           "plot_learning_curves", "predict_scores", "select_gvisagenet", "StackSet", "stage_subjects",
           "train_candidates", "train_model",
           "TrainedModel"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"gvisage_lib.cnn.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'gvisage_lib.cnn' has no attribute {name!r}")
