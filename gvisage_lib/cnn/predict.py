"""Scores, the predictions table, selection of GVisageNet among the candidates, and the two-stage cascade.

* **Score** = softmax probability of the stage's positive class (tumour in stage 1, iGCT in stage 2).
* **Selection (the paper's rule)**: the candidates' stage-1 test AUCs were similar, so the paper chose the
  architecture with the best **stage-2 test AUC** (ResNet-50) and used it for both stages. Here too: GVisageNet =
  argmax over candidates of the stage-2 AUC on the test split (ties go to the earlier candidate in the profile's
  order); the validation split (external set) is never used for selection.
* **Cascade threshold: 0.5** on the stage-1 score, i.e. the class with the higher probability, which is the paper's
  stated decision rule ("the highest probability determining the category label"). Subjects called tumour go to
  stage 2; final call = ``iGCT`` if the stage-2 score >= 0.5, else ``other``; subjects called normal get ``NC``.
  The same argmax rule applies in stage 2. No threshold is tuned on any split.

Examples
--------
>>> import pandas as pd
>>> pred = pd.DataFrame({"subject_id": list("abcdabcd"), "split": "test", "stage": 2,
...                      "model": ["alexnet"] * 4 + ["resnet50"] * 4, "label": [0, 1, 0, 1] * 2,
...                      "score": [.2, .1, .3, .4, .1, .9, .2, .8], "profile": "quick", "seed": 1,
...                      "checkpoint_sha256": "x"})
>>> select_gvisagenet(pred)["gvisagenet"]
'resnet50'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from gvisage_lib import paper
from gvisage_lib.cnn.datasets import prepare_batch
from gvisage_lib.core import schema

__all__ = ["CASCADE_COLUMNS", "CASCADE_THRESHOLD", "auc_by_candidate", "cascade_summary", "cascade_table",
           "batched_scores", "pick_device", "predict_scores", "predictions_frame", "select_gvisagenet"]

#: Stage-1 score at or above which a subject is called tumour (argmax of two softmax outputs), and likewise stage 2.
CASCADE_THRESHOLD: float = 0.5

#: Columns of cascade.parquet.
CASCADE_COLUMNS: tuple[str, ...] = ("subject_id", "split", "group", "stage1_score", "stage1_call", "stage2_score",
                                    "final_call")

def pick_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA if available else CPU; anything else is passed to :class:`torch.device`.

    Examples
    --------
    >>> pick_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def predict_scores(net: nn.Module, x: torch.Tensor, *, batch_size: int = 64,
                   device: str | torch.device = "auto") -> np.ndarray:
    """Softmax probability of class 1 (the stage's positive class) for uint8 stacks ``x`` (N, C, S, S).

    The network is put in eval mode (plain logits, no dropout, BatchNorm running statistics); on CUDA the forward
    pass runs in mixed precision and channels_last, on the CPU in float32 and the default memory layout, whatever
    layout the network was trained in (so a trained network and its reloaded weights give identical scores).

    Examples
    --------
    >>> from gvisage_lib.cnn.models import build_model
    >>> _ = torch.manual_seed(0)  # the untrained network's weights, so that its scores are the same on every run
    >>> net = build_model("resnet50")  # doctest: +SLOW
    >>> s = predict_scores(net, torch.zeros(3, 12, 40, 40, dtype=torch.uint8), device="cpu")
    >>> s.shape, bool(((s > 0) & (s < 1)).all())
    ((3,), True)
    """
    dev = pick_device(device)
    net.eval()
    # one memory format for every prediction (a network fresh from channels_last training and the same weights
    # loaded from model.pt must give identical scores): channels_last on CUDA, the default layout on the CPU
    net.to(dev, memory_format=torch.channels_last if dev.type == "cuda" else torch.contiguous_format)
    return batched_scores(net, x, batch_size=batch_size, device=dev,
                          amp_dtype=torch.float16 if dev.type == "cuda" else None)


def batched_scores(net: nn.Module, x: torch.Tensor, *, batch_size: int, device: torch.device,
                   amp_dtype: torch.dtype | None, channels_last: bool | None = None) -> np.ndarray:
    """Softmax probability of class 1 for uint8 stacks ``x``, batch by batch, as ``net`` stands (its mode, device and
    memory format are the caller's), under autocast to ``amp_dtype`` (None: no autocast); the batches go in
    channels_last when ``channels_last`` is true (None: on CUDA, see
    :func:`~gvisage_lib.cnn.datasets.prepare_batch`).

    :func:`predict_scores` calls it in the canonical precision and layout; training's per-epoch test pass in the
    training's own (:mod:`gvisage_lib.cnn.training`).

    Examples
    --------
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 2)).eval()
    >>> batched_scores(net, torch.zeros(5, 3, 4, 4, dtype=torch.uint8), batch_size=2, device=torch.device("cpu"),
    ...                amp_dtype=None).shape
    (5,)
    """
    out = []
    with torch.inference_mode(), torch.autocast(device.type, dtype=amp_dtype or torch.float32,
                                                enabled=amp_dtype is not None):
        for i in range(0, x.shape[0], batch_size):
            logits = net(prepare_batch(x[i:i + batch_size], device, None, channels_last=channels_last))
            out.append(torch.softmax(logits.float(), dim=1)[:, 1].cpu())
    return torch.cat(out).numpy().astype(np.float64) if out else np.empty(0)


def predictions_frame(subjects: pd.DataFrame, scores: Sequence[float] | np.ndarray, *, stage: int, model: str,
                      profile: str, seed: int, checkpoint_sha256: str) -> pd.DataFrame:
    """One stage's predictions in the schema of predictions.parquet (``schema.PREDICTION_COLUMNS``).

    Parameters
    ----------
    subjects : pandas.DataFrame
        ``subject_id, split, label`` of the subjects taking part in ``stage`` (``datasets.stage_subjects``).
    scores : array-like
        Softmax P(positive), aligned with ``subjects``.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a"], "split": ["test"], "label": [1]})
    >>> predictions_frame(df, [0.7], stage=1, model="resnet50", profile="quick", seed=1,
    ...                   checkpoint_sha256="ab").columns.tolist() == list(schema.PREDICTION_COLUMNS)
    True
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(subjects),):
        raise ValueError(f"scores must have shape ({len(subjects)},), got {scores.shape}")
    out = pd.DataFrame({
        "subject_id": subjects["subject_id"].astype(str).to_numpy(),
        "split": subjects["split"].astype(str).to_numpy(),
        "stage": np.int64(stage), "model": model,
        "label": subjects["label"].astype(np.int64).to_numpy(),
        "score": scores, "profile": profile, "seed": np.int64(seed), "checkpoint_sha256": checkpoint_sha256,
    })
    return out[list(schema.PREDICTION_COLUMNS)]


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if len(np.unique(y)) == 2 else float("nan")


def auc_by_candidate(predictions: pd.DataFrame, split: str = "test") -> pd.DataFrame:
    """AUC of every candidate and stage on ``split``, beside the paper's value where it reports one.

    Returns a tidy table: ``model, stage, split, n, n_positive, auc`` (this run) and ``paper_auc``.

    Examples
    --------
    >>> pred = pd.DataFrame({"model": "resnet50", "stage": 2, "split": "test", "label": [0, 1, 1],
    ...                      "score": [.1, .8, .3]})
    >>> auc_by_candidate(pred)[["model", "auc", "paper_auc"]].values.tolist()
    [['resnet50', 1.0, 0.705]]
    """
    if split not in schema.SPLITS:
        raise ValueError(f"split must be one of {list(schema.SPLITS)}, got {split!r}")
    rows, reported = [], paper.candidate_auc()
    sub = predictions[predictions["split"] == split]
    for (model, stage), g in sub.groupby(["model", "stage"], sort=False):
        y, s = g["label"].to_numpy(), g["score"].to_numpy()
        rows.append({"model": model, "stage": int(stage), "split": split, "n": len(g), "n_positive": int(y.sum()),
                     "auc": _auc(y, s), "paper_auc": reported.get((str(model), int(stage), split), np.nan)})
    return pd.DataFrame(rows, columns=["model", "stage", "split", "n", "n_positive", "auc", "paper_auc"])


def select_gvisagenet(predictions: pd.DataFrame, candidates: Sequence[str] | None = None) -> dict[str, Any]:
    """Choose GVisageNet by the paper's rule: the candidate with the highest stage-2 test AUC, used for both stages.

    Parameters
    ----------
    predictions : pandas.DataFrame
        predictions.parquet content.
    candidates : sequence of str, optional
        Candidates in priority order for ties; default = order of first appearance in ``predictions``.

    Returns
    -------
    dict
        ``{"stage1", "stage2", "gvisagenet", "rule", "test_auc": {"stage1": {model: auc}, "stage2": {...}}}``
        (the content of selected_model.json).

    Examples
    --------
    See the module docstring.
    """
    tab = auc_by_candidate(predictions, "test")
    order = list(candidates) if candidates is not None else list(dict.fromkeys(predictions["model"]))
    s2 = tab[tab["stage"] == 2].set_index("model")["auc"]
    avail = [m for m in order if m in s2.index and np.isfinite(s2[m])]
    if not avail:
        raise ValueError("predictions hold no finite stage-2 test AUC: cannot select GVisageNet")
    best = max(avail, key=lambda m: (s2[m], -order.index(m)))
    test_auc = {f"stage{k}": {str(r.model): float(r.auc) for r in tab[tab["stage"] == k].itertuples()}
                for k in (1, 2)}
    return {"stage1": best, "stage2": best, "gvisagenet": best,
            "rule": "paper: candidate with the highest stage-2 AUC on the test split, used for both stages "
                    "(ties: earlier candidate); validation split not used",
            "cascade_threshold": CASCADE_THRESHOLD, "test_auc": test_auc}


def cascade_table(subjects: pd.DataFrame, stage1_score: Sequence[float] | np.ndarray,
                  stage2_score: Sequence[float] | np.ndarray,
                  threshold: float = CASCADE_THRESHOLD) -> pd.DataFrame:
    """The two-stage cascade: stage 2 applied to the subjects that stage 1 calls tumour.

    Parameters
    ----------
    subjects : pandas.DataFrame
        ``subject_id, split, group`` of every included subject.
    stage1_score : array-like
        Stage-1 score of every subject (aligned with ``subjects``).
    stage2_score : array-like
        Stage-2 score of every subject; only used where stage 1 calls tumour (NaN elsewhere in the output).
    threshold : float, default 0.5
        Calls: stage 1 tumour if score >= threshold; stage 2 iGCT if score >= threshold.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CASCADE_COLUMNS`; ``stage1_call`` 1 = tumour; ``final_call`` in {"NC", "iGCT", "other"}.

    Examples
    --------
    >>> subj = pd.DataFrame({"subject_id": ["a", "b", "c"], "split": "test", "group": ["NC", "iGCT", "other"]})
    >>> cascade_table(subj, [0.2, 0.9, 0.7], [0.9, 0.8, 0.3])["final_call"].tolist()
    ['NC', 'iGCT', 'other']
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    s1 = np.asarray(stage1_score, dtype=np.float64)
    s2 = np.asarray(stage2_score, dtype=np.float64)
    if s1.shape != (len(subjects),) or s2.shape != (len(subjects),):
        raise ValueError(f"stage1_score and stage2_score must have shape ({len(subjects)},), got {s1.shape}, "
                         f"{s2.shape}")
    call1 = (s1 >= threshold).astype(np.int64)
    s2 = np.where(call1 == 1, s2, np.nan)
    final = np.where(call1 == 0, "NC", np.where(s2 >= threshold, "iGCT", "other"))
    out = pd.DataFrame({"subject_id": subjects["subject_id"].astype(str).to_numpy(),
                        "split": subjects["split"].astype(str).to_numpy(),
                        "group": subjects["group"].astype(str).to_numpy(), "stage1_score": s1,
                        "stage1_call": call1, "stage2_score": s2, "final_call": final})
    return out[list(CASCADE_COLUMNS)]



def cascade_summary(cascade: pd.DataFrame) -> pd.DataFrame:
    """Counts of true group x final call per split (tidy: ``split, group, final_call, n``) from cascade.parquet.

    Examples
    --------
    >>> cas = pd.DataFrame({"split": "test", "group": ["NC", "iGCT", "iGCT"], "final_call": ["NC", "iGCT", "NC"]})
    >>> cascade_summary(cas).query("group == 'iGCT'")[["final_call", "n"]].values.tolist()
    [['NC', 1], ['iGCT', 1], ['other', 0]]
    """
    missing = {"split", "group", "final_call"} - set(cascade.columns)
    if missing:
        raise ValueError(f"cascade lacks column(s) {sorted(missing)}")
    idx = pd.MultiIndex.from_product([[s for s in schema.SPLITS if s in set(cascade["split"])], schema.GROUPS,
                                      ("NC", "iGCT", "other")], names=["split", "group", "final_call"])
    n = cascade.groupby(["split", "group", "final_call"]).size().reindex(idx, fill_value=0)
    return n.rename("n").reset_index()
