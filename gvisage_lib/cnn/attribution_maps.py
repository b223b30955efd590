"""Attribution maps of Fig 5C: where, in a subject's four photos, a network finds the evidence for the stage's
positive class (captum).

Methods
-------
``gradcam``
    Grad-CAM (``captum.attr.LayerGradCam``) on the deepest block of the architecture whose map still resolves the
    face: :func:`gvisage_lib.cnn.models.gradcam_layer` takes the deepest of the architecture's candidate blocks
    (:attr:`gvisage_lib.cnn.models.ModelSpec.gradcam_layers`) whose map is at least 8 x 8 at the crop size, computed
    by a forward pass (at the quick profile's 64 px: ResNet-50's ``layer2``, 8 x 8; AlexNet's first convolution and
    Inception-v3's ``Conv2d_4a_3x3``, 15 x 15; at 256 px ResNet-50's ``layer4``). For the positive class (output 1),
    ReLU applied (the evidence *for* the class), upsampled bilinearly to the crop. One map for the subject's stack,
    shared by its four photos.
``integrated_gradients``
    Integrated gradients (``captum.attr.IntegratedGradients``, Gauss-Legendre rule, ``ig_steps`` points) of the
    positive-class logit from a **blurred baseline**: each photo blurred by a Gaussian of standard deviation
    :data:`IG_BLUR_SIGMA` x the crop side (4 px at 64 px). The path then adds only what blurring removes (edges,
    texture, small spots: where the twin's local phenotypes live), and the attribution is no longer dominated by the
    periodic pattern that the strided first convolution and pooling print on gradients from a flat (all-mean-colour)
    baseline: on an untrained ResNet-50 at 64 px over twin crops, the share of the group map's power at the stride's
    harmonics (periods 2 and 4 px) fell from 0.09 (flat baseline) to 0.03 (blurred); SmoothGrad (captum's
    ``NoiseTunnel``, 4 or 8 noisy copies, noise 0.2 SD) lowered it no further at 4 to 8 times the cost, so it is not
    used. What is left of the grid has the period of the stem's stride
    (:attr:`gvisage_lib.cnn.models.ModelSpec.stem_stride`, 4 px in all three candidates), so the map is then averaged
    over windows of that width (a moving window, stride 1, reflected at the borders: :func:`window_sum`), which
    cancels that period exactly: on the smoke run's trained AlexNet and ResNet-50 at 80 px the share of the group
    map's power at the period-4 harmonics fell from 0.013 and 0.025 to 0.0001, at the period-8 ones from 0.028 and
    0.026 to 0.008 and 0.001. The attribution mass of a pixel of a photo is the **absolute** value summed over its
    three colour channels (then averaged over the window): a pixel that pushes the logit either way is one the network
    uses.

Both methods return raw maps; :mod:`gvisage_lib.cnn.fig5c` normalises every subject's map to total 1 and counts maps
that are zero everywhere.

Examples
--------
>>> conv = torch.nn.Conv2d(12, 4, 3, stride=4)          # a tiny network; its Grad-CAM layer is given
>>> net = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
...                           torch.nn.Linear(4, 2))
>>> x = torch.randint(0, 256, (2, 12, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
>>> scores, maps = attribution_maps(net, "tiny", x, ig_steps=2, layer=conv)
>>> scores.shape, maps["integrated_gradients"].shape, maps["gradcam"].shape
((2,), (2, 4, 32, 32), (2, 4, 32, 32))
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from gvisage_lib.cnn.datasets import prepare_batch
from gvisage_lib.cnn.models import MODEL_REGISTRY, gradcam_layer
from gvisage_lib.cnn.predict import pick_device

__all__ = ["IG_BLUR_SIGMA", "METHODS", "METHOD_LABEL", "attribution_maps", "blurred_baseline", "resolve_gradcam_layer",
           "window_sum"]

#: Attribution methods, in display order.
METHODS: tuple[str, ...] = ("gradcam", "integrated_gradients")
METHOD_LABEL: dict[str, str] = {"gradcam": "Grad-CAM", "integrated_gradients": "Integrated gradients"}
#: Standard deviation of the Gaussian blur of integrated gradients' baseline, as a fraction of the crop side.
IG_BLUR_SIGMA: float = 1 / 16


def _module(net: nn.Module, dotted: str) -> nn.Module:
    mod = net
    for part in dotted.split("."):
        mod = getattr(mod, part)
    return mod


def blurred_baseline(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Every channel of a float batch (N, C, S, S) blurred by a Gaussian of ``sigma`` px (reflected borders).

    Examples
    --------
    >>> x = torch.zeros(1, 3, 16, 16); x[..., 8, 8] = 1.0
    >>> b = blurred_baseline(x, 2.0)
    >>> round(float(b.sum()), 3), float(b.max()) < 0.1
    (3.0, True)
    """
    if not (isinstance(sigma, (int, float)) and not isinstance(sigma, bool)) or not sigma > 0:
        raise ValueError(f"sigma must be a positive number, got {sigma!r}")
    import torchvision.transforms.functional as TF

    k = 2 * int(round(3 * sigma)) + 1
    k = min(k, 2 * ((min(x.shape[-2:]) - 1) // 2) + 1)  # a kernel no larger than the image (odd)
    return TF.gaussian_blur(x, [k, k], [float(sigma), float(sigma)])


def window_sum(maps: torch.Tensor, width: int) -> torch.Tensor:
    """Mean of every ``width`` x ``width`` window of maps (N, P, S, S), one per pixel (reflected borders).

    A moving window of the grid's period cancels the grid: every window holds each phase of it once.

    Examples
    --------
    >>> grid = torch.tensor([[1.0, 3.0] * 4] * 8).view(1, 1, 8, 8)
    >>> window_sum(grid, 2).unique().tolist()
    [2.0]
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int, got {width!r}")
    if width == 1:
        return maps
    n, p, s = maps.shape[0], maps.shape[1], maps.shape[-1]
    x = nn.functional.pad(maps.reshape(n * p, 1, s, s), ((width - 1) // 2, width // 2, (width - 1) // 2, width // 2),
                          mode="reflect")
    return nn.functional.avg_pool2d(x, width, stride=1).reshape(n, p, s, s)


def resolve_gradcam_layer(net: nn.Module, model_name: str, image_size: int) -> tuple[str, nn.Module, int]:
    """Grad-CAM layer of a candidate network for crops of ``image_size`` px: dotted path, module and map side.

    Examples
    --------
    >>> from gvisage_lib.cnn.models import build_model
    >>> name, _, side = resolve_gradcam_layer(build_model("resnet50"), "resnet50", 64)
    >>> name, side
    ('layer2', 8)
    """
    if model_name not in MODEL_REGISTRY:
        raise ValueError(f"model_name must be one of {sorted(MODEL_REGISTRY)}, got {model_name!r}")
    dotted, side = gradcam_layer(net, model_name, image_size)
    return dotted, _module(net, dotted), side


def _check_args(model_name: str, x_uint8: torch.Tensor, methods: Sequence[str], ig_steps: int,
                layer: nn.Module | None) -> None:
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty selection of {list(METHODS)}, got {list(methods)!r}")
    if layer is None and model_name not in MODEL_REGISTRY:
        raise ValueError(f"model_name must be one of {sorted(MODEL_REGISTRY)}, got {model_name!r}")
    if isinstance(ig_steps, bool) or not isinstance(ig_steps, int) or ig_steps < 1:
        raise ValueError(f"ig_steps must be a positive int, got {ig_steps!r}")
    if not isinstance(x_uint8, torch.Tensor) or x_uint8.dtype != torch.uint8 or x_uint8.ndim != 4 \
            or x_uint8.shape[1] % 3:
        raise ValueError(f"x_uint8 must be a uint8 tensor (N, 3P, S, S), got {getattr(x_uint8, 'dtype', None)} "
                         f"{tuple(getattr(x_uint8, 'shape', ()))}")


def attribution_maps(net: nn.Module, model_name: str, x_uint8: torch.Tensor, *, methods: Sequence[str] = METHODS,
                     ig_steps: int = 8, batch_size: int = 8, device: str | torch.device = "cpu",
                     layer: nn.Module | None = None,
                     ig_window: int | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Scores and non-negative attribution maps of the positive class (output 1) for uint8 stacks (N, 3P, S, S).

    Parameters
    ----------
    net : torch.nn.Module
        A network of :mod:`gvisage_lib.cnn.models` (put in eval mode here).
    model_name : str
        Its architecture (selects the Grad-CAM layer for the stacks' size, :func:`resolve_gradcam_layer`).
    x_uint8 : torch.Tensor
        Stacks of P photos (12 channels = 4 photos).
    methods : sequence of str
        Among :data:`METHODS`.
    ig_steps : int
        Integration points of integrated gradients.
    batch_size : int
        Subjects per pass (integrated gradients evaluates ``batch_size * ig_steps`` images at once).
    device : str or torch.device
        Where to compute (``"auto"``: CUDA when available).
    layer : torch.nn.Module, optional
        Grad-CAM layer of ``net`` (default: :func:`resolve_gradcam_layer`; give one for a network that is not a
        candidate).

    Returns
    -------
    (numpy.ndarray, dict)
        Softmax P(positive) of each subject (N,), and per method a float32 array (N, P, S, S): the attribution mass
        of every photo's pixels (module docstring), not yet normalised.

    Examples
    --------
    See the module docstring.
    """
    with warnings.catch_warnings():
        # captum imports tqdm.auto, which warns in a notebook kernel without ipywidgets; captum's bars are not used
        warnings.filterwarnings("ignore", message="IProgress not found")
        from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam

    _check_args(model_name, x_uint8, methods, ig_steps, layer)
    dev = pick_device(device)
    net = net.to(dev, memory_format=torch.contiguous_format).eval()
    n, c, side = x_uint8.shape[0], x_uint8.shape[1], x_uint8.shape[-1]
    photos = c // 3
    if ig_window is None:
        ig_window = MODEL_REGISTRY[model_name].stem_stride if model_name in MODEL_REGISTRY else 1
    if layer is None and "gradcam" in methods:
        layer = resolve_gradcam_layer(net, model_name, side)[1]
    out = {m: np.empty((n, photos, side, side), np.float32) for m in methods}
    scores = np.empty(n, np.float64)
    cam = LayerGradCam(net, layer) if "gradcam" in methods else None
    ig = IntegratedGradients(net)
    for i in range(0, n, batch_size):
        x = prepare_batch(x_uint8[i:i + batch_size], dev, None, channels_last=False)
        with torch.no_grad():
            scores[i:i + len(x)] = torch.softmax(net(x).float(), dim=1)[:, 1].cpu().numpy()
        if cam is not None:
            a = cam.attribute(x, target=1, relu_attributions=True)
            a = LayerAttribution.interpolate(a.detach(), (side, side), interpolate_mode="bilinear").clamp_(min=0)
            out["gradcam"][i:i + len(x)] = (a / photos).expand(-1, photos, -1, -1).cpu().numpy()
        if "integrated_gradients" in methods:
            base = blurred_baseline(x, IG_BLUR_SIGMA * side)
            a = ig.attribute(x, baselines=base, target=1, n_steps=ig_steps, method="gausslegendre",
                             internal_batch_size=len(x) * ig_steps)
            a = a.detach().abs().view(len(x), photos, 3, side, side).sum(2)
            out["integrated_gradients"][i:i + len(x)] = window_sum(a, ig_window).cpu().numpy()
    return scores, out
