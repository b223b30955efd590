"""Independent trainings side by side: several on one GPU when its memory allows, one chain per GPU, or on CPU cores.

The six (candidate, stage) trainings of a run are three independent chains (each candidate's stage 2 starts from its
stage-1 network), and the ``2 x oof_folds`` out-of-fold trainings of the selected candidate are all independent of
each other. :func:`plan_slots` decides where they run; :func:`run_jobs` runs them in worker processes (spawned, so
CUDA initialises cleanly in each), one job after another per worker slot.

Plan (documented choice)
------------------------
* **CUDA, one GPU** (the default): the trainings run one after another in the calling process (no slot), unless
  ``workers`` asks for that many concurrent worker processes on the GPU (capped by :func:`training_memory_bytes`
  against 90 % of its free memory). Measured on one H100 with the paper profile: processes share a GPU by time
  slicing, so once each step is one CUDA-graph replay (:mod:`gvisage_lib.cnn.cuda_graph`) the GPU is busy with
  one training and concurrency buys nothing, while every worker pays its own start, its own copy of the stacks
  and its own cuDNN autotuning: three concurrent chains left notebook 03 unfinished after 210 s.
* **CUDA, several GPUs** (``gpus`` > 1): one worker per GPU (``workers`` per GPU if given), the jobs spread over
  ``cuda:0 .. cuda:gpus-1``.
* **CPU**: one slot (the trainings run one after another in the calling process, with all cores) unless
  ``workers`` > 1, which splits the cores evenly between that many processes. The number of threads is part of the
  CPU arithmetic, so ``workers`` > 1 gives other (equally valid) weights than the default: it is an explicit switch.

Examples
--------
>>> plan_slots(torch.device("cpu"), 3)
[]
>>> plan_slots(torch.device("cpu"), 3, workers=2, cores=4)
[('cpu', 2), ('cpu', 2)]
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import torch

from gvisage_lib.core.validation import check_int

__all__ = ["plan_slots", "run_jobs", "training_memory_bytes"]

_SLOT_QUEUE: Any = None
_MY_SLOT: tuple[str, int | None] | None = None


def training_memory_bytes(image_size: int, batch_size: int, n_stacks: int, in_channels: int = 12) -> int:
    """Rough upper bound of the GPU memory one training needs: its resident uint8 stacks plus 8 GiB at 256 px and
    batch 32 for weights, optimizer state, activations and the allocator's slack, scaled with pixels x batch, and
    1 GiB of CUDA context.

    Examples
    --------
    >>> round(training_memory_bytes(256, 32, 1400) / 2**30, 1)
    10.0
    """
    stacks = n_stacks * in_channels * image_size * image_size
    work = 8 * 2**30 * (image_size / 256) ** 2 * (batch_size / 32)
    return int(stacks + work + 2**30)


def plan_slots(device: torch.device, n_jobs: int, *, gpus: int | None = None, workers: int | None = None,
               need_bytes: int | None = None, cores: int | None = None,
               cpu_threads: int | None = None) -> list[tuple[str, int | None]]:
    """Worker slots ``(device, CPU threads)`` for ``n_jobs`` independent trainings; ``[]`` = run them in-process.

    Parameters
    ----------
    device : torch.device
        Where training runs (``cpu`` or ``cuda``).
    n_jobs : int
        Independent jobs.
    gpus : int, optional
        CUDA devices to use (``cuda:0`` .. ``cuda:gpus-1``; default 1).
    workers : int, optional
        Concurrent trainings per GPU, or CPU processes (default 1: in-process on one GPU or the CPU, one worker per GPU
        with several GPUs).
    need_bytes : int, optional
        GPU memory one training needs (:func:`training_memory_bytes`); default 10 GiB.
    cores : int, optional
        CPU cores to share (default ``os.cpu_count()``).
    cpu_threads : int, optional
        CPU: threads per training (``Profile.cpu_threads``); then ``workers`` defaults to ``cores // cpu_threads``
        and every worker gets exactly ``cpu_threads`` threads.

    Examples
    --------
    >>> plan_slots(torch.device("cpu"), 6, cpu_threads=1, cores=2)
    [('cpu', 1), ('cpu', 1)]
    """
    check_int("gpus", gpus, minimum=1, allow_none=True)
    check_int("workers", workers, minimum=1, allow_none=True)
    if n_jobs < 2:
        return []
    if device.type == "cuda":
        n_gpu = gpus or 1
        if n_gpu > torch.cuda.device_count():
            raise ValueError(f"gpus must be <= the {torch.cuda.device_count()} visible CUDA devices, got {n_gpu}")
        per_dev = -(-n_jobs // n_gpu)
        slots = []
        for g in range(n_gpu):
            k = min(per_dev, workers or 1)
            if k > 1:  # never more than fit in memory
                free, _ = torch.cuda.mem_get_info(g)
                k = max(1, min(k, int(0.9 * free // (need_bytes or 10 * 2**30))))
            slots += [(f"cuda:{g}", None)] * k
        return slots if len(slots) > 1 else []
    if gpus not in (None, 1):
        raise ValueError(f"gpus={gpus} needs CUDA, but training runs on {device}")
    cores = cores or os.cpu_count() or 1
    if workers is None and cpu_threads:
        workers = max(1, cores // cpu_threads)
    w = min(workers or 1, n_jobs)
    if w < 2:
        return []
    return [("cpu", cpu_threads or max(1, cores // w))] * w


def _init_worker(queue: Any) -> None:
    global _MY_SLOT
    _MY_SLOT = queue.get()
    dev, threads = _MY_SLOT
    if dev.startswith("cuda"):
        torch.cuda.set_device(torch.device(dev))
    elif threads:
        torch.set_num_threads(threads)


def _call(fn: Callable[..., Any], job: Any) -> Any:
    if _MY_SLOT is None:
        raise RuntimeError("worker started without a slot")
    return fn(job, _MY_SLOT[0], _MY_SLOT[1])


def run_jobs(fn: Callable[[Any, str, int | None], Any], jobs: Sequence[Any],
             slots: Sequence[tuple[str, int | None]]) -> list[Any]:
    """Run ``fn(job, device, threads)`` for every job in worker processes, one per slot; results in job order.

    ``fn`` must be importable by name (a module-level function) and ``jobs`` picklable. A job that raises re-raises
    here once every job has finished or failed.

    Examples
    --------
    >>> run_jobs(divmod, [], [("cpu", 1)])
    []
    """
    if not jobs:
        return []
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    for slot in slots:
        queue.put(tuple(slot))
    with ProcessPoolExecutor(max_workers=len(slots), mp_context=ctx, initializer=_init_worker,
                             initargs=(queue,)) as pool:
        futures = [pool.submit(_call, fn, job) for job in jobs]
        return [f.result() for f in futures]
