"""Notebook 07's conclusions follow the run's rates and Monte-Carlo CIs (gvisage_lib.simulation.conclusions)."""

from __future__ import annotations

import pandas as pd

from gvisage_lib.simulation.conclusions import conclusions, rate_verdict
from gvisage_lib.simulation.scenarios import BETTER, DELONG_VALIDATION, LRT_TRAIN, STRATA_TESTS


def _row(test: str, rate: float, lo: float, hi: float, nominal: float, scenario: str = "null", n: int = 100):
    return {"test": test, "scenario": scenario, "nominal": nominal, "rejection_rate": rate, "ci_low": lo,
            "ci_high": hi, "n_replicates": n}


def test_the_issue_example_is_cannot_tell() -> None:
    """Coverage .910 with Monte-Carlo CI .836-.958 holds .95: the rate cannot be told apart from it."""
    assert rate_verdict(0.910, 0.836, 0.958, 0.95, n=100, kind="coverage").startswith("cannot tell")
    assert rate_verdict(0.040, 0.011, 0.099, 0.05, n=100).startswith("cannot tell")


def test_the_claim_sentence_follows_the_rate() -> None:
    def text(rate, lo, hi):
        t1 = pd.DataFrame([_row(DELONG_VALIDATION + BETTER, rate, lo, hi, 0.025),
                           _row(LRT_TRAIN, 0.05, 0.02, 0.1, 0.05)])
        return conclusions({"simulation_type1_nested": t1})

    assert "not an artefact of the test" in text(0.002, 0.0001, 0.011)
    assert "can arise from a score without information" in text(0.09, 0.05, 0.15)
    assert "cannot tell whether DeLong's test" in text(0.02, 0.005, 0.07)


def test_strata_power_against_the_null() -> None:
    friedman = STRATA_TESTS[0]
    null = pd.DataFrame([_row(friedman, 0.3, 0.21, 0.4, 0.05)])
    apart = pd.DataFrame([_row(friedman, 0.8, 0.71, 0.87, 0.05, scenario="HPT strata: AUC paper")])
    same = pd.DataFrame([_row(friedman, 0.35, 0.26, 0.45, 0.05, scenario="HPT strata: AUC paper")])
    assert "carries some evidence" in conclusions({"simulation_type1_strata": null, "simulation_power": apart})
    assert "nothing here shows" in conclusions({"simulation_type1_strata": null, "simulation_power": same})


def test_every_number_is_the_tables() -> None:
    cov = pd.DataFrame([_row("DeLong CI of the AUC, validation split", 0.913, 0.842, 0.959, 0.95, n=100)])
    text = conclusions({"simulation_coverage": cov})
    assert "100 replicates" in text and "91.3%" in text and "84.2% to 95.9%" in text
