"""Region occlusion on the synthetic twin: does the network's stage score depend on the planted phenotypes' regions?

An attribution map says where a network looks; occlusion tests what it uses. For a subject and a phenotype drawn in
part of the face (the five local ones: periorbital, acne, oily skin, stubble, fatigue; the four whole-face ones
change the whole face and have no "elsewhere on the face" to compare with), the region where the twin planted it is
hidden in all four photos at once and the stage score (softmax P(positive) of the stage's selected network) is
computed again (captum's ``FeatureAblation``, one feature group per mask). The change ``delta_region = score -
score(hidden)`` is compared with the change when **masks of the same area elsewhere on the face** are hidden instead
(the control): up to :data:`N_CONTROLS` compact patches of the face outside the region, each as many pixels as the
region in that photo (each patch is the face pixels nearest to a seeded random point, disjoint from the region and
from each other; a patch under :data:`MIN_CONTROL_AREA` of the region's area, where the face has no room left, is not
used). A region larger than the rest of the face (acne's, about half of it) is hidden in part: its pixels, as many as
the rest of the face has, nearest to a seeded random point of it; its one control is then the rest of the face. A
feature can be evidence for the positive class (hiding it lowers the score) or against it (hiding it raises the
score), so the test compares sizes:
``effect = |delta_region| - mean |delta_control|`` (over the subject's controls), positive when hiding the planted
region moves the score more than hiding an equal area elsewhere; the signed means say which way.

**Hiding** paints the pixels with the photo's own mean skin colour (the mean of the face outside every local region),
so the region's colour and texture (redness, stubble, shine, dark circles) are gone and the face keeps its tone.
Masks are the twin's coverage masks of :mod:`gvisage_lib.faces.regions`, a pixel hidden when at least half of it is
covered.

**Per group** (and for ``carriers``, the subjects whose intensity of the phenotype is at least
:data:`~gvisage_lib.cnn.localisation.CARRIER_INTENSITY`), the table gives the mean drops, the mean effect with a
t 95% CI across subjects (the paired differences; :func:`paired_mean_ci`), its two-sided P and the
Benjamini-Hochberg adjusted P over the stage's rows. A network that uses a planted feature reacts more when that
feature is hidden than when an equal area elsewhere is: ``uses`` marks an effect of at least :data:`MIN_EFFECT` (0.01
of score) whose adjusted P is below .05 (its CI then excludes 0). A negative effect says the region matters *less*
than the rest of the face.
:func:`occlusion_interpretation` turns the table into the sentences printed under Fig 5C.

Examples
--------
>>> face = np.zeros((8, 8), bool); face[1:7, 1:7] = True
>>> region = np.zeros((8, 8), bool); region[1:3, 1:7] = True
>>> ctrl = control_masks(region, face, n=3, rng=np.random.default_rng(0))
>>> [int(c.sum()) for c in ctrl], any((c & region).any() for c in ctrl)
([12, 12, 0], False)
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats as sps
from torch import nn

from gvisage_lib.cnn.datasets import prepare_batch
from gvisage_lib.cnn.localisation import CARRIER_INTENSITY, MASK_KEYS
from gvisage_lib.cnn.predict import pick_device
from gvisage_lib.core import schema
from gvisage_lib.stats.multiple_testing import bh_adjust
from gvisage_lib.twin.phenotype import PHENOTYPE_COLUMNS
from gvisage_lib.twin.render import FACE_WIDE_PHENOTYPES

__all__ = ["LOCAL_PHENOTYPES", "MIN_CONTROL_AREA", "MIN_EFFECT", "N_CONTROLS", "OCCLUSION_COLUMNS",
           "OCCLUSION_SUBJECT_COLUMNS", "control_masks", "occlusion_deltas", "occlusion_interpretation",
           "occlusion_table", "paired_mean_ci", "skin_fill"]

#: The phenotypes drawn in a part of the face: the ones occlusion tests.
LOCAL_PHENOTYPES: tuple[str, ...] = tuple(p for p in PHENOTYPE_COLUMNS if p not in FACE_WIDE_PHENOTYPES)
#: Control patches per subject and phenotype (fewer where the face has no room).
N_CONTROLS: int = 3
#: Smallest area of a usable control patch, as a fraction of the region's area in the same photo.
MIN_CONTROL_AREA: float = 0.9
#: Smallest effect (score points) that counts as use: a CI above 0 around a change of the score by less than 0.01 says
#: the network reacts, not that it relies on the region.
MIN_EFFECT: float = 0.01
#: Columns of the per-subject occlusion table.
OCCLUSION_SUBJECT_COLUMNS: tuple[str, ...] = (
    "stage", "group", "subject_id", "phenotype", "intensity", "score", "delta_region", "delta_control",
    "abs_delta_region", "abs_delta_control", "effect", "n_controls", "area_region", "area_control")
#: Columns of the occlusion table (``fig5c_occlusion``).
OCCLUSION_COLUMNS: tuple[str, ...] = (
    "stage", "model", "group", "phenotype", "n", "n_no_control", "mean_intensity", "area_region", "area_control",
    "delta_region", "delta_control", "abs_delta_region", "abs_delta_control", "effect", "effect_ci_low",
    "effect_ci_high", "p", "p_bh", "uses")
_HIDDEN = 128  # uint8 coverage from which a pixel counts as covered (half of it)


def _nearest(pool: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """The ``size`` pixels of the boolean mask ``pool`` nearest to a random pixel of it (ties by position)."""
    cand = np.flatnonzero(pool)
    out = np.zeros_like(pool, dtype=bool)
    if size <= 0 or not len(cand):
        return out
    yy, xx = np.unravel_index(cand, pool.shape)
    centre = rng.integers(len(cand))
    d2 = (yy - yy[centre]) ** 2 + (xx - xx[centre]) ** 2
    out.ravel()[cand[np.argsort(d2, kind="stable")[:size]]] = True
    return out


def control_masks(region: np.ndarray, face: np.ndarray, *, n: int, rng: np.random.Generator,
                  size: int | None = None) -> list[np.ndarray]:
    """Up to ``n`` disjoint patches of ``face`` outside ``region``, each of ``size`` pixels (default as many as
    ``region``), for one photo.

    Each patch is the face pixels nearest to a random point of the face left (ties by position); a patch gets fewer
    pixels, or none, when the face has no room left. Boolean masks (S, S); exactly ``n`` are returned.

    Examples
    --------
    See the module docstring.
    """
    if region.shape != face.shape or region.ndim != 2:
        raise ValueError(f"region and face must be 2-D masks of one shape, got {region.shape} and {face.shape}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    size = int(region.sum()) if size is None else int(size)
    free = face & ~region
    out = []
    for _ in range(n):
        patch = _nearest(free, size, rng)
        free &= ~patch
        out.append(patch)
    return out


def skin_fill(x_uint8: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Each photo of a stack painted with its mean skin colour: the mean of its face outside every local region.

    Parameters
    ----------
    x_uint8 : numpy.ndarray
        Stacks (N, 3P, S, S), uint8.
    masks : numpy.ndarray
        uint8 coverage masks (N, P, len(MASK_KEYS), S, S) (:func:`gvisage_lib.cnn.localisation.twin_masks`).

    Returns
    -------
    numpy.ndarray
        uint8 (N, 3P, S, S), constant within each photo (the mean of the whole face where the local regions cover
        all of it; mid-grey where a photo has no face pixel).

    Examples
    --------
    >>> x = np.zeros((1, 3, 2, 2), np.uint8); x[0, 0] = [[200, 100], [0, 0]]
    >>> m = np.zeros((1, 1, len(MASK_KEYS), 2, 2), np.uint8); m[0, 0, 0, 0, :] = 255   # face: the top row
    >>> m[0, 0, 1, 0, 1] = 255                                                       # a local region on it
    >>> skin_fill(x, m)[0, :, 0, 0].tolist()
    [200, 0, 0]
    """
    n, c, s = x_uint8.shape[0], x_uint8.shape[1], x_uint8.shape[-1]
    photos = c // 3
    if masks.shape != (n, photos, len(MASK_KEYS), s, s):
        raise ValueError(f"masks must have shape {(n, photos, len(MASK_KEYS), s, s)}, got {masks.shape}")
    hard = masks >= _HIDDEN
    face = hard[:, :, 0]
    skin = face & ~hard[:, :, 1:].any(axis=2)
    skin = np.where(skin.any(axis=(2, 3), keepdims=True), skin, face)
    x = x_uint8.reshape(n, photos, 3, s, s).astype(np.float64)
    w = skin[:, :, None].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        colour = (x * w).sum(axis=(3, 4)) / w.sum(axis=(3, 4))
    colour = np.nan_to_num(colour, nan=128.0)
    out = np.broadcast_to(np.rint(colour)[..., None, None], x.shape).astype(np.uint8)
    return out.reshape(n, c, s, s)


def _feature_groups(masks: np.ndarray, phenotype: str, subject_ids: Sequence[str], *, n_controls: int,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature ids (N, P, S, S): 0 = untouched, 1 = the region, 2.. = control patches; and each control's validity."""
    r = MASK_KEYS.index(phenotype)
    n, photos = masks.shape[:2]
    ids = np.zeros((n, photos, *masks.shape[3:]), np.int64)
    valid = np.ones((n, n_controls), bool)
    for i, sid in enumerate(subject_ids):
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(f"{sid}|{phenotype}".encode())]))
        for p in range(photos):
            region = masks[i, p, r] >= _HIDDEN
            face = (masks[i, p, 0] >= _HIDDEN) | region
            free = int((face & ~region).sum())
            # a region larger than the rest of the face (acne: about half of it) is hidden in part, as large as the
            # rest of the face, so that an equal area elsewhere exists
            hidden = region if region.sum() <= free else _nearest(region, free, rng)
            ids[i, p][hidden] = 1
            size = int(hidden.sum())
            for k, patch in enumerate(control_masks(region, face, n=n_controls, rng=rng, size=size)):
                ids[i, p][patch] = 2 + k
                valid[i, k] &= size > 0 and patch.sum() >= MIN_CONTROL_AREA * size
    return ids, valid


def occlusion_deltas(net: nn.Module, x_uint8: torch.Tensor, masks: np.ndarray, subject_ids: Sequence[str], *,
                     phenotypes: Sequence[str] = LOCAL_PHENOTYPES, n_controls: int = N_CONTROLS, seed: int = 0,
                     device: str | torch.device = "cpu") -> pd.DataFrame:
    """Score drops when each phenotype's region, or a control patch of its area, is hidden (one batch of subjects).

    Parameters
    ----------
    net : torch.nn.Module
        The stage's network (two outputs; the score is the softmax of output 1).
    x_uint8 : torch.Tensor
        Stacks (N, 3P, S, S), uint8.
    masks : numpy.ndarray
        Their uint8 coverage masks (N, P, len(MASK_KEYS), S, S).
    subject_ids : sequence of str
        The subjects (seed their control patches, so a subject gets the same patches in any batch).
    phenotypes : sequence of str
        Among :data:`LOCAL_PHENOTYPES`.
    n_controls : int
        Control patches per subject and phenotype.
    seed : int
        Seed of the control patches.
    device : str or torch.device
        Where to compute.

    Returns
    -------
    pandas.DataFrame
        One row per subject and phenotype: ``subject_id, phenotype, score, delta_region, delta_control,
        abs_delta_region, abs_delta_control, effect, n_controls, area_region, area_control`` (``delta_control`` the
        mean signed change of the controls, ``abs_delta_control`` the mean of their absolute changes; areas as
        fractions of the crop; the control columns and ``effect`` NaN when no control patch was usable).

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 2))
    >>> x = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    >>> m = np.zeros((2, 1, len(MASK_KEYS), 8, 8), np.uint8); m[:, :, 0, 1:7, 1:7] = 255; m[:, :, 1:, 1:3, 1:7] = 255
    >>> d = occlusion_deltas(net, x, m, ["a", "b"], phenotypes=["phen_beard"])
    >>> d[["subject_id", "n_controls", "area_region", "area_control"]].values.tolist()
    [['a', 2, 0.1875, 0.1875], ['b', 2, 0.1875, 0.1875]]
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="IProgress not found")
        from captum.attr import FeatureAblation

    bad = [p for p in phenotypes if p not in LOCAL_PHENOTYPES]
    if bad or not phenotypes:
        raise ValueError(f"phenotypes must be a non-empty selection of {list(LOCAL_PHENOTYPES)}, "
                         f"got {list(phenotypes)}")
    n, c = x_uint8.shape[0], x_uint8.shape[1]
    if len(subject_ids) != n or masks.shape[:2] != (n, c // 3):
        raise ValueError(f"x_uint8 {tuple(x_uint8.shape)}, masks {masks.shape} and {len(subject_ids)} subject_ids "
                         "disagree")
    dev = pick_device(device)
    net = net.to(dev).eval()

    def score(inp: torch.Tensor) -> torch.Tensor:
        return torch.softmax(net(inp).float(), dim=1)[:, 1]

    x = prepare_batch(x_uint8, dev, None, channels_last=False)
    fill = prepare_batch(torch.from_numpy(skin_fill(x_uint8.cpu().numpy(), masks)), dev, None, channels_last=False)
    with torch.no_grad():
        base = score(x).cpu().numpy().astype(np.float64)
    ablation = FeatureAblation(score)
    rows = []
    for phen in phenotypes:
        ids, valid = _feature_groups(masks, phen, subject_ids, n_controls=n_controls, seed=seed)
        fmask = torch.from_numpy(np.repeat(ids, 3, axis=1)).to(dev)
        with torch.no_grad():
            attr = ablation.attribute(x, baselines=fill, feature_mask=fmask).detach().cpu().numpy()
        flat_ids, flat_attr = ids.reshape(n, -1), attr[:, ::3].reshape(n, -1)
        for i in range(n):
            drop = {g: float(flat_attr[i][flat_ids[i] == g][0]) for g in np.unique(flat_ids[i]) if g > 0}
            ctrl = [drop[2 + k] for k in range(n_controls) if valid[i, k] and (2 + k) in drop]
            region_area = float((ids[i] == 1).mean())
            ctrl_area = float(np.mean([(ids[i] == 2 + k).mean() for k in range(n_controls) if valid[i, k]])) \
                if ctrl else float("nan")
            d_region = drop.get(1, 0.0)
            d_ctrl = float(np.mean(ctrl)) if ctrl else float("nan")
            abs_ctrl = float(np.mean(np.abs(ctrl))) if ctrl else float("nan")
            rows.append({"subject_id": str(subject_ids[i]), "phenotype": phen, "score": base[i],
                         "delta_region": d_region, "delta_control": d_ctrl, "abs_delta_region": abs(d_region),
                         "abs_delta_control": abs_ctrl, "effect": abs(d_region) - abs_ctrl,
                         "n_controls": len(ctrl), "area_region": region_area, "area_control": ctrl_area})
    return pd.DataFrame(rows)


def paired_mean_ci(d: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """Mean of paired differences with its t confidence interval and two-sided one-sample t-test P (NaN dropped).

    The same numbers as R's ``t.test(d)`` (mean, ``conf.int``, ``p.value``); NaN for fewer than two values, and a
    zero-width interval with P = 1 (all differences 0) or 0 (all equal and non-zero) when the SD is 0.

    Examples
    --------
    >>> [round(v, 4) for v in paired_mean_ci(np.array([0.1, 0.3, 0.2, 0.4]))]
    [0.25, 0.0446, 0.4554, 0.0305]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    d = np.asarray(d, float)
    d = d[~np.isnan(d)]
    if len(d) < 2:
        return (float(d.mean()) if len(d) else float("nan")), float("nan"), float("nan"), float("nan")
    mean, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
    if se == 0:
        return mean, mean, mean, 1.0 if mean == 0 else 0.0
    q = float(sps.t.ppf(0.5 + level / 2, len(d) - 1))
    p = float(2 * sps.t.sf(abs(mean / se), len(d) - 1))
    return mean, mean - q * se, mean + q * se, p


def occlusion_table(per_subject: pd.DataFrame, models: dict[int, str] | None = None, *,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Per stage, group (and ``carriers``) and phenotype: mean score drops, the effect with its t CI and P.

    ``uses`` is true where the effect is at least :data:`MIN_EFFECT` and its BH-adjusted P (over the stage's rows) is
    below ``alpha`` (its CI then excludes 0).

    Parameters
    ----------
    per_subject : pandas.DataFrame
        Columns :data:`OCCLUSION_SUBJECT_COLUMNS` (one row per stage, subject and phenotype).
    models : dict, optional
        Stage -> the stage's network (column ``model``).
    alpha : float
        Level of the adjusted test.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OCCLUSION_COLUMNS`.

    Examples
    --------
    >>> ps = pd.DataFrame({"stage": 2, "group": "iGCT", "subject_id": list("abcd"), "phenotype": "phen_acne",
    ...                    "intensity": [0.9, 0.8, 0.1, 0.7], "score": 0.6, "delta_region": [0.3, 0.4, 0.35, 0.45],
    ...                    "delta_control": 0.1, "n_controls": 1, "area_region": 0.1, "area_control": 0.1})
    >>> ps = ps.assign(abs_delta_region=ps.delta_region.abs(), abs_delta_control=ps.delta_control.abs())
    >>> t = occlusion_table(ps.assign(effect=ps.abs_delta_region - ps.abs_delta_control), {2: "resnet50"})
    >>> t[["group", "n", "effect", "uses"]].round(3).values.tolist()
    [['iGCT', 4, 0.275, True], ['carriers', 3, 0.283, True]]
    """
    missing = [c for c in OCCLUSION_SUBJECT_COLUMNS if c not in per_subject.columns]
    if missing:
        raise ValueError(f"per_subject lacks column(s) {missing}")
    carriers = per_subject[per_subject["intensity"] >= CARRIER_INTENSITY].assign(group="carriers")
    data = pd.concat([per_subject, carriers], ignore_index=True)
    order = {g: i for i, g in enumerate((*schema.GROUPS, "carriers"))}
    data = data.assign(_g=data["group"].map(order), _p=data["phenotype"].map(PHENOTYPE_COLUMNS.index))
    rows = []
    for (stage, _g, _p), g in data.groupby(["stage", "_g", "_p"], sort=True):
        ok = g[g["effect"].notna()]
        mean, lo, hi, p = paired_mean_ci(ok["effect"].to_numpy(float))
        rows.append({"stage": int(stage), "model": (models or {}).get(int(stage), ""), "group": g["group"].iloc[0],
                     "phenotype": g["phenotype"].iloc[0], "n": len(ok), "n_no_control": int(len(g) - len(ok)),
                     "mean_intensity": float(g["intensity"].mean()), "area_region": float(ok["area_region"].mean()),
                     "area_control": float(ok["area_control"].mean()),
                     "delta_region": float(ok["delta_region"].mean()),
                     "delta_control": float(ok["delta_control"].mean()),
                     "abs_delta_region": float(ok["abs_delta_region"].mean()),
                     "abs_delta_control": float(ok["abs_delta_control"].mean()), "effect": mean, "effect_ci_low": lo,
                     "effect_ci_high": hi, "p": p})
    out = pd.DataFrame(rows, columns=[c for c in OCCLUSION_COLUMNS if c not in ("p_bh", "uses")])
    out["p_bh"] = np.nan
    for _, idx in out.groupby("stage").groups.items():
        out.loc[idx, "p_bh"] = bh_adjust(out.loc[idx, "p"].to_numpy(float))
    out["uses"] = (out["p_bh"] < alpha) & (out["effect"] >= MIN_EFFECT)
    return out[list(OCCLUSION_COLUMNS)]


def _phenotype_words(phenotype: str) -> str:
    from gvisage_lib.twin.render import REGION_DESCRIPTIONS

    return f"{phenotype.removeprefix('phen_')} ({REGION_DESCRIPTIONS[phenotype]})"


def _used_sentence(rows: pd.DataFrame) -> str:
    """One phenotype's rows with ``uses``: how hiding its region moves the score, group by group."""
    parts = []
    for r in rows.itertuples():
        way = "lowers" if r.delta_region > 0 else "raises"
        parts.append(f"{r.group} (n={r.n}): {r.effect:.3f} more, 95% CI {r.effect_ci_low:.3f} to "
                     f"{r.effect_ci_high:.3f}; on average it {way} the score by {abs(r.delta_region):.3f}")
    return (f"{_phenotype_words(str(rows['phenotype'].iloc[0]))}: hiding the region moves the score more than hiding "
            "an equal area elsewhere on the face, " + "; ".join(parts))


def _none_used_reason(rows: pd.DataFrame, alpha: float) -> str:
    """Why no row of a stage shows use: from its drops, its raw CIs and their widths."""
    drop = float(np.nanmean(rows[["abs_delta_region", "abs_delta_control"]].to_numpy(float)))
    width = float(np.nanmedian(rows["effect_ci_high"] - rows["effect_ci_low"]))
    n = int(rows["n"].median()) if len(rows) else 0
    if not np.isfinite(drop) or n < 2:
        return "too few subjects with a usable control patch to estimate an effect"
    if drop < 0.005:
        why = (f"hiding any patch of the face of a planted region's size moves the score by {drop:.4f} on average: "
               "the score rests on no one part of the face")
    else:
        why = (f"hiding a planted region moves the score about as much as hiding an equal area elsewhere on the face "
               f"(mean absolute change {drop:.3f}; mean difference {float(np.nanmean(rows['effect'])):+.3f})")
    pos = int(((rows["p"] < alpha) & (rows["effect"] > 0)).sum())
    adjusted = int(((rows["p_bh"] < alpha) & (rows["effect"] > 0)).sum())
    small = (f"{adjusted} after the Benjamini-Hochberg adjustment over the stage's {len(rows)} rows, all with an "
             f"effect under {MIN_EFFECT} of score" if adjusted else
             f"none after the Benjamini-Hochberg adjustment over the stage's {len(rows)} rows")
    return (f"{why}; {pos} of {len(rows)} rows have an unadjusted 95% CI above 0 (about {alpha / 2 * len(rows):.1f} "
            f"would by chance), {small}; the median CI is {width:.3f} wide with a median of {n} subjects per row")


def occlusion_interpretation(table: pd.DataFrame, *, alpha: float = 0.05) -> str:
    """What the occlusion table says, in sentences: per stage, which planted phenotypes the network demonstrably
    uses (BH-adjusted P < ``alpha``: hiding the region moves the score more than hiding an equal area elsewhere),
    or that none does and why.

    Examples
    --------
    >>> t = pd.DataFrame({"stage": 2, "model": "resnet50", "group": ["iGCT", "other"], "phenotype": "phen_beard",
    ...                   "n": 20, "delta_region": [0.05, 0.0], "effect": [0.04, 0.0], "effect_ci_low": [0.02, -0.01],
    ...                   "effect_ci_high": [0.06, 0.01], "p": [0.001, 0.9], "p_bh": [0.002, 0.9],
    ...                   "uses": [True, False]})
    >>> print(occlusion_interpretation(t))  # doctest: +NORMALIZE_WHITESPACE
    Stage 2 (iGCT vs other midline tumour; ResNet-50): the network demonstrably uses 1 of the 5 local planted
    phenotypes. beard (stubble on the upper lip and chin): hiding the region moves the score more than hiding an
    equal area elsewhere on the face, iGCT (n=20): 0.040 more, 95% CI 0.020 to 0.060; on average it lowers the score
    by 0.050.
    """
    from gvisage_lib.core.style import model_label

    if table.empty:
        return ("Occlusion: not the synthetic twin (or no subject to test), so there are no planted regions to hide "
                "and no occlusion test.")
    out = []
    for stage, rows in table.groupby("stage", sort=True):
        name = schema.STAGES[int(stage)]["name"]
        model = str(rows["model"].iloc[0]) if "model" in rows and str(rows["model"].iloc[0]) else ""
        head = f"Stage {stage} ({name}{'; ' + model_label(model) if model else ''})"
        used = rows[rows["uses"].astype(bool)]
        if used.empty:
            out.append(f"{head}: no planted phenotype is demonstrably used, because "
                       f"{_none_used_reason(rows, alpha)}.")
            continue
        phens = [p for p in PHENOTYPE_COLUMNS if p in set(used["phenotype"])]
        body = " ".join(_used_sentence(used[used["phenotype"] == p]) + "." for p in phens)
        out.append(f"{head}: the network demonstrably uses {len(phens)} of the {len(LOCAL_PHENOTYPES)} local planted "
                   f"phenotypes. {body}")
    return "\n".join(out)
