"""Tests of gvisage_lib.faces.preprocess: QC reasons, stack layout, fewer-photo policy, crop modes, cache."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
from skimage import data

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces import preprocess as P


def _write(path, rgb):
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path.name


@pytest.fixture()
def cohort(tmp_path):
    """Three subjects from the astronaut photo: 4 good photos; 2 good + blurred + blank; blank only."""
    d = tmp_path / "cohort"
    d.mkdir()
    img = data.astronaut()
    tinted = [np.clip(img.astype(int) + k * 20, 0, 255).astype(np.uint8) for k in range(4)]
    rows = [
        {"subject_id": "S1", **{f"photo_{k + 1}": _write(d / f"s1_{k}.png", tinted[k]) for k in range(4)}},
        {"subject_id": "S2", "photo_1": _write(d / "s2_a.png", tinted[0]),
         "photo_2": _write(d / "s2_blur.png", cv2.GaussianBlur(img, (0, 0), 5)),
         "photo_3": _write(d / "s2_blank.png", np.full((300, 300, 3), 200, np.uint8)),
         "photo_4": _write(d / "s2_b.png", tinted[1])},
        {"subject_id": "S3", "photo_1": _write(d / "s3.png", np.full((300, 300, 3), 60, np.uint8))},
    ]
    pd.DataFrame(rows).to_csv(d / "manifest.csv", index=False)
    return d / "manifest.csv", RunPaths(tmp_path / "run").ensure(), tinted


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_qc_reasons_and_policy(cohort):
    manifest, rp, tinted = cohort
    faces = P.preprocess_cohort(manifest, rp, image_size=32, workers=1, progress=False)
    assert list(faces.columns) == list(P.FACES_COLUMNS)
    f = faces.set_index("subject_id")
    assert f.loc["S1", "included"] and f.loc["S1", "n_photos"] == 4 and f.loc["S1", "qc_reason"] == ""
    assert f.loc["S2", "included"] and f.loc["S2", "n_photos"] == 2
    assert not f.loc["S3", "included"] and f.loc["S3", "qc_reason"] == "no_face" and f.loc["S3", "stack_path"] == ""
    qc = P.load_qc_photos(rp).set_index(["subject_id", "photo"])
    assert qc.loc[("S2", "photo_2"), "qc_reason"] == "blurred"
    assert qc.loc[("S2", "photo_3"), "qc_reason"] == "no_face"
    assert bool(qc.loc[("S2", "photo_4"), "passed"])
    assert not any("png" in str(v) for v in qc.reset_index().to_numpy().ravel())  # no file names leak
    counts = P.qc_counts(P.load_qc_photos(rp), faces).set_index("reason")
    assert counts.loc["passed", "n_photos"] == 6 and counts.loc["no_face", "n_subjects_excluded"] == 1
    assert counts.loc["blurred", "n_photos"] == 1
    # stack of S2: passing photos 1 and 4, repeated cyclically -> slots (1, 4, 1, 4), RGB each
    st = P.load_stack(rp.root / f.loc["S2", "stack_path"], 32)
    assert st.shape == (12, 32, 32) and st.dtype == np.uint8
    np.testing.assert_array_equal(st[0:3], st[6:9])
    np.testing.assert_array_equal(st[3:6], st[9:12])
    assert st[3:6].mean() > st[0:3].mean()  # photo_4 is the brighter tint
    # S1: photo order kept (tints increase with k), channels are R, G, B of each photo
    s1 = P.load_stack(rp.root / f.loc["S1", "stack_path"])
    assert [round(float(s1[3 * k:3 * k + 3].mean())) for k in range(4)] == sorted(
        round(float(s1[3 * k:3 * k + 3].mean())) for k in range(4))
    crop = P.qc_photo(tinted[0], image_size=32)[0]
    np.testing.assert_array_equal(s1[0:3], crop.transpose(2, 0, 1))
    assert faces["stack_path"][0].startswith("cache/faces/")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_cache_hit_does_no_work(cohort, monkeypatch):
    manifest, rp, _ = cohort
    first = P.preprocess_cohort(manifest, rp, image_size=32, workers=1, progress=False)
    assert not first["cache_hit"].any()

    def boom(*args, **kwargs):
        raise AssertionError("qc_photo called on a cache hit")

    monkeypatch.setattr(P, "qc_photo", boom)
    monkeypatch.setattr(P.F, "decode_image", boom)
    again = P.preprocess_cohort(manifest, rp, image_size=32, workers=1, progress=False)
    assert again["cache_hit"].all()
    pd.testing.assert_frame_equal(first.drop(columns="cache_hit"), again.drop(columns="cache_hit"))
    monkeypatch.undo()
    # another parameter -> another key -> recomputed
    other = P.preprocess_cohort(manifest, rp, image_size=24, workers=1, progress=False)
    assert not other["cache_hit"].any() and set(other["cache_key"]).isdisjoint(first["cache_key"])


def test_box_and_none_modes(tmp_path):
    d = tmp_path
    img = data.astronaut()
    _write(d / "a.png", img)
    _write(d / "crop.png", img[40:240, 150:300])
    pd.DataFrame({"subject_id": ["A"], "photo_1": ["a.png"], "face_box_1": ["177,67,93,93"]}).to_csv(
        d / "m.csv", index=False)
    rp = RunPaths(d / "run")
    f = P.preprocess_cohort(d / "m.csv", rp, image_size=40, crop_mode="box", workers=1, progress=False)
    assert f["included"].all() and f["n_photos"].iloc[0] == 1
    pd.DataFrame({"subject_id": ["A"], "photo_1": ["a.png"], "face_box_1": ["177,67,0,93"]}).to_csv(
        d / "m.csv", index=False)
    with pytest.raises(ValueError, match="face_box_1"):
        P.preprocess_cohort(d / "m.csv", rp, image_size=40, crop_mode="box", workers=1, progress=False)
    pd.DataFrame({"subject_id": ["B"], "photo_1": ["crop.png"]}).to_csv(d / "n.csv", index=False)
    f = P.preprocess_cohort(d / "n.csv", rp, image_size=40, crop_mode="none", workers=1, progress=False)
    st = P.load_stack(rp.root / f["stack_path"].iloc[0], 40)
    assert st.shape == (12, 40, 40)


def test_unreadable_and_parameter_errors(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"garbage")
    pd.DataFrame({"subject_id": ["X"], "photo_1": ["bad.jpg"], "photo_2": ["missing.jpg"]}).to_csv(
        tmp_path / "m.csv", index=False)
    rp = RunPaths(tmp_path / "run")
    f = P.preprocess_cohort(tmp_path / "m.csv", rp, image_size=16, workers=1, progress=False)
    assert not f["included"].iloc[0] and f["qc_reason"].iloc[0] == "unreadable"
    with pytest.raises(ValueError, match="crop_mode"):
        P.preprocess_cohort(tmp_path / "m.csv", rp, image_size=16, crop_mode="magic")
    with pytest.raises(ValueError, match="image_size"):
        P.preprocess_cohort(tmp_path / "m.csv", rp, image_size=4)
    with pytest.raises(TypeError, match="paths must be a RunPaths"):
        P.preprocess_cohort(tmp_path / "m.csv", str(tmp_path), image_size=16)


def test_load_stack_rejects_bad_arrays(tmp_path):
    np.save(tmp_path / "f.npy", np.zeros((12, 8, 8), np.float32))
    with pytest.raises(ValueError, match="uint8"):
        P.load_stack(tmp_path / "f.npy")
    np.save(tmp_path / "g.npy", np.zeros((12, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="image_size=16"):
        P.load_stack(tmp_path / "g.npy", 16)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_parallel_matches_serial(cohort, tmp_path):
    manifest, _, _ = cohort
    serial = P.preprocess_cohort(manifest, RunPaths(tmp_path / "r1"), image_size=32, workers=1, progress=False)
    man = pd.read_csv(manifest)
    big = pd.concat([man.assign(subject_id=man["subject_id"] + f"_{i}") for i in range(3)], ignore_index=True)
    big.to_csv(manifest.parent / "big.csv", index=False)
    par = P.preprocess_cohort(manifest.parent / "big.csv", RunPaths(tmp_path / "r2"), image_size=32, workers=2,
                              progress=False)
    assert par["cache_key"].tolist()[:3] == serial["cache_key"].tolist()
    assert par["included"].tolist() == serial["included"].tolist() * 3
