"""A whole training step captured as one CUDA graph: batch assembly, augmentation, forward, loss, backward and Adam.

At the paper's batch of 32 a ResNet-50 step on an H100 is a few milliseconds of arithmetic spread over several
hundred kernels; launched one by one from Python the GPU waits on the host most of the time, and mixed precision or
``torch.compile`` of the forward alone make it no faster. Capturing the *whole* step (gathering the batch from the
uint8 stacks resident on the GPU, the augmentation with the epoch's pre-drawn numbers, normalisation, the forward in
bfloat16 autocast, cross-entropy, the backward and the fused Adam update) as one CUDA graph turns it into a single
launch. :class:`GraphedStep` does that with PyTorch's own ``torch.cuda.CUDAGraph``; the recipe is unchanged:

* every optimisation step is taken exactly once. The first steps run eagerly on a side stream (they warm up cuDNN's
  algorithm choice and the caching allocator, as graph capture requires) and are real steps of the training; the
  capture itself executes nothing, and from then on each full-size batch is one replay;
* the learning rate lives in a GPU tensor that the cosine scheduler overwrites between steps (Adam is built with
  ``capturable=True`` and a tensor ``lr``, :func:`make_optimizer`), so the schedule is followed inside the graph;
* the step's inputs (the batch's indices into the stacks and its augmentation numbers) are copied into static
  buffers before each replay; its outputs (loss, the positive-class probabilities, the labels) are static tensors
  that the caller copies before the next step;
* dropout draws from the CUDA generator's graph-safe Philox offsets, so it differs between replays as it should;
* a batch of another size (the epoch's last, partial batch) runs eagerly through :meth:`GraphedStep.eager`;
* if the parameters' storage changes (a layout conversion of the network between epochs) the graph is captured again
  (:meth:`GraphedStep.check_storage`, called by the training loop once per epoch).

A capture that fails (an operation that cannot be captured on some PyTorch build) raises from :meth:`__call__`;
:func:`gvisage_lib.cnn.training.train_model` then goes on eagerly and says so on the terminal.

On the CPU there is nothing to capture: :meth:`GraphedStep.eager` is the same step, which is what the tests run.

Examples
--------
>>> import torch
>>> from gvisage_lib.cnn.models import build_model
>>> net = build_model("alexnet", in_channels=12, num_classes=2)
>>> x = torch.randint(0, 256, (8, 12, 64, 64), dtype=torch.uint8)
>>> y = torch.arange(8) % 2
>>> opt = make_optimizer(net, learning_rate=1e-4, weight_decay=0.0, device=torch.device("cpu"), graphed=True)
>>> step = GraphedStep(net, opt, x, y, batch_size=4, amp_dtype=None, channels_last=False)  # doctest: +SLOW
>>> from gvisage_lib.cnn.datasets import draw_augment
>>> u, v = draw_augment(4, 12, torch.Generator().manual_seed(0))
>>> loss, prob, yb = step.eager(torch.arange(4), u, v)
>>> tuple(prob.shape), yb.tolist()
((4,), [0, 1, 0, 1])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gvisage_lib.cnn.datasets import prepare_batch
from gvisage_lib.core.validation import check_int

__all__ = ["CUDA_GRAPH", "GraphedStep", "make_optimizer"]

#: The value of ``compile_mode`` (profile field and :func:`gvisage_lib.cnn.training.train_model` argument) that
#: trains full-size batches by replaying one CUDA graph per step (:class:`GraphedStep`).
CUDA_GRAPH = "cuda_graph"

#: Eager steps before the first capture (cuDNN's algorithm search and the allocator settle during them).
WARMUP_STEPS = 3


def make_optimizer(net: nn.Module, *, learning_rate: float, weight_decay: float, device: torch.device,
                   graphed: bool) -> torch.optim.Adam:
    """The training recipe's Adam (fused kernel); for a graphed step with the state and learning rate on the device.

    ``graphed=True`` builds it with ``capturable=True`` and the learning rate as a float32 tensor on ``device``
    (what a captured fused Adam reads; the cosine scheduler fills it in place), else with a Python float.

    Examples
    --------
    >>> net = torch.nn.Linear(2, 2)
    >>> opt = make_optimizer(net, learning_rate=1e-3, weight_decay=0.0, device=torch.device("cpu"), graphed=True)
    >>> isinstance(opt.param_groups[0]["lr"], torch.Tensor), opt.defaults["capturable"]
    (True, True)
    """
    if not graphed:
        return torch.optim.Adam(net.parameters(), lr=learning_rate, weight_decay=weight_decay, fused=True)
    lr = torch.tensor(float(learning_rate), dtype=torch.float32, device=device)
    return torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay, fused=True, capturable=True)


def lr_to_device(opt: torch.optim.Optimizer, device: torch.device) -> None:
    """After ``load_state_dict``: keep each group's tensor learning rate a float32 tensor on ``device``.

    Examples
    --------
    >>> opt = make_optimizer(torch.nn.Linear(2, 2), learning_rate=1e-3, weight_decay=0.0,
    ...                      device=torch.device("cpu"), graphed=True)
    >>> opt.param_groups[0]["lr"] = 5e-4
    >>> lr_to_device(opt, torch.device("cpu")); opt.param_groups[0]["lr"]
    tensor(0.0005)
    """
    for group in opt.param_groups:
        group["lr"] = torch.as_tensor(group["lr"], dtype=torch.float32).to(device)


class GraphedStep:
    """One optimisation step of ``net`` on a batch of ``batch_size`` drawn from the resident stacks ``x_train``.

    Parameters
    ----------
    net : nn.Module
        The network, on the stacks' device, in train mode.
    opt : torch.optim.Adam
        From :func:`make_optimizer` with ``graphed=True``.
    x_train, y_train : Tensor
        The training stacks (uint8, N x C x S x S) and labels, on the device.
    batch_size : int
        The size of the batches that are captured and replayed.
    amp_dtype : torch.dtype or None
        Autocast dtype (bfloat16 on CUDA) or None for float32.
    channels_last : bool
        Feed the network channels_last batches.

    Examples
    --------
    See the module docstring.
    """

    def __init__(self, net: nn.Module, opt: torch.optim.Optimizer, x_train: torch.Tensor, y_train: torch.Tensor, *,
                 batch_size: int, amp_dtype: torch.dtype | None, channels_last: bool) -> None:
        check_int("batch_size", batch_size, minimum=2)
        self.net, self.opt = net, opt
        self.x, self.y = x_train, y_train
        self.batch_size = batch_size
        self.amp_dtype, self.channels_last = amp_dtype, channels_last
        self.device = x_train.device
        k = int(x_train.shape[1]) // 3
        self._idx = torch.zeros(batch_size, dtype=torch.long, device=self.device)
        self._u = torch.zeros(batch_size, 5, dtype=torch.float32, device=self.device)
        self._v = torch.zeros(batch_size, k, 2, dtype=torch.float32, device=self.device)
        self._graph: torch.cuda.CUDAGraph | None = None
        self._out: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._ptrs: list[int] = []
        self.eager_steps = 0
        self.replays = 0

    def _body(self, idx: torch.Tensor, u: torch.Tensor, v: torch.Tensor, *,
              capturing: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        xb = prepare_batch(self.x[idx], self.device, None, channels_last=self.channels_last, augment=(u, v))
        yb = self.y[idx]
        with torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32,
                            enabled=self.amp_dtype is not None, cache_enabled=not capturing):
            logits = self.net(xb)
            loss = F.cross_entropy(logits, yb)
        loss.backward()
        self.opt.step()
        return loss.detach().float(), torch.softmax(logits.detach().float(), 1)[:, 1], yb

    def eager(self, idx: torch.Tensor, u: torch.Tensor, v: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Take the step eagerly on any batch size: ``(mean loss, P(class 1) per sample, labels)``."""
        self.opt.zero_grad(set_to_none=True)
        self.eager_steps += 1
        return self._body(idx, u.to(self.device), v.to(self.device))

    def _param_ptrs(self) -> list[int]:
        return [p.data_ptr() for p in self.net.parameters()]

    def check_storage(self) -> None:
        """Drop the captured graph if the parameters' storage moved since the capture (a layout conversion of the
        network, e.g. between epochs): the next full batch captures again. Cheap enough per epoch, not per step."""
        if self._graph is not None and self._ptrs != self._param_ptrs():
            self._graph = None

    def _capture(self) -> None:
        self.opt.zero_grad(set_to_none=True)  # the gradients are then allocated in (and replayed into) the graph's pool
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._out = self._body(self._idx, self._u, self._v, capturing=True)
        self._graph, self._ptrs = graph, self._param_ptrs()

    def __call__(self, idx: torch.Tensor, u: torch.Tensor, v: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Take one step on a full batch (``len(idx) == batch_size``): eagerly during the warm-up, else by replay.

        The returned tensors are overwritten by the next replay: copy what is kept.
        """
        if len(idx) != self.batch_size:
            raise ValueError(f"idx must hold batch_size={self.batch_size} indices, got {len(idx)}")
        if self.device.type != "cuda":
            return self.eager(idx, u, v)
        if self._graph is None:
            if self.eager_steps < WARMUP_STEPS:
                side = torch.cuda.Stream(self.device)
                side.wait_stream(torch.cuda.current_stream(self.device))
                with torch.cuda.stream(side):
                    out = self.eager(idx, u, v)
                torch.cuda.current_stream(self.device).wait_stream(side)
                return out
            self._capture()
        self._idx.copy_(idx, non_blocking=True)
        self._u.copy_(u, non_blocking=True)
        self._v.copy_(v, non_blocking=True)
        self._graph.replay()
        self.replays += 1
        return self._out
