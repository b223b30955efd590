"""Tests of the privacy guard (gvisage_lib.cohort.privacy) and of its use by the face figures."""

from __future__ import annotations

import json
import time

import cv2
import matplotlib
import numpy as np
import pandas as pd
import pytest

from gvisage_lib.cohort.privacy import PrivacyError, assert_renderable, is_synthetic_cohort
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces import figures as face_figures
from gvisage_lib.twin.render import render_cohort

from support.cohorts import make_truth

matplotlib.use("Agg")


@pytest.fixture()
def twin(tmp_path):
    manifest, truth = make_truth(6, seed=1)
    m, t = render_cohort(manifest, truth, tmp_path, seed=5, photo_size=(160, 200), workers=1, progress=False)
    m.to_csv(tmp_path / "manifest.csv", index=False)
    t.to_csv(tmp_path / "truth.csv", index=False)
    return tmp_path


def test_twin_is_synthetic_and_renders(twin):
    assert is_synthetic_cohort(twin / "manifest.csv")
    assert_renderable(twin / "manifest.csv")
    fig = face_figures.phenotype_montage(twin / "manifest.csv", n_per_group=2)
    assert len([a for a in fig.axes if a.images]) == 6


def test_manifest_without_twin_json_is_real(twin):
    (twin / "twin.json").unlink()
    assert not is_synthetic_cohort(twin / "manifest.csv")
    with pytest.raises(PrivacyError, match="no twin.json"):
        assert_renderable(twin / "manifest.csv")
    with pytest.raises(PermissionError):
        face_figures.phenotype_montage(twin / "manifest.csv")


def test_photo_not_rendered_by_twin_is_refused(twin):
    m = pd.read_csv(twin / "manifest.csv")
    assert is_synthetic_cohort(twin / "manifest.csv")
    time.sleep(0.01)
    # a "real" photo slipped into the twin folder: its hash is not in twin.json
    cv2.imwrite(str(twin / "photos" / "real_person.jpg"), np.full((200, 160, 3), 90, np.uint8))
    m.loc[2, "photo_3"] = "photos/real_person.jpg"
    m.to_csv(twin / "manifest.csv", index=False)
    assert not is_synthetic_cohort(twin / "manifest.csv")
    with pytest.raises(PrivacyError) as err:
        face_figures.phenotype_montage(twin / "manifest.csv")
    assert "real_person" not in str(err.value) and m.loc[2, "subject_id"] in str(err.value)


def test_modified_photo_bytes_are_refused(twin):
    rel = pd.read_csv(twin / "manifest.csv").loc[0, "photo_1"]
    p = twin / rel
    p.write_bytes(p.read_bytes() + b"\x00")
    assert not is_synthetic_cohort(twin / "manifest.csv")


def test_tampered_twin_json(twin):
    meta = json.loads((twin / "twin.json").read_text())
    del meta["photo_sha256"]
    (twin / "twin.json").write_text(json.dumps(meta))
    with pytest.raises(PrivacyError, match="photo_sha256"):
        assert_renderable(twin / "manifest.csv")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_crops_montage_guarded(twin, tmp_path_factory):
    faces = pd.DataFrame({"subject_id": ["T000"], "included": [True], "stack_path": ["s.npy"]})
    run = tmp_path_factory.mktemp("run")
    np.save(run / "s.npy", np.zeros((12, 16, 16), np.uint8))
    fig = face_figures.crops_montage(twin / "manifest.csv", faces, RunPaths(run), ["T000"])
    assert len(fig.axes) == 4
    with pytest.raises(PrivacyError, match="not in the checked cohort"):
        face_figures.crops_montage(twin / "manifest.csv", faces, RunPaths(run), ["someone_else"])
    (twin / "twin.json").unlink()
    with pytest.raises(PrivacyError):
        face_figures.crops_montage(twin / "manifest.csv", faces, RunPaths(run), ["T000"])


def _drawn(fig) -> list[np.ndarray]:
    return [np.asarray(ax.images[0].get_array()) for ax in fig.axes if ax.images]


def test_symlinked_manifest_draws_the_photos_the_guard_checked(twin, tmp_path_factory):
    """A manifest that is a link into the twin folder, placed beside real photos of the same names: the guard and
    the montage must read the same files (the twin's), never the real ones beside the link."""
    import os
    import shutil

    from gvisage_lib.faces.detection import read_image

    user = tmp_path_factory.mktemp("user")
    (user / "photos").mkdir()
    for p in (twin / "photos").iterdir():
        cv2.imwrite(str(user / "photos" / p.name), np.full((200, 160, 3), 200, np.uint8))  # "real faces"
    shutil.copy(twin / "truth.csv", user / "truth.csv")
    os.symlink(twin / "manifest.csv", user / "manifest.csv")
    assert is_synthetic_cohort(user / "manifest.csv")
    drawn = _drawn(face_figures.phenotype_montage(user / "manifest.csv", n_per_group=1))
    twin_photos = [read_image(p) for p in sorted((twin / "photos").iterdir())]
    assert len(drawn) == 3
    for img in drawn:
        assert not (img == 200).all()
        assert any(np.array_equal(img, t) for t in twin_photos)


def test_photo_replaced_after_a_check_is_noticed(twin):
    """The verdict follows the photos' content: replacing a photo after a check (manifest and twin.json untouched,
    even with the old modification time put back) makes the cohort real at the next call."""
    import os

    assert is_synthetic_cohort(twin / "manifest.csv")
    m = pd.read_csv(twin / "manifest.csv")
    p = twin / m.loc[0, "photo_1"]
    st = p.stat()
    cv2.imwrite(str(p), np.full((200, 160, 3), 90, np.uint8))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not is_synthetic_cohort(twin / "manifest.csv")
    with pytest.raises(PrivacyError, match="not rendered by the twin"):
        face_figures.phenotype_montage(twin / "manifest.csv", n_per_group=2)


def test_montage_draws_only_the_bytes_it_checked(twin, monkeypatch):
    """Between the guard's check and the drawing a photo may change: read_twin_photo hashes the bytes it decodes."""
    from gvisage_lib.cohort import privacy

    m = pd.read_csv(twin / "manifest.csv")
    sid = m.loc[1, "subject_id"]
    img = privacy.read_twin_photo(twin / "manifest.csv", sid, 1)
    assert img.ndim == 3
    monkeypatch.setattr(privacy, "_reason", lambda _m: "")  # the check passed just before the swap
    cv2.imwrite(str(twin / m.loc[1, "photo_1"]), np.full((200, 160, 3), 90, np.uint8))
    with pytest.raises(PrivacyError, match="not a photo rendered by the twin"):
        privacy.read_twin_photo(twin / "manifest.csv", sid, 1)


def test_guard_uses_the_normalised_subject_ids(twin):
    m = pd.read_csv(twin / "manifest.csv", dtype=str, keep_default_na=False)
    m.loc[0, "subject_id"] = " " + m.loc[0, "subject_id"] + " "
    m.to_csv(twin / "manifest.csv", index=False)
    assert_renderable(twin / "manifest.csv", [m.loc[0, "subject_id"].strip()])
