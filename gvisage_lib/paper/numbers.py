"""Every number the paper publishes, transcribed once and read from the files in ``gvisage_lib/paper/data``.

Li Y, He Y, Liu Y, Wang B, Li B, Qiu X. Identification of intracranial germ cell tumors based on facial photos.
J Med Internet Res 2025;27:e58760 (CC BY 4.0).

* ``table1.csv``: Table 1 in long form, one row per split x group x variable x level x statistic (``mean``, ``sd``,
  ``percent``, ``count``) with the P value as printed (e.g. ``"<.01"``) and a note; it also holds the study-flow
  group sizes (``variable == "n"``; the abstract's counts, which agree with Table 1's tumour counts) and the
  validation iGCTs' HPT-damage strata (37/54/39).
* ``results.csv``: every reported performance number (Table 2, the candidate comparison, the stage-1 results), one
  row per model x stage x split x metric: ``source, model, model_key, stage, split, metric, estimate, ci_low,
  ci_high, note``. Proportions are fractions (the paper prints percentages).
* ``table3.csv``: Table 3 (HPT-damage strata), with the AUC as its text gives it (``auc_text``).
* ``counts.csv``: the counts the paper states in more than one place (abstract, study setting, results, tables),
  each with its source, for the consistency audit (:mod:`gvisage_lib.paper.consistency`).
* ``pooled_demographics.csv``: the Results' demographics of each group over all three datasets (n, males,
  females, mean and SD of age), with the paper's wording.
* ``statements.csv``: other statements the audit checks against each other: the split ratios stated as 75:25 and
  the start of the validation period, each with its location and wording.
* :data:`CLINICAL_MODEL` and :data:`FIG5A_SIGNS`: the seven variables of the paper's clinical model and the
  correlation signs it reports for Fig 5A, from its text.

Where the paper contradicts itself, both statements are kept and the note says so; see ``docs/paper.md``.

Examples
--------
>>> float(table1().query("split == 'train' and group == 'iGCT' and variable == 'age_years'"
...                      " and statistic == 'mean'").value.iloc[0])
16.95
>>> candidate_auc()[("resnet50", 2, "test")], candidate_auc()[("resnet50", 1, "validation")]
(np.float64(0.705), np.float64(0.938))
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.core.labels import format_p  # the report's one P-value format, re-exported here

__all__ = ["CLINICAL_MODEL", "FIG5A_SIGNS", "candidate_auc", "counts", "fig5a_signs", "format_p", "parse_p",
           "pooled_demographics", "results", "statements", "table1", "table2", "table3", "training_p"]

#: The seven variables of the paper's clinical logistic regression (Results, "Baseline characteristics").
CLINICAL_MODEL: tuple[str, ...] = (
    "limb_movement_disorder",
    "diabetes_insipidus",
    "sexual_abnormality",
    "affective_disturbance",
    "convulsive_seizure",
    "tsh",
    "gh",
)

#: Signs the paper reports for Fig 5A (Results): "significant positive correlation ... TSH and IGFBP-3"; "negative
#: ... TT4, FT3, FT4, GH, prolactin, and estradiol": eight indicators, where the abstract says seven.
FIG5A_SIGNS: dict[str, int] = {"tsh": 1, "igfbp3": 1, "tt4": -1, "ft3": -1, "ft4": -1, "gh": -1, "prolactin": -1,
                               "estradiol": -1}


def _read(name: str, **kwargs) -> pd.DataFrame:
    with resources.files("gvisage_lib.paper.data").joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, **kwargs)


@lru_cache(maxsize=1)
def _table1_cached() -> pd.DataFrame:
    df = _read("table1.csv", dtype={"level": str, "paper_p": str, "note": str}, keep_default_na=False)
    df["value"] = df["value"].astype(float)
    return df


def table1() -> pd.DataFrame:
    """Table 1 and the study-flow counts in long form (a fresh copy).

    Columns: ``split, group, variable, level, statistic, value, paper_p, note``; empty strings where not applicable.

    Examples
    --------
    >>> sorted(table1().statistic.unique())
    ['count', 'mean', 'percent', 'sd']
    """
    return _table1_cached().copy()


def parse_p(p: str) -> float:
    """Numeric form of a P value as printed in the paper (``"<.01"`` -> 0.01, ``""`` -> NaN).

    Examples
    --------
    >>> parse_p("<.01"), parse_p(".452"), parse_p("")
    (0.01, 0.452, nan)
    """
    s = str(p).strip().lstrip("<>= ")
    if s in ("", "nan", "—"):
        return math.nan
    return float(s)


def training_p() -> pd.Series:
    """Table 1's P value of each variable on the training split, as printed (``"<.01"``, ``".03"``): a Series by
    variable.

    Growth retardation ("not applicable") and TT3/TT4 (not in Table 1) are absent.

    Examples
    --------
    >>> p = training_p()
    >>> p["tsh"], p["limb_movement_disorder"], "tt3" in p.index
    ('.02', '<.01', False)
    """
    t = table1()
    t = t[(t["split"] == "train") & t["paper_p"].notna() & (t["paper_p"].astype(str).str.strip() != "")]
    return pd.Series({str(v): str(g["paper_p"].iloc[0]).strip() for v, g in t.groupby("variable", sort=False)},
                     name="paper_p_train", dtype=object)


def results() -> pd.DataFrame:
    """Every performance number the paper reports, one row per metric (``results.csv``, a fresh copy).

    The stage-1 test AUC is stated twice (0.942 and 0.972): both rows are kept, with a note.

    Examples
    --------
    >>> pr = results()
    >>> sorted(pr.query("stage == 1 and split == 'test' and metric == 'auc'"
    ...                 " and model_key in ['gvisagenet', 'resnet50']")["estimate"].tolist())
    [0.942, 0.972]
    """
    return _read("results.csv", keep_default_na=False, na_values=[""]).assign(note=lambda d: d["note"].fillna(""))


def table2() -> pd.DataFrame:
    """Table 2 (stage 2: GVisageNet, logistic regression, hybrid model; test and validation) in the tidy row schema.

    Columns ``model, stage, split, metric, estimate, ci_low, ci_high, note`` (the schema of every Table 2 row in this
    package).

    Examples
    --------
    >>> t = table2().set_index(["model", "split", "metric"])
    >>> float(t.loc[("Hybrid model", "validation", "auc"), "estimate"])
    0.789
    """
    pr = results()
    return pr.loc[pr["source"] == "Table 2", ["model", "stage", "split", "metric", "estimate", "ci_low", "ci_high",
                                               "note"]].reset_index(drop=True)


def table3() -> pd.DataFrame:
    """Table 3 (validation, HPT-axis damage strata); ``n`` and ``auc_text`` are the Results text's.

    Its Table 3 prints the AUCs as 68.00%, 57.00%, 52.00% where the text gives 0.678, 0.575, 0.517; both are kept.

    Examples
    --------
    >>> table3().stratum.tolist(), table3().auc_text.tolist()
    (['complete', 'incomplete', 'none'], [0.678, 0.575, 0.517])
    """
    return _read("table3.csv")


def counts() -> pd.DataFrame:
    """Counts the paper states in more than one place (``counts.csv``: item, source, value, note), for the audit.

    Examples
    --------
    >>> c = counts().set_index("item")["value"]
    >>> int(c["validation_nc_results"]), int(c["validation_nc_abstract"])
    (200, 100)
    """
    return _read("counts.csv", keep_default_na=False)


def pooled_demographics() -> pd.DataFrame:
    """The Results' demographics of each group pooled over training, testing and validation
    (``pooled_demographics.csv``: group, n, male, female, age_mean, age_sd, location, wording).

    Examples
    --------
    >>> pooled_demographics().set_index("group").loc["iGCT", ["n", "male", "female", "age_mean"]].astype(float).tolist()
    [567.0, 256.0, 290.0, 12.81]
    """
    return _read("pooled_demographics.csv")


def statements() -> pd.DataFrame:
    """Split ratios and dates the paper states (``statements.csv``: item, kind, first, second, stated, location,
    wording). A ratio row holds the two counts and the stated ratio; a date row the two versions (YYYY-MM).

    Examples
    --------
    >>> s = statements()
    >>> s.loc[s.kind == "ratio", ["first", "second"]].astype(int).values.tolist()[:2]
    [[762, 254], [847, 212]]
    """
    return _read("statements.csv", dtype={"first": str, "second": str, "stated": str}, keep_default_na=False)


def candidate_auc() -> pd.Series:
    """AUC the paper reports per candidate, stage and split (a Series indexed by ``(model, stage, split)``).

    Test AUCs come from the candidate comparison (Results, "Evaluation of Three Candidate Algorithmic Models");
    validation AUCs exist for GVisageNet only, i.e. ResNet-50. The paper also gives 0.942 for ResNet-50's stage-1
    test AUC in the GVisageNet section, against 0.972 in the candidate comparison; the candidate-comparison value is
    used here (both are in ``results.csv``).

    Examples
    --------
    >>> a = candidate_auc()
    >>> float(a[("alexnet", 2, "test")]), ("alexnet", 2, "validation") in a.index
    (0.667, False)
    """
    pr = results().query("metric == 'auc'")
    rows = {(r.model_key, int(r.stage), r.split): float(r.estimate)
            for r in pr.itertuples() if r.model_key in schema.CANDIDATE_MODELS and r.split == "test"}
    rows.update({("resnet50", int(r.stage), r.split): float(r.estimate)
                 for r in pr.itertuples() if r.model_key == "gvisagenet" and r.split == "validation"})
    idx = pd.MultiIndex.from_tuples(list(rows), names=["model", "stage", "split"])
    return pd.Series(list(rows.values()), index=idx, name="paper_auc")


def fig5a_signs() -> pd.Series:
    """The sign the paper reports for each Fig 5A indicator: +1, -1, or 0 where it reports no correlation.

    Examples
    --------
    >>> s = fig5a_signs()
    >>> int(s["tsh"]), int(s["lh"]), len(s)
    (1, 0, 15)
    """
    return pd.Series({c: FIG5A_SIGNS.get(c, 0) for c in schema.FIG5A_ENDOCRINE}, name="paper_sign", dtype=int)
