"""Training loop, resume, determinism, augmentation, predictions, selection and cascade.

The loop-mechanics tests (loss goes down, resume == uninterrupted, same seed == same predictions) use a tiny CNN
registered for the test in ``models.MODEL_REGISTRY``, so they take seconds; one test runs a real candidate
(ResNet-50 at 32 px) through the same code path end to end.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from gvisage_lib.cnn import models
from gvisage_lib.cnn.candidates import train_candidates
from gvisage_lib.cnn.datasets import (
    AUGMENT,
    StackSet,
    augment_batch,
    load_stacks,
    load_subjects,
    stage_subjects,
    write_synthetic_stacks,
)
from gvisage_lib.cnn.predict import auc_by_candidate, cascade_table, predict_scores, select_gvisagenet
from gvisage_lib.cnn.training import load_trained, train_model
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.profiles import get_profile

SIZE = 16


def _tiny(num_classes: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Dropout(0.2), nn.Linear(8, num_classes))


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(models.MODEL_REGISTRY, "tiny", models.ModelSpec("tiny", _tiny, "0", ("9.",), (), 8))
    return "tiny"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = write_synthetic_stacks(tmp_path_factory.mktemp("cohort"), n_per_group=8, image_size=SIZE, seed=3, signal=3.0)
    subj = load_subjects(root / "manifest.csv", root / "faces.parquet", root)
    st = stage_subjects(subj, 1)
    data = StackSet(tuple(st.subject_id), load_stacks(st.stack_path, SIZE), torch.tensor(st.label.values))
    return root, st, data.subset(st.split == "train"), data.subset(st.split == "test"), data


def _train(name, cohort, out, **kw):
    _, _, train, test, _ = cohort
    args = dict(stage=1, epochs=3, batch_size=8, learning_rate=1e-2, seed=11, out_dir=out, progress=False)
    args.update(kw)
    return train_model(name, train, test, **args)


def _bce(net, data):
    s = predict_scores(net, data.x, device="cpu")
    y = data.y.numpy()
    return float(-np.mean(y * np.log(s) + (1 - y) * np.log(1 - s)))


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_short_training_lowers_the_loss(tiny, cohort, tmp_path):
    _, _, train, _, _ = cohort
    untrained = _train(tiny, cohort, tmp_path / "a", stop_after_epochs=0)  # the initial weights, no step taken
    before = _bce(untrained.net, train)
    trained = _train(tiny, cohort, tmp_path / "b", epochs=6)
    after = _bce(trained.net, train)
    assert after < before - 0.1, (before, after)
    hist = trained.history
    assert list(hist.columns) == ["model", "stage", "epoch", "split", "loss", "auc", "n", "learning_rate",
                                  "images_per_s", "seconds"]
    assert sorted(hist.split.unique()) == ["test", "train"] and hist.epoch.max() == 6
    assert hist.learning_rate.iloc[-1] < 1e-9  # cosine decay reaches 0 at the end


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_the_test_pass_monitors_the_final_weights_and_leaves_the_training_layout(tiny, cohort, tmp_path, monkeypatch):
    """The learning curve's last test row scores the final weights (in the training's precision, so within bfloat16
    rounding of the float32 predictions), and the pass does not move the network out of its training layout."""
    from gvisage_lib.cnn import training

    _, _, _, test, _ = cohort
    layouts = []
    real = training._monitor_scores

    def monitor(fit, x):  # the real pass, then the layout the network is left in
        scores = real(fit, x)
        layouts.append(fit.net[0].weight.is_contiguous(memory_format=torch.channels_last))
        return scores

    monkeypatch.setattr(training, "_monitor_scores", monitor)
    res = _train(tiny, cohort, tmp_path / "m", epochs=3)
    last = res.history[(res.history.split == "test") & (res.history.epoch == 3)].iloc[0]
    assert last["loss"] == pytest.approx(_bce(res.net, test), abs=0.01)
    assert last["n"] == len(test.y) and len(layouts) == 3
    fit_layout = training._precision(torch.device("cpu"))[1]
    assert layouts == [fit_layout] * 3  # channels_last exactly where training uses it, never converted back


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_resume_equals_uninterrupted_and_checkpoints_are_tensors_only(tiny, cohort, tmp_path):
    _, _, _, test, _ = cohort
    full = _train(tiny, cohort, tmp_path / "full")
    _train(tiny, cohort, tmp_path / "part", stop_after_epochs=2)
    ckpt = tmp_path / "part" / "tiny_stage1" / "checkpoint.pt"
    state = torch.load(ckpt, weights_only=True)  # raises if anything but tensors / plain values is inside
    assert state["epoch"] == 2 and not state["finished"]
    assert {"model", "optimizer", "scheduler", "rng"} <= set(state)
    resumed = _train(tiny, cohort, tmp_path / "part")
    assert not ckpt.exists() and resumed.path.name == "model.pt"
    a, b = full.net.state_dict(), resumed.net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    np.testing.assert_array_equal(predict_scores(full.net, test.x), predict_scores(resumed.net, test.x))
    pd.testing.assert_frame_equal(full.history.drop(columns=["images_per_s", "seconds"]),
                                  resumed.history.drop(columns=["images_per_s", "seconds"]))


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize(("every_s", "checkpoints"), [(0.0, 3), (1e9, 0)])
def test_resume_checkpoints_are_written_by_time_and_never_for_the_last_epoch(tiny, cohort, tmp_path, monkeypatch,
                                                                             every_s, checkpoints):
    """Checkpoints follow ``CHECKPOINT_EVERY_S`` (0: after every epoch but the last, which writes model.pt; a long
    interval: none), and the weights do not depend on it."""
    from gvisage_lib.cnn import training

    saved = []
    real_save = torch.save
    monkeypatch.setattr(training, "CHECKPOINT_EVERY_S", every_s)
    monkeypatch.setattr(training.torch, "save", lambda obj, f, *a, **k: (saved.append(bool(obj.get("finished"))),
                                                                          real_save(obj, f, *a, **k)))
    res = _train(tiny, cohort, tmp_path / "m", epochs=4)
    assert saved.count(False) == checkpoints and saved.count(True) == 1
    ref = _train(tiny, cohort, tmp_path / "ref", epochs=4, retrain=True)
    assert all(torch.equal(v, ref.net.state_dict()[k]) for k, v in res.net.state_dict().items())


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_same_seed_same_predictions_and_finished_runs_are_reused(tiny, cohort, tmp_path):
    _, _, _, test, _ = cohort
    r1 = _train(tiny, cohort, tmp_path / "x")
    r2 = _train(tiny, cohort, tmp_path / "y")
    r3 = _train(tiny, cohort, tmp_path / "z", seed=12)
    s1, s2, s3 = (predict_scores(r.net, test.x) for r in (r1, r2, r3))
    np.testing.assert_array_equal(s1, s2)
    assert not np.array_equal(s1, s3)
    # the recorded hash is of the weights, so two separate runs with one seed record the same value
    assert r1.sha256 == r2.sha256 != r3.sha256
    again = _train(tiny, cohort, tmp_path / "x")
    assert again.reused and again.sha256 == r1.sha256
    np.testing.assert_array_equal(predict_scores(again.net, test.x), s1)
    changed = _train(tiny, cohort, tmp_path / "x", learning_rate=1e-3)  # another configuration: trained anew
    assert not changed.reused and changed.config_hash != r1.config_hash
    net, rec = load_trained(changed.path)
    assert rec["finished"] and rec["config"]["learning_rate"] == 1e-3


def test_train_model_validates_arguments(tiny, cohort, tmp_path):
    with pytest.raises(ValueError, match="epochs"):
        _train(tiny, cohort, tmp_path, epochs=0)
    with pytest.raises(ValueError, match="image_size must be >= 32 px, got 16"):
        _train("inception_v3", cohort, tmp_path)
    _, _, train, test, _ = cohort
    one_class = train.subset(train.y.numpy() == 1)
    with pytest.raises(ValueError, match="both classes"):
        train_model(tiny, one_class, test, stage=1, epochs=1, batch_size=4, learning_rate=1e-3, seed=1,
                    out_dir=tmp_path, progress=False)


def test_augmentation_flips_all_photos_together_and_never_vertically():
    x = torch.rand(4, 12, 10, 10, generator=torch.Generator().manual_seed(0))
    flip_only = dict(AUGMENT, max_shift=0.0, max_scale=0.0, max_rotate_deg=0.0, p_hflip=1.0, max_brightness=0.0,
                     max_contrast=0.0)
    torch.testing.assert_close(augment_batch(x, torch.Generator().manual_seed(1), flip_only), x.flip(-1))
    none = dict(flip_only, p_hflip=0.0)
    torch.testing.assert_close(augment_batch(x, torch.Generator().manual_seed(1), none), x)
    bright = dict(none, max_brightness=0.2)
    flat = torch.full((3, 12, 5, 5), 0.5)
    out = augment_batch(flat, torch.Generator().manual_seed(2), bright)
    per_photo = out.view(3, 4, 3, 25)
    # one brightness shift per photo: constant inside a photo, different between photos
    assert torch.allclose(per_photo, per_photo[..., :1, :1].expand_as(per_photo))
    assert per_photo[:, :, 0, 0].unique().numel() == 12


@pytest.mark.slow  # trains the candidates end to end (about a minute of CPU): make test, not make test-fast
def test_real_candidate_end_to_end_writes_the_contract_files(tmp_path):
    """ResNet-50 at 32 px through train_candidates: predictions, cascade and selection files in the contract."""
    root = write_synthetic_stacks(tmp_path, n_per_group=3, image_size=32, seed=5)
    paths = RunPaths(root).ensure()
    prof = get_profile("smoke", image_size=32, models=("resnet50",), epochs=1, batch_size=8)
    out = train_candidates(root / "manifest.csv", paths, prof, 7, progress=False)
    pred = pd.read_parquet(paths.predictions)
    assert tuple(pred.columns) == schema.PREDICTION_COLUMNS
    assert pred.dtypes["stage"] == np.int64 and pred.dtypes["label"] == np.int64
    assert pred.dtypes["score"] == np.float64 and pred["score"].between(0, 1).all()
    n = 3 * 3  # per group and split
    assert (pred.groupby("stage").size() == pd.Series({1: 3 * n, 2: 2 * n})).all()
    assert set(pred.split) == set(schema.SPLITS) and set(pred.profile) == {"smoke"} and set(pred.seed) == {7}
    sel = json.loads(paths.selected_model.read_text())
    assert sel["gvisagenet"] == sel["stage1"] == sel["stage2"] == "resnet50"
    cas = pd.read_parquet(paths.cascade)
    assert list(cas.columns) == ["subject_id", "split", "group", "stage1_score", "stage1_call", "stage2_score",
                                 "final_call"]
    assert len(cas) == 3 * n and cas["stage2_score"].isna().eq(cas["stage1_call"] == 0).all()
    assert len(out.runs) == 2 and not out.runs.reused.any()


def test_selection_rule_and_cascade_logic():
    pred = pd.DataFrame({
        "subject_id": list("abcd") * 4, "split": "test", "stage": [1] * 8 + [2] * 8,
        "model": (["alexnet"] * 4 + ["resnet50"] * 4) * 2, "label": [0, 1, 0, 1] * 4,
        # stage 1: alexnet better; stage 2: resnet50 better -> resnet50 for both stages (paper's rule)
        "score": [.1, .9, .2, .8] + [.6, .5, .2, .8] + [.5, .4, .6, .3] + [.1, .9, .6, .8]})
    sel = select_gvisagenet(pred, ["alexnet", "resnet50"])
    assert (sel["stage1"], sel["stage2"], sel["gvisagenet"]) == ("resnet50",) * 3
    assert sel["test_auc"]["stage1"]["alexnet"] == 1.0 and sel["test_auc"]["stage2"]["resnet50"] == 1.0
    tab = auc_by_candidate(pred)
    assert tab.loc[(tab.model == "resnet50") & (tab.stage == 2), "paper_auc"].item() == 0.705
    tie = pred.assign(score=0.5)
    assert select_gvisagenet(tie, ["resnet50", "alexnet"])["gvisagenet"] == "resnet50"
    subj = pd.DataFrame({"subject_id": list("wxyz"), "split": "validation", "group": ["NC", "NC", "iGCT", "other"]})
    cas = cascade_table(subj, [0.49, 0.5, 0.7, 0.9], [0.9, 0.2, 0.5, 0.1])
    assert cas.stage1_call.tolist() == [0, 1, 1, 1]
    assert cas.final_call.tolist() == ["NC", "other", "iGCT", "other"]
    with pytest.raises(ValueError, match="threshold"):
        cascade_table(subj, [0.1] * 4, [0.1] * 4, threshold=1.5)


@pytest.mark.slow  # eight trainings in two spawned processes (about a minute on 2 cores): make test, not make test-fast
def test_concurrent_workers_train_every_chain_and_the_folds_and_a_rerun_reuses_them(tmp_path):
    """workers=2 on the CPU: the candidates' chains and the out-of-fold trainings run in two spawned processes."""
    root = write_synthetic_stacks(tmp_path, n_per_group=3, image_size=32, seed=5)
    paths = RunPaths(root).ensure()
    prof = get_profile("smoke", image_size=32, models=("resnet50", "alexnet"), epochs=1, batch_size=8)
    assert prof.score_fit == "out_of_fold" and prof.oof_folds == 2
    out = train_candidates(root / "manifest.csv", paths, prof, 7, progress=False, workers=2)
    assert len(out.runs) == 4 and not out.runs.reused.any()
    best = out.selected["gvisagenet"]
    for stage in (1, 2):
        for f in range(2):
            assert (paths.models / f"oof_fold{f}" / f"{best}_stage{stage}" / "model.pt").is_file()
    assert len(pd.read_parquet(paths.predictions_oof)) > 0
    _, rec = load_trained(paths.models / f"{best}_stage1" / "model.pt")
    assert rec["config"]["cpu_threads"] >= 1  # the workers' fixed thread count is part of the configuration
    again = train_candidates(root / "manifest.csv", paths, prof, 7, progress=False, workers=2)  # all reused
    assert again.runs.reused.all()
    assert list(again.runs.checkpoint_sha256) == list(out.runs.checkpoint_sha256)
    pd.testing.assert_frame_equal(again.predictions, out.predictions)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_fixed_cpu_thread_count_is_part_of_the_configuration(tiny, cohort, tmp_path):
    default = _train(tiny, cohort, tmp_path, epochs=1)
    one = _train(tiny, cohort, tmp_path, epochs=1, threads=1)
    assert not one.reused and one.config_hash != default.config_hash
    assert _train(tiny, cohort, tmp_path, epochs=1, threads=1).reused
    assert _train(tiny, cohort, tmp_path, epochs=1).config_hash == default.config_hash  # default hash unchanged


def test_the_graphed_steps_optimizer_follows_the_same_recipe_as_the_eager_one():
    """The CUDA-graph step's Adam (capturable, learning rate a tensor that the cosine scheduler fills in place) and
    its step body take the same steps as the training loop's eager step: on the CPU, where the body runs eagerly,
    the learning rates agree and the weights after six cosine-scheduled steps of 1e-2 differ by under 1 % of one
    step (capturable Adam computes its bias corrections in float32; a schedule not followed would differ by
    about 3e-2)."""
    from gvisage_lib.cnn.cuda_graph import GraphedStep, make_optimizer
    from gvisage_lib.cnn.datasets import draw_augment, prepare_batch

    gen = torch.Generator().manual_seed(3)
    x = torch.randint(0, 256, (12, 12, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.arange(12) % 2
    cpu = torch.device("cpu")
    nets, opts, scheds = [], [], []
    for graphed in (False, True):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(12, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                            nn.Linear(4, 2))
        opt = make_optimizer(net, learning_rate=1e-2, weight_decay=1e-4, device=cpu, graphed=graphed)
        nets.append(net)
        opts.append(opt)
        scheds.append(torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6))
    step = GraphedStep(nets[1], opts[1], x, y, batch_size=4, amp_dtype=None, channels_last=False)
    for _ in range(6):
        idx = torch.randperm(12, generator=gen)[:4]
        u, v = draw_augment(4, 12, gen)
        opts[0].zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(nets[0](prepare_batch(x[idx], cpu, None, augment=(u, v))), y[idx])
        loss.backward()
        opts[0].step()
        g_loss, prob, yb = step(idx, u, v)
        assert torch.equal(yb, y[idx])
        assert prob.shape == (4,) and float(g_loss) == pytest.approx(float(loss), rel=1e-5)
        for s in scheds:
            s.step()
        assert float(opts[1].param_groups[0]["lr"]) == pytest.approx(opts[0].param_groups[0]["lr"], rel=1e-6)
    for p0, p1 in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        torch.testing.assert_close(p0, p1, rtol=1e-4, atol=1e-4)
    assert step.eager_steps == 6 and step.replays == 0
    with pytest.raises(ValueError, match="batch_size=4"):
        step(torch.arange(3), *draw_augment(3, 12, gen))
