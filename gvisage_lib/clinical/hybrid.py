"""Stage-2 models side by side: the CNN, the clinical logistic regression and the hybrid of both (Table 2 rows).

The paper's hybrid model "integrates the output of GVisageNet with the results from the logistic regression model"
(Methods; its Figure S3 is not in the article). We read it as one logistic regression on the selected clinical
variables plus the stage-2 CNN score on the logit scale. The clinical model is fitted on the training split. The
hybrid is never fitted on the network's scores of its own training images (optimistic): it is fitted on the training
split with out-of-fold CNN scores, or on the internal test split, whose metrics for it are then marked in-sample
(``hybrid_split`` of :func:`fit_models`; the profile's ``score_fit`` decides). The CNN row is the score itself (a
monotone transform would not change its AUC).

Comparisons (:func:`compare_models`):

* CNN vs clinical model: different inputs, not nested, so the paired DeLong test is valid.
* Hybrid vs clinical model, and hybrid vs CNN: nested (the hybrid contains each), the setting in which DeLong's test
  of ΔAUC is invalid (Demler, Pencina & D'Agostino, Stat Med 2012;31:2577-87: under the null of no added value the
  ΔAUC statistic is not normal and the test is badly conservative). We report the paper's DeLong test and beside it
  the likelihood-ratio test of the added term(s) on the hybrid's fitting split (the test those authors recommend) and a
  seeded stratified bootstrap CI of ΔAUC on the evaluation split (models held fixed).

Examples
--------
>>> import numpy as np
>>> logit(np.array([0.5, 0.0])).round(2).tolist()
[0.0, -13.82]
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from gvisage_lib import paper
from gvisage_lib.clinical.logistic import (
    DesignSpec,
    LogisticFit,
    SeparationError,
    fit_logistic,
    imputation_counts,
)
from gvisage_lib.clinical.skipped import skip_reason, skipped_scores, skipped_table
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.validation import check_frame, check_int
from gvisage_lib.core.workers import worker_pool
from gvisage_lib.stats.results import StatResult

#: Model names used in the tables (the paper's Table 2 labels).
CNN, CLINICAL, HYBRID = "GVisageNet", "Logistic regression", "Hybrid model"
MODEL_ORDER: tuple[str, ...] = (CNN, CLINICAL, HYBRID)
#: Column of the CNN score on the logit scale inside the hybrid model.
CNN_TERM = "cnn_logit"
#: Scores are clipped to [EPS, 1 - EPS] before the logit.
EPS = 1e-6

DEMLER_NOTE = ("Nested models (Demler, Pencina & D'Agostino 2012): DeLong's ΔAUC test is invalid when one model "
               "contains the other; the likelihood-ratio test of the added term is the valid test, and the bootstrap "
               "CI shows the size of ΔAUC without the normality assumption.")


def logit(p: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Log-odds of ``p`` after clipping to ``[eps, 1 - eps]``.

    Examples
    --------
    >>> float(logit(np.array([0.75]))[0].round(4))
    1.0986
    """
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return np.log(p / (1 - p))


def _with_cnn_term(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the hybrid's CNN predictor, logit of the stage-2 score, as column :data:`CNN_TERM`."""
    return frame.assign(**{CNN_TERM: logit(frame["score"].to_numpy())})


def _clinical_design(spec: DesignSpec) -> DesignSpec:
    """``spec`` restricted to its clinical predictors (the hybrid's CNN term is never missing, never imputed)."""
    keep = [p for p in spec.predictors if p != CNN_TERM]
    return replace(spec, predictors=keep, kinds={p: spec.kinds[p] for p in keep}, fill={p: spec.fill[p] for p in keep})


def stage2_frame(manifest: pd.DataFrame, predictions: pd.DataFrame, model: str) -> pd.DataFrame:
    """Manifest rows of the stage-2 subjects joined with the stage-2 score of ``model``.

    Parameters
    ----------
    manifest : DataFrame
        Cohort manifest (docs/data.md).
    predictions : DataFrame
        ``predictions.parquet`` (schema.PREDICTION_COLUMNS).
    model : str
        The selected stage-2 model.

    Returns
    -------
    DataFrame
        The manifest columns of the tumour subjects with a score, plus ``label`` (1 = iGCT) and ``score``.

    Examples
    --------
    >>> man = pd.DataFrame({"subject_id": ["a", "b", "c"], "group": ["iGCT", "other", "NC"],
    ...                     "split": ["train"] * 3})
    >>> pred = pd.DataFrame({"subject_id": ["a", "b"], "split": ["train"] * 2, "stage": [2, 2],
    ...                      "model": ["resnet50"] * 2, "label": [1, 0], "score": [0.8, 0.3]})
    >>> stage2_frame(man, pred, "resnet50")[["subject_id", "label", "score"]].values.tolist()
    [['a', 1, 0.8], ['b', 0, 0.3]]
    """
    need = ["subject_id", "split", "stage", "model", "label", "score"]
    check_frame(predictions, "predictions", need)
    for c in ("subject_id", "group", "split"):
        if c not in manifest.columns:
            raise ValueError(f"manifest lacks column {c!r}")
    pred = predictions[(predictions["stage"].astype(int) == 2) & (predictions["model"] == model)]
    if pred.empty:
        models = sorted(predictions.loc[predictions["stage"].astype(int) == 2, "model"].unique().tolist())
        raise ValueError(f"no stage-2 predictions for model {model!r}; stage-2 models present: {models}")
    if pred["subject_id"].duplicated().any():
        dup = pred.loc[pred["subject_id"].duplicated(), "subject_id"].iloc[0]
        raise ValueError(f"predictions hold more than one stage-2 row of model {model!r} for subject {dup!r}")
    man = manifest.copy()
    man["subject_id"] = man["subject_id"].astype(str)
    pred = pred.assign(subject_id=pred["subject_id"].astype(str))
    out = man.merge(pred[["subject_id", "label", "score"]], on="subject_id", how="inner", validate="one_to_one")
    expected = out["group"].map(lambda g: schema.stage_label(str(g), 2))
    bad = expected.isna() | (expected.astype(float) != out["label"].astype(float))
    if bad.any():
        r = out.loc[bad].iloc[0]
        raise ValueError(f"predictions: subject {r.subject_id!r} has stage-2 label {r.label} but group {r.group!r}")
    out["label"] = out["label"].astype(int)
    out["score"] = out["score"].astype(float)
    return out.reset_index(drop=True)


@dataclass
class Stage2Data:
    """The stage-2 subjects with the selected model's score (:func:`stage2_frame`) and that model's name."""

    frame: pd.DataFrame
    model: str
    #: split on which the models using the CNN score are fitted: "train" (out-of-fold scores) or "test".
    fit_split: str = "test"

    def to_frame(self) -> pd.DataFrame:
        """The subjects (a copy)."""
        return self.frame.copy()


def load_stage2_frame(paths: RunPaths, manifest_path: str | os.PathLike[str], *,
                      score_fit: str = "test") -> Stage2Data:
    """Read the manifest and the run's predictions and selected model; return the :func:`stage2_frame` and the
    model's name.

    With ``score_fit="out_of_fold"`` the training subjects carry the run's out-of-fold scores
    (``paths.predictions_oof``, :func:`gvisage_lib.cnn.outputs.load_fit_predictions`) and ``Stage2Data.fit_split``
    is ``"train"``; with ``"test"`` (default) the scores are the predictions as they are and ``fit_split`` is
    ``"test"``: the hybrid is then fitted on the internal test split, never on the network's scores of its own
    training images.

    Examples
    --------
    >>> load_stage2_frame(RunPaths("/nonexistent/run"), "/nonexistent/m.csv")
    Traceback (most recent call last):
    ...
    FileNotFoundError: manifest /nonexistent/m.csv does not exist
    """
    from gvisage_lib.cnn.outputs import load_fit_predictions, load_selected_model
    from gvisage_lib.cohort.manifest import load_manifest

    for name, p in (("manifest", manifest_path), ("predictions", paths.predictions)):
        if not Path(p).exists():
            raise FileNotFoundError(f"{name} {p} does not exist")
    model = load_selected_model(paths.selected_model)["stage2"]
    man = load_manifest(manifest_path, validate=False)
    fp = load_fit_predictions(paths, score_fit)
    if fp.score_fit == "out_of_fold" and model not in fp.oof_models:
        raise ValueError(f"{paths.predictions_oof}: no out-of-fold scores of the selected model {model!r} "
                         f"(models there: {list(fp.oof_models)})")
    return Stage2Data(stage2_frame(man, fp.frame, model), model, fp.fit_split)


@dataclass
class HybridFits:
    """The three stage-2 models (fitted on ``train_split`` and ``hybrid_split``) and their scores on every split
    (long); or, when the cohort cannot support them, the skipped bundle (:meth:`skipped`): no models, an empty
    score table that carries the reason, and every table made from it in its skipped form
    (:func:`gvisage_lib.clinical.skipped.skipped_table`)."""

    clinical: LogisticFit | None
    hybrid: LogisticFit | None
    cnn_only: LogisticFit | None
    clinical_variables: list[str]
    scores: pd.DataFrame
    #: labels of the clinical and the hybrid model in ``scores`` and the tables.
    names: tuple[str, str] = (CLINICAL, HYBRID)
    #: split the clinical model was fitted on, and the split the hybrid (and the CNN-only model) were fitted on.
    train_split: str = "train"
    hybrid_split: str = "train"
    #: the clinical model refitted on the hybrid's rows (the reduced model of the likelihood-ratio test); the same
    #: object as ``clinical`` when both were fitted on one split.
    clinical_nested: LogisticFit | None = None
    #: why the models were not fitted ("" when they were).
    skip_reason: str = ""

    @classmethod
    def skipped(cls, reason: str, clinical_variables: Sequence[str], *, names: tuple[str, str] = (CLINICAL, HYBRID),
                train_split: str = "train", hybrid_split: str = "train") -> HybridFits:
        """The bundle of models that were not fitted, and why.

        Examples
        --------
        >>> f = HybridFits.skipped("too few subjects", ["x"])
        >>> f.is_skipped, len(f.scores), f.coefficient_table().values.tolist()
        (True, 0, [[True, 'too few subjects']])
        """
        if not str(reason):
            raise ValueError("reason must say why the models were skipped, got an empty string")
        return cls(None, None, None, list(clinical_variables), skipped_scores(reason), tuple(names), train_split,
                   hybrid_split, None, str(reason))

    @property
    def is_skipped(self) -> bool:
        """True for the bundle of :meth:`skipped`."""
        return bool(self.skip_reason)

    @property
    def estimation_note(self) -> str:
        """One line for the notebook: how the models were estimated, or that they were skipped and why."""
        if self.is_skipped:
            return f"The clinical and hybrid models are skipped: {self.skip_reason}."
        how = "maximum likelihood" if self.method == "ml" else "Firth penalised likelihood: ML met separation"
        return f"estimation: {self.method} ({how})"

    def score_table(self) -> pd.DataFrame:
        """The scores as written to the run (``stage2_model_scores``): the skipped table when skipped."""
        return skipped_table(self.skip_reason) if self.is_skipped else self.scores

    @property
    def fit_splits(self) -> dict[str, str]:
        """Split on which each model of ``scores`` was fitted (the CNN's score is used as it is: its entry is the
        split its threshold is chosen on)."""
        return {CNN: self.hybrid_split, self.names[0]: self.train_split, self.names[1]: self.hybrid_split}

    @property
    def method(self) -> str:
        """Estimation method of the three models: "ml" or "firth" ("skipped" for a skipped bundle)."""
        return "skipped" if self.clinical is None else self.clinical.method

    def coefficient_table(self) -> pd.DataFrame:
        """Odds ratios of the clinical and hybrid models, stacked (columns ``model``, ``fitted_on``, ``n``)."""
        if self.is_skipped:
            return skipped_table(self.skip_reason)
        return pd.concat([self.clinical.table.assign(model=self.names[0], fitted_on=self.train_split,
                                                     n=self.clinical.n),
                          self.hybrid.table.assign(model=self.names[1], fitted_on=self.hybrid_split, n=self.hybrid.n)],
                         ignore_index=True)[["model", "fitted_on", "n", *self.clinical.table.columns]]

    def imputation_table(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Missing values each model imputes, per clinical variable and split of ``frame`` (the rows it scores),
        with the fill value learned on the split the model was fitted on (column ``model`` first).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"subject_id": [f"s{i}" for i in range(300)], "split": ["train"] * 200 + ["test"] * 100,
        ...                    "label": rng.integers(0, 2, 300), "score": rng.uniform(0.1, 0.9, 300)})
        >>> df["tsh"] = df.label + rng.normal(size=300)
        >>> df.loc[[0, 1, 250], "tsh"] = np.nan
        >>> t = fit_models(df, ["tsh"]).imputation_table(df)
        >>> t[["model", "split", "n_imputed"]].values.tolist()[:2]
        [['Logistic regression', 'train', 2], ['Logistic regression', 'test', 1]]
        """
        if self.is_skipped:
            return skipped_table(self.skip_reason)
        parts = [imputation_counts(frame, self.clinical.spec, fitted_on=self.train_split).assign(model=self.names[0]),
                 imputation_counts(frame, _clinical_design(self.hybrid.spec), fitted_on=self.hybrid_split)
                 .assign(model=self.names[1])]
        table = pd.concat(parts, ignore_index=True)
        return table[["model", *[c for c in table.columns if c != "model"]]]


def fit_models(frame: pd.DataFrame, clinical_variables: Sequence[str], *, train_split: str = "train",
               hybrid_split: str | None = None, method: str = "auto",
               names: tuple[str, str] = (CLINICAL, HYBRID)) -> HybridFits:
    """Fit the clinical logistic regression on ``train_split``, the hybrid on ``hybrid_split``; score every row.

    Parameters
    ----------
    frame : DataFrame
        :func:`stage2_frame` output (``label``, ``score``, ``split`` and the clinical columns).
    clinical_variables : sequence of str
        The screened variables (:func:`gvisage_lib.clinical.logistic.screen_univariate`).
    train_split : str
        Split on which the clinical model is fitted (the paper's training split).
    hybrid_split : str, optional
        Split on which the hybrid and the CNN-only model are fitted (default ``train_split``). The hybrid uses the
        CNN's score, which must not be the network's in-sample score of its own training images: pass ``"train"``
        only with out-of-fold training scores (:func:`gvisage_lib.cnn.outputs.load_fit_predictions`), else the
        internal test split. When it differs from ``train_split``, the clinical model is also refitted on its rows
        (``HybridFits.clinical_nested``), the reduced model of the likelihood-ratio test.
    method : {"auto", "ml", "firth"}
        Estimation of all three models: maximum likelihood (the paper), Firth's penalised likelihood, or "auto":
        maximum likelihood unless the clinical or hybrid model meets (quasi-)separation (no ML estimate exists),
        then Firth for all three, so that they stay comparable and nested (``HybridFits.method`` says which).
    names : (str, str)
        Labels of the clinical and the hybrid model (default: the paper's Table 2 labels); a sensitivity analysis
        with other variables uses its own labels, so its rows are never mistaken for the paper's models.

    Returns
    -------
    HybridFits
        ``.scores``: subject_id, split, model, label, score (one row per subject and model).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> df = pd.DataFrame({"subject_id": [f"s{i}" for i in range(n)], "split": ["train"] * 300 + ["test"] * 100,
    ...                    "label": rng.integers(0, 2, n)})
    >>> df["x"] = df.label + rng.normal(size=n)
    >>> df["score"] = 1 / (1 + np.exp(-(df.label + rng.normal(size=n))))
    >>> fits = fit_models(df, ["x"])
    >>> sorted(fits.scores.model.unique())
    ['GVisageNet', 'Hybrid model', 'Logistic regression']
    """
    clinical_variables = list(clinical_variables)
    if not clinical_variables:
        raise ValueError("clinical_variables is empty: the screening selected no variable, no clinical model to fit")
    need = ["subject_id", "split", "label", "score", *clinical_variables]
    check_frame(frame, "frame", need)
    if CNN_TERM in clinical_variables:
        raise ValueError(f"clinical_variables must not contain the reserved name {CNN_TERM!r}")
    data = _with_cnn_term(frame)
    hybrid_split = train_split if hybrid_split is None else hybrid_split
    train, hyb_rows = data[data["split"] == train_split], data[data["split"] == hybrid_split]
    for name, rows in ((train_split, train), (hybrid_split, hyb_rows)):
        if rows.empty:
            raise ValueError(f"no rows of split {name!r}; splits present: {sorted(frame['split'].unique())}")
    if method not in ("auto", "ml", "firth"):
        raise ValueError(f"method must be 'auto', 'ml' or 'firth', got {method!r}")

    def fit_all(how: str) -> tuple[LogisticFit, LogisticFit, LogisticFit, LogisticFit]:
        clin = fit_logistic(train, "label", clinical_variables, method=how)
        nested = clin if hybrid_split == train_split else fit_logistic(hyb_rows, "label", clinical_variables,
                                                                         method=how)
        return (clin,
                fit_logistic(hyb_rows, "label", [*clinical_variables, CNN_TERM], kinds={CNN_TERM: "continuous"},
                             method=how),
                fit_logistic(hyb_rows, "label", [CNN_TERM], kinds={CNN_TERM: "continuous"}, method=how),
                nested)

    if method == "auto":
        try:
            clin, hyb, cnn, nested = fit_all("ml")
        except SeparationError:
            clin, hyb, cnn, nested = fit_all("firth")
    else:
        clin, hyb, cnn, nested = fit_all(method)
    base = data[["subject_id", "split", "label"]]
    scores = pd.concat([
        base.assign(model=CNN, score=data["score"].to_numpy()),
        base.assign(model=names[0], score=clin.predict(data)),
        base.assign(model=names[1], score=hyb.predict(data)),
    ], ignore_index=True)[["subject_id", "split", "model", "label", "score"]]
    return HybridFits(clin, hyb, cnn, clinical_variables, scores, tuple(names), train_split, hybrid_split, nested)


def fit_models_or_skip(frame: pd.DataFrame, clinical_variables: Sequence[str], *, train_split: str = "train",
                       hybrid_split: str | None = None, method: str = "auto",
                       names: tuple[str, str] = (CLINICAL, HYBRID)) -> tuple[HybridFits, str]:
    """:func:`fit_models`, or the skipped bundle (:meth:`HybridFits.skipped`) when this cohort cannot support the
    clinical and hybrid models.

    Notebook 05 uses it so that a small cohort, or one without the clinical columns, gets the notebook's reason in
    every model table and figure instead of an error, and notebook 06 still runs. The models are skipped (nothing
    raised) when:

    * a clinical variable is not a column of ``frame`` (the manifest lacks it: an optional column of notebook 05,
      :data:`gvisage_lib.cohort.manifest.NOTEBOOK_COLUMNS`), or ``clinical_variables`` is empty;
    * a split a model is fitted on (``train_split`` for the clinical model, ``hybrid_split`` for the hybrid) has
      fewer subjects of either class than that model has coefficients (variables + intercept, + the CNN term for
      the hybrid): too few to estimate them at all;
    * the fit fails all the same (no estimate exists even with Firth's penalty, or a singular design), the error's
      message being the reason.

    Returns
    -------
    (HybridFits, str)
        The fits and "", or the skipped bundle and the reason in words (also its ``skip_reason``).

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": list("abcd"), "split": "train", "label": [0, 1, 0, 1],
    ...                    "score": [.2, .8, .3, .6], "x": [1.0, 2.0, 1.5, 2.5]})
    >>> fits, reason = fit_models_or_skip(df, ["x", "tsh"])
    >>> fits.is_skipped, reason
    (True, "the cohort has no column(s) ['tsh'] of the clinical model (optional columns of the manifest)")
    >>> fit_models_or_skip(df, ["x"])[1]
    "split 'train' has 2 subject(s) of the rarer class, fewer than the 3 coefficients of the hybrid model"
    """
    variables = list(clinical_variables)
    hybrid_split = train_split if hybrid_split is None else hybrid_split
    reason = _skip_reason_of_cohort(frame, variables, train_split, hybrid_split)
    if not reason:
        try:
            return fit_models(frame, variables, train_split=train_split, hybrid_split=hybrid_split, method=method,
                              names=names), ""
        except (ValueError, np.linalg.LinAlgError) as exc:
            reason = f"the models cannot be fitted on this cohort ({exc})"
    return HybridFits.skipped(reason, variables, names=tuple(names), train_split=train_split,
                              hybrid_split=hybrid_split), reason


def _skip_reason_of_cohort(frame: pd.DataFrame, variables: list[str], train_split: str, hybrid_split: str) -> str:
    """Why ``frame`` cannot support the models before any fit is tried ("" when it may)."""
    if not variables:
        return "no clinical variable was given (the screening selected none)"
    absent = [v for v in variables if v not in frame.columns]
    if absent:
        return f"the cohort has no column(s) {absent} of the clinical model (optional columns of the manifest)"
    if "split" not in frame.columns or "label" not in frame.columns:
        raise ValueError(f"frame lacks column(s) {[c for c in ('split', 'label') if c not in frame.columns]}")
    for split, n_coef, model in ((train_split, len(variables) + 1, "clinical"),
                                 (hybrid_split, len(variables) + 2, "hybrid")):
        counts = frame.loc[frame["split"] == split, "label"].astype(int).value_counts()
        minor = int(min(counts.get(0, 0), counts.get(1, 0)))
        if minor < n_coef:
            return (f"split {split!r} has {minor} subject(s) of the rarer class, fewer than the {n_coef} "
                    f"coefficients of the {model} model")
    return ""


def stage2_model_tables() -> list[str]:
    """Keys of the tables notebook 05 writes from the fitted clinical and hybrid models (all but the screening).

    Examples
    --------
    >>> stage2_model_tables()[:2]
    ['stage2_logistic_coefficients', 'stage2_vif']
    """
    from gvisage_lib.paper.index import outputs

    out = outputs()
    keys = out.loc[(out["notebook"] == "05_clinical_hybrid") & (out["kind"] == "table"), "key"].tolist()
    return [k for k in keys if k != "stage2_univariate_screening"]


def model_metrics(scores: pd.DataFrame, *, rule: str = "youden", train_split: str = "train",
                  fit_splits: Mapping[str, str] | None = None, eval_splits: Sequence[str] = ("test", "validation"),
                  level: float = 0.95) -> pd.DataFrame:
    """Table 2 rows of each stage-2 model: AUC (DeLong CI), accuracy, sensitivity, specificity (exact CIs).

    The threshold of each model is chosen by ``rule`` (:func:`gvisage_lib.stats.choose_threshold`, Youden by
    default) on the split the model was fitted on (``fit_splits``, e.g. :attr:`HybridFits.fit_splits`; default
    ``train_split`` for every model) and carried unchanged to the evaluation splits; the rows are those of
    :func:`gvisage_lib.roc.metrics.stage_metrics` (stage 2), the one schema of every Table 2 row. ``in_sample`` marks
    the rows of a split a threshold or a model was fitted on (for the CNN, whose score is not refitted here, only
    its threshold metrics).

    Returns
    -------
    DataFrame
        :data:`gvisage_lib.core.schema.TABLE2_COLUMNS`: model, stage, split, rule, threshold, metric, estimate,
        ci_low, ci_high, k, n, ci_method; metrics auc, accuracy, sensitivity, specificity.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 300)
    >>> sc = pd.DataFrame({"split": ["train"] * 200 + ["test"] * 100, "model": "m", "label": y,
    ...                    "score": y + rng.normal(size=300)})
    >>> t = model_metrics(sc, eval_splits=["test"])
    >>> t[["model", "split", "metric", "n"]].values.tolist()[:2]
    [['m', 'test', 'auc', 100], ['m', 'test', 'accuracy', 100]]
    """
    from gvisage_lib.roc.metrics import TABLE2_METRICS, stage_metrics

    if reason := skip_reason(scores):
        return skipped_table(reason)
    check_frame(scores, "scores", ["split", "model", "label", "score"])
    models = [m for m in MODEL_ORDER if m in set(scores["model"])] + sorted(set(scores["model"]) - set(MODEL_ORDER))
    fit_splits = dict(fit_splits or {})
    frames = []
    for m in models:
        sm = scores[scores["model"] == m].assign(stage=2)
        fit_split = fit_splits.get(m, train_split)
        if (sm["split"] == fit_split).sum() == 0:
            raise ValueError(f"model {m!r} has no rows of split {fit_split!r} to choose a threshold on")
        splits = [sp for sp in eval_splits if (sm["split"] == sp).any()]
        t = stage_metrics(sm, m, 2, splits=splits, train_split=fit_split, rules=[rule], level=level)
        if m != CNN:  # a model fitted on a split is in-sample there, its AUC included
            t["in_sample"] = t["split"] == fit_split
        frames.append(t[t["metric"].isin(TABLE2_METRICS)])
    return pd.concat(frames, ignore_index=True)[list(schema.TABLE2_COLUMNS)]


@dataclass(frozen=True)
class LikelihoodRatioResult(StatResult):
    """Likelihood-ratio test of a model nested in another (penalised for Firth fits)."""

    statistic: float
    df: int
    p_value: float


def likelihood_ratio_test(full: LogisticFit, reduced: LogisticFit) -> LikelihoodRatioResult:
    """LR test of ``reduced`` nested in ``full`` (same rows).

    For Firth fits this is the penalised likelihood-ratio test (as R ``logistf``'s ``anova``), 2 (pl_full - pl_red).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    >>> df["y"] = (rng.random(200) < 1 / (1 + np.exp(-df.a))).astype(int)
    >>> lr = likelihood_ratio_test(fit_logistic(df, "y", ["a", "b"]), fit_logistic(df, "y", ["a"]))
    >>> lr.df, bool(lr.p_value > 0.05)
    (1, True)
    """
    if full.method != reduced.method:
        raise ValueError(f"full and reduced models were fitted differently ({full.method} vs {reduced.method})")
    if full.n != reduced.n:
        raise ValueError(f"full and reduced models were fitted on different rows ({full.n} vs {reduced.n})")
    if not set(reduced.spec.columns) <= set(full.spec.columns):
        raise ValueError(f"reduced model terms {reduced.spec.columns} are not nested in {full.spec.columns}")
    dof = full.df_model - reduced.df_model
    if dof < 1:
        raise ValueError(f"full model must have more terms than the reduced one (df = {dof})")
    stat = max(0.0, 2.0 * (full.llf - reduced.llf))
    return LikelihoodRatioResult(stat, dof, float(sps.chi2.sf(stat, dof)))


def compare_models(fits: HybridFits, *, eval_splits: Sequence[str] = ("test", "validation"), n_boot: int = 2000,
                   seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Pairwise AUC comparisons of the three models: DeLong, and for nested pairs the LR test and bootstrap ΔAUC.

    Returns
    -------
    DataFrame
        comparison, model_a, model_b, nested, split, method, auc_a, auc_b, delta_auc, ci_low, ci_high,
        statistic, df, p_value, note. ``delta_auc = auc_a - auc_b``. LR-test rows are on the split the hybrid
        was fitted on (``HybridFits.hybrid_split``; the clinical model refitted there) and carry no AUC.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 600
    >>> df = pd.DataFrame({"subject_id": range(n), "split": ["train"] * 400 + ["validation"] * 200,
    ...                    "label": rng.integers(0, 2, n)})
    >>> df["x"] = df.label + rng.normal(size=n)
    >>> df["score"] = 1 / (1 + np.exp(-(df.label + rng.normal(size=n))))
    >>> out = compare_models(fit_models(df, ["x"]), eval_splits=["validation"], n_boot=100)
    >>> sorted(out.method.unique())
    ['DeLong (paired)', 'bootstrap ΔAUC', 'likelihood-ratio test']
    """
    from gvisage_lib.stats import batched_auc, bootstrap_ci, delong_test

    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100, got {n_boot}")
    if fits.is_skipped:
        return skipped_table(fits.skip_reason)
    clin_name, hyb_name = fits.names
    reduced = fits.clinical_nested if fits.clinical_nested is not None else fits.clinical
    pairs = [(CNN, clin_name, False, None), (hyb_name, clin_name, True, (fits.hybrid, reduced)),
             (hyb_name, CNN, True, (fits.hybrid, fits.cnn_only))]
    wide = fits.scores.pivot_table(index=["subject_id", "split", "label"], columns="model", values="score",
                                   observed=True).reset_index()
    rows = []
    for a, b, nested, lr_pair in pairs:
        comp = f"{a} vs {b}"
        base = {"comparison": comp, "model_a": a, "model_b": b, "nested": nested}
        if nested and lr_pair is not None:
            lr = likelihood_ratio_test(*lr_pair)
            added = sorted(set(lr_pair[0].spec.columns) - set(lr_pair[1].spec.columns))
            rows.append({**base, "split": fits.hybrid_split, "method": "likelihood-ratio test",
                         "statistic": lr.statistic, "df": lr.df, "p_value": lr.p_value,
                         "note": f"added term(s): {', '.join(added)}; nested: the valid test (Demler et al. 2012)"})
        for sp in eval_splits:
            ev = wide[wide["split"] == sp]
            if ev.empty:
                continue
            y, sa, sb = ev["label"].to_numpy(int), ev[a].to_numpy(float), ev[b].to_numpy(float)
            d = delong_test(y, sa, sb, level=level)
            rows.append({**base, "split": sp, "method": "DeLong (paired)", "auc_a": d.auc_a, "auc_b": d.auc_b,
                         "delta_auc": d.auc_a - d.auc_b, "ci_low": d.diff_ci_low, "ci_high": d.diff_ci_high,
                         "statistic": d.z, "p_value": d.p_value,
                         "note": ("as the paper; invalid for nested models" if nested
                                  else "valid: models on different inputs, not nested")})
            if nested:
                bs = bootstrap_ci(lambda yy, xa, xb: batched_auc(yy, xa) - batched_auc(yy, xb), y, sa, sb,
                                  n_boot=n_boot, level=level, seed=seed, stratified=True, vectorized=True)
                rows.append({**base, "split": sp, "method": "bootstrap ΔAUC", "auc_a": d.auc_a, "auc_b": d.auc_b,
                             "delta_auc": bs.estimate, "ci_low": bs.ci_low, "ci_high": bs.ci_high,
                             "note": f"stratified percentile bootstrap, {n_boot} resamples, seed {seed}; "
                                     "models held fixed"})
    cols = ["comparison", "model_a", "model_b", "nested", "split", "method", "auc_a", "auc_b", "delta_auc",
            "ci_low", "ci_high", "statistic", "df", "p_value", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def model_optimism(frame: pd.DataFrame, fits: HybridFits | Sequence[HybridFits], *, n_boot: int = 200,
                   seed: int = 0, method: str = "auto", external_split: str = "validation",
                   workers: int = 1) -> pd.DataFrame:
    """Apparent, optimism-corrected and held-out AUC and calibration slope of the clinical and hybrid models.

    ``fits`` is one bundle or several (e.g. the paper's models and the screened ones), stacked in that order; a
    skipped bundle after the first adds no rows, and a skipped first bundle gives its skipped table.

    For each logistic model of ``fits`` (the clinical model on its ``train_split``, the hybrid on its
    ``hybrid_split``), Harrell's bootstrap (:func:`gvisage_lib.clinical.optimism.optimism_bootstrap`) on the rows it
    was fitted on, replaying the estimation procedure ``method`` (pass the ``method`` given to :func:`fit_models`:
    with ``"auto"`` a bootstrap sample that is separated is fitted by Firth, as the data would have been), beside
    the fitted model's AUC and calibration slope on ``external_split`` (the independent validation cohort), which the
    corrected values try to anticipate.

    ``workers`` > 1 (0 = the CPUs) refits the bootstrap samples in that many processes
    (:func:`gvisage_lib.core.workers.worker_pool`, one pool for every model; notebook 05 passes 0). The samples and
    their order do not depend on it, so neither does the table.

    Returns
    -------
    DataFrame
        model, fitted_on, n, statistic, apparent, optimism, corrected, external_split, external, n_boot, n_failed,
        seed.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"subject_id": range(300), "split": ["train"] * 200 + ["validation"] * 100,
    ...                    "x": rng.normal(size=300), "score": rng.uniform(0.05, 0.95, 300)})
    >>> df["label"] = (rng.random(300) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> t = model_optimism(df, fit_models(df, ["x"], method="ml"), n_boot=20)  # doctest: +SLOW
    >>> t[["model", "statistic"]].values.tolist()[:2]
    [['Logistic regression', 'auc'], ['Logistic regression', 'calibration_slope']]
    """
    bundles = [fits] if isinstance(fits, HybridFits) else list(fits)
    if not bundles:
        raise ValueError("fits must hold at least one HybridFits, got an empty sequence")
    if bundles[0].is_skipped:
        return skipped_table(bundles[0].skip_reason)
    check_int("workers", workers, minimum=0)
    n_workers = workers or os.cpu_count() or 1
    with worker_pool(n_workers) if n_workers > 1 else contextlib.nullcontext() as pool:
        return pd.concat([_one_optimism(frame, f, n_boot=n_boot, seed=seed, method=method,
                                        external_split=external_split, pool=pool)
                          for f in bundles if not f.is_skipped], ignore_index=True)


def _one_optimism(frame: pd.DataFrame, fits: HybridFits, *, n_boot: int, seed: int, method: str,
                  external_split: str, pool: Executor | None) -> pd.DataFrame:
    """:func:`model_optimism` of one fitted bundle."""
    from gvisage_lib.clinical.optimism import auc_and_slope, optimism_bootstrap

    data = _with_cnn_term(frame)
    ext = data[data["split"] == external_split]
    if ext.empty:
        raise ValueError(f"external_split {external_split!r} has no rows; splits present: "
                         f"{sorted(frame['split'].unique())}")
    specs = [(fits.names[0], fits.clinical, list(fits.clinical_variables), None, fits.train_split),
             (fits.names[1], fits.hybrid, [*fits.clinical_variables, CNN_TERM], {CNN_TERM: "continuous"},
              fits.hybrid_split)]
    frames = []
    for name, fit, predictors, kinds, split in specs:
        rows = data[data["split"] == split]
        t = optimism_bootstrap(rows, "label", predictors, n_boot=n_boot, seed=seed, method=method, kinds=kinds,
                               pool=pool)
        ext_auc, ext_slope = auc_and_slope(fit, ext, "label")
        t = t.assign(model=name, fitted_on=split, n=len(rows), external_split=external_split,
                     external=t["statistic"].map({"auc": ext_auc, "calibration_slope": ext_slope}))
        frames.append(t)
    cols = ["model", "fitted_on", "n", "statistic", "apparent", "optimism", "corrected", "external_split",
            "external", "n_boot", "n_failed", "seed"]
    return pd.concat(frames, ignore_index=True)[cols]


def hybrid_vif(frame: pd.DataFrame, clinical_variables: Sequence[str], *, train_split: str = "train") -> pd.DataFrame:
    """VIFs of the hybrid model's design (selected clinical variables + logit CNN score) on ``train_split``, the split
    the hybrid is fitted on.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"split": "train", "x": rng.normal(size=50), "score": rng.uniform(0.1, 0.9, 50)})
    >>> hybrid_vif(df, ["x"]).term.tolist()
    ['x', 'cnn_logit']
    """
    from gvisage_lib.clinical.logistic import vif

    train = frame[frame["split"] == train_split]
    if train.empty:
        raise ValueError(f"no rows of split {train_split!r}")
    data = _with_cnn_term(train)
    return vif(data, [*clinical_variables, CNN_TERM], kinds={CNN_TERM: "continuous"})


def table2_with_paper(metrics: pd.DataFrame) -> pd.DataFrame:
    """:func:`model_metrics` rows beside the paper's Table 2 (one row per model, split and metric).

    Returns
    -------
    DataFrame
        model, split, metric, this_run, this_run_ci_low, this_run_ci_high, paper, paper_ci_low, paper_ci_high.

    Examples
    --------
    >>> m = pd.DataFrame({"model": [HYBRID], "split": ["validation"], "metric": ["auc"], "estimate": [0.7],
    ...                   "ci_low": [0.6], "ci_high": [0.8]})
    >>> table2_with_paper(m)[["metric", "this_run", "paper"]].values.tolist()
    [['auc', 0.7, 0.789]]
    """
    if reason := skip_reason(metrics):
        return skipped_table(reason)
    check_frame(metrics, "metrics", ["model", "split", "metric", "estimate", "ci_low", "ci_high"])
    published = paper.table2()[["model", "split", "metric", "estimate", "ci_low", "ci_high"]].rename(
        columns={"estimate": "paper", "ci_low": "paper_ci_low", "ci_high": "paper_ci_high"})
    ours = metrics[["model", "split", "metric", "estimate", "ci_low", "ci_high"]].rename(
        columns={"estimate": "this_run", "ci_low": "this_run_ci_low", "ci_high": "this_run_ci_high"})
    return ours.merge(published, on=["model", "split", "metric"], how="left").reset_index(drop=True)


def models_vif(frame: pd.DataFrame, fits: HybridFits) -> pd.DataFrame:
    """VIFs of the clinical model's design (on its ``train_split``) and the hybrid's (:func:`hybrid_vif`, on its
    ``hybrid_split``), stacked with a ``model`` column; the skipped table for a skipped bundle.

    Examples
    --------
    >>> models_vif(pd.DataFrame({"split": ["train"]}), HybridFits.skipped("too few subjects", ["x"])).reason.tolist()
    ['too few subjects']
    """
    from gvisage_lib.clinical.logistic import vif

    if fits.is_skipped:
        return skipped_table(fits.skip_reason)
    train = frame[frame["split"] == fits.train_split]
    return pd.concat([vif(train, fits.clinical_variables).assign(model=fits.names[0]),
                      hybrid_vif(frame, fits.clinical_variables, train_split=fits.hybrid_split)
                      .assign(model=fits.names[1])], ignore_index=True)


def screened_model_metrics(fits: HybridFits, screened: HybridFits, *, rule: str = "youden") -> pd.DataFrame:
    """:func:`model_metrics` of the paper's models and of the sensitivity analysis's (``screened``, fitted on the
    screened variables; its CNN rows dropped, they are the paper's), or the skipped table of the first of the two
    bundles that was skipped.

    Examples
    --------
    >>> skipped = HybridFits.skipped("the screening selected none", ["x"])
    >>> screened_model_metrics(skipped, skipped).reason.tolist()
    ['the screening selected none']
    """
    for f in (fits, screened):
        if f.is_skipped:
            return skipped_table(f.skip_reason)
    return model_metrics(pd.concat([fits.scores, screened.scores[screened.scores.model != CNN]]), rule=rule,
                         fit_splits={**fits.fit_splits, **screened.fit_splits})


def table_view(table: pd.DataFrame, **pivot: object) -> pd.DataFrame:
    """A table's display form: ``table.pivot_table(**pivot)`` (with ``sort=False``), or a skipped table as it is.

    Examples
    --------
    >>> table_view(skipped_table("too few subjects"), index="model", columns="split", values="n").shape
    (1, 2)
    """
    if skip_reason(table):
        return table
    return table.pivot_table(sort=False, **pivot)


def auc_view(metrics: pd.DataFrame) -> pd.DataFrame:
    """The AUC rows of :func:`model_metrics` (model, split, n, estimate and CI), or a skipped table as it is.

    Examples
    --------
    >>> auc_view(skipped_table("too few subjects")).columns.tolist()
    ['skipped', 'reason']
    """
    if skip_reason(metrics):
        return metrics
    return metrics[metrics["metric"] == "auc"][["model", "split", "n", "estimate", "ci_low", "ci_high"]]
