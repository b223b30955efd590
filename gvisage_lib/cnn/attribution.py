"""Fig 5C: where the selected network looks. Attribution maps per stage and group, and, on the twin, how much of the
attribution falls on the regions where each phenotype was planted.

Methods (captum)
----------------
``gradcam``
    Grad-CAM (``captum.attr.LayerGradCam``) on the last convolutional block of the architecture
    (:data:`GRADCAM_LAYERS`: AlexNet's last convolution ``features.10``, ResNet-50's ``layer4``, Inception-v3's
    ``Mixed_7c``), for the stage's positive class (output 1), ReLU applied (the evidence *for* the class), upsampled
    bilinearly to the crop. It is one map for the subject's stack, shared by its four photos. Its resolution is the
    block's: at the quick profile's 64 px crops ResNet-50's ``layer4`` is 2 x 2 and Inception-v3's ``Mixed_7c`` 1 x 1
    (its 75 px input), so Grad-CAM there says little more than "upper or lower half"; the table records the
    resolution (``map_side``).
``integrated_gradients``
    Integrated gradients (``captum.attr.IntegratedGradients``, Gauss-Legendre rule, ``ig_steps`` points, 8 by
    default: the cost is ``ig_steps`` forward and backward passes per subject) of the positive-class logit, from the
    all-zero *normalised* input (every pixel at the ImageNet mean colour, the network's neutral input) to the
    subject's stack. The attribution mass of a pixel of a photo is the **absolute**
    value summed over its three colour channels: a pixel that pushes the logit either way is one the network uses.

Mass, normalisation and averaging
---------------------------------
Each subject's map (per method) is divided by its total over the four photos and every pixel, so every subject
counts the same in a group average and a share is a fraction of that subject's attribution. A group map is the mean
of its subjects' maps summed over the four photos (the photos differ in pose, so it is a map of the crop frame, not of
one face); a subject whose Grad-CAM is zero everywhere (no positive evidence) is left out of the Grad-CAM averages
and counted in ``n_zero_maps``.

Localisation score (synthetic twin only)
----------------------------------------
The twin knows where each phenotype is drawn (:mod:`gvisage_lib.faces.regions`; regions in
:data:`gvisage_lib.twin.render.REGION_DESCRIPTIONS`). For a subject, a method and a phenotype, each photo's
attribution is split by that photo's masks into the share on the **planted region**, on the **rest of the face** and
on the **background** (everything outside the visible face: hair, ears, neck, clothes, backdrop); the three add up
to 1. The same split of the crop area gives the area shares, and **enrichment = share / area share** (1 = no more
attribution than the area predicts; for a group, the ratio of the mean share to the mean area share, with a
percentile bootstrap 95% CI over subjects). Grad-CAM's map applies to the four photos alike, so its split uses each
photo's masks with a quarter of the map. Four phenotypes change the whole face (``region_kind == "face"``: childlike
and mature proportions, puffiness, pallor): their region is the face, so their rows measure face against background
only. Rows come per stage, method and group of the stage, and for ``carriers``: the stage's sampled subjects, of any
group, whose intensity of the phenotype is at least :data:`CARRIER_INTENSITY` (where the feature is visibly drawn).

Enrichment over the area share rewards any map that favours the middle of the crop, where faces and most regions
are (a blurred, centred Grad-CAM map of a network that uses nothing in particular scores well above 1 on the eyes).
So each row also carries a **null share**: every subject's map split by the mean region of the *other* subjects of
the stage's sample (their photos pooled), i.e. the share expected from where the region usually lies in the crop,
and **enrichment_vs_null = share / null share**, above 1 only when the attribution follows the subject's own
feature rather than the average face position.

Subjects and privacy
--------------------
Up to ``n_per_group`` subjects of every group of the analysed split (a seeded draw, the same subjects in both
stages; the profile's ``n_attribution``), scored by the selected network of each stage (``selected_model.json``).
For the synthetic twin the figure shows the group maps over the group's average face and one example subject per
group (the group's most confidently correct subject: highest score in the positive group(s), lowest in the negative
one) over its own crop. For any other cohort (:func:`gvisage_lib.cohort.privacy.is_synthetic_cohort` false) there
is no underlay, no example subject and no localisation table, and a group's map is shown only when it averages at
least :data:`MIN_GROUP_REAL` subjects.

Examples
--------
>>> import torch
>>> conv = torch.nn.Conv2d(12, 4, 3, stride=4)          # a tiny network; a candidate's layer is found by name
>>> net = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
...                           torch.nn.Linear(4, 2))
>>> x = torch.randint(0, 256, (2, 12, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
>>> scores, maps = attribution_maps(net, "tiny", x, ig_steps=2, layer=conv)
>>> scores.shape, maps["integrated_gradients"].shape, maps["gradcam"].shape, gradcam_side(net, "tiny", 32, layer=conv)
((2,), (2, 4, 32, 32), (2, 4, 32, 32), 8)
"""

from __future__ import annotations

import os
import time
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from gvisage_lib.cnn.datasets import load_stacks, load_subjects, prepare_batch
from gvisage_lib.cnn.outputs import load_selected_model
from gvisage_lib.cnn.predict import pick_device
from gvisage_lib.cnn.training import checkpoint_dir, load_trained
from gvisage_lib.cohort.privacy import assert_renderable, is_synthetic_cohort
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces.preprocess import qc_photos_path
from gvisage_lib.faces.regions import TwinRegions
from gvisage_lib.stats.bootstrap import bootstrap_indices
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS
from gvisage_lib.twin.render import FACE_WIDE_PHENOTYPES, REGION_KEYS

__all__ = ["CARRIER_INTENSITY", "GRADCAM_LAYERS", "LOCALISATION_COLUMNS", "METHODS", "METHOD_LABEL", "MIN_GROUP_REAL",
           "Fig5C", "attribution_maps", "fig5c_attribution", "fig5c_missing_inputs", "gradcam_side",
           "localisation_pivot", "localisation_shares", "localisation_table", "pick_attribution_subjects",
           "plot_fig5c"]

#: Attribution methods, in display order.
METHODS: tuple[str, ...] = ("gradcam", "integrated_gradients")
METHOD_LABEL: dict[str, str] = {"gradcam": "Grad-CAM", "integrated_gradients": "Integrated gradients"}
#: The last convolutional block of each candidate (dotted module path), the layer of Grad-CAM.
GRADCAM_LAYERS: dict[str, str] = {"alexnet": "features.10", "resnet50": "layer4", "inception_v3": "Mixed_7c"}
#: Intensity from which a subject counts as a carrier of a phenotype (rows ``group == "carriers"``).
CARRIER_INTENSITY: float = 0.5
#: Smallest group whose average map is shown for a cohort that is not the synthetic twin.
MIN_GROUP_REAL: int = 20
#: Columns of the localisation table.
LOCALISATION_COLUMNS: tuple[str, ...] = (
    "stage", "model", "method", "map_side", "group", "phenotype", "region_kind", "n", "n_zero_maps",
    "mean_intensity", "share_region", "share_rest_of_face", "share_background", "area_region", "area_rest_of_face",
    "area_background", "enrichment_region", "enrichment_region_ci_low", "enrichment_region_ci_high",
    "enrichment_rest_of_face", "enrichment_background", "share_region_null", "enrichment_vs_null")
_SUBJECT_COLUMNS = ("stage", "method", "group", "subject_id", "phenotype", "intensity", "share_region", "share_face",
                    "area_region", "area_face", "share_region_null")
_N_BOOT = 1000


def _module(net: nn.Module, dotted: str) -> nn.Module:
    mod = net
    for part in dotted.split("."):
        mod = getattr(mod, part)
    return mod


def attribution_maps(net: nn.Module, model_name: str, x_uint8: torch.Tensor, *, methods: Sequence[str] = METHODS,
                     ig_steps: int = 8, batch_size: int = 8, device: str | torch.device = "cpu",
                     layer: nn.Module | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Scores and non-negative attribution maps of the positive class (output 1) for uint8 stacks (N, 3P, S, S).

    Parameters
    ----------
    net : torch.nn.Module
        A network of :mod:`gvisage_lib.cnn.models` (put in eval mode here).
    model_name : str
        Its architecture (selects the Grad-CAM layer, :data:`GRADCAM_LAYERS`).
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
        Grad-CAM layer of ``net`` (default: :data:`GRADCAM_LAYERS` of ``model_name``; give one for a network that
        is not a candidate).

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

    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty selection of {list(METHODS)}, got {list(methods)!r}")
    if layer is None and model_name not in GRADCAM_LAYERS:
        raise ValueError(f"model_name must be one of {sorted(GRADCAM_LAYERS)}, got {model_name!r}")
    if isinstance(ig_steps, bool) or not isinstance(ig_steps, int) or ig_steps < 1:
        raise ValueError(f"ig_steps must be a positive int, got {ig_steps!r}")
    if x_uint8.dtype != torch.uint8 or x_uint8.ndim != 4 or x_uint8.shape[1] % 3:
        raise ValueError(f"x_uint8 must be a uint8 tensor (N, 3P, S, S), got {x_uint8.dtype} {tuple(x_uint8.shape)}")
    dev = pick_device(device)
    net = net.to(dev, memory_format=torch.contiguous_format).eval()
    n, c, side = x_uint8.shape[0], x_uint8.shape[1], x_uint8.shape[-1]
    photos = c // 3
    out = {m: np.empty((n, photos, side, side), np.float32) for m in methods}
    scores = np.empty(n, np.float64)
    cam = LayerGradCam(net, layer if layer is not None else _module(net, GRADCAM_LAYERS[model_name]))
    ig = IntegratedGradients(net)
    for i in range(0, n, batch_size):
        x = prepare_batch(x_uint8[i:i + batch_size], dev, None, channels_last=False)
        with torch.no_grad():
            scores[i:i + len(x)] = torch.softmax(net(x).float(), dim=1)[:, 1].cpu().numpy()
        if "gradcam" in methods:
            a = cam.attribute(x, target=1, relu_attributions=True)
            a = LayerAttribution.interpolate(a.detach(), (side, side), interpolate_mode="bilinear").clamp_(min=0)
            out["gradcam"][i:i + len(x)] = (a / photos).expand(-1, photos, -1, -1).cpu().numpy()
        if "integrated_gradients" in methods:
            a = ig.attribute(x, baselines=torch.zeros_like(x), target=1, n_steps=ig_steps,
                             method="gausslegendre", internal_batch_size=len(x) * ig_steps)
            out["integrated_gradients"][i:i + len(x)] = (
                a.detach().abs().view(len(x), photos, 3, side, side).sum(2).cpu().numpy())
    return scores, out


def gradcam_side(net: nn.Module, model_name: str, image_size: int, in_channels: int = 12, *,
                 layer: nn.Module | None = None) -> int:
    """Side of the Grad-CAM layer's map for crops of ``image_size`` px (what the map's resolution really is).

    ``layer`` as in :func:`attribution_maps` (default: :data:`GRADCAM_LAYERS` of ``model_name``). At the quick
    profile's 64 px, ResNet-50's ``layer4`` gives 2 (AlexNet 3, Inception-v3 1).

    Examples
    --------
    See the module docstring.
    """
    seen: list[int] = []
    module = layer if layer is not None else _module(net, GRADCAM_LAYERS[model_name])
    handle = module.register_forward_hook(
        lambda _m, _i, o: seen.append(int(o.shape[-1])))
    dev = next(net.parameters()).device
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, in_channels, image_size, image_size, device=dev))
    finally:
        handle.remove()
    return seen[0]


def localisation_shares(maps: np.ndarray, masks: np.ndarray, *, keys: Sequence[str] = REGION_KEYS,
                        null_masks: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Split each subject's attribution by its planted-region masks.

    Parameters
    ----------
    maps : numpy.ndarray
        Attribution mass (N, P, S, S), non-negative.
    masks : numpy.ndarray
        Region masks (N, P, K, S, S): fractions in [0, 1] (float), or uint8 coverage in 0..255 (divided by 255);
        region ``r`` is ``keys[r]`` (:meth:`gvisage_lib.faces.regions.TwinRegions.masks` gives all of
        :data:`~gvisage_lib.twin.render.REGION_KEYS`).
    keys : sequence of str
        Names of the K regions.
    null_masks : numpy.ndarray, optional
        (N, K, S, S) masks to split each subject's map by instead, photo by photo alike (the null: where the
        regions of the *other* subjects lie on average); gives ``"null:<key>"``.

    Returns
    -------
    dict
        ``<key>`` -> (N,) share of the subject's attribution on that region (NaN for a subject whose map is zero
        everywhere), ``"area:<key>"`` -> (N,) share of the crop area, and ``"null:<key>"`` with ``null_masks``.

    Examples
    --------
    >>> m = np.zeros((1, 1, len(REGION_KEYS), 2, 2), np.float32); m[0, 0, :, 0, 0] = 1
    >>> a = np.array([[[[3.0, 1.0], [0.0, 0.0]]]])
    >>> s = localisation_shares(a, m)
    >>> float(s["phen_acne"][0]), float(s["area:phen_acne"][0])
    (0.75, 0.25)
    """
    k = len(keys)
    if maps.ndim != 4 or masks.ndim != 5 or masks.shape[:2] != maps.shape[:2] or masks.shape[3:] != maps.shape[2:] \
            or masks.shape[2] != k:
        raise ValueError(f"maps (N, P, S, S) and masks (N, P, {k}, S, S) disagree: {maps.shape}, {masks.shape}")
    if null_masks is not None and null_masks.shape != (masks.shape[0], k, *maps.shape[2:]):
        raise ValueError(f"null_masks must have shape {(masks.shape[0], k, *maps.shape[2:])}, got {null_masks.shape}")
    if (maps < 0).any():
        raise ValueError("maps must be non-negative (attribution mass)")
    scale = 255.0 if masks.dtype == np.uint8 else 1.0
    a = maps.astype(np.float64)
    total = a.sum(axis=(1, 2, 3))
    mass = np.einsum("npij,nprij->nr", a, masks.astype(np.float64)) / scale
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[:, None] > 0, mass / total[:, None], np.nan)
    area = masks.mean(axis=(1, 3, 4), dtype=np.float64) / scale
    out = {key: share[:, r] for r, key in enumerate(keys)}
    out.update({f"area:{key}": area[:, r] for r, key in enumerate(keys)})
    if null_masks is not None:
        null = np.einsum("nij,nrij->nr", a.sum(axis=1), null_masks.astype(np.float64)) / scale
        with np.errstate(invalid="ignore", divide="ignore"):
            null = np.where(total[:, None] > 0, null / total[:, None], np.nan)
        out.update({f"null:{key}": null[:, r] for r, key in enumerate(keys)})
    return out


def _ratio_ci(num: np.ndarray, den: np.ndarray, seed: int) -> tuple[float, float]:
    """Percentile bootstrap 95% CI (subjects resampled) of mean(num) / mean(den)."""
    if len(num) < 2:
        return float("nan"), float("nan")
    idx = bootstrap_indices(np.zeros(len(num), int), n_boot=_N_BOOT, seed=seed, stratified=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = num[idx].mean(axis=1) / den[idx].mean(axis=1)
    lo, hi = np.nanquantile(ratio, [0.025, 0.975])
    return float(lo), float(hi)


def localisation_table(per_subject: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Group summary of the per-subject shares (columns :data:`LOCALISATION_COLUMNS`, without model and map side).

    ``per_subject`` has one row per stage, method, group, subject and phenotype with ``intensity``,
    ``share_region``, ``share_face``, ``area_region``, ``area_face`` and, optionally, ``share_region_null`` (the
    share of the subject's map on the other subjects' mean region; ``enrichment_vs_null`` is the ratio of the
    means); rows whose shares are NaN (a map zero everywhere) count in ``n_zero_maps`` only. Besides the groups,
    ``carriers`` pools the subjects of a stage whose
    intensity is at least :data:`CARRIER_INTENSITY`.

    Examples
    --------
    >>> ps = pd.DataFrame({"stage": 1, "method": "gradcam", "group": ["NC", "NC"], "subject_id": ["a", "b"],
    ...                    "phenotype": "phen_acne", "intensity": [0.0, 0.9], "share_region": [0.2, 0.4],
    ...                    "share_face": [0.5, 0.8], "area_region": [0.1, 0.1], "area_face": [0.3, 0.3]})
    >>> t = localisation_table(ps)
    >>> t[["group", "n", "share_region", "enrichment_region"]].round(3).values.tolist()
    [['NC', 2, 0.3, 3.0], ['carriers', 1, 0.4, 4.0]]
    """
    missing = [c for c in _SUBJECT_COLUMNS if c not in per_subject.columns and c != "share_region_null"]
    if missing:
        raise ValueError(f"per_subject lacks column(s) {missing}")
    rows = []
    if "share_region_null" not in per_subject.columns:
        per_subject = per_subject.assign(share_region_null=np.nan)
    carriers = per_subject[per_subject["intensity"] >= CARRIER_INTENSITY].assign(group="carriers")
    data = pd.concat([per_subject, carriers], ignore_index=True)
    order = {g: i for i, g in enumerate((*schema.GROUPS, "carriers"))}
    data = data.assign(_g=data["group"].map(order), _p=data["phenotype"].map(PHENOTYPE_COLUMNS.index))
    for (stage, method, _g, _p), g in data.groupby(["stage", "method", "_g", "_p"], sort=True):
        ok = g[g["share_region"].notna()]
        phen = str(g["phenotype"].iloc[0])
        sr, sf = ok["share_region"].to_numpy(float), ok["share_face"].to_numpy(float)
        ar, af = ok["area_region"].to_numpy(float), ok["area_face"].to_numpy(float)
        sn = ok["share_region_null"].to_numpy(float)
        m = {k: float(v.mean()) if len(v) else float("nan")
             for k, v in (("sr", sr), ("sf", sf), ("ar", ar), ("af", af), ("sn", sn))}
        rest, area_rest = m["sf"] - m["sr"], m["af"] - m["ar"]
        crc = zlib.crc32(f"{stage}|{method}|{g['group'].iloc[0]}|{phen}".encode())
        lo, hi = _ratio_ci(sr, ar, seed=int(np.random.SeedSequence([int(seed), crc]).generate_state(1)[0]))

        def ratio(a: float, b: float) -> float:
            return a / b if b > 0 else float("nan")

        rows.append({
            "stage": int(stage), "method": method, "group": g["group"].iloc[0], "phenotype": phen,
            "region_kind": "face" if phen in FACE_WIDE_PHENOTYPES else "local", "n": len(ok),
            "n_zero_maps": int(len(g) - len(ok)), "mean_intensity": float(g["intensity"].mean()),
            "share_region": m["sr"], "share_rest_of_face": rest, "share_background": 1.0 - m["sf"],
            "area_region": m["ar"], "area_rest_of_face": area_rest, "area_background": 1.0 - m["af"],
            "enrichment_region": ratio(m["sr"], m["ar"]), "enrichment_region_ci_low": lo,
            "enrichment_region_ci_high": hi, "enrichment_rest_of_face": ratio(rest, area_rest),
            "enrichment_background": ratio(1.0 - m["sf"], 1.0 - m["af"]), "share_region_null": m["sn"],
            "enrichment_vs_null": ratio(m["sr"], m["sn"]),
        })
    cols = [c for c in LOCALISATION_COLUMNS if c not in ("model", "map_side")]
    return pd.DataFrame(rows, columns=cols)


def localisation_pivot(table: pd.DataFrame, value: str = "enrichment_region", *,
                       region_kind: str | None = "local") -> pd.DataFrame:
    """The localisation table at a glance: one row per stage, method and phenotype, one column per group.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`localisation_table` (or the ``fig5c_localisation`` table).
    value : str
        Column shown (default the region's enrichment).
    region_kind : {"local", "face"} or None
        Phenotypes kept: drawn in a part of the face (default), over the whole face, or all (None).

    Examples
    --------
    >>> t = pd.DataFrame({"stage": 1, "method": "gradcam", "group": ["NC", "iGCT"], "phenotype": "phen_beard",
    ...                   "region_kind": "local", "enrichment_region": [1.0, 2.5]})
    >>> localisation_pivot(t).columns.tolist()
    ['NC', 'iGCT']
    """
    if value not in table.columns:
        raise ValueError(f"value must be a column of the table, got {value!r}")
    if region_kind not in ("local", "face", None):
        raise ValueError(f"region_kind must be 'local', 'face' or None, got {region_kind!r}")
    t = table if region_kind is None else table[table["region_kind"] == region_kind]
    order = [g for g in (*schema.GROUPS, "carriers") if g in set(t["group"])]
    out = t.pivot_table(index=["stage", "method", "phenotype"], columns="group", values=value, aggfunc="first",
                        sort=False, dropna=False)
    out.columns.name = None
    return out.reindex(columns=order)


def pick_attribution_subjects(subjects: pd.DataFrame, *, split: str, n_per_group: int, seed: int) -> pd.DataFrame:
    """Up to ``n_per_group`` subjects of each group of ``split``, by a seeded draw, in group then manifest order.

    Examples
    --------
    >>> s = pd.DataFrame({"subject_id": list("abcdef"), "group": ["NC", "NC", "NC", "iGCT", "iGCT", "other"],
    ...                   "split": "validation"})
    >>> pick_attribution_subjects(s, split="validation", n_per_group=2, seed=1)["group"].tolist()
    ['NC', 'NC', 'iGCT', 'iGCT', 'other']
    """
    if split not in schema.SPLITS:
        raise ValueError(f"split must be one of {list(schema.SPLITS)}, got {split!r}")
    if isinstance(n_per_group, bool) or not isinstance(n_per_group, (int, np.integer)) or n_per_group < 1:
        raise ValueError(f"n_per_group must be a positive int, got {n_per_group!r}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(b"fig5c")]))
    picked = []
    for group in schema.GROUPS:
        g = subjects[(subjects["split"] == split) & (subjects["group"] == group)]
        keep = np.sort(rng.permutation(len(g))[:n_per_group])
        picked.append(g.iloc[keep])
    return pd.concat(picked, ignore_index=True)


@dataclass
class Fig5C:
    """What :func:`fig5c_attribution` computed (and :func:`plot_fig5c` draws)."""

    #: the cohort is the synthetic twin (underlays, examples and the localisation table exist only then).
    synthetic: bool
    manifest_path: Path
    split: str
    #: stage -> selected architecture.
    models: dict[int, str]
    #: stage -> side of the Grad-CAM layer's map.
    map_sides: dict[int, int]
    #: stage, group, subject_id, score of every subject attributed.
    subjects: pd.DataFrame
    #: (stage, method, group) -> mean normalised map (S, S) over the group's subjects (groups too small are absent).
    maps: dict[tuple[int, str, str], np.ndarray]
    #: (stage, group) -> subjects averaged.
    n_maps: dict[tuple[int, str], int]
    #: (stage, group) -> mean RGB crop (S, S, 3) in [0, 1]: the group's average face (twin only).
    underlays: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    #: one dict per stage and group (twin only): stage, group, subject_id, score, crop (S, S, 3 uint8) and maps
    #: (method -> its first photo's normalised map; a method whose map is zero everywhere is absent).
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: per stage, method, group, subject and phenotype: intensity and shares (twin only; empty otherwise).
    per_subject: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the localisation table (columns :data:`LOCALISATION_COLUMNS`; twin only, empty otherwise).
    localisation: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0

    @property
    def note(self) -> str:
        """One sentence on what was attributed."""
        parts = [f"stage {s}: {self.models[s]} (Grad-CAM map {self.map_sides[s]}x{self.map_sides[s]})"
                 for s in sorted(self.models)]
        n = self.subjects.groupby("stage").size().to_dict()
        who = "; ".join(f"{p}, {n.get(s, 0)} subjects" for p, s in zip(parts, sorted(self.models)))
        return f"{self.split} split; {who}; {self.seconds:.0f} s"


def fig5c_missing_inputs(paths: RunPaths) -> list[str]:
    """What :func:`fig5c_attribution` needs and the run folder lacks (empty when it can run), as short phrases.

    Notebooks 04 to 06 can run from predictions alone; Fig 5C also needs the face stacks (notebook 02) and the
    selected networks' weights (notebook 03), so notebook 06 skips it with this reason when they are absent.

    Examples
    --------
    >>> fig5c_missing_inputs(RunPaths("/nonexistent"))
    ['faces.parquet (notebook 02)', 'qc_photos.parquet (notebook 02)', 'selected_model.json (notebook 03)']
    """
    missing = [f"{f.name} (notebook 02)" for f in (paths.faces_index, qc_photos_path(paths)) if not f.is_file()]
    if not paths.selected_model.is_file():
        missing.append(f"{paths.selected_model.name} (notebook 03)")
        return missing
    selected = load_selected_model(paths.selected_model)
    for stage in (1, 2):
        path = checkpoint_dir(paths.models, str(selected[f"stage{stage}"]), stage) / "model.pt"
        if not path.is_file():
            missing.append(f"models/{path.parent.name}/model.pt (notebook 03)")
    return missing


def fig5c_attribution(paths: RunPaths, manifest_path: str | os.PathLike[str], *, n_per_group: int, seed: int,
                      split: str = "validation", methods: Sequence[str] = METHODS, ig_steps: int = 8,
                      image_size: int | None = None, device: str | torch.device = "auto") -> Fig5C:
    """Attribution maps of the selected network of each stage, group averages, examples and localisation scores.

    Parameters
    ----------
    paths : RunPaths
        Run folder (``selected_model.json``, ``models/``, ``faces.parquet`` and the face cache are read).
    manifest_path : path-like
        The cohort's manifest (groups and splits; the twin's also gives the planted regions).
    n_per_group : int
        Subjects per group (the profile's ``n_attribution``).
    seed : int
        Seed of the draw of subjects and of the bootstrap CIs.
    split : str
        Split analysed (default the independent validation split).
    methods : sequence of str
        Among :data:`METHODS`.
    ig_steps : int
        Integration points of integrated gradients.
    image_size : int, optional
        Side of the cached crops (default: read from the first stack).
    device : str or torch.device
        Where to compute (``"auto"``, the default: CUDA when available, else the CPU, where a seed gives identical
        tables; CUDA's sums may differ in the last digits).

    Returns
    -------
    Fig5C

    Examples
    --------
    >>> fig5c_attribution(RunPaths("/nonexistent"), "/nonexistent/m.csv", n_per_group=2, seed=1)
    Traceback (most recent call last):
    ...
    FileNotFoundError: manifest not found: /nonexistent/m.csv
    """
    t0 = time.perf_counter()
    mpath = Path(manifest_path)
    if not mpath.is_file():
        raise FileNotFoundError(f"manifest not found: {mpath}")
    synthetic = is_synthetic_cohort(mpath)
    selected = load_selected_model(paths.selected_model)
    subjects = load_subjects(mpath, paths.faces_index, paths.root)
    picked = pick_attribution_subjects(subjects, split=split, n_per_group=n_per_group, seed=seed)
    if picked.empty:
        raise ValueError(f"no included subject in split {split!r}: nothing to attribute")
    side = int(image_size) if image_size is not None else int(np.load(picked["stack_path"].iloc[0],
                                                                      mmap_mode="r").shape[-1])
    masks, intensity = None, None
    if synthetic:
        regions = TwinRegions(paths, mpath, image_size=side)
        masks = _twin_masks(regions, list(picked["subject_id"]))
        intensity = pd.DataFrame([regions.intensities(sid) for sid in picked["subject_id"]])
    res = Fig5C(synthetic, mpath, split, {}, {}, pd.DataFrame(), {}, {})
    subject_rows, per_subject = [], []
    for stage in (1, 2):
        name = str(selected[f"stage{stage}"])
        net, _ = load_trained(checkpoint_dir(paths.models, name, stage) / "model.pt", device=pick_device(device))
        res.models[stage], res.map_sides[stage] = name, gradcam_side(net, name, side)
        rows = np.flatnonzero(picked["group"].isin(schema.STAGES[stage]["groups"]).to_numpy())  # type: ignore[arg-type]
        out = _attribute_stage(net, name, stage, picked.iloc[rows], side,
                               None if masks is None else masks[rows], methods=methods, ig_steps=ig_steps,
                               device=device, synthetic=synthetic)
        del net
        subject_rows.append(picked.iloc[rows][["subject_id", "group"]].assign(stage=stage, score=out.scores))
        for group, n_group in out.counts.items():
            if not synthetic and n_group < MIN_GROUP_REAL:
                continue
            res.n_maps[(stage, group)] = n_group
            for m in methods:
                if out.n_maps[(m, group)]:
                    res.maps[(stage, m, group)] = (out.map_sums[(m, group)] / out.n_maps[(m, group)]).astype(np.float32)
            if synthetic:
                res.underlays[(stage, group)] = (out.crop_sums[group] / n_group).astype(np.float32)
                res.examples.append({"stage": stage, "group": group, **out.examples[group]})
        if synthetic:
            g = picked.iloc[rows]["group"].to_numpy()
            ids = picked.iloc[rows]["subject_id"].to_numpy()
            for m in methods:
                sh = out.shares[m]
                for phen in PHENOTYPE_COLUMNS:
                    key = "face" if phen in FACE_WIDE_PHENOTYPES else phen
                    per_subject.append(pd.DataFrame({
                        "stage": stage, "method": m, "group": g, "subject_id": ids, "phenotype": phen,
                        "intensity": intensity[phen].to_numpy()[rows],  # type: ignore[index]
                        "share_region": sh[key], "share_face": sh["face"], "area_region": sh[f"area:{key}"],
                        "area_face": sh["area:face"], "share_region_null": sh[f"null:{key}"]}))
    # written tables carry 6 decimals: the last bits of a float sum may differ between machines and thread counts
    res.subjects = pd.concat(subject_rows, ignore_index=True)[["stage", "group", "subject_id", "score"]].round(6)
    if synthetic:
        res.per_subject = pd.concat(per_subject, ignore_index=True)[list(_SUBJECT_COLUMNS)].round(6)
        table = localisation_table(res.per_subject, seed=seed)
        table.insert(1, "model", table["stage"].map(res.models))
        table.insert(3, "map_side", [res.map_sides[s] if m == "gradcam" else side
                                     for s, m in zip(table["stage"], table["method"])])
        res.localisation = table[list(LOCALISATION_COLUMNS)].round(6)
    else:
        res.per_subject = pd.DataFrame(columns=list(_SUBJECT_COLUMNS))
        res.localisation = pd.DataFrame(columns=list(LOCALISATION_COLUMNS))
    res.seconds = time.perf_counter() - t0
    return res


#: The distinct planted regions (the whole-face phenotypes' region is the face): the masks kept per subject.
_MASK_KEYS: tuple[str, ...] = ("face", *(k for k in PHENOTYPE_COLUMNS if k not in FACE_WIDE_PHENOTYPES))


def _twin_masks(regions: Any, subject_ids: list[str]) -> np.ndarray:
    """uint8 coverage masks (N, P, len(_MASK_KEYS), S, S) of the subjects (a quarter of float32's memory)."""
    idx = [REGION_KEYS.index(k) for k in _MASK_KEYS]
    first = regions.masks(subject_ids[0])
    out = np.empty((len(subject_ids), first.shape[0], len(idx), *first.shape[2:]), np.uint8)
    for i, sid in enumerate(subject_ids):
        m = first if i == 0 else regions.masks(sid)
        out[i] = np.rint(m[:, idx] * 255.0).astype(np.uint8)
    return out


@dataclass
class _StageOut:
    """Everything :func:`fig5c_attribution` keeps of one stage's attribution (sums, not maps)."""

    scores: np.ndarray
    counts: dict[str, int]
    map_sums: dict[tuple[str, str], np.ndarray]
    n_maps: dict[tuple[str, str], int]
    crop_sums: dict[str, np.ndarray]
    examples: dict[str, dict[str, Any]]
    shares: dict[str, dict[str, np.ndarray]]


def _attribute_stage(net: nn.Module, name: str, stage: int, subjects: pd.DataFrame, side: int,
                     masks: np.ndarray | None, *, methods: Sequence[str], ig_steps: int, device: str | torch.device,
                     synthetic: bool, batch_size: int = 16) -> _StageOut:
    """Attribute one stage's subjects in batches; accumulate group sums, examples and (twin) localisation shares.

    Stacks are read batch by batch and only sums are kept, so memory does not grow with the number of subjects
    beyond the masks (uint8) and the per-subject shares.
    """
    groups = list(schema.STAGES[stage]["groups"])  # type: ignore[call-overload]
    positive = set(schema.STAGES[stage]["positive"])  # type: ignore[call-overload]
    g_all = subjects["group"].to_numpy()
    out = _StageOut(np.empty(len(subjects)), {g: int((g_all == g).sum()) for g in groups if (g_all == g).any()},
                    {}, {}, {}, {}, {})
    for g in out.counts:
        out.crop_sums[g] = np.zeros((side, side, 3))
        for m in methods:
            out.map_sums[(m, g)], out.n_maps[(m, g)] = np.zeros((side, side)), 0
    null = None
    if masks is not None:
        # the null: for each subject, the mean region of the other subjects of the stage (photos and subjects pooled)
        per_subject = masks.mean(axis=1, dtype=np.float64)
        total = per_subject.sum(axis=0)
        n = len(masks)
        null = (total[None] - per_subject) / (n - 1) if n > 1 else np.full_like(per_subject, np.nan)
    shares: dict[str, list[dict[str, np.ndarray]]] = {m: [] for m in methods}
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    paths = subjects["stack_path"].tolist()
    for i in range(0, len(subjects), batch_size):
        sl = slice(i, min(i + batch_size, len(subjects)))
        x = load_stacks(paths[sl], side)
        scores, maps = attribution_maps(net, name, x, methods=methods, ig_steps=ig_steps, device=device)
        out.scores[sl] = scores
        g_batch = g_all[sl]
        totals = {m: maps[m].sum(axis=(1, 2, 3), dtype=np.float64) for m in methods}
        for j, g in enumerate(g_batch):
            for m in methods:
                if totals[m][j] > 0:
                    out.map_sums[(m, g)] += maps[m][j].sum(axis=0) / totals[m][j]
                    out.n_maps[(m, g)] += 1
            if not synthetic:
                continue
            photos = x[j].view(-1, 3, side, side).float().div(255.0)
            out.crop_sums[g] += photos.mean(dim=0).permute(1, 2, 0).numpy()
            # example: the group's most confidently correct subject (highest score if positive, else lowest)
            conf = scores[j] if g in positive else -scores[j]
            if g not in best or conf > best[g][0]:
                best[g] = (conf, {"subject_id": str(subjects["subject_id"].iloc[i + j]), "score": float(scores[j]),
                                  "crop": x[j, :3].permute(1, 2, 0).numpy().copy(),
                                  "maps": {m: maps[m][j, 0] / maps[m][j, 0].sum() for m in methods
                                           if maps[m][j, 0].sum() > 0}})
        if masks is not None and null is not None:
            for m in methods:
                shares[m].append(localisation_shares(maps[m], masks[sl], keys=_MASK_KEYS, null_masks=null[sl]))
    out.examples = {g: v[1] for g, v in best.items()}
    out.shares = {m: {k: np.concatenate([b[k] for b in shares[m]]) for k in shares[m][0]} for m in methods
                  if shares[m]}
    return out


def plot_fig5c(result: Fig5C, *, fig: Any | None = None, alpha: float = 0.6) -> Any:
    """Fig 5C: per stage, the group-averaged maps of each method (rows) and, on the twin, one example per group.

    On the synthetic twin every map lies over a face: the group's average crop for a group map, the subject's first
    crop for an example (checked by :func:`gvisage_lib.cohort.privacy.assert_renderable`). For any other cohort the
    maps are drawn alone. Each panel is scaled to its own maximum.

    Parameters
    ----------
    result : Fig5C
        From :func:`fig5c_attribution`.
    fig : matplotlib.figure.Figure, optional
        An empty figure to draw into (default: a new one).
    alpha : float
        Opacity of the map over the face.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> m = np.random.default_rng(0).random((16, 16)).astype(np.float32)
    >>> r = Fig5C(False, Path("m.csv"), "validation", {1: "resnet50", 2: "resnet50"}, {1: 2, 2: 2}, pd.DataFrame(),
    ...           {(1, "gradcam", "NC"): m, (2, "integrated_gradients", "iGCT"): m}, {(1, "NC"): 20, (2, "iGCT"): 20})
    >>> fig = plot_fig5c(r)                    # 2 stages x 2 methods x 3 columns, no face anywhere
    >>> len(fig.axes), max(len(ax.images) for ax in fig.axes)
    (12, 1)
    """
    import matplotlib.pyplot as plt

    from gvisage_lib.core.style import FONT, PANEL_SIZE, model_label

    if result.underlays or result.examples:
        assert_renderable(result.manifest_path, [e["subject_id"] for e in result.examples])
    methods = [m for m in METHODS if any(k[1] == m for k in result.maps)] or list(METHODS)
    stages = sorted(result.models)
    cols = {s: [g for g in schema.STAGES[s]["groups"]] for s in stages}  # type: ignore[union-attr]
    ex = {s: [e for e in result.examples if e["stage"] == s] for s in stages}
    n_attributed = (result.subjects.groupby(["stage", "group"]).size().to_dict() if len(result.subjects)
                    else dict(result.n_maps))
    ncols = max(len(cols[s]) + len(ex[s]) for s in stages)
    w, h = PANEL_SIZE["crop"]
    own = fig is None
    if fig is None:
        fig = plt.figure(figsize=(w * ncols + 0.4, (h + 0.15) * len(methods) * len(stages) + 0.5 * len(stages)))
    subs = np.atleast_1d(fig.subfigures(len(stages), 1))
    for sub, s in zip(subs, stages):
        axes = sub.subplots(len(methods), ncols, squeeze=False)
        name = schema.STAGES[s]["name"]
        sub.suptitle(f"Stage {s} ({name}), {model_label(result.models[s])}: group averages"
                     + (" and one example per group" if ex[s] else ""), fontsize=FONT.medium)
        for r, m in enumerate(methods):
            # (title, map or None, face underlay or None, why there is no map)
            panels: list[tuple[str, np.ndarray | None, np.ndarray | None, str]] = []
            zero = "zero map\n(no positive\nevidence)"
            for g in cols[s]:
                n = n_attributed.get((s, g), 0)
                why = zero if (s, g) in result.n_maps else f"not shown\n(n < {MIN_GROUP_REAL})"
                panels.append((f"{g} (n={n})", result.maps.get((s, m, g)), result.underlays.get((s, g)), why))
            for e in ex[s]:
                panels.append((f"{e['group']} {e['subject_id']}\nscore {e['score']:.2f}", e["maps"].get(m),
                               e["crop"].astype(np.float32) / 255.0, zero))
            for c in range(ncols):
                ax = axes[r, c]
                ax.set_xticks([])
                ax.set_yticks([])
                if c >= len(panels):
                    ax.axis("off")
                    continue
                title, amap, under, why = panels[c]
                if under is not None:
                    ax.imshow(np.clip(under, 0, 1))
                if amap is None:
                    ax.text(0.5, 0.5, why, ha="center", va="center", fontsize=FONT.small, transform=ax.transAxes)
                else:
                    top = float(amap.max()) or 1.0
                    ax.imshow(amap / top, cmap="inferno", vmin=0, vmax=1, alpha=alpha if under is not None else 1.0)
                if r == 0:
                    ax.set_title(title, fontsize=FONT.small)
                if c == 0:
                    ax.set_ylabel(METHOD_LABEL[m], fontsize=FONT.small)
    subs[-1].supxlabel("attribution (dark: none, bright: most), each map scaled to its own maximum",
                       fontsize=FONT.note)
    if own:
        fig.set_layout_engine("constrained")
    return fig
