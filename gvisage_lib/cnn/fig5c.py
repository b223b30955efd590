"""Fig 5C: where the selected network of each stage looks, and, on the synthetic twin, whether it looks at and uses
the regions where each phenotype was planted. The orchestration of notebook 06's one call.

What it computes
----------------
* **Maps** (:mod:`gvisage_lib.cnn.attribution_maps`): Grad-CAM on the deepest block whose map is at least 8 x 8 at
  the crop size, and integrated gradients from a blurred baseline, for the stage's positive class.
* **Group maps**: each subject's map is divided by its total over the four photos and every pixel, so every subject
  counts the same; a group map is the mean over the group's subjects of their maps summed over the four photos (the
  photos differ in pose, so it is a map of the crop frame, not of one face). A subject whose map is zero everywhere
  (Grad-CAM with no positive evidence) cannot be normalised: it is counted in ``n_zero`` and left out of the mean,
  and the figure says how many there were.
* **Localisation** (twin only; :mod:`gvisage_lib.cnn.localisation`): the share of each subject's attribution on
  each planted region, against its area and against the other subjects' regions.
* **Occlusion** (twin only; :mod:`gvisage_lib.cnn.occlusion`): the change of the stage score when a planted region
  is hidden, against equal areas elsewhere on the face, with a CI across subjects: the causal test, and the
  sentences printed under the figure (:attr:`Fig5C.interpretation`).

Subjects and privacy
--------------------
Up to ``n_per_group`` subjects of every group of the analysed split (a seeded draw, the same subjects in both
stages; the profile's ``n_attribution``), scored by the selected network of each stage (``selected_model.json``).
For the synthetic twin the figure shows the group maps over the group's average face and one example subject per
group (the group's most confidently correct subject: highest score in the positive group(s), lowest in the negative
one) over its own crop. For any other cohort (:func:`gvisage_lib.cohort.privacy.is_synthetic_cohort` false) there
is no underlay, no example subject, no localisation and no occlusion table, and a group's map is shown only when it
averages at least :data:`MIN_GROUP_REAL` subjects.

Examples
--------
>>> s = pd.DataFrame({"subject_id": list("abcdef"), "group": ["NC", "NC", "NC", "iGCT", "iGCT", "other"],
...                   "split": "validation"})
>>> pick_attribution_subjects(s, split="validation", n_per_group=2, seed=1)["group"].tolist()
['NC', 'NC', 'iGCT', 'iGCT', 'other']
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from gvisage_lib.cnn.attribution_maps import METHODS, attribution_maps, resolve_gradcam_layer
from gvisage_lib.cnn.datasets import load_stacks, load_subjects
from gvisage_lib.cnn.localisation import (
    LOCALISATION_COLUMNS,
    LOCALISATION_SUBJECT_COLUMNS,
    MASK_KEYS,
    localisation_shares,
    localisation_table,
    region_key,
    twin_masks,
)
from gvisage_lib.cnn.occlusion import (
    OCCLUSION_COLUMNS,
    OCCLUSION_SUBJECT_COLUMNS,
    occlusion_deltas,
    occlusion_interpretation,
    occlusion_table,
)
from gvisage_lib.cnn.outputs import load_selected_model
from gvisage_lib.cnn.predict import pick_device
from gvisage_lib.cnn.training import checkpoint_dir, load_trained
from gvisage_lib.cohort.privacy import is_synthetic_cohort
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces.preprocess import qc_photos_path
from gvisage_lib.faces.regions import TwinRegions
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS

__all__ = ["MIN_GROUP_REAL", "Fig5C", "fig5c_attribution", "fig5c_missing_inputs", "pick_attribution_subjects"]

#: Smallest group whose average map is shown for a cohort that is not the synthetic twin.
MIN_GROUP_REAL: int = 20


def pick_attribution_subjects(subjects: pd.DataFrame, *, split: str, n_per_group: int, seed: int) -> pd.DataFrame:
    """Up to ``n_per_group`` subjects of each group of ``split``, by a seeded draw, in group then manifest order.

    Examples
    --------
    See the module docstring.
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
    """What :func:`fig5c_attribution` computed (and :func:`gvisage_lib.cnn.attribution_figures.plot_fig5c` draws)."""

    #: the cohort is the synthetic twin (underlays, examples, localisation and occlusion exist only then).
    synthetic: bool
    manifest_path: Path
    split: str
    #: stage -> selected architecture.
    models: dict[int, str]
    #: stage -> side of the Grad-CAM layer's map.
    map_sides: dict[int, int]
    #: stage, group, subject_id, score of every subject attributed.
    subjects: pd.DataFrame
    #: (stage, method, group) -> mean normalised map (S, S) over the group's non-zero maps (groups too small absent).
    maps: dict[tuple[int, str, str], np.ndarray]
    #: (stage, group) -> subjects attributed (shown groups only).
    n_maps: dict[tuple[int, str], int]
    #: stage -> dotted path of the Grad-CAM layer.
    gradcam_layers: dict[int, str] = field(default_factory=dict)
    #: (stage, method, group) -> subjects whose map is zero everywhere (not in the mean map).
    n_zero: dict[tuple[int, str, str], int] = field(default_factory=dict)
    #: (stage, group) -> mean RGB crop (S, S, 3) in [0, 1]: the group's average face (twin only).
    underlays: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    #: one dict per stage and group (twin only): stage, group, subject_id, score, crop (S, S, 3 uint8) and maps
    #: (method -> its first photo's normalised map; a method whose map is zero everywhere is absent).
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: per stage, method, group, subject and phenotype: intensity and shares (twin only; empty otherwise).
    per_subject: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the localisation table (columns :data:`~gvisage_lib.cnn.localisation.LOCALISATION_COLUMNS`; twin only).
    localisation: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per stage, subject and local phenotype: the score drops of occlusion (twin only; empty otherwise).
    occlusion_by_subject: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the occlusion table (columns :data:`~gvisage_lib.cnn.occlusion.OCCLUSION_COLUMNS`; twin only).
    occlusion: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0

    @property
    def note(self) -> str:
        """One sentence on what was attributed."""
        parts = [f"stage {s}: {self.models[s]} (Grad-CAM on {self.gradcam_layers.get(s, '?')}, map "
                 f"{self.map_sides[s]}x{self.map_sides[s]})" for s in sorted(self.models)]
        n = self.subjects.groupby("stage").size().to_dict() if len(self.subjects) else {}
        who = "; ".join(f"{p}, {n.get(s, 0)} subjects" for p, s in zip(parts, sorted(self.models)))
        return f"{self.split} split; {who}; {self.seconds:.0f} s"

    @property
    def interpretation(self) -> str:
        """What the figure shows, generated from the numbers: map resolution, zero maps and the occlusion test."""
        lines = []
        for s in sorted(self.models):
            zero = {g: k for (st, m, g), k in self.n_zero.items() if st == s and m == "gradcam" and k}
            z = ("; Grad-CAM maps zero everywhere (no positive evidence, shown as counts, not averaged): "
                 + ", ".join(f"{g} {k} of {self.n_maps.get((s, g), 0)}" for g, k in zero.items())) if zero else ""
            lines.append(f"Stage {s}: Grad-CAM on {self.gradcam_layers.get(s, '?')} resolves "
                         f"{self.map_sides[s]} x {self.map_sides[s]} cells{z}.")
        if self.synthetic:
            lines.append(occlusion_interpretation(self.occlusion))
        else:
            lines.append("Not the synthetic twin: group-averaged maps only; no planted regions, so no localisation "
                         "or occlusion test.")
        return "\n".join(lines)


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
    """Attribution maps of the selected network of each stage, group averages, examples, localisation and occlusion.

    Parameters
    ----------
    paths : RunPaths
        Run folder (``selected_model.json``, ``models/``, ``faces.parquet`` and the face cache are read).
    manifest_path : path-like
        The cohort's manifest (groups and splits; the twin's also gives the planted regions).
    n_per_group : int
        Subjects per group (the profile's ``n_attribution``).
    seed : int
        Seed of the draw of subjects, of the bootstrap CIs and of the occlusion's control patches.
    split : str
        Split analysed (default the independent validation split).
    methods : sequence of str
        Among :data:`~gvisage_lib.cnn.attribution_maps.METHODS`.
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
    picked = pick_attribution_subjects(load_subjects(mpath, paths.faces_index, paths.root), split=split,
                                       n_per_group=n_per_group, seed=seed)
    if picked.empty:
        raise ValueError(f"no included subject in split {split!r}: nothing to attribute")
    side = int(image_size) if image_size is not None else int(np.load(picked["stack_path"].iloc[0],
                                                                      mmap_mode="r").shape[-1])
    masks, intensity = None, None
    if synthetic:
        regions = TwinRegions(paths, mpath, image_size=side)
        masks = twin_masks(regions, list(picked["subject_id"]))
        intensity = pd.DataFrame([regions.intensities(sid) for sid in picked["subject_id"]])
    res = Fig5C(synthetic, mpath, split, {}, {}, pd.DataFrame(), {}, {})
    subject_rows, per_subject, occluded = [], [], []
    for stage in (1, 2):
        name = str(selected[f"stage{stage}"])
        net, _ = load_trained(checkpoint_dir(paths.models, name, stage) / "model.pt", device=pick_device(device))
        res.models[stage] = name
        res.gradcam_layers[stage], layer, res.map_sides[stage] = resolve_gradcam_layer(net, name, side)
        rows = np.flatnonzero(picked["group"].isin(schema.STAGES[stage]["groups"]).to_numpy())  # type: ignore[arg-type]
        sub = picked.iloc[rows].reset_index(drop=True)
        out = _attribute_stage(net, name, layer, stage, sub, side, None if masks is None else masks[rows],
                               methods=methods, ig_steps=ig_steps, device=device, synthetic=synthetic, seed=seed)
        del net
        subject_rows.append(sub[["subject_id", "group"]].assign(stage=stage, score=out.scores))
        _keep_group_maps(res, out, stage, methods)
        if synthetic and intensity is not None:
            intens = intensity.iloc[rows].reset_index(drop=True)
            per_subject.extend(_localisation_rows(out, sub, intens, stage, methods))
            occluded.append(_occlusion_rows(out.occlusion, sub, intens, stage))
    # written tables carry 6 decimals: the last bits of a float sum may differ between machines and thread counts
    res.subjects = pd.concat(subject_rows, ignore_index=True)[["stage", "group", "subject_id", "score"]].round(6)
    _finish_tables(res, per_subject, occluded, side, seed)
    res.seconds = time.perf_counter() - t0
    return res


def _keep_group_maps(res: Fig5C, out: _StageOut, stage: int, methods: Sequence[str]) -> None:
    """Group means of the non-zero maps, zero-map counts, underlays and examples of one stage into ``res``."""
    for group, n_group in out.counts.items():
        if not res.synthetic and n_group < MIN_GROUP_REAL:
            continue
        res.n_maps[(stage, group)] = n_group
        for m in methods:
            res.n_zero[(stage, m, group)] = n_group - out.n_maps[(m, group)]
            if out.n_maps[(m, group)]:
                res.maps[(stage, m, group)] = (out.map_sums[(m, group)] / out.n_maps[(m, group)]).astype(np.float32)
        if res.synthetic:
            res.underlays[(stage, group)] = (out.crop_sums[group] / n_group).astype(np.float32)
            res.examples.append({"stage": stage, "group": group, **out.examples[group]})


def _localisation_rows(out: _StageOut, sub: pd.DataFrame, intensity: pd.DataFrame, stage: int,
                       methods: Sequence[str]) -> list[pd.DataFrame]:
    """Per method and phenotype, the stage's subjects' shares (rows of ``fig5c_localisation_by_subject``)."""
    frames = []
    for m in methods:
        sh = out.shares[m]
        for phen in PHENOTYPE_COLUMNS:
            key = region_key(phen)
            frames.append(pd.DataFrame({
                "stage": stage, "method": m, "group": sub["group"].to_numpy(),
                "subject_id": sub["subject_id"].to_numpy(), "phenotype": phen,
                "intensity": intensity[phen].to_numpy(), "share_region": sh[key], "share_face": sh["face"],
                "area_region": sh[f"area:{key}"], "area_face": sh["area:face"],
                "share_region_null": sh[f"null:{key}"]}))
    return frames


def _occlusion_rows(deltas: pd.DataFrame, sub: pd.DataFrame, intensity: pd.DataFrame, stage: int) -> pd.DataFrame:
    """The stage's occlusion drops with stage, group and the subject's intensity of the phenotype."""
    info = sub[["subject_id", "group"]].assign(**{p: intensity[p].to_numpy() for p in PHENOTYPE_COLUMNS})
    d = deltas.merge(info, on="subject_id", how="left", validate="many_to_one")
    d["intensity"] = np.nan
    for p in PHENOTYPE_COLUMNS:
        d.loc[d["phenotype"] == p, "intensity"] = d.loc[d["phenotype"] == p, p]
    return d.assign(stage=stage)[list(OCCLUSION_SUBJECT_COLUMNS)]


def _finish_tables(res: Fig5C, per_subject: list[pd.DataFrame], occluded: list[pd.DataFrame], side: int,
                   seed: int) -> None:
    """The localisation and occlusion tables of ``res`` (empty, with their columns, for a cohort not the twin)."""
    if not res.synthetic:
        res.per_subject = pd.DataFrame(columns=list(LOCALISATION_SUBJECT_COLUMNS))
        res.localisation = pd.DataFrame(columns=list(LOCALISATION_COLUMNS))
        res.occlusion_by_subject = pd.DataFrame(columns=list(OCCLUSION_SUBJECT_COLUMNS))
        res.occlusion = pd.DataFrame(columns=list(OCCLUSION_COLUMNS))
        return
    res.per_subject = pd.concat(per_subject, ignore_index=True)[list(LOCALISATION_SUBJECT_COLUMNS)].round(6)
    table = localisation_table(res.per_subject, seed=seed)
    table.insert(1, "model", table["stage"].map(res.models))
    table.insert(3, "map_side", [res.map_sides[s] if m == "gradcam" else side
                                 for s, m in zip(table["stage"], table["method"])])
    res.localisation = table[list(LOCALISATION_COLUMNS)].round(6)
    res.occlusion_by_subject = pd.concat(occluded, ignore_index=True).round(6)
    res.occlusion = occlusion_table(res.occlusion_by_subject, res.models).round(6)


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
    occlusion: pd.DataFrame


def _null_masks(masks: np.ndarray) -> np.ndarray:
    """For each subject, the mean region of the *other* subjects of the stage (photos and subjects pooled)."""
    per_subject = masks.mean(axis=1, dtype=np.float64)
    n = len(masks)
    if n < 2:
        return np.full_like(per_subject, np.nan)
    return (per_subject.sum(axis=0)[None] - per_subject) / (n - 1)


def _attribute_stage(net: nn.Module, name: str, layer: nn.Module, stage: int, subjects: pd.DataFrame, side: int,
                     masks: np.ndarray | None, *, methods: Sequence[str], ig_steps: int, device: str | torch.device,
                     synthetic: bool, seed: int, batch_size: int = 16) -> _StageOut:
    """Attribute one stage's subjects in batches; accumulate group sums, examples and (twin) shares and occlusion.

    Stacks are read batch by batch and only sums are kept, so memory does not grow with the number of subjects
    beyond the masks (uint8) and the per-subject shares.
    """
    groups = list(schema.STAGES[stage]["groups"])  # type: ignore[call-overload]
    g_all = subjects["group"].to_numpy()
    out = _StageOut(np.empty(len(subjects)), {g: int((g_all == g).sum()) for g in groups if (g_all == g).any()},
                    {}, {}, {}, {}, {}, pd.DataFrame())
    for g in out.counts:
        out.crop_sums[g] = np.zeros((side, side, 3))
        for m in methods:
            out.map_sums[(m, g)], out.n_maps[(m, g)] = np.zeros((side, side)), 0
    null = _null_masks(masks) if masks is not None else None
    shares: dict[str, list[dict[str, np.ndarray]]] = {m: [] for m in methods}
    best: dict[str, tuple[float, dict[str, Any]]] = {}
    occluded = []
    ids = subjects["subject_id"].astype(str).tolist()
    for i in range(0, len(subjects), batch_size):
        sl = slice(i, min(i + batch_size, len(subjects)))
        x = load_stacks(subjects["stack_path"].tolist()[sl], side)
        scores, maps = attribution_maps(net, name, x, methods=methods, ig_steps=ig_steps, device=device, layer=layer)
        out.scores[sl] = scores
        _accumulate(out, best, x, scores, maps, g_all[sl], ids[sl], stage, synthetic)
        if masks is not None and null is not None:
            for m in methods:
                shares[m].append(localisation_shares(maps[m], masks[sl], keys=MASK_KEYS, null_masks=null[sl]))
            occluded.append(occlusion_deltas(net, x, masks[sl], ids[sl], seed=seed, device=device))
    out.examples = {g: v[1] for g, v in best.items()}
    out.shares = {m: {k: np.concatenate([b[k] for b in shares[m]]) for k in shares[m][0]} for m in methods
                  if shares[m]}
    out.occlusion = pd.concat(occluded, ignore_index=True) if occluded else pd.DataFrame()
    return out


def _accumulate(out: _StageOut, best: dict[str, tuple[float, dict[str, Any]]], x: torch.Tensor, scores: np.ndarray,
                maps: dict[str, np.ndarray], groups: np.ndarray, ids: list[str], stage: int, synthetic: bool) -> None:
    """Add one batch's normalised maps to the group sums (zero maps only counted), its crops and its examples."""
    positive = set(schema.STAGES[stage]["positive"])  # type: ignore[call-overload]
    side = x.shape[-1]
    totals = {m: a.sum(axis=(1, 2, 3), dtype=np.float64) for m, a in maps.items()}
    for j, g in enumerate(groups):
        for m, a in maps.items():
            if totals[m][j] > 0:
                out.map_sums[(m, g)] += a[j].sum(axis=0) / totals[m][j]
                out.n_maps[(m, g)] += 1
        if not synthetic:
            continue
        out.crop_sums[g] += x[j].view(-1, 3, side, side).float().div(255.0).mean(dim=0).permute(1, 2, 0).numpy()
        # example: the group's most confidently correct subject (highest score if positive, else lowest)
        conf = scores[j] if g in positive else -scores[j]
        if g not in best or conf > best[g][0]:
            best[g] = (conf, {"subject_id": ids[j], "score": float(scores[j]),
                              "crop": x[j, :3].permute(1, 2, 0).numpy().copy(),
                              "maps": {m: a[j, 0] / a[j, 0].sum() for m, a in maps.items() if a[j, 0].sum() > 0}})
