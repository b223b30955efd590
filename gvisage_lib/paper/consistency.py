"""What the paper's numbers allow: a consistency audit of its own tables, counts and statements.

Each check takes only the published numbers (:mod:`gvisage_lib.paper.numbers`) and asks whether they can all be true
together. One row per item and check, with where the paper says it (``location``), what it says (``wording``), the
values, whether they are consistent, and why not. A discrepancy is one row, however many places repeat it.

* **Table 1 P values** recomputed from the printed summaries: the caller passes the recomputation
  (:func:`gvisage_lib.paper.table1_audit.paper_p_check`); consistent
  when the printed and recomputed P fall on the same side of .05. A row without a printed P (growth retardation,
  training: "—") is not a check and has no row.
* **Percentages possible as k/n** (a GRIM-type check, Brown & Heathers 2017): a percentage printed with two decimals
  of n subjects must be 100 k / n rounded for some whole k (:func:`grim_percent`): every percentage of Table 1 (at
  its group's n), every accuracy, sensitivity and specificity of Table 2 and the stage-1 results (at the numbers of
  subjects, cases and controls), and Table 3's accuracies (at the stratum's n).
* **Accuracy between sensitivity and specificity.** Accuracy is the prevalence-weighted mean of sensitivity and
  specificity, so no confusion matrix gives an accuracy outside [min(sens, spec), max(sens, spec)] (Table 2, the
  stage-1 results, Table 3).
* **A CI contains its estimate**, for every reported estimate with a CI.
* **CI width possible for n.** A 95% interval of a proportion cannot be much narrower than the exact
  (Clopper-Pearson) one at the same n: flagged when the reported width is below half the exact width. For an AUC,
  the reported width is compared with 2 x 1.96 x the Hanley-McNeil SE at the reported AUC and the numbers of cases
  and controls, with the same factor of one half.
* **Counts stated in more than one place** (``counts.csv``): abstract against study setting, results and tables.
* **The Results' pooled demographics against Table 1** (:func:`pooled_demographics`): n, sex counts, mean and SD
  of age of each group pooled over the three datasets, against what Table 1's split-wise numbers imply.
* **Split ratios** stated as 75:25 against the counts beside them, and **the validation period** stated twice.
* **Friedman P of Table 3** recomputed from Table 3 (metrics as blocks, strata as treatments): exact and asymptotic.

Examples
--------
>>> from gvisage_lib.paper.table1_audit import paper_p_check
>>> audit = paper_consistency(paper_p_check())
>>> list(audit.columns)
['item', 'check', 'location', 'wording', 'paper_values', 'consistent', 'note']
>>> bool((~audit.consistent.astype(bool)).any())
True
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.paper import numbers

__all__ = ["AUDIT_COLUMNS", "audit_summary", "audit_verdict", "grim_percent", "paper_consistency",
           "pooled_demographics"]

AUDIT_COLUMNS: tuple[str, ...] = ("item", "check", "location", "wording", "paper_values", "consistent", "note")

#: Where a metric's proportion comes from: its denominator in a stage's cases and controls.
_PROPORTIONS: tuple[str, ...] = ("accuracy", "sensitivity", "specificity")


def _row(item: str, check: str, location: str, wording: str, values: str, ok: bool, note: str) -> dict:
    return {"item": item, "check": check, "location": location, "wording": wording, "paper_values": values,
            "consistent": bool(ok), "note": note}


def _cases_controls(stage: int, split: str) -> tuple[int, int]:
    """Cases and controls behind a reported split of a stage, from the paper's group sizes (Table 1 / abstract)."""
    t = numbers.table1()
    n = t[(t.variable == "n") & (t.statistic == "count") & (t.split == split)].set_index("group")["value"]
    labels = {g: schema.stage_label(g, stage) for g in n.index}
    return (int(sum(n[g] for g, y in labels.items() if y == 1)), int(sum(n[g] for g, y in labels.items() if y == 0)))


def _group_n() -> pd.Series:
    t = numbers.table1()
    return t[(t.variable == "n") & (t.statistic == "count")].set_index(["split", "group"])["value"].astype(int)


#: The wide factor below which a CI is called impossibly narrow.
_NARROW = 0.5


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _printed(metric: str, est: float, lo: float = math.nan, hi: float = math.nan) -> str:
    """A value as the paper prints it: AUCs with three decimals, proportions as percentages with two."""
    f = (lambda v: f"{v:.3f}") if metric == "auc" else (lambda v: f"{100 * v:.2f}%")
    ci = "" if math.isnan(lo) else f" (95% CI {f(lo)}-{f(hi)})"
    return f"{metric} {f(est)}{ci}"


def grim_percent(percent: float, n: int, decimals: int = 2) -> tuple[bool, int, int]:
    """Can ``percent``, printed with ``decimals`` decimals, be ``100 k / n`` for a whole ``k`` (a GRIM-type test)?

    A percentage of n subjects takes only the values 100 k / n; printed with two decimals, the printed value must be
    one of them rounded (a value exactly half-way may be rounded either way).

    Parameters
    ----------
    percent : float
        The printed percentage (e.g. 76.33).
    n : int
        The number of subjects it is a percentage of.
    decimals : int
        Decimals of the printed value.

    Returns
    -------
    tuple
        ``(possible, k_low, k_high)``: whether some k fits, and the whole numbers of subjects whose percentages are
        nearest below and above the printed value (equal when it fits).

    Examples
    --------
    >>> grim_percent(76.33, 358)
    (False, 273, 274)
    >>> grim_percent(75.95, 79)
    (True, 60, 60)
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")
    n = int(n)
    half = 0.5 * 10.0 ** -decimals
    exact = percent * n / 100.0
    for k in (math.floor(exact), math.ceil(exact)):
        if 0 <= k <= n and abs(100.0 * k / n - percent) <= half + 1e-9:
            return True, k, k
    return False, math.floor(exact), math.ceil(exact)


def _grim_row(item: str, location: str, wording: str, percent: float, n: int, what: str) -> dict:
    ok, lo, hi = grim_percent(percent, n)
    note = (f"{lo}/{n} = {100 * lo / n:.2f}%" if ok else
            f"no whole number of {n} {what} gives it: {lo}/{n} = {100 * lo / n:.2f}%, {hi}/{n} = {100 * hi / n:.2f}%")
    return _row(item, "percentage possible as k/n (GRIM)", location, wording, f"{percent:.2f}% of {n}", ok, note)


def _grim_table1_rows() -> list[dict]:
    t = numbers.table1()
    n = _group_n()
    rows = []
    for r in t[t.statistic == "percent"].itertuples():
        rows.append(_grim_row(f"Table 1: {r.variable}, {r.split}, {r.group}", "Table 1",
                              f"{r.variable}, % ({r.group}, {r.split}): {r.value:.2f}", float(r.value),
                              int(n[(r.split, r.group)]), f"{r.group} patients"))
    return rows


def _grim_results_rows() -> list[dict]:
    pr = numbers.results()
    rows = []
    for r in pr[pr.metric.isin(_PROPORTIONS)].itertuples():
        n_pos, n_neg = _cases_controls(int(r.stage), r.split)
        n, what = {"accuracy": (n_pos + n_neg, "subjects"), "sensitivity": (n_pos, "cases"),
                   "specificity": (n_neg, "controls")}[r.metric]
        rows.append(_grim_row(f"{r.source}: {r.model}, stage {r.stage}, {r.split}, {r.metric}", r.source,
                              _printed(r.metric, r.estimate, r.ci_low, r.ci_high), 100 * float(r.estimate), n, what))
    for r in numbers.table3().itertuples():
        rows.append(_grim_row(f"Table 3: {r.stratum} damage, accuracy", "Table 3; Results (HPT strata)",
                              _printed("accuracy", r.accuracy, r.accuracy_ci_low, r.accuracy_ci_high),
                              100 * float(r.accuracy), int(r.n), "patients of the stratum"))
    return rows


def _exact_width(p: float, n: int) -> float:
    from gvisage_lib.stats import proportion_ci

    k = int(round(p * n))
    lo, hi = proportion_ci(k, n)
    return float(hi - lo)


def _hanley_mcneil_width(auc: float, n_pos: int, n_neg: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return 2 * 1.959964 * math.sqrt(max(var, 0.0))


def _accuracy_rows(item: str, location: str, est: dict[str, float]) -> list[dict]:
    if not {"accuracy", "sensitivity", "specificity"} <= set(est):
        return []
    acc, se, sp = est["accuracy"], est["sensitivity"], est["specificity"]
    ok = min(se, sp) - 1e-9 <= acc <= max(se, sp) + 1e-9
    wording = "; ".join(_printed(m, est[m]) for m in ("accuracy", "sensitivity", "specificity"))
    return [_row(item, "accuracy between sensitivity and specificity", location, wording,
                 f"accuracy {_fmt(acc)}, sensitivity {_fmt(se)}, specificity {_fmt(sp)}", ok,
                 "" if ok else "accuracy is the prevalence-weighted mean of sensitivity and specificity")]


def _ci_rows(item: str, location: str, metric: str, est: float, lo: float, hi: float,
             n: tuple[int, int] | int | None) -> list[dict]:
    rows: list[dict] = []
    if any(map(math.isnan, (est, lo, hi))):
        return rows
    wording = _printed(metric, est, lo, hi)
    inside = lo - 1e-9 <= est <= hi + 1e-9
    rows.append(_row(item, f"{metric} CI contains the estimate", location, wording,
                     f"{_fmt(est)} ({_fmt(lo)}-{_fmt(hi)})", inside,
                     "" if inside else "the estimate lies outside its own interval"))
    if n is None:
        return rows
    if metric == "auc":
        need = _hanley_mcneil_width(est, *n)
        how = f"Hanley-McNeil width {_fmt(need)} at {n[0]} cases and {n[1]} controls"
    else:
        need = _exact_width(est, int(n))
        how = f"exact width {_fmt(need)} at n = {int(n)}"
    ok = (hi - lo) >= _NARROW * need
    rows.append(_row(item, f"{metric} CI width possible for n", location, wording, f"width {_fmt(hi - lo)}", ok,
                     f"{how}" + ("" if ok else "; the reported interval is less than half of it")))
    return rows


def _metric_n(metric: str, n_pos: int, n_neg: int) -> tuple[int, int] | int:
    return {"auc": (n_pos, n_neg), "accuracy": n_pos + n_neg, "sensitivity": n_pos, "specificity": n_neg}[metric]


def _results_rows() -> list[dict]:
    pr = numbers.results()
    rows = []
    for (source, model, stage, split), g in pr.groupby(["source", "model", "stage", "split"], sort=False):
        item = f"{source}: {model}, stage {stage}, {split}"
        est = dict(zip(g["metric"], g["estimate"]))
        rows += _accuracy_rows(item, source, est)
        n_pos, n_neg = _cases_controls(int(stage), split)
        for r in g.itertuples():
            rows += _ci_rows(item, source, r.metric, float(r.estimate), float(r.ci_low), float(r.ci_high),
                             _metric_n(r.metric, n_pos, n_neg))
    return rows


def _table3_rows() -> list[dict]:
    t3 = numbers.table3()
    rows = []
    where = "Table 3; Results (HPT strata)"
    for r in t3.to_dict("records"):
        item = f"Table 3: {r['stratum']} damage (n = {r['n']})"
        rows += _accuracy_rows(item, where, {m: float(r[m]) for m in ("accuracy", "sensitivity", "specificity")})
        rows.append(_row(item, "AUC as printed in the table and the text", where,
                         f"Table 3: {100 * r['auc']:.2f}%; text: AUC of {r['auc_text']:.3f}",
                         f"table {_fmt(r['auc'])}, text {_fmt(r['auc_text'])}",
                         abs(r["auc"] - r["auc_text"]) <= 0.005 + 1e-9,  # a half may round either way
                         "Table 3 prints the AUC as a percentage rounded to the unit (0.575 may print as 57 or 58)"))
        for m in ("auc", "accuracy", "sensitivity", "specificity"):
            est = float(r["auc_text"] if m == "auc" else r[m])
            n = int(r["n"]) if m == "accuracy" else None  # the strata's cases and controls are not reported
            rows += _ci_rows(item, where, m, est, float(r[f"{m}_ci_low"]), float(r[f"{m}_ci_high"]), n)
    return rows


def _table1_rows(chk: pd.DataFrame) -> list[dict]:
    need = {"variable", "split", "paper_p", "recomputed_p", "recomputed_test", "consistent"}
    missing = sorted(need - set(chk.columns))
    if missing:
        raise ValueError(f"table1_p_check lacks columns {missing}; pass gvisage_lib.paper.table1_audit.paper_p_check()")
    rows = []
    # a row is a check only where the paper prints a P and the summaries allow recomputing it; ``consistent`` is NaN
    # otherwise (bool(NaN) would be True: such a row must not count as consistent)
    checkable = chk["recomputed_p"].notna() & pd.to_numeric(chk["consistent"], errors="coerce").notna()
    for r in chk[checkable].itertuples():
        printed = f"P={str(r.paper_p).strip()}".replace("=<", "<")
        rows.append(_row(f"Table 1: {r.variable}, {r.split}", "P value recomputed from the summaries", "Table 1",
                         f"{r.variable} ({r.split}): {printed}", printed, bool(r.consistent),
                         f"recomputed {numbers.format_p(r.recomputed_p, prefix=True)} ({r.recomputed_test})"))
    return rows


def _source(c: pd.DataFrame, key: str) -> tuple[str, str]:
    """(location, wording) of a ``counts.csv`` row: its source is "location: wording"."""
    loc, _, words = str(c.loc[key, "source"]).partition(": ")
    return loc, words or loc


def _count_row(c: pd.DataFrame, label: str, keys: list[str], note: str) -> dict:
    v = c["value"].astype(float)
    parts = [_source(c, k) for k in keys]
    return _row(f"Counts: {label}", "the same count wherever it is stated", "; ".join(p[0] for p in parts),
                "; ".join(p[1] for p in parts), "; ".join(f"{p[0]}: {int(v[k])}" for p, k in zip(parts, keys)),
                len({v[k] for k in keys}) == 1, note)


def _count_rows() -> list[dict]:
    c = numbers.counts().set_index("item")
    rows = [
        _count_row(c, "development set size", ["development_n", "results_development_n", "development_abstract_n"],
                   "three sizes of one set: 1016 = 716 tumours + 300 NCs (Study Setting), 989 = 300 NCs + 437 iGCTs "
                   "+ 252 other tumours (Results), 1059 = 847 + 212 = 370 NCs + 437 + 252 (abstract)"),
        _count_row(c, "development stage-2 tumours", ["stage2_development_n", "stage2_development_table1_n"],
                   "716 = 574 + 142 (Study Setting) against 689 = 547 + 142 (Table 1): 574 and 547 differ by a "
                   "transposition of two digits"),
        _count_row(c, "validation set size and its NCs", ["validation_n_setting", "validation_nc_results",
                                                          "validation_n_abstract", "validation_nc_abstract"],
                   "one discrepancy, the number of validation NCs: 436 = 200 + 130 + 106 and 336 = 100 + 130 + 106"),
        _count_row(c, "test iGCTs in Table 1's sex ratio", ["test_igct_sex_sum", "test_igct_n"],
                   str(c.loc["test_igct_sex_sum", "note"])),
        _count_row(c, "Fig 5A indicators with a significant correlation",
                   ["fig5a_indicators_abstract", "fig5a_indicators_results"], ""),
    ]
    loc, words = _source(c, "table3_strata_sum")
    rows.append(_row("Counts: HPT strata of Table 3", "strata with both classes, as an AUC needs", loc, words,
                     f"{loc}: {int(c.loc['table3_strata_sum', 'value'])}", False,
                     str(c.loc["table3_strata_sum", "note"])))
    return rows


def _pooled_sd(n: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> float:
    grand = float((n * mean).sum() / n.sum())
    return float(math.sqrt(((n - 1) * sd ** 2 + n * (mean - grand) ** 2).sum() / (n.sum() - 1)))


def pooled_demographics() -> pd.DataFrame:
    """The Results' demographics pooled over the three datasets beside what Table 1's split-wise numbers imply.

    For each group (NC, iGCT, other) and quantity: the Results' value (``numbers.pooled_demographics``), the value
    implied by Table 1 and the abstract's group sizes (n and sex: sums over the splits; mean age: the n-weighted mean;
    SD of age: the SD of the pooled sample, from each split's n, mean and SD), whether they agree within the rounding
    of the printed numbers (counts exactly; means within .01, SDs within .02) and a note. Table 1 has no NC column:
    only the NCs' n can be compared (the abstract's 300 + 70 + 100).

    Returns
    -------
    DataFrame
        group, quantity (n, male, female, age_mean, age_sd), results, table1, consistent (NaN where Table 1 gives
        nothing to compare), note.

    Examples
    --------
    >>> p = pooled_demographics().set_index(["group", "quantity"])
    >>> round(float(p.loc[("iGCT", "age_mean"), "table1"]), 2), int(p.loc[("iGCT", "male"), "table1"])
    (16.61, 317)
    """
    t = numbers.table1()
    n = _group_n()
    rows = []
    for r in numbers.pooled_demographics().itertuples():
        g = r.group
        splits = [s for s in schema.SPLITS if (s, g) in n.index]
        ns = np.array([n[(s, g)] for s in splits], dtype=float)
        sel = t[(t.group == g) & t.split.isin(splits)]
        age = sel[sel.variable == "age_years"].pivot_table(index="split", columns="statistic", values="value")
        sex = sel[sel.variable == "sex"].groupby("level")["value"].sum()
        implied: dict[str, float] = {"n": float(ns.sum()), "male": float(sex.get("M", math.nan)),
                                     "female": float(sex.get("F", math.nan)), "age_mean": math.nan,
                                     "age_sd": math.nan}
        if len(age) == len(splits):
            m, sd = age.loc[splits, "mean"].to_numpy(), age.loc[splits, "sd"].to_numpy()
            implied["age_mean"] = float((ns * m).sum() / ns.sum())
            implied["age_sd"] = _pooled_sd(ns, m, sd)
        by_split = sel[sel.variable == "sex"].pivot_table(index="split", columns="level", values="value")
        notes = {"n": "the abstract's group sizes summed: " + " + ".join(f"{n[(s, g)]} ({s})" for s in splits)}
        for q, lv in (("male", "M"), ("female", "F")):
            if lv in by_split:
                notes[q] = "Table 1's sex counts summed: " + " + ".join(
                    f"{int(by_split.loc[s, lv])} ({s})" for s in splits if s in by_split.index)
        if len(age) == len(splits):
            notes["age_mean"] = notes["age_sd"] = "pooled from Table 1's n, mean (SD) per split: " + "; ".join(
                f"{s} {n[(s, g)]}, {age.loc[s, 'mean']:.2f} ({age.loc[s, 'sd']:.2f})" for s in splits)
        tol = {"n": 0.0, "male": 0.0, "female": 0.0, "age_mean": 0.01, "age_sd": 0.02}
        for q, tl in tol.items():
            paper, imp = float(getattr(r, q)), implied[q]
            ok = math.nan if math.isnan(imp) else abs(paper - imp) <= tl + 1e-9
            note = notes.get(q, "Table 1 has no NC column")
            rows.append({"group": g, "quantity": q, "results": paper, "table1": imp, "consistent": ok,
                         "note": note})
    return pd.DataFrame(rows, columns=["group", "quantity", "results", "table1", "consistent", "note"])


def _pooled_rows() -> list[dict]:
    p = pooled_demographics()
    src = numbers.pooled_demographics().set_index("group")
    rows = []
    for r in p[p["consistent"].notna()].itertuples():
        extra = ""
        male, female, n = (int(src.loc[r.group, c]) for c in ("male", "female", "n"))
        if r.quantity in ("male", "female") and male + female != n:
            extra = f"; the Results' {male} + {female} = {male + female}, not its own n of {n}"
        if r.group == "iGCT" and r.quantity == "male":
            extra += "; Table 1's test iGCTs are 51 F : 68 M for 79 patients (see the counts)"
        if r.group == "NC" and r.quantity == "n":
            extra = "; 470 with the abstract's 100 validation NCs, 570 with the Results' 200: 500 is neither"
        rows.append(_row(f"Pooled demographics: {r.group}, {r.quantity}", "pooled demographics against Table 1",
                         str(src.loc[r.group, "location"]), str(src.loc[r.group, "wording"]),
                         f"Results {r.results:g}; Table 1 implies {r.table1:.2f}".replace(".00", ""),
                         bool(r.consistent), r.note + extra))
    return rows


def _statement_rows() -> list[dict]:
    rows = []
    for r in numbers.statements().itertuples():
        if r.kind == "ratio":
            a, b = int(r.first), int(r.second)
            want = float(str(r.stated).split(":")[0])
            share = 100.0 * a / (a + b)
            rows.append(_row(f"Split ratio: {r.item}", "split ratio as stated", r.location, r.wording,
                             f"{a}:{b} = {share:.1f}:{100 - share:.1f}; stated {r.stated}",
                             round(share) == want, f"{a} of {a + b} is {share:.1f}%"))
        elif r.kind == "date":
            rows.append(_row(f"Dates: {r.item}", "the same date wherever it is stated", r.location, r.wording,
                             f"{r.first} vs {r.second}", r.first == r.second,
                             "" if r.first == r.second else "the validation period starts a year apart in two "
                                                            "sections; the development period ends in December 2020"))
        else:
            raise ValueError(f"statements.csv: row {r.item!r} has kind {r.kind!r}; expected 'ratio' or 'date'")
    return rows


def _friedman_rows() -> list[dict]:
    from gvisage_lib.stats import friedman_test

    t3 = numbers.table3()
    res = friedman_test(t3[["auc", "accuracy", "sensitivity", "specificity"]].to_numpy(float).T)
    printed = ".03"
    p = numbers.parse_p(printed)
    matches = [round(v, len(printed) - 1) == p for v in (res.p_value, res.p_exact)]
    return [_row("Table 3: Friedman test of the strata", "Friedman P recomputed from Table 3",
                 "Results (HPT strata)", f"Friedman test revealed a significant difference in AUC among the 3 "
                 f"groups (P={printed})", f"P = {printed}", any(matches),
                 f"metrics as blocks, strata as treatments (4 x 3): statistic {res.statistic:.3g}, exact P = "
                 f"{res.p_exact:.2g}, asymptotic P = {res.p_value:.2g}; both below .05, neither {printed}")]


def paper_consistency(table1_p_check: pd.DataFrame) -> pd.DataFrame:
    """The consistency audit of the paper's own numbers: one row per item and check (see the module docstring).

    Parameters
    ----------
    table1_p_check : DataFrame
        Table 1's P values recomputed from its summaries, as :func:`gvisage_lib.paper.table1_audit.paper_p_check`
        returns them (columns ``split, variable, paper_p, recomputed_p, recomputed_test, consistent``).

    Returns
    -------
    DataFrame
        :data:`AUDIT_COLUMNS`: item, check, location, wording, paper_values, consistent (bool), note.
    """
    rows = (_table1_rows(table1_p_check) + _grim_table1_rows() + _pooled_rows() + _results_rows()
            + _grim_results_rows() + _table3_rows() + _friedman_rows() + _count_rows() + _statement_rows())
    out = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    out["consistent"] = out["consistent"].astype(bool)
    return out


def audit_summary(audit: pd.DataFrame) -> pd.DataFrame:
    """Rows and inconsistent rows of :func:`paper_consistency` per check, in the order the audit runs them.

    Examples
    --------
    >>> from gvisage_lib.paper.table1_audit import paper_p_check
    >>> s = audit_summary(paper_consistency(paper_p_check()))
    >>> list(s.columns), int(s.loc["accuracy between sensitivity and specificity", "inconsistent"])
    (['rows', 'inconsistent'], 6)
    """
    missing = sorted({"check", "consistent"} - set(audit.columns))
    if missing:
        raise ValueError(f"audit lacks columns {missing}; pass the output of paper_consistency()")
    ok = audit["consistent"].astype(bool)
    order = list(dict.fromkeys(audit["check"]))
    return pd.DataFrame({"rows": audit.groupby("check").size(),
                         "inconsistent": (~ok).groupby(audit["check"]).sum()}).loc[order]


def audit_verdict(audit: pd.DataFrame) -> str:
    """One sentence per check of the audit: how many of its rows the paper's numbers cannot satisfy.

    Examples
    --------
    >>> audit = pd.DataFrame({"check": ["a", "a", "b"], "consistent": [True, False, True]})
    >>> print(audit_verdict(audit))
    2 of 3 checks hold; 1 cannot:
    - a: 1 of 2 inconsistent
    - b: 0 of 1 inconsistent
    """
    s = audit_summary(audit)
    bad = int(s["inconsistent"].sum())
    lines = [f"{len(audit) - bad} of {len(audit)} checks hold; {bad} cannot:"]
    lines += [f"- {check}: {int(r.inconsistent)} of {int(r.rows)} inconsistent" for check, r in s.iterrows()]
    return "\n".join(lines)
