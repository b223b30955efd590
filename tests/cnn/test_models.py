"""Candidate CNN builders: output shapes at 12 channels, input-size validation, weight inflation, safe loading."""

from __future__ import annotations

import pickle

import pytest
import torch
import torchvision

from gvisage_lib.cnn.models import MODEL_REGISTRY, build_model, check_input_size
from gvisage_lib.core.profiles import get_profile

SMOKE = get_profile("smoke").image_size


def _rgb_net(name: str, num_classes: int) -> torch.nn.Module:
    """The plain 3-channel torchvision network of the same architecture (and options) as build_model's."""
    if name == "inception_v3":
        return torchvision.models.inception_v3(weights=None, num_classes=num_classes, aux_logits=False,
                                               transform_input=False, init_weights=True)
    return getattr(torchvision.models, name)(weights=None, num_classes=num_classes)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("name", sorted(MODEL_REGISTRY))
def test_output_shape_at_12_channels_and_smoke_size(name):
    torch.manual_seed(0)
    net = build_model(name).eval()
    with torch.no_grad():
        out = net(torch.rand(2, 12, SMOKE, SMOKE))
    assert isinstance(out, torch.Tensor)  # plain logits in eval mode (no aux tuple)
    assert out.shape == (2, 2)
    first = dict(net.named_modules())[MODEL_REGISTRY[name].first_conv]
    assert first.in_channels == 12


def test_profile_sizes_are_valid_for_every_candidate():
    for prof in ("smoke", "quick", "paper"):
        p = get_profile(prof)
        for name in p.models:
            assert check_input_size(name, p.image_size) == max(p.image_size, MODEL_REGISTRY[name].min_size)


@pytest.mark.slow  # trains or runs networks for seconds: make test, not make test-fast
def test_small_inputs_are_upsampled_to_the_architecture_minimum():
    import torch

    net = build_model("inception_v3").eval()
    seen = []
    net.Conv2d_1a_3x3.register_forward_pre_hook(lambda m, a: seen.append(tuple(a[0].shape[-2:])))
    with torch.no_grad():
        assert net(torch.zeros(2, 12, 64, 64)).shape == (2, 2)
        net(torch.zeros(1, 12, 80, 80))
    assert seen == [(75, 75), (80, 80)]
    assert check_input_size("inception_v3", 64) == 75 and check_input_size("alexnet", 64) == 64


def test_tiny_inputs_and_bad_args_are_rejected():
    with pytest.raises(ValueError, match="32 px, got 31"):
        check_input_size("inception_v3", 31)
    with pytest.raises(ValueError, match="name must be one of"):
        build_model("vgg")
    with pytest.raises(ValueError, match="num_classes"):
        build_model("resnet50", num_classes=0)
    with pytest.raises(TypeError):
        build_model("resnet50", 12)  # keyword-only like torchvision builders


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("name", sorted(MODEL_REGISTRY))
def test_inflated_weights_give_the_rgb_response_for_a_repeated_image(name, tmp_path):
    torch.manual_seed(1)
    rgb = _rgb_net(name, 5).double().eval()
    f = tmp_path / "rgb.pt"
    torch.save(rgb.state_dict(), f)
    net = build_model(name, num_classes=5, weights=f).double().eval()
    img = torch.rand(2, 3, 80, 80, dtype=torch.float64)
    with torch.no_grad():
        ref = rgb(img)
        got = net(img.repeat(1, 4, 1, 1))
    # inflation W/4 summed over 4 identical photos: equal up to float64 rounding (untrained Inception logits reach
    # ~1e7, hence a relative tolerance)
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-9)
    # and the inflated filters are exactly the RGB filters / 4
    key = MODEL_REGISTRY[name].first_conv + ".weight"
    torch.testing.assert_close(net.state_dict()[key][:, 3:6], rgb.state_dict()[key] / 4, rtol=0, atol=0)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_head_of_another_size_is_dropped_and_inception_aux_is_ignored(tmp_path):
    f = tmp_path / "inc1000.pt"
    torch.save(torchvision.models.inception_v3(weights=None, num_classes=1000, aux_logits=True,
                                               init_weights=False).state_dict(), f)
    net = build_model("inception_v3", weights=f)
    assert net.fc.out_features == 2
    assert not any(k.startswith("AuxLogits") for k in net.state_dict())


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_missing_or_mismatched_weights_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        build_model("resnet50", weights=tmp_path / "nope.pt")
    sd = torchvision.models.resnet50(weights=None).state_dict()
    bad = dict(sd)
    del bad["layer1.0.conv1.weight"]
    torch.save(bad, tmp_path / "missing.pt")
    with pytest.raises(ValueError, match=r"missing\.pt.*'layer1\.0\.conv1\.weight' is missing"):
        build_model("resnet50", weights=tmp_path / "missing.pt")
    bad = dict(sd)
    bad["layer2.0.bn1.weight"] = torch.zeros(3)
    torch.save(bad, tmp_path / "shape.pt")
    with pytest.raises(ValueError, match=r"shape\.pt.*'layer2\.0\.bn1\.weight' has shape \(3,\)"):
        build_model("resnet50", weights=tmp_path / "shape.pt")
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), tmp_path / "alex.pt")
    with pytest.raises(ValueError, match=r"alex\.pt.*does not exist in resnet50"):
        build_model("resnet50", weights=tmp_path / "alex.pt")


class _Evil:
    def __reduce__(self):
        return (print, ("pickled code ran",))


def test_pickled_code_is_never_executed(tmp_path, capsys):
    f = tmp_path / "evil.pt"
    with open(f, "wb") as fh:
        pickle.dump({"conv1.weight": _Evil()}, fh)
    with pytest.raises(ValueError, match="weights_only=True"):
        build_model("resnet50", weights=f)
    assert "pickled code ran" not in capsys.readouterr().out
