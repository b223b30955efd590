"""Training of one candidate CNN for one stage, as in the paper, with checkpoints and exact resume.

:func:`train_model` is one network's fit, in steps: the argument checks, the configuration and its hash
(:func:`training_config`, :func:`config_digest`), reuse of a finished model, the seeded network and optimizer, resume
from a checkpoint, the epochs (:func:`_train_epoch`: one CUDA-graph, DDP or eager step per batch; :func:`_test_epoch`)
and the checkpoints. The candidates of a run, their predictions and worker processes are in
:mod:`gvisage_lib.cnn.candidates`.

Settings (paper, Methods): Adam, initial learning rate from the profile (1e-4 in ``paper``) with cosine decay,
cross-entropy loss, ``profile.epochs`` epochs, resampling of the training set against class imbalance.

Documented choices
------------------
* **Resampling**: every epoch draws ``len(train)`` subjects *with replacement* by
  :class:`torch.utils.data.WeightedRandomSampler` with weight 1 / (size of the subject's class), so both classes are
  seen equally often on average (the paper says only "resampling"; Method S3 is not public).
* **Cosine decay** per optimisation step, from the initial rate to 0 at the end of the last epoch
  (:class:`torch.optim.lr_scheduler.CosineAnnealingLR` with ``T_max`` = total steps).
* **Augmentation**: see :mod:`gvisage_lib.cnn.datasets` (one geometric transform and flip per stack, photometric jitter
  per photo, no vertical flips).
* **Device**: CUDA when available (bfloat16 autocast without a gradient scaler, channels_last memory format,
  the uint8 stacks resident on the GPU and augmented there, no host synchronisation inside the step loop;
  see docs/training.md),
  else the CPU (all cores, ``torch.use_deterministic_algorithms(True, warn_only=True)`` for the duration of the
  call): bfloat16 autocast and channels_last where the processor computes bfloat16 natively
  (:func:`cpu_mixed_precision`; about 1.8x faster for ResNet-50 on a 2-core AVX512-BF16 machine), float32
  otherwise. The precision is part of the configuration hash. Adam runs its fused kernel (about 1.7x faster for
  AlexNet, whose 57M classifier weights make the optimizer step the bottleneck on a CPU). Every random draw
  (initial weights, resampling, augmentation, dropout) is seeded from
  ``(seed, model, stage, epoch)``, so on the CPU the same seed gives the same weights and predictions.
* **Train AUC in the learning curve** is computed from the outputs of the training pass itself (augmented,
  resampled batches while the weights change), a free running estimate; the **test AUC** comes from a clean
  evaluation pass over the test split after each epoch (eval mode, in the training's precision and memory layout:
  on a bfloat16 CPU about half the time of a float32 pass; :func:`_monitor_scores`). Neither is used to pick an
  epoch: the final weights are those of the last epoch, and the run's predictions of them are computed afterwards
  in float32 on the CPU (:func:`~gvisage_lib.cnn.predict.predict_scores`). The validation split (the external
  set) is never touched during training.
* **Checkpoints**: ``<run>/models/<model>_stage<k>/checkpoint.pt`` is rewritten atomically at the end of an epoch
  once :data:`CHECKPOINT_EVERY_S` seconds of training have passed since the last save (and when stopped on purpose)
  with the model, optimizer, scheduler and RNG state dicts (tensors and plain Python values only, loadable with
  ``torch.load(..., weights_only=True)``). ``resume=True`` continues from it; because every epoch reseeds its
  generators, a resumed run ends with the same weights as an uninterrupted one. When training ends, ``model.pt``
  (weights, configuration, history) replaces the checkpoint.
* **No retraining**: when ``model.pt`` exists with the same configuration hash (model, stage, profile training fields,
  seed, augmentation, and the training and test subjects with their labels and stack files), it is loaded instead of
  retraining, so rerunning the notebooks only recomputes predictions. Pass ``retrain=True`` to force training.

Examples
--------
>>> import tempfile
>>> from gvisage_lib.cnn.datasets import write_synthetic_stacks, load_subjects, stage_subjects, load_stacks, StackSet
>>> root = write_synthetic_stacks(tempfile.mkdtemp(), n_per_group=4, image_size=64, seed=0)
>>> subj = stage_subjects(load_subjects(root / "manifest.csv", root / "faces.parquet", root), 1)
>>> data = StackSet(tuple(subj.subject_id), load_stacks(subj.stack_path, 64), torch.tensor(subj.label.values))
>>> res = train_model("alexnet", data.subset(subj.split == "train"), data.subset(subj.split == "test"),
...                   stage=1, epochs=1, batch_size=8, learning_rate=1e-4, seed=1, out_dir=root / "models",
...                   progress=False)  # doctest: +SLOW
>>> res.history[["epoch", "split"]].values.tolist()
[[1, 'train'], [1, 'test']]
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch import nn

from gvisage_lib.cnn.cuda_graph import CUDA_GRAPH, WARMUP_STEPS, GraphedStep, lr_to_device, make_optimizer
from gvisage_lib.cnn.datasets import AUGMENT, StackSet, draw_augment, prepare_batch
from gvisage_lib.cnn.distributed import (
    ClassBalancedSampler,
    DistContext,
    all_gather_objects,
    barrier,
    rank_bounds,
    wrap_model,
)
from gvisage_lib.cnn.models import build_model, check_input_size
from gvisage_lib.cnn.predict import batched_scores, pick_device
from gvisage_lib.core import io
from gvisage_lib.core.progress import Ticker, report
from gvisage_lib.core.validation import check_int

__all__ = ["HISTORY_COLUMNS", "TrainedModel", "checkpoint_dir", "config_digest", "load_trained", "train_model",
           "training_config"]

#: Seconds of training between two resume checkpoints (``checkpoint.pt``, model and Adam state: about 700 MB for
#: AlexNet). On an H100 an epoch of the paper profile takes about a second and writing a checkpoint after each one
#: took longer than the epoch itself. On the CPU the long trainings (ResNet-50, Inception-v3: 30-60 s per epoch on
#: the quick profile) still save after every epoch, the short ones (AlexNet's stage 2: about 3 s) every 10 or so.
#: An interrupted training resumes from its last checkpoint with the same final weights (each epoch reseeds its
#: generators), so a longer interval only redoes more epochs after an interruption.
CHECKPOINT_EVERY_S = 30.0

#: Columns of the per-epoch training history (one row per model x stage x epoch x split).
HISTORY_COLUMNS: tuple[str, ...] = ("model", "stage", "epoch", "split", "loss", "auc", "n", "learning_rate",
                                    "images_per_s", "seconds")


@dataclass
class TrainedModel:
    """A trained network and where it came from."""

    name: str
    stage: int
    net: nn.Module
    #: ``model.pt`` of the finished run.
    path: Path
    #: SHA-256 of the weights (:func:`weights_sha256`; recorded beside every prediction).
    sha256: str
    config_hash: str
    #: per-epoch loss and AUC, columns :data:`HISTORY_COLUMNS`.
    history: pd.DataFrame
    #: True when loaded from an earlier finished run instead of trained now.
    reused: bool
    device: torch.device


def checkpoint_dir(out_dir: str | os.PathLike[str], name: str, stage: int) -> Path:
    """Folder of one model x stage run: ``<out_dir>/<name>_stage<stage>``."""
    return Path(out_dir) / f"{name}_stage{stage}"


def _seed(*parts: int | str) -> int:
    """A 63-bit seed derived from integers and strings (stable across processes and platforms)."""
    ints = [p if isinstance(p, int) else zlib.crc32(p.encode()) for p in parts]
    return int(np.random.SeedSequence([abs(int(i)) for i in ints]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _fingerprint(data: StackSet) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(list(data.subject_ids)).encode())
    h.update(data.y.numpy().astype(np.int64).tobytes())
    h.update(hashlib.sha256(data.x.numpy().tobytes()).digest())
    return h.hexdigest()


def keep_freed_memory() -> bool:
    """Make glibc's allocator keep freed memory for reuse instead of handing large blocks back to the kernel.

    By default glibc serves every allocation above a threshold with a fresh ``mmap`` and returns it on free, so each
    training step pays page faults on every large buffer it allocates again: the gradients and Adam's work space of
    AlexNet's 57M-weight classifier, the activations of the others. Measured on a 2-core CPU at 64 px, batch 32: CPU
    time per AlexNet step 512 -> 288 ms, ResNet-50 640 -> 599 ms, Inception-v3 474 -> 449 ms, identical weights.
    Sets ``M_MMAP_MAX`` = 0 and ``M_TRIM_THRESHOLD`` = 1 GiB for the rest of the process (the price: the process keeps
    its peak heap). Returns True when applied (Linux with glibc), False elsewhere.

    Examples
    --------
    >>> isinstance(keep_freed_memory(), bool)
    True
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED is None:
        _MALLOC_TUNED = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None)
                m_trim_threshold, m_mmap_max = -1, -4  # glibc's malloc.h
                _MALLOC_TUNED = bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, 2**30))
            except (OSError, AttributeError):
                _MALLOC_TUNED = False
    return _MALLOC_TUNED


_MALLOC_TUNED: bool | None = None


@contextlib.contextmanager
def _deterministic(device: torch.device, threads: int | None = None) -> Iterator[None]:
    """CPU: ``threads`` (default all cores) and deterministic algorithms for the block; CUDA: cuDNN autotuning.

    Restores the settings. The number of threads is part of the arithmetic on the CPU (oneDNN splits its reductions
    over threads), so the same seed gives the same weights for the same number of threads. On the CPU, deterministic
    mode does not fill every new tensor with NaN (``torch.utils.deterministic.fill_uninitialized_memory``, a guard
    against ops that read memory they did not write; none of the candidates does, their weights are identical with
    and without it, and it cost 4-7 % of a step), and the allocator keeps freed memory (:func:`keep_freed_memory`).
    """
    prev_det = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    prev_fill = torch.utils.deterministic.fill_uninitialized_memory
    prev_threads = torch.get_num_threads()
    prev_bench = torch.backends.cudnn.benchmark
    try:
        if device.type == "cpu":
            torch.set_num_threads(threads or os.cpu_count() or 1)
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.utils.deterministic.fill_uninitialized_memory = False
            keep_freed_memory()
        else:
            torch.backends.cudnn.benchmark = True
        yield
    finally:
        torch.use_deterministic_algorithms(prev_det, warn_only=prev_warn)
        torch.utils.deterministic.fill_uninitialized_memory = prev_fill
        torch.set_num_threads(prev_threads)
        torch.backends.cudnn.benchmark = prev_bench


def cpu_mixed_precision() -> bool:
    """True when the CPU computes bfloat16 natively (oneDNN reports it), so CPU training uses bfloat16 autocast.

    Set the environment variable ``GVISAGE_CPU_FP32=1`` to train in float32 anyway.

    Examples
    --------
    >>> isinstance(cpu_mixed_precision(), bool)
    True
    """
    if os.environ.get("GVISAGE_CPU_FP32", "") not in ("", "0"):
        return False
    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _precision(dev: torch.device) -> tuple[torch.dtype | None, bool]:
    """(autocast dtype or None, channels_last) of training on ``dev``."""
    if dev.type == "cuda":
        return torch.bfloat16, True
    if dev.type == "cpu" and cpu_mixed_precision():
        return torch.bfloat16, True
    return None, False


def _eval_batch(batch_size: int, dev: torch.device) -> int:
    """Batch size of evaluation passes: 512 on CUDA (memory is plentiful, launches are the cost); on the CPU
    ``max(batch_size, 64)`` as before (the batch composition is part of the CPU arithmetic of the scores)."""
    return 512 if dev.type == "cuda" else max(batch_size, 64)


def weights_sha256(net: nn.Module) -> str:
    """SHA-256 of a network's weights (state-dict tensors in key order, CPU bytes).

    This is the ``checkpoint_sha256`` of predictions.parquet: unlike the checkpoint file's hash it does not change
    with the training log the file also carries (wall times), so a rerun with the same seed gives the same value.

    Examples
    --------
    >>> import torch
    >>> a, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    >>> _ = b.load_state_dict(a.state_dict())
    >>> weights_sha256(a) == weights_sha256(b)
    True
    """
    h = hashlib.sha256()
    for key, tensor in net.state_dict().items():
        h.update(key.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s)) if len(np.unique(y)) == 2 else float("nan")


def _load(path: Path) -> dict[str, Any]:
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(obj, dict) or "model" not in obj or "config_hash" not in obj:
        raise ValueError(f"checkpoint {path} is not a GVisage checkpoint (keys 'model', 'config_hash' missing)")
    return obj


def load_trained(path: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Load a finished ``model.pt`` (without executing pickled code); return (network in eval mode, its record).

    Examples
    --------
    >>> load_trained("/nonexistent/model.pt")
    Traceback (most recent call last):
    ...
    FileNotFoundError: model file not found: /nonexistent/model.pt
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    rec = _load(path)
    cfg = rec["config"]
    net = build_model(cfg["model"], in_channels=cfg["in_channels"], num_classes=2)
    net.load_state_dict(rec["model"])
    return net.to(pick_device(device)).eval(), rec


def train_model(name: str, train: StackSet, test: StackSet, *, stage: int, epochs: int, batch_size: int,
                learning_rate: float, seed: int, out_dir: str | os.PathLike[str], weight_decay: float = 0.0,
                weights: str | os.PathLike[str] | None = None, init_from: str | os.PathLike[str] | None = None,
                resume: bool = True, retrain: bool = False,
                device: str | torch.device = "auto", progress: bool = True, progress_label: str = "",
                stop_after_epochs: int | None = None, threads: int | None = None, compile_mode: str = "",
                ctx: DistContext | None = None) -> TrainedModel:
    """Train candidate ``name`` for ``stage`` on ``train``; evaluate on ``test`` after every epoch.

    Parameters
    ----------
    name : str
        Architecture (``models.MODEL_REGISTRY``).
    train, test : StackSet
        Training split and the paper's testing split (25 % of the development set).
    stage : {1, 2}
        Recorded in the history and the checkpoint folder name; labels come with the data.
    epochs, batch_size, learning_rate, weight_decay : training settings (from the profile).
    seed : int
        Master seed; every random draw of this run is derived from it, ``name`` and ``stage``.
    out_dir : path-like
        Folder for checkpoints (``<run>/models``).
    weights : path-like, optional
        3-channel torchvision weights to start from (``models.build_model``); part of the configuration hash.
    init_from : path-like, optional
        A finished ``model.pt`` of the same architecture and input channels (the stage-1 network, for stage 2) whose
        weights, classifier head included, are the starting point instead of a random initialisation; the hash of
        those weights is part of the configuration hash. Not together with ``weights``.
    resume : bool, default True
        Continue from ``checkpoint.pt`` when it has the same configuration hash.
    retrain : bool, default False
        Train even when a finished ``model.pt`` with the same configuration exists.
    device : "auto", "cpu", "cuda" or torch.device
    progress : bool
        Report one line per epoch (time, estimate of the time left, loss, images/s, test AUC) on the terminal
        (:mod:`gvisage_lib.core.progress`), never into a notebook.
    progress_label : str
        How the progress lines name this training (default ``"<name> stage <stage>"``).
    stop_after_epochs : int, optional
        Stop (as if interrupted) after this many epochs in total have been trained; the checkpoint stays behind.
    threads : int, optional
        CPU threads for the call (default: all cores). Part of the CPU arithmetic (see :func:`_deterministic`), so
        when given it is part of the configuration hash.
    compile_mode : str
        On CUDA: ``"cuda_graph"`` (:data:`gvisage_lib.cnn.cuda_graph.CUDA_GRAPH`) replays every full-size batch's
        whole step (batch gather, augmentation, forward, backward, Adam) as one captured CUDA graph
        (:class:`gvisage_lib.cnn.cuda_graph.GraphedStep`; not with data parallelism; a capture that fails falls back to
        eager steps, said on the terminal); another non-empty value is a ``torch.compile`` mode for the training
        forward (e.g. ``"reduce-overhead"``); empty = eager. Ignored on the CPU (compilation there costs more than it
        saves in a run of a few hundred steps).
    ctx : DistContext, optional
        Data-parallel layout (:mod:`gvisage_lib.cnn.distributed`; default one process). With more than one process
        the network is wrapped in DistributedDataParallel, each rank trains on its part of every global batch, and
        rank 0 alone writes checkpoints.

    Returns
    -------
    TrainedModel

    Examples
    --------
    See the module docstring.
    """
    _check_fit_args(name, train, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, stage=stage,
                    weights=weights, init_from=init_from)
    init_net = None if init_from is None else _load_init(init_from, name, int(train.x.shape[1]))
    dev = pick_device(device)
    ctx = DistContext() if ctx is None else ctx
    config = training_config(name, train, test, stage=stage, epochs=epochs, batch_size=batch_size,
                             learning_rate=learning_rate, weight_decay=weight_decay, seed=seed, weights=weights,
                             init_net=init_net, device=dev, threads=threads)
    config_hash = config_digest(config)
    folder = checkpoint_dir(out_dir, name, stage)
    final, ckpt = folder / "model.pt", folder / "checkpoint.pt"
    if final.is_file() and not retrain:
        reused = _reuse_finished(final, config_hash, name, stage, dev)
        if reused is not None:
            return reused
    with _deterministic(dev, threads):
        fit = _build_fit(name, stage, seed, train, weights=weights, init_net=init_net, epochs=epochs,
                         batch_size=batch_size, learning_rate=learning_rate, weight_decay=weight_decay, device=dev,
                         ctx=ctx, compile_mode=compile_mode)
        if resume and ckpt.is_file() and not retrain:
            _resume(fit, ckpt, config_hash)
        _attach(fit, train, compile_mode)
        finished = _fit_epochs(fit, test, epochs, ckpt, config, config_hash, stop_after_epochs=stop_after_epochs,
                               label=progress_label or f"{name} stage {stage}", progress=progress)
        if finished:
            _save_final(fit, final, ckpt, config, config_hash)
            fit.net.eval()
            return TrainedModel(name, stage, fit.net, final, weights_sha256(fit.net), config_hash,
                                pd.DataFrame(fit.history, columns=list(HISTORY_COLUMNS)), False, dev)
    fit.net.eval()
    return TrainedModel(name, stage, fit.net, ckpt, weights_sha256(fit.net), config_hash,
                        pd.DataFrame(fit.history, columns=list(HISTORY_COLUMNS)), False, dev)


def _check_fit_args(name: str, train: StackSet, *, epochs: int, batch_size: int, learning_rate: float, stage: int,
                    weights: str | os.PathLike[str] | None, init_from: str | os.PathLike[str] | None) -> None:
    """The argument checks of :func:`train_model` (input size, settings, both classes, one starting point)."""
    check_input_size(name, int(train.x.shape[-1]))
    check_int("epochs", epochs, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    ytr = train.y.numpy()
    if len(np.unique(ytr)) != 2:
        raise ValueError(f"train must hold both classes for stage {stage}, got labels {sorted(set(ytr.tolist()))}")
    if weights is not None and init_from is not None:
        raise ValueError(f"give weights or init_from, not both (weights={weights!r}, init_from={init_from!r})")


def _load_init(init_from: str | os.PathLike[str], name: str, in_channels: int) -> nn.Module:
    """The finished network a training starts from (``init_from``), checked to be ``name`` with ``in_channels``."""
    init_net, init_rec = load_trained(init_from)
    if init_rec["config"]["model"] != name or int(init_rec["config"]["in_channels"]) != in_channels:
        raise ValueError(f"init_from {init_from} holds {init_rec['config']['model']} with "
                         f"{init_rec['config']['in_channels']} input channels; {name} with {in_channels} "
                         "is being trained")
    return init_net


def training_config(name: str, train: StackSet, test: StackSet, *, stage: int, epochs: int, batch_size: int,
                    learning_rate: float, weight_decay: float, seed: int, weights: str | os.PathLike[str] | None,
                    init_net: nn.Module | None, device: torch.device, threads: int | None) -> dict[str, Any]:
    """The configuration of one training whose hash (:func:`config_digest`) decides reuse and resume.

    Model, stage, input size and channels, settings, seed, augmentation, the starting weights' hashes, the training
    and test data's fingerprints, the optimizer, the precision on ``device`` and, on the CPU, a fixed thread count.

    Examples
    --------
    >>> data = StackSet(("a", "b"), torch.zeros(2, 3, 64, 64, dtype=torch.uint8), torch.tensor([0, 1]))
    >>> cfg = training_config("alexnet", data, data, stage=1, epochs=1, batch_size=8, learning_rate=1e-4,
    ...                       weight_decay=0.0, seed=1, weights=None, init_net=None, device=torch.device("cpu"),
    ...                       threads=None)
    >>> cfg["model"], cfg["image_size"], cfg["in_channels"], "cpu_threads" in cfg
    ('alexnet', 64, 3, False)
    """
    amp_dtype, _ = _precision(device)
    config = {
        "model": name, "stage": int(stage), "image_size": int(train.x.shape[-1]), "in_channels": int(train.x.shape[1]),
        "epochs": int(epochs), "batch_size": int(batch_size), "learning_rate": float(learning_rate),
        "weight_decay": float(weight_decay), "seed": int(seed), "augment": dict(AUGMENT),
        "weights": None if weights is None else io.sha256_file(weights),
        "init_from": None if init_net is None else weights_sha256(init_net),
        "train_data": _fingerprint(train), "test_data": _fingerprint(test), "optimizer": "adam+cosine",
        "precision": {None: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}[amp_dtype],
    }
    if threads is not None and device.type == "cpu":  # a fixed thread count is part of the CPU arithmetic
        config["cpu_threads"] = int(threads)
    return config


def config_digest(config: dict[str, Any]) -> str:
    """SHA-256 of a training configuration (its JSON with sorted keys): the ``config_hash`` of the checkpoints.

    Examples
    --------
    >>> config_digest({"b": 1, "a": 2}) == config_digest({"a": 2, "b": 1})
    True
    """
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def _reuse_finished(final: Path, config_hash: str, name: str, stage: int, dev: torch.device) -> TrainedModel | None:
    """The finished ``model.pt`` loaded when it has ``config_hash``, else None (train)."""
    rec = _load(final)
    if rec["config_hash"] != config_hash or not rec.get("finished"):
        return None
    net, _ = load_trained(final, device=dev)
    return TrainedModel(name, stage, net, final, weights_sha256(net), config_hash,
                        pd.DataFrame(rec["history"], columns=list(HISTORY_COLUMNS)), True, dev)


@dataclass
class _Fit:
    """The state of one training in progress (network, optimizer, schedule, data, history)."""

    name: str
    stage: int
    seed: int
    net: nn.Module
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler
    dev: torch.device
    ctx: DistContext
    amp_dtype: torch.dtype | None
    channels_last: bool
    batch_size: int
    #: the sizes of the epoch's global batches.
    sizes: list[int]
    #: training labels (NumPy, for the sampler).
    labels: np.ndarray
    in_channels: int
    graphed: bool
    history: list[dict[str, Any]]
    #: epochs already trained (from a checkpoint).
    start: int = 0
    step_net: nn.Module | None = None
    x_train: torch.Tensor | None = None
    y_train: torch.Tensor | None = None
    graph_step: GraphedStep | None = None


def _build_fit(name: str, stage: int, seed: int, train: StackSet, *, weights: str | os.PathLike[str] | None,
               init_net: nn.Module | None, epochs: int, batch_size: int, learning_rate: float, weight_decay: float,
               device: torch.device, ctx: DistContext, compile_mode: str) -> _Fit:
    """The seeded network (or ``init_net``'s weights), its batches, Adam and the cosine schedule."""
    amp_dtype, channels_last = _precision(device)
    in_channels = int(train.x.shape[1])
    init_state = None if init_net is None else init_net.state_dict()
    torch.manual_seed(_seed(seed, name, stage, "init"))
    net = build_model(name, in_channels=in_channels, num_classes=2, weights=weights)
    if init_state is not None:
        net.load_state_dict(init_state)
    net = net.to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    n = len(train)
    steps = n // batch_size + (1 if n % batch_size >= 2 else 0)  # a lone last sample would break BatchNorm
    sizes = [min(batch_size, n - b * batch_size) for b in range(steps)]
    if ctx.active and min(sizes) < ctx.world_size:
        raise ValueError(f"batch_size {batch_size} with {n} training samples leaves a batch of {min(sizes)}, "
                         f"fewer than the {ctx.world_size} processes (world_size)")
    graphed = device.type == "cuda" and compile_mode == CUDA_GRAPH and not ctx.active
    opt = make_optimizer(net, learning_rate=learning_rate, weight_decay=weight_decay, device=device, graphed=graphed)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps)
    return _Fit(name, stage, seed, net, opt, sched, device, ctx, amp_dtype, channels_last, batch_size, sizes,
                train.y.numpy(), in_channels, graphed, [])


def _resume(fit: _Fit, ckpt: Path, config_hash: str) -> None:
    """Continue from ``checkpoint.pt`` when it has ``config_hash`` (weights, Adam, schedule, RNG, history)."""
    state = _load(ckpt)
    if state["config_hash"] != config_hash:
        return
    fit.net.load_state_dict(state["model"])
    fit.opt.load_state_dict(state["optimizer"])
    fit.sched.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"]["torch"])
    if fit.dev.type == "cuda" and state["rng"]["cuda"]:
        torch.cuda.set_rng_state_all(list(state["rng"]["cuda"]))
    fit.history = list(state["history"])
    fit.start = int(state["epoch"])
    if fit.graphed:
        lr_to_device(fit.opt, fit.dev)


def _attach(fit: _Fit, train: StackSet, compile_mode: str) -> None:
    """Wrap the network for DDP or ``torch.compile``, put the stacks on the device, set up the CUDA graph."""
    fit.step_net = wrap_model(fit.net, fit.ctx, fit.dev)
    if compile_mode and compile_mode != CUDA_GRAPH and fit.dev.type == "cuda":
        fit.step_net = torch.compile(fit.step_net, mode=compile_mode)
    fit.x_train = train.x.to(fit.dev)  # uint8 stacks resident on the device (the same tensor on the CPU)
    fit.y_train = train.y.to(fit.dev)
    fit.graph_step = (GraphedStep(fit.net, fit.opt, fit.x_train, fit.y_train, batch_size=fit.batch_size,
                                  amp_dtype=fit.amp_dtype, channels_last=fit.channels_last) if fit.graphed else None)


def _fit_epochs(fit: _Fit, test: StackSet, epochs: int, ckpt: Path, config: dict[str, Any], config_hash: str, *,
                stop_after_epochs: int | None, label: str, progress: bool) -> bool:
    """Train the remaining epochs (test pass, progress line and timed checkpoint after each); True when finished,
    False when stopped by ``stop_after_epochs``."""
    ticker = Ticker(label, epochs, unit="epoch", start=min(fit.start, epochs), every_s=0, enabled=progress)
    last_save = time.perf_counter()
    for epoch in range(fit.start, epochs):
        if stop_after_epochs is not None and epoch >= stop_after_epochs:
            return False
        loss, rate = _train_epoch(fit, epoch)
        _test_epoch(fit, test, epoch)
        ticker.update(detail=f"loss {loss:.3f}, {rate:.{1 if rate < 10 else 0}f} images/s, test AUC "
                             f"{fit.history[-1]['auc']:.3f}")
        due = (time.perf_counter() - last_save >= CHECKPOINT_EVERY_S
               or (stop_after_epochs is not None and epoch + 1 >= stop_after_epochs))
        if fit.ctx.is_main and due and epoch + 1 < epochs:  # the last epoch writes model.pt instead
            last_save = time.perf_counter()
            _save_checkpoint(fit, ckpt, epoch, config, config_hash)
        barrier(fit.ctx)
    return True


def _train_epoch(fit: _Fit, epoch: int) -> tuple[float, float]:
    """One pass over the resampled training set; appends its history row; returns (mean loss, images/s).

    Every random draw of the epoch is seeded from ``(seed, model, stage, epoch)``: the class-balanced order and the
    augmentation numbers (drawn in step order, moved to the device once), and dropout.
    """
    gen = torch.Generator().manual_seed(_seed(fit.seed, fit.name, fit.stage, "epoch", epoch))
    torch.manual_seed(_seed(fit.seed, fit.name, fit.stage, "dropout", epoch))
    order = ClassBalancedSampler(fit.labels, batch_size=fit.batch_size, generator=gen).global_order()
    draws = [draw_augment(m, fit.in_channels, gen) for m in fit.sizes]
    aug_u = torch.cat([d[0] for d in draws]).to(fit.dev)
    aug_v = torch.cat([d[1] for d in draws]).to(fit.dev)
    order = order.to(fit.dev)
    fit.net.train()
    if fit.graph_step is not None:
        fit.graph_step.check_storage()
    t0, seen = time.perf_counter(), 0
    loss_sum = torch.zeros((), dtype=torch.float64, device=fit.dev)  # accumulated on the device: no sync per step
    scores, labels = [], []
    for b in range(len(fit.sizes)):
        lo, hi = b * fit.batch_size, b * fit.batch_size + fit.sizes[b]
        if fit.ctx.active:  # this rank's part of the global batch
            r0, r1 = rank_bounds(fit.sizes[b], world_size=fit.ctx.world_size, rank=fit.ctx.rank)
            lo, hi = lo + r0, lo + r1
        idx = order[lo:hi]
        out = None
        if fit.graph_step is not None and hi - lo == fit.batch_size:
            out = _graphed_step(fit, idx, aug_u[lo:hi], aug_v[lo:hi])
        if out is None:
            out = _eager_step(fit, idx, aug_u[lo:hi], aug_v[lo:hi], fit.sizes[b])
        loss_sum += out[0]
        seen += hi - lo
        scores.append(out[1])
        labels.append(out[2])
    s_tr, y_tr = torch.cat(scores).cpu().numpy(), torch.cat(labels).cpu().numpy()
    loss_total = float(loss_sum)
    if fit.ctx.active:  # the whole global batch's scores, labels and loss, on every rank
        parts = all_gather_objects((s_tr, y_tr, loss_total, seen), fit.ctx)
        s_tr, y_tr = np.concatenate([q[0] for q in parts]), np.concatenate([q[1] for q in parts])
        loss_total, seen = sum(q[2] for q in parts), sum(q[3] for q in parts)
    secs = time.perf_counter() - t0
    fit.history.append({"model": fit.name, "stage": int(fit.stage), "epoch": epoch + 1, "split": "train",
                        "loss": loss_total / seen, "auc": _auc(y_tr, s_tr), "n": seen,
                        "learning_rate": float(fit.opt.param_groups[0]["lr"]), "images_per_s": seen / secs,
                        "seconds": secs})
    return loss_total / seen, seen / secs


def _graphed_step(fit: _Fit, idx: torch.Tensor, u: torch.Tensor,
                  v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """One full batch's step replayed as a CUDA graph: (loss sum, P(class 1), labels); None when the capture
    failed (the graph is dropped and the step is to be taken eagerly)."""
    try:
        g_loss, g_prob, g_y = fit.graph_step(idx, u, v)
    except RuntimeError as exc:  # a capture this PyTorch build refuses: go on eagerly
        if fit.graph_step.replays or fit.graph_step.eager_steps < WARMUP_STEPS:
            raise
        report(f"{fit.name} stage {fit.stage}: CUDA graph capture failed ({type(exc).__name__}: "
               f"{str(exc).splitlines()[0][:160]}); training on eagerly")
        fit.graph_step = None
        return None
    fit.sched.step()
    return g_loss.double() * fit.batch_size, g_prob.clone(), g_y.clone()


def _eager_step(fit: _Fit, idx: torch.Tensor, u: torch.Tensor, v: torch.Tensor,
                size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One optimisation step on this rank's part ``idx`` of a global batch of ``size``: (this rank's loss sum,
    P(class 1), labels)."""
    ctx = fit.ctx
    xb = prepare_batch(fit.x_train[idx], fit.dev, None, channels_last=fit.channels_last, augment=(u, v))
    yb = fit.y_train[idx]
    fit.opt.zero_grad(set_to_none=True)
    with torch.autocast(fit.dev.type, dtype=fit.amp_dtype or torch.float32, enabled=fit.amp_dtype is not None):
        logits = fit.step_net(xb)
        if ctx.active:  # DDP averages over ranks: sum x W / b gives the global batch's mean gradient
            loss = F.cross_entropy(logits, yb, reduction="sum") * (ctx.world_size / size)
            local = loss.detach().double() * (size / ctx.world_size)  # this rank's loss sum
        else:
            loss = F.cross_entropy(logits, yb)
            local = loss.detach().double() * len(idx)
    loss.backward()
    fit.opt.step()
    fit.sched.step()
    return local, torch.softmax(logits.detach().float(), 1)[:, 1], yb


def _monitor_scores(fit: _Fit, x: torch.Tensor) -> np.ndarray:
    """P(class 1) of the uint8 stacks ``x`` with the epoch's weights, in eval mode, in the training's own precision
    and memory layout (bfloat16 autocast and channels_last where training uses them): the learning curve's test
    pass. The run's predictions are not these: :func:`~gvisage_lib.cnn.predict.predict_scores` computes them after
    training in its canonical precision and layout (float32 on the CPU)."""
    fit.net.eval()  # the next epoch's _train_epoch puts it back in training mode
    return batched_scores(fit.net, x, batch_size=_eval_batch(fit.batch_size, fit.dev), device=fit.dev,
                          amp_dtype=fit.amp_dtype, channels_last=fit.channels_last)


def _test_epoch(fit: _Fit, test: StackSet, epoch: int) -> None:
    """Score the test split with the epoch's weights (:func:`_monitor_scores`); appends its history row (loss, AUC)."""
    t1 = time.perf_counter()
    s_te = _monitor_scores(fit, test.x)
    y_te = test.y.numpy()
    te_loss = float(F.binary_cross_entropy(torch.from_numpy(s_te).clamp(1e-7, 1 - 1e-7),
                                           torch.from_numpy(y_te).double())) if len(y_te) else float("nan")
    secs_te = time.perf_counter() - t1
    fit.history.append({"model": fit.name, "stage": int(fit.stage), "epoch": epoch + 1, "split": "test",
                        "loss": te_loss, "auc": _auc(y_te, s_te), "n": len(y_te),
                        "learning_rate": float(fit.opt.param_groups[0]["lr"]),
                        "images_per_s": len(y_te) / secs_te if secs_te > 0 else float("nan"), "seconds": secs_te})


def _save_checkpoint(fit: _Fit, ckpt: Path, epoch: int, config: dict[str, Any], config_hash: str) -> None:
    """Write ``checkpoint.pt`` atomically after ``epoch`` (everything :func:`_resume` needs)."""
    state = {"model": fit.net.state_dict(), "optimizer": fit.opt.state_dict(), "scheduler": fit.sched.state_dict(),
             "rng": {"torch": torch.get_rng_state(),
                     "cuda": torch.cuda.get_rng_state_all() if fit.dev.type == "cuda" else []},
             "epoch": epoch + 1, "config": config, "config_hash": config_hash, "history": fit.history,
             "finished": False, "world_size": fit.ctx.world_size}
    with io.atomic_path(ckpt) as tmp:
        torch.save(state, tmp)


def _save_final(fit: _Fit, final: Path, ckpt: Path, config: dict[str, Any], config_hash: str) -> None:
    """Rank 0 writes ``model.pt`` (weights, configuration, history) and removes the checkpoint; every rank waits."""
    if fit.ctx.is_main:
        record = {"model": {k: v.detach().cpu() for k, v in fit.net.state_dict().items()}, "config": config,
                  "config_hash": config_hash, "history": fit.history, "finished": True,
                  "world_size": fit.ctx.world_size}
        with io.atomic_path(final) as tmp:
            torch.save(record, tmp)
        ckpt.unlink(missing_ok=True)
    barrier(fit.ctx)
