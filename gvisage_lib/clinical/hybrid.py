"""Stage-2 models side by side: the CNN, the clinical logistic regression and the hybrid of both (Table 2 rows).

The paper's hybrid model "integrates the output of GVisageNet with the results from the logistic regression model"
(Methods; its Figure S3 is not in the article). We read it as one logistic regression on the selected clinical
variables plus the stage-2 CNN score on the logit scale, fitted on the training split only and evaluated on the test
and validation splits. The CNN row is the score itself (a monotone transform would not change its AUC).

Comparisons (:func:`compare_models`):

* CNN vs clinical model: different inputs, not nested, so the paired DeLong test is valid.
* Hybrid vs clinical model, and hybrid vs CNN: nested (the hybrid contains each), the setting in which DeLong's test
  of ΔAUC is invalid (Demler, Pencina & D'Agostino, Stat Med 2012;31:2577-87: under the null of no added value the
  ΔAUC statistic is not normal and the test is badly conservative). We report the paper's DeLong test and beside it
  the likelihood-ratio test of the added term(s) on the training fit (the test those authors recommend) and a
  seeded stratified bootstrap CI of ΔAUC on the evaluation split (models held fixed).

Examples
--------
>>> import numpy as np
>>> logit(np.array([0.5, 0.0])).round(2).tolist()
[0.0, -13.82]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from gvisage_lib import paper
from gvisage_lib.core import schema
from gvisage_lib.clinical.logistic import LogisticFit, SeparationError, fit_logistic

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


def read_selected_model(path: str | os.PathLike[str], stage_key: str = "stage2") -> str:
    """Name of the selected stage-2 model in ``selected_model.json`` (written by the training step, notebook 03).

    The file's ``rule`` field describes how the model was selected, not a decision threshold; thresholds here are
    chosen on the training split (:func:`train_threshold`).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.json"
    >>> _ = p.write_text(json.dumps({"stage1": "resnet50", "stage2": "resnet50", "gvisagenet": "resnet50"}))
    >>> read_selected_model(p)
    'resnet50'
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"selected-model file {p} does not exist (written by the training notebook)")
    data = json.loads(p.read_text())
    if stage_key not in data:
        raise ValueError(f"{p}: key {stage_key!r} missing; keys are {sorted(data)}")
    model = data[stage_key]
    if isinstance(model, dict):
        model = model.get("model")
    if not isinstance(model, str):
        raise ValueError(f"{p}: {stage_key!r} must name a model, got {data[stage_key]!r}")
    return model


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
    missing = [c for c in need if c not in predictions.columns]
    if missing:
        raise ValueError(f"predictions lack column(s) {missing}")
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


def load_stage2_frame(manifest_path: str | os.PathLike[str], predictions_path: str | os.PathLike[str],
                      selected_model_path: str | os.PathLike[str]) -> tuple[pd.DataFrame, str]:
    """Read the manifest, predictions and selected model; return (:func:`stage2_frame`, model name).

    Examples
    --------
    >>> load_stage2_frame("/nonexistent/m.csv", "/nonexistent/p.parquet", "/nonexistent/s.json")
    Traceback (most recent call last):
    ...
    FileNotFoundError: manifest /nonexistent/m.csv does not exist
    """
    from gvisage_lib.cohort.manifest import load_manifest

    for name, p in (("manifest", manifest_path), ("predictions", predictions_path)):
        if not Path(p).exists():
            raise FileNotFoundError(f"{name} {p} does not exist")
    model = read_selected_model(selected_model_path)
    man = load_manifest(manifest_path, validate=False)
    pred = pd.read_parquet(predictions_path)
    return stage2_frame(man, pred, model), model


@dataclass
class HybridFits:
    """The three stage-2 models fitted on the training split, and their scores on every split (long format)."""

    clinical: LogisticFit
    hybrid: LogisticFit
    cnn_only: LogisticFit
    clinical_variables: list[str]
    scores: pd.DataFrame
    #: labels of the clinical and the hybrid model in ``scores`` and the tables.
    names: tuple[str, str] = (CLINICAL, HYBRID)

    @property
    def method(self) -> str:
        """Estimation method of the three models: "ml" or "firth"."""
        return self.clinical.method

    def coefficient_table(self) -> pd.DataFrame:
        """Odds ratios of the clinical and hybrid models, stacked (column ``model``)."""
        return pd.concat([self.clinical.table.assign(model=self.names[0]),
                          self.hybrid.table.assign(model=self.names[1])],
                         ignore_index=True)[["model", *self.clinical.table.columns]]


def fit_models(frame: pd.DataFrame, clinical_variables: Sequence[str], *, train_split: str = "train",
               method: str = "auto", names: tuple[str, str] = (CLINICAL, HYBRID)) -> HybridFits:
    """Fit the clinical and hybrid logistic regressions on ``train_split`` and score every row.

    Parameters
    ----------
    frame : DataFrame
        :func:`stage2_frame` output (``label``, ``score``, ``split`` and the clinical columns).
    clinical_variables : sequence of str
        The screened variables (:func:`gvisage_lib.clinical.logistic.screen_univariate`).
    train_split : str
        Split on which the models are fitted.
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
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing}")
    if CNN_TERM in clinical_variables:
        raise ValueError(f"clinical_variables must not contain the reserved name {CNN_TERM!r}")
    data = frame.assign(**{CNN_TERM: logit(frame["score"].to_numpy())})
    train = data[data["split"] == train_split]
    if train.empty:
        raise ValueError(f"no rows of split {train_split!r}; splits present: {sorted(frame['split'].unique())}")
    if method not in ("auto", "ml", "firth"):
        raise ValueError(f"method must be 'auto', 'ml' or 'firth', got {method!r}")

    def fit_all(how: str) -> tuple[LogisticFit, LogisticFit, LogisticFit]:
        return (fit_logistic(train, "label", clinical_variables, method=how),
                fit_logistic(train, "label", [*clinical_variables, CNN_TERM], kinds={CNN_TERM: "continuous"},
                             method=how),
                fit_logistic(train, "label", [CNN_TERM], kinds={CNN_TERM: "continuous"}, method=how))

    if method == "auto":
        try:
            clin, hyb, cnn = fit_all("ml")
        except SeparationError:
            clin, hyb, cnn = fit_all("firth")
    else:
        clin, hyb, cnn = fit_all(method)
    base = data[["subject_id", "split", "label"]]
    scores = pd.concat([
        base.assign(model=CNN, score=data["score"].to_numpy()),
        base.assign(model=names[0], score=clin.predict(data)),
        base.assign(model=names[1], score=hyb.predict(data)),
    ], ignore_index=True)[["subject_id", "split", "model", "label", "score"]]
    return HybridFits(clin, hyb, cnn, clinical_variables, scores, tuple(names))


def train_threshold(y: np.ndarray, s: np.ndarray, rule: str | None = "youden") -> tuple[float, str]:
    """Threshold of operating point ``rule`` (:func:`gvisage_lib.stats.operating_points`) on training data.

    Examples
    --------
    >>> thr, rule = train_threshold(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.3, 0.6]))
    >>> round(thr, 6), rule
    (0.45, 'youden')
    """
    from gvisage_lib.stats import operating_points

    ops = operating_points(y, s)
    want = (rule or "youden").lower()
    hit = ops[ops["rule"].astype(str).str.lower() == want]
    if hit.empty:
        raise ValueError(f"threshold rule {rule!r} not among operating points {ops['rule'].tolist()}")
    return float(hit["threshold"].iloc[0]), str(hit["rule"].iloc[0])


def model_metrics(scores: pd.DataFrame, *, rule: str | None = "youden", train_split: str = "train",
                  eval_splits: Sequence[str] = ("test", "validation"), level: float = 0.95) -> pd.DataFrame:
    """Table 2 rows: AUC (DeLong CI), accuracy, sensitivity, specificity (exact CIs) of each model and split.

    The threshold of each model is chosen on ``train_split`` by ``rule`` (an operating point of
    :func:`gvisage_lib.stats.operating_points`, Youden by default) and carried unchanged to the evaluation splits.

    Returns
    -------
    DataFrame
        model, dataset, n, n_pos, n_neg, threshold, rule, auc, auc_ci_low, auc_ci_high, and for accuracy,
        sensitivity, specificity: the estimate with ``_ci_low``/``_ci_high``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 300)
    >>> sc = pd.DataFrame({"split": ["train"] * 200 + ["test"] * 100, "model": "m", "label": y,
    ...                    "score": y + rng.normal(size=300)})
    >>> model_metrics(sc, eval_splits=["test"])[["model", "dataset", "n"]].values.tolist()
    [['m', 'test', 100]]
    """
    from gvisage_lib.stats import diagnostic_metrics, roc_auc_delong

    rows = []
    models = [m for m in MODEL_ORDER if m in set(scores["model"])] + sorted(set(scores["model"]) - set(MODEL_ORDER))
    for m in models:
        sm = scores[scores["model"] == m]
        tr = sm[sm["split"] == train_split]
        if tr.empty:
            raise ValueError(f"model {m!r} has no rows of split {train_split!r} to choose a threshold on")
        thr, rule_name = train_threshold(tr["label"].to_numpy(), tr["score"].to_numpy(), rule)
        for sp in eval_splits:
            ev = sm[sm["split"] == sp]
            if ev.empty:
                continue
            y, s = ev["label"].to_numpy(), ev["score"].to_numpy()
            roc = roc_auc_delong(y, s, level=level)
            dm = diagnostic_metrics(y, s, thr, level=level)
            row = {"model": m, "dataset": sp, "n": len(y), "n_pos": int(y.sum()), "n_neg": int(len(y) - y.sum()),
                   "threshold": thr, "rule": rule_name, "auc": roc.auc, "auc_ci_low": roc.ci_low,
                   "auc_ci_high": roc.ci_high}
            for k in ("accuracy", "sensitivity", "specificity"):
                for suffix in ("", "_ci_low", "_ci_high"):
                    row[k + suffix] = float(getattr(dm, k + suffix))
            rows.append(row)
    return pd.DataFrame(rows)


def likelihood_ratio_test(full: LogisticFit, reduced: LogisticFit) -> tuple[float, int, float]:
    """LR test of ``reduced`` nested in ``full`` (same rows): (statistic, df, p).

    For Firth fits this is the penalised likelihood-ratio test (as R ``logistf``'s ``anova``), 2 (pl_full - pl_red).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    >>> df["y"] = (rng.random(200) < 1 / (1 + np.exp(-df.a))).astype(int)
    >>> stat, dof, p = likelihood_ratio_test(fit_logistic(df, "y", ["a", "b"]), fit_logistic(df, "y", ["a"]))
    >>> dof, bool(p > 0.05)
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
    return stat, dof, float(sps.chi2.sf(stat, dof))


def compare_models(fits: HybridFits, *, eval_splits: Sequence[str] = ("test", "validation"), n_boot: int = 2000,
                   seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Pairwise AUC comparisons of the three models: DeLong, and for nested pairs the LR test and bootstrap ΔAUC.

    Returns
    -------
    DataFrame
        comparison, model_a, model_b, nested, dataset, method, auc_a, auc_b, delta_auc, ci_low, ci_high,
        statistic, df, p_value, note. ``delta_auc = auc_a - auc_b``. LR-test rows are on the training split
        (where the models were fitted) and carry no AUC.

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
    clin_name, hyb_name = fits.names
    pairs = [(CNN, clin_name, False, None), (hyb_name, clin_name, True, (fits.hybrid, fits.clinical)),
             (hyb_name, CNN, True, (fits.hybrid, fits.cnn_only))]
    wide = fits.scores.pivot_table(index=["subject_id", "split", "label"], columns="model", values="score",
                                   observed=True).reset_index()
    rows = []
    for a, b, nested, lr_pair in pairs:
        comp = f"{a} vs {b}"
        base = {"comparison": comp, "model_a": a, "model_b": b, "nested": nested}
        if nested and lr_pair is not None:
            stat, dof, p = likelihood_ratio_test(*lr_pair)
            added = sorted(set(lr_pair[0].spec.columns) - set(lr_pair[1].spec.columns))
            rows.append({**base, "dataset": "train", "method": "likelihood-ratio test", "statistic": stat,
                         "df": dof, "p_value": p, "note": f"added term(s): {', '.join(added)}; {DEMLER_NOTE}"})
        for sp in eval_splits:
            ev = wide[wide["split"] == sp]
            if ev.empty:
                continue
            y, sa, sb = ev["label"].to_numpy(int), ev[a].to_numpy(float), ev[b].to_numpy(float)
            d = delong_test(y, sa, sb, level=level)
            rows.append({**base, "dataset": sp, "method": "DeLong (paired)", "auc_a": d.auc_a, "auc_b": d.auc_b,
                         "delta_auc": d.auc_a - d.auc_b, "ci_low": d.diff_ci_low, "ci_high": d.diff_ci_high,
                         "statistic": d.z, "p_value": d.p_value,
                         "note": ("as the paper; invalid for nested models" if nested
                                  else "valid: models on different inputs, not nested")})
            if nested:
                est, lo, hi = bootstrap_ci(lambda yy, xa, xb: batched_auc(yy, xa) - batched_auc(yy, xb), y, sa, sb,
                                           n_boot=n_boot, level=level, seed=seed, stratified=True, vectorized=True)
                rows.append({**base, "dataset": sp, "method": "bootstrap ΔAUC", "auc_a": d.auc_a, "auc_b": d.auc_b,
                             "delta_auc": est, "ci_low": lo, "ci_high": hi,
                             "note": f"stratified percentile bootstrap, {n_boot} resamples, seed {seed}; "
                                     "models held fixed"})
    cols = ["comparison", "model_a", "model_b", "nested", "dataset", "method", "auc_a", "auc_b", "delta_auc",
            "ci_low", "ci_high", "statistic", "df", "p_value", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def hybrid_vif(frame: pd.DataFrame, clinical_variables: Sequence[str], *, train_split: str = "train") -> pd.DataFrame:
    """VIFs of the hybrid model's design (selected clinical variables + logit CNN score) on the training split.

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
    data = train.assign(**{CNN_TERM: logit(train["score"].to_numpy())})
    return vif(data, [*clinical_variables, CNN_TERM], kinds={CNN_TERM: "continuous"})


def table2_with_paper(metrics: pd.DataFrame) -> pd.DataFrame:
    """:func:`model_metrics` rows beside the paper's Table 2 (long: one row per model, dataset and metric).

    Returns
    -------
    DataFrame
        model, dataset, metric, this_run, this_run_ci_low, this_run_ci_high, paper, paper_ci_low, paper_ci_high.

    Examples
    --------
    >>> m = pd.DataFrame({"model": [HYBRID], "dataset": ["validation"], "auc": [0.7], "auc_ci_low": [0.6],
    ...                   "auc_ci_high": [0.8]})
    >>> table2_with_paper(m)[["metric", "this_run", "paper"]].values.tolist()
    [['auc', 0.7, 0.789]]
    """
    published = paper.table2().set_index(["model", "split", "metric"])
    rows = []
    for r in metrics.itertuples(index=False):
        for m in ("auc", "accuracy", "sensitivity", "specificity"):
            if not hasattr(r, m):
                continue
            key = (r.model, r.dataset, m)
            pr = published.loc[key] if key in published.index else None
            rows.append({"model": r.model, "dataset": r.dataset, "metric": m, "this_run": getattr(r, m),
                         "this_run_ci_low": getattr(r, f"{m}_ci_low"), "this_run_ci_high": getattr(r, f"{m}_ci_high"),
                         "paper": float(pr["estimate"]) if pr is not None else np.nan,
                         "paper_ci_low": float(pr["ci_low"]) if pr is not None else np.nan,
                         "paper_ci_high": float(pr["ci_high"]) if pr is not None else np.nan})
    return pd.DataFrame(rows)
