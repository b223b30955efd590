"""Training throughput (images/s) of each candidate CNN at the profiles' image sizes.

Measures full optimisation steps (augmentation, forward, cross-entropy, backward, Adam step) on random 12-channel
uint8 stacks, exactly the code path of :func:`gvisage_lib.cnn.training.train_model`. On the CPU: float32. On CUDA,
additionally: mixed precision (float16 autocast + GradScaler) vs float32, channels_last vs contiguous, and
``torch.compile`` on vs off. Prints the machine first; timings on a shared machine are noisy.

Usage::

    .venv/bin/python benchmarks/train_throughput.py                 # profiles smoke and quick, all candidates
    .venv/bin/python benchmarks/train_throughput.py --profiles paper --steps 20
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch
import torch.nn.functional as F

from gvisage_lib.cnn.datasets import augment_batch, normalise, to_float
from gvisage_lib.cnn.models import build_model
from gvisage_lib.core.profiles import get_profile


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


def throughput(name: str, image_size: int, batch_size: int, steps: int, *, device: torch.device, amp: bool = False,
               channels_last: bool = False, compile_model: bool = False, warmup: int = 2) -> float:
    """Training images per second of ``name`` for ``steps`` timed steps after ``warmup`` untimed ones."""
    torch.manual_seed(0)
    net = build_model(name).to(device).train()
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    step_net = torch.compile(net) if compile_model else net
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    gen = torch.Generator().manual_seed(0)
    x_all = torch.randint(0, 256, (batch_size, 12, image_size, image_size), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 2, (batch_size,), generator=gen).to(device)

    def step() -> None:
        x = normalise(augment_batch(to_float(x_all.to(device)), gen))
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            loss = F.cross_entropy(step_net(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profiles", nargs="+", default=["smoke", "quick"], help="profiles whose sizes to measure")
    ap.add_argument("--steps", type=int, default=3, help="timed optimisation steps per configuration")
    ap.add_argument("--models", nargs="+", default=None, help="candidates (default: the profile's)")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    print(machine(), flush=True)
    cuda = torch.cuda.is_available()
    seen = set()
    for pname in args.profiles:
        prof = get_profile(pname)
        for name in args.models or prof.models:
            key = (name, prof.image_size, prof.batch_size)
            if key in seen:
                continue
            seen.add(key)
            configs = [("cpu fp32", dict(device=torch.device("cpu")))]
            if cuda:
                dev = torch.device("cuda")
                configs = [
                    ("cuda fp32", dict(device=dev)),
                    ("cuda amp", dict(device=dev, amp=True)),
                    ("cuda amp+channels_last", dict(device=dev, amp=True, channels_last=True)),
                    ("cuda amp+channels_last+compile", dict(device=dev, amp=True, channels_last=True,
                                                            compile_model=True)),
                ]
            for label, kw in configs:
                ips = throughput(name, prof.image_size, prof.batch_size, args.steps, **kw)
                print(f"profile {pname:6s} {name:13s} {prof.image_size:4d} px batch {prof.batch_size:3d} "
                      f"{label:32s} {ips:8.1f} train images/s", flush=True)


if __name__ == "__main__":
    main()
