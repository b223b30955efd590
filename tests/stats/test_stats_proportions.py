"""Exact (Clopper-Pearson) and Wilson intervals against R.

Reference values: tests/data/proc_binom.json, written by tests/r/proc_reference.R with R 4.2.2:
``binom.test(k, n, conf.level=L)$conf.int`` and ``prop.test(k, n, conf.level=L, correct=FALSE)$conf.int``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gvisage_lib.stats import proportion_ci

REF = json.loads((Path(__file__).parents[1] / "data" / "proc_binom.json").read_text())["binom"]


@pytest.mark.parametrize("case", REF, ids=lambda c: f"{c['k']}/{c['n']}@{c['level']}")
def test_exact_and_wilson_match_r(case: dict) -> None:
    lo, hi = proportion_ci(case["k"], case["n"], level=case["level"])
    assert abs(lo - case["exact_low"]) <= 1e-10 and abs(hi - case["exact_high"]) <= 1e-10
    lo, hi = proportion_ci(case["k"], case["n"], level=case["level"], method="wilson")
    assert abs(lo - case["wilson_low"]) <= 1e-10 and abs(hi - case["wilson_high"]) <= 1e-10


def test_reference_covers_edges() -> None:
    assert any(c["k"] == 0 for c in REF) and any(c["k"] == c["n"] for c in REF) and any(c["n"] == 1 for c in REF)


def test_vectorised_equals_scalar() -> None:
    k, n = np.array([0, 3, 10]), np.array([10, 10, 10])
    lo, hi = proportion_ci(k, n)
    for i in range(3):
        assert (lo[i], hi[i]) == proportion_ci(int(k[i]), int(n[i]))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((11, 10), {}, "k must satisfy 0 <= k <= n, got k=11 with n=10"),
        ((-1, 10), {}, "k must satisfy"),
        ((1, 0), {}, "n must be >= 1, got 0"),
        ((1.5, 10), {}, "k must be a whole number, got 1.5"),
        ((1, 10), {"method": "wald"}, "method must be one of"),
        ((1, 10), {"level": 0}, "level must be in"),
    ],
)
def test_validation(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        proportion_ci(*args, **kwargs)
