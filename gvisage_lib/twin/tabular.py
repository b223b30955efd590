"""Tabular part of the synthetic digital-twin cohort: manifest rows and the latent ground truth.

The twin has the paper's group sizes (docs/paper.md) and, per split x tumour group, every Table 1 variable drawn to
match the paper's mean or percentage (``gvisage_lib/paper/data/table1.csv``). Where the paper is silent, the choices
are in ``gvisage_lib/twin/data/twin_parameters.json`` and summarised here.

Generative model (per split x tumour group cell of ``n`` subjects)
------------------------------------------------------------------
1. **Sex** and **tumour site**: counts allocated from Table 1's proportions by largest remainder (exact at scale 1),
   randomly assigned. Table 1's female:male ratio of the test iGCTs (51:68) sums to 119 for 79 patients; the twin
   uses the proportion 51/119.
2. **Age**: gamma distribution with Table 1's mean and SD (positive, right-skewed like paediatric series).
3. **Institution**: development (train/test) Tiantan 70 %, Puren 30 %; validation Tiantan 40 %, Puren 25 %, Shijian
   20 %, Sanbo 15 % (allocated counts). Normal controls: ``WYLF`` (the public "Wild Young Labeled Faces" set).
4. **HPT-axis damage** (latent): complete / incomplete / none with counts allocated from the proportions
   iGCT 37:54:39 (the paper's validation iGCTs, exact at scale 1, used for every split) and other midline tumours
   8 % / 27 % / 65 % (chosen: iGCTs are more damaged on average). The manifest's ``hpt_damage`` is this level.
5. **Axis deficits** ``axis_thyroid, axis_gh, axis_adrenal, axis_gonadal`` in [0, 1]: complete -> every axis
   impaired ~ Beta(9, 2) in iGCTs, Beta(3, 7) in other tumours; incomplete -> 1 to 3 axes (uniform) impaired
   ~ Beta(6, 3.5) / Beta(2.5, 7), the rest spared ~ Beta(2, 10) (a small subclinical deficit from compression);
   none -> all spared. The iGCT-vs-other gap in severity widens with the damage level, so separation within a
   stratum runs complete > incomplete > none (the ordering of the paper's Table 3). ``endocrine_damage`` = mean of
   the four axes. Normal controls: 0.
6. **Shared latent causes** (a Gaussian copula over the Table 1 margins). Table 1 fixes each variable's margin
   within a split x group cell, not how the variables go together; drawn independently, their small differences add
   up and the paper's seven-variable regression reached AUC 0.84 on the test split (paper: 0.612). In patients the
   variables share causes, so their information overlaps. Every symptom and endocrine indicator ``j`` has a
   standard-normal latent ``z_j = a_j * D + b_j * N + u_j * e_j`` with two factors, uncorrelated within a cell
   (``factor_correlation`` 0):

   * ``D``, **endocrine damage**: the rank-based normal score of ``endocrine_damage`` within the cell. It drives
     the faces (:mod:`gvisage_lib.twin.phenotype`) and the planted endocrine signs.
   * ``N``, **neurological burden** (``neuro_burden`` in truth.csv): mass effect and hypothalamic involvement,
     drawn standard normal; it does not reach the face.

   ``u_j = sqrt(1 - a_j**2 - b_j**2)`` and ``e_j`` is the variable's own noise; :func:`factor_loadings` lists every
   loading and ``twin_parameters.json`` ("dependence") documents each. The chosen loadings:

   * the neurological symptoms carry N almost alone: limb movement disorder (D -0.1, N 0.95), diabetes insipidus
     (0, 0.95), affective disturbance (-0.15, 0.95), convulsive seizure (-0.15, 0.95), so among patients of one
     group they come together (latent correlations about 0.9); intracranial hypertension and vision change N 0.3;
   * TSH (D 0.25, N -0.95) and GH (D -0.25, N -0.95): central hypothyroidism and GH deficiency of hypothalamic
     origin go with the neurological burden, so the two hormones of the paper's model overlap with its symptoms;
   * sexual abnormality (D 0.5, N -0.3, plus 0.7 latent SD for a boy with hCG-driven precocious puberty); growth
     retardation D 0.6; abnormal feeding and sleep-wake abnormality D 0.3, N 0.5;
   * the planted endocrine signs (paper's Fig 5A): FT3, TT4, FT4, estradiol, prolactin D -0.85, IGFBP-3 D +0.85,
     TSH D +0.25, GH D -0.25 (:func:`planted_endocrine_loadings`); ACTH, cortisol, TT3, IGF-1, FSH, LH,
     testosterone and progesterone load on neither factor.

   With these, the paper's seven-variable regression fitted on the training split has AUC about 0.65 on test and
   validation (median over seeds 11-30: 0.650 and 0.658; paper 0.612 and 0.632). The planted relations hold WITHIN
   each split x group; a correlation pooled over iGCT and other tumours also carries Table 1's between-group
   differences (e.g. TSH is lower in iGCTs although it rises with damage).
7. **Endocrine indicators** (16): gamma margin with the paper's group mean ``m`` and coefficient of variation
   ``cv`` (shape ``1 / cv**2``, scale ``m * cv**2``), reached as the gamma quantile of the latent ``z_j`` (so the
   cell mean is ``m``; gamma rather than lognormal because its lighter right tail keeps the sample means of ~100
   patients close to normal). Values are floored at a detection limit of 0.5 % of the group mean.
   TT3/TT4 (not in Table 1): means iGCT 110 / other 116 ng/dL and 7.2 / 7.6 µg/dL, CV 0.35, every split.
   CVs (:func:`gvisage_lib.twin.parameters.effective_dispersions`): the larger of a CV chosen from paediatric
   reference ranges (ACTH 0.6, cortisol 0.5, TSH 0.8, FT3 0.35, FT4 0.3, GH 1.0, IGF-1 0.5, IGFBP-3 0.35, FSH 0.9,
   LH 1.0, testosterone 1.0, estradiol 0.9, progesterone 0.9, prolactin 0.8, duration 0.8) and the CV that the
   paper's own Table 1 P values imply, capped at 2.0; BMI keeps 0.18.
8. **hCG-driven precocious puberty** (truth only): boys with iGCT, 40 % on average, more likely when younger
   (log-odds -0.8 per SD of age); such tumours are NGGCT with probability 0.5 (otherwise 0.32).
   **Symptoms** (0/1): the binary margin of the copula with the count allocated exactly, like sex and site: in a
   cell of ``n`` with Table 1 percentage ``p``, the ``round(p * n)`` subjects with the largest latent ``z_j`` have
   the symptom. Growth retardation has Table 1 values for the training split only; test and validation use the
   training value of the same group.
9. **Tumour type** given site: iGCT germinoma / NGGCT; other: sellar craniopharyngioma 55 %, pituitary adenoma 30 %,
   glioma 15 %; pineal parenchymal tumour 50 %, glioma 35 %, meningioma 15 %; fourth ventricle medulloblastoma 55 %,
   ependymoma 45 %.

Normal controls: sex allocated from the pooled tumour proportion of the same split; age = the age of a random tumour
subject of the same split and sex plus N(0, 0.5²) years (reflected at 0.5), so age and sex are matched. Their
clinical columns are empty.

Subject ids (``GV0001`` ...) are assigned in a random order, so an id reveals nothing about the group. Floats are
rounded (age 2, duration 1, BMI 2, hormones 4 significant decimals, truth 4 decimals), so written files are
byte-identical for a seed.

Examples
--------
>>> manifest, truth = generate_tabular(seed=1, scale=0.1)
>>> manifest.groupby("split").size().to_dict()
{'test': 21, 'train': 85, 'validation': 34}
>>> list(truth.columns) == list(TRUTH_COLUMNS)
True
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from gvisage_lib import paper
from gvisage_lib.core import schema
from gvisage_lib.core.validation import check_int
from gvisage_lib.twin.parameters import effective_dispersions, group_sizes, twin_parameters

#: Columns of truth.csv, in order.
TRUTH_COLUMNS: tuple[str, ...] = (
    "subject_id", "group", "split", "sex", "age_years", "hpt_damage",
    "axis_thyroid", "axis_gh", "axis_adrenal", "axis_gonadal",
    "hcg_precocious_puberty", "endocrine_damage", "neuro_burden",
    "intracranial_hypertension", "vision_change", "growth_retardation",
)

#: The shared latent causes of the clinical and endocrine variables (``twin_parameters.json``, "dependence").
FACTORS: tuple[str, ...] = ("damage", "neuro")

AXES: tuple[str, ...] = ("axis_thyroid", "axis_gh", "axis_adrenal", "axis_gonadal")

#: Decimals used when rounding generated values (so CSV output is byte-stable).
DECIMALS: dict[str, int] = {"age_years": 2, "duration_months": 1, "bmi": 2,
                            **{c: 4 for c in schema.ENDOCRINE_COLUMNS}}
TRUTH_DECIMALS = 4
#: Lower detection limit of the continuous clinical variables, as a fraction of the group mean.
DETECTION_LIMIT_FRACTION = 0.005


def factor_loadings() -> pd.DataFrame:
    """Loading of every symptom and endocrine indicator on the twin's two latent causes (a fresh copy).

    Rows are :data:`schema.SYMPTOM_COLUMNS` then :data:`schema.ENDOCRINE_COLUMNS`; columns :data:`FACTORS` and
    ``unique`` (the standard deviation of the variable's own noise, so that its latent has variance 1 given the
    factor correlation). See the module docstring for what they mean.

    Examples
    --------
    >>> f = factor_loadings()
    >>> f.loc["convulsive_seizure", "neuro"], f.loc["ft4", "damage"]
    (np.float64(0.95), np.float64(-0.85))
    >>> bool((f["unique"] > 0).all())
    True
    """
    dep = twin_parameters()["dependence"]
    rho = float(dep["factor_correlation"])
    rows = {}
    for col in (*schema.SYMPTOM_COLUMNS, *schema.ENDOCRINE_COLUMNS):
        ld = dep["loadings"].get(col, {})
        unknown = set(ld) - set(FACTORS)
        if unknown:
            raise ValueError(f"twin_parameters.json dependence.loadings[{col!r}] "
                             f"names unknown factor(s) {sorted(unknown)}")
        a, b = float(ld.get("damage", 0.0)), float(ld.get("neuro", 0.0))
        explained = a * a + b * b + 2.0 * a * b * rho
        if not 0.0 <= explained < 1.0:
            raise ValueError(f"twin_parameters.json dependence.loadings[{col!r}] = {ld!r} "
                             f"explain {explained:.3f} of the latent variance; it must be in [0, 1)")
        rows[col] = {"damage": a, "neuro": b, "unique": math.sqrt(1.0 - explained)}
    return pd.DataFrame.from_dict(rows, orient="index")


def planted_endocrine_loadings() -> pd.Series:
    """Signed loading of each endocrine indicator on ``endocrine_damage`` (0 = no planted relation).

    The loading is the indicator's coefficient on the damage factor, the normal score of ``endocrine_damage``
    within a split x group cell (see the module docstring); because the factors are uncorrelated it is also the
    correlation of the indicator's latent with that score.

    Examples
    --------
    >>> l = planted_endocrine_loadings()
    >>> l["tsh"] > 0, l["gh"] < 0, l["acth"] == 0
    (np.True_, np.True_, np.True_)
    >>> list(l.index) == list(schema.ENDOCRINE_COLUMNS)
    True
    """
    return factor_loadings().loc[list(schema.ENDOCRINE_COLUMNS), "damage"].rename("loading").astype(float)


# ---------------------------------------------------------------------------------------------------------------------
# helpers


def _allocate(n: int, weights: list[float] | np.ndarray) -> np.ndarray:
    """Integer counts summing to ``n`` proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    raw = w * n
    counts = np.floor(raw).astype(int)
    rest = n - counts.sum()
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


def _shuffled(rng: np.random.Generator, labels: list[str] | tuple[str, ...], counts: np.ndarray) -> np.ndarray:
    out = np.repeat(np.asarray(labels, dtype=object), counts)
    rng.shuffle(out)
    return out


def _normal_scores(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rank-based normal scores (Blom-like ``(r - 0.5) / n``), ties broken at random."""
    n = len(x)
    if n == 0:
        return np.zeros(0)
    order = np.lexsort((rng.random(n), x))
    ranks = np.empty(n)
    ranks[order] = np.arange(1, n + 1)
    return stats.norm.ppf((ranks - 0.5) / n)


def _calibrated_bernoulli(rng: np.random.Generator, target: float, linpred: np.ndarray) -> np.ndarray:
    """0/1 draws with ``P = expit(a + linpred)``, ``a`` solved so that ``mean(P) == target``."""
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target proportion must be in [0, 1], got {target!r}")
    if target in (0.0, 1.0) or len(linpred) == 0:
        return np.full(len(linpred), int(target), dtype=int)
    if np.allclose(linpred, 0.0):
        p = np.full(len(linpred), target)
    else:
        a = optimize.brentq(lambda a: special.expit(a + linpred).mean() - target, -40.0, 40.0, xtol=1e-10)
        p = special.expit(a + linpred)
    return (rng.random(len(linpred)) < p).astype(int)


def _latent_part(col: str, damage: np.ndarray, neuro: np.ndarray, dep: dict) -> tuple[np.ndarray, float]:
    """Factor part ``eta`` of a variable's standard-normal latent and the SD of its own noise."""
    ld = dep["loadings"].get(col, {})
    a, b = float(ld.get("damage", 0.0)), float(ld.get("neuro", 0.0))
    rho = float(dep["factor_correlation"])
    return a * damage + b * neuro, math.sqrt(1.0 - (a * a + b * b + 2.0 * a * b * rho))


def _allocated_binary(rng: np.random.Generator, target: float, eta: np.ndarray, psi: float) -> np.ndarray:
    """0/1 values with exactly ``round(target * n)`` ones: the subjects with the largest latent ``eta + psi * e``.

    This is the binary margin of the Gaussian copula with the count allocated exactly (as sex, tumour site and HPT
    level are), so a cell's percentage is Table 1's up to rounding and only the dependence is random.
    """
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target proportion must be in [0, 1], got {target!r}")
    n = len(eta)
    k = int(math.floor(target * n + 0.5))
    out = np.zeros(n, dtype=int)
    if k == 0:
        return out
    z = eta + psi * rng.standard_normal(n)
    out[np.argsort(-z, kind="stable")[:k]] = 1
    return out


def _gamma_from_latent(mean: float, cv: float, z: np.ndarray) -> np.ndarray:
    """Gamma(shape 1/cv², mean ``mean``) quantile of the standard-normal latent ``z`` (rank-preserving).

    Values are floored at a detection limit of 0.5 % of the mean (keeps them positive after rounding).
    """
    k = 1.0 / (cv * cv)
    x = special.gammaincinv(k, special.ndtr(z)) * mean / k
    return np.maximum(x, DETECTION_LIMIT_FRACTION * mean)


class _Targets:
    """Lookup of the paper's values for one split x group."""

    def __init__(self) -> None:
        t = paper.table1()
        self._d = {(r.split, r.group, r.variable, r.statistic, r.level): float(r.value) for r in t.itertuples()}

    def value(self, split: str, group: str, variable: str, statistic: str, level: str = "") -> float | None:
        return self._d.get((split, group, variable, statistic, level))

    def counts(self, split: str, group: str, variable: str, levels: tuple[str, ...]) -> np.ndarray:
        return np.array([self.value(split, group, variable, "count", lev) for lev in levels], dtype=float)


# ---------------------------------------------------------------------------------------------------------------------
# generator


def _axis_damage(rng: np.random.Generator, hpt: np.ndarray, beta: dict) -> np.ndarray:
    """Impairment in [0, 1] of each pituitary axis (columns :data:`AXES`) of each subject, given its HPT-damage
    level: every axis impaired when complete, 1 to 3 random axes when incomplete, none otherwise; an impaired axis
    draws from the group's ``impaired_*`` beta distribution, a spared one from ``spared``.

    Examples
    --------
    >>> b = {"impaired_complete": (8, 2), "impaired_incomplete": (6, 3), "spared": (2, 8)}
    >>> _axis_damage(np.random.default_rng(0), np.array(["complete", "none"]), b).shape == (2, len(AXES))
    True
    """
    axes = np.empty((len(hpt), len(AXES)))
    for i, level in enumerate(hpt):
        if level == "complete":
            impaired = np.ones(len(AXES), dtype=bool)
            a_imp = beta["impaired_complete"]
        elif level == "incomplete":
            k = int(rng.integers(1, len(AXES)))  # 1..3 impaired axes
            impaired = np.zeros(len(AXES), dtype=bool)
            impaired[rng.choice(len(AXES), size=k, replace=False)] = True
            a_imp = beta["impaired_incomplete"]
        else:
            impaired = np.zeros(len(AXES), dtype=bool)
            a_imp = beta["impaired_complete"]
        imp_draw = rng.beta(a_imp[0], a_imp[1], size=len(AXES))
        spare_draw = rng.beta(beta["spared"][0], beta["spared"][1], size=len(AXES))
        axes[i] = np.where(impaired, imp_draw, spare_draw)
    return axes


def _tumour_types(rng: np.random.Generator, group: str, tumor_site: np.ndarray, hcg: np.ndarray,
                  tt: dict) -> np.ndarray:
    """Histology of each tumour: for iGCTs NGGCT or germinoma (NGGCT more often with hCG-driven precocious
    puberty), for other midline tumours a type drawn from the site's distribution (``tumour_types`` parameters).

    Examples
    --------
    >>> tt = {"iGCT": {"nggct": 0.0, "nggct_given_hcg": 1.0}}
    >>> _tumour_types(np.random.default_rng(0), "iGCT", np.array(["x", "x"]), np.array([1, 0]), tt).tolist()
    ['NGGCT', 'germinoma']
    """
    n = len(tumor_site)
    if group == "iGCT":
        p_nggct = np.where(hcg == 1, tt["iGCT"]["nggct_given_hcg"], tt["iGCT"]["nggct"])
        return np.where(rng.random(n) < p_nggct, "NGGCT", "germinoma").astype(object)
    tumor_type = np.empty(n, dtype=object)
    for ts in schema.TUMOR_SITES:
        idx = np.flatnonzero(tumor_site == ts)
        types = tt["other"][ts]
        tumor_type[idx] = rng.choice(list(types), size=len(idx), p=np.array(list(types.values())))
    return tumor_type


def _tumour_cell(rng: np.random.Generator, split: str, group: str, n: int, tg: _Targets,
                 params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    sex = _shuffled(rng, schema.SEXES, _allocate(n, tg.counts(split, group, "sex", schema.SEXES)))
    mean_age = tg.value(split, group, "age_years", "mean")
    sd_age = tg.value(split, group, "age_years", "sd")
    shape = (mean_age / sd_age) ** 2
    age = rng.gamma(shape, sd_age**2 / mean_age, size=n)
    site_counts = _allocate(n, tg.counts(split, group, "tumor_site", schema.TUMOR_SITES))
    tumor_site = _shuffled(rng, schema.TUMOR_SITES, site_counts)
    inst = params["institutions"]["development" if split in ("train", "test") else "validation"]
    site = _shuffled(rng, list(inst), _allocate(n, list(inst.values())))

    hp = params["hpt_damage"]
    prop = hp["proportions"][group]
    hpt = _shuffled(rng, schema.HPT_LEVELS, _allocate(n, [prop[lev] for lev in schema.HPT_LEVELS]))
    beta = {k: v[group] for k, v in hp["axis_beta"].items() if not k.startswith("_")}
    axes = _axis_damage(rng, hpt, beta)
    damage = axes.mean(axis=1)
    s = _normal_scores(damage, rng)

    # hCG-driven precocious puberty: iGCT boys only, younger boys more often.
    hcg = np.zeros(n, dtype=int)
    boys = sex == "M"
    if group == "iGCT" and boys.any():
        hc = params["hcg_precocious_puberty"]
        age_z = (age[boys] - age[boys].mean()) / (age[boys].std() or 1.0)
        hcg[boys] = _calibrated_bernoulli(rng, hc["share"], hc["age_slope"] * age_z)

    tumor_type = _tumour_types(rng, group, tumor_site, hcg, params["tumour_types"])

    disp = effective_dispersions()
    extra = params["not_in_table1"]
    dep = params["dependence"]
    rho = float(dep["factor_correlation"])
    neuro = rho * s + math.sqrt(1.0 - rho * rho) * rng.standard_normal(n)
    rows: dict[str, object] = {
        "group": group, "split": split, "site": site, "sex": sex, "age_years": age,
        "tumor_site": tumor_site, "tumor_type": tumor_type,
        "duration_months": _gamma_from_latent(tg.value(split, group, "duration_months", "mean"),
                                              disp["duration_months"], rng.standard_normal(n)),
        "bmi": _gamma_from_latent(tg.value(split, group, "bmi", "mean"), disp["bmi"], rng.standard_normal(n)),
    }
    for col in schema.SYMPTOM_COLUMNS:
        pct = tg.value(split, group, col, "percent", "1")
        if pct is None:  # growth_retardation outside the training split
            pct = tg.value(extra["growth_retardation_from_split"], group, col, "percent", "1")
        eta, psi = _latent_part(col, s, neuro, dep)
        if col == "sexual_abnormality":
            eta = eta + float(dep["hcg_on_sexual_abnormality"]) * hcg
        rows[col] = _allocated_binary(rng, pct / 100.0, eta, psi)
    for col in schema.ENDOCRINE_COLUMNS:
        mean = tg.value(split, group, col, "mean")
        if mean is None:
            mean = float(extra[col][group])
        eta, psi = _latent_part(col, s, neuro, dep)
        rows[col] = _gamma_from_latent(mean, disp[col], eta + psi * rng.standard_normal(n))
    rows["hpt_damage"] = hpt
    manifest = pd.DataFrame(rows)
    truth = pd.DataFrame({
        "group": group, "split": split, "sex": sex, "age_years": age, "hpt_damage": hpt,
        **{a: axes[:, j] for j, a in enumerate(AXES)},
        "hcg_precocious_puberty": hcg, "endocrine_damage": damage, "neuro_burden": neuro,
    })
    return manifest, truth


def _nc_cell(rng: np.random.Generator, split: str, n: int, tumours: pd.DataFrame, params: dict) -> pd.DataFrame:
    tum = tumours[tumours.split == split]
    p_f = float((tum.sex == "F").mean())
    sex = _shuffled(rng, schema.SEXES, _allocate(n, [p_f, 1.0 - p_f]))
    age = np.empty(n)
    jitter = float(params["nc_age_jitter_years"])
    for sx in schema.SEXES:
        idx = np.flatnonzero(sex == sx)
        pool = tum.age_years[tum.sex == sx].to_numpy()
        if len(pool) == 0:
            pool = tum.age_years.to_numpy()
        a = rng.choice(pool, size=len(idx), replace=True) + rng.normal(0.0, jitter, size=len(idx))
        age[idx] = np.where(a < 0.5, 1.0 - a, a)  # reflect at 0.5 years
    return pd.DataFrame({"group": "NC", "split": split, "site": params["institutions"]["nc_site"],
                         "sex": sex, "age_years": age})


def generate_tabular(seed: int, scale: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the twin's manifest (photo columns empty) and its latent ground truth.

    Parameters
    ----------
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical frames.
    scale : float, default 1.0
        Multiplier of the paper's group sizes (:func:`gvisage_lib.twin.parameters.group_sizes`).

    Returns
    -------
    manifest : pandas.DataFrame
        Columns :data:`schema.MANIFEST_COLUMNS`; photo columns are empty strings, clinical columns of normal
        controls are NaN. Sorted by ``subject_id``.
    truth : pandas.DataFrame
        Columns :data:`TRUTH_COLUMNS` in the same row order (``hpt_damage`` = ``"none"`` and deficits 0 for NC).

    Examples
    --------
    >>> m, t = generate_tabular(seed=7, scale=0.2)
    >>> (m.subject_id == t.subject_id).all()
    np.True_
    >>> m.loc[m.group == "NC", "tsh"].isna().all()
    np.True_
    >>> sorted(m.loc[m.group != "NC", "hpt_damage"].unique())
    ['complete', 'incomplete', 'none']
    """
    check_int("seed", seed)
    sizes = group_sizes(scale)
    rng = np.random.default_rng(int(seed))
    params = twin_parameters()
    tg = _Targets()
    man_parts, truth_parts = [], []
    for split in schema.SPLITS:
        for group in schema.TUMOUR_GROUPS:
            m, t = _tumour_cell(rng, split, group, int(sizes.loc[(split, group)]), tg, params)
            man_parts.append(m)
            truth_parts.append(t)
    tumours_m = pd.concat(man_parts, ignore_index=True)
    tumours_t = pd.concat(truth_parts, ignore_index=True)
    nc = pd.concat([_nc_cell(rng, s, int(sizes.loc[(s, "NC")]), tumours_m, params) for s in schema.SPLITS],
                   ignore_index=True)
    manifest = pd.concat([tumours_m, nc], ignore_index=True)
    nc_truth = nc[["group", "split", "sex", "age_years"]].assign(
        hpt_damage="none", **{a: 0.0 for a in AXES}, hcg_precocious_puberty=0, endocrine_damage=0.0,
        neuro_burden=0.0)
    truth = pd.concat([tumours_t, nc_truth], ignore_index=True)

    # pseudonymous ids in random order
    n = len(manifest)
    width = max(4, len(str(n)))
    ids = np.array([f"GV{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    perm = rng.permutation(n)
    manifest.insert(0, "subject_id", ids[perm])
    truth.insert(0, "subject_id", ids[perm])
    for col in schema.PHOTO_COLUMNS:
        manifest[col] = ""
    manifest = manifest.reindex(columns=list(schema.MANIFEST_COLUMNS))
    for col in ("intracranial_hypertension", "vision_change", "growth_retardation"):
        truth[col] = manifest[col].fillna(0).astype(int)
    for col in schema.SYMPTOM_COLUMNS:
        manifest[col] = manifest[col].astype(float)
    for col in ("tumor_site", "tumor_type", "hpt_damage"):
        manifest[col] = manifest[col].astype(object).where(manifest[col].notna(), np.nan)
    for col, dec in DECIMALS.items():
        manifest[col] = manifest[col].astype(float).round(dec)
    truth["age_years"] = manifest["age_years"]
    for col in (*AXES, "endocrine_damage", "neuro_burden"):
        truth[col] = truth[col].astype(float).round(TRUTH_DECIMALS)
    truth["hcg_precocious_puberty"] = truth["hcg_precocious_puberty"].astype(int)
    truth = truth.reindex(columns=list(TRUTH_COLUMNS))
    order = np.argsort(manifest.subject_id.to_numpy(), kind="stable")
    return manifest.iloc[order].reset_index(drop=True), truth.iloc[order].reset_index(drop=True)
