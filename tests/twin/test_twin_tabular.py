"""Synthetic twin, tabular part: sizes, determinism, planted structure, contract of manifest and truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gvisage_lib.core import schema
from gvisage_lib.paper import table1 as paper_table1
from gvisage_lib.twin import TRUTH_COLUMNS, generate_tabular, planted_endocrine_loadings, synthesize
from gvisage_lib.twin.parameters import group_sizes
from gvisage_lib.twin.tabular import factor_loadings


@pytest.fixture(scope="module")
def twin():
    return generate_tabular(seed=20250130, scale=1.0)


@pytest.fixture(scope="module")
def big_twin():
    return generate_tabular(seed=5, scale=4.0)


def test_group_sizes_follow_design(twin):
    m, _ = twin
    got = m.groupby(["split", "group"]).size()
    expected = {("train", "iGCT"): 358, ("train", "other"): 189, ("train", "NC"): 300,
                ("test", "iGCT"): 79, ("test", "other"): 63, ("test", "NC"): 70,
                ("validation", "iGCT"): 130, ("validation", "other"): 106, ("validation", "NC"): 100}
    assert got.to_dict() == expected


def test_small_scale_keeps_every_class():
    m, _ = generate_tabular(seed=1, scale=0.01)
    assert (m.groupby(["split", "group"]).size() >= 2).all()
    assert len(m.groupby(["split", "group"])) == 9
    with pytest.raises(ValueError, match="scale"):
        group_sizes(0)
    with pytest.raises(TypeError, match="seed"):
        generate_tabular(seed="1")  # type: ignore[arg-type]


def test_manifest_contract(twin):
    m, t = twin
    assert list(m.columns) == list(schema.MANIFEST_COLUMNS)
    assert list(t.columns) == list(TRUTH_COLUMNS)
    assert m.subject_id.is_unique and m.subject_id.str.fullmatch(r"GV\d{4}").all()
    assert (m.subject_id == t.subject_id).all()
    assert (m[list(schema.PHOTO_COLUMNS)] == "").all().all()
    nc = m.group == "NC"
    assert m.loc[nc, list(schema.TUMOUR_COLUMNS)].isna().all().all()
    assert m.loc[~nc, list(schema.TUMOUR_COLUMNS)].notna().all().all()
    assert set(m.loc[nc, "site"]) == {"WYLF"}
    assert set(m.loc[~nc & (m.split != "validation"), "site"]) == {"Tiantan", "Puren"}
    assert set(m.loc[~nc & (m.split == "validation"), "site"]) == {"Tiantan", "Puren", "Shijian", "Sanbo"}
    assert (m.loc[~nc, list(schema.ENDOCRINE_COLUMNS)] > 0).all().all()
    assert set(np.unique(m.loc[~nc, list(schema.SYMPTOM_COLUMNS)].to_numpy())) == {0.0, 1.0}
    # tumour types consistent with the site
    ig = m[m.group == "iGCT"]
    assert set(ig.tumor_type) == {"germinoma", "NGGCT"}
    oth = m[m.group == "other"]
    assert set(oth.loc[oth.tumor_site == "fourth_ventricle", "tumor_type"]) <= {"medulloblastoma", "ependymoma"}
    assert set(oth.loc[oth.tumor_site == "sellar", "tumor_type"]) <= {"craniopharyngioma", "pituitary adenoma", "glioma"}


def test_truth_contract(twin):
    m, t = twin
    nc = t.group == "NC"
    assert (t.loc[nc, "hpt_damage"] == "none").all()
    assert (t.loc[~nc, "hpt_damage"] == m.loc[~nc, "hpt_damage"]).all()
    axes = ["axis_thyroid", "axis_gh", "axis_adrenal", "axis_gonadal", "endocrine_damage"]
    assert t[axes].ge(0).all().all() and t[axes].le(1).all().all()
    assert (t.loc[nc, axes] == 0).all().all()
    for c in ("intracranial_hypertension", "vision_change", "growth_retardation"):
        assert (t[c] == m[c].fillna(0)).all()
    hcg = t.hcg_precocious_puberty == 1
    assert ((t.group == "iGCT") & (t.sex == "M"))[hcg].all()
    boys = t[(t.group == "iGCT") & (t.sex == "M")]
    assert 0.3 < boys.hcg_precocious_puberty.mean() < 0.5
    # younger boys more often
    assert boys.loc[boys.hcg_precocious_puberty == 1, "age_years"].mean() < boys.loc[
        boys.hcg_precocious_puberty == 0, "age_years"].mean()


def test_hpt_strata_of_validation_igcts_are_the_papers(twin):
    m, _ = twin
    v = m[(m.split == "validation") & (m.group == "iGCT")].hpt_damage.value_counts()
    assert v.to_dict() == {"complete": 37, "incomplete": 54, "none": 39}


def test_damage_ordering(twin):
    _, t = twin
    tum = t[t.group != "NC"]
    means = tum.groupby("hpt_damage").endocrine_damage.mean()
    assert means["complete"] > means["incomplete"] > means["none"]
    for ax in ("axis_thyroid", "axis_gh", "axis_adrenal", "axis_gonadal"):
        mm = tum.groupby("hpt_damage")[ax].mean()
        assert mm["complete"] > mm["incomplete"] > mm["none"]
    # iGCTs more damaged than other tumours on average
    assert tum[tum.group == "iGCT"].endocrine_damage.mean() > tum[tum.group == "other"].endocrine_damage.mean()


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_planted_endocrine_signs_recovered(big_twin):
    m, t = big_twin
    loadings = planted_endocrine_loadings()
    assert list(loadings.index) == list(schema.ENDOCRINE_COLUMNS)
    assert set(loadings[loadings > 0].index) == {"tsh", "igfbp3"}
    assert set(loadings[loadings < 0].index) == {"tt4", "ft3", "ft4", "gh", "prolactin", "estradiol"}
    for (split, group), idx in m[m.group != "NC"].groupby(["split", "group"]).groups.items():
        d = t.loc[idx, "endocrine_damage"]
        for col, lam in loadings.items():
            rho = stats.spearmanr(d, m.loc[idx, col]).statistic
            if lam != 0:
                assert np.sign(rho) == np.sign(lam), (split, group, col, rho)
                assert abs(rho) > 0.6 * abs(lam), (split, group, col, rho)
            else:
                assert abs(rho) < 0.2, (split, group, col, rho)


def _within_cells(m: pd.DataFrame, t: pd.DataFrame, driver: str, col: str) -> list[float]:
    out = []
    for _, idx in m[m.group != "NC"].groupby(["split", "group"]).groups.items():
        out.append(stats.spearmanr(t.loc[idx, driver], m.loc[idx, col]).statistic)
    return out


def test_variables_follow_their_latent_causes(big_twin):
    m, t = big_twin
    # endocrine damage: growth retardation and sexual abnormality
    for col in ("growth_retardation", "sexual_abnormality"):
        assert min(_within_cells(m, t, "endocrine_damage", col)) > 0.1, col
    # neurological burden: the four neurological symptoms come together, TSH and GH fall with it
    for col in ("limb_movement_disorder", "diabetes_insipidus", "affective_disturbance", "convulsive_seizure"):
        assert min(_within_cells(m, t, "neuro_burden", col)) > 0.3, col  # bounded by the symptom's rarity
    for col in ("tsh", "gh"):
        assert max(_within_cells(m, t, "neuro_burden", col)) < -0.6, col
    # the two factors are uncorrelated within a cell
    assert max(abs(r) for r in _within_cells(m, t, "endocrine_damage", "intracranial_hypertension")) < 0.15


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_symptom_counts_are_allocated_exactly(twin):
    m, _ = twin
    tab = paper_table1()
    for (split, group), d in m[m.group != "NC"].groupby(["split", "group"]):
        for col in schema.SYMPTOM_COLUMNS:
            pct = tab.query("split == @split and group == @group and variable == @col and statistic == 'percent'")
            if pct.empty:
                pct = tab.query("split == 'train' and group == @group and variable == @col and statistic == 'percent'")
            expected = int(np.floor(float(pct.value.iloc[0]) / 100 * len(d) + 0.5))
            assert int(d[col].sum()) == expected, (split, group, col)


def test_factor_loadings_are_valid_and_documented():
    f = factor_loadings()
    assert list(f.index) == [*schema.SYMPTOM_COLUMNS, *schema.ENDOCRINE_COLUMNS]
    assert ((f["damage"] ** 2 + f["neuro"] ** 2 + f["unique"] ** 2 - 1).abs() < 1e-12).all()
    assert (f["unique"] > 0).all()


def _seven_variable_aucs(seed: int) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    from gvisage_lib.clinical.logistic import fit_logistic
    from gvisage_lib.paper import CLINICAL_MODEL

    m, _ = generate_tabular(seed=seed, scale=1.0)
    tum = m[m.group != "NC"].assign(label=lambda d: (d.group == "iGCT").astype(int))
    fit = fit_logistic(tum[tum.split == "train"], "label", list(CLINICAL_MODEL))
    return {sp: roc_auc_score(d.label, fit.predict(d)) for sp, d in tum.groupby("split")}


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_papers_seven_variable_regression_is_in_the_papers_regime():
    """The dependence calibration: the paper's clinical model reaches the paper's AUCs (test .612, validation .632)
    and not the 0.84 / 0.71 that independent variables gave, at the default seed and over seeds 1-5."""
    default = _seven_variable_aucs(20250130)
    assert 0.58 <= default["test"] <= 0.68 and 0.60 <= default["validation"] <= 0.70, default
    runs = pd.DataFrame([_seven_variable_aucs(s) for s in range(1, 6)])
    med = runs.median()
    assert 0.58 <= med["test"] <= 0.68 and 0.60 <= med["validation"] <= 0.70, med.to_dict()


def test_nc_matched_to_tumours(big_twin):
    m, _ = big_twin
    for split in schema.SPLITS:
        s = m[m.split == split]
        nc, tum = s[s.group == "NC"], s[s.group != "NC"]
        assert abs(nc.age_years.mean() - tum.age_years.mean()) < 1.0
        assert abs((nc.sex == "F").mean() - (tum.sex == "F").mean()) < 0.02


def test_test_igct_sex_uses_the_proportion(twin):
    m, _ = twin
    f = (m[(m.split == "test") & (m.group == "iGCT")].sex == "F").sum()
    assert f == round(79 * 51 / 119)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    a = synthesize(tmp_path / "a", seed=3, scale=0.2, photos=False)
    b = synthesize(tmp_path / "b", seed=3, scale=0.2, photos=False)
    c = synthesize(tmp_path / "c", seed=4, scale=0.2, photos=False)
    assert a.read_bytes() == b.read_bytes()
    assert (a.parent / "truth.csv").read_bytes() == (b.parent / "truth.csv").read_bytes()
    assert a.read_bytes() != c.read_bytes()
    # written values equal the in-memory ones
    m, _ = generate_tabular(3, 0.2)
    back = pd.read_csv(a, keep_default_na=True)
    assert np.allclose(back.tsh.to_numpy(), m.tsh.to_numpy(), equal_nan=True)


def test_paper_table_transcription_is_consistent():
    t = paper_table1()
    n = t[t.variable == "n"].set_index(["split", "group"]).value
    for (split, group), d in t[t.variable == "tumor_site"].groupby(["split", "group"]):
        assert d.value.sum() == n[(split, group)]
    for (split, group), d in t[t.variable == "sex"].groupby(["split", "group"]):
        if (split, group) != ("test", "iGCT"):  # the paper's 51:68 sums to 119 for 79 patients
            assert d.value.sum() == n[(split, group)]
    assert set(t.statistic) == {"mean", "sd", "percent", "count"}
