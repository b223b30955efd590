"""Candidate CNNs of the paper (AlexNet, ResNet-50, Inception-v3) for 12-channel face stacks.

Every builder is a torchvision architecture created with ``weights=None`` (nothing is ever downloaded) whose first
convolution takes ``in_channels`` inputs (4 RGB photos stacked = 12 channels) and whose classifier has
``num_classes`` outputs. All builders sit behind one registry and one keyword-only entry point,
:func:`build_model`, in the style of torchvision's model builders.

Choices where the paper is silent
---------------------------------
* **Inception-v3 auxiliary head: disabled** (``aux_logits=False``). The auxiliary classifier pools a 17x17 map with a
  5x5 window and needs inputs of about 299 px; at the pipeline's small CPU sizes it cannot run, and the paper does not
  mention it. Training therefore uses the main logits only, in every profile, so the three candidates are trained the
  same way. Weight files that carry ``AuxLogits.*`` tensors are accepted; those tensors are ignored.
* **Inception-v3 input transform: off** (``transform_input=False``); inputs are normalised by the training code.
* **Minimum input size**: Inception-v3 needs at least 75x75 px, AlexNet 63x63 px (its three max-pools must each see
  a 3x3 map), ResNet-50 32x32 px. A smaller input is upsampled (bilinear, in a forward pre-hook that every built
  network carries, so checkpoints and state dicts are unchanged) to that minimum, so all three candidates can be
  trained on the same small crops of a CPU profile (the quick profile's 64 px: Inception then sees 75 px).
  Inputs below :data:`ABSOLUTE_MIN_SIZE` (32 px) are refused by :func:`check_input_size`.
* **Grad-CAM layer: chosen per architecture and crop size.** Each :class:`ModelSpec` lists its convolutional
  blocks from the input to the classifier (``gradcam_layers``); :func:`gradcam_layer` takes the deepest of them whose
  spatial map is at least :data:`GRADCAM_MIN_SIDE` (8) pixels on a side for the crops it is given (computed by a
  forward pass, never a table per size): a deeper block has more semantic channels, but a map of 2 x 2 cannot say
  which part of the face the evidence is on. At the quick profile's 64 px this is ResNet-50's ``layer2`` (8 x 8),
  AlexNet's first convolution ``features.0`` (15 x 15; its second is already 7 x 7) and Inception-v3's
  ``Conv2d_4a_3x3`` (15 x 15, after the upsampling to 75 px); at the paper profile's 256 px ResNet-50's ``layer4``
  (8 x 8), AlexNet's ``features.10`` (15 x 15) and Inception-v3's ``Mixed_6e`` (14 x 14).
* **Pretrained weights** (optional, ``weights=<local file>``): a 3-channel torchvision state dict (for example the
  ImageNet weights a user keeps offline) is loaded with ``torch.load(..., weights_only=True)`` so no pickled code can
  run. The first convolution's RGB filters are *inflated*: repeated across the 4 photos and divided by 4, so a stack
  of one image repeated 4 times gives exactly the response of the 3-channel network to that image. The classifier
  head is dropped (left at its fresh initialisation) when its shape differs from ``num_classes``. Any other missing,
  unexpected or mis-shaped tensor is an error that names the file and the key.

Examples
--------
>>> import torch
>>> net = build_model("resnet50").eval()  # doctest: +SLOW
>>> net(torch.zeros(2, 12, 80, 80)).shape
torch.Size([2, 2])
>>> sorted(MODEL_REGISTRY)
['alexnet', 'inception_v3', 'resnet50']
>>> gradcam_layer(net, "resnet50", 64)
('layer2', 8)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from torch import nn

from gvisage_lib.core.schema import CANDIDATE_MODELS
from gvisage_lib.core.validation import check_int

__all__ = ["ABSOLUTE_MIN_SIZE", "GRADCAM_MIN_SIDE", "MODEL_REGISTRY", "ModelSpec", "build_model", "check_input_size",
           "feature_map_sides", "gradcam_layer", "load_inflated_weights"]

#: Smallest side (cells) of the Grad-CAM layer's map that :func:`gradcam_layer` accepts when a block reaches it.
GRADCAM_MIN_SIDE = 8
#: Smallest crop side (px) a candidate accepts (or its own ``min_size`` if smaller); between this and the model's
#: ``min_size`` inputs are upsampled.
ABSOLUTE_MIN_SIZE = 32


@dataclass(frozen=True)
class ModelSpec:
    """How to build one candidate and where its first convolution and classifier head live."""

    name: str
    #: builds the 3-channel torchvision network with ``num_classes`` outputs and no weights.
    factory: Callable[[int], nn.Module]
    #: dotted attribute path of the first ``nn.Conv2d``.
    first_conv: str
    #: state-dict key prefixes of the classifier head (dropped from a weight file when num_classes differs).
    head_prefixes: tuple[str, ...]
    #: state-dict key prefixes of a weight file that are ignored (parts the built network does not have).
    ignored_prefixes: tuple[str, ...]
    #: smallest square input side (px) the architecture accepts.
    min_size: int
    #: dotted paths of the blocks Grad-CAM may use, from the input to the classifier (:func:`gradcam_layer` takes
    #: the deepest whose map is at least :data:`GRADCAM_MIN_SIDE` on a side; empty: no Grad-CAM).
    gradcam_layers: tuple[str, ...] = ()
    #: input pixels per cell of the stem's output (the product of its strides: 4 in all three candidates); the
    #: period of the grid that strided convolutions and pooling print on input gradients.
    stem_stride: int = 4


def _alexnet(num_classes: int) -> nn.Module:
    return torchvision.models.alexnet(weights=None, num_classes=num_classes)


def _resnet50(num_classes: int) -> nn.Module:
    return torchvision.models.resnet50(weights=None, num_classes=num_classes)


def _inception_v3(num_classes: int) -> nn.Module:
    return torchvision.models.inception_v3(weights=None, num_classes=num_classes, aux_logits=False,
                                           transform_input=False, init_weights=True)


_INCEPTION_BLOCKS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
                     "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                     "Mixed_7a", "Mixed_7b", "Mixed_7c")
#: The candidates, in the order of :data:`gvisage_lib.core.schema.CANDIDATE_MODELS` (checked on import): how to build
#: each and where its Grad-CAM may look (AlexNet: its five convolutions; ResNet-50: its four stages; Inception-v3:
#: its stem convolutions and mixed blocks).
MODEL_REGISTRY: dict[str, ModelSpec] = {s.name: s for s in (
    ModelSpec("alexnet", _alexnet, "features.0", ("classifier.6.",), (), 63,
              ("features.0", "features.3", "features.6", "features.8", "features.10")),
    ModelSpec("resnet50", _resnet50, "conv1", ("fc.",), (), 32, ("layer1", "layer2", "layer3", "layer4")),
    ModelSpec("inception_v3", _inception_v3, "Conv2d_1a_3x3.conv", ("fc.",), ("AuxLogits.",), 75, _INCEPTION_BLOCKS),
)}
if tuple(MODEL_REGISTRY) != CANDIDATE_MODELS:
    raise RuntimeError(f"gvisage_lib.cnn.models: MODEL_REGISTRY {tuple(MODEL_REGISTRY)} must list "
                       f"core.schema.CANDIDATE_MODELS {CANDIDATE_MODELS} in the same order")


def _spec(name: str) -> ModelSpec:
    if not isinstance(name, str) or name not in MODEL_REGISTRY:
        raise ValueError(f"name must be one of {sorted(MODEL_REGISTRY)}, got {name!r}")
    return MODEL_REGISTRY[name]


def check_input_size(name: str, image_size: int) -> int:
    """Validate a crop side ``image_size`` for architecture ``name``; return the side the network computes on.

    Below the architecture's ``min_size`` the built network upsamples its input to ``min_size`` (module doc).

    Examples
    --------
    >>> check_input_size("inception_v3", 80), check_input_size("inception_v3", 64)
    (80, 75)
    >>> check_input_size("resnet50", 16)
    Traceback (most recent call last):
    ...
    ValueError: image_size must be >= 32 px, got 16
    """
    spec = _spec(name)
    check_int("image_size", image_size)
    floor = min(ABSOLUTE_MIN_SIZE, spec.min_size)
    if image_size < floor:
        raise ValueError(f"image_size must be >= {floor} px, got {image_size}")
    return max(image_size, spec.min_size)


def _upsample_small_inputs(
    min_size: int,
) -> Callable[[nn.Module, tuple[torch.Tensor, ...]], tuple[torch.Tensor, ...] | None]:
    """Forward pre-hook: bilinear upsampling of inputs smaller than ``min_size`` (square) to ``min_size``."""

    def hook(_module: nn.Module, args: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...] | None:
        x = args[0]
        if x.shape[-1] >= min_size and x.shape[-2] >= min_size:
            return None
        size = (max(x.shape[-2], min_size), max(x.shape[-1], min_size))
        return (nn.functional.interpolate(x, size=size, mode="bilinear", align_corners=False), *args[1:])

    return hook


def _get_module(root: nn.Module, dotted: str) -> nn.Module:
    mod = root
    for part in dotted.split("."):
        mod = getattr(mod, part)
    return mod


def feature_map_sides(net: nn.Module, name: str, image_size: int, in_channels: int = 12) -> dict[str, int]:
    """Side of the spatial map of each of ``name``'s Grad-CAM candidate blocks for crops of ``image_size`` px.

    One forward pass of a zero input through ``net`` (a network of architecture ``name``, built by
    :func:`build_model`), with the input upsampling the network carries.

    Examples
    --------
    >>> feature_map_sides(build_model("resnet50"), "resnet50", 64)
    {'layer1': 16, 'layer2': 8, 'layer3': 4, 'layer4': 2}
    """
    spec = _spec(name)
    check_input_size(name, image_size)
    if not spec.gradcam_layers:
        raise ValueError(f"architecture {name!r} lists no Grad-CAM layers (ModelSpec.gradcam_layers)")
    seen: dict[str, int] = {}
    handles = [_get_module(net, layer).register_forward_hook(
        lambda _m, _i, o, layer=layer: seen.__setitem__(layer, int(o.shape[-1]))) for layer in spec.gradcam_layers]
    try:
        param = next(net.parameters(), None)
        dev = param.device if param is not None else torch.device("cpu")
        was_training = net.training
        with torch.no_grad():
            net.eval()(torch.zeros(1, in_channels, image_size, image_size, device=dev))
        net.train(was_training)
    finally:
        for h in handles:
            h.remove()
    return {layer: seen[layer] for layer in spec.gradcam_layers}


def gradcam_layer(net: nn.Module, name: str, image_size: int, *, min_side: int = GRADCAM_MIN_SIDE,
                  in_channels: int = 12) -> tuple[str, int]:
    """The Grad-CAM layer of ``net`` for crops of ``image_size`` px, and the side of its map.

    The deepest of the architecture's ``gradcam_layers`` whose map is at least ``min_side`` on a side (computed by
    :func:`feature_map_sides`); when none is, the one with the largest map (the shallowest).

    Parameters
    ----------
    net : torch.nn.Module
        A network of architecture ``name`` (:func:`build_model`).
    name : str
        Its architecture.
    image_size : int
        Side of the crops (px) the network is given.
    min_side : int
        Smallest acceptable side of the map.
    in_channels : int
        Input channels of ``net``.

    Returns
    -------
    (str, int)
        Dotted path of the layer and the side of its map.

    Examples
    --------
    >>> net = build_model("alexnet")
    >>> gradcam_layer(net, "alexnet", 64), gradcam_layer(net, "alexnet", 256)
    (('features.0', 15), ('features.10', 15))
    >>> gradcam_layer(net, "alexnet", 64, min_side=0)
    Traceback (most recent call last):
    ...
    ValueError: min_side must be a positive int, got 0
    """
    if isinstance(min_side, bool) or not isinstance(min_side, int) or min_side < 1:
        raise ValueError(f"min_side must be a positive int, got {min_side!r}")
    sides = feature_map_sides(net, name, image_size, in_channels)
    fine = [layer for layer, side in sides.items() if side >= min_side]
    layer = fine[-1] if fine else max(sides, key=lambda k: sides[k])
    return layer, sides[layer]


def _set_module(root: nn.Module, dotted: str, new: nn.Module) -> None:
    *parents, last = dotted.split(".")
    setattr(_get_module(root, ".".join(parents)) if parents else root, last, new)


def _replace_first_conv(net: nn.Module, dotted: str, in_channels: int) -> None:
    old = _get_module(net, dotted)
    if not isinstance(old, nn.Conv2d):
        raise TypeError(f"{dotted} is not a Conv2d in this torchvision version: {type(old).__name__}")
    new = nn.Conv2d(in_channels, old.out_channels, kernel_size=old.kernel_size, stride=old.stride,  # type: ignore[arg-type]
                    padding=old.padding, dilation=old.dilation, groups=old.groups,  # type: ignore[arg-type]
                    bias=old.bias is not None, padding_mode=old.padding_mode)
    _set_module(net, dotted, new)


def build_model(name: str, *, in_channels: int = 12, num_classes: int = 2,
                weights: str | os.PathLike[str] | None = None) -> nn.Module:
    """Build candidate ``name`` for ``in_channels``-channel inputs and ``num_classes`` outputs.

    Parameters
    ----------
    name : {"alexnet", "resnet50", "inception_v3"}
        Architecture (see :data:`MODEL_REGISTRY`).
    in_channels : int, default 12
        Input channels: 3 per photo, 4 photos per subject.
    num_classes : int, default 2
        Outputs of the classifier (2 = negative, positive; score = softmax of output 1).
    weights : path-like, optional
        Local file with a 3-channel torchvision state dict to start from (see :func:`load_inflated_weights`).
        ``None`` (default) = random initialisation. Nothing is downloaded in any case.

    Returns
    -------
    torch.nn.Module
        The network, in training mode, on the CPU. In eval mode it returns plain logits of shape (N, num_classes).

    Examples
    --------
    >>> import torch
    >>> build_model("alexnet", num_classes=3).eval()(torch.zeros(1, 12, 64, 64)).shape
    torch.Size([1, 3])
    >>> build_model("vgg16")
    Traceback (most recent call last):
    ...
    ValueError: name must be one of ['alexnet', 'inception_v3', 'resnet50'], got 'vgg16'
    """
    spec = _spec(name)
    check_int("in_channels", in_channels, minimum=1)
    check_int("num_classes", num_classes, minimum=1)
    net = spec.factory(num_classes)
    if in_channels != 3:
        _replace_first_conv(net, spec.first_conv, in_channels)
    if weights is not None:
        load_inflated_weights(net, name, weights)
    net.register_forward_pre_hook(_upsample_small_inputs(spec.min_size))
    return net


def load_inflated_weights(net: nn.Module, name: str, path: str | os.PathLike[str]) -> nn.Module:
    """Load a 3-channel torchvision state dict from ``path`` into ``net`` (built by :func:`build_model`).

    The first convolution's weight ``W`` (out, 3, k, k) becomes ``W.repeat(1, C/3, 1, 1) / (C/3)`` for a network of
    ``C`` input channels, so a stack of one image repeated ``C/3`` times gives the 3-channel network's response. The
    classifier head is skipped when its shape differs from ``net``'s; the file is read with ``weights_only=True``.

    Parameters
    ----------
    net : torch.nn.Module
        Network built by :func:`build_model` for architecture ``name``.
    name : str
        Architecture name (selects the first-conv key and the head keys).
    path : path-like
        File written by ``torch.save(model.state_dict(), path)`` for the 3-channel torchvision architecture.

    Returns
    -------
    torch.nn.Module
        ``net``, with the weights loaded in place.

    Examples
    --------
    >>> import tempfile, pathlib, torch, torchvision
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "rgb.pt"
    >>> torch.save(torchvision.models.resnet50(num_classes=1000).state_dict(), f)  # doctest: +SLOW
    >>> net = build_model("resnet50", weights=f)          # head (1000 classes) dropped, rest loaded
    >>> net.conv1.weight.shape
    torch.Size([64, 12, 7, 7])
    """
    spec = _spec(name)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"weights file not found: {path}")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling refused or corrupt file
        raise ValueError(f"weights file {path} is not a tensors-only state dict loadable with "
                         f"weights_only=True: {exc}") from exc
    if not isinstance(loaded, dict) or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ValueError(f"weights file {path} must hold a state dict (str -> tensor), got {type(loaded).__name__}")
    target = net.state_dict()
    conv_key = f"{spec.first_conv}.weight"
    c_in = _get_module(net, spec.first_conv).in_channels  # type: ignore[union-attr]
    new_state: dict[str, torch.Tensor] = {}
    for key, tensor in loaded.items():
        if any(key.startswith(p) for p in spec.ignored_prefixes):
            continue
        if key not in target:
            raise ValueError(f"weights file {path}: key {key!r} does not exist in {name}")
        want = target[key].shape
        if key == conv_key and tensor.shape != want:
            if tensor.ndim != 4 or tensor.shape[1] != 3 or c_in % 3 or tensor.shape[0] != want[0]:
                raise ValueError(f"weights file {path}: key {key!r} has shape {tuple(tensor.shape)}; expected "
                                 f"(out, 3, k, k) to inflate to {tuple(want)}")
            reps = c_in // 3
            tensor = tensor.repeat(1, reps, 1, 1) / reps
        elif tensor.shape != want:
            if any(key.startswith(p) for p in spec.head_prefixes):
                continue  # classifier head of another number of classes: keep the fresh head
            raise ValueError(f"weights file {path}: key {key!r} has shape {tuple(tensor.shape)}, "
                             f"{name} expects {tuple(want)}")
        new_state[key] = tensor.to(target[key].dtype)
    missing = [k for k in target if k not in new_state and not any(k.startswith(p) for p in spec.head_prefixes)]
    if missing:
        raise ValueError(f"weights file {path}: key {missing[0]!r} is missing ({len(missing)} missing in all)")
    net.load_state_dict(new_state, strict=False)
    return net
