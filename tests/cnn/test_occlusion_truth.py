"""Fig 5C's checks against known truth: the Grad-CAM layer rule, integrated gradients' baseline, region occlusion
(cnn.occlusion) on networks whose evidence is known, its statistics against R, and the generated interpretation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from gvisage_lib.cnn import attribution_maps as AM
from gvisage_lib.cnn import occlusion as O
from gvisage_lib.cnn.localisation import MASK_KEYS
from gvisage_lib.cnn.models import GRADCAM_MIN_SIDE, MODEL_REGISTRY, build_model, feature_map_sides, gradcam_layer
from gvisage_lib.core.schema import CANDIDATE_MODELS


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("name", CANDIDATE_MODELS)
@pytest.mark.parametrize("size", [64, 80, 256])
def test_gradcam_layer_is_the_deepest_with_a_map_of_8(name, size):
    net = build_model(name)
    sides = feature_map_sides(net, name, size)
    layer, side = gradcam_layer(net, name, size)
    assert side == sides[layer] >= GRADCAM_MIN_SIDE
    deeper = list(sides)[list(sides).index(layer) + 1:]
    assert all(sides[d] < GRADCAM_MIN_SIDE for d in deeper)
    if (name, size) == ("resnet50", 64):
        assert layer == "layer2" and side == 8
    if (name, size) == ("resnet50", 256):
        assert layer == "layer4" and side == 8


def test_one_list_of_architectures():
    from gvisage_lib.core.style import MODEL_COLOUR, MODEL_LABEL

    assert tuple(MODEL_REGISTRY) == CANDIDATE_MODELS
    assert all(spec.gradcam_layers for spec in MODEL_REGISTRY.values())
    assert all(name in MODEL_LABEL and name in MODEL_COLOUR for name in MODEL_REGISTRY)


def _period_power(a: np.ndarray, side: int) -> float:
    """Share of the group map's power at the harmonics of a period of 4 px (the stride pattern)."""
    m = a.sum(axis=1).mean(axis=0)
    m = m - m.mean()
    power = np.abs(np.fft.fft2(m)) ** 2
    idx = range(0, side, side // 4)
    return float(sum(power[i, j] for i in idx for j in idx if (i, j) != (0, 0)) / power.sum())


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_blurred_baseline_weakens_the_stride_grid():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(12, 16, 7, stride=2, padding=3), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
                        nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(16, 2))
    g = torch.Generator().manual_seed(1)
    x = nn.functional.interpolate(torch.rand(16, 12, 8, 8, generator=g), size=(64, 64), mode="bilinear")
    x8 = (x * 255).round().to(torch.uint8)
    _, maps = AM.attribution_maps(net, "strided", x8, methods=("integrated_gradients",), layer=net[0])
    blurred = _period_power(maps["integrated_gradients"], 64)
    # the same integral from the flat (mean-colour) baseline, for comparison
    from captum.attr import IntegratedGradients

    from gvisage_lib.cnn.datasets import prepare_batch

    xn = prepare_batch(x8, torch.device("cpu"), None, channels_last=False)
    flat = IntegratedGradients(net.eval()).attribute(xn, baselines=torch.zeros_like(xn), target=1, n_steps=8,
                                                     method="gausslegendre").detach().abs()
    flat_power = _period_power(flat.view(16, 4, 3, 64, 64).sum(2).numpy(), 64)
    assert blurred < 0.7 * flat_power
    # the moving window of the stem's stride (4 px, as the candidates') cancels what is left of the period-4 grid
    _, maps = AM.attribution_maps(net, "strided", x8, methods=("integrated_gradients",), layer=net[0], ig_window=4)
    assert _period_power(maps["integrated_gradients"], 64) < 0.05 * blurred


def test_paired_mean_ci_matches_r():
    # R 4.2.2: r <- t.test(d); c(r$estimate, r$conf.int, r$p.value); t.test(d, conf.level = 0.9)$conf.int
    d = np.array([0.012, -0.004, 0.031, 0.008, 0.019, -0.011, 0.025, 0.003])
    mean, lo, hi, p = O.paired_mean_ci(d)
    assert mean == pytest.approx(0.010375, abs=1e-12)
    assert (lo, hi) == (pytest.approx(-0.00161531303563, abs=1e-10), pytest.approx(0.02236531303563, abs=1e-10))
    assert p == pytest.approx(0.07999347202836, abs=1e-10)
    _, lo, hi, _ = O.paired_mean_ci(d, level=0.9)
    assert (lo, hi) == (pytest.approx(0.000768149977068, abs=1e-10), pytest.approx(0.019981850022932, abs=1e-10))
    assert np.isnan(O.paired_mean_ci(np.array([0.3]))[1])
    with pytest.raises(ValueError, match="level must lie in"):
        O.paired_mean_ci(d, level=95)


def test_control_masks_are_equal_areas_elsewhere_on_the_face():
    yy, xx = np.indices((40, 40))
    face = (yy - 20) ** 2 / 18 ** 2 + (xx - 20) ** 2 / 14 ** 2 <= 1
    region = face & (yy > 8) & (yy < 14)
    controls = O.control_masks(region, face, n=3, rng=np.random.default_rng(5))
    assert len(controls) == 3
    for k, c in enumerate(controls):
        assert c.sum() == region.sum() and not (c & region).any() and (c <= face).all()
        assert all(not (c & o).any() for o in controls[k + 1:])
    with pytest.raises(ValueError, match="n must be a positive int"):
        O.control_masks(region, face, n=0, rng=np.random.default_rng(0))


SIDE = 32
#: the square the test network reads in every photo; the beard's region there, the oily region lower down
READ = (slice(4, 10), slice(6, 18))
OILY = (slice(20, 26), slice(6, 18))


class _PatchReader(nn.Module):
    """Positive logit = minus the mean normalised intensity inside READ (darker patch -> higher score)."""

    def __init__(self) -> None:
        super().__init__()
        w = torch.zeros(12, SIDE, SIDE)
        w[:, READ[0], READ[1]] = 1.0 / (12 * 6 * 12)
        self.register_buffer("w", w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pos = -(x * self.w).sum(dim=(1, 2, 3)) * 4.0
        return torch.stack([torch.zeros_like(pos), pos], dim=1)


def _subjects(n: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """Skin-coloured stacks with a dark patch of random depth in READ, and their masks."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, 12, SIDE, SIDE), np.float64)
    x[:] = np.tile([200.0, 160.0, 140.0], 4)[None, :, None, None]
    x += rng.normal(0, 4, x.shape)
    depth = rng.uniform(40, 120, n)
    x[:, :, READ[0], READ[1]] -= depth[:, None, None, None]
    masks = np.zeros((n, 4, len(MASK_KEYS), SIDE, SIDE), np.uint8)
    masks[:, :, 0, 2:30, 2:30] = 255  # face
    for key in MASK_KEYS[1:]:
        r = READ if key == "phen_beard" else OILY
        masks[:, :, MASK_KEYS.index(key), r[0], r[1]] = 255
    return torch.from_numpy(np.clip(x, 0, 255).round().astype(np.uint8)), masks


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_occlusion_finds_the_region_a_network_reads():
    x, masks = _subjects(10, seed=3)
    ids = [f"s{i}" for i in range(10)]
    d = O.occlusion_deltas(_PatchReader(), x, masks, ids, phenotypes=["phen_beard", "phen_oily"], seed=1)
    beard, oily = d[d.phenotype == "phen_beard"], d[d.phenotype == "phen_oily"]
    assert (beard["delta_region"] > 0.01).all()          # hiding the dark patch lowers the score
    assert (oily["delta_region"].abs() < 1e-6).all()       # the oily region is not read
    assert (beard["area_control"] == beard["area_region"]).all() and (beard["n_controls"] == 3).all()
    # the same subjects in two batches get the same control patches
    again = O.occlusion_deltas(_PatchReader(), x[5:], masks[5:], ids[5:], phenotypes=["phen_beard", "phen_oily"],
                               seed=1)
    pd.testing.assert_frame_equal(d[d.subject_id.isin(ids[5:])].reset_index(drop=True), again)
    per_subject = d.assign(stage=2, group="iGCT", intensity=np.where(d.phenotype == "phen_beard", 0.8, 0.1))
    table = O.occlusion_table(per_subject, {2: "resnet50"})
    assert list(table.columns) == list(O.OCCLUSION_COLUMNS) and set(table["model"]) == {"resnet50"}
    table = table.set_index(["group", "phenotype"])
    assert table.loc[("iGCT", "phen_beard"), "uses"] and table.loc[("carriers", "phen_beard"), "uses"]
    assert table.loc[("iGCT", "phen_beard"), "effect_ci_low"] > 0
    assert not table.loc[("iGCT", "phen_oily"), "uses"]
    text = O.occlusion_interpretation(table.reset_index())
    assert "demonstrably uses 1 of the 5" in text and "beard" in text and "oily" not in text


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_interpretation_says_why_none_is_used():
    x, masks = _subjects(6, seed=4)
    flat = nn.Sequential(nn.Flatten(), nn.Linear(12 * SIDE * SIDE, 2))
    with torch.no_grad():
        flat[1].weight.zero_()
        flat[1].bias.zero_()
    d = O.occlusion_deltas(flat, x, masks, [f"s{i}" for i in range(6)], seed=0)
    table = O.occlusion_table(d.assign(stage=1, group="NC", intensity=0.0))
    assert not table["uses"].any()
    text = O.occlusion_interpretation(table)
    assert text.startswith("Stage 1 (midline tumour vs NC): no planted phenotype is demonstrably used, because ")
    assert "rests on no one part of the face" in text
    assert "not the synthetic twin" in O.occlusion_interpretation(table.iloc[:0])


def test_occlusion_validates():
    x, masks = _subjects(2, seed=0)
    with pytest.raises(ValueError, match="phenotypes must be a non-empty selection"):
        O.occlusion_deltas(_PatchReader(), x, masks, ["a", "b"], phenotypes=["phen_pallor"])
    with pytest.raises(ValueError, match="disagree"):
        O.occlusion_deltas(_PatchReader(), x, masks, ["a"])
    with pytest.raises(ValueError, match="per_subject lacks column"):
        O.occlusion_table(pd.DataFrame({"stage": [1]}))


def test_a_region_larger_than_the_rest_of_the_face_is_hidden_in_part():
    x, masks = _subjects(3, seed=5)
    acne = MASK_KEYS.index("phen_acne")
    masks[:, :, acne] = 0
    masks[:, :, acne, 2:22, 2:30] = 255  # 560 of the face's 784 pixels
    d = O.occlusion_deltas(_PatchReader(), x, masks, ["a", "b", "c"], phenotypes=["phen_acne"])
    assert (d["n_controls"] == 1).all()  # the rest of the face, as large as the part of the region hidden
    np.testing.assert_allclose(d["area_region"], 224 / SIDE**2)
    np.testing.assert_allclose(d["area_control"], 224 / SIDE**2)
