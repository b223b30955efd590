"""Data-parallel training: two gloo processes train to the weights of one process with the same global batch.

The network is a tiny CNN without BatchNorm or dropout (the two things data parallelism does not reproduce on the
CPU, see :mod:`gvisage_lib.cnn.distributed`), registered in ``models.MODEL_REGISTRY`` inside each process. Training
runs in float32 (``GVISAGE_CPU_FP32=1``): bfloat16 rounds each rank's partial gradients, which the test is not about.
"""

from __future__ import annotations

import os
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from gvisage_lib.cnn import models
from gvisage_lib.cnn.datasets import StackSet, load_stacks, load_subjects, stage_subjects, write_synthetic_stacks
from gvisage_lib.cnn.distributed import ClassBalancedSampler, DistContext, rank_bounds
from gvisage_lib.cnn.training import load_trained, train_model
from gvisage_lib.core.record import RunRecord, RunSettings

SIZE = 16
ARGS = {"stage": 1, "epochs": 3, "batch_size": 10, "learning_rate": 1e-2, "seed": 5, "progress": False, "threads": 1,
        "device": "cpu"}


def _plain(num_classes: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, num_classes))


def _register() -> str:
    models.MODEL_REGISTRY["plain"] = models.ModelSpec("plain", _plain, "0", ("6.",), (), 8)
    return "plain"


def _data(root):
    subj = load_subjects(root / "manifest.csv", root / "faces.parquet", root)
    st = stage_subjects(subj, 1)
    data = StackSet(tuple(st.subject_id), load_stacks(st.stack_path, SIZE), torch.tensor(st.label.values))
    return data.subset(st.split == "train"), data.subset(st.split == "test")


def _rank(rank: int, world: int, port: int, root, out) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo")
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        name = _register()
        train, test = _data(root)
        ctx = DistContext(world, rank, rank)
        train_model(name, train, test, out_dir=out / "full", ctx=ctx, **ARGS)
        train_model(name, train, test, out_dir=out / "part", ctx=ctx, stop_after_epochs=1, **ARGS)  # interrupted
        train_model(name, train, test, out_dir=out / "part", ctx=ctx, **ARGS)  # resumed from rank 0's checkpoint
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sampler_parts_make_up_the_one_process_sequence():
    y = np.array([0] * 7 + [1] * 3)
    one = list(ClassBalancedSampler(y, batch_size=4, generator=torch.Generator().manual_seed(1)))
    parts = [list(ClassBalancedSampler(y, batch_size=4, generator=torch.Generator().manual_seed(1), world_size=3,
                                       rank=r)) for r in range(3)]
    assert sum(len(p) for p in parts) == len(one) == 10
    rebuilt, pos = [], [0, 0, 0]
    for start in range(0, 10, 4):
        for r in range(3):
            lo, hi = rank_bounds(min(4, 10 - start), world_size=3, rank=r)
            rebuilt += parts[r][pos[r]:pos[r] + hi - lo]
            pos[r] += hi - lo
    assert rebuilt == one
    assert len(ClassBalancedSampler(y, batch_size=4, generator=torch.Generator(), world_size=3, rank=2)) == 2
    with pytest.raises(ValueError, match="rank must be in"):
        ClassBalancedSampler(y, batch_size=4, generator=torch.Generator(), world_size=2, rank=2)


@pytest.mark.slow  # trains or runs networks for seconds: make test, not make test-fast
def test_two_gloo_processes_equal_one_process_and_resume_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("GVISAGE_CPU_FP32", "1")
    monkeypatch.setitem(models.MODEL_REGISTRY, "plain", models.ModelSpec("plain", _plain, "0", ("6.",), (), 8))
    root = write_synthetic_stacks(tmp_path / "cohort", n_per_group=6, image_size=SIZE, seed=2, signal=3.0)
    train, test = _data(root)
    assert len(train) % ARGS["batch_size"] != 0  # an unequal last batch is part of the test
    single = train_model("plain", train, test, out_dir=tmp_path / "one", **ARGS)
    mp.spawn(_rank, args=(2, _free_port(), root, tmp_path / "ddp"), nprocs=2, join=True)
    full, rec = load_trained(tmp_path / "ddp" / "full" / "plain_stage1" / "model.pt")
    resumed, _ = load_trained(tmp_path / "ddp" / "part" / "plain_stage1" / "model.pt")
    a, b, c = single.net.state_dict(), full.state_dict(), resumed.state_dict()
    assert rec["config_hash"] == single.config_hash and rec["world_size"] == 2  # the checkpoint says two trained it
    for key in a:
        torch.testing.assert_close(b[key], a[key], rtol=0, atol=1e-5)
        assert torch.equal(b[key], c[key]), key  # resume is exact
    # the learning curve was computed over the whole global batch on every rank
    hist = rec["history"]
    assert [h["n"] for h in hist if h["split"] == "train"] == [len(train)] * ARGS["epochs"]
    np.testing.assert_allclose([h["loss"] for h in hist], single.history["loss"].to_numpy(), rtol=1e-4)


@pytest.mark.slow  # trains or runs networks for seconds: make test, not make test-fast
def test_gvisage_train_trains_one_candidate_in_a_run_folder(tmp_path, capsys):
    import json

    from gvisage_lib.run.cli import main

    root = write_synthetic_stacks(tmp_path / "run", n_per_group=2, image_size=80, seed=1)
    (root / "run.json").write_text(json.dumps({"parameters": {"profile": "smoke", "seed": 3,
                                                              "manifest": str(root / "manifest.csv")}}))
    assert main(["train", "--out", str(root), "--model", "resnet50", "--stage", "2", "--device", "cpu"]) == 2
    assert "train stage 1 first" in capsys.readouterr().err
    assert main(["train", "--out", str(root), "--model", "resnet50", "--stage", "1", "--device", "cpu"]) == 0
    _, rec = load_trained(root / "models" / "resnet50_stage1" / "model.pt")
    assert rec["config"]["seed"] == 3 and rec["config"]["epochs"] == 1  # the run's seed and profile
    assert rec["world_size"] == 1
    trained = RunRecord.load(root).trainings
    assert [(t.model, t.stage, t.world_size, t.outcome) for t in trained] == [("resnet50", 1, 1, "trained")]
    assert main(["train", "--out", str(root), "--model", "resnet50", "--stage", "1", "--device", "cpu"]) == 0
    assert "reused" in capsys.readouterr().out
    assert [t.outcome for t in RunRecord.load(root).trainings] == ["reused"]
    assert main(["train", "--out", str(tmp_path / "none"), "--model", "resnet50", "--stage", "1"]) == 2


def _train_rank(rank: int, world: int, port: int, root, out) -> None:
    """One torchrun-like process of ``gvisage train``: its standard output goes to ``out/rank<r>.txt``."""
    import contextlib

    from gvisage_lib.run.cli import main

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo", RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE=str(world))
    torch.set_num_threads(1)
    with open(out / f"rank{rank}.txt", "w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
        code = main(["train", "--out", str(root), "--model", "resnet50", "--stage", "1", "--device", "cpu"])
    if code != 0:
        raise RuntimeError(f"rank {rank}: gvisage train exited {code}")


@pytest.mark.slow
def test_gvisage_train_under_two_processes_reports_once_and_records_the_world_size(tmp_path):
    root = write_synthetic_stacks(tmp_path / "run", n_per_group=2, image_size=80, seed=1)
    RunRecord(settings=RunSettings(profile="smoke", seed=3, manifest=str(root / "manifest.csv"))).save(root)
    mp.spawn(_train_rank, args=(2, _free_port(), root, tmp_path), nprocs=2, join=True)
    out = [(tmp_path / f"rank{r}.txt").read_text(encoding="utf-8") for r in range(2)]
    assert out[1] == "" and out[0].count("resnet50 stage 1: trained by 2 processes") == 1
    _, rec = load_trained(root / "models" / "resnet50_stage1" / "model.pt")
    assert rec["world_size"] == 2
    assert [(t.model, t.world_size) for t in RunRecord.load(root).trainings] == [("resnet50", 2)]
