"""A separated or near-separated data set gives no RuntimeWarning (no "overflow encountered in exp") in the stage-2
models' fitting, optimism bootstrap, calibration and decision curves."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical.calibration import calibration_summary, calibration_table, decision_curves
from gvisage_lib.clinical.hybrid import fit_models
from gvisage_lib.clinical.logistic import fit_logistic
from gvisage_lib.clinical.optimism import optimism_bootstrap


def _separated_scores() -> pd.DataFrame:
    """Predicted probabilities that separate the outcome, out to 1e-9 and 1 - 1e-9 (logit about 20)."""
    p = np.r_[np.linspace(1e-9, 0.49, 15), np.linspace(0.51, 1 - 1e-9, 15)]
    return pd.DataFrame({"model": "m", "split": "validation", "label": [0] * 15 + [1] * 15, "score": p})


def _near_separated_frame(n: int = 80, seed: int = 3) -> pd.DataFrame:
    """A binary predictor that is 1 only for iGCTs (quasi-separation) and a CNN score that nearly separates."""
    rng = np.random.default_rng(seed)
    label = np.r_[np.zeros(n // 2, dtype=int), np.ones(n // 2, dtype=int)]
    sign = np.where(label == 1, rng.random(n) < 0.3, 0).astype(int)
    score = np.clip(np.where(label == 1, 0.9, 0.1) + rng.normal(0, 0.08, n), 1e-9, 1 - 1e-9)
    return pd.DataFrame({"subject_id": [f"s{i}" for i in range(n)], "split": "train", "label": label,
                         "sign": sign, "tsh": rng.normal(size=n) + label, "score": score})


@pytest.fixture()
def runtime_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def test_calibration_of_separating_predictions_gives_no_overflow(runtime_warnings_are_errors) -> None:
    sc = _separated_scores()
    s = calibration_summary(sc.label, sc.score)
    assert s.slope > 10  # no finite ML slope: the diverging estimate, reported as before
    assert len(calibration_table(sc)) == 1
    curves = decision_curves(sc, split="validation")
    assert np.isfinite(curves.select_dtypes("number").to_numpy()).all()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_near_separated_fits_and_optimism_give_no_runtime_warning(runtime_warnings_are_errors) -> None:
    df = _near_separated_frame()
    fit = fit_logistic(df, "label", ["sign", "tsh"], method="firth")
    assert np.isfinite(fit.predict(df)).all()
    fits = fit_models(df, ["sign", "tsh"], method="auto")
    assert len(fits.coefficient_table()) > 0
    opt = optimism_bootstrap(df, "label", ["sign", "tsh"], n_boot=20, seed=1, method="auto")
    assert set(opt.statistic) == {"auc", "calibration_slope"}


def test_the_check_itself_catches_an_overflow() -> None:
    # the guard above is live: an unguarded overflow in exp is an error under it
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning, match="overflow"):
            np.exp(np.array([1000.0]))
