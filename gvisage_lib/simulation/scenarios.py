"""The simulation's scenarios: one replicate draws the twin's cohort, simulates CNN scores and runs the analyses.

A replicate is one study as the paper ran it, at the paper's split sizes, with the CNN replaced by a score whose AUC
is known. It draws the twin's tabular cohort (:func:`gvisage_lib.twin.generate_tabular`, scale 1: 358/189 training,
79/63 test and 130/106 validation iGCTs/other midline tumours), keeps the stage-2 subjects (tumours), simulates the
scores (:func:`simulate_scores`) and runs the library's own analyses on them:

* **nested models** (:class:`NestedComparison`): the clinical logistic regression on the paper's seven variables
  (:data:`gvisage_lib.paper.CLINICAL_MODEL`) and the hybrid (the same plus the logit of the score) fitted on the
  training split, compared by the paired DeLong test on the training split (the models' own data: Demler, Pencina &
  D'Agostino 2012's setting) and on the validation split (the paper's), by the likelihood-ratio test of the added
  term (training split) and by the stratified bootstrap CI of ΔAUC on the validation split (models held fixed),
  exactly as :func:`gvisage_lib.clinical.compare_models` does;
* **intervals at thresholds** (:func:`interval_coverage`): the DeLong CI of the score's AUC on the test and
  validation splits and in each HPT stratum of the validation split (Table 3), and the Clopper-Pearson CIs of
  sensitivity and specificity at the Youden threshold picked on the training split, evaluated on the training split
  itself (the same data), on the validation split (held out, the paper's design), and at a threshold picked and
  evaluated on the test split (what a profile fitting thresholds on the test split reports as in-sample);
* **strata** (:func:`strata_test_pvalues`): the paper's Friedman test of Table 3 (metrics as blocks) and the tests
  of independent AUCs (chi-square heterogeneity, trend), from :func:`gvisage_lib.endocrine.strata_metrics` and
  :func:`gvisage_lib.endocrine.strata_tests` at the training split's threshold.

Scores with a controlled AUC
----------------------------
A subject's score is ``expit(L)`` with ``L = mu * y + rho * w + sqrt(1 - rho**2) * e``: ``y`` = 1 for an iGCT,
``e`` standard normal noise, ``w`` the subject's latent endocrine damage as a standard normal deviate **within its
tumour group and HPT stratum** (``w = Phi^-1(F(damage))``, ``F`` the twin's own distribution of ``endocrine_damage``
in that group and stratum, read from a reference twin of :data:`REFERENCE_SCALE` times the paper's size,
:func:`damage_deviates`). Given ``y``, ``L`` is then N(mu y, 1) in every stratum, so the score's AUC is
``Phi(mu / sqrt(2))`` exactly, in the whole split and in every stratum (binormal, equal variances), whatever ``rho``,
and ``mu = sqrt(2) Phi^-1(AUC)``. ``rho`` (``latent_share``, default 0.5) ties the score to the latent damage that
the twin's faces show, and through it to the clinical and endocrine variables that load on damage
(:mod:`gvisage_lib.twin.tabular`). A stratum-specific AUC uses a stratum-specific ``mu``. The true sensitivity and
specificity of a threshold ``t`` on the score are ``1 - Phi(logit t - mu)`` and ``Phi(logit t)``
(:func:`true_sensitivity`, :func:`true_specificity`).

**No information** (the null of the nested comparison): ``mu = 0`` and ``rho = 0``, i.e. pure noise, independent of
the label, the latent state and every clinical variable; then the hybrid's added term has coefficient 0. (A score
tied to the latent damage would not do: damage drives the clinical variables, so given them it would tell iGCT from
other tumours.)

Every replicate yields records ``table, scenario, test, nominal, outcome, p_value, estimate, truth``
(:data:`RECORD_COLUMNS`): ``outcome`` is 1 when a test rejects (for the bootstrap: when its CI excludes 0) or, in
the coverage table, when the interval covers the truth; NaN when the analysis could not be run (a stratum with one
class at a small ``scale``). The nested comparison has two rows per AUC test (:func:`nested_decisions`): the
two-sided test at ``alpha`` and the claim the paper makes, "the hybrid is significantly better" (two-sided P <
``alpha`` with ΔAUC > 0, i.e. one-sided at ``alpha / 2``, the row's ``nominal``). Under the null a useless term fitted
by maximum likelihood usually lowers the AUC a little, so the two differ: two-sided rejections say "worse" there.

Examples
--------
>>> round(binormal_mu(0.76), 4)
0.9989
>>> recs = simulate_replicate(0, 1, SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5))
>>> [r["test"] for r in recs] == list(NESTED_ROWS)
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from gvisage_lib import paper
from gvisage_lib.clinical.hybrid import CNN_TERM, likelihood_ratio_test, logit
from gvisage_lib.clinical.logistic import SeparationError, design_matrix, fit_logistic, linear_predictor
from gvisage_lib.core import schema
from gvisage_lib.core.validation import check_int
from gvisage_lib.endocrine.strata import strata_metrics, strata_tests
from gvisage_lib.stats import (
    batched_auc_ranks,
    bootstrap_ci,
    choose_threshold,
    delong_test,
    dense_ranks,
    diagnostic_metrics,
    roc_auc_delong,
)
from gvisage_lib.twin import generate_tabular

__all__ = [
    "RECORD_COLUMNS",
    "REFERENCE_SCALE",
    "REFERENCE_SEED",
    "STRATA_TESTS",
    "TABLES",
    "NestedComparison",
    "ReplicateSeeds",
    "SimulationSettings",
    "binormal_mu",
    "damage_deviates",
    "interval_coverage",
    "nested_decisions",
    "records_frame",
    "replicate_seeds",
    "simulate_replicate",
    "simulate_scores",
    "stage2_cohort",
    "strata_test_pvalues",
    "training_threshold",
    "true_sensitivity",
    "true_specificity",
    "validation_strata",
]

#: The four tables (and scenarios) of the simulation, in order.
TABLES: tuple[str, ...] = ("simulation_type1_nested", "simulation_coverage", "simulation_type1_strata",
                           "simulation_power")
#: Columns of one replicate's records.
RECORD_COLUMNS: tuple[str, ...] = ("table", "scenario", "test", "nominal", "outcome", "p_value", "estimate", "truth")
#: Size (times the paper's) and seed of the reference twin that gives the distribution of damage per stratum.
REFERENCE_SCALE = 10.0
REFERENCE_SEED = 20250130

#: Names of the tests of the nested comparison (hybrid vs clinical model).
DELONG_TRAIN = "DeLong (paired), training split (the models' own data)"
DELONG_VALIDATION = "DeLong (paired), validation split"
LRT_TRAIN = "likelihood-ratio test of the added score, training split"
BOOTSTRAP_VALIDATION = "bootstrap 95% CI of ΔAUC excludes 0, validation split"
#: The four analyses of :meth:`NestedComparison.test`.
NESTED_TESTS: tuple[str, ...] = (DELONG_TRAIN, DELONG_VALIDATION, LRT_TRAIN, BOOTSTRAP_VALIDATION)
#: The claim the paper makes, "the hybrid is significantly better": two-sided P < alpha with ΔAUC > 0 (DeLong; the
#: one-sided test at alpha / 2), or the bootstrap CI above 0.
BETTER = ": hybrid significantly better (ΔAUC > 0)"
BOOTSTRAP_VALIDATION_BETTER = "bootstrap 95% CI of ΔAUC above 0, validation split"
#: The rows of the nested comparison in the tables, in order (:func:`nested_decisions`).
NESTED_ROWS: tuple[str, ...] = (DELONG_TRAIN, DELONG_TRAIN + BETTER, DELONG_VALIDATION, DELONG_VALIDATION + BETTER,
                                LRT_TRAIN, BOOTSTRAP_VALIDATION, BOOTSTRAP_VALIDATION_BETTER)


def _paper_cnn_auc() -> float:
    t = paper.table2()
    row = t[(t.model == "GVisageNet") & (t.stage == 2) & (t.split == "validation") & (t.metric == "auc")]
    return float(row["estimate"].iloc[0])


def _paper_strata_aucs() -> tuple[tuple[str, float], ...]:
    t3 = paper.table3()
    return tuple((str(s), float(a)) for s, a in zip(t3["stratum"], t3["auc_text"], strict=True))


def _check_auc(v: Any, name: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in (0, 1), got {v!r}") from None
    if not 0.0 < f < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {v!r}")
    return f


@dataclass(frozen=True)
class SimulationSettings:
    """What one replicate simulates and tests (the defaults are the paper's numbers; see the module docstring).

    Parameters
    ----------
    alpha : float
        Level of every test (the nominal rejection rate under the null).
    level : float
        Confidence level of every interval (the nominal coverage).
    cnn_auc : float
        AUC of the simulated CNN score in the coverage and strata scenarios (default: the paper's GVisageNet
        stage-2 validation AUC, 0.739); the strata share it under the null of the strata tests.
    nested_effect_aucs : tuple of float
        AUCs of the added score in the power scenarios of the nested comparison.
    strata_aucs : tuple of (str, float)
        AUC of the score per HPT stratum in the power scenario of the strata tests (default: the paper's Table 3,
        0.678 / 0.575 / 0.517 as its text gives them).
    latent_share : float
        ``rho``, the weight of the latent damage in the informative scores, in [0, 1).
    n_boot : int
        Resamples of the bootstrap of ΔAUC (at least 100, as :func:`gvisage_lib.clinical.compare_models`).
    threshold_rule : str
        Operating point picked on the training split (:func:`gvisage_lib.stats.choose_threshold`).
    scale : float
        Multiplier of the paper's group sizes (1 = the paper's; smaller only for tests).
    tables : tuple of str
        The tables (scenarios) to simulate, among :data:`TABLES` (default: all four).

    Examples
    --------
    >>> SimulationSettings().cnn_auc, dict(SimulationSettings().strata_aucs)["complete"]
    (0.739, 0.678)
    >>> SimulationSettings(alpha=0)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be in (0, 1), got 0
    """

    alpha: float = 0.05
    level: float = 0.95
    cnn_auc: float = field(default_factory=_paper_cnn_auc)
    nested_effect_aucs: tuple[float, ...] = (0.60, 0.70)
    strata_aucs: tuple[tuple[str, float], ...] = field(default_factory=_paper_strata_aucs)
    latent_share: float = 0.5
    n_boot: int = 500
    threshold_rule: str = "youden"
    scale: float = 1.0
    tables: tuple[str, ...] = TABLES

    def __post_init__(self) -> None:
        for name in ("alpha", "level"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 < v < 1.0:
                raise ValueError(f"{name} must be in (0, 1), got {v!r}")
        _check_auc(self.cnn_auc, "cnn_auc")
        object.__setattr__(self, "nested_effect_aucs", tuple(float(a) for a in self.nested_effect_aucs))
        for a in self.nested_effect_aucs:
            _check_auc(a, "nested_effect_aucs")
        strata = tuple((str(s), float(a)) for s, a in self.strata_aucs)
        if sorted(s for s, _ in strata) != sorted(schema.HPT_LEVELS):
            raise ValueError(f"strata_aucs must give one AUC for each of {list(schema.HPT_LEVELS)}, "
                             f"got {[s for s, _ in strata]}")
        for s, a in strata:
            _check_auc(a, f"strata_aucs[{s!r}]")
        object.__setattr__(self, "strata_aucs", strata)
        if isinstance(self.latent_share, bool) or not 0.0 <= float(self.latent_share) < 1.0:
            raise ValueError(f"latent_share must be in [0, 1), got {self.latent_share!r}")
        check_int("n_boot", self.n_boot, minimum=100)
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, float)) or not 0 < self.scale <= 5:
            raise ValueError(f"scale must be in (0, 5], got {self.scale!r}")
        tables = tuple(self.tables)
        if not tables or set(tables) - set(TABLES):
            raise ValueError(f"tables must name one or more of {list(TABLES)}, got {list(tables)}")
        object.__setattr__(self, "tables", tuple(t for t in TABLES if t in tables))

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (for ``simulation.json``)."""
        d = asdict(self)
        d["nested_effect_aucs"] = list(self.nested_effect_aucs)
        d["strata_aucs"] = dict(self.strata_aucs)
        d["tables"] = list(self.tables)
        return d


def binormal_mu(auc: float | np.ndarray) -> float | np.ndarray:
    """Shift ``mu`` between the classes of a unit-variance binormal score with the given AUC: ``sqrt(2) Phi^-1(AUC)``.

    Examples
    --------
    >>> binormal_mu(0.5)
    0.0
    """
    out = math.sqrt(2.0) * special.ndtri(auc)
    return float(out) if np.ndim(out) == 0 else out


def true_sensitivity(threshold: float, auc: float) -> float:
    """Sensitivity of ``score >= threshold`` for a simulated score of AUC ``auc``: ``1 - Phi(logit t - mu)``.

    Examples
    --------
    >>> true_sensitivity(0.5, 0.5), true_sensitivity(float("-inf"), 0.7)
    (0.5, 1.0)
    """
    t = float(threshold)
    if t <= 0.0:
        return 1.0
    if t >= 1.0:
        return 0.0
    return float(special.ndtr(binormal_mu(auc) - special.logit(t)))


def true_specificity(threshold: float) -> float:
    """Specificity of ``score >= threshold`` for a simulated score (controls' latent is N(0, 1)): ``Phi(logit t)``.

    Examples
    --------
    >>> true_specificity(0.5), true_specificity(float("inf"))
    (0.5, 1.0)
    """
    t = float(threshold)
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return float(special.ndtr(special.logit(t)))


@lru_cache(maxsize=1)
def _damage_reference() -> dict[tuple[str, str], np.ndarray]:
    """Sorted ``endocrine_damage`` of a large reference twin per (group, HPT stratum) (one draw per process)."""
    manifest, truth = generate_tabular(REFERENCE_SEED, REFERENCE_SCALE)
    tum = manifest["group"].isin(schema.TUMOUR_GROUPS).to_numpy()
    g = manifest["group"].to_numpy()[tum]
    h = manifest["hpt_damage"].astype(str).to_numpy()[tum]
    d = truth["endocrine_damage"].to_numpy(float)[tum]
    return {(grp, lv): np.sort(d[(g == grp) & (h == lv)]) for grp in schema.TUMOUR_GROUPS for lv in schema.HPT_LEVELS}


def damage_deviates(frame: pd.DataFrame) -> np.ndarray:
    """The latent damage of each tumour as a standard normal deviate within its group and HPT stratum.

    ``w = Phi^-1(F(endocrine_damage))`` with ``F`` the mid-distribution function of the damage of the same group and
    stratum in a reference twin (:data:`REFERENCE_SCALE` times the paper's size, seed :data:`REFERENCE_SEED`, drawn
    once per process). Within a group and stratum the deviates are independent and standard normal (up to the
    reference's resolution), so they shift no class and no stratum.

    Parameters
    ----------
    frame : DataFrame
        Tumour rows with ``group``, ``hpt_damage`` and ``endocrine_damage``.

    Examples
    --------
    >>> m, t = generate_tabular(seed=3, scale=0.5)  # doctest: +SLOW
    >>> tum = m.assign(endocrine_damage=t.endocrine_damage)[m.group != "NC"]
    >>> w = damage_deviates(tum)
    >>> bool(abs(w.mean()) < 0.2 and 0.8 < w.std() < 1.2)
    True
    """
    ref = _damage_reference()
    g = frame["group"].astype(str).to_numpy()
    h = frame["hpt_damage"].astype(str).to_numpy()
    d = frame["endocrine_damage"].to_numpy(float)
    out = np.full(len(frame), np.nan)
    for (grp, lv), r in ref.items():
        idx = np.flatnonzero((g == grp) & (h == lv))
        if idx.size:
            mid = (np.searchsorted(r, d[idx], "left") + np.searchsorted(r, d[idx], "right")) / 2.0
            out[idx] = special.ndtri(np.clip(mid, 0.5, r.size - 0.5) / r.size)
    if np.isnan(out).any():
        i = int(np.flatnonzero(np.isnan(out))[0])
        raise ValueError(f"frame row {frame.index[i]!r}: group {g[i]!r} / hpt_damage {h[i]!r} is not a tumour group "
                         f"and HPT stratum of the twin")
    return out


def simulate_scores(frame: pd.DataFrame, auc: float | Mapping[str, float], rng: np.random.Generator, *,
                    latent_share: float = 0.5) -> np.ndarray:
    """CNN-like scores in (0, 1) with a controlled AUC for iGCT (``label`` 1) vs other tumours.

    ``expit(mu * y + rho * w + sqrt(1 - rho**2) * e)`` (module docstring), ``mu`` from ``auc`` (one AUC, or one per HPT
    stratum), ``w`` from :func:`damage_deviates` (not needed, and not computed, when ``latent_share`` is 0).

    Examples
    --------
    >>> m, t = generate_tabular(seed=3, scale=1.0)
    >>> tum = m.assign(endocrine_damage=t.endocrine_damage, label=(m.group == "iGCT").astype(int))[m.group != "NC"]
    >>> s = simulate_scores(tum, 0.75, np.random.default_rng(0))
    >>> from gvisage_lib.stats import batched_auc
    >>> bool(abs(batched_auc(tum.label.to_numpy(), s) - 0.75) < 0.05)  # 925 tumours: SE of the AUC about 0.016
    True
    """
    rho = float(latent_share)
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"latent_share must be in [0, 1), got {latent_share!r}")
    y = frame["label"].to_numpy(int)
    if isinstance(auc, Mapping):
        h = frame["hpt_damage"].astype(str)
        unknown = sorted(set(h) - set(auc))
        if unknown:
            raise ValueError(f"auc gives no AUC for stratum(s) {unknown}; it has {sorted(auc)}")
        mu = binormal_mu(np.array([_check_auc(auc[s], f"auc[{s!r}]") for s in h]))
    else:
        mu = binormal_mu(_check_auc(auc, "auc"))
    noise = rng.standard_normal(len(frame))
    latent = mu * y + (rho * damage_deviates(frame) + math.sqrt(1.0 - rho * rho) * noise if rho > 0 else noise)
    return special.expit(latent)


def stage2_cohort(seed: int, scale: float = 1.0) -> pd.DataFrame:
    """The twin's stage-2 subjects (tumours) at ``scale`` times the paper's sizes: manifest columns, ``label``
    (1 = iGCT) and the latent ``endocrine_damage``.

    Examples
    --------
    >>> c = stage2_cohort(1, scale=1.0)
    >>> c.groupby("split").label.agg(["sum", "size"]).values.tolist()
    [[79, 142], [358, 547], [130, 236]]
    """
    manifest, truth = generate_tabular(seed, scale)
    if not (manifest["subject_id"].to_numpy() == truth["subject_id"].to_numpy()).all():
        raise RuntimeError("generate_tabular returned manifest and truth in different row orders")
    keep = manifest["group"].isin(schema.TUMOUR_GROUPS).to_numpy()
    out = manifest.loc[keep].assign(endocrine_damage=truth.loc[keep, "endocrine_damage"].to_numpy(float),
                                    label=(manifest.loc[keep, "group"] == "iGCT").astype(int).to_numpy())
    return out.reset_index(drop=True)


class NestedComparison:
    """Hybrid (clinical variables + logit score) vs clinical model on one cohort: the four tests of
    :data:`NESTED_TESTS` for any number of scores.

    The clinical model (the paper's seven variables) does not depend on the score, so it is fitted once on the
    training split, with its predictions; :meth:`test` fits the hybrid for one score. Maximum likelihood; Firth's
    penalised likelihood for both models when either is separated, as ``fit_models(method="auto")``. The numbers are
    those of :func:`gvisage_lib.clinical.compare_models` on ``fit_models(frame, CLINICAL_MODEL)`` with
    ``eval_splits=("train", "validation")`` (``tests/simulation/test_simulation.py``).

    Examples
    --------
    >>> c = stage2_cohort(2, scale=1.0)
    >>> out = NestedComparison(c).test(simulate_scores(c, 0.5, np.random.default_rng(1), latent_share=0), n_boot=100)
    >>> list(out) == list(NESTED_TESTS)
    True
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.train = frame[frame["split"] == "train"]
        self.validation = frame[frame["split"] == "validation"]
        if self.train.empty or self.validation.empty:
            raise ValueError("frame must hold training and validation rows; splits present: "
                             f"{sorted(frame['split'].unique())}")
        self._train_idx = np.flatnonzero((frame["split"] == "train").to_numpy())
        self._val_idx = np.flatnonzero((frame["split"] == "validation").to_numpy())
        self._clinical: dict[str, Any] = {}

    def _clinical_fit(self, method: str) -> tuple[Any, np.ndarray, np.ndarray]:
        if method not in self._clinical:
            fit = fit_logistic(self.train, "label", list(paper.CLINICAL_MODEL), method=method)
            self._design = (design_matrix(self.train, fit.spec).to_numpy(),
                            design_matrix(self.validation, fit.spec).to_numpy())
            self._clinical[method] = (fit, fit.predict(self.train), fit.predict(self.validation))
        return self._clinical[method]

    def _hybrid_fit(self, train: pd.DataFrame, method: str) -> Any:
        return fit_logistic(train, "label", [*paper.CLINICAL_MODEL, CNN_TERM], kinds={CNN_TERM: "continuous"},
                            method=method)

    def _hybrid_predict(self, hyb: Any, clin: Any, rows: pd.DataFrame, split: int) -> np.ndarray:
        """``hyb.predict(rows)``, from the clinical design of the split computed once: the hybrid's design is the
        clinical model's (same training rows, so the same fill values) plus the CNN term, which is never missing."""
        same = (hyb.spec.columns == [*clin.spec.columns, CNN_TERM]
                and all(hyb.spec.fill[v] == clin.spec.fill[v] for v in paper.CLINICAL_MODEL)
                and not rows[CNN_TERM].isna().any())
        if not same:
            return hyb.predict(rows)
        x = np.column_stack([self._design[split], rows[CNN_TERM].to_numpy(float)])
        return np.asarray(special.expit(linear_predictor(x, hyb.table["coef"].to_numpy())), dtype=float)

    def test(self, score: np.ndarray, *, n_boot: int = 500, boot_seed: int = 0,
             level: float = 0.95) -> dict[str, dict[str, float]]:
        """The four analyses for ``score`` (one value per row of the frame, in its order).

        Returns, per analysis of :data:`NESTED_TESTS`, a dict of ``p_value`` (two-sided; NaN for the bootstrap),
        ``p_greater`` (DeLong's one-sided P of "hybrid better", pROC's ``alternative="greater"``; NaN for the
        others), ``ci_low`` and ``ci_high`` (the CI of ΔAUC; NaN for the LRT) and ``delta_auc`` (hybrid minus
        clinical AUC; NaN for the LRT).
        """
        cnn = logit(np.asarray(score, dtype=float))
        train = self.train.assign(**{CNN_TERM: cnn[self._train_idx]})
        val = self.validation.assign(**{CNN_TERM: cnn[self._val_idx]})
        try:
            clin, c_train, c_val = self._clinical_fit("ml")
            hyb = self._hybrid_fit(train, "ml")
        except SeparationError:
            clin, c_train, c_val = self._clinical_fit("firth")
            hyb = self._hybrid_fit(train, "firth")
        nan = np.nan
        lr = likelihood_ratio_test(hyb, clin)
        out: dict[str, dict[str, float]] = {LRT_TRAIN: {"p_value": lr.p_value, "p_greater": nan, "ci_low": nan,
                                                        "ci_high": nan, "delta_auc": nan}}
        h_val = self._hybrid_predict(hyb, clin, val, 1)
        for name, rows, h, c in ((DELONG_TRAIN, train, self._hybrid_predict(hyb, clin, train, 0), c_train),
                                 (DELONG_VALIDATION, val, h_val, c_val)):
            d = delong_test(rows["label"].to_numpy(), h, c, level=level)
            out[name] = {"p_value": d.p_value, "p_greater": float(special.ndtr(-d.z)), "ci_low": d.diff_ci_low,
                         "ci_high": d.diff_ci_high, "delta_auc": d.difference}
        # the bootstrap of ΔAUC as compare_models runs it, on dense ranks (the same AUCs bit for bit, counted faster)
        (ra, ka), (rb, kb) = dense_ranks(h_val), dense_ranks(c_val)

        def delta(yy: np.ndarray, xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
            return (batched_auc_ranks(yy, xa.astype(np.int64), ka) - batched_auc_ranks(yy, xb.astype(np.int64), kb))

        bs = bootstrap_ci(delta, val["label"].to_numpy(int), ra, rb, n_boot=n_boot, level=level, seed=boot_seed,
                          stratified=True, vectorized=True)
        out[BOOTSTRAP_VALIDATION] = {"p_value": nan, "p_greater": nan, "ci_low": bs.ci_low, "ci_high": bs.ci_high,
                                     "delta_auc": bs.estimate}
        return {k: out[k] for k in NESTED_TESTS}


def nested_decisions(results: Mapping[str, Mapping[str, float]], alpha: float = 0.05) -> list[dict[str, Any]]:
    """The rows of :data:`NESTED_ROWS` from :meth:`NestedComparison.test`: test, nominal, outcome, p_value, estimate.

    * two-sided DeLong and the likelihood-ratio test: reject at ``alpha`` (nominal ``alpha``);
    * "hybrid significantly better": DeLong's two-sided P < ``alpha`` with ΔAUC > 0, i.e. its one-sided P of
      "greater" < ``alpha / 2`` (nominal ``alpha / 2``; ``p_value`` holds the one-sided P);
    * bootstrap: its CI excludes 0 (nominal ``alpha``), or lies above 0 (nominal ``alpha / 2``).

    Examples
    --------
    >>> r = {DELONG_TRAIN: {"p_value": 0.01, "p_greater": 0.995, "delta_auc": -0.02},
    ...      DELONG_VALIDATION: {"p_value": 0.2, "p_greater": 0.1, "delta_auc": 0.01},
    ...      LRT_TRAIN: {"p_value": 0.5, "delta_auc": float("nan")},
    ...      BOOTSTRAP_VALIDATION: {"ci_low": 0.001, "ci_high": 0.02, "delta_auc": 0.01}}
    >>> [(d["outcome"], d["nominal"]) for d in nested_decisions(r)]
    [(1.0, 0.05), (0.0, 0.025), (0.0, 0.05), (0.0, 0.025), (0.0, 0.05), (1.0, 0.05), (1.0, 0.025)]
    """
    half = alpha / 2.0
    rows = []
    for name in (DELONG_TRAIN, DELONG_VALIDATION):
        r = results[name]
        rows.append({"test": name, "nominal": alpha, "outcome": float(r["p_value"] < alpha), "p_value": r["p_value"],
                     "estimate": r["delta_auc"]})
        rows.append({"test": name + BETTER, "nominal": half, "outcome": float(r["p_greater"] < half),
                     "p_value": r["p_greater"], "estimate": r["delta_auc"]})
    lr = results[LRT_TRAIN]
    rows.append({"test": LRT_TRAIN, "nominal": alpha, "outcome": float(lr["p_value"] < alpha),
                 "p_value": lr["p_value"], "estimate": np.nan})
    b = results[BOOTSTRAP_VALIDATION]
    rows.append({"test": BOOTSTRAP_VALIDATION, "nominal": alpha, "outcome": float(b["ci_low"] > 0 or b["ci_high"] < 0),
                 "p_value": np.nan, "estimate": b["delta_auc"]})
    rows.append({"test": BOOTSTRAP_VALIDATION_BETTER, "nominal": half, "outcome": float(b["ci_low"] > 0),
                 "p_value": np.nan, "estimate": b["delta_auc"]})
    order = {t: i for i, t in enumerate(NESTED_ROWS)}
    return sorted(rows, key=lambda d: order[d["test"]])


def training_threshold(frame: pd.DataFrame, score: np.ndarray, rule: str = "youden") -> float:
    """Threshold of operating point ``rule`` picked on the training rows of ``frame`` for ``score``.

    Examples
    --------
    >>> c = stage2_cohort(2, scale=1.0)
    >>> 0 < training_threshold(c, simulate_scores(c, 0.74, np.random.default_rng(1))) < 1
    True
    """
    tr = (frame["split"] == "train").to_numpy()
    return choose_threshold(frame["label"].to_numpy()[tr], np.asarray(score, dtype=float)[tr], rule).threshold


def validation_strata(frame: pd.DataFrame, score: np.ndarray, threshold: float,
                      level: float = 0.95) -> pd.DataFrame | None:
    """Table 3 of ``score`` on the validation split (:func:`gvisage_lib.endocrine.strata_metrics`) at ``threshold``;
    None when a stratum has a single class (possible only at a small ``scale``).

    Examples
    --------
    >>> c = stage2_cohort(2, scale=1.0)
    >>> validation_strata(c, simulate_scores(c, 0.74, np.random.default_rng(1)), 0.5)["stratum"].tolist()
    ['complete', 'incomplete', 'none']
    """
    val = frame.assign(score=score)
    val = val[val["split"] == "validation"]
    try:
        return strata_metrics(val, threshold, level=level)
    except ValueError:
        if val.groupby("hpt_damage")["label"].nunique().min() < 2:
            return None
        raise


def interval_coverage(frame: pd.DataFrame, score: np.ndarray, auc: float, *, rule: str = "youden",
                      level: float = 0.95, threshold: float | None = None,
                      table3: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Do the DeLong CIs of the AUC and the Clopper-Pearson CIs of sensitivity and specificity cover the truth?

    ``threshold`` (the training split's, :func:`training_threshold`) and ``table3`` (:func:`validation_strata`) are
    computed when not given. One row per interval: ``test`` (which interval, where), ``covered`` (1/0, NaN when not
    computable), ``estimate`` and ``truth`` (the true AUC, or the true sensitivity/specificity of the threshold in
    use).

    Examples
    --------
    >>> c = stage2_cohort(2, scale=1.0)
    >>> rows = interval_coverage(c, simulate_scores(c, 0.74, np.random.default_rng(1)), 0.74)
    >>> rows[0]["test"], rows[0]["truth"]
    ('DeLong CI of the AUC, test split', 0.74)
    """
    data = frame.assign(score=score)
    split = {s: data[data["split"] == s] for s in schema.SPLITS}
    rows: list[dict[str, Any]] = []

    def add(test: str, lo: float, hi: float, est: float, truth: float) -> None:
        ok = np.isfinite(lo) and np.isfinite(hi)
        rows.append({"test": test, "covered": float(lo <= truth <= hi) if ok else np.nan, "estimate": est,
                     "truth": truth})

    for s in ("test", "validation"):
        r = roc_auc_delong(split[s]["label"].to_numpy(), split[s]["score"].to_numpy(), level=level)
        add(f"DeLong CI of the AUC, {s} split", r.ci_low, r.ci_high, r.auc, auc)
    thresholds = {"train": training_threshold(frame, score, rule) if threshold is None else float(threshold)}
    picks = (("train", "train", "threshold picked on the same split (training)"),
             ("train", "validation", "threshold from the training split, validation split"),
             ("test", "test", "threshold picked on the same split (test)"))
    for pick, ev, what in picks:
        if pick not in thresholds:
            p = split[pick]
            thresholds[pick] = choose_threshold(p["label"].to_numpy(), p["score"].to_numpy(), rule).threshold
        thr = thresholds[pick]
        dm = diagnostic_metrics(split[ev]["label"].to_numpy(), split[ev]["score"].to_numpy(), thr, level=level)
        add(f"Clopper-Pearson CI of sensitivity, {what}", dm.sensitivity_ci_low, dm.sensitivity_ci_high,
            dm.sensitivity, true_sensitivity(thr, auc))
        add(f"Clopper-Pearson CI of specificity, {what}", dm.specificity_ci_low, dm.specificity_ci_high,
            dm.specificity, true_specificity(thr))
    t3 = validation_strata(frame, score, thresholds["train"], level) if table3 is None else table3
    for lv in schema.HPT_LEVELS:
        name = f"DeLong CI of the AUC, validation split, HPT stratum {lv}"
        if t3 is None:
            rows.append({"test": name, "covered": np.nan, "estimate": np.nan, "truth": auc})
            continue
        r = t3.set_index("stratum").loc[lv]
        add(name, float(r["auc_ci_low"]), float(r["auc_ci_high"]), float(r["auc"]), auc)
    return rows


#: The tests across strata of :func:`gvisage_lib.endocrine.strata_tests`, in its order.
STRATA_TESTS: tuple[str, ...] = ("Friedman (paper's)", "chi-square heterogeneity of independent AUCs",
                                 "trend of AUC over ordered strata")


def strata_test_pvalues(frame: pd.DataFrame, score: np.ndarray, *, rule: str = "youden", level: float = 0.95,
                        threshold: float | None = None, table3: pd.DataFrame | None = None) -> dict[str, float]:
    """P values of the tests across HPT strata of the validation split (:func:`gvisage_lib.endocrine.strata_tests`).

    The threshold of the metrics is picked on the training split (``rule``), as notebook 06 picks it, unless
    ``threshold`` is given; ``table3`` is :func:`validation_strata`'s, computed when not given. Returns
    ``{test: p_value}`` for :data:`STRATA_TESTS` (NaN when a stratum has a single class).

    Examples
    --------
    >>> c = stage2_cohort(2, scale=1.0)
    >>> p = strata_test_pvalues(c, simulate_scores(c, 0.74, np.random.default_rng(1)))
    >>> list(p) == list(STRATA_TESTS)
    True
    """
    thr = training_threshold(frame, score, rule) if threshold is None else float(threshold)
    t3 = validation_strata(frame, score, thr, level) if table3 is None else table3
    if t3 is None:
        return {t: np.nan for t in STRATA_TESTS}
    tests = strata_tests(t3).set_index("test")["p_value"]
    return {t: float(tests[t]) for t in STRATA_TESTS}


@dataclass(frozen=True)
class ReplicateSeeds:
    """The random streams of one replicate, all children of its own :class:`numpy.random.SeedSequence` (the
    ``index``-th child spawned from ``SeedSequence(seed)``): the cohort's seed (child 0), the bootstrap's seed
    (child 1) and one generator per simulated score (children of child 2), so that a scenario's numbers do not depend
    on which other scenarios run.

    Examples
    --------
    >>> s = ReplicateSeeds(1, 0)
    >>> s.cohort == ReplicateSeeds(1, 0).cohort != ReplicateSeeds(1, 1).cohort
    True
    >>> float(s.scores(0).random()) == float(ReplicateSeeds(1, 0).scores(0).random())
    True
    """

    seed: int
    index: int

    @property
    def sequence(self) -> np.random.SeedSequence:
        """The replicate's SeedSequence (= ``SeedSequence(seed).spawn(index + 1)[index]``)."""
        return np.random.SeedSequence(self.seed, spawn_key=(self.index,))

    @property
    def cohort(self) -> int:
        """Seed of the twin's cohort (:func:`gvisage_lib.twin.generate_tabular` takes an int), 64 bits of child 0."""
        words = np.random.SeedSequence(self.seed, spawn_key=(self.index, 0)).generate_state(2, np.uint32)
        return int(words[0]) | (int(words[1]) << 32)

    @property
    def bootstrap(self) -> int:
        """Seed of the bootstrap of ΔAUC (32 bits of child 1)."""
        return int(np.random.SeedSequence(self.seed, spawn_key=(self.index, 1)).generate_state(1, np.uint32)[0])

    def scores(self, slot: int) -> np.random.Generator:
        """Generator of simulated score number ``slot`` (child ``slot`` of child 2)."""
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.index, 2, int(slot))))


def replicate_seeds(seed: int, index: int) -> ReplicateSeeds:
    """The random streams of replicate ``index`` of the simulation seeded ``seed`` (:class:`ReplicateSeeds`).

    Examples
    --------
    >>> a = replicate_seeds(7, 3)
    >>> child = np.random.SeedSequence(7).spawn(4)[3]
    >>> a.sequence.generate_state(4).tolist() == child.generate_state(4).tolist()
    True
    >>> a.bootstrap == int(child.spawn(2)[1].generate_state(1)[0])
    True
    """
    return ReplicateSeeds(check_int("seed", seed, minimum=0), check_int("index", index, minimum=0))


#: Slots of the simulated scores in :meth:`ReplicateSeeds.scores` (an effect size k of the nested comparison uses
#: slot ``NESTED_EFFECT_SLOT + k``).
NULL_SLOT, CNN_SLOT, STRATA_EFFECT_SLOT, NESTED_EFFECT_SLOT = 0, 1, 2, 3


def simulate_replicate(index: int, seed: int, settings: SimulationSettings | None = None) -> list[dict[str, Any]]:
    """Records (:data:`RECORD_COLUMNS` plus ``replicate``) of replicate ``index`` of the simulation seeded ``seed``.

    The replicate's randomness comes only from :func:`replicate_seeds` (``seed``, ``index``), so a replicate gives the
    same records wherever and in whichever order it runs, and each table's records are the same whichever other
    tables ``settings.tables`` asks for.

    Examples
    --------
    >>> st = SimulationSettings(n_boot=100, tables=("simulation_type1_nested",))
    >>> r = simulate_replicate(0, 5, st)  # doctest: +SLOW
    >>> records_frame(r).equals(records_frame(simulate_replicate(0, 5, st))), len(r)
    (True, 7)
    """
    st = SimulationSettings() if settings is None else settings
    seeds = replicate_seeds(seed, index)
    frame = stage2_cohort(seeds.cohort, st.scale)
    records: list[dict[str, Any]] = []
    want = set(st.tables)

    def rec(table: str, scenario: str, test: str, nominal: float, outcome: float, p_value: float = np.nan,
            estimate: float = np.nan, truth: float = np.nan) -> None:
        records.append({"replicate": int(index), "table": table, "scenario": scenario, "test": test,
                        "nominal": nominal, "outcome": outcome, "p_value": p_value, "estimate": estimate,
                        "truth": truth})

    comparison = NestedComparison(frame) if want & {"simulation_type1_nested", "simulation_power"} else None

    def nested(table: str, scenario: str, score: np.ndarray, truth: float) -> None:
        res = comparison.test(score, n_boot=st.n_boot, boot_seed=seeds.bootstrap, level=st.level)
        for d in nested_decisions(res, st.alpha):
            rec(table, scenario, d["test"], d["nominal"], d["outcome"], d["p_value"], d["estimate"], truth)

    def strata(table: str, scenario: str, pvalues: Mapping[str, float]) -> None:
        for test, p in pvalues.items():
            rec(table, scenario, test, st.alpha, float(p < st.alpha) if np.isfinite(p) else np.nan, p)

    # 1. nested models, no added information: pure noise
    if "simulation_type1_nested" in want:
        null = simulate_scores(frame, 0.5, seeds.scores(NULL_SLOT), latent_share=0.0)
        nested("simulation_type1_nested", "added score carries no information (AUC 0.50, pure noise)", null, 0.5)
    # 2. coverage, and 3. strata under the null: one score with the paper's CNN AUC in every stratum
    if want & {"simulation_coverage", "simulation_type1_strata"}:
        cnn = simulate_scores(frame, st.cnn_auc, seeds.scores(CNN_SLOT), latent_share=st.latent_share)
        thr = training_threshold(frame, cnn, st.threshold_rule)
        t3 = validation_strata(frame, cnn, thr, st.level)
        if "simulation_coverage" in want:
            scenario = f"coverage (rejection_rate holds the coverage); score AUC {st.cnn_auc:.3f}"
            for r in interval_coverage(frame, cnn, st.cnn_auc, rule=st.threshold_rule, level=st.level,
                                       threshold=thr, table3=t3):
                rec("simulation_coverage", scenario, r["test"], st.level, r["covered"], estimate=r["estimate"],
                    truth=r["truth"])
        if "simulation_type1_strata" in want:
            strata("simulation_type1_strata", f"strata share one AUC ({st.cnn_auc:.3f})",
                   strata_test_pvalues(frame, cnn, threshold=thr, table3=t3))
    # 4. power: planted effects
    if "simulation_power" in want:
        for k, a in enumerate(st.nested_effect_aucs):
            score = simulate_scores(frame, a, seeds.scores(NESTED_EFFECT_SLOT + k), latent_share=st.latent_share)
            nested("simulation_power", f"hybrid vs clinical: added score AUC {a:.2f}", score, a)
        aucs = dict(st.strata_aucs)
        effect = simulate_scores(frame, aucs, seeds.scores(STRATA_EFFECT_SLOT), latent_share=st.latent_share)
        label = " / ".join(f"{lv} {aucs[lv]:.3f}" for lv in schema.HPT_LEVELS)
        strata("simulation_power", f"HPT strata: AUC {label}",
               strata_test_pvalues(frame, effect, rule=st.threshold_rule, level=st.level))
    return records


def records_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Records of one or more replicates as a DataFrame (``replicate`` then :data:`RECORD_COLUMNS`).

    Examples
    --------
    >>> list(records_frame([]).columns)[:3]
    ['replicate', 'table', 'scenario']
    """
    cols = ["replicate", *RECORD_COLUMNS]
    return pd.DataFrame(list(records), columns=cols)
