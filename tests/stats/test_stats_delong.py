"""Fast DeLong (gvisage_lib.stats.delong) against R pROC 1.18.0.

Reference values: tests/data/proc_delong.json, written by tests/r/proc_reference.R with R 4.2.2 and pROC 1.18.0
(calls listed at the top of that script: roc(y, s, levels=c(0,1), direction="<"), var(r, method="delong"),
ci.auc(r, method="delong"), cov(r1, r2, method="delong"), roc.test(..., method="delong", paired=TRUE/FALSE)).
Other references: scipy.stats.mannwhitneyu (AUC = U / (m n)) and a naive O(m n) DeLong written here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from gvisage_lib.stats import (
    delong_auc_covariance,
    delong_test,
    delong_test_unpaired,
    midrank,
    roc_auc_delong,
)

REF = json.loads((Path(__file__).parents[1] / "data" / "proc_delong.json").read_text())
DATA = REF["data"]
TOL = 1e-9
ALT = {"two.sided": "two-sided", "greater": "greater", "less": "less"}


def _close(ours: float, ref: float | str | None, tol: float = TOL) -> bool:
    """|ours - ref| <= tol; R's NA/NaN (JSON "NA"/"NaN") must be NaN here, "Inf"/"-Inf" must be equal."""
    if ref is None or ref in ("NA", "NaN"):
        return math.isnan(ours)
    ref = float(ref)
    if math.isinf(ref) or math.isinf(ours):
        return ours == ref
    return abs(ours - ref) <= tol


def test_reference_metadata() -> None:
    assert REF["meta"]["proc_version"] == "1.18.0"
    assert len(REF["single"]) >= 50 and len(REF["paired"]) >= 150 and len(REF["unpaired"]) >= 30


@pytest.mark.parametrize("case", REF["single"], ids=lambda c: f"{c['dataset']}-{c['score']}-{c['level']}")
def test_auc_variance_ci_match_proc(case: dict) -> None:
    d = DATA[case["dataset"]]
    r = roc_auc_delong(d["y"], d[case["score"]], level=case["level"])
    assert _close(r.auc, case["auc"])
    assert _close(r.variance, case["variance"])
    assert _close(r.ci_low, case["ci_low"])
    assert _close(r.ci_high, case["ci_high"])


@pytest.mark.parametrize("case", REF["paired"],
                         ids=lambda c: f"{c['dataset']}-{c['score_a']}{c['score_b']}-{c['alternative']}-{c['level']}")
def test_paired_delong_matches_proc(case: dict) -> None:
    d = DATA[case["dataset"]]
    r = delong_test(d["y"], d[case["score_a"]], d[case["score_b"]], alternative=ALT[case["alternative"]],
                    level=case["level"])
    assert _close(r.auc_a, case["auc_a"]) and _close(r.auc_b, case["auc_b"])
    assert _close(r.covariance, case["covariance"])
    assert _close(r.z, case["z"])
    assert _close(r.p_value, case["p_value"])
    assert _close(r.diff_ci_low, case["diff_ci_low"]) and _close(r.diff_ci_high, case["diff_ci_high"])


@pytest.mark.parametrize("case", REF["unpaired"],
                         ids=lambda c: f"{c['dataset_a']}-{c['dataset_b']}-{c['score']}-{c['alternative']}")
def test_unpaired_delong_matches_proc(case: dict) -> None:
    a, b = DATA[case["dataset_a"]], DATA[case["dataset_b"]]
    s = case["score"]
    r = delong_test_unpaired(a["y"], a[s], b["y"], b[s], alternative=ALT[case["alternative"]])
    assert _close(r.auc_a, case["auc_a"]) and _close(r.auc_b, case["auc_b"])
    assert _close(r.statistic, case["statistic"])
    assert _close(r.df, case["df"], tol=1e-9 * max(1.0, abs(case["df"])))
    assert _close(r.p_value, case["p_value"])


def test_identical_scores_give_z0_p1() -> None:
    d = DATA["identical"]
    r = delong_test(d["y"], d["a"], d["b"])
    assert (r.z, r.p_value) == (0.0, 1.0)
    assert r.diff_ci_low == r.diff_ci_high == 0.0


def test_perfect_vs_constant_is_infinite_z_as_proc() -> None:
    d = DATA["perfect_pair"]
    r = delong_test(d["y"], d["a"], d["c"])
    assert r.auc_a == 1.0 and r.auc_b == 0.5 and r.z == math.inf and r.p_value == 0.0


def _naive(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Textbook DeLong (1988) with the O(m n) kernel psi(x, y) = 1{x > y} + 1/2 1{x = y}."""
    x, z = scores[:, y == 1], scores[:, y == 0]
    psi = (x[:, :, None] > z[:, None, :]) + 0.5 * (x[:, :, None] == z[:, None, :])
    auc = psi.mean(axis=(1, 2))
    v10, v01 = psi.mean(axis=2), psi.mean(axis=1)
    m, n = x.shape[1], z.shape[1]
    return auc, np.cov(v10) / m + np.cov(v01) / n


@pytest.mark.parametrize("seed", range(5))
def test_fast_equals_naive_and_mann_whitney(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    s = np.round(y * rng.uniform(0, 2) + rng.normal(size=(3, n)), int(rng.integers(0, 3)))
    auc, cov = delong_auc_covariance(y, s)
    auc_n, cov_n = _naive(y, s)
    np.testing.assert_allclose(auc, auc_n, rtol=0, atol=1e-12)
    np.testing.assert_allclose(cov, cov_n, rtol=0, atol=1e-12)
    for k in range(3):
        u = sps.mannwhitneyu(s[k, y == 1], s[k, y == 0]).statistic
        assert abs(auc[k] - u / ((y == 1).sum() * (y == 0).sum())) < 1e-12


def test_midrank_equals_scipy_rankdata() -> None:
    rng = np.random.default_rng(1)
    x = np.round(rng.normal(size=(4, 500)), 1)
    np.testing.assert_array_equal(midrank(x), sps.rankdata(x, axis=1))
    np.testing.assert_array_equal(midrank(x[0]), sps.rankdata(x[0]))


def test_order_and_bool_labels_do_not_matter() -> None:
    d = DATA["normal_40_60"]
    y, a = np.asarray(d["y"]), np.asarray(d["a"])
    perm = np.random.default_rng(0).permutation(y.size)
    r1, r2 = roc_auc_delong(y, a), roc_auc_delong(y[perm].astype(bool), a[perm])
    assert abs(r1.auc - r2.auc) < 1e-15 and abs(r1.variance - r2.variance) < 1e-15


def test_below_half_is_not_flipped() -> None:
    d = DATA["below_half"]
    assert roc_auc_delong(d["y"], d["a"]).auc < 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y_true": [0, 1, 1], "score": [0.1, 0.2]}, "score has length 2 but y_true has length 3"),
        ({"y_true": [0, 1, 1], "score": [0.1, np.nan, 0.3]}, "score must be finite; found nan at index 1"),
        ({"y_true": [1, 1, 1], "score": [0.1, 0.2, 0.3]}, "y_true must contain both classes"),
        ({"y_true": [0, 2, 1], "score": [0.1, 0.2, 0.3]}, "found value 2 at index 1"),
        ({"y_true": [0, np.nan, 1], "score": [0.1, 0.2, 0.3]}, "y_true contains NaN"),
        ({"y_true": ["a", "b", "a"], "score": [0.1, 0.2, 0.3]}, "y_true must hold binary labels"),
        ({"y_true": [0, 1, 1], "score": [0.1, 0.2, 0.3], "level": 1.5}, "level must be in"),
    ],
)
def test_roc_auc_delong_validates(kwargs: dict, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        roc_auc_delong(**kwargs)


def test_delong_test_validates() -> None:
    with pytest.raises(ValueError, match="score_b has length 2"):
        delong_test([0, 1, 1], [1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="alternative must be one of"):
        delong_test([0, 1, 1], [1, 2, 3], [1, 2, 3], alternative="two.sided")
    with pytest.raises(ValueError, match="y_b must contain both classes"):
        delong_test_unpaired([0, 1], [1, 2], [1, 1], [1, 2])


def test_results_print_and_convert() -> None:
    d = DATA["tiny_3_2"]
    r = delong_test(d["y"], d["a"], d["b"])
    df = r.to_frame()
    assert {"auc_a", "auc_b", "z", "p_value", "diff_ci_low", "diff_ci_high"} <= set(df.columns)
    assert "covariance_matrix" not in df.columns
    assert "p_value" in str(r) and "<table" in r._repr_html_()
