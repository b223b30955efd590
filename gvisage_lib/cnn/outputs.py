"""Readers of the training step's outputs in a run folder: ``predictions.parquet`` and ``selected_model.json``.

Every later step reads them through these functions only, so what is validated is what is used.

Examples
--------
>>> load_selected_model("/nonexistent/selected_model.json")
Traceback (most recent call last):
...
FileNotFoundError: selected-model file not found: /nonexistent/selected_model.json (written by notebook 03)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths

__all__ = ["FitPredictions", "load_fit_predictions", "load_predictions", "load_selected_model"]


def load_predictions(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate ``predictions.parquet`` (schema: :data:`gvisage_lib.core.schema.PREDICTION_COLUMNS`).

    Raises ``FileNotFoundError`` when missing and ``ValueError`` naming the file, row, column and value of the first
    bad entry of each kind (all kinds at once).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "predictions.parquet"
    >>> row = {"subject_id": "s1", "split": "test", "stage": 1, "model": "resnet50", "label": 1, "score": 0.9,
    ...        "profile": "smoke", "seed": 1, "checkpoint_sha256": "0" * 64}
    >>> pd.DataFrame([row])[list(schema.PREDICTION_COLUMNS)].to_parquet(p)
    >>> load_predictions(p).shape[1]
    9
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"predictions file not found: {p} (written by notebook 03)")
    df = pd.read_parquet(p)
    missing = [c for c in schema.PREDICTION_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{p}: missing column(s) {missing}; expected {list(schema.PREDICTION_COLUMNS)}")
    df = df.reset_index(drop=True)
    problems = []

    def bad(mask: pd.Series, column: str, why: str) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask.to_numpy())[0])
            v = df.loc[i, column]
            v = v.item() if isinstance(v, np.generic) else v
            problems.append(f"row {i}, column {column!r}, value {v!r}: {why} ({int(mask.sum())} row(s); rows "
                            "counted from 0)")

    bad(~df["split"].isin(schema.SPLITS), "split", f"must be one of {list(schema.SPLITS)}")
    stage = pd.to_numeric(df["stage"], errors="coerce")
    bad(~stage.isin(list(schema.STAGES)), "stage", f"must be one of {sorted(schema.STAGES)}")
    label = pd.to_numeric(df["label"], errors="coerce")
    bad(~label.isin([0, 1]), "label", "must be 0 or 1")
    score = pd.to_numeric(df["score"], errors="coerce")
    bad(~np.isfinite(score.astype(float)), "score", "must be a finite number")
    bad(df["model"].isna(), "model", "must not be missing")
    dup = df.duplicated(["subject_id", "stage", "model"], keep="first")
    bad(dup, "subject_id", "duplicate (subject_id, stage, model)")
    if problems:
        raise ValueError(f"{p}: invalid predictions:\n  " + "\n  ".join(problems))
    return df.assign(stage=stage.astype(int), label=label.astype(int), score=score.astype(float))


def load_selected_model(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``selected_model.json``; it must name the model of ``stage1`` and ``stage2``.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "selected_model.json"
    >>> _ = p.write_text(json.dumps({"stage1": "resnet50", "stage2": "resnet50", "rule": "x"}))
    >>> load_selected_model(p)["stage2"]
    'resnet50'
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"selected-model file not found: {p} (written by notebook 03)")
    sel = json.loads(p.read_text())
    for key in ("stage1", "stage2"):
        if not isinstance(sel.get(key), str) or not sel[key]:
            raise ValueError(f"{p}: key {key!r} must name a model, got {sel.get(key)!r}")
    return sel


@dataclass(frozen=True)
class FitPredictions:
    """Predictions for the statistics, with the split on which quantities fitted on CNN scores are fitted.

    ``fit_split`` is ``"train"`` when the training subjects' scores are out of fold (the selected model's in-sample
    training scores replaced), ``"test"`` when there are none and the internal test split serves instead.
    """

    frame: pd.DataFrame
    fit_split: str
    score_fit: str
    #: models whose training-split scores in ``frame`` are out of fold (empty with ``score_fit == "test"``).
    oof_models: tuple[str, ...] = ()

    def threshold_split(self, model: str) -> str:
        """Split on which a threshold of ``model``'s score may be chosen without in-sample scores.

        ``fit_split`` for a model with out-of-fold training scores, else the internal test split (the candidates
        not selected have no out-of-fold scores: their thresholds come from the test split, marked in-sample there).

        Examples
        --------
        >>> fp = FitPredictions(pd.DataFrame(), "train", "out_of_fold", ("resnet50",))
        >>> fp.threshold_split("resnet50"), fp.threshold_split("alexnet")
        ('train', 'test')
        """
        return self.fit_split if (self.fit_split == "test" or model in self.oof_models) else "test"

    def threshold_splits(self) -> dict[str, str]:
        """:meth:`threshold_split` of every model in the predictions (``threshold_splits`` of the candidate metrics).

        Examples
        --------
        >>> fp = FitPredictions(pd.DataFrame({"model": ["alexnet", "resnet50"]}), "train", "out_of_fold", ("resnet50",))
        >>> fp.threshold_splits()
        {'alexnet': 'test', 'resnet50': 'train'}
        """
        return {str(m): self.threshold_split(str(m)) for m in sorted(self.frame["model"].unique())}

    @property
    def note(self) -> str:
        """One sentence for the notebooks and tables."""
        if self.score_fit == "out_of_fold":
            return ("thresholds and models on CNN scores fitted on the training split's out-of-fold scores "
                    "(no network scored a subject it was trained on)")
        return ("thresholds and models on CNN scores fitted on the internal test split: their test-split metrics "
                "are in-sample (marked in_sample); the validation split is the unbiased estimate")

    def to_frame(self) -> pd.DataFrame:
        """The predictions (a copy)."""
        return self.frame.copy()


def load_fit_predictions(paths: RunPaths, score_fit: str) -> FitPredictions:
    """The run's predictions (``paths.predictions``, :func:`load_predictions`), prepared for fitting on CNN scores
    as the profile's ``score_fit`` says.

    With ``"out_of_fold"``, the rows of the training split whose model has out-of-fold scores in
    ``paths.predictions_oof`` (written by :func:`gvisage_lib.cnn.candidates.train_out_of_fold`) take those scores;
    a missing file is an error. With ``"test"`` the predictions are returned as they are.

    Examples
    --------
    >>> load_fit_predictions(RunPaths("/nonexistent/run"), "later")
    Traceback (most recent call last):
    ...
    ValueError: score_fit must be 'out_of_fold' or 'test', got 'later'
    """
    if score_fit not in ("out_of_fold", "test"):
        raise ValueError(f"score_fit must be 'out_of_fold' or 'test', got {score_fit!r}")
    pred = load_predictions(paths.predictions)
    if score_fit == "test":
        return FitPredictions(pred, "test", score_fit)
    oof_path = paths.predictions_oof
    if not oof_path.is_file():
        raise FileNotFoundError(f"out-of-fold scores not found: {oof_path} (written by notebook 03 when the profile's "
                                "score_fit is 'out_of_fold')")
    oof = load_predictions(oof_path)
    bad = oof[oof["split"] != "train"]
    if len(bad):
        raise ValueError(f"{oof_path}: out-of-fold scores must be of the train split; row of subject "
                         f"{bad['subject_id'].iloc[0]!r} has split {bad['split'].iloc[0]!r}")
    key = ["subject_id", "stage", "model"]
    merged = pred.merge(oof[[*key, "score", "checkpoint_sha256"]], on=key, how="left", suffixes=("", "_oof"))
    has = merged["score_oof"].notna() & (merged["split"] == "train")
    merged.loc[has, "score"] = merged.loc[has, "score_oof"]
    merged.loc[has, "checkpoint_sha256"] = merged.loc[has, "checkpoint_sha256_oof"]
    out = merged[list(schema.PREDICTION_COLUMNS)]
    return FitPredictions(out, "train", score_fit, tuple(sorted(oof["model"].unique())))
