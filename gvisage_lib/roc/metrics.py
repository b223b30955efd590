"""Stage-wise diagnostic accuracy from ``predictions.parquet`` (notebook 04: Table 2's GVisageNet rows, Fig 3C, Fig 4).

Everything here reads saved predictions only (no torch), so the whole analysis reruns on a CPU in seconds.

Statistical choices (also stated in notebook 04)
------------------------------------------------
* AUC: DeLong CI (:func:`gvisage_lib.stats.roc_auc_delong`, equal to R pROC). Accuracy, sensitivity, specificity,
  PPV, NPV: exact Clopper-Pearson CIs.
* Thresholds: chosen on the ``train`` split of the same model and stage (:func:`gvisage_lib.stats.operating_points`:
  Youden, max-sensitivity at a specificity floor, max-specificity at a sensitivity floor) and carried unchanged to
  test and validation. The Table 2 row uses the Youden point (the paper reports one operating point per row).
* Candidate comparison: paired DeLong tests between every pair of candidates, per stage and split, on the subjects
  that both candidates scored; Holm-adjusted p values within each stage x split beside the raw ones.
* ROC bands: pointwise stratified-bootstrap percentile band of the sensitivity at 101 fixed specificities, linearly
  interpolated on each replicate's curve (pROC's ``ci.se``, :func:`gvisage_lib.stats.roc_confidence_band`), seeded.

Examples
--------
>>> pred = demo_predictions(seed=0)
>>> tidy = stage_metrics(pred, model="resnet50", stage=2)
>>> sorted(tidy["split"].unique())
['test', 'validation']
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from gvisage_lib.core import schema
from gvisage_lib.core.style import SPLIT_LABEL, STAGE_CLASS_LABEL
from gvisage_lib.stats import (
    apply_operating_points,
    average_precision,
    delong_test,
    diagnostic_metrics,
    operating_points,
    roc_auc_delong,
    roc_confidence_band,
)

__all__ = [
    "demo_predictions",
    "train_operating_points",
    "selected_operating_points",
    "stage_metrics",
    "gvisagenet_metrics",
    "format_table2",
    "candidate_metrics",
    "pairwise_delong",
    "roc_bands",
    "pr_summary",
    "paper_comparison",
    "two_by_two",
    "format_two_by_two",
]

EVAL_SPLITS: tuple[str, ...] = ("test", "validation")
TABLE2_METRICS: tuple[str, ...] = ("auc", "accuracy", "sensitivity", "specificity")


def demo_predictions(seed: int = 0, scale: float = 1.0) -> pd.DataFrame:
    """Synthetic predictions with the real schema, for examples and tests only (never written to a run).

    Group sizes follow docs/paper.md (times ``scale``); scores are logistic of a normal latent variable with a
    model-specific separation.

    Examples
    --------
    >>> d = demo_predictions(seed=1, scale=0.2)
    >>> sorted(d["model"].unique()) == sorted(schema.CANDIDATE_MODELS)
    True
    """
    rng = np.random.default_rng(seed)
    sizes = {"train": (358, 189, 300), "test": (79, 63, 70), "validation": (130, 106, 100)}
    sep = {1: {"alexnet": 2.4, "resnet50": 2.6, "inception_v3": 2.5}, 2: {"alexnet": 0.6, "resnet50": 0.8,
                                                                        "inception_v3": 0.55}}
    rows = []
    for split, counts in sizes.items():
        groups = np.repeat(["iGCT", "other", "NC"], [max(2, round(c * scale)) for c in counts])
        ids = [f"{split[:2]}{i:04d}" for i in range(groups.size)]
        shared = rng.normal(size=groups.size)
        for stage in (1, 2):
            labels = [schema.stage_label(g, stage) for g in groups]
            keep = np.array([lab is not None for lab in labels])
            y = np.array([lab for lab in labels if lab is not None])
            for model in schema.CANDIDATE_MODELS:
                z = sep[stage][model] * y + 0.7 * shared[keep] + 0.7 * rng.normal(size=y.size)
                rows.append(pd.DataFrame({
                    "subject_id": np.asarray(ids)[keep], "split": split, "stage": stage, "model": model, "label": y,
                    "score": 1.0 / (1.0 + np.exp(-(z - sep[stage][model] / 2))), "profile": "demo", "seed": seed,
                    "checkpoint_sha256": "0" * 64}))
    return pd.concat(rows, ignore_index=True)[list(schema.PREDICTION_COLUMNS)]


# --------------------------------------------------------------------------------------------------- analyses


def _subset(pred: pd.DataFrame, model: str, stage: int, split: str) -> pd.DataFrame:
    return pred[(pred["model"] == model) & (pred["stage"] == stage) & (pred["split"] == split)]


def _require(df: pd.DataFrame, what: str) -> pd.DataFrame:
    if df.empty:
        raise ValueError(f"predictions hold no rows for {what}")
    if df["label"].nunique() < 2:
        raise ValueError(f"predictions for {what} hold a single class (label {int(df['label'].iloc[0])})")
    return df


def train_operating_points(pred: pd.DataFrame, model: str, stage: int, train_split: str = "train",
                           min_sensitivity: float = 0.90, min_specificity: float = 0.90) -> pd.DataFrame:
    """Operating points of ``model`` in ``stage`` chosen on ``train_split``
    (see :mod:`gvisage_lib.stats.operating_points`).

    Examples
    --------
    >>> train_operating_points(demo_predictions(0), "resnet50", 1)["rule"].tolist()
    ['youden', 'sensitivity_at_specificity', 'specificity_at_sensitivity']
    """
    tr = _require(_subset(pred, model, stage, train_split), f"model={model!r}, stage={stage}, split={train_split!r}")
    op = operating_points(tr["label"], tr["score"], min_sensitivity=min_sensitivity, min_specificity=min_specificity)
    return op.assign(model=model, stage=stage, chosen_on=train_split)


def selected_operating_points(pred: pd.DataFrame, selected: dict[str, Any], train_split: str = "train",
                              min_sensitivity: float = 0.90, min_specificity: float = 0.90) -> pd.DataFrame:
    """:func:`train_operating_points` of the selected model of stage 1 and stage 2, stacked.

    Examples
    --------
    >>> op = selected_operating_points(demo_predictions(0), {"stage1": "resnet50", "stage2": "alexnet"})
    >>> op[["stage", "model"]].drop_duplicates().to_numpy().tolist()
    [[1, 'resnet50'], [2, 'alexnet']]
    """
    cols = ["stage", "model", "chosen_on", "rule", "label", "threshold", "sensitivity", "specificity", "youden_j",
            "constraint"]
    return pd.concat([train_operating_points(pred, selected[f"stage{s}"], s, train_split, min_sensitivity,
                                             min_specificity) for s in (1, 2)], ignore_index=True)[cols]


def stage_metrics(pred: pd.DataFrame, model: str, stage: int, splits: Sequence[str] = EVAL_SPLITS,
                  train_split: str = "train", rules: Sequence[str] | None = None, min_sensitivity: float = 0.90,
                  min_specificity: float = 0.90, level: float = 0.95) -> pd.DataFrame:
    """Tidy diagnostic accuracy of one model and stage on each split, thresholds from ``train_split``.

    Returns
    -------
    DataFrame with :data:`gvisage_lib.core.schema.TABLE2_COLUMNS`; one AUC row per split (``rule`` = "",
    threshold NaN, DeLong CI) and, per rule, accuracy, sensitivity, specificity, PPV and NPV (exact CIs).
    ``in_sample`` is True for the threshold metrics of the split the thresholds were chosen on (``train_split``).

    Examples
    --------
    >>> t = stage_metrics(demo_predictions(0), "resnet50", 1, rules=["youden"])
    >>> t.query("split == 'test'")["metric"].tolist()
    ['auc', 'accuracy', 'sensitivity', 'specificity', 'ppv', 'npv']
    """
    ops = train_operating_points(pred, model, stage, train_split, min_sensitivity, min_specificity)
    if rules is not None:
        unknown = set(rules) - set(ops["rule"])
        if unknown:
            raise ValueError(f"rules must be among {ops['rule'].tolist()}, got {sorted(unknown)}")
        ops = ops[ops["rule"].isin(rules)]
    frames = []
    for split in splits:
        d = _require(_subset(pred, model, stage, split), f"model={model!r}, stage={stage}, split={split!r}")
        r = roc_auc_delong(d["label"], d["score"], level=level)
        frames.append(pd.DataFrame([{"rule": "", "threshold": np.nan, "metric": "auc", "estimate": r.auc,
                                     "ci_low": r.ci_low, "ci_high": r.ci_high, "k": np.nan, "n": len(d),
                                     "ci_method": "DeLong"}]))
        pts = apply_operating_points(ops, d["label"], d["score"], level=level).assign(ci_method="Clopper-Pearson")
        frames.append(pts)
        frames[-2]["split"] = split
        frames[-1]["split"] = split
    out = pd.concat(frames, ignore_index=True).assign(model=model, stage=stage)
    # a threshold evaluated on the split it was chosen on is an in-sample estimate
    out["in_sample"] = (out["rule"] != "") & (out["split"] == train_split)
    return out[list(schema.TABLE2_COLUMNS)]


def gvisagenet_metrics(pred: pd.DataFrame, selected: dict[str, Any], **kwargs: Any) -> pd.DataFrame:
    """:func:`stage_metrics` of the selected model of stage 1 and stage 2 (``selected_model.json``), stacked.

    Examples
    --------
    >>> t = gvisagenet_metrics(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"})
    >>> sorted(t["stage"].unique().tolist())
    [1, 2]
    """
    return pd.concat([stage_metrics(pred, selected[f"stage{s}"], s, **kwargs) for s in (1, 2)], ignore_index=True)


def format_table2(tidy: pd.DataFrame, rule: str = "youden", digits: int = 3) -> pd.DataFrame:
    """Table 2 layout: one row per model x stage x split, ``estimate (low-high)`` strings; proportions in percent.

    Examples
    --------
    >>> t = format_table2(gvisagenet_metrics(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"}))
    >>> list(t.columns[:4])
    ['model', 'stage', 'split', 'threshold']
    >>> list(t.columns[4:])
    ['AUC (95% CI)', 'Accuracy (95% CI)', 'Sensitivity (95% CI)', 'Specificity (95% CI)']
    """
    d = tidy[(tidy["metric"] == "auc") | (tidy["rule"] == rule)]
    d = d[d["metric"].isin(TABLE2_METRICS)]
    rows = []
    for (model, stage, split), g in d.groupby(["model", "stage", "split"], sort=False):
        g = g.set_index("metric")
        row: dict[str, Any] = {"model": model, "stage": stage, "split": split,
                               "threshold": g["threshold"].dropna().iloc[0] if g["threshold"].notna().any() else np.nan}
        for m in TABLE2_METRICS:
            lvl = "95% CI"
            e, lo, hi = g.loc[m, ["estimate", "ci_low", "ci_high"]]
            if m == "auc":
                row[f"AUC ({lvl})"] = f"{e:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"
            else:
                row[f"{m.capitalize()} ({lvl})"] = f"{100 * e:.2f}% ({100 * lo:.2f}%-{100 * hi:.2f}%)"
        rows.append(row)
    return pd.DataFrame(rows)


def candidate_metrics(pred: pd.DataFrame, split: str = "test", stages: Sequence[int] = (1, 2),
                      models: Sequence[str] | None = None, rule: str = "youden", level: float = 0.95,
                      threshold_splits: Mapping[str, str] | None = None, **kwargs: Any) -> pd.DataFrame:
    """Fig 3C data: AUC, accuracy, sensitivity and specificity of every candidate on ``split``, per stage.

    Thresholds of each candidate are chosen (``rule``) on the split ``threshold_splits`` names for it (default: its
    own training predictions), e.g. :meth:`gvisage_lib.cnn.outputs.FitPredictions.threshold_split`; ``in_sample``
    marks the metrics of a threshold chosen on ``split`` itself.

    Examples
    --------
    >>> c = candidate_metrics(demo_predictions(0))
    >>> sorted(c["model"].unique()) == sorted(schema.CANDIDATE_MODELS)
    True
    """
    models = list(models) if models is not None else [m for m in schema.CANDIDATE_MODELS if m in set(pred["model"])]
    default = kwargs.pop("train_split", "train")
    chosen_on = dict(threshold_splits or {})
    frames = [stage_metrics(pred, m, s, splits=[split], train_split=chosen_on.get(m, default), rules=[rule],
                            level=level, **kwargs)
              for s in stages for m in models]
    out = pd.concat(frames, ignore_index=True)
    return out[out["metric"].isin(TABLE2_METRICS)].reset_index(drop=True)


def pairwise_delong(pred: pd.DataFrame, stages: Sequence[int] = (1, 2), splits: Sequence[str] = EVAL_SPLITS,
                    models: Sequence[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Paired DeLong tests between every pair of candidates, per stage and split (two-sided).

    Subjects are matched by ``subject_id``; only subjects scored by both models enter (``n``). ``p_holm``: Holm
    adjustment over the pairs of one stage x split.

    Examples
    --------
    >>> t = pairwise_delong(demo_predictions(0), stages=[2], splits=["test"])
    >>> t[["model_a", "model_b"]].to_numpy().tolist()
    [['alexnet', 'resnet50'], ['alexnet', 'inception_v3'], ['resnet50', 'inception_v3']]
    """
    models = list(models) if models is not None else [m for m in schema.CANDIDATE_MODELS if m in set(pred["model"])]
    rows = []
    for stage, split in itertools.product(stages, splits):
        block = []
        for a, b in itertools.combinations(models, 2):
            da = _subset(pred, a, stage, split)[["subject_id", "label", "score"]]
            db = _subset(pred, b, stage, split)[["subject_id", "label", "score"]]
            m = da.merge(db, on="subject_id", suffixes=("_a", "_b"))
            if m.empty:
                continue
            if not (m["label_a"] == m["label_b"]).all():
                sid = m.loc[m["label_a"] != m["label_b"], "subject_id"].iloc[0]
                raise ValueError(f"label of subject {sid!r} differs between models {a!r} and {b!r} "
                                 f"(stage {stage}, split {split!r})")
            _require(m.rename(columns={"label_a": "label"}), f"stage={stage}, split={split!r}")
            r = delong_test(m["label_a"], m["score_a"], m["score_b"], level=level)
            block.append({"stage": stage, "split": split, "model_a": a, "model_b": b, "n": len(m),
                          "auc_a": r.auc_a, "auc_b": r.auc_b, "difference": r.difference,
                          "diff_ci_low": r.diff_ci_low, "diff_ci_high": r.diff_ci_high, "z": r.z, "p_value": r.p_value})
        if block:
            p = np.array([row["p_value"] for row in block])
            adj = multipletests(p, method="holm")[1]
            for row, pa in zip(block, adj, strict=True):
                row["p_holm"] = float(pa)
            rows.extend(block)
    return pd.DataFrame(rows)


def auc_vs_chance_table(pred: pd.DataFrame, selected: Mapping[str, Any], splits: Sequence[str] = EVAL_SPLITS,
                        level: float = 0.95) -> pd.DataFrame:
    """GVisageNet's AUC against 0.5 per stage and split: the DeLong z-test and the Mann-Whitney test.

    The paper reports its stage-1 validation AUC as "0.938 (P<.01)"; the null of an AUC's P value is AUC = 0.5
    (:func:`gvisage_lib.stats.chance.auc_vs_chance`). One row per stage x split with the selected model of the
    stage (``selected["stage1"]``, ``selected["stage2"]``): ``model, stage, split, n_pos, n_neg, auc, ci_low,
    ci_high, z_delong, p_delong, p_mann_whitney``.

    Examples
    --------
    >>> t = auc_vs_chance_table(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"})
    >>> t[["stage", "split"]].to_numpy().tolist()
    [[1, 'test'], [1, 'validation'], [2, 'test'], [2, 'validation']]
    """
    from gvisage_lib.stats.chance import auc_vs_chance

    rows = []
    for stage, split in itertools.product((1, 2), splits):
        model = selected.get(f"stage{stage}")
        if model is None:
            raise KeyError(f"selected has no key 'stage{stage}': {sorted(selected)}")
        d = _subset(pred, model, stage, split)
        if d.empty:
            continue
        _require(d, f"stage={stage}, split={split!r}")
        r = auc_vs_chance(d["label"], d["score"], level=level)
        rows.append({"model": model, "stage": stage, "split": split, "n_pos": r.n_pos, "n_neg": r.n_neg,
                     "auc": r.auc, "ci_low": r.ci_low, "ci_high": r.ci_high, "z_delong": r.z_delong,
                     "p_delong": r.p_delong, "p_mann_whitney": r.p_mann_whitney})
    return pd.DataFrame(rows)


def roc_bands(pred: pd.DataFrame, model: str, stage: int, splits: Sequence[str] = EVAL_SPLITS,
              n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Bootstrap confidence bands of the ROC curve of ``model`` in ``stage`` on each split (tidy, ``split`` column).

    Examples
    --------
    >>> b = roc_bands(demo_predictions(0), "resnet50", 2, n_boot=100)
    >>> sorted(b["split"].unique()), len(b)
    (['test', 'validation'], 202)
    """
    frames = []
    for i, split in enumerate(splits):
        d = _require(_subset(pred, model, stage, split), f"model={model!r}, stage={stage}, split={split!r}")
        band = roc_confidence_band(d["label"], d["score"], n_boot=n_boot, level=level, seed=seed + 1000 * stage + i)
        frames.append(band.assign(model=model, stage=stage, split=split))
    return pd.concat(frames, ignore_index=True)


def pr_summary(pred: pd.DataFrame, selected: dict[str, Any], splits: Sequence[str] = EVAL_SPLITS) -> pd.DataFrame:
    """Average precision and prevalence (the no-skill precision) of the selected model per stage and split.

    Examples
    --------
    >>> s = pr_summary(demo_predictions(0), {"stage1": "resnet50", "stage2": "resnet50"})
    >>> list(s.columns)
    ['model', 'stage', 'split', 'n', 'prevalence', 'average_precision']
    """
    rows = []
    for stage in (1, 2):
        model = selected[f"stage{stage}"]
        for split in splits:
            d = _require(_subset(pred, model, stage, split), f"model={model!r}, stage={stage}, split={split!r}")
            rows.append({"model": model, "stage": stage, "split": split, "n": len(d),
                         "prevalence": float(d["label"].mean()),
                         "average_precision": average_precision(d["label"], d["score"])})
    return pd.DataFrame(rows)


def paper_comparison(tidy: pd.DataFrame, paper: pd.DataFrame, selected: dict[str, Any],
                     rule: str = "youden") -> pd.DataFrame:
    """The paper's numbers beside this run's, labelled, for the GVisageNet rows and the candidates' AUCs.

    Paper rows with ``model_key == "gvisagenet"`` are matched with the selected model of their stage; candidate
    rows (``alexnet``, ``resnet50``, ``inception_v3``) with that candidate. Rows of this run use ``rule``.

    Returns
    -------
    DataFrame: ``source, stage, split, model, metric, paper, paper_ci, this_run, this_run_ci, note``.

    Examples
    --------
    >>> pred = demo_predictions(0)
    >>> sel = {"stage1": "resnet50", "stage2": "resnet50"}
    >>> tidy = pd.concat([gvisagenet_metrics(pred, sel), candidate_metrics(pred)])
    >>> from gvisage_lib import paper
    >>> cmp = paper_comparison(tidy, paper.results(), sel)
    >>> int(cmp["this_run"].notna().sum()) >= 20
    True
    """
    ours = tidy[(tidy["metric"] == "auc") | (tidy["rule"] == rule)].drop_duplicates(
        ["model", "stage", "split", "metric"])
    ours = ours.set_index(["model", "stage", "split", "metric"])
    rows = []
    for r in paper.itertuples(index=False):
        key = r.model_key
        model = selected.get(f"stage{int(r.stage)}") if key == "gvisagenet" else key
        if model not in schema.CANDIDATE_MODELS:
            continue  # logistic regression and hybrid rows belong to notebook 05
        idx = (model, int(r.stage), r.split, r.metric)
        has = idx in ours.index
        o = ours.loc[idx] if has else None
        rows.append({"source": r.source, "stage": int(r.stage), "split": r.split,
                     "model": f"{r.model} -> {model}", "metric": r.metric, "paper": r.estimate,
                     "paper_ci": f"{r.ci_low:.3f}-{r.ci_high:.3f}",
                     "this_run": float(o["estimate"]) if has else np.nan,
                     "this_run_ci": f"{o['ci_low']:.3f}-{o['ci_high']:.3f}" if has else "", "note": r.note})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------- 2x2 tables

#: Columns of :func:`two_by_two`.
TWO_BY_TWO_COLUMNS: tuple[str, ...] = (
    "stage", "split", "model", "rule", "chosen_on", "threshold", "tp", "fp", "fn", "tn", "test_positive",
    "test_negative", "reference_positive", "reference_negative", "n", "sensitivity", "specificity", "accuracy",
    "in_sample")


def two_by_two(pred: pd.DataFrame, operating_points: pd.DataFrame,
               splits: Sequence[str] = EVAL_SPLITS) -> pd.DataFrame:
    """Cross-tabulation of the index test (the CNN's call) against the reference standard at the chosen thresholds.

    For every operating point of ``operating_points`` (the table of :func:`selected_operating_points`: one row per
    stage and rule, with the model and the threshold chosen on its ``chosen_on`` split) and every split, the subjects of
    that model, stage and split are called positive when ``score >= threshold`` and counted against their label
    (the reference standard: the pathological group): true and false positives and negatives with the row and
    column totals, STARD's item 23. Sensitivity, specificity and accuracy follow from the counts, so they are the
    estimates of Table 2's rows at the same rule (:func:`stage_metrics`).

    Parameters
    ----------
    pred : pandas.DataFrame
        Predictions (:data:`gvisage_lib.core.schema.PREDICTION_COLUMNS`).
    operating_points : pandas.DataFrame
        Columns ``stage, model, rule, threshold`` and optionally ``chosen_on`` (:func:`selected_operating_points`).
    splits : sequence of str, default ("test", "validation")
        The splits to tabulate.

    Returns
    -------
    pandas.DataFrame
        One row per stage x split x rule with :data:`TWO_BY_TWO_COLUMNS`: ``test_positive = tp + fp``,
        ``test_negative = fn + tn``, ``reference_positive = tp + fn``, ``reference_negative = fp + tn``;
        ``in_sample`` is True where the split is the one the threshold was chosen on.

    Examples
    --------
    >>> pred = demo_predictions(0)
    >>> ops = selected_operating_points(pred, {"stage1": "resnet50", "stage2": "resnet50"})
    >>> t = two_by_two(pred, ops).query("rule == 'youden'")
    >>> t[["stage", "split", "n"]].to_numpy().tolist()
    [[1, 'test', 212], [1, 'validation', 336], [2, 'test', 142], [2, 'validation', 236]]
    >>> bool((t.tp + t.fp + t.fn + t.tn == t.n).all())
    True
    """
    if not isinstance(operating_points, pd.DataFrame):
        raise TypeError(f"operating_points must be a DataFrame (selected_operating_points), "
                        f"got {type(operating_points).__name__}")
    missing = [c for c in ("stage", "model", "rule", "threshold") if c not in operating_points.columns]
    if missing:
        raise ValueError(f"operating_points lacks column(s) {missing} (see selected_operating_points)")
    if isinstance(splits, str):
        raise TypeError(f"splits must be a sequence of split names, got the string {splits!r}")
    rows = []
    for op in operating_points.itertuples(index=False):
        stage, model, thr = int(op.stage), str(op.model), float(op.threshold)
        chosen_on = str(getattr(op, "chosen_on", ""))
        for split in splits:
            d = _subset(pred, model, stage, split)
            if d.empty:
                raise ValueError(f"predictions hold no rows for model={model!r}, stage={stage}, split={split!r}")
            m = diagnostic_metrics(d["label"], d["score"], thr)
            rows.append({"stage": stage, "split": split, "model": model, "rule": op.rule, "chosen_on": chosen_on,
                         "threshold": thr, "tp": m.tp, "fp": m.fp, "fn": m.fn, "tn": m.tn,
                         "test_positive": m.tp + m.fp, "test_negative": m.fn + m.tn,
                         "reference_positive": m.tp + m.fn, "reference_negative": m.fp + m.tn, "n": len(d),
                         "sensitivity": m.sensitivity, "specificity": m.specificity, "accuracy": m.accuracy,
                         "in_sample": split == chosen_on})
    out = pd.DataFrame(rows, columns=list(TWO_BY_TWO_COLUMNS))
    order = {s: i for i, s in enumerate(splits)}
    out = out.sort_values(["stage", "split"], key=lambda c: c.map(order) if c.name == "split" else c,
                          kind="stable")  # rules keep the order of operating_points
    return out.reset_index(drop=True)


def format_two_by_two(table: pd.DataFrame, stage: int, split: str, rule: str = "youden") -> pd.DataFrame:
    """One 2x2 block of :func:`two_by_two` as a reader sees it: index test rows, reference-standard columns, totals.

    Rows: the index test positive (``score >= threshold``), negative, and the total; columns: the reference standard
    positive (the stage's positive class), negative, and the total.

    Examples
    --------
    >>> pred = demo_predictions(0)
    >>> ops = selected_operating_points(pred, {"stage1": "resnet50", "stage2": "resnet50"})
    >>> b = format_two_by_two(two_by_two(pred, ops), 2, "validation")
    >>> b.columns.tolist()
    ['Reference: iGCT', 'Reference: Other midline tumour', 'Total']
    >>> int(b.loc["Total", "Total"])
    236
    """
    if stage not in schema.STAGES:
        raise ValueError(f"stage must be one of {sorted(schema.STAGES)}, got {stage!r}")
    sel = table[(table["stage"] == stage) & (table["split"] == split) & (table["rule"] == rule)]
    if len(sel) != 1:
        raise ValueError(f"table holds {len(sel)} row(s) for stage={stage}, split={split!r}, rule={rule!r}; "
                         "expected 1 (see two_by_two)")
    r = sel.iloc[0]
    pos, neg = STAGE_CLASS_LABEL[stage]
    thr = float(r["threshold"])
    block = pd.DataFrame(
        [[r["tp"], r["fp"], r["test_positive"]], [r["fn"], r["tn"], r["test_negative"]],
         [r["reference_positive"], r["reference_negative"], r["n"]]],
        index=[f"Index test positive (score ≥ {thr:.3g})", f"Index test negative (score < {thr:.3g})", "Total"],
        columns=[f"Reference: {pos}", f"Reference: {neg}", "Total"]).astype(int)
    block.index.name = f"Stage {stage}, {SPLIT_LABEL.get(split, split)}"
    return block
