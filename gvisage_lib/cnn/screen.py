"""Screen one child from up to four face photos with a finished run's GVisageNet: ``gvisage predict``.

The paper's Fig 5C shows an app that takes a child's photos and returns the two stages' probabilities. This is that
app for the command line, on the networks of a run folder made by ``gvisage reproduce``:

1. **Quality control, as preprocessing does it.** Each photo is read, decoded with the pipeline's decoder (pixel cap
   included) and quality-controlled and cropped by :func:`gvisage_lib.faces.preprocess.qc_photo_bytes` with the run's
   image size and crop mode (the run's ``crop_mode`` unless told otherwise; see its record,
   :class:`gvisage_lib.core.record.RunRecord`). A refused photo gets
   the QC reason preprocessing would record (``unreadable``, ``no_face``, ``multiple_faces``, ``face_too_small``,
   ``blurred``; an unreadable one also says why).
2. **The photos are one subject.** The accepted photos are stacked in the order given and repeated cyclically to
   fill the four slots (:func:`gvisage_lib.faces.preprocess.stack_photos`), exactly as a manifest subject's photos
   are: ``combine="stack"`` (default) scores that one stack, the input the networks were trained and evaluated on,
   so the run's thresholds apply to its score. ``combine="mean"`` instead scores each accepted photo alone (its
   four slots filled with it) and averages the scores: an average over photos, on a scale the thresholds were not
   chosen on (the output says so).
3. **The cascade of the run's selected model** (``selected_model.json``, networks ``models/<name>_stage<k>/model.pt``,
   loaded without unpickling): stage 1 gives the probability of a midline tumour; stage 2 the probability that a
   tumour is an iGCT. Stage 2 decides the call only when stage 1 calls tumour; its probability is reported anyway.
4. **Thresholds.** ``rule="youden"`` (default), ``"sensitivity_at_specificity"`` or
   ``"specificity_at_sensitivity"``: the run's operating points of the selected models (``tables/operating_points.csv``
   of notebook 04, chosen on out-of-fold training scores or the internal test split, never on validation).
   ``rule="argmax"``: 0.5, the cascade rule of notebook 03 (the paper's "highest probability"), for a run without
   notebook 04's tables. A subject is positive when its score is at or above the threshold.

This is a research reproduction on a synthetic cohort unless the run was made on a real one; it is not a medical
device, and the JSON says so: ``trained_on`` names the cohort the networks were trained on, and on the synthetic twin
the note says that a real photo is outside what they were trained on.

Examples
--------
>>> screen_run(RunPaths("/nonexistent/run"), ["a.jpg"])
Traceback (most recent call last):
...
FileNotFoundError: run folder /nonexistent/run has no run.json (make it with gvisage reproduce)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from gvisage_lib.cnn.outputs import load_selected_model
from gvisage_lib.cnn.predict import CASCADE_THRESHOLD, pick_device, predict_scores
from gvisage_lib.cnn.training import checkpoint_dir, load_trained
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.record import SYNTHETIC_COHORT, RunRecord, RunRecordError
from gvisage_lib.paper.index import table_name
from gvisage_lib.stats.operating_points import RULES

__all__ = ["COMBINES", "SCREEN_RULES", "run_thresholds", "screen_note", "screen_photos", "screen_run"]

#: Threshold rules: the operating points of notebook 04, or ``argmax`` (0.5).
SCREEN_RULES: tuple[str, ...] = (*RULES, "argmax")
#: How the accepted photos become one score per stage.
COMBINES: tuple[str, ...] = ("stack", "mean")
#: Photos per subject (the networks' four slots).
MAX_PHOTOS = 4
NOTE = ("Research reproduction of GVisageNet (Li et al. 2025); not a medical device. Probabilities are those of the "
        "run's networks, on the cohort the run was trained on.")


def run_thresholds(paths: RunPaths, selected: dict[str, Any], rule: str = "youden") -> dict[int, dict[str, Any]]:
    """Threshold of each stage for ``rule``: ``{stage: {"threshold", "rule", "source", ...}}``.

    Parameters
    ----------
    paths : RunPaths
        The run; ``rule`` other than ``"argmax"`` reads its ``tables/operating_points.csv`` (notebook 04).
    selected : dict
        ``selected_model.json`` (the model of each stage must be the one the operating points were chosen for).
    rule : str
        One of :data:`SCREEN_RULES`.

    Examples
    --------
    >>> run_thresholds(RunPaths("/nonexistent"), {"stage1": "m", "stage2": "m"}, "argmax")[2]["threshold"]
    0.5
    """
    if rule not in SCREEN_RULES:
        raise ValueError(f"rule must be one of {list(SCREEN_RULES)}, got {rule!r}")
    if rule == "argmax":
        return {s: {"threshold": CASCADE_THRESHOLD, "rule": "argmax", "label": "highest probability (0.5)",
                    "source": "cascade rule of notebook 03"} for s in (1, 2)}
    table = paths.tables / f"{table_name('operating_points')}.csv"
    if not table.is_file():
        raise FileNotFoundError(f"{table} not found: the run has no operating points (run notebook 04, or use the "
                                "rule 'argmax')")
    ops = pd.read_csv(table)
    missing = [c for c in ("stage", "model", "rule", "threshold", "chosen_on") if c not in ops.columns]
    if missing:
        raise ValueError(f"{table}: column(s) {missing} missing")
    out = {}
    for stage in (1, 2):
        model = selected[f"stage{stage}"]
        row = ops[(ops["stage"].astype(int) == stage) & (ops["model"] == model) & (ops["rule"] == rule)]
        if len(row) != 1:
            raise ValueError(f"{table}: expected one row of stage {stage}, model {model!r}, rule {rule!r}, found "
                             f"{len(row)}")
        r = row.iloc[0]
        thr = float(r["threshold"])
        if np.isnan(thr):
            raise ValueError(f"{table}: row of stage {stage}, model {model!r}, rule {rule!r}: threshold is empty")
        out[stage] = {"threshold": thr, "rule": rule, "label": str(r.get("label", rule)),
                      "source": f"{table.parent.name}/{table.name} (chosen on the {r['chosen_on']} split)"}
    return out


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def screen_photos(photos: Sequence[str | os.PathLike[str]], nets: dict[int, torch.nn.Module],
                  thresholds: dict[int, dict[str, Any]], *, image_size: int, crop_mode: str = "detect",
                  combine: str = "stack", device: str | torch.device = "cpu") -> dict[str, Any]:
    """QC the photos, score the accepted ones as one subject with both stages, and make the call.

    Parameters
    ----------
    photos : sequence of path-like
        One to four photos of one child, in slot order.
    nets : dict
        ``{1: stage-1 network, 2: stage-2 network}`` (12 input channels, two classes).
    thresholds : dict
        ``{stage: {"threshold": float, ...}}`` (:func:`run_thresholds`).
    image_size : int
        Side of the crops the networks were trained on.
    crop_mode : {"detect", "none"}
        Face crop of preprocessing (``"none"``: the photos are face crops already).
    combine : {"stack", "mean"}
        See the module documentation.
    device : str or torch.device
        Where the networks run.

    Returns
    -------
    dict
        ``photos`` (per photo: ``photo``, ``file``, ``accepted``, ``qc_reason``, ``detail``), ``n_accepted``,
        ``combine``, ``stage1`` and ``stage2`` (``probability``, ``threshold``, ``rule``, ``call``; stage 2 also
        ``applied``), ``call`` (``"NC"``, ``"iGCT"``, ``"other"``, or None when no photo was accepted) and ``reason``
        (why there is no call, else "").

    Examples
    --------
    >>> from gvisage_lib.cnn.models import build_model
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.jpg"
    >>> _ = p.write_bytes(b"not a photo")
    >>> nets = {1: build_model("alexnet"), 2: build_model("alexnet")}  # doctest: +SLOW
    >>> out = screen_photos([p], nets, {1: {"threshold": .5}, 2: {"threshold": .5}}, image_size=64)
    >>> out["call"], out["photos"][0]["qc_reason"]
    (None, 'unreadable')
    """
    from gvisage_lib.faces.preprocess import preprocess_params, qc_photo_bytes, stack_photos

    if not 1 <= len(photos) <= MAX_PHOTOS:
        raise ValueError(f"photos: give 1 to {MAX_PHOTOS} photos of one child, got {len(photos)}")
    if crop_mode not in ("detect", "none"):
        raise ValueError(f"crop_mode must be 'detect' or 'none' (a face box needs a manifest), got {crop_mode!r}")
    if combine not in COMBINES:
        raise ValueError(f"combine must be one of {list(COMBINES)}, got {combine!r}")
    params = preprocess_params(image_size=image_size, crop_mode=crop_mode)
    records, crops = [], []
    for k, photo in enumerate(photos, 1):
        path = Path(photo)
        if not path.is_file():
            raise FileNotFoundError(f"photo {k}: file {str(path)!r} not found")
        crop, rec, detail = qc_photo_bytes(_read(path), params)
        records.append({"photo": k, "file": str(path), "accepted": bool(rec["passed"]),
                        "qc_reason": rec["qc_reason"], "detail": detail,
                        "face_box": None if np.isnan(rec["face_x"]) else
                        [int(rec[c]) for c in ("face_x", "face_y", "face_w", "face_h")]})
        if crop is not None:
            crops.append(crop)
    out: dict[str, Any] = {"photos": records, "n_accepted": len(crops), "combine": combine, "stage1": None,
                           "stage2": None, "call": None, "reason": ""}
    if not crops:
        out["reason"] = "no photo passed quality control: " + "; ".join(
            f"photo {r['photo']}: {r['qc_reason']}" for r in records)
        return out
    stacks = [stack_photos(crops)] if combine == "stack" else [stack_photos([c]) for c in crops]
    x = torch.from_numpy(np.stack(stacks))
    prob = {s: float(np.mean(predict_scores(nets[s], x, device=device))) for s in (1, 2)}
    tumour = prob[1] >= thresholds[1]["threshold"]
    igct = prob[2] >= thresholds[2]["threshold"]
    out["stage1"] = {"question": "midline brain tumour vs normal control", "probability": prob[1],
                     **thresholds[1], "call": "tumour" if tumour else "NC"}
    out["stage2"] = {"question": "iGCT vs other midline tumour", "probability": prob[2], **thresholds[2],
                     "call": "iGCT" if igct else "other", "applied": bool(tumour)}
    out["call"] = ("iGCT" if igct else "other") if tumour else "NC"
    if combine == "mean":
        out["combine_note"] = ("mean of the scores of each accepted photo scored alone; the thresholds were chosen "
                               "on scores of stacked subjects")
    else:
        out["combine_note"] = (f"the {len(crops)} accepted photo(s) stacked as one subject, repeated to fill the "
                               f"{MAX_PHOTOS} slots, as preprocessing stacks a manifest subject")
    return out


def screen_note(record: RunRecord) -> str:
    """What the screening result is, for its reader: :data:`NOTE`, and on the synthetic twin that the networks never
    saw a real face.

    Examples
    --------
    >>> from gvisage_lib.core.record import RunSettings
    >>> "not on photos of real children" in screen_note(RunRecord(settings=RunSettings(synthetic_twin=True)))
    True
    >>> screen_note(RunRecord(settings=RunSettings(manifest="/data/kids.csv", synthetic_twin=False)))[-36:]
    'were trained on the cohort kids.csv.'
    """
    if record.settings.synthetic_twin is None:
        return f"{NOTE} The run record does not say which cohort the networks were trained on."
    if record.settings.synthetic_twin is False:
        return f"{NOTE} The networks were trained on the cohort {record.cohort_name}."
    return (f"{NOTE} The networks were trained on the {SYNTHETIC_COHORT} (rendered faces), not on photos of real "
            "children: a real photo is outside what they were trained on, and their probabilities for it mean "
            "nothing clinically.")


def screen_run(paths: RunPaths, photos: Sequence[str | os.PathLike[str]], *, rule: str = "youden",
               crop_mode: str | None = None, combine: str = "stack",
               device: str | torch.device = "cpu") -> dict[str, Any]:
    """:func:`screen_photos` with the selected networks and thresholds of a finished run (``gvisage predict``).

    Parameters
    ----------
    paths : RunPaths
        A run folder of ``gvisage reproduce`` (``run.json``, ``selected_model.json``, the finished ``model.pt`` of
        the selected model of each stage; ``tables/operating_points.csv`` unless ``rule="argmax"``).
    photos : sequence of path-like
        One to four photos of one child.
    crop_mode : {"detect", "none"}, optional
        How the photos are cropped; default: the run's (:attr:`gvisage_lib.core.record.RunRecord.crop_mode`, the
        crop mode its networks were trained on). A run made with ``"box"`` (the manifest's face boxes) needs one
        given.
    rule, combine, device
        See the module documentation and :func:`screen_photos`.

    Returns
    -------
    dict
        JSON-ready: ``run``, ``trained_on`` (the cohort the networks were trained on: ``"synthetic twin"`` or the
        manifest's name), ``models``, ``image_size``, ``crop_mode``, ``note`` and the fields of
        :func:`screen_photos`.
    """
    if not RunRecord.exists(paths):
        raise FileNotFoundError(f"run folder {paths.root} has no run.json (make it with gvisage reproduce)")
    record = RunRecord.load(paths)
    try:
        image_size = record.image_size
    except RunRecordError as exc:
        raise ValueError(f"{RunRecord.path(paths)}: {exc}") from None
    crop_mode = record.crop_mode if crop_mode is None else crop_mode
    if crop_mode == "box":
        raise ValueError("the run cropped its faces with the manifest's face boxes (crop_mode 'box'), which a photo "
                         "given alone does not have; choose crop_mode 'detect' (find the face) or 'none' (the photos "
                         "are face crops already)")
    selected = load_selected_model(paths.selected_model)
    thresholds = run_thresholds(paths, selected, rule)
    dev = pick_device(device)
    nets = {}
    for stage in (1, 2):
        model_file = checkpoint_dir(paths.models, selected[f"stage{stage}"], stage) / "model.pt"
        net, rec = load_trained(model_file, device=dev)
        trained_size = int(rec["config"].get("image_size", image_size))
        if trained_size != image_size:
            raise ValueError(f"{model_file} was trained on {trained_size}-px crops, the run's profile says "
                             f"{image_size}")
        nets[stage] = net
    result = screen_photos(photos, nets, thresholds, image_size=image_size, crop_mode=crop_mode, combine=combine,
                           device=dev)
    return {"run": str(paths.root), "trained_on": record.cohort_name,
            "models": {"stage1": selected["stage1"], "stage2": selected["stage2"]},
            "image_size": image_size, "crop_mode": crop_mode, **result, "note": screen_note(record)}
