"""Pooled demographics of a cohort beside the paper's Results and its Table 1."""

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.cohort.demographics import cohort_pooled_demographics, pooled_demographics_table


def test_cohort_pooled_demographics_by_hand():
    m = pd.DataFrame({"group": ["NC", "NC", "NC", "iGCT", "other", "other"],
                      "sex": ["M", "F", "F", "M", "F", "M"],
                      "age_years": [10.0, 12.0, np.nan, 15.0, 9.0, 11.0],
                      "split": ["train", "test", "validation", "train", "train", "test"]})
    d = cohort_pooled_demographics(m).set_index("group")
    assert d.index.tolist() == ["NC", "iGCT", "other"]
    assert d.loc["NC", ["n", "male", "female"]].tolist() == [3, 1, 2]
    assert d.loc["NC", "age_mean"] == 11.0 and d.loc["NC", "age_sd"] == pytest.approx(np.sqrt(2))
    assert np.isnan(d.loc["iGCT", "age_sd"])
    with pytest.raises(ValueError, match="age_years"):
        cohort_pooled_demographics(m.drop(columns="age_years"))


def test_table_sets_paper_and_cohort_side_by_side(tiny_cohort):
    from gvisage_lib.cohort import load_manifest

    manifest = load_manifest(tiny_cohort / "manifest.csv" if tiny_cohort.is_dir() else tiny_cohort)
    t = pooled_demographics_table(manifest)
    assert list(t.columns) == ["group", "quantity", "paper_results", "paper_table1", "paper_consistent", "cohort",
                               "note"]
    assert len(t) == 15
    igct = t.set_index(["group", "quantity"]).loc[("iGCT", "n")]
    assert igct["paper_results"] == 567 and igct["cohort"] == (manifest["group"] == "iGCT").sum()
