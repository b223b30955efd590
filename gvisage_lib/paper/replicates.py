"""The summary of a replicate study: how the paper's headline numbers and claims vary over the seeds of the pipeline.

A study (``gvisage replicate``, :mod:`gvisage_lib.run.replicates`) holds one run folder per seed. From each, this
module reads what the run computed (:func:`collect`):

* ``aucs``: every AUC of the paper's Table 2 (stage 2: GVisageNet, logistic regression, hybrid; testing and
  validation), GVisageNet's stage-1 AUCs (its Results) and Table 3's stage-2 AUC by HPT-axis damage, with the run's
  95% CI and the paper's value (:func:`run_aucs`);
* ``verdicts``: the verdict of every claim of the run's claims table (:func:`gvisage_lib.paper.claims.claims_table`);
* ``selection``: the architecture selected for each stage (``selected_model.json``);
* ``truth``: the twin's truth checks (``tables/twin_truth_check_mechanism.csv``: recovered or not).

and summarises them over the seeds (:func:`summarise`): the distribution of each AUC (median and range,
:func:`auc_summary`; the per-seed values, :func:`auc_by_seed`), the share of seeds in which each claim holds
(:func:`claim_shares`: a verdict of :data:`HOLDING_VERDICTS`), how often each architecture was selected
(:func:`selection_frequency`) and how often each truth check recovered the planted relation
(:func:`truth_check_counts`). Every function of the summary is a function of these frames, in seed order, so the
same replicate folders give the same tables whoever ran them.

Examples
--------
>>> aucs = pd.DataFrame({"seed": [1, 2, 3], "item": ["a"] * 3, "order": [0] * 3, "paper": [0.7] * 3,
...                      "estimate": [0.6, 0.8, 0.7]})
>>> auc_summary(aucs)[["item", "n_seeds", "median", "min", "max", "paper"]].values.tolist()
[['a', 3, 0.7, 0.6, 0.8, 0.7]]
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.labels import label
from gvisage_lib.core.paths import RunPaths, check_paths
from gvisage_lib.core.validation import check_frame
from gvisage_lib.paper import numbers
from gvisage_lib.paper.claims import claims_table, verdict_direction, verdict_estimate

__all__ = ["AUC_COLUMNS", "HOLDING_VERDICTS", "SUMMARY_TABLES", "auc_by_seed", "auc_summary", "claim_shares",
           "collect", "paper_aucs", "run_aucs", "run_selection", "run_truth_checks", "selection_frequency",
           "study_conclusions", "summarise", "truth_check_counts"]

#: The verdicts of the claims table that say the claim holds in a run, one per rule of
#: :data:`gvisage_lib.paper.claims.RULES` (for ``signs``: every claimed sign, the same words as ``direction``).
HOLDING_VERDICTS: tuple[str, ...] = (
    verdict_direction(1, 0.1, 0.01),  # direction (and signs: all claimed signs significant in their direction)
    "significant, as the paper",  # significance
    "not significant, as the paper",  # no_difference
    "same model",  # selection
    verdict_estimate(0.5, 0.4, 0.6),  # estimate: the paper's value inside this run's 95% CI
)
CANNOT_TELL = "cannot tell"
#: Columns that name one AUC of :func:`paper_aucs`.
AUC_COLUMNS: tuple[str, ...] = ("item", "order", "source", "stage", "model", "split", "stratum", "paper")
#: The summary's tables (file stems in the study's ``tables/``), in reading order.
SUMMARY_TABLES: tuple[str, ...] = ("replicate_auc_summary", "replicate_auc_by_seed", "replicate_auc_values",
                                   "replicate_claims", "replicate_claim_verdicts", "replicate_selection",
                                   "replicate_truth_checks")
_SPLIT = {"test": "testing", "validation": "validation", "train": "training"}


def paper_aucs() -> pd.DataFrame:
    """The AUCs a study follows, with the paper's values (:data:`AUC_COLUMNS`), in the order of the index page.

    Table 2's stage-2 models (testing, validation), GVisageNet's stage-1 AUCs from the Results, and Table 3's
    stage-2 AUC per HPT-damage stratum (the paper's Results text's values, as the index page shows them).

    Examples
    --------
    >>> p = paper_aucs()
    >>> p["item"].iloc[0], float(p["paper"].iloc[0]), len(p)
    ('Table 2, stage 2, GVisageNet, testing', 0.705, 11)
    """
    pr = numbers.results()
    pr = pr[(pr["metric"] == "auc") & ((pr["source"] == "Table 2")
                                       | ((pr["source"] == "Results: Performance of GVisageNet") & (pr["stage"] == 1)))]
    rows = []
    for r in pr.itertuples(index=False):
        source = "Table 2" if r.source == "Table 2" else "Results"
        rows.append({"item": f"{source}, stage {int(r.stage)}, {r.model}, {_SPLIT.get(r.split, r.split)}",
                     "source": source, "stage": int(r.stage), "model": r.model, "split": r.split, "stratum": "",
                     "paper": float(r.estimate)})
    for r in numbers.table3().itertuples(index=False):
        rows.append({"item": f"Table 3, stage 2, GVisageNet, validation, {r.stratum} HPT damage", "source": "Table 3",
                     "stage": 2, "model": "GVisageNet", "split": "validation", "stratum": r.stratum,
                     "paper": float(r.auc_text)})
    out = pd.DataFrame(rows)
    out.insert(1, "order", range(len(out)))
    return out[list(AUC_COLUMNS)]


def _table(paths: RunPaths, name: str) -> pd.DataFrame | None:
    """``tables/<name>.csv`` of the run; None where absent or in its skipped form (no analysis columns)."""
    path = paths.tables / f"{name}.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    return None if "skipped" in frame.columns and "reason" in frame.columns else frame


def _auc_of(row: pd.Series, stage2: pd.DataFrame | None, stage1: pd.DataFrame | None,
            table3: pd.DataFrame | None) -> dict[str, Any]:
    """The run's estimate, CI and in-sample flag of the AUC ``row`` of :func:`paper_aucs` (NaN where absent)."""
    m = pd.DataFrame()
    if row["source"] == "Table 3" and table3 is not None:
        m = table3[table3["stratum"] == row["stratum"]].rename(
            columns={"auc": "estimate", "auc_ci_low": "ci_low", "auc_ci_high": "ci_high"})
    elif row["stage"] == 2 and stage2 is not None:
        m = stage2[(stage2["model"] == row["model"]) & (stage2["split"] == row["split"])
                   & (stage2["metric"] == "auc")]
    elif row["stage"] == 1 and stage1 is not None:
        m = stage1[(stage1["stage"] == 1) & (stage1["split"] == row["split"]) & (stage1["metric"] == "auc")]
    if m.empty:
        return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "in_sample": False}
    o = m.iloc[0]
    in_sample = str(o.get("in_sample", False)).lower() == "true"
    return {"estimate": float(o["estimate"]), "ci_low": float(o.get("ci_low", np.nan)),
            "ci_high": float(o.get("ci_high", np.nan)), "in_sample": in_sample}


def run_aucs(paths: RunPaths) -> pd.DataFrame:
    """:func:`paper_aucs` with the run's ``estimate``, ``ci_low``, ``ci_high`` and ``in_sample`` beside each.

    Read from ``table2_stage2_models.csv``, ``gvisagenet_metrics_long.csv`` and ``table3_hpt_strata.csv``; NaN
    where the run has not written the value.

    Examples
    --------
    >>> bool(run_aucs(RunPaths("/nonexistent"))["estimate"].isna().all())
    True
    """
    check_paths(paths)
    stage2, stage1 = _table(paths, "table2_stage2_models"), _table(paths, "gvisagenet_metrics_long")
    table3 = _table(paths, "table3_hpt_strata")
    paper = paper_aucs()
    ours = pd.DataFrame([_auc_of(r, stage2, stage1, table3) for _, r in paper.iterrows()], index=paper.index)
    return pd.concat([paper, ours], axis=1)


def run_selection(paths: RunPaths) -> pd.DataFrame:
    """The architecture the run selected for each stage (``selected_model.json``): ``stage``, ``model``; empty where
    the run has not selected one.

    Examples
    --------
    >>> run_selection(RunPaths("/nonexistent")).columns.tolist()
    ['stage', 'model']
    """
    path = check_paths(paths).selected_model
    if not path.is_file():
        return pd.DataFrame(columns=["stage", "model"])
    sel = json.loads(path.read_text(encoding="utf-8"))
    return pd.DataFrame([{"stage": k, "model": str(sel[f"stage{k}"])} for k in (1, 2) if sel.get(f"stage{k}")],
                        columns=["stage", "model"])


def run_truth_checks(paths: RunPaths) -> pd.DataFrame:
    """The twin's truth checks of the run (``check``, ``group``, ``recovered``); empty for a run without them.

    Examples
    --------
    >>> run_truth_checks(RunPaths("/nonexistent")).columns.tolist()
    ['check', 'group', 'recovered']
    """
    t = _table(check_paths(paths), "twin_truth_check_mechanism")
    if t is None or t.empty:
        return pd.DataFrame(columns=["check", "group", "recovered"])
    t = t.assign(group=t["group"].fillna("").astype(str),
                 recovered=t["recovered"].astype(str).str.lower().eq("true"))
    return t[["check", "group", "recovered"]].reset_index(drop=True)


def collect(folders: Mapping[int, str | os.PathLike[str]]) -> dict[str, pd.DataFrame]:
    """What each replicate's run computed, one frame per kind with a ``seed`` column, in seed order.

    ``folders`` maps each seed to its run folder. Keys: ``aucs`` (:func:`run_aucs`), ``verdicts`` (the claims
    table's ``key``, ``kind``, ``claim``, ``verdict``), ``selection`` (:func:`run_selection`), ``truth``
    (:func:`run_truth_checks`).

    Examples
    --------
    >>> raw = collect({3: "/nonexistent"})
    >>> sorted(raw), raw["verdicts"]["verdict"].unique().tolist()
    (['aucs', 'selection', 'truth', 'verdicts'], ['cannot tell'])
    """
    parts: dict[str, list[pd.DataFrame]] = {"aucs": [], "verdicts": [], "selection": [], "truth": []}
    for seed in sorted(folders):
        root = RunPaths(folders[seed])
        claims = claims_table(root)[["key", "kind", "claim", "verdict"]].copy()
        claims.insert(1, "order", range(len(claims)))
        for kind, frame in (("aucs", run_aucs(root)), ("verdicts", claims), ("selection", run_selection(root)),
                            ("truth", run_truth_checks(root))):
            parts[kind].append(frame.assign(seed=int(seed))[["seed", *frame.columns]])
    return {k: pd.concat(v, ignore_index=True) if v else pd.DataFrame() for k, v in parts.items()}


def auc_summary(aucs: pd.DataFrame) -> pd.DataFrame:
    """Per AUC item: the seeds with a value, median, min, max, the paper's value, and in how many seeds this run's
    95% CI holds it (where the CIs are given).

    Parameters
    ----------
    aucs : DataFrame
        ``seed``, ``item``, ``order``, ``paper``, ``estimate`` and optionally ``ci_low``, ``ci_high``
        (:func:`collect`'s ``aucs``).

    Examples
    --------
    >>> a = pd.DataFrame({"seed": [1, 2], "item": ["x", "x"], "order": [0, 0], "paper": [0.7, 0.7],
    ...                   "estimate": [0.65, np.nan], "ci_low": [0.6, np.nan], "ci_high": [0.75, np.nan]})
    >>> auc_summary(a)[["n_seeds", "median", "n_paper_in_ci"]].values.tolist()
    [[1.0, 0.65, 1.0]]
    """
    check_frame(aucs, "aucs", ("seed", "item", "order", "paper", "estimate"))
    rows = []
    for (_, item), g in aucs.groupby(["order", "item"], sort=True):
        est = g["estimate"].dropna()
        row = {"item": item, "n_seeds": len(est), "median": est.median() if len(est) else np.nan,
               "min": est.min() if len(est) else np.nan, "max": est.max() if len(est) else np.nan,
               "paper": float(g["paper"].iloc[0])}
        if {"ci_low", "ci_high"} <= set(g.columns):
            inside = (g["ci_low"] <= g["paper"]) & (g["paper"] <= g["ci_high"])
            row["n_paper_in_ci"] = int(inside[g["estimate"].notna()].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def auc_by_seed(aucs: pd.DataFrame) -> pd.DataFrame:
    """The per-seed values: one row per AUC item (in order), the paper's value, then one column per seed.

    Examples
    --------
    >>> a = pd.DataFrame({"seed": [2, 1], "item": ["x", "x"], "order": [0, 0], "paper": [0.7, 0.7],
    ...                   "estimate": [0.6, 0.8]})
    >>> auc_by_seed(a).to_dict("records")
    [{'item': 'x', 'paper': 0.7, 'seed 1': 0.8, 'seed 2': 0.6}]
    """
    check_frame(aucs, "aucs", ("seed", "item", "order", "paper", "estimate"))
    wide = aucs.groupby(["order", "item", "paper", "seed"], sort=True)["estimate"].first().unstack("seed")
    wide = wide.reindex(columns=sorted(aucs["seed"].unique()))
    wide.columns = [f"seed {s}" for s in wide.columns]
    return wide.reset_index().drop(columns="order")


def claim_shares(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per claim: the seeds, in how many it holds (:data:`HOLDING_VERDICTS`), in how many this run cannot tell, the
    share of the seeds that could tell in which it holds, and the commonest verdict.

    Examples
    --------
    >>> v = pd.DataFrame({"seed": [1, 2, 3], "key": ["k"] * 3, "order": [0] * 3, "kind": ["test"] * 3,
    ...                   "claim": ["c"] * 3,
    ...                   "verdict": ["same model", "different model", "cannot tell"]})
    >>> claim_shares(v)[["n_seeds", "n_holds", "n_cannot_tell", "share_holds"]].to_dict("records")
    [{'n_seeds': 3, 'n_holds': 1, 'n_cannot_tell': 1, 'share_holds': 0.5}]
    """
    check_frame(verdicts, "verdicts", ("seed", "key", "order", "kind", "claim", "verdict"))
    rows = []
    for (_, key), g in verdicts.groupby(["order", "key"], sort=True):
        holds = int(g["verdict"].isin(HOLDING_VERDICTS).sum())
        unknown = int((g["verdict"] == CANNOT_TELL).sum())
        told = len(g) - unknown
        counts = g["verdict"].value_counts()
        rows.append({"key": key, "kind": g["kind"].iloc[0], "claim": g["claim"].iloc[0], "n_seeds": len(g),
                     "n_holds": holds, "n_cannot_tell": unknown, "share_holds": holds / told if told else np.nan,
                     "commonest_verdict": str(counts[counts == counts.max()].sort_index().index[0])})
    return pd.DataFrame(rows)


def selection_frequency(selection: pd.DataFrame) -> pd.DataFrame:
    """How often each architecture was selected per stage: ``stage``, ``model``, ``n_seeds``, ``share`` (of the
    seeds that selected one for that stage).

    Examples
    --------
    >>> s = pd.DataFrame({"seed": [1, 1, 2, 2], "stage": [1, 2, 1, 2],
    ...                   "model": ["resnet50", "alexnet", "resnet50", "resnet50"]})
    >>> selection_frequency(s).values.tolist()
    [[1, 'resnet50', 2, 1.0], [2, 'alexnet', 1, 0.5], [2, 'resnet50', 1, 0.5]]
    """
    check_frame(selection, "selection", ("seed", "stage", "model"))
    counts = selection.groupby(["stage", "model"], sort=True).size().rename("n_seeds").reset_index()
    totals = selection.groupby("stage")["seed"].nunique()
    counts["share"] = counts["n_seeds"] / counts["stage"].map(totals)
    return counts


def truth_check_counts(truth: pd.DataFrame) -> pd.DataFrame:
    """Per truth check and group: the seeds that ran it, in how many the planted relation was recovered, the share.

    Examples
    --------
    >>> t = pd.DataFrame({"seed": [1, 2], "check": ["c", "c"], "group": ["iGCT", "iGCT"],
    ...                   "recovered": [True, False]})
    >>> truth_check_counts(t).values.tolist()
    [['c', 'iGCT', 2, 1, 0.5]]
    """
    check_frame(truth, "truth", ("seed", "check", "group", "recovered"))
    if truth.empty:
        return pd.DataFrame(columns=["check", "group", "n_seeds", "n_recovered", "share_recovered"])
    first = {c: i for i, c in enumerate(dict.fromkeys(truth["check"]))}
    g = truth.assign(_o=truth["check"].map(first)).groupby(["_o", "check", "group"], sort=True)["recovered"]
    out = pd.DataFrame({"n_seeds": g.size(), "n_recovered": g.sum().astype(int)}).reset_index()
    out["share_recovered"] = out["n_recovered"] / out["n_seeds"]
    return out.drop(columns="_o")


def summarise(raw: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The summary tables (:data:`SUMMARY_TABLES`) from :func:`collect`'s frames.

    Examples
    --------
    >>> sorted(summarise(collect({1: "/nonexistent", 2: "/nonexistent"}))) == sorted(SUMMARY_TABLES)
    True
    """
    sel = raw["selection"] if len(raw["selection"]) else pd.DataFrame(columns=["seed", "stage", "model"])
    truth = raw["truth"] if len(raw["truth"]) else pd.DataFrame(columns=["seed", "check", "group", "recovered"])
    return {"replicate_auc_summary": auc_summary(raw["aucs"]), "replicate_auc_by_seed": auc_by_seed(raw["aucs"]),
            "replicate_auc_values": raw["aucs"].drop(columns="order"),
            "replicate_claims": claim_shares(raw["verdicts"]),
            "replicate_claim_verdicts": raw["verdicts"].drop(columns="order"),
            "replicate_selection": selection_frequency(sel), "replicate_truth_checks": truth_check_counts(truth)}


_VARY_WORDS = {"both": "the master seed varied (the twin and the training together)",
               "training": "only the training's seed varied (the same twin in every replicate)",
               "cohort": "only the twin's seed varied (the same training seed)"}


def _auc_sentences(aucs: pd.DataFrame) -> list[str]:
    """One sentence on the AUCs: the paper's values outside the seeds' range, and the headline validation AUC."""
    out = []
    got = aucs[aucs["n_seeds"] > 0]
    outside = got[(got["paper"] < got["min"]) | (got["paper"] > got["max"])]
    out.append(f"The paper's value lies within the range over the seeds for {len(got) - len(outside)} of the "
               f"{len(got)} AUCs computed" + (f"; outside it for: {'; '.join(outside['item'])}." if len(outside)
                                                else "."))
    head = got[got["item"] == "Table 2, stage 2, GVisageNet, validation"]
    if len(head):
        h = head.iloc[0]
        out.append(f"GVisageNet's stage-2 validation AUC: median {h['median']:.3f} (range {h['min']:.3f} to "
                   f"{h['max']:.3f}) over {int(h['n_seeds'])} seeds, the paper's {h['paper']:.3f}"
                   + (f"; the run's 95% CI holds the paper's value in {int(h['n_paper_in_ci'])} of them."
                      if "n_paper_in_ci" in h.index and pd.notna(h["n_paper_in_ci"]) else "."))
    return out


def _claim_sentences(claims: pd.DataFrame) -> list[str]:
    """Which of the paper's tested claims hold in every seed that could tell, in none, and in some."""
    tests = claims[(claims["kind"] == "test") & (claims["n_seeds"] > claims["n_cannot_tell"])]
    always = tests[tests["n_holds"] == tests["n_seeds"] - tests["n_cannot_tell"]]
    never = tests[tests["n_holds"] == 0]
    some = tests[~tests.index.isin(always.index) & ~tests.index.isin(never.index)]
    out = [f"Of the paper's {len(tests)} tested claims that the runs could judge, the number that holds in every "
           f"seed: {len(always)}; in none: {len(never)}; in some: {len(some)}."]
    for head, frame in (("In every seed", always), ("In none", never)):
        if len(frame):
            out.append(f"{head}: " + "; ".join(frame["claim"]) + ".")
    if len(some):
        out.append("In some: " + "; ".join(f"{c} ({int(h)} of {int(n - u)})" for c, h, n, u in zip(
            some["claim"], some["n_holds"], some["n_seeds"], some["n_cannot_tell"], strict=True)) + ".")
    return out


def study_conclusions(summary: Mapping[str, pd.DataFrame], *, vary: str) -> str:
    """What the study shows, in Markdown, every number from ``summary`` (:func:`summarise`'s tables).

    Examples
    --------
    >>> s = summarise(collect({1: "/nonexistent"}))
    >>> print(study_conclusions(s, vary="training").splitlines()[0])
    Over 1 seed, only the training's seed varied (the same twin in every replicate).
    """
    check_frame(summary["replicate_claims"], "replicate_claims", ("n_seeds", "n_holds", "n_cannot_tell"))
    n = int(summary["replicate_claims"]["n_seeds"].max()) if len(summary["replicate_claims"]) else 0
    lines = [f"Over {n} seed{'s' if n != 1 else ''}, {_VARY_WORDS[vary]}.", ""]
    lines += _auc_sentences(summary["replicate_auc_summary"]) + [""]
    lines += _claim_sentences(summary["replicate_claims"]) + [""]
    sel = summary["replicate_selection"]
    for stage, g in sel.groupby("stage", sort=True):
        top = g.sort_values(["n_seeds", "model"], ascending=[False, True]).iloc[0]
        lines.append(f"Stage {int(stage)}: {label(top['model'])} was selected in {int(top['n_seeds'])} of "
                     f"{int(g['n_seeds'].sum())} seeds.")
    truth = summary["replicate_truth_checks"]
    if len(truth):
        every = int((truth["n_recovered"] == truth["n_seeds"]).sum())
        lines += ["", f"Truth checks of the twin: {every} of {len(truth)} recovered the planted relation in every "
                      "seed."]
    return "\n".join(lines).strip() + "\n"
