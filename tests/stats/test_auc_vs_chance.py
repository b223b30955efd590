"""The test of an AUC against 0.5 (the paper's stage-1 "AUC 0.938 (P<.01)") against independent references.

* DeLong z-test: the variance is pROC 1.18.0's ``var(roc, method = "delong")`` committed in
  ``tests/data/proc_delong.json`` (``tests/r/proc_reference.R``, R 4.2.2); z = (AUC - 0.5) / sqrt(var), two-sided.
* Mann-Whitney: SciPy's ``scipy.stats.mannwhitneyu(cases, controls, method="asymptotic", use_continuity=True)``
  (SciPy >= 1.7), which is R's ``wilcox.test(cases, controls, exact = FALSE, correct = TRUE)``: tie-corrected normal
  approximation with continuity correction.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from gvisage_lib.stats.chance import auc_vs_chance

DATA = json.loads((Path(__file__).resolve().parents[1] / "data" / "proc_delong.json").read_text(encoding="utf-8"))


def _cases():
    for row in DATA["single"]:
        if row["level"] != 0.95 or row["variance"] in ("NA", "Inf") or not row["variance"]:
            continue
        d = DATA["data"][row["dataset"]]
        y = np.asarray(d["y"], float)
        if y.sum() < 2 or (1 - y).sum() < 2:
            continue
        yield pytest.param(y, np.asarray(d[row["score"]], float), row, id=f"{row['dataset']}-{row['score']}")


@pytest.mark.parametrize(("y", "s", "ref"), list(_cases()))
def test_delong_z_uses_proc_variance(y, s, ref):
    r = auc_vs_chance(y, s)
    assert r.auc == pytest.approx(ref["auc"], abs=1e-12)
    var = float(ref["variance"])
    if var > 0:
        z = (ref["auc"] - 0.5) / math.sqrt(var)
        assert r.z_delong == pytest.approx(z, rel=1e-9)
        assert r.p_delong == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("y", "s", "ref"), list(_cases()))
def test_mann_whitney_equals_scipy(y, s, ref):
    r = auc_vs_chance(y, s)
    ref_mw = stats.mannwhitneyu(s[y == 1], s[y == 0], method="asymptotic", use_continuity=True)
    assert r.u == pytest.approx(float(ref_mw.statistic))
    assert r.p_mann_whitney == pytest.approx(float(ref_mw.pvalue), rel=1e-9)
    assert r.u / (r.n_pos * r.n_neg) == pytest.approx(r.auc, abs=1e-12)


def test_a_strong_score_is_significant_and_noise_is_not():
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], 100)
    strong = auc_vs_chance(y, y * 2.0 + rng.normal(size=200))
    noise = auc_vs_chance(y, rng.normal(size=200))
    assert strong.p_delong < 1e-10 and strong.p_mann_whitney < 1e-10
    assert noise.p_delong > 0.01 and noise.p_mann_whitney > 0.01


def test_below_half_is_two_sided():
    r = auc_vs_chance([1, 1, 1, 0, 0, 0, 1, 0], [0.1, 0.2, 0.6, 0.7, 0.8, 0.9, 0.4, 0.5])
    assert r.auc < 0.5 and r.z_delong < 0 and r.z_mann_whitney < 0


def test_perfect_separation_has_no_delong_p():
    r = auc_vs_chance([0, 0, 0, 1, 1, 1], [1, 2, 3, 4, 5, 6])
    assert r.auc == 1.0 and math.isnan(r.p_delong) and r.p_mann_whitney < 0.1


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="y_true"):
        auc_vs_chance([1, 1], [0.2, 0.3])
