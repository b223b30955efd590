"""Table 1: demographics, symptoms and endocrine levels of iGCTs vs other midline tumours, with the paper's tests.

Each variable is compared between the groups with the paper's test-selection rules
(:func:`gvisage_lib.stats.two_groups.compare_two_groups`: Shapiro-Wilk then Student t or Mann-Whitney U for a
continuous variable; Pearson chi-square, or Fisher's exact test when an expected count is below 5, for a binary or
categorical one).

The paper's Table 1 footnote names ANOVA and chi-square; its Methods name Shapiro-Wilk, t and Mann-Whitney U tests.
We follow the Methods. Several of the paper's P values cannot follow from its own summaries:
:func:`gvisage_lib.paper.table1_audit.paper_p_check` recomputes them from the published means, SDs and counts.

Examples
--------
>>> r = compare_two_groups([1.1, 2.3, 1.9, 2.8, 2.2], [3.1, 3.5, 2.9, 4.2, 3.8], kind="continuous")
>>> r.test
'Student t test (equal variances)'
>>> round(r.p_value, 4)
0.0043
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.core.style import SPLIT_LABEL
from gvisage_lib.core.validation import check_frame, check_int
from gvisage_lib.paper import format_p
from gvisage_lib.paper import table1 as paper_table1
from gvisage_lib.paper.table1_audit import paper_p_check
from gvisage_lib.stats.two_groups import TwoGroupResult, compare_two_groups

#: Table 1 rows: (variable, kind), in the paper's order (TT3/TT4 added after FT3/FT4, as in the manifest).
TABLE1_VARIABLES: tuple[tuple[str, str], ...] = (
    ("age_years", "continuous"),
    ("sex", "categorical"),
    ("duration_months", "continuous"),
    ("bmi", "continuous"),
    ("tumor_site", "categorical"),
    *((c, "binary") for c in schema.SYMPTOM_COLUMNS),
    *((c, "continuous") for c in schema.ENDOCRINE_COLUMNS),
)
_LEVELS = {"sex": schema.SEXES, "tumor_site": schema.TUMOR_SITES}
_T1_GROUPS = ("iGCT", "other")
_QUARTILE_COLUMNS = tuple(f"{name}_{g}" for g in _T1_GROUPS for name in ("median", "q1", "q3"))


# ---------------------------------------------------------------------------------------------------------------------
# Table 1


def _check_manifest(manifest: pd.DataFrame) -> None:
    if not isinstance(manifest, pd.DataFrame):
        raise TypeError(f"manifest must be a pandas DataFrame, got {type(manifest).__name__}")
    check_frame(manifest, "manifest", ("group", "split"))


def table1(manifest: pd.DataFrame, *, split: str) -> pd.DataFrame:
    """Table 1 of one split: each variable summarised in iGCT and other tumours, with the test and its P value.

    Summaries as the paper: mean (SD) for continuous variables, percent for symptoms, ``n:n`` counts for sex
    (F:M) and tumour site (sellar:pineal:fourth ventricle). Variables absent from the manifest are skipped.

    Parameters
    ----------
    manifest : pandas.DataFrame
        A manifest as read by :func:`gvisage_lib.cohort.manifest.load_manifest`.
    split : str
        ``train``, ``test`` or ``validation``.

    Returns
    -------
    pandas.DataFrame
        Columns ``split, variable, level, iGCT, other, test, statistic, p_value, n_iGCT, n_other`` plus numeric
        ``value_iGCT, value_other`` (mean or percent; NaN for n:n rows) and, for continuous variables, the median
        and quartiles ``median_iGCT, q1_iGCT, q3_iGCT, median_other, q1_other, q3_other`` (pandas' linear
        interpolation, R's type 7; NaN elsewhere). ``n_iGCT``/``n_other`` count the subjects with a value.

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.5)  # doctest: +SLOW
    >>> t = table1(m, split="train")
    >>> t.loc[t.variable == "sex", "level"].item()
    'F:M'
    """
    _check_manifest(manifest)
    if split not in schema.SPLITS:
        raise ValueError(f"split must be one of {schema.SPLITS}, got {split!r}")
    sub = manifest[manifest["split"] == split]
    parts = {g: sub[sub["group"] == g] for g in _T1_GROUPS}
    rows = []
    for var, kind in TABLE1_VARIABLES:
        if var not in manifest.columns:
            continue
        col = {g: parts[g][var] for g in _T1_GROUPS}
        ns = {g: int(col[g].notna().sum()) for g in _T1_GROUPS}
        row: dict[str, Any] = {"split": split, "variable": var}
        if min(ns.values()) == 0:
            res = TwoGroupResult("not testable (empty group)", math.nan, math.nan)
        else:
            res = compare_two_groups(col["iGCT"], col["other"], kind=kind)
        if kind == "continuous":
            row["level"] = "mean (SD)"
            for g in _T1_GROUPS:
                x = pd.to_numeric(col[g], errors="coerce").dropna()
                row[g] = f"{x.mean():.2f} ({x.std(ddof=1):.2f})" if len(x) else ""
                row[f"value_{g}"] = float(x.mean()) if len(x) else math.nan
                for name, q in (("median", 0.5), ("q1", 0.25), ("q3", 0.75)):
                    row[f"{name}_{g}"] = float(x.quantile(q)) if len(x) else math.nan
        elif kind == "binary":
            row["level"] = "%"
            for g in _T1_GROUPS:
                x = pd.to_numeric(col[g], errors="coerce").dropna()
                row[g] = f"{100 * x.mean():.2f}" if len(x) else ""
                row[f"value_{g}"] = float(100 * x.mean()) if len(x) else math.nan
        else:
            levels = _LEVELS[var]
            row["level"] = ":".join(levels)
            for g in _T1_GROUPS:
                row[g] = ":".join(str(int((col[g] == lev).sum())) for lev in levels)
                row[f"value_{g}"] = math.nan
        row.update(test=res.test, statistic=res.statistic, p_value=res.p_value, n_iGCT=ns["iGCT"],
                   n_other=ns["other"])
        rows.append(row)
    cols = ["split", "variable", "level", "iGCT", "other", "test", "statistic", "p_value", "n_iGCT", "n_other",
            "value_iGCT", "value_other", *_QUARTILE_COLUMNS]
    return pd.DataFrame(rows, columns=cols)


def table1_all_splits(manifest: pd.DataFrame) -> pd.DataFrame:
    """:func:`table1` of every split present in the manifest, stacked (train, test, validation order).

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=1, scale=0.3)  # doctest: +SLOW
    >>> table1_all_splits(m).split.unique().tolist()
    ['train', 'test', 'validation']
    """
    _check_manifest(manifest)
    present = [s for s in schema.SPLITS if (manifest["split"] == s).any()]
    return pd.concat([table1(manifest, split=s) for s in present], ignore_index=True)


# ---------------------------------------------------------------------------------------------------------------------
# the paper's layout

#: Sections of the paper's Table 1 and the variables under each, in its order (TT3 and TT4 after FT3 and FT4).
TABLE1_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Demographics", ("age_years", "sex", "duration_months", "bmi", "tumor_site")),
    ("Symptoms", ("intracranial_hypertension", "vision_change", "growth_retardation", "limb_movement_disorder")),
    ("Hypothalamic syndrome", ("diabetes_insipidus", "abnormal_feeding", "sleep_wake_abnormality",
                               "sexual_abnormality", "affective_disturbance", "convulsive_seizure")),
    ("Endocrine hormone levels", schema.ENDOCRINE_COLUMNS),
)

_HORMONE_NAMES = {
    "acth": "Adrenocorticotropic hormone (ACTH)", "cortisol": "Cortisol (COR)",
    "tsh": "Thyroid-stimulating hormone (TSH)", "tt3": "Total triiodothyronine (TT3)",
    "ft3": "Free triiodothyronine (FT3)", "tt4": "Total thyroxine (TT4)", "ft4": "Free thyroxine (FT4)",
    "gh": "Growth hormone (GH)", "igf1": "Insulin-like growth factor-1 (IGF-1)",
    "igfbp3": "Insulin-like growth factor binding protein-3 (IGFBP-3)", "fsh": "Follicle-stimulating hormone (FSH)",
    "lh": "Luteinizing hormone (LH)", "testosterone": "Testosterone (T)", "estradiol": "Estradiol (E2)",
    "progesterone": "Progesterone (P)", "prolactin": "Prolactin (PRL)",
}

#: Readable row names of the Table 1 variables (units as in the paper's Table 1; hormones' from
#: :data:`gvisage_lib.core.schema.ENDOCRINE_LABELS`).
TABLE1_LABELS: dict[str, str] = {
    "age_years": "Age (years)",
    "sex": "Sex",
    "duration_months": "Duration of symptoms (months)",
    "bmi": "BMI (kg/m²)",
    "tumor_site": "Primary tumour site",
    "intracranial_hypertension": "Cranial hypertension (headache, vomiting, papilledema)",
    "vision_change": "Vision changes (vision loss, visual field loss)",
    "growth_retardation": "Growth retardation",
    "limb_movement_disorder": "Limb movement disorder",
    "diabetes_insipidus": "Diabetes insipidus",
    "abnormal_feeding": "Abnormal feeding",
    "sleep_wake_abnormality": "Sleep-wake abnormality",
    "sexual_abnormality": "Sexual abnormality",
    "affective_disturbance": "Affective disturbance",
    "convulsive_seizure": "Convulsive seizure",
    **{c: f"{_HORMONE_NAMES[c]}, {schema.ENDOCRINE_LABELS[c].rsplit('(', 1)[1].rstrip(')')}"
       for c in schema.ENDOCRINE_COLUMNS},
}
#: Readable names of the levels of the categorical variables.
TABLE1_LEVEL_LABELS: dict[str, dict[str, str]] = {
    "sex": {"F": "Female", "M": "Male"},
    "tumor_site": {"sellar": "Sellar", "pineal": "Pineal", "fourth_ventricle": "Fourth ventricle"},
}
#: Indent of a level under its variable (non-breaking spaces, kept by HTML and CSV alike).
LEVEL_INDENT: str = "\u00a0" * 4
CONTINUOUS_SUMMARIES: tuple[str, ...] = ("mean (SD)", "median (IQR)", "by test")


def _n_pct(k: int, n: int, digits: int) -> str:
    return f"{k} ({100 * k / n:.{digits}f})" if n else ""


def table1_paper_layout(long: pd.DataFrame, *, continuous: str = "mean (SD)", digits: int = 2,
                        percent_digits: int = 1) -> pd.DataFrame:
    """Table 1 as the paper lays it out: variables as rows, per split the iGCT and other columns and the P value.

    Turns the long table of :func:`table1_all_splits` (or :func:`table1`) into the reader's table:

    * rows: the paper's sections (Demographics, Symptoms, Hypothalamic syndrome, Endocrine hormone levels) as
      header rows with empty cells, then each variable with a readable name (:data:`TABLE1_LABELS`) that says how
      it is summarised ("Age (years), mean (SD)"); a categorical variable (sex, tumour site) carries its P value on
      its own row and its levels on indented rows below it (:data:`LEVEL_INDENT`);
    * columns: ``Variable``, then for each split of ``long`` (training, testing, independent validation)
      ``"<Split>: iGCT (n=..)"``, ``"<Split>: Other (n=..)"`` and ``"<Split>: P"``; n is the group size of the
      split (the largest count of subjects with a value over the variables);
    * cells: ``"mean (SD)"`` or ``"median (Q1–Q3)"`` for continuous variables, ``"n (%)"`` for symptoms and for
      each level of a categorical variable (percent of the subjects with a value); P in the APA style of the paper
      (:func:`gvisage_lib.paper.format_p`: ``"<.001"``, ``".03"``), ``"—"`` where no test was possible.

    The paper prints symptoms as percentages alone and sex and tumour site as ``n:n`` ratios; here every count is
    shown with its percentage, so no number is lost. Variables absent from ``long`` are left out, as are sections
    left empty.

    Parameters
    ----------
    long : pandas.DataFrame
        The long Table 1 (:func:`table1_all_splits`), with its ``n_iGCT``/``value_iGCT`` and quartile columns.
    continuous : {"mean (SD)", "median (IQR)", "by test"}, default "mean (SD)"
        Summary of the continuous variables: the paper's mean (SD) (its Methods: "Continuous variables were
        presented as mean (SD)"), the median and interquartile range, or ``"by test"``: the median (IQR) where the
        groups were compared with the Mann-Whitney U test (a skewed variable) and the mean (SD) where with
        Student's t test.
    digits : int, default 2
        Decimals of means, SDs, medians and quartiles (the paper's 2).
    percent_digits : int, default 1
        Decimals of the percentages.

    Returns
    -------
    pandas.DataFrame
        One row per section, variable and level; string cells.

    Examples
    --------
    >>> m = pd.DataFrame({"split": "test", "group": ["iGCT"] * 4 + ["other"] * 3,
    ...                   "age_years": [12, 15, 17, 20, 8, 9, 11], "sex": ["F", "M", "M", "F", "F", "M", "F"]})
    >>> t = table1_paper_layout(table1(m, split="test"))
    >>> t.columns.tolist()
    ['Variable', 'Testing: iGCT (n=4)', 'Testing: Other (n=3)', 'Testing: P']
    >>> t.values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['Demographics', '', '', ''], ['Age (years), mean (SD)', '16.00 (3.37)', '9.33 (1.53)', '.03'],
     ['Sex, n (%)', '', '', '>.99'], ['\\xa0\\xa0\\xa0\\xa0Female', '2 (50.0)', '2 (66.7)', ''],
     ['\\xa0\\xa0\\xa0\\xa0Male', '2 (50.0)', '1 (33.3)', '']]
    """
    if not isinstance(long, pd.DataFrame):
        raise TypeError(f"long must be a pandas DataFrame (table1_all_splits), got {type(long).__name__}")
    check_frame(long, "long", ("split", "variable", "level", "iGCT", "other", "test", "p_value", "n_iGCT",
                                "n_other", "value_iGCT", "value_other"))
    if continuous not in CONTINUOUS_SUMMARIES:
        raise ValueError(f"continuous must be one of {CONTINUOUS_SUMMARIES}, got {continuous!r}")
    check_int("digits", digits, minimum=0)
    check_int("percent_digits", percent_digits, minimum=0)
    unknown = sorted(set(long["split"]) - set(schema.SPLITS))
    if unknown:
        raise ValueError(f"long: column 'split' holds unknown value(s) {unknown}; expected {schema.SPLITS}")
    splits = [s for s in schema.SPLITS if (long["split"] == s).any()]
    kinds = dict(TABLE1_VARIABLES)
    by = {(r["split"], r["variable"]): r for _, r in long.iterrows()}
    sizes = long.groupby("split")[["n_iGCT", "n_other"]].max()
    cols: dict[tuple[str, str], str] = {}
    for s in splits:
        cols[(s, "iGCT")] = f"{SPLIT_LABEL[s]}: iGCT (n={int(sizes.loc[s, 'n_iGCT'])})"
        cols[(s, "other")] = f"{SPLIT_LABEL[s]}: Other (n={int(sizes.loc[s, 'n_other'])})"
        cols[(s, "P")] = f"{SPLIT_LABEL[s]}: P"
    header = ["Variable", *cols.values()]
    present = set(long["variable"])

    def median_iqr(r: pd.Series, g: str) -> str:
        if f"median_{g}" not in r.index:
            raise ValueError(f"long lacks column 'median_{g}' (a long table of table1 holds it); "
                             f"continuous={continuous!r} needs it")
        med, q1, q3 = r[f"median_{g}"], r[f"q1_{g}"], r[f"q3_{g}"]
        return "" if pd.isna(med) else f"{med:.{digits}f} ({q1:.{digits}f}–{q3:.{digits}f})"

    def use_median(r: pd.Series) -> bool:
        return continuous == "median (IQR)" or (continuous == "by test" and str(r["test"]).startswith("Mann-Whitney"))

    def mean_sd(r: pd.Series, g: str) -> str:
        return "" if pd.isna(r[f"value_{g}"]) else str(r[g])

    rows: list[dict[str, str]] = []
    for section, variables in TABLE1_SECTIONS:
        variables = [v for v in variables if v in present]
        if not variables:
            continue
        rows.append({"Variable": section})
        for var in variables:
            kind = kinds[var]
            cells: dict[str, str] = {}
            level_rows: list[dict[str, str]] = []
            if kind == "continuous":
                medians = [use_median(by[(s, var)]) for s in splits if (s, var) in by]
                summary = ("mean (SD) or median (IQR)" if any(medians) and not all(medians)
                           else "median (IQR)" if any(medians) else "mean (SD)")
                label = f"{TABLE1_LABELS[var]}, {summary}"
            else:
                label = f"{TABLE1_LABELS[var]}, n (%)"
            for s in splits:
                r = by.get((s, var))
                if r is None:
                    continue
                cells[cols[(s, "P")]] = format_p(r["p_value"])
                if kind == "continuous":
                    for g in _T1_GROUPS:
                        cells[cols[(s, g)]] = median_iqr(r, g) if use_median(r) else mean_sd(r, g)
                elif kind == "binary":
                    for g in _T1_GROUPS:
                        n = int(r[f"n_{g}"])
                        k = round(float(r[f"value_{g}"]) / 100 * n) if n else 0
                        cells[cols[(s, g)]] = _n_pct(k, n, percent_digits)
            if kind == "categorical":
                levels = str(by[next((s, var) for s in splits if (s, var) in by)]["level"]).split(":")
                for i, lev in enumerate(levels):
                    lr = {"Variable": LEVEL_INDENT + TABLE1_LEVEL_LABELS.get(var, {}).get(lev, lev)}
                    for s in splits:
                        r = by.get((s, var))
                        if r is None:
                            continue
                        for g in _T1_GROUPS:
                            counts = [int(c) for c in str(r[g]).split(":")]
                            lr[cols[(s, g)]] = _n_pct(counts[i], sum(counts), percent_digits)
                    level_rows.append(lr)
            rows.append({"Variable": label, **cells})
            rows.extend(level_rows)
    return pd.DataFrame(rows, columns=header).fillna("")


def calibration_vs_paper(manifest: pd.DataFrame, *, flag_z: float = 3.0) -> pd.DataFrame:
    """The twin (or any cohort) against the paper's Table 1, in standard errors.

    One row per split x group x variable (x level) that the paper reports:

    * means: ``z = (twin - paper) / (sigma / sqrt(n))`` with ``sigma`` the SD under the paper's value: the paper's
      SD where it gives one (age), else the twin's documented dispersion ``cv * paper mean``
      (:func:`gvisage_lib.twin.parameters.effective_dispersions`), else the cohort's sample SD. The sample SD of a
      strongly skewed variable (CV up to 2) underestimates sigma in most samples and would overstate z;
    * the SD of age: ``z = (sd_twin - sd_paper) / (sd_paper / sqrt(2 (n - 1)))`` (normal-theory SE of an SD);
    * percentages (symptoms; sex and tumour site as the percent of each level, from the paper's counts):
      ``z = (twin - paper) / (100 sqrt(p (1 - p) / n))`` with the paper's ``p`` (binomial SE under the paper's value);
    * group sizes and the HPT strata of the validation iGCTs: counts side by side, no z.

    ``flag`` is True when ``|z| > flag_z``. The paper's P (as printed), the P recomputed from the paper's own
    summaries (:func:`gvisage_lib.paper.table1_audit.paper_p_check`) and this cohort's P (:func:`table1`) are set
    beside each row.

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=20250130)
    >>> c = calibration_vs_paper(m)  # doctest: +SLOW
    >>> bool(c.z.abs().max() < 4)
    True
    """
    _check_manifest(manifest)
    from gvisage_lib.twin.parameters import effective_dispersions

    paper = paper_table1()
    cvs = effective_dispersions()
    paper_sd = {(r.split, r.group, r.variable): r.value for r in paper[paper.statistic == "sd"].itertuples()}
    twin_p = table1_all_splits(manifest)[["split", "variable", "p_value", "test"]].rename(
        columns={"p_value": "this_run_p", "test": "this_run_test"})
    pcheck = paper_p_check()[["split", "variable", "paper_p", "recomputed_p", "recomputed_test", "consistent"]]
    rows = []
    for r in paper.itertuples(index=False):
        cell = manifest[(manifest["split"] == r.split) & (manifest["group"] == r.group)]
        base = {"split": r.split, "group": r.group, "variable": r.variable, "level": r.level, "note": r.note}
        if r.variable == "n":
            rows.append({**base, "statistic": "count", "paper": r.value, "this_run": float(len(cell)),
                         "this_run_se": math.nan, "z": math.nan, "n": len(cell)})
            continue
        if r.variable not in manifest.columns:
            continue
        if r.statistic in ("mean", "sd"):
            x = pd.to_numeric(cell[r.variable], errors="coerce").dropna()
            nn = len(x)
            sd = float(x.std(ddof=1)) if nn > 1 else math.nan
            sigma = paper_sd.get((r.split, r.group, r.variable))
            if sigma is None:
                sigma = cvs[r.variable] * r.value if r.variable in cvs else sd
            if r.statistic == "mean":
                val, se = float(x.mean()) if nn else math.nan, sigma / math.sqrt(nn) if nn > 1 else math.nan
            else:
                val, se = sd, sigma / math.sqrt(2 * (nn - 1)) if nn > 1 else math.nan
            rows.append({**base, "statistic": r.statistic, "paper": r.value, "this_run": val, "this_run_se": se,
                         "z": (val - r.value) / se if se and se > 0 else math.nan, "n": nn})
            continue
        x = cell[r.variable].dropna()
        nn = len(x)
        if r.statistic == "percent":
            p0 = r.value / 100
            val = 100 * float((pd.to_numeric(x, errors="coerce") == 1).mean()) if nn else math.nan
        else:  # counts of a level -> percent of the group
            same = paper[(paper.split == r.split) & (paper.group == r.group) & (paper.variable == r.variable)]
            p0 = r.value / same.value.sum()
            val = 100 * float((x.astype(str) == r.level).mean()) if nn else math.nan
            base["note"] = ((base["note"] + "; " if base["note"] else "")
                            + f"paper count {r.value:g} of {same.value.sum():g}")
        se = 100 * math.sqrt(p0 * (1 - p0) / nn) if nn and 0 < p0 < 1 else math.nan
        rows.append({**base, "statistic": "percent", "paper": 100 * p0, "this_run": val, "this_run_se": se,
                     "z": (val - 100 * p0) / se if se and se > 0 else math.nan, "n": nn})
    out = pd.DataFrame(rows)
    out["flag"] = out["z"].abs() > flag_z
    out = out.merge(pcheck, on=["split", "variable"], how="left").merge(twin_p, on=["split", "variable"], how="left")
    cols = ["split", "group", "variable", "level", "statistic", "paper", "this_run", "this_run_se", "z", "flag", "n",
            "paper_p", "recomputed_p", "recomputed_test", "consistent", "this_run_p", "this_run_test", "note"]
    return out[cols]


def largest_deviation(calibration: pd.DataFrame) -> pd.Series:
    """The row of a :func:`calibration_vs_paper` table with the largest ``|z|``.

    Examples
    --------
    >>> from gvisage_lib.twin import generate_tabular
    >>> m, _ = generate_tabular(seed=20250130)
    >>> bool(abs(largest_deviation(calibration_vs_paper(m)).z) < 4)  # doctest: +SLOW
    True
    """
    z = calibration["z"].abs()
    if z.notna().sum() == 0:
        raise ValueError("calibration has no finite z to rank")
    return calibration.loc[z.idxmax()]

