"""What the paper's numbers allow: a consistency audit of its own tables and counts.

Each check takes only the published numbers (:mod:`gvisage_lib.paper.numbers`) and asks whether they can all be true
together. One row per item and check, with the paper's values, whether they are consistent, and why not:

* **Table 1 P values** recomputed from the printed summaries: the caller passes the recomputation
  (:func:`gvisage_lib.cohort.table1.paper_p_check`, a stage module this base package does not import); consistent
  when the printed and recomputed P fall on the same side of .05.
* **Accuracy between sensitivity and specificity.** Accuracy is the prevalence-weighted mean of sensitivity and
  specificity, so no confusion matrix gives an accuracy outside [min(sens, spec), max(sens, spec)] (Table 2, the
  stage-1 results, Table 3).
* **A CI contains its estimate**, for every reported estimate with a CI.
* **CI width possible for n.** A 95% interval of a proportion cannot be much narrower than the exact
  (Clopper-Pearson) one at the same n: flagged when the reported width is below half the exact width. For an AUC,
  the reported width is compared with 2 x 1.96 x the Hanley-McNeil SE at the reported AUC and the numbers of cases
  and controls, with the same factor of one half.
* **Counts stated in more than one place** (``counts.csv``): abstract against study setting, results and tables.

Examples
--------
>>> from gvisage_lib.cohort.table1 import paper_p_check
>>> audit = paper_consistency(paper_p_check())
>>> list(audit.columns)
['item', 'check', 'paper_values', 'consistent', 'note']
>>> bool((~audit.consistent.astype(bool)).any())
True
"""

from __future__ import annotations

import math

import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.paper import numbers

__all__ = ["AUDIT_COLUMNS", "audit_summary", "paper_consistency"]

AUDIT_COLUMNS: tuple[str, ...] = ("item", "check", "paper_values", "consistent", "note")


def _cases_controls(stage: int, split: str) -> tuple[int, int]:
    """Cases and controls behind a reported split of a stage, from the paper's group sizes (Table 1 / abstract)."""
    t = numbers.table1()
    n = t[(t.variable == "n") & (t.statistic == "count") & (t.split == split)].set_index("group")["value"]
    labels = {g: schema.stage_label(g, stage) for g in n.index}
    return (int(sum(n[g] for g, y in labels.items() if y == 1)), int(sum(n[g] for g, y in labels.items() if y == 0)))

#: The wide factor below which a CI is called impossibly narrow.
_NARROW = 0.5


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _exact_width(p: float, n: int) -> float:
    from gvisage_lib.stats import proportion_ci

    k = int(round(p * n))
    lo, hi = proportion_ci(k, n)
    return float(hi - lo)


def _hanley_mcneil_width(auc: float, n_pos: int, n_neg: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return 2 * 1.959964 * math.sqrt(max(var, 0.0))


def _accuracy_rows(item: str, est: dict[str, float]) -> list[dict]:
    if not {"accuracy", "sensitivity", "specificity"} <= set(est):
        return []
    acc, se, sp = est["accuracy"], est["sensitivity"], est["specificity"]
    ok = min(se, sp) - 1e-9 <= acc <= max(se, sp) + 1e-9
    return [{"item": item, "check": "accuracy between sensitivity and specificity",
             "paper_values": f"accuracy {_fmt(acc)}, sensitivity {_fmt(se)}, specificity {_fmt(sp)}",
             "consistent": ok,
             "note": "" if ok else "accuracy is the prevalence-weighted mean of sensitivity and specificity"}]


def _ci_rows(item: str, metric: str, est: float, lo: float, hi: float, n: tuple[int, int] | int | None) -> list[dict]:
    rows = []
    if any(map(math.isnan, (est, lo, hi))):
        return rows
    inside = lo - 1e-9 <= est <= hi + 1e-9
    rows.append({"item": item, "check": f"{metric} CI contains the estimate",
                 "paper_values": f"{_fmt(est)} ({_fmt(lo)}-{_fmt(hi)})", "consistent": inside,
                 "note": "" if inside else "the estimate lies outside its own interval"})
    if n is None:
        return rows
    if metric == "auc":
        need = _hanley_mcneil_width(est, *n)
        how = f"Hanley-McNeil width {_fmt(need)} at {n[0]} cases and {n[1]} controls"
    else:
        need = _exact_width(est, int(n))
        how = f"exact width {_fmt(need)} at n = {int(n)}"
    ok = (hi - lo) >= _NARROW * need
    rows.append({"item": item, "check": f"{metric} CI width possible for n",
                 "paper_values": f"width {_fmt(hi - lo)}", "consistent": ok,
                 "note": f"{how}" + ("" if ok else "; the reported interval is less than half of it")})
    return rows


def _metric_n(metric: str, n_pos: int, n_neg: int) -> tuple[int, int] | int:
    return {"auc": (n_pos, n_neg), "accuracy": n_pos + n_neg, "sensitivity": n_pos, "specificity": n_neg}[metric]


def _results_rows() -> list[dict]:
    pr = numbers.results()
    rows = []
    for (source, model, stage, split), g in pr.groupby(["source", "model", "stage", "split"], sort=False):
        item = f"{source}: {model}, stage {stage}, {split}"
        est = dict(zip(g["metric"], g["estimate"]))
        rows += _accuracy_rows(item, est)
        n_pos, n_neg = _cases_controls(int(stage), split)
        for r in g.itertuples():
            rows += _ci_rows(item, r.metric, float(r.estimate), float(r.ci_low), float(r.ci_high),
                             _metric_n(r.metric, n_pos, n_neg))
    return rows


def _table3_rows() -> list[dict]:
    t3 = numbers.table3()
    rows = []
    for r in t3.to_dict("records"):
        item = f"Table 3: {r['stratum']} damage (n = {r['n']})"
        rows += _accuracy_rows(item, {m: float(r[m]) for m in ("accuracy", "sensitivity", "specificity")})
        rows.append({"item": item, "check": "AUC as printed in the table and the text",
                     "paper_values": f"table {_fmt(r['auc'])}, text {_fmt(r['auc_text'])}",
                     "consistent": abs(r["auc"] - r["auc_text"]) <= 0.005 + 1e-9,  # a half may round either way
                     "note": "Table 3 prints the AUC as a percentage rounded to the unit "
                             "(0.575 may print as 57 or 58)"})
        for m in ("auc", "accuracy", "sensitivity", "specificity"):
            est = float(r["auc_text"] if m == "auc" else r[m])
            n = int(r["n"]) if m == "accuracy" else None  # the strata's cases and controls are not reported
            rows += _ci_rows(item, m, est, float(r[f"{m}_ci_low"]), float(r[f"{m}_ci_high"]), n)
    return rows


def _table1_rows(chk: pd.DataFrame) -> list[dict]:
    need = {"variable", "split", "paper_p", "recomputed_p", "recomputed_test", "consistent"}
    missing = sorted(need - set(chk.columns))
    if missing:
        raise ValueError(f"table1_p_check lacks columns {missing}; pass gvisage_lib.cohort.table1.paper_p_check()")
    rows = []
    for r in chk[chk["recomputed_p"].notna()].itertuples():
        ok = bool(r.consistent)
        rows.append({"item": f"Table 1: {r.variable}, {r.split}", "check": "P value recomputed from the summaries",
                     "paper_values": f"P={str(r.paper_p).strip()}".replace("=<", "<"), "consistent": ok,
                     "note": f"recomputed {numbers.format_p(r.recomputed_p, prefix=True)} ({r.recomputed_test})"})
    return rows


def _count_rows() -> list[dict]:
    c = numbers.counts().set_index("item")
    v = c["value"].astype(float)
    pairs = [
        ("development set size", "development_n", "development_abstract_n"),
        ("development stage-2 tumours", "stage2_development_n", "stage2_development_table1_n"),
        ("validation set size", "validation_n_setting", "validation_n_abstract"),
        ("validation normal controls", "validation_nc_results", "validation_nc_abstract"),
        ("development set size (Results)", "results_development_n", "development_abstract_n"),
        ("test iGCTs in Table 1's sex ratio", "test_igct_sex_sum", "test_igct_n"),
        ("Fig 5A indicators with a significant correlation", "fig5a_indicators_abstract", "fig5a_indicators_results"),
    ]
    rows = []
    for label, a, b in pairs:
        ok = bool(v[a] == v[b])
        rows.append({"item": f"Counts: {label}", "check": "the same count where it is stated twice",
                     "paper_values": f"{c.loc[a, 'source']}: {int(v[a])}; {c.loc[b, 'source']}: {int(v[b])}",
                     "consistent": ok, "note": c.loc[a, "note"] or c.loc[b, "note"]})
    rows.append({"item": "Counts: HPT strata of Table 3", "check": "strata with both classes, as an AUC needs",
                 "paper_values": f"{c.loc['table3_strata_sum', 'source']}: {int(v['table3_strata_sum'])}",
                 "consistent": False, "note": c.loc["table3_strata_sum", "note"]})
    return rows


def paper_consistency(table1_p_check: pd.DataFrame) -> pd.DataFrame:
    """The consistency audit of the paper's own numbers: one row per item and check (see the module docstring).

    Parameters
    ----------
    table1_p_check : DataFrame
        Table 1's P values recomputed from its summaries, as :func:`gvisage_lib.cohort.table1.paper_p_check`
        returns them (columns ``split, variable, paper_p, recomputed_p, recomputed_test, consistent``).

    Returns
    -------
    DataFrame
        :data:`AUDIT_COLUMNS`: item, check, paper_values, consistent (bool), note.
    """
    rows = _table1_rows(table1_p_check) + _results_rows() + _table3_rows() + _count_rows()
    out = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    out["consistent"] = out["consistent"].astype(bool)
    return out


def audit_summary(audit: pd.DataFrame) -> pd.DataFrame:
    """Rows and inconsistent rows of :func:`paper_consistency` per check.

    Examples
    --------
    >>> from gvisage_lib.cohort.table1 import paper_p_check
    >>> s = audit_summary(paper_consistency(paper_p_check()))
    >>> list(s.columns), int(s.loc["accuracy between sensitivity and specificity", "inconsistent"])
    (['rows', 'inconsistent'], 6)
    """
    missing = sorted({"check", "consistent"} - set(audit.columns))
    if missing:
        raise ValueError(f"audit lacks columns {missing}; pass the output of paper_consistency()")
    ok = audit["consistent"].astype(bool)
    return pd.DataFrame({"rows": audit.groupby("check").size(), "inconsistent": (~ok).groupby(audit["check"]).sum()})
