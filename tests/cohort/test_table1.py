"""Table 1 test selection and P values against R and SciPy; calibration of the twin against the paper.

R reference values were produced with R 4.2.2 Patched (2022-11-10 r83330), stats package, by:

    a1 <- c(5.1, 4.9, 5.6, 5.8, 6.0, 5.4, 5.2, 4.7, 5.5, 5.3)
    b1 <- c(6.2, 5.9, 6.4, 6.8, 6.1, 5.7, 6.6, 6.3, 6.0, 6.5)
    a2 <- c(0.1, 0.2, 0.2, 0.3, 0.5, 0.8, 1.3, 2.1, 3.4, 5.5, 8.9, 14.4)
    b2 <- c(0.4, 0.6, 0.9, 1.0, 1.2, 1.2, 1.9, 2.5, 3.1, 4.0, 6.2, 9.8, 20.5)
    shapiro.test(a1)$p.value; shapiro.test(b1)$p.value       # 0.99946972357876 0.999591043459135
    t.test(a1, b1, var.equal=TRUE)                             # t = -5.45482374058194, p = 3.50699090269476e-05
    shapiro.test(a2)$p.value; shapiro.test(b2)$p.value       # 0.00181142918063771 0.000286868504201301
    wilcox.test(a2, b2, exact=FALSE, correct=FALSE)            # W = 58, p = 0.276473620216355
    chisq.test(matrix(c(30, 50, 15, 55), 2), correct=FALSE)    # X2 = 4.59183673469388, p = 0.0321245712076566
    fisher.test(matrix(c(2, 6, 7, 2), 2))$p.value              # 0.0566844919786096
    chisq.test(matrix(c(40, 35, 10, 20, 30, 25), 3), correct=FALSE)  # X2 = 12.9052646699706, p = 0.00157636717600204
    fisher.test(matrix(c(18, 16, 2, 8, 5, 4), 3))$p.value     # 0.168273594065318
    # Student t from the paper's summaries, Table 1's own test (train age; validation age):
    st <- function(m1,s1,n1,m2,s2,n2){sp <- sqrt(((n1-1)*s1^2+(n2-1)*s2^2)/(n1+n2-2))
        t <- (m1-m2)/(sp*sqrt(1/n1+1/n2)); 2*pt(-abs(t), n1+n2-2)}
    st(16.95,8.01,358,10.47,4.72,189)                          # 1.47868250344774e-22
    st(16.29,5.49,130,14.67,4.45,106)                          # 0.0149656205016395
    chisq.test(matrix(c(167,191,109,80),2), correct=FALSE)$p.value        # 0.014197061290644
    chisq.test(matrix(c(186,160,12,89,59,41),3), correct=FALSE)$p.value  # 2.13594480423738e-11
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gvisage_lib import paper
from gvisage_lib.cohort.table1 import (
    TABLE1_VARIABLES,
    calibration_vs_paper,
    table1,
    table1_all_splits,
    table1_paper_layout,
)
from gvisage_lib.paper.table1_audit import _KINDS, paper_p_check
from gvisage_lib.stats.two_groups import TwoGroupResult, compare_two_groups
from gvisage_lib.twin import generate_tabular

A1 = [5.1, 4.9, 5.6, 5.8, 6.0, 5.4, 5.2, 4.7, 5.5, 5.3]
B1 = [6.2, 5.9, 6.4, 6.8, 6.1, 5.7, 6.6, 6.3, 6.0, 6.5]
A2 = [0.1, 0.2, 0.2, 0.3, 0.5, 0.8, 1.3, 2.1, 3.4, 5.5, 8.9, 14.4]
B2 = [0.4, 0.6, 0.9, 1.0, 1.2, 1.2, 1.9, 2.5, 3.1, 4.0, 6.2, 9.8, 20.5]


def _binary(k: int, n: int) -> list[int]:
    return [1] * k + [0] * (n - k)


def _labels(counts: list[int], levels: list[str]) -> list[str]:
    return [lev for lev, c in zip(levels, counts) for _ in range(c)]


def test_student_t_when_both_normal_matches_r_and_scipy():
    r = compare_two_groups(A1, B1, kind="continuous")
    assert r.test == "Student t test (equal variances)"
    assert r.statistic == pytest.approx(-5.45482374058194, rel=1e-10)
    assert r.p_value == pytest.approx(3.50699090269476e-05, rel=1e-8)
    assert r.p_value == pytest.approx(stats.ttest_ind(A1, B1, equal_var=True).pvalue, rel=1e-12)
    assert "0.999" in r.detail  # Shapiro-Wilk P of R: 0.99947 / 0.99959


def test_mann_whitney_when_not_normal_matches_r_and_scipy():
    r = compare_two_groups(A2, B2, kind="continuous")
    assert r.test == "Mann-Whitney U"
    assert r.statistic == pytest.approx(58)
    assert r.p_value == pytest.approx(0.276473620216355, rel=1e-9)
    ref = stats.mannwhitneyu(A2, B2, alternative="two-sided", method="asymptotic", use_continuity=False)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_one_non_normal_group_is_enough_for_mann_whitney():
    assert compare_two_groups(A1, B2, kind="continuous").test == "Mann-Whitney U"
    # alpha matters: with a tiny alpha the skewed samples pass as normal
    assert compare_two_groups(A2, B2, kind="continuous", alpha=1e-4).test.startswith("Student")


def test_chi_square_2x2_without_yates_matches_r_and_scipy():
    r = compare_two_groups(_binary(30, 80), _binary(15, 70), kind="binary")
    assert r.test == "Pearson chi-square"
    assert r.statistic == pytest.approx(4.59183673469388, rel=1e-10)
    assert r.p_value == pytest.approx(0.0321245712076566, rel=1e-9)
    ref = stats.chi2_contingency([[30, 15], [50, 55]], correction=False)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_fisher_2x2_when_expected_below_5_matches_r_and_scipy():
    r = compare_two_groups(_binary(2, 8), _binary(7, 9), kind="binary")  # smallest expected 9 * 8 / 17 = 4.2
    assert r.test == "Fisher's exact test"
    assert r.p_value == pytest.approx(0.0566844919786096, rel=1e-9)
    assert r.p_value == pytest.approx(stats.fisher_exact([[2, 7], [6, 2]]).pvalue, rel=1e-12)


def test_chi_square_3_levels_matches_r():
    lv = ["sellar", "pineal", "fourth_ventricle"]
    r = compare_two_groups(_labels([40, 35, 10], lv), _labels([20, 30, 25], lv), kind="categorical")
    assert r.test == "Pearson chi-square"
    assert r.statistic == pytest.approx(12.9052646699706, rel=1e-10)
    assert r.p_value == pytest.approx(0.00157636717600204, rel=1e-9)


def test_fisher_freeman_halton_3_levels_matches_r():
    lv = ["sellar", "pineal", "fourth_ventricle"]
    r = compare_two_groups(_labels([18, 16, 2], lv), _labels([8, 5, 4], lv), kind="categorical")
    assert r.test == "Fisher-Freeman-Halton exact test"
    assert r.p_value == pytest.approx(0.168273594065318, rel=1e-9)


def test_fisher_2xk_agrees_with_scipy_2x2_and_is_deterministic():
    from gvisage_lib.stats.two_groups import fisher_freeman_halton as _fisher_2xk

    for t in ([[3, 9], [9, 2]], [[0, 5], [7, 1]], [[10, 2], [3, 8]]):
        assert _fisher_2xk(np.array(t))[1] == pytest.approx(stats.fisher_exact(t).pvalue, rel=1e-9)
    assert _fisher_2xk(np.array([[18, 16, 2], [8, 5, 4]])) == _fisher_2xk(np.array([[18, 16, 2], [8, 5, 4]]))


def test_nan_dropped_and_bad_arguments_raise():
    r1 = compare_two_groups(A1 + [np.nan], B1 + [None], kind="continuous")
    assert r1.p_value == pytest.approx(3.50699090269476e-05, rel=1e-8)
    with pytest.raises(ValueError, match="kind"):
        compare_two_groups(A1, B1, kind="ordinal")
    with pytest.raises(ValueError, match="alpha"):
        compare_two_groups(A1, B1, kind="continuous", alpha=1.5)
    with pytest.raises(ValueError, match="at least one"):
        compare_two_groups([], B1, kind="continuous")
    r = compare_two_groups([0, 0, 0], [0, 0], kind="binary")
    assert np.isnan(r.p_value) and r.test.startswith("not testable")


def test_twogroupresult_is_frozen_and_printable():
    r = TwoGroupResult("x", 1.0, 0.5)
    with pytest.raises(AttributeError):
        r.p_value = 0.1  # type: ignore[misc]
    assert "P = 0.5" in str(r)
    assert list(r.to_frame().columns) == ["test", "statistic", "p_value", "detail"]


def test_paper_audit_tests_table1_variables_as_table1_does():
    # the audit (paper/) keeps its own list of variable kinds: it must be Table 1's
    assert _KINDS == dict(TABLE1_VARIABLES)


def test_paper_p_recomputed_from_summaries_matches_r():
    c = paper_p_check().set_index(["split", "variable"])
    assert c.loc[("train", "age_years"), "recomputed_p"] == pytest.approx(1.47868250344774e-22, rel=1e-6)
    assert c.loc[("validation", "age_years"), "recomputed_p"] == pytest.approx(0.0149656205016395, rel=1e-8)
    assert c.loc[("train", "age_years"), "recomputed_test"].startswith("Student")
    assert c.loc[("train", "sex"), "recomputed_p"] == pytest.approx(0.014197061290644, rel=1e-9)
    assert c.loc[("train", "tumor_site"), "recomputed_p"] == pytest.approx(2.13594480423738e-11, rel=1e-8)
    assert c.loc[("train", "age_years"), "consistent"] is False
    assert paper.parse_p("<.01") == 0.01


@pytest.fixture(scope="module")
def twin1():
    return generate_tabular(seed=20250130, scale=1.0)[0]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_table1_layout_and_values(twin1):
    t = table1(twin1, split="validation")
    assert {"variable", "level", "iGCT", "other", "test", "statistic", "p_value", "n_iGCT", "n_other"} <= set(t)
    age = t.set_index("variable").loc["age_years"]
    x = twin1.query("split == 'validation' and group == 'iGCT'").age_years
    assert age["iGCT"] == f"{x.mean():.2f} ({x.std():.2f})"
    assert (age.n_iGCT, age.n_other) == (130, 106)
    sex = t.set_index("variable").loc["sex"]
    assert sex["level"] == "F:M"
    # site counts are allocated exactly from the paper's 59:61:10 / 47:51:8
    assert t.set_index("variable").loc["tumor_site", "iGCT"] == "59:61:10"
    assert t.set_index("variable").loc["tumor_site", "other"] == "47:51:8"
    all_t = table1_all_splits(twin1)
    assert len(all_t) == 3 * len(t)
    with pytest.raises(ValueError, match="split"):
        table1(twin1, split="dev")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_twin_within_sampling_error_of_paper(scale, twin1):
    m = twin1 if scale == 1.0 else generate_tabular(seed=11, scale=scale)[0]
    c = calibration_vs_paper(m)
    z = c.z.dropna()
    assert len(z) > 150
    assert z.abs().max() < 4, c.loc[c.z.abs().idxmax()].to_dict()
    # sizes follow the design at scale 1 (within rounding at other scales)
    n = c[c.variable == "n"]
    assert (abs(n.this_run - n.paper * scale) <= 0.5).all()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_calibration_detects_a_miscalibrated_cohort(twin1):
    bad = twin1.copy()
    sel = (bad.split == "train") & (bad.group == "iGCT")
    bad.loc[sel, "gh"] = bad.loc[sel, "gh"] * 3  # the hormones CV is up to 2: a tripled mean is ~6 SE off
    c = calibration_vs_paper(bad).set_index(["split", "group", "variable", "statistic"])
    assert c.loc[("train", "iGCT", "gh", "mean"), "flag"]
    assert c.loc[("train", "iGCT", "gh", "mean"), "z"] > 4


def test_table1_bad_input():
    with pytest.raises(TypeError):
        table1([1, 2], split="train")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lacks"):
        table1(pd.DataFrame({"x": [1]}), split="train")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_cohort_figures_counts_come_from_the_manifest(twin1):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gvisage_lib.cohort import figures as cf

    flow = cf.study_flow_counts(twin1).set_index("split")
    assert flow.loc["validation", ["NC", "iGCT", "other", "stage1_n", "stage2_n"]].tolist() == [100, 130, 106, 336, 236]
    fig = cf.plot_study_flow(twin1)
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "130 iGCT vs 106 other" in text and "547 tumours vs 300 NC" in text
    sites = cf.tumour_site_by_institution(twin1)
    v = sites[sites.split == "validation"].groupby("tumor_site", observed=True).n.sum()
    assert v.to_dict() == {"fourth_ventricle": 10, "pineal": 61, "sellar": 59}
    assert len(cf.plot_site_by_institution(twin1).axes) == 3
    types = cf.other_tumour_types(twin1)
    assert types.n.sum() == 189 + 63 + 106
    assert len(cf.plot_other_tumour_types(twin1).axes) == 1
    plt.close("all")
    with pytest.raises(ValueError, match="lacks"):
        cf.study_flow_counts(pd.DataFrame({"group": ["NC"]}))


# ---------------------------------------------------------------------------------------------------------------------
# the paper's layout


@pytest.fixture(scope="module")
def long1(twin1):
    return table1_all_splits(twin1)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_paper_layout_columns_rows_and_sections(twin1, long1):
    t = table1_paper_layout(long1)
    assert t.columns.tolist() == [
        "Variable", "Training: iGCT (n=358)", "Training: Other (n=189)", "Training: P",
        "Testing: iGCT (n=79)", "Testing: Other (n=63)", "Testing: P",
        "Independent validation: iGCT (n=130)", "Independent validation: Other (n=106)", "Independent validation: P"]
    names = t["Variable"].tolist()
    # sections in the paper's order, header rows with empty cells
    sections = ["Demographics", "Symptoms", "Hypothalamic syndrome", "Endocrine hormone levels"]
    assert [n for n in names if n in sections] == sections
    assert (t.loc[t["Variable"].isin(sections)].iloc[:, 1:] == "").all().all()
    # readable names, no snake_case; levels indented under their variable
    assert not any("_" in n for n in names)
    i = names.index("Sex, n (%)")
    assert names[i + 1:i + 3] == ["\xa0\xa0\xa0\xa0Female", "\xa0\xa0\xa0\xa0Male"]
    j = names.index("Primary tumour site, n (%)")
    assert [n.strip() for n in names[j + 1:j + 4]] == ["Sellar", "Pineal", "Fourth ventricle"]
    assert "Growth hormone (GH), ng/dL, mean (SD)" in names
    # every variable of the long table has exactly one row (levels apart)
    assert len(t) == len(sections) + long1.variable.nunique() + 2 + 3


def test_paper_layout_cells_come_from_the_cohort(twin1, long1):
    t = table1_paper_layout(long1).set_index("Variable")
    v = twin1[(twin1.split == "validation")]
    igct, other = v[v.group == "iGCT"], v[v.group == "other"]
    col_i, col_o, col_p = ("Independent validation: iGCT (n=130)", "Independent validation: Other (n=106)",
                           "Independent validation: P")
    # mean (SD)
    assert t.loc["Age (years), mean (SD)", col_i] == f"{igct.age_years.mean():.2f} ({igct.age_years.std():.2f})"
    # n (%) of a symptom
    k = int(other.diabetes_insipidus.sum())
    assert t.loc["Diabetes insipidus, n (%)", col_o] == f"{k} ({100 * k / len(other):.1f})"
    # levels: counts with percentages of the group, summing to the group size
    assert t.loc["\xa0\xa0\xa0\xa0Pineal", col_i] == f"61 ({100 * 61 / 130:.1f})"
    assert t.loc["\xa0\xa0\xa0\xa0Female", col_o] == f"{int((other.sex == 'F').sum())} ({100 * (other.sex == 'F').mean():.1f})"
    # P values in the paper's style, from the long table's tests; on the variable's row only
    lv = long1[long1.split == "validation"].set_index("variable")
    assert t.loc["Sex, n (%)", col_p] == paper.format_p(lv.loc["sex", "p_value"])
    assert t.loc["\xa0\xa0\xa0\xa0Female", col_p] == ""
    p_gh = lv.loc["gh", "p_value"]
    assert t.loc["Growth hormone (GH), ng/dL, mean (SD)", col_p] == paper.format_p(p_gh)
    assert not t[col_p].str.startswith("0").any()


def test_paper_layout_medians(twin1, long1):
    med = table1_paper_layout(long1, continuous="median (IQR)").set_index("Variable")
    x = twin1[(twin1.split == "train") & (twin1.group == "other")].gh.dropna()
    q1, q2, q3 = np.percentile(x, [25, 50, 75])
    assert med.loc["Growth hormone (GH), ng/dL, median (IQR)", "Training: Other (n=189)"] == \
        f"{q2:.2f} ({q1:.2f}–{q3:.2f})"
    # by test: median (IQR) exactly where the Mann-Whitney U test was used
    by = table1_paper_layout(long1, continuous="by test")
    row = by[by["Variable"].str.startswith("Growth hormone")].iloc[0]
    tests = long1[long1.variable == "gh"].set_index("split")["test"]
    for split, label in (("train", "Training"), ("test", "Testing"), ("validation", "Independent validation")):
        cell = row[next(c for c in by.columns if c.startswith(f"{label}: Other"))]
        assert ("–" in cell) == tests[split].startswith("Mann-Whitney")


def test_paper_layout_one_split_and_bad_input(twin1, long1):
    one = table1_paper_layout(table1(twin1, split="test"))
    assert one.columns.tolist() == ["Variable", "Testing: iGCT (n=79)", "Testing: Other (n=63)", "Testing: P"]
    with pytest.raises(TypeError, match="long"):
        table1_paper_layout([1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="continuous"):
        table1_paper_layout(long1, continuous="mode")
    with pytest.raises(ValueError, match="digits"):
        table1_paper_layout(long1, digits=-1)
    with pytest.raises(ValueError, match="'dev'"):
        table1_paper_layout(long1.assign(split="dev"))


@pytest.mark.parametrize(("p", "text"), [(0.0, "<.001"), (0.000999, "<.001"), (0.001, ".001"), (0.0099, ".010"),
                                         (0.01, ".01"), (0.049, ".049"), (0.04999, ".04999"), (0.05, ".05"),
                                         (0.5, ".50"), (0.994, ".99"), (0.996, ">.99"), (1.0, ">.99"),
                                         (float("nan"), "—")])
def test_format_p_apa_style(p, text):
    assert paper.format_p(p) == text


def test_format_p_bad_input():
    with pytest.raises(ValueError, match="1.5"):
        paper.format_p(1.5)
    with pytest.raises(TypeError, match="'x'"):
        paper.format_p("x")
