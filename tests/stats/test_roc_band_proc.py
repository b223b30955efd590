"""roc_confidence_band is pROC's ci.se given the same resamples; roc_confidence_band_step is the step band.

Reference: tests/data/proc_ci_se.json, from tests/r/proc_ci_se_reference.R (R, pROC 1.18.0 ``ci.se``).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from gvisage_lib.stats import (
    interpolated_sensitivity,
    roc_confidence_band,
    roc_confidence_band_step,
    sensitivity_at_specificity,
)

REF = json.loads((Path(__file__).resolve().parents[1] / "data" / "proc_ci_se.json").read_text())


@pytest.mark.parametrize("case", ["continuous", "ordinal_ties", "default_grid"])
def test_band_equals_proc_ci_se(case):
    r = REF[case]
    band = roc_confidence_band(r["y"], r["s"], specificities=r["specificities"], level=r["conf_level"],
                               indices=np.asarray(r["indices"], dtype=np.int64))
    for col in ("se_low", "se_median", "se_high"):
        np.testing.assert_allclose(band[col], r[col], rtol=0, atol=1e-12, err_msg=f"{case} {col}")


def test_step_band_differs_where_the_curve_is_diagonal():
    r = REF["ordinal_ties"]  # ratings: ties between cases and controls make diagonal segments
    idx = np.asarray(r["indices"], dtype=np.int64)
    lin = roc_confidence_band(r["y"], r["s"], specificities=r["specificities"], indices=idx)
    step = roc_confidence_band_step(r["y"], r["s"], specificities=r["specificities"], indices=idx)
    assert (step["se_median"] <= lin["se_median"] + 1e-12).all()
    assert (step["se_high"] - lin["se_high"]).abs().max() > 0.01  # not the same quantity


def test_interpolated_sensitivity_brute_force():
    rng = np.random.default_rng(4)
    for _ in range(30):
        cases = rng.integers(0, 6, size=(1, int(rng.integers(1, 9))))
        controls = rng.integers(0, 6, size=(1, int(rng.integers(1, 9))))
        sp = np.r_[0.0, rng.random(6), 1.0]
        got = interpolated_sensitivity(cases, controls, sp, n_levels=6)[0]
        # the ROC polygon through (sp, se) at every threshold, read off at each specificity
        pts = [(0.0, 1.0)] + [((controls <= t).mean(), (cases > t).mean()) for t in range(6)]
        for x, g in zip(sp, got):
            same = [se for s_, se in pts if s_ == x]
            if same:
                assert g == pytest.approx(max(same))
            else:
                (s0, e0) = [p for p in pts if p[0] < x][-1]
                (s1, e1) = [p for p in pts if p[0] > x][0]
                assert g == pytest.approx(e0 + (x - s0) / (s1 - s0) * (e1 - e0))
        step = sensitivity_at_specificity(cases, controls, sp)[0]
        assert (step <= got + 1e-12).all()


def test_band_rejects_resamples_without_the_cases_first():
    y = np.r_[np.zeros(5, int), np.ones(5, int)]
    s = np.arange(10.0)
    with pytest.raises(ValueError, match="cases first"):
        roc_confidence_band(y, s, indices=np.tile(np.arange(10), (3, 1)))
