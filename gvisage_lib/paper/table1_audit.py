"""The paper's Table 1 P values recomputed from its own published summaries (means, SDs, counts, percentages).

The paper's P values are checked against what its printed summaries allow, with the same two-group tests that
Table 1 of a cohort uses (:mod:`gvisage_lib.stats.two_groups`). The result feeds the paper-consistency audit
(:func:`gvisage_lib.paper.consistency.paper_consistency`) and Table 1's calibration against the paper.

Examples
--------
>>> c = paper_p_check()
>>> sorted(c.split.unique())
['test', 'train', 'validation']
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from gvisage_lib.core import schema
from gvisage_lib.paper.numbers import parse_p
from gvisage_lib.paper.numbers import table1 as paper_table1
from gvisage_lib.stats.two_groups import contingency_test

#: The kind of each Table 1 variable the paper prints a P value for (the tests follow the kind).
_KINDS: dict[str, str] = {
    "age_years": "continuous",
    "sex": "categorical",
    "duration_months": "continuous",
    "bmi": "continuous",
    "tumor_site": "categorical",
    **{c: "binary" for c in schema.SYMPTOM_COLUMNS},
    **{c: "continuous" for c in schema.ENDOCRINE_COLUMNS},
}
_LEVELS = {"sex": schema.SEXES, "tumor_site": schema.TUMOR_SITES}
_GROUPS = ("iGCT", "other")


def _paper_counts(t: pd.DataFrame, split: str, group: str, variable: str, levels: tuple[str, ...]) -> np.ndarray:
    sel = t[(t.split == split) & (t.group == group) & (t.variable == variable)].set_index("level")["value"]
    return np.array([float(sel.get(lev, 0.0)) for lev in levels])


def _recompute(d: pd.DataFrame, split: str, var: str, n: pd.Series) -> tuple[float, str]:
    """One row's P from the paper's summaries and the test that gave it (NaN where they do not allow one)."""
    kind = _KINDS[var]
    if var == "age_years":
        m = d.set_index(["group", "statistic"])["value"]
        res = stats.ttest_ind_from_stats(m[("iGCT", "mean")], m[("iGCT", "sd")], n[(split, "iGCT")],
                                         m[("other", "mean")], m[("other", "sd")], n[(split, "other")],
                                         equal_var=True)
        return float(res.pvalue), "Student's t test from mean, SD, n"
    if kind == "categorical":
        cols = []
        for g in _GROUPS:
            c = _paper_counts(d, split, g, var, _LEVELS[var])
            if not math.isclose(c.sum(), n[(split, g)]):
                c = np.round(c / c.sum() * n[(split, g)])
            cols.append(c)
        res = contingency_test(np.column_stack(cols))
        return res.p_value, res.test + " from published counts"
    if kind == "binary":
        cols = []
        for g in _GROUPS:
            pct = float(d[d.group == g].value.iloc[0])
            k = round(pct / 100 * n[(split, g)])
            cols.append([k, n[(split, g)] - k])
        res = contingency_test(np.array(cols, dtype=float).T)
        return res.p_value, res.test + " from published % x n"
    return math.nan, "not recomputable (no SD published)"


def paper_p_check() -> pd.DataFrame:
    """Recompute the paper's Table 1 P values from its own published summaries, where they allow it.

    * Age (mean, SD, n): Student's t test from the summary statistics (``scipy.stats.ttest_ind_from_stats``), the
      test Table 1 itself uses for a normally distributed variable
      (:func:`gvisage_lib.stats.two_groups.compare_two_groups`).
    * Sex and tumour site (counts) and symptoms (percent x n, rounded to whole patients): Pearson chi-square without
      Yates' correction (Fisher's exact when an expected count is below 5). The test iGCTs' sex ratio 51:68 (119
      patients for 79) is rescaled to 79 patients.
    * Means without SDs (duration, BMI, hormones): not recomputable (NaN).

    ``consistent`` is False when the reported and recomputed P fall on different sides of 0.05 (``"<.01"`` read
    as 0.01), True when on the same side, NaN when not recomputable.

    Returns
    -------
    pandas.DataFrame
        Columns ``split, variable, paper_p, paper_p_value, recomputed_p, recomputed_test, consistent``.

    Examples
    --------
    >>> c = paper_p_check()
    >>> r = c[(c.split == "train") & (c.variable == "age_years")].iloc[0]
    >>> r.paper_p, bool(r.recomputed_p < 1e-20), r.consistent
    ('.31', True, False)
    """
    full = paper_table1()
    t = full[full.variable.isin(list(_KINDS))]
    n = full.query("variable == 'n'").set_index(["split", "group"])["value"]
    rows = []
    for (split, var), d in t.groupby(["split", "variable"], sort=False):
        paper_p = str(d.paper_p.iloc[0])
        rec_p, rec_test = _recompute(d, split, var, n)
        pv = parse_p(paper_p)
        consistent = math.nan if (math.isnan(rec_p) or math.isnan(pv)) else bool((rec_p < 0.05) == (pv < 0.05))
        rows.append({"split": split, "variable": var, "paper_p": paper_p, "paper_p_value": pv,
                     "recomputed_p": rec_p, "recomputed_test": rec_test, "consistent": consistent})
    out = pd.DataFrame(rows)
    out["consistent"] = out["consistent"].astype(object)
    return out
