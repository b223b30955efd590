"""The twin's ceilings: what a model reading the true phenotype intensities reaches, per stage."""

from __future__ import annotations

import pandas as pd
import pytest

from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces.signal_check import CEILING_COLUMNS, phenotype_ceiling, twin_ceilings
from gvisage_lib.twin import generate_tabular
from gvisage_lib.twin.phenotype import phenotype_from_truth


@pytest.fixture(scope="module")
def truth_with_phenotype() -> pd.DataFrame:
    _, truth = generate_tabular(seed=20250130, scale=1.0)
    return truth.merge(phenotype_from_truth(truth, seed=20250130), on="subject_id")


def test_ceilings_are_in_the_papers_regime(truth_with_phenotype: pd.DataFrame) -> None:
    res = phenotype_ceiling(truth_with_phenotype, seed=20250130).set_index("stage")
    # stage 1: the faces of tumour patients differ clearly from controls' (paper: 0.938 on validation)
    assert res.loc[1, "auc_pooled"] >= 0.97
    # stage 2: room above the paper's 0.739, but far from perfect
    assert 0.80 <= res.loc[2, "auc_pooled"] <= 0.90
    assert res.loc[2, "n"] == (truth_with_phenotype.group != "NC").sum()


def test_ceiling_needs_the_phenotype(truth_with_phenotype: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="phen_pallor"):
        phenotype_ceiling(truth_with_phenotype.drop(columns="phen_pallor"))


def test_ceiling_table_beside_image_statistics_and_paper(tmp_path, truth_with_phenotype: pd.DataFrame) -> None:
    run = RunPaths(tmp_path)
    run.cohort.mkdir()
    truth_with_phenotype.to_csv(run.truth, index=False)
    pd.DataFrame({"subject_id": truth_with_phenotype.subject_id, "included": True}).to_parquet(run.faces_index)
    signal = pd.DataFrame({"stage": [1, 2], "auc_pooled": [0.9, 0.7]})
    out = twin_ceilings(signal, run)
    assert list(out.columns) == list(CEILING_COLUMNS)
    assert out.set_index("stage")["paper_validation_auc"].to_dict() == {1: 0.938, 2: 0.739}
    assert out.set_index("stage")["image_statistics_auc"].to_dict() == {1: 0.9, 2: 0.7}
    # a user's cohort: no truth, no ceiling
    assert twin_ceilings(signal, RunPaths(tmp_path / "own_cohort")).empty
