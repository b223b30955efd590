"""Notebook 03's trainings: every candidate CNN for both stages, their predictions, the selection of GVisageNet, the
cascade and the out-of-fold scores, in this process or in worker processes (one network's fit is
:func:`gvisage_lib.cnn.training.train_model`).

* **Candidates** (:func:`train_candidates`): each candidate of the profile for stage 1 on the ``train`` split, then
  stage 2 on its tumours (starting from the candidate's stage-1 network with ``profile.stage2_from_stage1``); every
  included subject scored by every candidate of its stage; GVisageNet chosen by the paper's rule; the cascade.
* **Out-of-fold scores** (:func:`train_out_of_fold`, ``profile.score_fit == "out_of_fold"``): ``oof_folds`` copies of
  the selected network per stage, each trained on all folds but one (:func:`fold_assignment`).
* **Workers**: with ``gpus`` / ``workers`` the trainings run in spawned processes (:func:`_train_tasks`, planned by
  :func:`gvisage_lib.cnn.parallel.plan_slots`) that read the data themselves; the finished models are then loaded
  here, so the predictions are those of the sequential path.
* **One candidate from the command line** (:func:`train_from_run`, ``gvisage train``; DDP under ``torchrun``).

Examples
--------
>>> import tempfile
>>> from gvisage_lib.cnn.datasets import write_synthetic_stacks
>>> from gvisage_lib.core.profiles import get_profile
>>> root = write_synthetic_stacks(tempfile.mkdtemp(), n_per_group=3, image_size=64, seed=0)
>>> prof = get_profile("smoke", image_size=64, models=("alexnet",), batch_size=8)
>>> out = train_candidates(root / "manifest.csv", RunPaths(root), prof, 1, progress=False)  # doctest: +SLOW
>>> out.selected["gvisagenet"], sorted(out.predictions["stage"].unique().tolist())
('alexnet', [1, 2])
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import StratifiedKFold

from gvisage_lib.cnn.datasets import StackSet, load_stacks, load_subjects, stage_subjects
from gvisage_lib.cnn.models import check_input_size
from gvisage_lib.cnn.parallel import plan_slots, run_jobs, training_memory_bytes
from gvisage_lib.cnn.predict import (
    CASCADE_THRESHOLD,
    auc_by_candidate,
    cascade_table,
    pick_device,
    predict_scores,
    predictions_frame,
    select_gvisagenet,
)
from gvisage_lib.cnn.training import TrainedModel, _eval_batch, checkpoint_dir, load_trained, train_model
from gvisage_lib.core import io
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import Profile, get_profile
from gvisage_lib.core.progress import format_seconds, report
from gvisage_lib.core.record import RunRecord, RunSettings
from gvisage_lib.core.validation import check_int

__all__ = ["CandidateRun", "fold_assignment", "train_candidates", "train_from_run", "train_out_of_fold"]


def fold_assignment(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Stratified fold of each subject (0 .. folds-1): scikit-learn's shuffled :class:`StratifiedKFold`.

    Each fold's test part is its folds; the shuffle is seeded from ``seed`` (a 32-bit state drawn from
    ``SeedSequence([seed, 0x0F0F])``), so the same seed gives the same folds.

    Examples
    --------
    >>> f = fold_assignment(np.array([0, 0, 0, 1, 1, 1, 1, 0]), 2, seed=0)
    >>> sorted(np.bincount(f).tolist()), sorted(np.bincount(f[[3, 4, 5, 6]]).tolist())
    ([4, 4], [2, 2])
    """
    labels = np.asarray(labels).astype(int)
    smallest = int(min(np.bincount(labels)))
    if check_int("folds", folds) < 2 or folds > smallest:
        raise ValueError(f"folds must be between 2 and the size of the smaller class ({smallest}), got {folds}")
    state = int(np.random.SeedSequence([int(seed), 0x0F0F]).generate_state(1)[0])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=state)
    out = np.empty(len(labels), dtype=int)
    for f, (_, held) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        out[held] = f
    return out


def _stage_sets(subjects: pd.DataFrame, x_all: torch.Tensor, stage: int) -> tuple[pd.DataFrame, StackSet]:
    """Subjects of ``stage`` with labels, and their stacks (every split)."""
    pos = {sid: i for i, sid in enumerate(subjects["subject_id"])}
    st = stage_subjects(subjects, stage)
    idx = torch.tensor([pos[s] for s in st["subject_id"]], dtype=torch.long)
    return st, StackSet(tuple(st["subject_id"]), x_all[idx], torch.tensor(st["label"].to_numpy(), dtype=torch.long))


def _fold_sets(subjects: pd.DataFrame, x_all: torch.Tensor, stage: int, profile: Profile,
               seed: int) -> tuple[pd.DataFrame, StackSet, np.ndarray]:
    """Training subjects of ``stage``, their stacks and their out-of-fold fold numbers."""
    st, data = _stage_sets(subjects, x_all, stage)
    keep = (st["split"] == "train").to_numpy()
    st, data = st[keep].reset_index(drop=True), data.subset(keep)
    return st, data, fold_assignment(st["label"].to_numpy(), profile.oof_folds, seed + stage)


def _train_main(name: str, stage: int, st: pd.DataFrame, data: StackSet, prof: Profile, paths: RunPaths, seed: int,
                weights: dict[str, str | os.PathLike[str]], **kw: Any) -> TrainedModel:
    """Train (or reuse) candidate ``name`` for ``stage``: the one call the sequential and the parallel paths share."""
    from_stage1 = stage == 2 and prof.stage2_from_stage1
    return train_model(name, data.subset(st["split"] == "train"), data.subset(st["split"] == "test"), stage=stage,
                       epochs=prof.epochs_for(stage), batch_size=prof.batch_size, learning_rate=prof.learning_rate,
                       weight_decay=prof.weight_decay, seed=seed, out_dir=paths.models,
                       weights=None if from_stage1 else weights.get(name),
                       init_from=checkpoint_dir(paths.models, name, 1) / "model.pt" if from_stage1 else None,
                       compile_mode=prof.compile_mode, **{"threads": prof.cpu_threads, **kw})


def _train_fold(model: str, stage: int, f: int, st: pd.DataFrame, data: StackSet, fold: np.ndarray, prof: Profile,
                paths: RunPaths, seed: int, **kw: Any) -> TrainedModel:
    """Train (or reuse) the out-of-fold network of ``model``, ``stage``, fold ``f``."""
    held = fold == f
    from_stage1 = stage == 2 and prof.stage2_from_stage1
    return train_model(model, data.subset(~held), data.subset(held), stage=stage, epochs=prof.epochs_for(stage),
                       batch_size=prof.batch_size, learning_rate=prof.learning_rate, weight_decay=prof.weight_decay,
                       seed=seed, out_dir=paths.models / f"oof_fold{f}",
                       init_from=checkpoint_dir(paths.models, model, 1) / "model.pt" if from_stage1 else None,
                       compile_mode=prof.compile_mode,
                       progress_label=f"{model} stage {stage} fold {f + 1}/{prof.oof_folds}",
                       **{"threads": prof.cpu_threads, **kw})


def _cpu_threads(slots: list[tuple[str, int | None]], prof: Profile) -> int | None:
    """Threads of a CPU training: the CPU workers' (so the reloading pass has their configuration), else the
    profile's ``cpu_threads`` (None = all cores)."""
    cpu = [t for d, t in slots if d == "cpu"]
    return cpu[0] if cpu else prof.cpu_threads


@dataclass(frozen=True)
class _Spec:
    """What a worker process needs to rebuild the data of its trainings."""

    manifest: str
    run: str
    profile: Profile
    seed: int
    weights: dict[str, str]
    resume: bool
    retrain: bool


def _train_tasks(job: tuple[_Spec, list[tuple[str, int, int | None]]], device: str,
                 threads: int | None) -> list[dict[str, Any]]:
    """Worker: train the tasks ``(model, stage, fold or None)`` of ``job`` in order on ``device``."""
    spec, tasks = job
    paths, prof = RunPaths(spec.run), spec.profile
    subjects = load_subjects(spec.manifest, paths.faces_index, paths.root)
    x_all = load_stacks(subjects["stack_path"].tolist(), prof.image_size)
    out = []
    for model, stage, fold in tasks:
        t0 = time.perf_counter()
        kw = {"resume": spec.resume, "retrain": spec.retrain, "device": device, "progress": False,
              "threads": threads if device == "cpu" else None}
        if fold is None:
            st, data = _stage_sets(subjects, x_all, stage)
            tm = _train_main(model, stage, st, data, prof, paths, spec.seed, spec.weights, **kw)
        else:
            st, data, folds = _fold_sets(subjects, x_all, stage, prof, spec.seed)
            tm = _train_fold(model, stage, fold, st, data, folds, prof, paths, spec.seed, **kw)
        out.append({"model": model, "stage": stage, "fold": fold, "reused": tm.reused,
                    "seconds": time.perf_counter() - t0, "device": device})
        del tm
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return out


def train_out_of_fold(subjects: pd.DataFrame, x_all: torch.Tensor, model: str, paths: RunPaths, profile: Profile,
                      seed: int, *, resume: bool = True, retrain: bool = False, device: str | torch.device = "auto",
                      progress: bool = True, manifest_path: str | os.PathLike[str] | None = None,
                      gpus: int | None = None, workers: int | None = None) -> pd.DataFrame:
    """Out-of-fold scores of the training subjects by ``profile.oof_folds`` copies of ``model``, for both stages.

    The training split of each stage is divided into stratified folds (:func:`fold_assignment`); for each fold a
    network of the same architecture, recipe and seed is trained on the other folds (stage 2 starting from the
    stage-1 network trained on the whole training split, as the main run; that network never saw a stage-2 label) and
    scores the subjects of the fold it did not see. No score of a subject comes from a network trained on that
    subject, so the thresholds, the hybrid model and its likelihood-ratio test can be fitted on the training split
    without the optimism of in-sample scores. Checkpoints: ``<run>/models/<model>_stage<k>_fold<f>/``.

    The ``2 x oof_folds`` trainings are independent; with ``gpus`` / ``workers`` (see
    :func:`gvisage_lib.cnn.parallel.plan_slots`; ``manifest_path`` is then required, the workers read the data
    themselves) they run concurrently and are then loaded here, finished.

    Returns
    -------
    DataFrame
        :data:`gvisage_lib.core.schema.PREDICTION_COLUMNS`, one row per training subject and stage (split
        ``train``), ``checkpoint_sha256`` of the fold's network.
    """
    slots = plan_slots(pick_device(device), 2 * profile.oof_folds, gpus=gpus, workers=workers,
                       need_bytes=training_memory_bytes(profile.image_size, profile.batch_size, len(subjects)),
                       cpu_threads=profile.cpu_threads)
    done: dict[tuple[str, int, int | None], dict[str, Any]] = {}
    if slots and manifest_path is None:
        raise ValueError(f"manifest_path is needed to train the folds in {len(slots)} worker processes")
    if slots:
        spec = _Spec(str(manifest_path), str(paths.root), profile, seed, {}, resume, retrain)
        jobs = [(spec, [(model, stage, f)]) for stage in (1, 2) for f in range(profile.oof_folds)]
        done = {(r["model"], r["stage"], r["fold"]): r for rs in run_jobs(_train_tasks, jobs, slots) for r in rs}
    rows = []
    for stage in (1, 2):
        st, data, fold = _fold_sets(subjects, x_all, stage, profile, seed)
        for f in range(profile.oof_folds):
            held = fold == f
            tm = _train_fold(model, stage, f, st, data, fold, profile, paths, seed, resume=resume, retrain=retrain,
                             device=device, progress=progress and not slots, threads=_cpu_threads(slots, profile))
            scores = predict_scores(tm.net, data.x[torch.from_numpy(np.flatnonzero(held))],
                                    batch_size=_eval_batch(profile.batch_size, tm.device), device=tm.device)
            rows.append(predictions_frame(st[held], scores, stage=stage, model=model, profile=profile.name,
                                          seed=seed, checkpoint_sha256=tm.sha256))
            if progress:
                how = "trained in a worker" if (model, stage, f) in done else ("reused" if tm.reused else "trained")
                report(f"{model} stage {stage} fold {f + 1}/{profile.oof_folds} ({how}): out-of-fold scores of "
                       f"{int(held.sum())} training subjects")
    return pd.concat(rows, ignore_index=True)


@dataclass
class CandidateRun:
    """Everything :func:`train_candidates` produced (also written to the run folder)."""

    #: predictions.parquet: every included subject x candidate x stage (``schema.PREDICTION_COLUMNS``).
    predictions: pd.DataFrame
    #: per-epoch loss and AUC of every candidate x stage (:data:`HISTORY_COLUMNS`).
    history: pd.DataFrame
    #: AUC per candidate and stage on the test split, with the paper's values.
    test_auc: pd.DataFrame
    #: the same on the external validation split (reported, never used for selection).
    validation_auc: pd.DataFrame
    #: selected_model.json content.
    selected: dict[str, Any]
    #: cascade.parquet (``predict.CASCADE_COLUMNS``).
    cascade: pd.DataFrame
    #: per candidate x stage: whether it was trained now or reused, its checkpoint, and seconds spent.
    runs: pd.DataFrame


def train_candidates(manifest_path: str | os.PathLike[str], paths: RunPaths, profile: Profile | str, seed: int, *,
                     weights: dict[str, str | os.PathLike[str]] | None = None, resume: bool = True,
                     retrain: bool = False, device: str | torch.device = "auto",
                     progress: bool = True, gpus: int | None = None, workers: int | None = None) -> CandidateRun:
    """Train every candidate of ``profile`` for both stages, predict every included subject, select GVisageNet.

    Stage 1 trains on all subjects of the ``train`` split (tumour = 1), stage 2 on its tumours (iGCT = 1); after
    every epoch the ``test`` split is scored. With ``profile.stage2_from_stage1`` (every built-in profile), each
    candidate's stage-2 network starts from its own finished stage-1 network (transfer within the cascade, see
    :mod:`gvisage_lib.core.profiles`). Then every included subject of train, test and validation that takes
    part in a stage is scored by each candidate of that stage, GVisageNet is chosen by the paper's rule
    (:func:`gvisage_lib.cnn.predict.select_gvisagenet`) and the cascade is built with it (threshold
    :data:`gvisage_lib.cnn.predict.CASCADE_THRESHOLD`). Finished models with the same configuration are reused
    (see :mod:`gvisage_lib.cnn.training`), so a rerun only recomputes predictions.

    Writes ``paths.predictions``, ``paths.cascade``, ``paths.selected_model`` and checkpoints under ``paths.models``.

    Parameters
    ----------
    manifest_path : path-like
        Cohort manifest (groups and splits).
    paths : RunPaths
        Run folder; ``paths.faces_index`` must exist (preprocessing).
    profile : Profile or str
        Training fields used: image_size, models, epochs, batch_size, learning_rate, weight_decay.
    seed : int
        Master seed.
    weights : dict, optional
        ``{model name: local 3-channel weights file}`` to start candidates from (default: random initialisation).
    resume, retrain, device, progress
        As in :func:`gvisage_lib.cnn.training.train_model`.
    gpus, workers : int, optional
        Concurrency (:func:`gvisage_lib.cnn.parallel.plan_slots`): with ``gpus`` > 1 or ``workers`` > 1 the
        candidates' chains (stage 1, then stage 2) run in worker processes, spread over ``gpus`` devices
        (``workers`` per GPU, as memory allows), and so do the out-of-fold trainings; the finished models are then
        loaded here. Default: one after another in this process (on one GPU, or on the CPU with all cores; on the
        CPU ``workers`` > 1 splits the cores between processes, which changes the CPU arithmetic and hence the
        weights).

    Returns
    -------
    CandidateRun

    Examples
    --------
    See the module docstring.
    """
    prof = get_profile(profile) if isinstance(profile, str) else profile
    weights = _check_candidates(prof, weights)
    subjects, x_all = _load_cohort(manifest_path, paths, prof)
    dev = pick_device(device)
    slots = plan_slots(dev, len(prof.models), gpus=gpus, workers=workers,
                       need_bytes=training_memory_bytes(prof.image_size, prof.batch_size, len(subjects)),
                       cpu_threads=prof.cpu_threads)
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if slots:  # each candidate's chain (stage 1, then stage 2 from it) in a worker; loaded below, finished
        if progress:
            report(f"training {len(prof.models)} candidates in {len(slots)} concurrent workers "
                   f"({', '.join(sorted({d for d, _ in slots}))})")
        spec = _Spec(str(manifest_path), str(paths.root), prof, seed, {k: str(v) for k, v in weights.items()},
                     resume, retrain)
        jobs = [(spec, [(name, 1, None), (name, 2, None)]) for name in prof.models]
        done = {(r["model"], r["stage"]): r for rs in run_jobs(_train_tasks, jobs, slots) for r in rs}
    preds, hist, runs = [], [], []
    for stage in (1, 2):
        st, data = _stage_sets(subjects, x_all, stage)
        for name in prof.models:
            pred, history, run = _train_and_score(name, stage, st, data, prof, paths, seed, weights,
                                                  worker=done.get((name, stage)), resume=resume, retrain=retrain,
                                                  device=device, progress=progress,
                                                  threads=_cpu_threads(slots, prof))
            preds.append(pred)
            hist.append(history)
            runs.append(run)
    predictions = pd.concat(preds, ignore_index=True)
    history = pd.concat(hist, ignore_index=True)
    selected = select_gvisagenet(predictions, prof.models)
    cascade = _cascade(predictions, subjects, x_all, selected["gvisagenet"], paths, prof, dev)
    if prof.score_fit == "out_of_fold":
        oof = train_out_of_fold(subjects, x_all, selected["gvisagenet"], paths, prof, seed, resume=resume,
                                retrain=retrain, device=device, progress=progress, manifest_path=manifest_path,
                                gpus=gpus, workers=workers)
        io.write_parquet(oof, paths.predictions_oof)
    else:
        paths.predictions_oof.unlink(missing_ok=True)  # never leave scores of another configuration behind
    io.write_parquet(predictions, paths.predictions)
    io.write_parquet(cascade, paths.cascade)
    io.write_json(selected, paths.selected_model)
    return CandidateRun(predictions, history, auc_by_candidate(predictions, "test"),
                        auc_by_candidate(predictions, "validation"), selected, cascade, pd.DataFrame(runs))


def _check_candidates(prof: Profile, weights: dict[str, str | os.PathLike[str]] | None
                      ) -> dict[str, str | os.PathLike[str]]:
    """The profile lists candidates that accept its image size; ``weights`` only names candidates (returned)."""
    if not prof.models:
        raise ValueError(f"profile {prof.name!r} lists no candidate models")
    for name in prof.models:
        check_input_size(name, prof.image_size)
    weights = dict(weights or {})
    unknown = set(weights) - set(prof.models)
    if unknown:
        raise ValueError(f"weights given for model(s) {sorted(unknown)} not in the profile's models {prof.models}")
    return weights


def _load_cohort(manifest_path: str | os.PathLike[str], paths: RunPaths,
                 prof: Profile) -> tuple[pd.DataFrame, torch.Tensor]:
    """The included subjects (manifest joined with the faces index) and their stacks at the profile's size."""
    subjects = load_subjects(manifest_path, paths.faces_index, paths.root)
    if subjects.empty:
        raise ValueError(f"no included subjects: faces index {paths.faces_index} and manifest {manifest_path}")
    return subjects, load_stacks(subjects["stack_path"].tolist(), prof.image_size)


def _train_and_score(name: str, stage: int, st: pd.DataFrame, data: StackSet, prof: Profile, paths: RunPaths,
                     seed: int, weights: dict[str, str | os.PathLike[str]], *, worker: dict[str, Any] | None,
                     progress: bool, **kw: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Train (or load what a worker trained) candidate ``name`` for ``stage`` and score every subject of the stage:
    (its predictions, its history, its row of :attr:`CandidateRun.runs`)."""
    t0 = time.perf_counter()
    tm = _train_main(name, stage, st, data, prof, paths, seed, weights, progress=progress, **kw)
    scores = predict_scores(tm.net, data.x, batch_size=_eval_batch(prof.batch_size, tm.device), device=tm.device)
    pred = predictions_frame(st, scores, stage=stage, model=name, profile=prof.name, seed=seed,
                             checkpoint_sha256=tm.sha256)
    secs = time.perf_counter() - t0
    reused = tm.reused if worker is None else worker["reused"]
    if worker is not None:
        secs += worker["seconds"]
    run = {"model": name, "stage": stage, "reused": reused, "checkpoint": str(tm.path),
           "checkpoint_sha256": tm.sha256, "seconds": secs}
    if progress:
        report(f"{name} stage {stage}: {'reused' if reused else 'trained'} and predicted in {format_seconds(secs)}")
    return pred, tm.history, run


def _cascade(predictions: pd.DataFrame, subjects: pd.DataFrame, x_all: torch.Tensor, best: str, paths: RunPaths,
             prof: Profile, dev: torch.device) -> pd.DataFrame:
    """The cascade of GVisageNet ``best``: its stage-2 network scores the subjects its stage 1 calls tumours."""
    s1 = predictions[(predictions["model"] == best) & (predictions["stage"] == 1)].set_index("subject_id")["score"]
    stage1 = s1.reindex(subjects["subject_id"]).to_numpy()
    called = stage1 >= CASCADE_THRESHOLD
    net2, _ = load_trained(checkpoint_dir(paths.models, best, 2) / "model.pt", device=dev)
    stage2 = np.full(len(subjects), np.nan)
    if called.any():
        stage2[called] = predict_scores(net2, x_all[torch.from_numpy(np.flatnonzero(called))],
                                        batch_size=_eval_batch(prof.batch_size, dev), device=dev)
    return cascade_table(subjects, stage1, stage2)


def train_from_run(paths: RunPaths, model: str, stage: int, *, profile: str | None = None,
                   seed: int | None = None, manifest_path: str | os.PathLike[str] | None = None,
                   retrain: bool = False,
                   device: str | torch.device = "auto", progress: bool = True) -> TrainedModel:
    """Train one candidate for one stage from a run folder whose faces are preprocessed (``gvisage train``).

    Profile, seed and manifest default to those of the run (its :class:`~gvisage_lib.core.record.RunRecord`), else
    :data:`~gvisage_lib.core.profiles.DEFAULT_PROFILE`, the default seed
    and the twin's manifest, so the model lands where notebook 03 looks for it (``<run>/models``) with the
    configuration it expects, and is reused there. Stage 2 starts from the candidate's finished stage-1 network
    (profile field ``stage2_from_stage1``), which must exist.

    Under ``torchrun`` (``WORLD_SIZE`` > 1) the process joins the process group (:func:`gvisage_lib.cnn.distributed.
    init_from_env`: NCCL on CUDA, gloo on the CPU) and trains as one rank of DistributedDataParallel; rank 0 writes
    the checkpoints. An interrupted run started again continues from its checkpoint.

    Examples
    --------
    >>> train_from_run(RunPaths("/nonexistent/run"), "resnet50", 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: faces index not found: /nonexistent/run/faces.parquet (preprocess the run's faces first: ...
    """
    from gvisage_lib.cnn.distributed import init_from_env
    from gvisage_lib.cnn.models import MODEL_REGISTRY

    if not paths.faces_index.is_file():
        raise FileNotFoundError(f"faces index not found: {paths.faces_index} (preprocess the run's faces first: "
                                "notebook 02)")
    if model not in MODEL_REGISTRY:
        raise ValueError(f"model must be one of {sorted(MODEL_REGISTRY)}, got {model!r}")
    if stage not in (1, 2):
        raise ValueError(f"stage must be 1 or 2, got {stage!r}")
    record = RunRecord.load_or_none(paths)
    run = record.settings if record is not None else RunSettings()
    prof = get_profile(profile or run.profile)
    seed = int(seed if seed is not None else run.seed)
    manifest_path = Path(manifest_path or run.manifest or paths.twin_manifest)
    if stage == 2 and prof.stage2_from_stage1:
        first = checkpoint_dir(paths.models, model, 1) / "model.pt"
        if not first.is_file():
            raise FileNotFoundError(f"stage 2 of {model} starts from its stage-1 network, but {first} does not exist "
                                    f"(train stage 1 first)")
    ctx, dev = init_from_env(device)
    subjects = load_subjects(manifest_path, paths.faces_index, paths.root)
    x_all = load_stacks(subjects["stack_path"].tolist(), prof.image_size)
    st, data = _stage_sets(subjects, x_all, stage)
    return _train_main(model, stage, st, data, prof, paths, seed, {}, retrain=retrain, device=dev,
                       progress=progress and ctx.is_main, ctx=ctx)
