"""The clinical models' imputation is stated: how many values of each variable were imputed in each split, with the
fill value and the split it was learned on (notebook 05's ``stage2_imputed_values``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical.hybrid import fit_models
from gvisage_lib.clinical.logistic import IMPUTATION_COLUMNS, design_matrix, fit_design, imputation_counts


def _frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    df = pd.DataFrame({"subject_id": [f"s{i}" for i in range(n)],
                       "split": np.repeat(["train", "test", "validation"], [240, 80, 80]),
                       "label": rng.integers(0, 2, n)})
    df["tsh"] = np.exp(df.label * 0.5 + rng.normal(size=n))
    df["gh"] = np.exp(-df.label * 0.5 + rng.normal(size=n))
    df["diabetes_insipidus"] = (rng.random(n) < 0.2 + 0.3 * df.label).astype(float)
    df["score"] = 1 / (1 + np.exp(-(df.label - 0.5 + rng.normal(size=n))))
    for col, share in (("tsh", 0.15), ("gh", 0.3), ("diabetes_insipidus", 0.05)):
        df.loc[rng.random(n) < share, col] = np.nan
    return df


def test_counts_and_fill_values_match_an_independent_count():
    df = _frame()
    variables = ["tsh", "gh", "diabetes_insipidus"]
    spec = fit_design(df[df.split == "train"], variables)
    table = imputation_counts(df, spec)
    assert list(table.columns) == list(IMPUTATION_COLUMNS)
    # reference: pandas' own missing-value count per split, NumPy's median / the commonest value of the training rows
    want = df.groupby("split", sort=False)[variables].apply(lambda g: g.isna().sum())
    got = table.pivot(index="split", columns="variable", values="n_imputed").loc[want.index, variables]
    assert (got.to_numpy() == want.to_numpy()).all() and got.to_numpy().sum() > 0
    train = df[df.split == "train"]
    fill = table.drop_duplicates("variable").set_index("variable")
    assert fill.loc["tsh", "fill"] == pytest.approx(np.nanmedian(train.tsh))
    assert fill.loc["gh", "fill"] == pytest.approx(np.nanmedian(train.gh))
    assert fill.loc["diabetes_insipidus", "fill"] == train.diabetes_insipidus.value_counts().idxmax()
    assert fill.rule.tolist() == ["median", "median", "mode"] and (table.fitted_on == "train").all()
    sizes = df.groupby("split").size()
    assert (table.n == table.split.map(sizes)).all()
    assert np.allclose(table.pct_imputed, 100 * table.n_imputed / table.n)
    # the count is what design_matrix does: every counted cell, and only those, takes the fill value
    x = design_matrix(df, spec, constant=False)
    for v in variables:
        replaced = df[v].isna() & (x[v] == spec.fill[v])
        assert int(replaced.sum()) == int(table.loc[table.variable == v, "n_imputed"].sum())


def test_models_table_states_where_each_fill_value_was_learned():
    df = _frame(1)
    fits = fit_models(df, ["tsh", "gh"], hybrid_split="test")
    table = fits.imputation_table(df)
    assert set(table.model) == {"Logistic regression", "Hybrid model"}
    assert "cnn_logit" not in set(table.variable)  # the CNN term is never missing
    clin = table[table.model == "Logistic regression"].set_index(["variable", "split"])
    hyb = table[table.model == "Hybrid model"].set_index(["variable", "split"])
    assert (clin.fitted_on == "train").all() and (hyb.fitted_on == "test").all()
    assert (clin.n_imputed == hyb.n_imputed).all()  # the same cells, filled with each model's own value
    assert hyb.loc[("tsh", "train"), "fill"] == pytest.approx(np.nanmedian(df.loc[df.split == "test", "tsh"]))


@pytest.mark.slow
def test_notebook_05_writes_the_imputation_table(smoke_run: Path):
    table = pd.read_csv(smoke_run / "tables" / "stage2_imputed_values.csv")
    if "skipped" in table.columns:
        pytest.fail(f"the smoke run skipped the clinical models: {table.reason.iloc[0]}")
    assert {"tsh", "gh"} <= set(table.variable)
    assert set(table.split) == {"train", "test", "validation"}
    assert (table.n_imputed >= 0).all() and (table.n_imputed <= table.n).all()
