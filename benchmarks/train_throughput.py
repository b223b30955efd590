"""Training throughput (images/s) of each candidate CNN at the profiles' image sizes.

Measures full optimisation steps the way :func:`gvisage_lib.cnn.training.train_model` takes them: uint8 stacks
resident on the device, an epoch's augmentation numbers drawn at once and applied on the device, forward,
cross-entropy, backward, fused Adam, cosine schedule, the loss accumulated on the device (no host synchronisation
inside the step loop). Columns, as in the issue that asked for them:

* ``fp32``: float32, contiguous layout;
* ``amp``: bfloat16 autocast (on the CPU only where it computes bfloat16 natively);
* ``amp+cl``: and channels_last;
* ``amp+cl+compile``: and ``torch.compile(mode=--compile-mode)`` of the forward (CUDA only; default
  ``reduce-overhead``, which captures CUDA graphs once shapes are static);
* ``amp+cl+graph``: and the whole step (batch gather, augmentation, forward, backward, Adam) captured as one CUDA
  graph and replayed (:class:`gvisage_lib.cnn.cuda_graph.GraphedStep`, the profiles' ``compile_mode``; CUDA only);
* ``train_model``: images/s of one epoch of the real :func:`train_model` (the device's default settings and the
  profile's ``compile_mode``) over the same number of steps, from its training history.

Prints the machine first, one line per measurement, then a table. Timings on a shared machine are noisy.

Usage::

    .venv/bin/python benchmarks/train_throughput.py                 # profiles smoke and quick, all candidates
    .venv/bin/python benchmarks/train_throughput.py --profiles paper --steps 20
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

import torch
import torch.nn.functional as F

from gvisage_lib.cnn.cuda_graph import GraphedStep, make_optimizer
from gvisage_lib.cnn.datasets import StackSet, draw_augment, prepare_batch
from gvisage_lib.cnn.models import build_model
from gvisage_lib.cnn.training import cpu_mixed_precision, train_model
from gvisage_lib.core.profiles import get_profile

COLUMNS = ("fp32", "amp", "amp+cl", "amp+cl+compile", "amp+cl+graph", "train_model")


def machine() -> str:
    """One line describing the machine and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA"
    return (f"{platform.node()}: {cpu}, {os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}; "
            f"GPU: {gpu}; torch {torch.__version__}, Python {platform.python_version()}")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput(name: str, image_size: int, batch_size: int, steps: int, *, device: torch.device, amp: bool = False,
               channels_last: bool = False, compile_mode: str = "", graph: bool = False, warmup: int = 5) -> float:
    """Training images per second of ``name`` for ``steps`` timed steps after ``warmup`` untimed ones.

    ``graph``: the whole step as a replayed CUDA graph (the warm-up then holds its eager steps and the capture).
    """
    torch.manual_seed(0)
    net = build_model(name).to(device).train()
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    step_net = torch.compile(net, mode=compile_mode) if compile_mode else net
    opt = make_optimizer(net, learning_rate=1e-4, weight_decay=0.0, device=device, graphed=graph)
    total = warmup + steps
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
    gen = torch.Generator().manual_seed(0)
    n_stacks = max(4 * batch_size, 128)
    x_all = torch.randint(0, 256, (n_stacks, 12, image_size, image_size), dtype=torch.uint8, generator=gen).to(device)
    y_all = torch.randint(0, 2, (n_stacks,), generator=gen).to(device)
    order = torch.randint(0, n_stacks, (total * batch_size,), generator=gen).to(device)
    draws = [draw_augment(batch_size, 12, gen) for _ in range(total)]
    aug_u, aug_v = torch.cat([d[0] for d in draws]).to(device), torch.cat([d[1] for d in draws]).to(device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)

    graphed = GraphedStep(net, opt, x_all, y_all, batch_size=batch_size, amp_dtype=torch.bfloat16 if amp else None,
                          channels_last=channels_last) if graph else None

    def step(b: int) -> None:
        nonlocal loss_sum
        lo, hi = b * batch_size, (b + 1) * batch_size
        idx = order[lo:hi]
        if graphed is not None:
            loss, _, _ = graphed(idx, aug_u[lo:hi], aug_v[lo:hi])
            sched.step()
            loss_sum = loss_sum + loss.double() * batch_size
            return
        x = prepare_batch(x_all[idx], device, None, channels_last=channels_last, augment=(aug_u[lo:hi], aug_v[lo:hi]))
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = F.cross_entropy(step_net(x), y_all[idx])
        loss.backward()
        opt.step()
        sched.step()
        loss_sum = loss_sum + loss.detach().double() * batch_size

    for b in range(warmup):
        step(b)
    _sync(device)
    t0 = time.perf_counter()
    for b in range(warmup, total):
        step(b)
    _sync(device)
    return steps * batch_size / (time.perf_counter() - t0)


def train_model_throughput(name: str, image_size: int, batch_size: int, steps: int, *, device: torch.device,
                           compile_mode: str = "") -> float:
    """Images/s of the training pass of one epoch of :func:`train_model` (``steps`` batches, after a warm-up epoch)."""
    gen = torch.Generator().manual_seed(1)
    n = steps * batch_size
    x = torch.randint(0, 256, (n + 8, 12, image_size, image_size), dtype=torch.uint8, generator=gen)
    y = torch.arange(n + 8) % 2
    data = StackSet(tuple(f"s{i}" for i in range(n + 8)), x, y)
    train, test = data.subset([i < n for i in range(n + 8)]), data.subset([i >= n for i in range(n + 8)])
    with tempfile.TemporaryDirectory() as out:
        res = train_model(name, train, test, stage=1, epochs=2, batch_size=batch_size, learning_rate=1e-4, seed=0,
                          out_dir=out, device=device, progress=False, compile_mode=compile_mode)
    rows = res.history[res.history["split"] == "train"]
    return float(rows["images_per_s"].iloc[-1])  # the second epoch: compilation and warm-up are behind


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", nargs="+", default=["smoke", "quick"], help="profiles whose sizes to measure")
    ap.add_argument("--steps", type=int, default=3, help="timed optimisation steps per configuration")
    ap.add_argument("--models", nargs="+", default=None, help="candidates (default: the profile's)")
    ap.add_argument("--compile-mode", default="reduce-overhead", help="torch.compile mode of the compile column")
    ap.add_argument("--skip", nargs="*", default=[], choices=COLUMNS, help="columns not to measure")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    print(machine(), flush=True)
    cuda = torch.cuda.is_available()
    dev = torch.device("cuda" if cuda else "cpu")
    amp_ok = cuda or cpu_mixed_precision()
    table: dict[tuple[str, str, int, int], dict[str, float]] = {}
    for pname in args.profiles:
        prof = get_profile(pname)
        for name in args.models or prof.models:
            key = (pname, name, prof.image_size, prof.batch_size)
            if any(k[1:] == key[1:] for k in table):
                continue
            row = table.setdefault(key, {})
            configs = {"fp32": {}, "amp": {"amp": True}, "amp+cl": {"amp": True, "channels_last": True},
                       "amp+cl+compile": {"amp": True, "channels_last": True, "compile_mode": args.compile_mode},
                       "amp+cl+graph": {"amp": True, "channels_last": True, "graph": True}}
            for label, kw in configs.items():
                if (label in args.skip or (kw.get("amp") and not amp_ok)
                        or (("compile_mode" in kw or "graph" in kw) and not cuda)):
                    continue
                row[label] = throughput(name, prof.image_size, prof.batch_size, args.steps, device=dev, **kw)
                print(f"profile {pname:6s} {name:13s} {prof.image_size:4d} px batch {prof.batch_size:3d} "
                      f"{dev.type} {label:16s} {row[label]:8.1f} train images/s", flush=True)
            if "train_model" not in args.skip:
                row["train_model"] = train_model_throughput(name, prof.image_size, prof.batch_size, args.steps,
                                                            device=dev, compile_mode=prof.compile_mode)
                print(f"profile {pname:6s} {name:13s} {prof.image_size:4d} px batch {prof.batch_size:3d} "
                      f"{dev.type} {'train_model':16s} {row['train_model']:8.1f} train images/s", flush=True)
    print(f"\ntrain images/s on {torch.cuda.get_device_name(0) if cuda else 'the CPU'} ({args.steps} steps)")
    print("| profile | model | px | batch | " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * (4 + len(COLUMNS)))
    for (pname, name, size, batch), row in table.items():
        cells = [f"{row[c]:,.0f}" if c in row else "-" for c in COLUMNS]
        print(f"| {pname} | {name} | {size} | {batch} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
