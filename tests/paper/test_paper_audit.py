"""The paper audit: complete (GRIM, pooled demographics, ratios, dates, Friedman) and right (no NaN as consistent,
each discrepancy once)."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gvisage_lib.paper import numbers
from gvisage_lib.paper.consistency import (
    AUDIT_COLUMNS,
    audit_summary,
    audit_verdict,
    grim_percent,
    paper_consistency,
    pooled_demographics,
)
from gvisage_lib.paper.table1_audit import paper_p_check
from gvisage_lib.stats import friedman_exact_p, friedman_test


@pytest.fixture(scope="module")
def audit() -> pd.DataFrame:
    return paper_consistency(paper_p_check())


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_every_row_has_location_and_wording(audit):
    assert list(audit.columns) == list(AUDIT_COLUMNS)
    assert (audit["location"].str.len() > 0).all() and (audit["wording"].str.len() > 0).all()
    assert audit["consistent"].dtype == bool


def test_a_row_without_printed_p_is_not_counted_as_consistent(audit):
    pcheck = paper_p_check()
    no_p = pcheck[pcheck["recomputed_p"].notna() & pcheck["paper_p_value"].isna()]
    assert len(no_p) == 1 and no_p.iloc[0]["variable"] == "growth_retardation"  # the row the bug counted
    p = audit[audit["check"] == "P value recomputed from the summaries"]
    assert len(p) == 36 and int((~p["consistent"]).sum()) == 11
    assert not p["item"].str.contains("growth_retardation").any()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_grim_percent_against_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        n = int(rng.integers(1, 400))
        pct = round(float(rng.uniform(0, 100)), 2)
        fits = [k for k in range(n + 1) if abs(round(100 * k / n, 2) - pct) < 1e-9
                or abs(100 * k / n - pct) <= 0.005 + 1e-9]
        assert grim_percent(pct, n)[0] == bool(fits), (pct, n)
    assert grim_percent(100.0, 7) == (True, 7, 7) and grim_percent(0.0, 7) == (True, 0, 0)
    with pytest.raises(ValueError, match="n must be"):
        grim_percent(50.0, 0)


def test_grim_rows_cover_every_printed_percentage(audit):
    g = audit[audit["check"] == "percentage possible as k/n (GRIM)"]
    t1 = g[g["location"] == "Table 1"]
    assert len(t1) == (numbers.table1()["statistic"] == "percent").sum() == 56
    assert int((~t1["consistent"]).sum()) == 55
    other = g[g["location"] != "Table 1"]
    proportions = numbers.results()["metric"].isin(["accuracy", "sensitivity", "specificity"]).sum()
    assert len(other) == proportions + len(numbers.table3()) == 27
    assert not other["consistent"].any()
    row = g[g["item"] == "Table 1: intracranial_hypertension, train, iGCT"].iloc[0]
    assert not row["consistent"] and "273/358" in row["note"]


def test_pooled_demographics_against_table1():
    p = pooled_demographics().set_index(["group", "quantity"])
    t = numbers.table1()
    age = t[(t.variable == "age_years") & (t.group == "iGCT")].pivot_table(index="split", columns="statistic",
                                                                           values="value")
    n = {"train": 358, "test": 79, "validation": 130}
    # the pooled sample's mean and SD, by brute force on pseudo-data with each split's exact mean and SD
    parts = [age.loc[s, "mean"] + age.loc[s, "sd"] * stats.zscore(np.arange(n[s], dtype=float), ddof=1)
             for s in n]
    pooled = np.concatenate(parts)
    assert p.loc[("iGCT", "age_mean"), "table1"] == pytest.approx(pooled.mean(), abs=1e-9)
    assert p.loc[("iGCT", "age_sd"), "table1"] == pytest.approx(pooled.std(ddof=1), abs=1e-9)
    assert p.loc[("iGCT", "male"), "table1"] == 317 and not p.loc[("iGCT", "male"), "consistent"]
    assert p.loc[("iGCT", "female"), "consistent"] and p.loc[("other", "male"), "consistent"]
    assert round(p.loc[("iGCT", "age_mean"), "table1"], 2) == 16.61 and not p.loc[("iGCT", "age_mean"), "consistent"]
    assert p.loc[("NC", "n"), "table1"] == 470 and math.isnan(p.loc[("NC", "age_mean"), "table1"])


def test_ratios_dates_and_counts_once(audit):
    ratios = audit[audit["check"] == "split ratio as stated"].set_index("item")["consistent"]
    assert ratios.to_dict() == {"Split ratio: development split (stage 1)": True,
                                "Split ratio: development split (abstract)": False,
                                "Split ratio: stage-2 split (Study Setting)": False,
                                "Split ratio: stage-2 split (Table 1)": False}
    dates = audit[audit["check"] == "the same date wherever it is stated"]
    assert len(dates) == 1 and not dates["consistent"].iloc[0] and "January 2021" in dates["wording"].iloc[0]
    counts = audit[audit["item"].str.startswith("Counts:")]
    assert counts["item"].is_unique and not counts["consistent"].any()
    assert counts["paper_values"].str.contains("1059").sum() == 1  # 1016 and 989 in one row with 1059
    val = counts[counts["paper_values"].str.contains("436")]
    assert len(val) == 1 and "200" in val["paper_values"].iloc[0] and "336" in val["paper_values"].iloc[0]


def test_friedman_exact_and_asymptotic(audit):
    m = numbers.table3()[["auc", "accuracy", "sensitivity", "specificity"]].to_numpy(float).T
    res = friedman_test(m)
    assert res.p_value == pytest.approx(math.exp(-4)) and res.p_exact == pytest.approx(6 / 6 ** 4)
    row = audit[audit["check"] == "Friedman P recomputed from Table 3"].iloc[0]
    assert not row["consistent"] and "exact P = 0.0046" in row["note"] and "asymptotic P = 0.018" in row["note"]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_friedman_exact_p_brute_force():
    rng = np.random.default_rng(2)
    for _ in range(5):
        m = rng.integers(0, 4, size=(3, 3)).astype(float)  # ties within blocks
        obs = stats.friedmanchisquare(*m.T).statistic if np.ptp(m, axis=1).any() else 0.0
        stat = []
        for perm in itertools.product(*(itertools.permutations(row) for row in m)):
            a = np.array(perm)
            stat.append(stats.friedmanchisquare(*a.T).statistic if np.ptp(a, axis=1).any() else 0.0)
        assert friedman_exact_p(m) == pytest.approx(np.mean(np.array(stat) >= obs - 1e-9))


def test_verdict_counts_come_from_the_table(audit):
    s = audit_summary(audit)
    text = audit_verdict(audit)
    bad = int((~audit["consistent"]).sum())
    assert text.startswith(f"{len(audit) - bad} of {len(audit)} checks hold; {bad} cannot:")
    for check, r in s.iterrows():
        assert f"- {check}: {int(r.inconsistent)} of {int(r.rows)} inconsistent" in text
