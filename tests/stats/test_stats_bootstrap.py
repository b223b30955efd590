"""Seeded stratified bootstrap and ROC confidence bands (references: brute-force loops and roc_auc_delong)."""

from __future__ import annotations

import numpy as np
import pytest

from gvisage_lib.stats import (
    batched_auc,
    bootstrap_ci,
    bootstrap_indices,
    roc_auc_delong,
    roc_confidence_band,
    sensitivity_at_specificity,
)


def _data(seed: int = 0, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n // 2, int), np.ones(n - n // 2, int)]
    return y, np.round(y + rng.normal(size=n), 1)


def test_indices_are_stratified_and_seeded() -> None:
    y, _ = _data()
    idx = bootstrap_indices(y, 50, seed=3)
    assert idx.shape == (50, y.size)
    assert (y[idx].sum(axis=1) == y.sum()).all()
    assert np.array_equal(idx, bootstrap_indices(y, 50, seed=3))
    assert not np.array_equal(idx, bootstrap_indices(y, 50, seed=4))


def test_vectorized_equals_loop_and_auc_is_mann_whitney() -> None:
    y, s = _data()
    a = bootstrap_ci(batched_auc, y, s, n_boot=300, seed=1, vectorized=True)
    b = bootstrap_ci(lambda yy, ss: roc_auc_delong(yy, ss).auc, y, s, n_boot=300, seed=1)
    assert np.allclose([a.estimate, a.ci_low, a.ci_high], [b.estimate, b.ci_low, b.ci_high], rtol=0, atol=1e-12)
    r = roc_auc_delong(y, s)
    assert abs(a.estimate - r.auc) < 1e-12
    assert a.n_boot == 300 and a.stratified and list(a.to_frame().columns)[:3] == ["estimate", "ci_low", "ci_high"]
    # The percentile interval is close to DeLong's for a moderate sample.
    assert abs(a.ci_low - r.ci_low) < 0.05 and abs(a.ci_high - r.ci_high) < 0.05


def test_unstratified_drops_single_class_replicates_with_warning() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 0, 1])
    s = np.arange(8.0)
    with pytest.warns(RuntimeWarning, match="not finite"):
        bootstrap_ci(batched_auc, y, s, n_boot=200, seed=0, stratified=False, vectorized=True)


def test_bootstrap_validation() -> None:
    with pytest.raises(ValueError, match="n_boot must be a positive integer, got 0"):
        bootstrap_ci(batched_auc, [0, 1], [1, 2], n_boot=0)
    with pytest.raises(ValueError, match=r"arrays\[0\] has length 1"):
        bootstrap_ci(batched_auc, [0, 1], [1])
    with pytest.raises(ValueError, match="statistic_fn returned 1 values for 10 replicates"):
        bootstrap_ci(lambda y, s: 0.5, [0, 1, 0, 1], [1, 2, 3, 4], n_boot=10, vectorized=True)


def test_sensitivity_at_specificity_brute_force() -> None:
    rng = np.random.default_rng(5)
    cases, controls = rng.integers(0, 20, (7, 13)), rng.integers(0, 20, (7, 11))
    sp = np.linspace(0, 1, 23)
    got = sensitivity_at_specificity(cases, controls, sp)
    thr = np.arange(-1, 22) + 0.5
    for b in range(7):
        se = np.array([np.mean(cases[b] > t) for t in thr])
        spe = np.array([np.mean(controls[b] < t) for t in thr])
        want = [se[spe >= v - 1e-12].max() for v in sp]
        np.testing.assert_allclose(got[b], want)


def test_roc_band_is_seeded_and_brackets_the_curve() -> None:
    y, s = _data(2, 200)
    b1 = roc_confidence_band(y, s, n_boot=300, seed=7)
    b2 = roc_confidence_band(y, s, n_boot=300, seed=7)
    assert b1.equals(b2)
    assert (b1.se_low <= b1.se_high).all() and len(b1) == 101
    assert (b1.se_low <= b1.sensitivity + 1e-12).mean() > 0.95 and (b1.sensitivity <= b1.se_high + 1e-12).mean() > 0.95
    with pytest.raises(ValueError, match="specificities must be"):
        roc_confidence_band(y, s, specificities=[1.5])


def test_auc_by_counting_ranks_equals_batched_auc_bit_for_bit() -> None:
    """The fast path of bootstraps (dense ranks, counted) gives batched_auc's AUCs exactly, ties and all."""
    from gvisage_lib.stats import batched_auc_ranks, bootstrap_indices, dense_ranks

    rng = np.random.default_rng(3)
    for n, decimals in ((60, 1), (237, 6), (500, 0)):
        y = (rng.random(n) < 0.45).astype(int)
        s = np.round(rng.normal(size=n) + y, decimals)  # few decimals: many ties
        r, k = dense_ranks(s)
        idx = bootstrap_indices(y, n_boot=300, seed=n)
        assert np.array_equal(batched_auc_ranks(y[idx], r[idx], k), batched_auc(y[idx], s[idx]))
        assert batched_auc_ranks(y, r) == batched_auc(y, s)
    with pytest.raises(TypeError, match="ranks must be integers"):
        batched_auc_ranks([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match=r"ranks must lie in \[0, 2\)"):
        batched_auc_ranks([0, 1], [0, 2], n_levels=2)
