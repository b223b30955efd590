"""``gvisage predict``: QC, the two-stage cascade of a run's selected model, JSON out, exit 2 on errors.

The run folder is fabricated once per module (tiny AlexNets with seeded random weights, the files a finished run
holds); the photos are rendered by the synthetic twin, so they pass the pipeline's face QC.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from gvisage_lib.cnn.models import build_model
from gvisage_lib.cnn.predict import predict_scores
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces.preprocess import load_stack, preprocess_cohort
from gvisage_lib.run.cli import main
from gvisage_lib.twin.render import render_cohort

from support.cohorts import make_truth

SIZE = 64


def _write_run(root, thresholds: dict[str, tuple[float, float]]) -> RunPaths:
    paths = RunPaths(root).ensure()
    paths.run_json.write_text(json.dumps({"profile": {"name": "test", "image_size": SIZE}}))
    paths.selected_model.write_text(json.dumps({"stage1": "alexnet", "stage2": "alexnet", "rule": "test"}))
    for stage in (1, 2):
        torch.manual_seed(stage)
        net = build_model("alexnet")
        folder = paths.models / f"alexnet_stage{stage}"
        folder.mkdir(parents=True, exist_ok=True)
        torch.save({"model": net.state_dict(), "config_hash": "x",
                    "config": {"model": "alexnet", "stage": stage, "in_channels": 12, "image_size": SIZE}},
                   folder / "model.pt")
    rows = [{"stage": s, "model": "alexnet", "chosen_on": "train", "rule": rule, "label": rule,
             "threshold": thr[s - 1]} for rule, thr in thresholds.items() for s in (1, 2)]
    pd.DataFrame(rows).to_csv(paths.tables / "operating_points.csv", index=False)
    return paths


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(run paths, cohort folder, faces index, one subject whose four photos all pass QC)."""
    twin = tmp_path_factory.mktemp("twin")
    manifest, truth = make_truth(6, seed=3)
    m, _ = render_cohort(manifest, truth, twin, seed=7, photo_size=(160, 200), workers=1, progress=False)
    m.to_csv(twin / "manifest.csv", index=False)
    prep = RunPaths(tmp_path_factory.mktemp("prep"))
    faces = preprocess_cohort(twin / "manifest.csv", prep, image_size=SIZE, workers=1, progress=False)
    ok = faces[faces.included & (faces.n_photos == faces.n_available) & (faces.n_available >= 2)]
    assert len(ok), faces
    sid = ok.subject_id.iloc[0]
    photos = [str(twin / p) for p in m.set_index("subject_id").loc[sid, ["photo_1", "photo_2", "photo_3", "photo_4"]]
              if isinstance(p, str) and p]
    run = _write_run(tmp_path_factory.mktemp("run"), {"youden": (0.0, 0.0), "specificity_at_sensitivity": (1.0, 1.0)})
    stack = load_stack(prep.root / ok.stack_path.iloc[0])
    return run, twin, photos, stack


def _predict(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["predict", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_predict_prints_the_cascade_as_json(setup, capsys):
    run, _, photos, stack = setup
    code, res, err = _predict(capsys, "--run", str(run.root), *photos)
    assert code == 0, err
    assert res["models"] == {"stage1": "alexnet", "stage2": "alexnet"} and res["image_size"] == SIZE
    assert res["n_accepted"] == len(photos) and all(p["accepted"] for p in res["photos"])
    # the photos are one subject: the very stack preprocessing makes of that subject, scored once
    for stage in (1, 2):
        net = build_model("alexnet")
        net.load_state_dict(torch.load(run.models / f"alexnet_stage{stage}" / "model.pt", weights_only=True)["model"])
        want = predict_scores(net, torch.from_numpy(stack[None]), device="cpu")[0]
        assert res[f"stage{stage}"]["probability"] == pytest.approx(float(want), abs=1e-6)
    # youden thresholds of this run are 0: everything is a tumour and an iGCT
    assert res["stage1"]["threshold"] == 0.0 and res["stage1"]["call"] == "tumour"
    assert res["stage2"]["applied"] is True and res["call"] == "iGCT"
    assert "operating_points.csv" in res["stage1"]["source"]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_predict_crops_as_the_run_did_and_names_the_training_cohort(setup, tmp_path, capsys):
    import shutil

    from gvisage_lib.core.record import NotebookRecord, RunRecord, RunSettings

    run, _, photos, _ = setup
    root = tmp_path / "run"
    shutil.copytree(run.root, root)
    code, res, _ = _predict(capsys, "--run", str(root), photos[0])  # a record that says neither
    assert res["crop_mode"] == "detect" and res["trained_on"] == "cohort not recorded"
    assert "does not say which cohort" in res["note"]
    record = RunRecord.load(root)
    record.settings = RunSettings(profile="smoke", synthetic_twin=True)
    record.notebooks = [NotebookRecord("02_faces.ipynb", "succeeded", parameters={"crop_mode": "none"})]
    record.save(root)
    code, res, _ = _predict(capsys, "--run", str(root), photos[0])
    assert res["crop_mode"] == "none" and res["trained_on"] == "synthetic twin"
    assert "not on photos of real children" in res["note"]
    code, res, _ = _predict(capsys, "--run", str(root), "--crop-mode", "detect", photos[0])
    assert code == 0 and res["crop_mode"] == "detect"
    record.notebooks[0].parameters["crop_mode"] = "box"
    record.settings = RunSettings(profile="smoke", synthetic_twin=False, manifest="/data/cohort_2024.csv")
    record.save(root)
    code, res, err = _predict(capsys, "--run", str(root), photos[0])
    assert code == 2 and res is None and "crop_mode 'box'" in err
    code, res, _ = _predict(capsys, "--run", str(root), "--crop-mode", "detect", photos[0])
    assert code == 0 and res["trained_on"] == "cohort_2024.csv" and "cohort_2024.csv" in res["note"]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_rule_and_stage2_not_applied(setup, capsys):
    run, _, photos, _ = setup
    code, res, _ = _predict(capsys, "--run", str(run.root), "--rule", "specificity_at_sensitivity", *photos)
    assert code == 0
    assert res["stage1"]["call"] == "NC" and res["stage2"]["applied"] is False and res["call"] == "NC"
    code, res, _ = _predict(capsys, "--run", str(run.root), "--rule", "argmax", photos[0])
    assert code == 0 and res["stage1"]["threshold"] == 0.5
    assert res["call"] == ("NC" if res["stage1"]["probability"] < 0.5 else
                           ("iGCT" if res["stage2"]["probability"] >= 0.5 else "other"))


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_mean_combination_averages_photo_scores(setup, capsys):
    run, _, photos, _ = setup
    code, res, _ = _predict(capsys, "--run", str(run.root), "--combine", "mean", *photos[:2])
    singles = [_predict(capsys, "--run", str(run.root), p)[1]["stage1"]["probability"] for p in photos[:2]]
    assert code == 0 and res["stage1"]["probability"] == pytest.approx(np.mean(singles), abs=1e-6)
    assert "mean" in res["combine_note"]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_refused_photos_get_their_qc_reason(setup, tmp_path, capsys):
    run, _, photos, _ = setup
    blank = tmp_path / "wall.jpg"
    cv2.imwrite(str(blank), np.full((200, 160, 3), 128, np.uint8))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)
    code, res, _ = _predict(capsys, "--run", str(run.root), photos[0], str(blank), str(broken), str(bomb))
    assert code == 0 and res["n_accepted"] == 1
    got = [(p["accepted"], p["qc_reason"]) for p in res["photos"]]
    assert got == [(True, ""), (False, "no_face"), (False, "unreadable"), (False, "unreadable")]
    assert "OpenCV" in res["photos"][2]["detail"] and "pixels" in res["photos"][3]["detail"]
    # none accepted: JSON with the reasons, no call, exit 2
    code, res, err = _predict(capsys, "--run", str(run.root), str(blank), str(broken))
    assert code == 2 and res["call"] is None and res["stage1"] is None
    assert "no photo passed quality control" in err and "no_face" in err


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("case", ["no_run", "five_photos", "missing_photo", "no_operating_points"])
def test_errors_exit_2_without_traceback(setup, tmp_path, capsys, case):
    run, _, photos, _ = setup
    args = ["--run", str(run.root), photos[0]]
    if case == "no_run":
        args = ["--run", str(tmp_path / "nothing"), photos[0]]
        want = "no run.json"
    elif case == "five_photos":
        args = ["--run", str(run.root), *([photos[0]] * 5)]
        want = "1 to 4 photos"
    elif case == "missing_photo":
        args = ["--run", str(run.root), str(tmp_path / "nope.jpg")]
        want = "not found"
    else:
        bare = _write_run(tmp_path / "bare", {"youden": (0.5, 0.5)})
        (bare.tables / "operating_points.csv").unlink()
        args = ["--run", str(bare.root), photos[0]]
        want = "argmax"
    code, res, err = _predict(capsys, *args)
    assert code == 2 and res is None
    assert err.startswith("gvisage: error:") and want in err and "Traceback" not in err
