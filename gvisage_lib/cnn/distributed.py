"""Data-parallel training across processes: the process group, the class-balanced sampler, gradient averaging.

:func:`gvisage_lib.cnn.training.train_model` runs as one process by default. Started under ``torchrun`` (one or
several nodes; ``gvisage train``), every process calls :func:`init_from_env`, which joins the process group
(NCCL on CUDA, gloo on the CPU) and returns its :class:`DistContext`; ``train_model`` then wraps the network in
:class:`torch.nn.parallel.DistributedDataParallel` and each process trains on its slice of every global batch.

Equivalence with one process (documented design)
-------------------------------------------------
* **Same global sequence**: :class:`ClassBalancedSampler` draws the epoch's resampling exactly as one process does
  (:class:`torch.utils.data.WeightedRandomSampler` with weight 1 / class size, ``len(train)`` draws with
  replacement, from the epoch's generator) on every rank; rank ``r`` of ``W`` takes the ``r``-th contiguous part of
  each global batch of ``batch_size`` (:func:`rank_bounds`; the first ``b mod W`` ranks get one more). The global
  batch stays ``batch_size``: the paper's recipe does not change with the number of processes.
* **Same augmentation**: every rank draws the random numbers of the whole global batch from the same generator and
  uses its rows, so sample ``i`` of a global batch is augmented identically whatever the number of processes.
* **Same gradient**: each rank's loss is the *sum* of its samples' cross-entropies times ``W / b`` (``b`` the global
  batch's size); DDP averages the ranks' gradients, which gives the gradient of the global batch's mean loss even
  when the slices are unequal.
* **Not the same**: dropout masks (drawn per rank) and BatchNorm batch statistics. On CUDA BatchNorm layers are
  converted to :class:`torch.nn.SyncBatchNorm`, so their statistics are those of the global batch; on the CPU (gloo)
  they are per-rank statistics. Networks without dropout or BatchNorm train to the same weights as one process up to
  floating-point summation order (the test checks 1e-5).
* **Checkpoints**: only rank 0 writes (``checkpoint.pt`` every ``CHECKPOINT_EVERY_S`` seconds of training,
  ``model.pt`` at the end); the others wait at a barrier. Every rank reads ``checkpoint.pt`` to resume, so the run
  folder must be on a file system all nodes share (as the face cache must be). Because every epoch reseeds its
  generators, a resumed run ends with the same weights as an uninterrupted one.

Examples
--------
>>> ctx = DistContext()
>>> ctx.world_size, ctx.is_main
(1, True)
>>> rank_bounds(10, world_size=4, rank=0), rank_bounds(10, world_size=4, rank=3)
((0, 3), (8, 10))
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Sampler, WeightedRandomSampler

from gvisage_lib.core.validation import check_int

__all__ = ["ClassBalancedSampler", "DistContext", "all_gather_objects", "barrier", "init_from_env", "rank_bounds",
           "wrap_model"]


@dataclass(frozen=True)
class DistContext:
    """Where this process stands in data-parallel training: ``world_size`` processes, this one ``rank``."""

    world_size: int = 1
    rank: int = 0
    #: rank within this node (selects the GPU).
    local_rank: int = 0

    def __post_init__(self) -> None:
        check_int("world_size", self.world_size, minimum=1)
        check_int("rank", self.rank, minimum=0)
        check_int("local_rank", self.local_rank, minimum=0)
        if self.rank >= self.world_size:
            raise ValueError(f"rank must be < world_size {self.world_size}, got {self.rank}")

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the process that writes files)."""
        return self.rank == 0

    @property
    def active(self) -> bool:
        """True when more than one process trains together."""
        return self.world_size > 1


def rank_bounds(batch: int, *, world_size: int, rank: int) -> tuple[int, int]:
    """Start and end of rank ``rank``'s contiguous part of a global batch of ``batch`` samples.

    Parts differ by at most one sample; the first ``batch mod world_size`` ranks get the larger ones (the split of
    :func:`torch.tensor_split`).

    Examples
    --------
    >>> [rank_bounds(5, world_size=2, rank=r) for r in (0, 1)]
    [(0, 3), (3, 5)]
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    base, extra = divmod(int(batch), int(world_size))
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


class ClassBalancedSampler(Sampler[int]):
    """Class-balanced resampling with replacement, split over data-parallel ranks.

    Every rank draws the same global sequence as one process would (``WeightedRandomSampler`` over weights
    1 / class size, ``num_samples`` draws, from ``generator``) and yields its own part of each global batch of
    ``batch_size`` (:func:`rank_bounds`). With ``world_size=1`` it yields the one-process sequence itself.

    Parameters
    ----------
    labels : sequence of int
        Class of every training sample.
    batch_size : int
        Global batch size.
    generator : torch.Generator
        Source of the draws (the epoch's generator; it is advanced exactly as by ``WeightedRandomSampler``).
    num_samples : int, optional
        Draws per epoch (default ``len(labels)``).
    world_size, rank : int
        Data-parallel layout (default one process).

    Examples
    --------
    >>> y = [0, 0, 0, 1]
    >>> one = list(ClassBalancedSampler(y, batch_size=2, generator=torch.Generator().manual_seed(3)))
    >>> parts = [list(ClassBalancedSampler(y, batch_size=2, generator=torch.Generator().manual_seed(3),
    ...                                    world_size=2, rank=r)) for r in (0, 1)]
    >>> [parts[0][0], parts[1][0], parts[0][1], parts[1][1]] == one
    True
    """

    def __init__(self, labels: Sequence[int] | np.ndarray, *, batch_size: int, generator: torch.Generator,
                 num_samples: int | None = None, world_size: int = 1, rank: int = 0) -> None:
        y = np.asarray(labels).astype(np.int64)
        if y.ndim != 1 or len(y) == 0:
            raise ValueError(f"labels must be a non-empty 1-d sequence, got shape {y.shape}")
        check_int("batch_size", batch_size, minimum=1)
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank}")
        counts = np.bincount(y).astype(np.float64)
        self.weights = torch.from_numpy(1.0 / counts[y])
        self.num_samples = len(y) if num_samples is None else int(num_samples)
        self.batch_size, self.generator = batch_size, generator
        self.world_size, self.rank = world_size, rank

    def global_order(self) -> torch.Tensor:
        """The epoch's whole draw (int64), as one process draws it; advances the generator."""
        sampler = WeightedRandomSampler(self.weights, self.num_samples, replacement=True, generator=self.generator)
        return torch.tensor(list(sampler), dtype=torch.long)

    def __len__(self) -> int:
        return sum(b - a for a, b in (self._part(s) for s in range(0, self.num_samples, self.batch_size)))

    def _part(self, start: int) -> tuple[int, int]:
        size = min(self.batch_size, self.num_samples - start)
        lo, hi = rank_bounds(size, world_size=self.world_size, rank=self.rank)
        return start + lo, start + hi

    def __iter__(self) -> Iterator[int]:
        order = self.global_order()
        for start in range(0, self.num_samples, self.batch_size):
            lo, hi = self._part(start)
            yield from order[lo:hi].tolist()


def init_from_env(device: str | torch.device = "auto") -> tuple[DistContext, torch.device]:
    """Join the process group described by torchrun's environment; return the context and this rank's device.

    Without ``WORLD_SIZE`` (or with ``WORLD_SIZE=1``) nothing is initialised: one process, ``device`` as given
    (``"auto"``: CUDA if available). Under torchrun: backend NCCL when CUDA is available (device
    ``cuda:LOCAL_RANK``), gloo otherwise (the CPU); ``device="cpu"`` forces gloo on the CPU.

    Examples
    --------
    >>> init_from_env("cpu")[0].world_size  # no torchrun environment here
    1
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    want = str(device)
    use_cuda = torch.cuda.is_available() and want in ("auto", "cuda")
    if world <= 1:
        return DistContext(), torch.device("cuda" if use_cuda else "cpu") if want == "auto" else torch.device(device)
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
    else:
        dev = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return DistContext(world, rank, local), dev


def wrap_model(net: nn.Module, ctx: DistContext, device: torch.device) -> nn.Module:
    """``net`` for data-parallel training: DDP (with SyncBatchNorm on CUDA) when ``ctx`` is active, else ``net``.

    Examples
    --------
    >>> m = nn.Linear(2, 1)
    >>> wrap_model(m, DistContext(), torch.device("cpu")) is m
    True
    """
    if not ctx.active:
        return net
    if not dist.is_initialized():
        raise RuntimeError(f"ctx has world_size {ctx.world_size} but no process group is initialised "
                           "(start under torchrun and call init_from_env)")
    if device.type == "cuda":
        net = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        return nn.parallel.DistributedDataParallel(net, device_ids=[device.index])
    return nn.parallel.DistributedDataParallel(net)


def all_gather_objects(obj: Any, ctx: DistContext) -> list[Any]:
    """Every rank's ``obj`` in rank order (``[obj]`` for one process).

    Examples
    --------
    >>> all_gather_objects(3, DistContext())
    [3]
    """
    if not ctx.active:
        return [obj]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out


def barrier(ctx: DistContext) -> None:
    """Wait for every rank (nothing for one process)."""
    if ctx.active:
        dist.barrier()
