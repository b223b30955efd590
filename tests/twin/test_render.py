"""Tests of the twin's phenotype map and face renderer (gvisage_lib.twin.phenotype, gvisage_lib.twin.render)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.core import io
from gvisage_lib.faces.detection import decode_image, detect_faces
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS, PhenotypeEffects, phenotype_from_truth
from gvisage_lib.twin.render import render_cohort, render_subject

from support.cohorts import make_truth


def test_phenotype_in_unit_interval_and_never_reads_group():
    _, truth = make_truth(60)
    phen = phenotype_from_truth(truth, seed=3)
    assert list(phen.columns) == ["subject_id", *PHENOTYPE_COLUMNS]
    assert ((phen[list(PHENOTYPE_COLUMNS)] >= 0) & (phen[list(PHENOTYPE_COLUMNS)] <= 1)).all().all()
    shuffled = truth.assign(group=truth["group"].sample(frac=1, random_state=1).to_numpy())
    pd.testing.assert_frame_equal(phen, phenotype_from_truth(shuffled, seed=3))
    pd.testing.assert_frame_equal(phen, phenotype_from_truth(truth.drop(columns="group"), seed=3))


def test_phenotype_monotone_in_damage():
    _, truth = make_truth(300, seed=5)
    phen = phenotype_from_truth(truth, seed=1).assign(hpt_damage=truth["hpt_damage"], group=truth["group"])
    tum = phen[phen["group"] != "NC"]
    means = tum.groupby("hpt_damage")[["phen_puffiness", "phen_periorbital", "phen_childlike", "phen_pallor"]].mean()
    for col in means.columns:
        assert means.at["complete", col] > means.at["incomplete", col] > means.at["none", col], col
    # Per subject: raising an axis never lowers its phenotype (same seed -> same noise).
    worse = truth.assign(axis_thyroid=np.clip(truth["axis_thyroid"] + 0.3, 0, 1))
    assert (phenotype_from_truth(worse, seed=1)["phen_puffiness"] >= phen["phen_puffiness"]).all()
    # Controls look healthy on average: far below complete-damage patients.
    nc = phen[phen["group"] == "NC"]
    assert nc["phen_pallor"].mean() < 0.1 < means.at["complete", "phen_pallor"]


def test_phenotype_effects_validated():
    with pytest.raises(ValueError, match="acne_hcg"):
        PhenotypeEffects(acne_hcg=-1.0)
    _, truth = make_truth(3)
    with pytest.raises(ValueError, match="axis_gh"):
        phenotype_from_truth(truth.drop(columns="axis_gh"))
    off = phenotype_from_truth(truth, PhenotypeEffects(baseline_sd=0.0, acne_hcg=0.0))
    assert (off["phen_acne"] == 0).all()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_render_cohort_deterministic_and_recorded(tmp_path):
    manifest, truth = make_truth(6, seed=2)
    m1, t1 = render_cohort(manifest, truth, tmp_path / "a", seed=11, photo_size=(160, 200), workers=1,
                           progress=False)
    m2, _ = render_cohort(manifest, truth, tmp_path / "b", seed=11, photo_size=(160, 200), workers=2,
                          progress=False)
    _, _ = render_cohort(manifest, truth, tmp_path / "c", seed=12, photo_size=(160, 200), workers=1,
                         progress=False)
    assert m1.equals(m2)
    assert m1.loc[0, "photo_3"] == f"photos/{manifest.loc[0, 'subject_id']}_3.jpg"
    for rel in m1[["photo_1", "photo_2", "photo_3", "photo_4"]].to_numpy().ravel():
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    assert (tmp_path / "a" / m1.loc[0, "photo_1"]).read_bytes() != (tmp_path / "c" / m1.loc[0, "photo_1"]).read_bytes()
    # the four photos of a subject differ from each other
    blobs = {(tmp_path / "a" / m1.loc[0, c]).read_bytes() for c in ("photo_1", "photo_2", "photo_3", "photo_4")}
    assert len(blobs) == 4
    meta = json.loads((tmp_path / "a" / "twin.json").read_text())
    assert meta["photos"]["seed"] == 11 and meta["photos"]["capture_shift"] == 0.0
    assert len(meta["photo_sha256"]) == 24
    rel = m1.loc[5, "photo_2"]
    assert meta["photo_sha256"][rel] == io.sha256_file(tmp_path / "a" / rel)
    assert all(c in t1.columns for c in PHENOTYPE_COLUMNS) and t1["subject_id"].tolist() == truth["subject_id"].tolist()
    img = decode_image((tmp_path / "a" / rel).read_bytes())
    assert img.shape == (200, 160, 3)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_haar_detects_rendered_faces():
    # The twin's own latent state (the twin's generator), so the phenotype mix is the cohort's.
    from gvisage_lib.twin import generate_tabular

    _, truth = generate_tabular(seed=21, scale=0.05)
    phen = phenotype_from_truth(truth, seed=21).set_index("subject_id")
    found = []
    for i, r in truth.iterrows():
        jpgs = render_subject(i, r["subject_id"], r["sex"], r["age_years"], phen.loc[r["subject_id"]].to_dict(),
                              seed=21, photo_size=(320, 400), n_photos=1)
        found += [len(detect_faces(decode_image(b))) == 1 for b in jpgs]
    assert len(found) >= 60
    assert np.mean(found) >= 0.95, np.mean(found)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_capture_shift_changes_controls_only(tmp_path):
    manifest, truth = make_truth(6, seed=3)
    m0, _ = render_cohort(manifest, truth, tmp_path / "off", seed=1, photo_size=(160, 200), workers=1, progress=False)
    m1, _ = render_cohort(manifest, truth, tmp_path / "on", seed=1, photo_size=(160, 200), workers=1,
                          capture_shift=1.0, progress=False)
    for i, g in enumerate(manifest["group"]):
        same = (tmp_path / "off" / m0.loc[i, "photo_1"]).read_bytes() == (tmp_path / "on" / m1.loc[i, "photo_1"]).read_bytes()
        assert same == (g != "NC")
    assert json.loads((tmp_path / "on" / "twin.json").read_text())["photos"]["capture_shift"] == 1.0


def test_render_cohort_validates(tmp_path):
    manifest, truth = make_truth(3)
    with pytest.raises(ValueError, match="capture_shift"):
        render_cohort(manifest, truth, tmp_path, seed=1, capture_shift=-1, workers=1, progress=False)
    with pytest.raises(ValueError, match="photo_size"):
        render_cohort(manifest, truth, tmp_path, seed=1, photo_size=(10, 10), workers=1, progress=False)
    with pytest.raises(ValueError, match="same subject_ids"):
        render_cohort(manifest, truth.iloc[:2], tmp_path, seed=1, workers=1, progress=False)
