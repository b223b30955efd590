"""Tests of Fig 5C: planted-region masks (twin.render, faces.regions), attribution maps (cnn.attribution_maps),
localisation scores (cnn.localisation), the orchestration (cnn.fig5c) and its figure (cnn.attribution_figures)."""

from __future__ import annotations

import json
import shutil

import cv2
import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from gvisage_lib.cnn import attribution_figures as AF
from gvisage_lib.cnn import attribution_maps as AM
from gvisage_lib.cnn import fig5c as F
from gvisage_lib.cnn import localisation as L
from gvisage_lib.cnn import occlusion as O
from gvisage_lib.cnn.models import build_model
from gvisage_lib.cohort.privacy import PrivacyError
from gvisage_lib.core import io
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces.detection import crop_square, resize_square
from gvisage_lib.faces.preprocess import preprocess_cohort
from gvisage_lib.faces.regions import TwinRegions, crop_mask, region_areas
from gvisage_lib.twin.render import (
    REGION_KEYS,
    SubjectLook,
    draw_photo,
    render_cohort,
    render_subject,
    render_subject_regions,
)

from support.cohorts import make_truth

matplotlib.use("Agg")

SIZE = (240, 300)


def _pair(key: str, lo: float, hi: float, seed: int, phenotype: dict[str, float] | None = None):
    """The same photo (same look and photo draws) with phenotype ``key`` at ``lo`` and at ``hi``, with its masks."""
    out = []
    for v in (lo, hi):
        ph = dict(phenotype or {})
        ph[key] = v
        look = SubjectLook.sample(np.random.default_rng(seed), sex="M", age_years=13.0, phenotype=ph)
        masks: dict[str, np.ndarray] = {}
        img = draw_photo(look, np.random.default_rng(seed + 1), photo_size=SIZE, regions=masks)
        out.append((img.astype(np.float64), masks))
    return out


@pytest.mark.parametrize("key, lo, hi", [("phen_oily", 0.0, 1.0), ("phen_periorbital", 0.0, 1.0),
                                         ("phen_fatigue", 0.0, 1.0), ("phen_beard", 0.03, 1.0)])
@pytest.mark.parametrize("seed", [1, 11])
def test_what_a_phenotype_changes_lies_in_its_region(key, lo, hi, seed):
    # these phenotypes draw no random number of their own, so both photos share pose, light and noise and differ
    # only by the feature: the difference must lie in the feature's (small) region
    (a, ma), (b, mb) = _pair(key, lo, hi, seed)
    diff = cv2.GaussianBlur(np.abs(b - a).sum(-1), (0, 0), 1.0)
    region = np.maximum(ma[key], mb[key]) > 0.01
    assert diff.sum() > 100 * diff.size ** 0.5  # the feature is drawn
    assert (diff * region).sum() / diff.sum() > 0.9
    assert region.mean() < 0.08
    assert (ma[key] <= ma["face"] + 1e-6).all()


def test_acne_redness_lies_in_the_acne_region():
    # acne draws its papules at random, so the rest of the photo (light, noise) differs too: compare the redness
    # (red minus green), which lighting and noise move by a few grey levels and acne by tens
    inside = []
    for seed in (1, 11, 21):
        (a, _), (b, mb) = _pair("phen_acne", 0.0, 1.0, seed)
        red = cv2.GaussianBlur((b[..., 0] - b[..., 1]) - (a[..., 0] - a[..., 1]), (0, 0), 1.5)
        strong = red > 20
        assert strong.sum() > 500
        inside.append(strong[mb["phen_acne"] > 0.01].sum() / strong.sum())
    assert np.mean(inside) > 0.9 and min(inside) > 0.8


def test_asking_for_regions_changes_no_photo():
    ph = {"phen_acne": 0.8, "phen_beard": 0.6, "phen_oily": 0.5, "phen_periorbital": 0.4}
    plain = render_subject(3, "s", "M", 13.0, ph, seed=5, photo_size=(160, 200))
    with_regions = render_subject_regions(3, "s", "M", 13.0, ph, seed=5, photo_size=(160, 200))
    assert plain == [jpeg for jpeg, _ in with_regions]
    masks = with_regions[0][1]
    assert sorted(masks) == sorted(REGION_KEYS)
    assert all(m.dtype == np.float32 and m.min() >= 0 and m.max() <= 1 for m in masks.values())
    # face-wide phenotypes have the face as region; local ones a part of it
    assert np.array_equal(masks["phen_pallor"], masks["face"])
    assert 0 < masks["phen_beard"].sum() < 0.3 * masks["face"].sum()


def test_crop_mask_follows_the_crop_of_the_photo():
    img = np.zeros((120, 100, 3), np.uint8)
    img[50:70, 30:60] = 255
    mask = (img[..., 0] > 0).astype(np.float32)
    box = (20, 35, 50, 50)
    for size in (32, 80):
        crop = resize_square(crop_square(img, box, margin=0.3), size)[..., 0] / 255.0
        np.testing.assert_allclose(crop_mask(mask, box, margin=0.3, image_size=size), crop, atol=0.08)
    with pytest.raises(ValueError, match="mask must be a 2-D array"):
        crop_mask(np.zeros((4, 4, 3)), box, margin=0.2, image_size=16)


def test_region_areas_and_shares_add_up():
    rng = np.random.default_rng(0)
    masks = np.zeros((3, 4, len(REGION_KEYS), 16, 16), np.float32)
    masks[:, :, 0, 4:12, 4:12] = 1  # face
    masks[:, :, 1:, 6:8, 6:10] = 1  # every phenotype's region, inside the face
    maps = rng.random((3, 4, 16, 16)).astype(np.float32)
    maps[2] = 0  # a subject without attribution
    sh = L.localisation_shares(maps, masks)
    assert np.isnan(sh["face"][2])
    assert np.allclose(sh["area:face"], 0.25) and np.allclose(sh["area:phen_acne"], 8 / 256)
    assert (sh["phen_acne"][:2] < sh["face"][:2]).all()
    assert region_areas(masks)["background"] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="non-negative"):
        L.localisation_shares(-maps, masks)


def test_localisation_table_groups_carriers_and_enrichment():
    ps = pd.DataFrame({"stage": 1, "method": "integrated_gradients", "group": ["NC", "NC", "iGCT", "iGCT"],
                       "subject_id": list("abcd"), "phenotype": "phen_beard", "intensity": [0.0, 0.1, 0.9, 0.6],
                       "share_region": [0.05, 0.05, 0.3, np.nan], "share_face": [0.5, 0.5, 0.8, np.nan],
                       "area_region": 0.05, "area_face": 0.4})
    t = L.localisation_table(ps, seed=3).set_index("group")
    assert t.loc["NC", "enrichment_region"] == pytest.approx(1.0)
    assert t.loc["iGCT", "n"] == 1 and t.loc["iGCT", "n_zero_maps"] == 1
    assert t.loc["carriers", "enrichment_region"] == pytest.approx(6.0)
    row = t.loc["NC"]
    assert row.share_region + row.share_rest_of_face + row.share_background == pytest.approx(1.0)
    assert row.enrichment_rest_of_face == pytest.approx(0.45 / 0.35)
    assert row.enrichment_region_ci_low == pytest.approx(1.0) and row.region_kind == "local"
    assert np.isnan(row.enrichment_vs_null)  # no null shares given
    t = L.localisation_table(ps.assign(share_region_null=0.1), seed=3).set_index("group")
    assert t.loc["iGCT", "enrichment_vs_null"] == pytest.approx(3.0)


class _RegionReader(nn.Module):
    """Positive logit = sum of the pixels of the first photo inside a fixed square; negative logit = 0."""

    def __init__(self, side: int) -> None:
        super().__init__()
        w = torch.zeros(12, side, side)
        w[0:3, 4:12, 8:20] = 1.0
        self.register_buffer("w", w)
        self.conv = nn.Conv2d(12, 12, 1, bias=False)
        nn.init.dirac_(self.conv.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pos = (self.conv(x) * self.w).sum(dim=(1, 2, 3))
        return torch.stack([torch.zeros_like(pos), pos], dim=1)


def test_integrated_gradients_fall_where_the_network_reads():
    side = 24
    x = torch.randint(0, 256, (3, 12, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    net = _RegionReader(side)
    scores, maps = AM.attribution_maps(net, "linear", x, methods=("integrated_gradients",), ig_steps=4,
                                      layer=net.conv)
    ig = maps["integrated_gradients"]
    assert ig.shape == (3, 4, side, side) and scores.shape == (3,)
    masks = np.zeros((3, 4, len(REGION_KEYS), side, side), np.float32)
    masks[:, 0, :, 4:12, 8:20] = 1.0  # every region = the square the network reads, in photo 1
    sh = L.localisation_shares(ig, masks)
    np.testing.assert_allclose(sh["phen_acne"], 1.0, atol=1e-6)
    assert ig[:, 1:].sum() == 0


def test_gradcam_peaks_on_the_evidence():
    side = 32
    x = torch.zeros((2, 12, side, side), dtype=torch.uint8)
    x[:, :, 4:12, 20:28] = 255  # bright patch, top right
    conv = nn.Conv2d(12, 4, 3, padding=1)
    with torch.no_grad():
        conv.weight.fill_(0.05)
        conv.bias.fill_(-2.0)
    net = nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        net[4].weight.copy_(torch.tensor([[0.0] * 4, [1.0] * 4]))
        net[4].bias.zero_()
    _, maps = AM.attribution_maps(net, "tiny", x, methods=("gradcam",), layer=conv)
    cam = maps["gradcam"]
    assert (cam >= 0).all() and np.allclose(cam[:, 0], cam[:, 3])
    inside = cam[:, :, 4:12, 20:28].sum() / cam.sum()
    assert inside > 0.8


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_attribution_maps_validates():
    net = build_model("alexnet")
    x = torch.zeros(1, 12, 64, 64, dtype=torch.uint8)
    with pytest.raises(ValueError, match="methods must be"):
        AM.attribution_maps(net, "alexnet", x, methods=("lime",))
    with pytest.raises(ValueError, match="model_name must be one of"):
        AM.attribution_maps(net, "vgg", x)
    with pytest.raises(ValueError, match="x_uint8 must be a uint8"):
        AM.attribution_maps(net, "alexnet", x.float())
    assert AM.resolve_gradcam_layer(net, "alexnet", 64)[0::2] == ("features.0", 15)


# --- a tiny twin run: rendered, preprocessed, two untrained networks recorded as the selected model -----------------


def _save_model(paths: RunPaths, name: str, stage: int, seed: int) -> None:
    torch.manual_seed(seed)
    net = build_model(name)
    folder = paths.models / f"{name}_stage{stage}"
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"model": net.state_dict(), "config_hash": "test", "config": {"model": name, "in_channels": 12}},
               folder / "model.pt")


@pytest.fixture(scope="module")
def twin_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("twin_run")
    cohort = root / "cohort"
    manifest, truth = make_truth(12, seed=4)
    manifest["split"] = "validation"
    m, t = render_cohort(manifest, truth, cohort, seed=9, photo_size=(160, 200), workers=1, progress=False)
    m.to_csv(cohort / "manifest.csv", index=False)
    t.to_csv(cohort / "truth.csv", index=False)
    paths = RunPaths(root).ensure()
    faces = preprocess_cohort(cohort / "manifest.csv", paths, image_size=64, workers=1, progress=False)
    assert faces["included"].sum() >= 9
    for stage in (1, 2):
        _save_model(paths, "alexnet", stage, seed=stage)
    io.write_json({"stage1": "alexnet", "stage2": "alexnet", "gvisagenet": "alexnet"}, paths.selected_model)
    return paths


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_twin_masks_match_the_cached_crops(twin_run):
    regions = TwinRegions(twin_run, twin_run.twin_manifest, image_size=64)
    faces = pd.read_parquet(twin_run.faces_index)
    sid = faces.loc[faces["included"], "subject_id"].iloc[0]
    masks = regions.masks(sid)
    assert masks.shape == (4, len(REGION_KEYS), 64, 64)
    areas = region_areas(masks)
    assert 0.15 < areas["face"] < 0.7
    assert all(0 < areas[k] < areas["face"] for k in ("phen_acne", "phen_beard", "phen_oily", "phen_periorbital"))
    # the face mask covers the skin: over the cohort, its crop pixels are redder (red minus blue) than the rest
    redder = []
    for s in faces.loc[faces["included"], "subject_id"]:
        stack = np.load(twin_run.root / faces.set_index("subject_id").at[s, "stack_path"]).astype(float)
        rb = (stack[0::3] - stack[2::3])  # per slot, red minus blue
        face = regions.masks(s)[:, 0]
        redder.append((rb * face).sum() / face.sum() - (rb * (1 - face)).sum() / (1 - face).sum())
    assert np.mean(redder) > 10
    with pytest.raises(ValueError, match="differs from the cached stack"):
        TwinRegions(twin_run, twin_run.twin_manifest, image_size=64, margin=0.3).masks(sid)


@pytest.mark.slow  # trains or runs networks for seconds: make test, not make test-fast
def test_fig5c_on_the_twin(twin_run):
    res = F.fig5c_attribution(twin_run, twin_run.twin_manifest, n_per_group=3, seed=2, ig_steps=4)
    assert res.synthetic and res.models == {1: "alexnet", 2: "alexnet"} and res.map_sides == {1: 15, 2: 15}
    assert set(res.subjects["stage"]) == {1, 2}
    loc = res.localisation
    assert list(loc.columns) == list(L.LOCALISATION_COLUMNS) and len(loc)
    total = loc["share_region"] + loc["share_rest_of_face"] + loc["share_background"]
    np.testing.assert_allclose(total, 1.0, atol=1e-5)  # the table carries 6 decimals
    assert loc[["share_region", "share_background", "area_region"]].apply(lambda c: c.between(0, 1)).all().all()
    assert set(loc["method"]) == set(AM.METHODS)
    assert loc["share_region_null"].between(0, 1).all()
    np.testing.assert_allclose(loc["enrichment_vs_null"], loc["share_region"] / loc["share_region_null"], rtol=1e-3)
    face_rows = loc[loc["region_kind"] == "face"]
    np.testing.assert_allclose(face_rows["share_rest_of_face"], 0.0, atol=1e-5)
    assert len(res.underlays) == 5 and len(res.examples) == 5
    # zero maps are counted beside the averaged ones, never averaged in
    for (stage, group), n in res.n_maps.items():
        for m in AM.METHODS:
            assert 0 <= res.n_zero[(stage, m, group)] <= n
            assert ((stage, m, group) in res.maps) == (res.n_zero[(stage, m, group)] < n)
    assert res.gradcam_layers == {1: "features.0", 2: "features.0"}
    # region occlusion: every local phenotype, every group of each stage and the carriers where there are any
    occ = res.occlusion
    assert list(occ.columns) == list(O.OCCLUSION_COLUMNS) and set(occ["phenotype"]) == set(O.LOCAL_PHENOTYPES)
    assert set(occ.loc[occ["stage"] == 2, "group"]) <= {"iGCT", "other", "carriers"}
    assert (occ["n"] + occ["n_no_control"] > 0).all() and set(occ["model"]) == {"alexnet"}
    by_subject = res.occlusion_by_subject
    assert len(by_subject) == len(O.LOCAL_PHENOTYPES) * len(res.subjects)
    np.testing.assert_allclose(by_subject["effect"], by_subject["abs_delta_region"] - by_subject["abs_delta_control"],
                               atol=2e-6)
    assert (by_subject["area_control"].dropna() >= 0.9 * by_subject.loc[by_subject["area_control"].notna(),
                                                                         "area_region"] - 1e-6).all()
    text = res.interpretation
    assert "Stage 1: Grad-CAM on features.0 resolves 15 x 15 cells" in text and "Stage 2 (iGCT vs other" in text
    for m in res.maps.values():
        assert m.shape == (64, 64) and m.sum() == pytest.approx(1.0, rel=1e-4)
    fig = AF.plot_fig5c(res)
    assert sum(len(ax.images) == 2 for ax in fig.axes) >= 10  # maps over a face
    again = F.fig5c_attribution(twin_run, twin_run.twin_manifest, n_per_group=3, seed=2, ig_steps=4)
    pd.testing.assert_frame_equal(res.localisation, again.localisation)


@pytest.mark.slow  # trains or runs networks for seconds: make test, not make test-fast
def test_fig5c_for_a_real_cohort_shows_no_face(twin_run, tmp_path, monkeypatch):
    real = tmp_path / "real"
    shutil.copytree(twin_run.root, real)
    (real / "cohort" / "twin.json").unlink()  # now it is not the twin
    paths = RunPaths(real)
    res = F.fig5c_attribution(paths, paths.twin_manifest, n_per_group=3, seed=2, ig_steps=2)
    assert not res.synthetic and not res.underlays and not res.examples
    assert res.localisation.empty and list(res.localisation.columns) == list(L.LOCALISATION_COLUMNS)
    assert res.occlusion.empty and list(res.occlusion.columns) == list(O.OCCLUSION_COLUMNS)
    assert "Not the synthetic twin" in res.interpretation
    assert not res.maps  # groups under MIN_GROUP_REAL subjects are not shown
    monkeypatch.setattr(F, "MIN_GROUP_REAL", 2)
    res = F.fig5c_attribution(paths, paths.twin_manifest, n_per_group=3, seed=2, ig_steps=2)
    assert res.maps and not res.underlays and not res.examples
    fig = AF.plot_fig5c(res)
    assert max(len(ax.images) for ax in fig.axes) == 1  # a map, never a face under it
    # a result that carries faces of a cohort that is not the twin is refused by the plot
    res.underlays[(1, "NC")] = np.zeros((64, 64, 3))
    with pytest.raises(PrivacyError):
        AF.plot_fig5c(res)
    assert json.loads((real / "selected_model.json").read_text())["stage1"] == "alexnet"
