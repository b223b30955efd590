"""Notebook 03: the candidate CNNs, their training in two stages, predictions, the selection of GVisageNet and the
readers of what training writes into the run folder.
"""


from gvisage_lib.cnn.models import MODEL_REGISTRY, build_model
from gvisage_lib.cnn.datasets import StackSet, load_stacks, load_subjects, stage_subjects
from gvisage_lib.cnn.training import CandidateRun, TrainedModel, load_trained, train_candidates, train_model
from gvisage_lib.cnn.predict import (auc_by_candidate, cascade_summary, cascade_table, pick_device, predict_scores,
                                     select_gvisagenet)
from gvisage_lib.cnn.outputs import load_predictions, load_selected_model

__all__ = ["auc_by_candidate", "build_model", "CandidateRun", "cascade_summary", "cascade_table", "load_predictions",
           "load_selected_model", "load_stacks", "load_subjects", "load_trained", "MODEL_REGISTRY", "pick_device",
           "predict_scores", "select_gvisagenet", "StackSet", "stage_subjects", "train_candidates", "train_model",
           "TrainedModel"]
