"""Training of one candidate CNN for one stage, as in the paper, with checkpoints and exact resume.

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
  evaluation pass over the test split after each epoch. Neither is used to pick an epoch: the final weights are
  those of the last epoch. The validation split (the external set) is never touched during training.
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
from gvisage_lib.cnn.datasets import (
    AUGMENT,
    StackSet,
    draw_augment,
    load_stacks,
    load_subjects,
    prepare_batch,
    stage_subjects,
)
from gvisage_lib.cnn.distributed import (
    ClassBalancedSampler,
    DistContext,
    all_gather_objects,
    barrier,
    rank_bounds,
    wrap_model,
)
from gvisage_lib.cnn.models import build_model, check_input_size
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
from gvisage_lib.core import io
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import Profile, get_profile
from gvisage_lib.core.progress import Ticker, format_seconds, report
from gvisage_lib.core.record import RunRecord, RunSettings

__all__ = ["HISTORY_COLUMNS", "CandidateRun", "TrainedModel", "checkpoint_dir", "load_trained", "train_candidates",
           "train_from_run", "train_model"]

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
    check_input_size(name, int(train.x.shape[-1]))
    for arg, val in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 1:
            raise ValueError(f"{arg} must be a positive int, got {val!r}")
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    ytr = train.y.numpy()
    if len(np.unique(ytr)) != 2:
        raise ValueError(f"train must hold both classes for stage {stage}, got labels {sorted(set(ytr.tolist()))}")
    if weights is not None and init_from is not None:
        raise ValueError(f"give weights or init_from, not both (weights={weights!r}, init_from={init_from!r})")
    init_state = None
    if init_from is not None:
        init_net, init_rec = load_trained(init_from)
        if init_rec["config"]["model"] != name or int(init_rec["config"]["in_channels"]) != int(train.x.shape[1]):
            raise ValueError(f"init_from {init_from} holds {init_rec['config']['model']} with "
                             f"{init_rec['config']['in_channels']} input channels; {name} with {int(train.x.shape[1])} "
                             "is being trained")
        init_state = init_net.state_dict()
    dev = pick_device(device)
    ctx = DistContext() if ctx is None else ctx
    amp_dtype, channels_last = _precision(dev)
    in_channels = int(train.x.shape[1])
    config = {
        "model": name, "stage": int(stage), "image_size": int(train.x.shape[-1]), "in_channels": in_channels,
        "epochs": int(epochs), "batch_size": int(batch_size), "learning_rate": float(learning_rate),
        "weight_decay": float(weight_decay), "seed": int(seed), "augment": dict(AUGMENT),
        "weights": None if weights is None else io.sha256_file(weights),
        "init_from": None if init_from is None else weights_sha256(init_net),
        "train_data": _fingerprint(train), "test_data": _fingerprint(test), "optimizer": "adam+cosine",
        "precision": {None: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}[amp_dtype],
    }
    if threads is not None and dev.type == "cpu":  # a fixed thread count is part of the CPU arithmetic
        config["cpu_threads"] = int(threads)
    config_hash = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    folder = checkpoint_dir(out_dir, name, stage)
    final, ckpt = folder / "model.pt", folder / "checkpoint.pt"

    if final.is_file() and not retrain:
        rec = _load(final)
        if rec["config_hash"] == config_hash and rec.get("finished"):
            net, _ = load_trained(final, device=dev)
            return TrainedModel(name, stage, net, final, weights_sha256(net), config_hash,
                                pd.DataFrame(rec["history"], columns=list(HISTORY_COLUMNS)), True, dev)

    with _deterministic(dev, threads):
        torch.manual_seed(_seed(seed, name, stage, "init"))
        net = build_model(name, in_channels=in_channels, num_classes=2, weights=weights)
        if init_state is not None:
            net.load_state_dict(init_state)
        net = net.to(dev)
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
        n = len(train)
        steps = n // batch_size + (1 if n % batch_size >= 2 else 0)  # a lone last sample would break BatchNorm
        sizes = [min(batch_size, n - b * batch_size) for b in range(steps)]
        if ctx.active and min(sizes) < ctx.world_size:
            raise ValueError(f"batch_size {batch_size} with {n} training samples leaves a batch of {min(sizes)}, "
                             f"fewer than the {ctx.world_size} processes (world_size)")
        graphed = dev.type == "cuda" and compile_mode == CUDA_GRAPH and not ctx.active
        opt = make_optimizer(net, learning_rate=learning_rate, weight_decay=weight_decay, device=dev, graphed=graphed)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps)
        history: list[dict[str, Any]] = []
        start = 0
        if resume and ckpt.is_file() and not retrain:
            state = _load(ckpt)
            if state["config_hash"] == config_hash:
                net.load_state_dict(state["model"])
                opt.load_state_dict(state["optimizer"])
                sched.load_state_dict(state["scheduler"])
                torch.set_rng_state(state["rng"]["torch"])
                if dev.type == "cuda" and state["rng"]["cuda"]:
                    torch.cuda.set_rng_state_all(list(state["rng"]["cuda"]))
                history = list(state["history"])
                start = int(state["epoch"])
                if graphed:
                    lr_to_device(opt, dev)
        step_net = wrap_model(net, ctx, dev)
        if compile_mode and compile_mode != CUDA_GRAPH and dev.type == "cuda":
            step_net = torch.compile(step_net, mode=compile_mode)
        x_train = train.x.to(dev)  # uint8 stacks resident on the device (the same tensor on the CPU)
        y_train = train.y.to(dev)
        graph_step = (GraphedStep(net, opt, x_train, y_train, batch_size=batch_size, amp_dtype=amp_dtype,
                                  channels_last=channels_last) if graphed else None)
        ticker = Ticker(progress_label or f"{name} stage {stage}", epochs, unit="epoch", start=min(start, epochs),
                        every_s=0, enabled=progress)
        last_save = time.perf_counter()
        for epoch in range(start, epochs):
            if stop_after_epochs is not None and epoch >= stop_after_epochs:
                break
            gen = torch.Generator().manual_seed(_seed(seed, name, stage, "epoch", epoch))
            torch.manual_seed(_seed(seed, name, stage, "dropout", epoch))
            order = ClassBalancedSampler(ytr, batch_size=batch_size, generator=gen).global_order()
            # the epoch's augmentation numbers, drawn in step order from the same stream as step by step, moved once
            draws = [draw_augment(m, in_channels, gen) for m in sizes]
            aug_u = torch.cat([d[0] for d in draws]).to(dev)
            aug_v = torch.cat([d[1] for d in draws]).to(dev)
            order = order.to(dev)
            net.train()
            if graph_step is not None:
                graph_step.check_storage()
            t0, seen = time.perf_counter(), 0
            loss_sum = torch.zeros((), dtype=torch.float64, device=dev)  # accumulated on the device: no sync per step
            scores, labels = [], []
            for b in range(steps):
                lo, hi = b * batch_size, b * batch_size + sizes[b]
                if ctx.active:  # this rank's part of the global batch
                    r0, r1 = rank_bounds(sizes[b], world_size=ctx.world_size, rank=ctx.rank)
                    lo, hi = lo + r0, lo + r1
                idx = order[lo:hi]
                if graph_step is not None and hi - lo == batch_size:
                    try:
                        g_loss, g_prob, g_y = graph_step(idx, aug_u[lo:hi], aug_v[lo:hi])
                    except RuntimeError as exc:  # a capture this PyTorch build refuses: go on eagerly
                        if graph_step.replays or graph_step.eager_steps < WARMUP_STEPS:
                            raise
                        report(f"{name} stage {stage}: CUDA graph capture failed ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0][:160]}); training on eagerly")
                        graph_step = None
                    else:
                        sched.step()
                        loss_sum += g_loss.double() * batch_size
                        seen += batch_size
                        scores.append(g_prob.clone())
                        labels.append(g_y.clone())
                        continue
                xb = prepare_batch(x_train[idx], dev, None, channels_last=channels_last,
                                   augment=(aug_u[lo:hi], aug_v[lo:hi]))
                yb = y_train[idx]
                opt.zero_grad(set_to_none=True)
                with torch.autocast(dev.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                    logits = step_net(xb)
                    if ctx.active:  # DDP averages over ranks: sum x W / b gives the global batch's mean gradient
                        loss = F.cross_entropy(logits, yb, reduction="sum") * (ctx.world_size / sizes[b])
                        local = loss.detach().double() * (sizes[b] / ctx.world_size)  # this rank's loss sum
                    else:
                        loss = F.cross_entropy(logits, yb)
                        local = loss.detach().double() * (hi - lo)
                loss.backward()
                opt.step()
                sched.step()
                loss_sum += local
                seen += hi - lo
                scores.append(torch.softmax(logits.detach().float(), 1)[:, 1])
                labels.append(yb)
            s_tr, y_tr = torch.cat(scores).cpu().numpy(), torch.cat(labels).cpu().numpy()
            loss_total = float(loss_sum)
            if ctx.active:  # the whole global batch's scores, labels and loss, on every rank
                parts = all_gather_objects((s_tr, y_tr, loss_total, seen), ctx)
                s_tr, y_tr = np.concatenate([q[0] for q in parts]), np.concatenate([q[1] for q in parts])
                loss_total, seen = sum(q[2] for q in parts), sum(q[3] for q in parts)
            secs = time.perf_counter() - t0
            lr = float(opt.param_groups[0]["lr"])
            history.append({"model": name, "stage": int(stage), "epoch": epoch + 1, "split": "train",
                            "loss": loss_total / seen, "auc": _auc(y_tr, s_tr), "n": seen, "learning_rate": lr,
                            "images_per_s": seen / secs, "seconds": secs})
            t1 = time.perf_counter()
            s_te = predict_scores(net, test.x, batch_size=_eval_batch(batch_size, dev), device=dev)
            if channels_last:  # predict_scores evaluates in its own canonical layout; training goes on in ours
                net = net.to(memory_format=torch.channels_last)
            y_te = test.y.numpy()
            te_loss = float(F.binary_cross_entropy(torch.from_numpy(s_te).clamp(1e-7, 1 - 1e-7),
                                                   torch.from_numpy(y_te).double())) if len(y_te) else float("nan")
            secs_te = time.perf_counter() - t1
            history.append({"model": name, "stage": int(stage), "epoch": epoch + 1, "split": "test",
                            "loss": te_loss, "auc": _auc(y_te, s_te), "n": len(y_te), "learning_rate": lr,
                            "images_per_s": len(y_te) / secs_te if secs_te > 0 else float("nan"),
                            "seconds": secs_te})
            rate = seen / secs
            ticker.update(detail=f"loss {loss_total / seen:.3f}, {rate:.{1 if rate < 10 else 0}f} images/s, test AUC "
                                 f"{history[-1]['auc']:.3f}")
            due = (time.perf_counter() - last_save >= CHECKPOINT_EVERY_S
                   or (stop_after_epochs is not None and epoch + 1 >= stop_after_epochs))
            if ctx.is_main and due and epoch + 1 < epochs:  # the last epoch writes model.pt instead
                last_save = time.perf_counter()
                state = {"model": net.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                         "rng": {"torch": torch.get_rng_state(),
                                 "cuda": torch.cuda.get_rng_state_all() if dev.type == "cuda" else []},
                         "epoch": epoch + 1, "config": config, "config_hash": config_hash, "history": history,
                         "finished": False, "world_size": ctx.world_size}
                with io.atomic_path(ckpt) as tmp:
                    torch.save(state, tmp)
            barrier(ctx)
        else:
            if ctx.is_main:
                record = {"model": {k: v.detach().cpu() for k, v in net.state_dict().items()}, "config": config,
                          "config_hash": config_hash, "history": history, "finished": True,
                          "world_size": ctx.world_size}
                with io.atomic_path(final) as tmp:
                    torch.save(record, tmp)
                ckpt.unlink(missing_ok=True)
            barrier(ctx)
            net.eval()
            return TrainedModel(name, stage, net, final, weights_sha256(net), config_hash,
                                pd.DataFrame(history, columns=list(HISTORY_COLUMNS)), False, dev)
    net.eval()
    return TrainedModel(name, stage, net, ckpt, weights_sha256(net), config_hash,
                        pd.DataFrame(history, columns=list(HISTORY_COLUMNS)), False, dev)


def fold_assignment(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Stratified fold of each subject (0 .. folds-1): each class dealt round-robin over folds in a seeded order.

    Examples
    --------
    >>> f = fold_assignment(np.array([0, 0, 0, 1, 1, 1, 1, 0]), 2, seed=0)
    >>> sorted(np.bincount(f).tolist()), sorted(np.bincount(f[[3, 4, 5, 6]]).tolist())
    ([4, 4], [2, 2])
    """
    labels = np.asarray(labels)
    if folds < 2 or folds > min(np.bincount(labels.astype(int))):
        raise ValueError(f"folds must be between 2 and the size of the smaller class "
                         f"({min(np.bincount(labels.astype(int)))}), got {folds}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x0F0F]))
    out = np.empty(len(labels), dtype=int)
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(len(idx))]
        out[idx] = np.arange(len(idx)) % folds
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
    (see the module docstring), so a rerun only recomputes predictions.

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
        As in :func:`train_model`.
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
    >>> import tempfile
    >>> from gvisage_lib.cnn.datasets import write_synthetic_stacks
    >>> from gvisage_lib.core.profiles import get_profile
    >>> root = write_synthetic_stacks(tempfile.mkdtemp(), n_per_group=3, image_size=64, seed=0)
    >>> prof = get_profile("smoke", image_size=64, models=("alexnet",), batch_size=8)
    >>> out = train_candidates(root / "manifest.csv", RunPaths(root), prof, 1, progress=False)  # doctest: +SLOW
    >>> out.selected["gvisagenet"], sorted(out.predictions["stage"].unique().tolist())
    ('alexnet', [1, 2])
    """
    prof = get_profile(profile) if isinstance(profile, str) else profile
    if not prof.models:
        raise ValueError(f"profile {prof.name!r} lists no candidate models")
    for name in prof.models:
        check_input_size(name, prof.image_size)
    weights = dict(weights or {})
    unknown = set(weights) - set(prof.models)
    if unknown:
        raise ValueError(f"weights given for model(s) {sorted(unknown)} not in the profile's models {prof.models}")
    subjects = load_subjects(manifest_path, paths.faces_index, paths.root)
    if subjects.empty:
        raise ValueError(f"no included subjects: faces index {paths.faces_index} and manifest {manifest_path}")
    x_all = load_stacks(subjects["stack_path"].tolist(), prof.image_size)
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
            t0 = time.perf_counter()
            tm = _train_main(name, stage, st, data, prof, paths, seed, weights, resume=resume, retrain=retrain,
                             device=device, progress=progress, threads=_cpu_threads(slots, prof))
            scores = predict_scores(tm.net, data.x, batch_size=_eval_batch(prof.batch_size, tm.device),
                                    device=tm.device)
            preds.append(predictions_frame(st, scores, stage=stage, model=name, profile=prof.name, seed=seed,
                                           checkpoint_sha256=tm.sha256))
            hist.append(tm.history)
            secs = time.perf_counter() - t0
            worker = done.get((name, stage))
            reused = tm.reused if worker is None else worker["reused"]
            if worker is not None:
                secs += worker["seconds"]
            runs.append({"model": name, "stage": stage, "reused": reused, "checkpoint": str(tm.path),
                         "checkpoint_sha256": tm.sha256, "seconds": secs})
            if progress:
                report(f"{name} stage {stage}: {'reused' if reused else 'trained'} and predicted in "
                       f"{format_seconds(secs)}")
            del tm
    predictions = pd.concat(preds, ignore_index=True)
    history = pd.concat(hist, ignore_index=True)
    selected = select_gvisagenet(predictions, prof.models)
    best = selected["gvisagenet"]
    s1 = predictions[(predictions["model"] == best) & (predictions["stage"] == 1)].set_index("subject_id")["score"]
    stage1 = s1.reindex(subjects["subject_id"]).to_numpy()
    called = stage1 >= CASCADE_THRESHOLD
    net2, _ = load_trained(checkpoint_dir(paths.models, best, 2) / "model.pt", device=dev)
    stage2 = np.full(len(subjects), np.nan)
    if called.any():
        stage2[called] = predict_scores(net2, x_all[torch.from_numpy(np.flatnonzero(called))],
                                        batch_size=_eval_batch(prof.batch_size, dev), device=dev)
    cascade = cascade_table(subjects, stage1, stage2)
    oof = None
    if prof.score_fit == "out_of_fold":
        oof = train_out_of_fold(subjects, x_all, best, paths, prof, seed, resume=resume, retrain=retrain,
                                device=device, progress=progress, manifest_path=manifest_path, gpus=gpus,
                                workers=workers)
        io.write_parquet(oof, paths.predictions_oof)
    else:
        paths.predictions_oof.unlink(missing_ok=True)  # never leave scores of another configuration behind
    io.write_parquet(predictions, paths.predictions)
    io.write_parquet(cascade, paths.cascade)
    io.write_json(selected, paths.selected_model)
    return CandidateRun(predictions, history, auc_by_candidate(predictions, "test"),
                        auc_by_candidate(predictions, "validation"), selected, cascade, pd.DataFrame(runs))


def train_from_run(run_dir: str | os.PathLike[str], model: str, stage: int, *, profile: str | None = None,
                   seed: int | None = None, manifest: str | os.PathLike[str] | None = None, retrain: bool = False,
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
    >>> train_from_run("/nonexistent/run", "resnet50", 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: faces index not found: /nonexistent/run/faces.parquet (preprocess the run's faces first: ...
    """
    from gvisage_lib.cnn.distributed import init_from_env
    from gvisage_lib.cnn.models import MODEL_REGISTRY

    paths = RunPaths(run_dir)
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
    manifest_path = Path(manifest or run.manifest or paths.twin_manifest)
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
