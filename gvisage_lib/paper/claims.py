"""The paper's claims, each beside what this run computed and a verdict by a stated rule.

Every claim of the paper's abstract and Results is one row: its wording (quoted), where it stands, the paper's value
and P, the notebook of this package that recomputes it, and the rule that judges this run's value. The claims that
compare (the CNN against the clinical model, the hybrid against the CNN, the stage-1 AUC against chance, the strata)
are listed in :data:`TEST_CLAIMS`; the point estimates the paper reports (Table 2, the stage-1 results, Table 3) are
read from :mod:`gvisage_lib.paper.numbers` so that no number is transcribed twice.

The rules (:data:`RULES`), at :data:`ALPHA`:

``direction``
    The paper claims a difference in one direction with a significant P. This run's estimate in the same direction
    with P < .05: **same direction and significant**; P >= .05: **same direction, not significant**; the other
    direction: **opposite, significant** or **opposite, not significant**.
``significance``
    The paper claims a significant test without a direction (the Friedman test): **significant, as the paper** or
    **not significant**.
``no_difference``
    The paper claims no significant difference (P > .05): **not significant, as the paper** or **significant, unlike
    the paper** (any of the pairs).
``signs``
    The paper claims the sign of several correlations: **same direction and significant** when every claimed sign
    comes back significant, else **k of n same direction and significant** (and how many come back opposite).
``selection``
    The paper says which candidate its rule selected: **same model** or **different model**.
``estimate``
    The paper reports a value: **paper's value inside this run's 95% CI**, **this run lower** (the paper's value
    above the CI) or **this run higher**.

Any rule gives **cannot tell** where this run has not computed the value (a notebook not reached, a model skipped,
a P that cannot be computed). A row whose value was computed on the subjects its model or threshold was fitted on
is marked ``in_sample`` (its verdict stands, but it is an optimistic estimate).

Examples
--------
>>> verdict_direction(1, 0.02, 0.01), verdict_direction(1, 0.01, 0.20), verdict_direction(1, -0.01, 0.30)
('same direction and significant', 'same direction, not significant', 'opposite, not significant')
>>> verdict_estimate(0.683, 0.40, 0.55), verdict_estimate(0.683, 0.60, 0.80)
('this run lower', "paper's value inside this run's 95% CI")
>>> c = claims_table(RunPaths("/nonexistent"))
>>> c.loc[c["key"] == "hybrid_vs_cnn", ["paper", "paper_p", "verdict"]].values.tolist()
[['AUC 0.789 vs 0.739', '.04', 'cannot tell']]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core.paths import RunPaths, check_paths
from gvisage_lib.paper import numbers

__all__ = ["ALPHA", "CLAIM_COLUMNS", "RULES", "TEST_CLAIMS", "Claim", "claims_table", "verdict_direction",
           "verdict_estimate", "verdict_no_difference", "verdict_selection", "verdict_significance",
           "verdict_signs"]

#: Significance level of every verdict.
ALPHA = 0.05
#: The rules, as the page states them (see the module docstring).
RULES: dict[str, str] = {
    "direction": ("the paper claims a difference in one direction: same direction with P < .05 = 'same direction "
                  "and significant', P >= .05 = 'same direction, not significant', else 'opposite, (not) "
                  "significant'"),
    "significance": ("the paper claims a significant test: P < .05 = 'significant, as the paper', "
                     "else 'not significant'"),
    "no_difference": ("the paper claims no significant difference: every P >= .05 = 'not significant, as the "
                      "paper', else 'significant, unlike the paper'"),
    "signs": ("the paper claims signed correlations: each claimed sign counts when this run's correlation has it "
              "with BH-adjusted P < .05"),
    "selection": "the paper names the candidate its rule selected: 'same model' or 'different model'",
    "estimate": ("the paper reports a value: inside this run's 95% CI = \"paper's value inside this run's 95% CI\", "
                 "above it = 'this run lower', below it = 'this run higher'"),
}
CANNOT_TELL = "cannot tell"
#: Columns of :func:`claims_table`.
CLAIM_COLUMNS: tuple[str, ...] = ("key", "kind", "claim", "wording", "location", "paper", "paper_p", "this_run",
                                  "this_run_p", "verdict", "rule", "in_sample", "notebook", "source")


@dataclass(frozen=True)
class Claim:
    """One claim of the paper that is a test (a comparison, a test against chance, a selection)."""

    key: str
    claim: str
    wording: str
    location: str
    paper: str
    paper_p: str
    rule: str
    notebook: str
    source: str


#: The paper's claims that are tests, in the order of its Results.
TEST_CLAIMS: tuple[Claim, ...] = (
    Claim("stage1_candidates_similar", "Stage 1: the three candidates do not differ (test)",
          "GVisageNet and the other models (AlexNet and Inception) yielded similar results in the first stage "
          "[...] and P>.05", "Results, Evaluation of Three Candidate Algorithmic Models",
          "AUC 0.972, 0.963, 0.983", ">.05", "no_difference", "04_stage_roc", "delong_pairwise"),
    Claim("stage2_selection", "Stage 2: ResNet-50 is the best candidate (test AUC)",
          "ResNet-50 emerged as the most proficient model in terms of classification performance",
          "Results, Evaluation of Three Candidate Algorithmic Models", "ResNet-50 (AUC 0.705 vs 0.667, 0.657)", "",
          "selection", "03_train", "selected_model.json"),
    Claim("stage1_auc_vs_chance", "Stage 1 (validation): GVisageNet's AUC differs from 0.5",
          "On the independent validation dataset, GVisageNet achieved an AUC of 0.938 (P<.01) in distinguishing "
          "midline brain tumors from NCs", "Abstract, Results", "AUC 0.938", "<.01", "direction", "04_stage_roc",
          "auc_vs_chance"),
    Claim("stage2_auc_vs_chance", "Stage 2 (validation): GVisageNet's AUC differs from 0.5",
          "GVisageNet demonstrated significant diagnostic capability in distinguishing iGCTs from the other midline "
          "brain tumors, achieving an AUC of 0.739", "Abstract", "AUC 0.739", "significant", "direction",
          "04_stage_roc", "auc_vs_chance"),
    Claim("cnn_vs_clinical", "Stage 2 (validation): GVisageNet > logistic regression",
          "GVisageNet was found to significantly outperform the logistic regression model [...] (AUC 0.739 vs "
          "0.632; P<.001)", "Abstract, Results", "AUC 0.739 vs 0.632", "<.001", "direction", "05_clinical_hybrid",
          "stage2_model_comparisons"),
    Claim("hybrid_vs_cnn", "Stage 2 (validation): hybrid > GVisageNet",
          "its performance was slightly inferior to that of the hybrid model (AUC 0.739 vs 0.789; P=.04)",
          "Abstract, Results", "AUC 0.789 vs 0.739", ".04", "direction", "05_clinical_hybrid",
          "stage2_model_comparisons"),
    Claim("fig5a_signs", "Fig 5A: the score correlates with 8 endocrine indicators, with these signs",
          "a significant positive correlation between the prediction scores and the levels of TSH and IGFBP-3 "
          "(P<.05) [...] a significant negative correlation [...] TT4, FT3, FT4, GH, prolactin, and estradiol "
          "(P<.05)", "Abstract (7 indicators), Results (8)", "+ TSH, IGFBP-3; − TT4, FT3, FT4, GH, prolactin, "
          "estradiol", "<.05", "signs", "06_endocrine", "fig5a_signs_paper_vs_this_run"),
    Claim("friedman", "Table 3: the AUC differs among the HPT-damage strata (Friedman)",
          "An analysis of variance (Friedman test) revealed a significant difference in AUC among the 3 groups "
          "(P=.03)", "Abstract, Results", "AUC 0.678, 0.575, 0.517", ".03", "significance", "06_endocrine",
          "table3_hpt_strata_tests"),
    Claim("hpt_trend", "Table 3: the AUC rises with HPT damage (none < incomplete < complete)",
          "Performance varied with hypothalamic-pituitary-target axis damage", "Abstract, Results",
          "AUC 0.517 < 0.575 < 0.678", "", "direction", "06_endocrine", "table3_hpt_strata_tests"),
)

_METRIC_WORD = {"auc": "AUC", "accuracy": "accuracy", "sensitivity": "sensitivity", "specificity": "specificity"}
_SPLIT_WORD = {"test": "testing", "validation": "validation"}


def _nan(x: Any) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def verdict_direction(paper_sign: int, estimate: float, p: float, alpha: float = ALPHA) -> str:
    """Verdict of the ``direction`` rule: this run's ``estimate`` (a difference, signed) and ``p`` against the
    paper's direction ``paper_sign`` (+1 or -1).

    Examples
    --------
    >>> verdict_direction(-1, -0.2, 0.001), verdict_direction(1, -0.2, 0.001), verdict_direction(1, 0.1, float("nan"))
    ('same direction and significant', 'opposite, significant', 'cannot tell')
    >>> verdict_direction(0, 0.1, 0.01)
    Traceback (most recent call last):
    ...
    ValueError: paper_sign must be +1 or -1, got 0
    """
    if paper_sign not in (1, -1):
        raise ValueError(f"paper_sign must be +1 or -1, got {paper_sign!r}")
    if _nan(estimate) or _nan(p):
        return CANNOT_TELL
    significant = float(p) < alpha
    if float(estimate) == 0.0:
        return "no difference" + (", significant" if significant else ", not significant")
    if np.sign(float(estimate)) == paper_sign:
        return "same direction and significant" if significant else "same direction, not significant"
    return "opposite, significant" if significant else "opposite, not significant"


def verdict_significance(p: float, alpha: float = ALPHA) -> str:
    """Verdict of the ``significance`` rule.

    Examples
    --------
    >>> verdict_significance(0.03), verdict_significance(0.37), verdict_significance(float("nan"))
    ('significant, as the paper', 'not significant', 'cannot tell')
    """
    if _nan(p):
        return CANNOT_TELL
    return "significant, as the paper" if float(p) < alpha else "not significant"


def verdict_no_difference(p_values: Any, alpha: float = ALPHA) -> str:
    """Verdict of the ``no_difference`` rule over one or several P values (every pair tested).

    Examples
    --------
    >>> verdict_no_difference([0.2, 0.6, 0.08]), verdict_no_difference([0.2, 0.01]), verdict_no_difference([])
    ('not significant, as the paper', 'significant, unlike the paper', 'cannot tell')
    """
    ps = [float(p) for p in p_values if not _nan(p)]
    if not ps:
        return CANNOT_TELL
    return "significant, unlike the paper" if min(ps) < alpha else "not significant, as the paper"


def verdict_signs(paper_signs: Any, run_signs: Any) -> str:
    """Verdict of the ``signs`` rule: the claimed signs (+1/-1) against this run's (+1/-1 significant, 0 not).

    Examples
    --------
    >>> verdict_signs([1, -1, -1], [1, -1, -1]), verdict_signs([1, -1, -1], [1, 0, 1])
    ('same direction and significant', '1 of 3 same direction and significant, 1 opposite')
    >>> verdict_signs([], [])
    'cannot tell'
    """
    pairs = [(int(a), int(b)) for a, b in zip(paper_signs, run_signs, strict=True) if int(a) != 0]
    if not pairs:
        return CANNOT_TELL
    same = sum(a == b for a, b in pairs)
    opposite = sum(b == -a for a, b in pairs)
    if same == len(pairs):
        return "same direction and significant"
    return f"{same} of {len(pairs)} same direction and significant" + (f", {opposite} opposite" if opposite else "")


def verdict_selection(paper_model: str, run_model: str | None) -> str:
    """Verdict of the ``selection`` rule.

    Examples
    --------
    >>> verdict_selection("resnet50", "resnet50"), verdict_selection("resnet50", "alexnet")
    ('same model', 'different model')
    >>> verdict_selection("resnet50", None)
    'cannot tell'
    """
    if not run_model:
        return CANNOT_TELL
    return "same model" if run_model == paper_model else "different model"


def verdict_estimate(paper_value: float, ci_low: float, ci_high: float) -> str:
    """Verdict of the ``estimate`` rule: where the paper's value lies against this run's 95% CI.

    Examples
    --------
    >>> verdict_estimate(0.9, 0.5, 0.8), verdict_estimate(0.9, float("nan"), 0.8)
    ('this run lower', 'cannot tell')
    """
    if _nan(paper_value) or _nan(ci_low) or _nan(ci_high):
        return CANNOT_TELL
    if float(paper_value) > float(ci_high):
        return "this run lower"
    if float(paper_value) < float(ci_low):
        return "this run higher"
    return "paper's value inside this run's 95% CI"


def _fmt(x: Any, digits: int = 3) -> str:
    return "" if _nan(x) else f"{float(x):.{digits}f}"


def _ci(est: Any, lo: Any, hi: Any) -> str:
    if _nan(est):
        return ""
    if _nan(lo) or _nan(hi):
        return _fmt(est)
    sep = "–" if float(lo) >= 0 and float(hi) >= 0 else " to "
    return f"{_fmt(est)} ({_fmt(lo)}{sep}{_fmt(hi)})"


def _p(p: Any) -> str:
    return "" if _nan(p) else numbers.format_p(float(p))


def _read(tables: Path, name: str) -> pd.DataFrame | None:
    path = tables / f"{name}.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path)
    if "status" in frame.columns and len(frame) == 1 and "skipped" in str(frame["status"].iloc[0]):
        return None  # a table written to say why the analysis was skipped
    return frame


def _row(claim: Claim, this_run: str = "", this_run_p: str = "", verdict: str = CANNOT_TELL,
         in_sample: bool = False) -> dict[str, Any]:
    return {"key": claim.key, "kind": "test", "claim": claim.claim, "wording": claim.wording,
            "location": claim.location, "paper": claim.paper, "paper_p": claim.paper_p, "this_run": this_run,
            "this_run_p": this_run_p, "verdict": verdict, "rule": claim.rule, "in_sample": in_sample,
            "notebook": claim.notebook, "source": claim.source}


def _chance(claim: Claim, tables: Path, stage: int) -> dict[str, Any]:
    t = _read(tables, "auc_vs_chance")
    if t is None:
        return _row(claim)
    r = t[(t["stage"] == stage) & (t["split"] == "validation")]
    if r.empty:
        return _row(claim)
    r = r.iloc[0]
    return _row(claim, f"AUC {_ci(r['auc'], r['ci_low'], r['ci_high'])}",
                f"{_p(r['p_delong'])} (DeLong z); Mann-Whitney {_p(r['p_mann_whitney'])}",
                verdict_direction(1, float(r["auc"]) - 0.5, r["p_delong"]))


def _comparison(claim: Claim, tables: Path, name: str) -> dict[str, Any]:
    t = _read(tables, "stage2_model_comparisons")
    if t is None:
        return _row(claim)
    d = t[(t["comparison"] == name) & (t["split"] == "validation") & (t["method"] == "DeLong (paired)")]
    if d.empty:
        return _row(claim)
    d = d.iloc[0]
    text = (f"AUC {_fmt(d['auc_a'])} vs {_fmt(d['auc_b'])}; ΔAUC "
            f"{_ci(d['delta_auc'], d['ci_low'], d['ci_high'])}")
    p_text = f"{_p(d['p_value'])} (DeLong, as the paper)"
    lr = t[(t["comparison"] == name) & (t["method"] == "likelihood-ratio test")]
    if len(lr):
        p_text += f"; likelihood-ratio test {_p(lr['p_value'].iloc[0])} (valid for nested models)"
    return _row(claim, text, p_text, verdict_direction(1, d["delta_auc"], d["p_value"]))


def _test_claim_row(claim: Claim, tables: Path, run_dir: Path) -> dict[str, Any]:
    if claim.key == "stage1_candidates_similar":
        t = _read(tables, "delong_pairwise")
        if t is None:
            return _row(claim)
        s = t[(t["stage"] == 1) & (t["split"] == "test")]
        if s.empty:
            return _row(claim)
        pairs = "; ".join(f"{a} vs {b} P {_p(p)}" for a, b, p in zip(s["model_a"], s["model_b"], s["p_value"],
                                                                    strict=True))
        aucs = {**dict(zip(s["model_b"], s["auc_b"], strict=True)), **dict(zip(s["model_a"], s["auc_a"], strict=True))}
        return _row(claim, "AUC " + ", ".join(f"{m} {_fmt(a)}" for m, a in aucs.items()), pairs,
                    verdict_no_difference(s["p_value"]))
    if claim.key == "stage2_selection":
        import json

        path = run_dir / "selected_model.json"
        if not path.is_file():
            return _row(claim)
        model = json.loads(path.read_text(encoding="utf-8")).get("stage2")
        return _row(claim, str(model), "", verdict_selection("resnet50", model))
    if claim.key == "stage1_auc_vs_chance":
        return _chance(claim, tables, 1)
    if claim.key == "stage2_auc_vs_chance":
        return _chance(claim, tables, 2)
    if claim.key == "cnn_vs_clinical":
        return _comparison(claim, tables, "GVisageNet vs Logistic regression")
    if claim.key == "hybrid_vs_cnn":
        return _comparison(claim, tables, "Hybrid model vs GVisageNet")
    if claim.key == "fig5a_signs":
        t = _read(tables, "fig5a_signs_paper_vs_this_run")
        if t is None:
            return _row(claim)
        claimed = t[t["paper_sign"] != 0]
        extra = int(((t["paper_sign"] == 0) & (t["this_run_sign"] != 0)).sum())
        text = (f"{int((claimed['this_run_sign'] == claimed['paper_sign']).sum())} of {len(claimed)} claimed signs "
                f"significant; {extra} indicator(s) significant that the paper does not name")
        return _row(claim, text, "BH-adjusted", verdict_signs(claimed["paper_sign"], claimed["this_run_sign"]))
    t = _read(tables, "table3_hpt_strata_tests")
    if t is None:
        return _row(claim)
    if claim.key == "friedman":
        f = t[t["test"].str.startswith("Friedman")]
        h = t[t["test"].str.startswith("chi-square heterogeneity")]
        if f.empty:
            return _row(claim)
        p_text = f"{_p(f['p_value'].iloc[0])} (Friedman, as the paper)"
        if len(h):
            p_text += f"; heterogeneity of independent AUCs {_p(h['p_value'].iloc[0])}"
        return _row(claim, "", p_text, verdict_significance(f["p_value"].iloc[0]))
    tr = t[t["test"].str.startswith("trend")]
    if tr.empty:
        return _row(claim)
    strata = _read(tables, "table3_hpt_strata")
    text = ""
    if strata is not None:
        auc = strata.set_index("stratum")["auc"]
        text = "AUC " + ", ".join(f"{s} {_fmt(auc.get(s))}" for s in ("none", "incomplete", "complete")
                                   if s in auc.index) + "; "
    text += f"slope per step {_fmt(tr['estimate'].iloc[0])}"
    return _row(claim, text, f"{_p(tr['p_value'].iloc[0])} (trend test)",
                verdict_direction(1, tr["estimate"].iloc[0], tr["p_value"].iloc[0]))


def _estimate_rows(tables: Path) -> list[dict[str, Any]]:
    pr = numbers.results()
    pr = pr[(pr["metric"].isin(list(_METRIC_WORD)))
            & ((pr["source"] == "Table 2")
               | ((pr["source"] == "Results: Performance of GVisageNet") & (pr["stage"] == 1)))]
    stage2 = _read(tables, "table2_stage2_models")
    stage1 = _read(tables, "gvisagenet_metrics_long")
    rule = "youden"
    if stage2 is not None and "rule" in stage2.columns and stage2["rule"].fillna("").ne("").any():
        rule = str(stage2.loc[stage2["rule"].fillna("").ne(""), "rule"].iloc[0])
    rows = []
    for r in pr.itertuples(index=False):
        ours = stage2 if int(r.stage) == 2 else stage1
        m = pd.DataFrame()
        if ours is not None and {"split", "metric", "stage", "model", "rule", "estimate"} <= set(ours.columns):
            m = ours[(ours["split"] == r.split) & (ours["metric"] == r.metric) & (ours["stage"] == int(r.stage))]
            if int(r.stage) == 2:
                m = m[m["model"] == r.model]
            if r.metric != "auc":
                m = m[m["rule"] == rule]
        where = "Table 2" if r.source == "Table 2" else "Results, Performance of GVisageNet"
        claim = f"Stage {int(r.stage)}, {_SPLIT_WORD.get(r.split, r.split)}: {r.model}'s {_METRIC_WORD[r.metric]}"
        row = {"key": f"estimate_s{int(r.stage)}_{r.model_key}_{r.split}_{r.metric}", "kind": "estimate",
               "claim": claim, "wording": "", "location": where, "paper": _ci(r.estimate, r.ci_low, r.ci_high),
               "paper_p": "", "this_run": "", "this_run_p": "", "verdict": CANNOT_TELL, "rule": "estimate",
               "in_sample": False, "notebook": "05_clinical_hybrid" if int(r.stage) == 2 else "04_stage_roc",
               "source": "table2_stage2_models" if int(r.stage) == 2 else "gvisagenet_metrics_long"}
        if len(m):
            o = m.iloc[0]
            row.update({"this_run": _ci(o["estimate"], o.get("ci_low"), o.get("ci_high")),
                        "verdict": verdict_estimate(r.estimate, o.get("ci_low"), o.get("ci_high")),
                        "in_sample": bool(o.get("in_sample", False)) if not _nan(o.get("in_sample", 0)) else False})
        rows.append(row)
    return rows


def _table3_rows(tables: Path) -> list[dict[str, Any]]:
    ours = _read(tables, "table3_hpt_strata")
    ours = ours.set_index("stratum") if ours is not None else None
    rows = []
    for r in numbers.table3().itertuples(index=False):
        for metric in _METRIC_WORD:
            paper_value = float(r.auc_text) if metric == "auc" else float(getattr(r, metric))
            row = {"key": f"estimate_table3_{r.stratum}_{metric}", "kind": "estimate",
                   "claim": f"Table 3, {r.stratum} HPT damage: GVisageNet's {_METRIC_WORD[metric]}", "wording": "",
                   "location": "Table 3, Results", "paper": _ci(paper_value, getattr(r, f"{metric}_ci_low"),
                                                                getattr(r, f"{metric}_ci_high")),
                   "paper_p": "", "this_run": "", "this_run_p": "", "verdict": CANNOT_TELL, "rule": "estimate",
                   "in_sample": False, "notebook": "06_endocrine", "source": "table3_hpt_strata"}
            if ours is not None and r.stratum in ours.index and metric in ours.columns:
                o = ours.loc[r.stratum]
                lo, hi = o.get(f"{metric}_ci_low"), o.get(f"{metric}_ci_high")
                row.update({"this_run": _ci(o[metric], lo, hi), "verdict": verdict_estimate(paper_value, lo, hi)})
            rows.append(row)
    return rows


def claims_table(paths: RunPaths, *, notebook: str | None = None,
                 kinds: tuple[str, ...] = ("test", "estimate")) -> pd.DataFrame:
    """Every claim of the paper beside this run's value and the verdict (see the module docstring).

    Parameters
    ----------
    paths : RunPaths
        The run; its ``tables/`` and ``selected_model.json`` are read. Claims whose tables are missing get
        the verdict "cannot tell" (so the table is complete at any point of a run).
    notebook : str, optional
        Only the claims owned by this notebook (``"04_stage_roc"``, ``"05_clinical_hybrid"``, ``"06_endocrine"``).
    kinds : tuple of str
        ``"test"`` (comparisons, tests against chance, signs, selection) and/or ``"estimate"`` (the reported values).

    Returns
    -------
    pandas.DataFrame
        :data:`CLAIM_COLUMNS`, one row per claim.

    Examples
    --------
    >>> t = claims_table(RunPaths("/nonexistent"), notebook="06_endocrine", kinds=("test",))
    >>> t["key"].tolist(), set(t["verdict"])
    (['fig5a_signs', 'friedman', 'hpt_trend'], {'cannot tell'})
    >>> claims_table(RunPaths("/nonexistent"), kinds=("guess",))
    Traceback (most recent call last):
    ...
    ValueError: kinds must be among ('test', 'estimate'), got ('guess',)
    """
    check_paths(paths)
    if not kinds or not set(kinds) <= {"test", "estimate"}:
        raise ValueError(f"kinds must be among ('test', 'estimate'), got {kinds!r}")
    root = paths.root
    tables = paths.tables
    rows: list[dict[str, Any]] = []
    if "test" in kinds:
        for c in TEST_CLAIMS:
            try:
                rows.append(_test_claim_row(c, tables, root))
            except KeyError:  # a table without the column the claim needs: this run has not computed it
                rows.append(_row(c))
    if "estimate" in kinds:
        rows += _estimate_rows(tables) + _table3_rows(tables)
    out = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    if notebook is not None:
        out = out[out["notebook"] == notebook].reset_index(drop=True)
    return out
