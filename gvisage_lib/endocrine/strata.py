"""Stage-2 performance by degree of hypothalamic-pituitary-target (HPT) axis damage (Table 3, Fig 5B).

The paper splits the validation tumours into complete (n=37), incomplete (n=54) and no damage (n=39) and reports
AUC, accuracy, sensitivity and specificity per stratum. Those n add up to 130, the validation iGCT count, yet an
AUC needs both classes: our strata hold every validation tumour (iGCT and other) with an HPT grade, so each has
positives and negatives and its n is larger than the paper's.

"An analysis of variance (Friedman test) revealed a significant difference in AUC among the 3 groups (P=.03)."
A Friedman test needs blocks (repeated measurements of every treatment). Three AUCs from three independent strata
have none; the only blocking the paper's numbers allow is to treat the four metrics (AUC, accuracy, sensitivity,
specificity) as blocks and the strata as treatments, which is what :func:`strata_tests` reports as "the paper's".
With 4 blocks and 3 treatments the smallest attainable asymptotic P is exp(-4) = .018 (perfect concordance), and
the metrics are not independent blocks (they come from the same subjects and threshold). Beside it:

* a chi-square heterogeneity test of independent AUCs: Q = Σ w_i (AUC_i - AUC_pooled)², w_i = 1 / Var_DeLong(AUC_i),
  df = k - 1 (the test of AUCs from independent samples);
* a trend test across the ordered strata (none < incomplete < complete): the slope of a weighted least-squares
  regression of AUC on the stratum rank (weights 1 / Var_DeLong), z = slope / SE, two-sided.

Examples
--------
>>> t3 = pd.DataFrame({"stratum": ["complete", "incomplete", "none"], "auc": [.68, .575, .517],
...                    "auc_variance": [.004, .003, .004], "accuracy": [.679, .554, .443],
...                    "sensitivity": [.632, .596, .595], "specificity": [.576, .535, .481]})
>>> round(float(strata_tests(t3).set_index("test").loc["Friedman (paper's)", "p_value"]), 4)
0.0183
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gvisage_lib import paper
from gvisage_lib.core import schema
from gvisage_lib.stats import FriedmanResult, auc_heterogeneity, auc_trend, friedman_test

METRICS: tuple[str, ...] = ("auc", "accuracy", "sensitivity", "specificity")
#: Order of increasing damage, used by the trend test.
ORDERED_LEVELS: tuple[str, ...] = ("none", "incomplete", "complete")

FRIEDMAN_BLOCKING = ("blocks = the 4 metrics (AUC, accuracy, sensitivity, specificity), treatments = the strata; "
                     "the only blocking the paper's 3 independent strata allow. The metrics are neither independent "
                     "nor exchangeable, so this P has no clear meaning.")


_METRIC_FIELDS = ("auc", "auc_ci_low", "auc_ci_high", "auc_variance",
                  *(m + sfx for m in ("accuracy", "sensitivity", "specificity") for sfx in ("", "_ci_low", "_ci_high")))


def strata_metrics(frame: pd.DataFrame, threshold: float, *, stratum: str = "hpt_damage",
                   levels: Sequence[str] = schema.HPT_LEVELS, label: str = "label", score: str = "score",
                   level: float = 0.95) -> pd.DataFrame:
    """AUC (DeLong CI and variance), accuracy, sensitivity, specificity (exact CIs) per stratum (Table 3).

    Parameters
    ----------
    frame : DataFrame
        Stage-2 subjects of one split (both classes), with ``stratum``, ``label`` (1 = iGCT) and ``score``.
    threshold : float
        Decision threshold, chosen as for Table 2's CNN row (never on in-sample CNN scores).
    stratum : str
        Stratum column.
    levels : sequence of str
        Strata in display order.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        stratum, n, n_pos, n_neg, threshold, auc, auc_ci_low, auc_ci_high, auc_variance, accuracy,
        sensitivity, specificity with ``_ci_low``/``_ci_high``, and mean_score (all, iGCT, other:
        mean_score_pos / mean_score_neg), and note. A stratum with a single class (possible in a small cohort) keeps
        its row with missing metrics and ``note`` saying why, instead of stopping the analysis.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"hpt_damage": np.repeat(["complete", "incomplete", "none"], 60),
    ...                    "label": np.tile([0, 1], 90)})
    >>> df["score"] = 1 / (1 + np.exp(-(df.label + rng.normal(size=180))))
    >>> strata_metrics(df, 0.5)[["stratum", "n", "n_pos"]].values.tolist()
    [['complete', 60, 30], ['incomplete', 60, 30], ['none', 60, 30]]
    """
    from gvisage_lib.stats import diagnostic_metrics, roc_auc_delong

    for c in (stratum, label, score):
        if c not in frame.columns:
            raise ValueError(f"frame lacks column {c!r}")
    unknown = sorted(set(frame[stratum].dropna().astype(str)) - set(levels))
    if unknown:
        raise ValueError(f"column {stratum!r} has value(s) {unknown} outside {list(levels)}")
    rows = []
    for lv in levels:
        g = frame[frame[stratum].astype(str) == lv]
        y, s = g[label].to_numpy(int), g[score].to_numpy(float)
        n_pos = int(y.sum())
        row: dict[str, object] = {"stratum": lv, "n": len(y), "n_pos": n_pos, "n_neg": len(y) - n_pos,
                                  "threshold": float(threshold)}
        if n_pos == 0 or n_pos == len(y):
            # a small cohort's stratum may hold one tumour group only (or nobody): no AUC is defined there; the row
            # stays, with missing metrics and the reason, so the other strata and the rest of the analysis go on
            reason = "no subjects" if len(y) == 0 else f"a single class ({n_pos} iGCT of {len(y)})"
            row.update({k: np.nan for k in _METRIC_FIELDS})
            row.update(mean_score=float(s.mean()) if len(s) else np.nan,
                       mean_score_pos=float(s[y == 1].mean()) if n_pos else np.nan,
                       mean_score_neg=float(s[y == 0].mean()) if len(y) - n_pos else np.nan,
                       note=f"not computed: {reason}")
            rows.append(row)
            continue
        roc = roc_auc_delong(y, s, level=level)
        row.update(auc=roc.auc, auc_ci_low=roc.ci_low, auc_ci_high=roc.ci_high, auc_variance=roc.variance)
        dm = diagnostic_metrics(y, s, threshold, level=level)
        for k in ("accuracy", "sensitivity", "specificity"):
            for suffix in ("", "_ci_low", "_ci_high"):
                row[k + suffix] = float(getattr(dm, k + suffix))
        row.update(mean_score=float(s.mean()), mean_score_pos=float(s[y == 1].mean()),
                   mean_score_neg=float(s[y == 0].mean()), note="")
        rows.append(row)
    return pd.DataFrame(rows)


def friedman_as_paper(table3: pd.DataFrame, metrics: Sequence[str] = METRICS) -> FriedmanResult:
    """The paper's Friedman test of Table 3: the metrics as blocks, the strata as treatments.

    Same as R ``friedman.test(m)`` with ``m`` a blocks x treatments matrix (rows = metrics, columns = strata);
    :func:`gvisage_lib.stats.friedman_test` computes it.

    Examples
    --------
    >>> t = pd.DataFrame({"auc": [.7, .6, .5], "accuracy": [.7, .6, .5]})
    >>> r = friedman_as_paper(t, ["auc", "accuracy"])
    >>> r.statistic, r.df
    (4.0, 2)
    """
    metrics = list(metrics)
    missing = [m for m in metrics if m not in table3.columns]
    if missing:
        raise ValueError(f"table3 lacks metric column(s) {missing}")
    if len(table3) < 3 or len(metrics) < 2:
        raise ValueError(f"Friedman needs >= 3 strata and >= 2 metrics, got {len(table3)} and {len(metrics)}")
    m = table3[metrics].to_numpy(float).T  # blocks (metrics) x treatments (strata)
    if np.isnan(m).any():
        raise ValueError("table3 has missing metric values; Friedman needs a complete blocks x strata table")
    return friedman_test(m)


def strata_tests(table3: pd.DataFrame, *, order: Sequence[str] = ORDERED_LEVELS,
                 metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """The paper's Friedman test beside the heterogeneity and trend tests of independent AUCs.

    Parameters
    ----------
    table3 : DataFrame
        :func:`strata_metrics` output (needs stratum, the ``metrics`` and auc_variance).
    order : sequence of str
        Strata from least to most damage (rank 0, 1, 2, ...), for the trend test.

    Returns
    -------
    DataFrame
        test, statistic, df, p_value, estimate, assumption.
    """
    complete = table3[list(metrics)].notna().all(axis=1) if set(metrics) <= set(table3.columns) else None
    if complete is not None and not complete.all():
        # a stratum without an AUC (one class only, in a small cohort) leaves no complete blocks x strata table
        absent = ", ".join(map(str, table3.loc[~complete, "stratum"])) if "stratum" in table3 else "some strata"
        rows = [{"test": "Friedman (paper's)", "statistic": np.nan, "df": np.nan, "p_value": np.nan,
                 "estimate": np.nan, "assumption": f"{FRIEDMAN_BLOCKING} (not computed: no metrics for {absent})"}]
    else:
        fr = friedman_as_paper(table3, metrics)
        rows = [{"test": "Friedman (paper's)", "statistic": fr.statistic, "df": fr.df, "p_value": fr.p_value,
                 "estimate": np.nan, "assumption": FRIEDMAN_BLOCKING}]
    if "auc_variance" in table3.columns:
        rank_of = {lv: i for i, lv in enumerate(order)}
        if not set(table3["stratum"]) <= set(rank_of):
            raise ValueError(f"strata {sorted(table3['stratum'])} are not all in order {list(order)}")
        # A stratum with one case or one control (or perfect separation) has no usable DeLong variance: it is left
        # out of the tests of independent AUCs, and the rows say which strata were used.
        var = pd.to_numeric(table3["auc_variance"], errors="coerce")
        usable = table3[np.isfinite(var) & (var > 0)]
        left_out = sorted(set(table3["stratum"]) - set(usable["stratum"]))
        note = f"; left out (no DeLong variance): {', '.join(left_out)}" if left_out else ""
        het = "independent strata; DeLong variances; estimate = inverse-variance pooled AUC" + note
        trend = (f"weighted least squares on rank ({' < '.join(order)}); estimate = AUC change per step; "
                 f"statistic = z{note}")
        if len(usable) >= 2:
            h = auc_heterogeneity(usable["auc"], usable["auc_variance"])
            q, qdf, qp, pooled = h.statistic, h.df, h.p_value, h.pooled_auc
            t = auc_trend(usable["auc"], usable["auc_variance"], usable["stratum"].map(rank_of))
            tr = {"z": t.z, "p_value": t.p_value, "slope": t.slope}
        else:
            q, qdf, qp, pooled = np.nan, np.nan, np.nan, np.nan
            tr = {"z": np.nan, "p_value": np.nan, "slope": np.nan}
            het += " (fewer than 2 strata usable: not computed)"
            trend += " (fewer than 2 strata usable: not computed)"
        rows.append({"test": "chi-square heterogeneity of independent AUCs", "statistic": q, "df": qdf,
                     "p_value": qp, "estimate": pooled, "assumption": het})
        rows.append({"test": "trend of AUC over ordered strata", "statistic": tr["z"], "df": np.nan,
                     "p_value": tr["p_value"], "estimate": tr["slope"], "assumption": trend})
    return pd.DataFrame(rows)


def strata_order_check(table3: pd.DataFrame, expected: Sequence[str] = ("complete", "incomplete", "none"),
                       metric: str = "auc") -> pd.DataFrame:
    """Is ``metric`` ordered as ``expected`` (first = highest)? One row per adjacent pair, plus ``all``.

    Examples
    --------
    >>> t = pd.DataFrame({"stratum": ["complete", "incomplete", "none"], "auc": [.8, .7, .6]})
    >>> strata_order_check(t).holds.tolist()
    [True, True, True]
    """
    val = table3.set_index("stratum")[metric]
    rows = [{"comparison": f"{a} > {b}", "holds": bool(val[a] > val[b]), "difference": float(val[a] - val[b])}
            for a, b in zip(expected[:-1], expected[1:])]
    rows.append({"comparison": "all", "holds": all(r["holds"] for r in rows),
                 "difference": float(val[expected[0]] - val[expected[-1]])})
    return pd.DataFrame(rows)


def table3_with_paper(table3: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """This run's Table 3 beside the paper's: one row per stratum and metric, with this run's CI.

    ``paper_in_ci`` says whether the paper's value lies inside this run's 95% CI. The paper's AUC is the one its text
    gives (0.678, 0.575, 0.517); its Table 3 prints 68.00%, 57.00%, 52.00%.

    Examples
    --------
    >>> t3 = pd.DataFrame({"stratum": ["complete"], "n": [40], "auc": [0.7],
    ...                    "auc_ci_low": [0.55], "auc_ci_high": [0.85]})
    >>> table3_with_paper(t3)[["stratum", "metric", "paper", "this_run", "paper_in_ci"]].values.tolist()
    [['complete', 'auc', 0.678, 0.7, True]]
    """
    published = paper.table3() if published is None else published
    published = published.assign(auc=published["auc_text"]).set_index("stratum")
    rows = []
    for r in table3.to_dict("records"):
        for m in METRICS:
            if m not in r or r["stratum"] not in published.index:
                continue
            pv = float(published.loc[r["stratum"], m])
            lo, hi = float(r[f"{m}_ci_low"]), float(r[f"{m}_ci_high"])
            rows.append({"stratum": r["stratum"], "metric": m, "paper_n": int(published.loc[r["stratum"], "n"]),
                         "paper": pv, "this_run_n": int(r["n"]), "this_run": float(r[m]), "this_run_ci_low": lo,
                         "this_run_ci_high": hi, "paper_in_ci": bool(lo <= pv <= hi)})
    return pd.DataFrame(rows)
