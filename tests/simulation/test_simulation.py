"""Tests of gvisage_lib.simulation: determinism across schedulers, a correctly sized test at its level, the scores'
controlled AUC, agreement with the library's own analyses, the command line and the fast paths of the twin."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gvisage_lib import paper
from gvisage_lib.clinical import compare_models, fit_models
from gvisage_lib.core.profiles import get_profile
from gvisage_lib.paper.index import figure_name, table_name
from gvisage_lib.run.cli import main
from gvisage_lib.simulation import (
    FIGURES,
    TABLE_COLUMNS,
    TABLES,
    SimulationSettings,
    check_scheduler,
    headline,
    run_simulation,
    simulation_tables,
)
from gvisage_lib.simulation import scenarios as sc
from gvisage_lib.simulation.engine import _chunks, run_chunk
from gvisage_lib.simulation.summary import rejection_table
from gvisage_lib.stats import batched_auc, proportion_ci
from gvisage_lib.twin import parameters

#: Every scenario, with fewer bootstrap resamples (the tests check the machinery, not the numbers).
FAST = SimulationSettings(n_boot=100)
#: The nested comparison under the null only, on a twin of half the paper's size (quicker).
NULL_ONLY = SimulationSettings(n_boot=100, tables=("simulation_type1_nested",), scale=0.5)
#: The same at the paper's sizes.
NULL_PAPER = SimulationSettings(n_boot=100, tables=("simulation_type1_nested",))


# --- determinism --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_local_and_dask_local_give_identical_tables() -> None:
    """The same seed gives the same records and tables with joblib's 2 processes and on a Dask LocalCluster of 2
    worker processes (every table; half the paper's sizes to keep it short)."""
    settings = SimulationSettings(n_boot=100, scale=0.5)
    joblib2 = run_simulation(4, seed=11, scheduler="local", workers=2, settings=settings)
    dask2 = run_simulation(4, seed=11, scheduler="dask-local", workers=2, settings=settings)
    pd.testing.assert_frame_equal(dask2.records, joblib2.records, check_exact=True)
    assert list(joblib2.tables()) == list(TABLES)
    for key, table in joblib2.tables().items():
        pd.testing.assert_frame_equal(dask2.tables()[key], table, check_exact=True)
    assert dask2.scheduler == "dask-local" and dask2.meta["dask_workers"] == 2


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_dask_local_threads_and_joblib_match_inline() -> None:
    inline = run_simulation(2, seed=5, workers=1, settings=NULL_ONLY)
    threads = run_simulation(2, seed=5, scheduler="dask-local", workers=2, dask_processes=False, settings=NULL_ONLY)
    pd.testing.assert_frame_equal(threads.records, inline.records, check_exact=True)
    joblib2 = run_simulation(2, seed=5, workers=2, settings=NULL_ONLY)
    pd.testing.assert_frame_equal(joblib2.records, inline.records, check_exact=True)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_an_address_joins_a_running_cluster() -> None:
    """``scheduler=ADDRESS`` runs the chunks on an existing cluster's workers (here a LocalCluster of 2 threads) and
    leaves the cluster running."""
    from dask.distributed import LocalCluster

    inline = run_simulation(2, seed=6, workers=1, settings=NULL_ONLY)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None) as c:
        assert c.scheduler_address.startswith("tcp://")
        joined = run_simulation(2, seed=6, scheduler=c.scheduler_address, settings=NULL_ONLY)
        assert joined.meta["dask_workers"] == 2 and joined.scheduler == c.scheduler_address
        assert len(c.scheduler_info["workers"]) == 2  # still running
    pd.testing.assert_frame_equal(joined.records, inline.records, check_exact=True)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_seed_determinism_and_independence_of_chunking() -> None:
    a = run_chunk(3, [0, 1, 2], NULL_ONLY)
    b = run_chunk(3, [2], NULL_ONLY) + run_chunk(3, [0, 1], NULL_ONLY)
    key = ["replicate", "test"]
    pd.testing.assert_frame_equal(sc.records_frame(a).sort_values(key).reset_index(drop=True),
                                  sc.records_frame(b).sort_values(key).reset_index(drop=True), check_exact=True)
    other = sc.records_frame(run_chunk(4, [0, 1, 2], NULL_ONLY))
    assert not np.allclose(other["p_value"].dropna(), sc.records_frame(a)["p_value"].dropna())


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_a_scenario_does_not_depend_on_the_others() -> None:
    """Each score has its own stream: the null scenario's records are the same alone and with every scenario."""
    alone = sc.records_frame(sc.simulate_replicate(1, 9, NULL_PAPER))
    full = sc.records_frame(sc.simulate_replicate(1, 9, FAST))
    pd.testing.assert_frame_equal(full[full["table"] == "simulation_type1_nested"].reset_index(drop=True), alone,
                                  check_exact=True)


def test_replicate_seeds_are_spawned_children() -> None:
    kids = np.random.SeedSequence(123).spawn(5)
    for i in (0, 4):
        s = sc.replicate_seeds(123, i)
        assert s.sequence.generate_state(4).tolist() == kids[i].generate_state(4).tolist()
    assert len({sc.replicate_seeds(123, i).cohort for i in range(50)}) == 50


def test_chunks_cover_every_replicate_once() -> None:
    for r, w in ((1, 4), (10, 3), (1000, 2)):
        flat = [i for c in _chunks(r, w) for i in c]
        assert flat == list(range(r))


# --- a correctly sized test keeps its level ------------------------------------------------------------------------


@pytest.mark.slow
def test_likelihood_ratio_test_holds_its_level_and_delong_on_nested_models_does_not() -> None:
    """Under the null (the added score is noise), 200 replicates at the paper's sizes: the Clopper-Pearson CI of the
    likelihood-ratio test's rejection rate contains 0.05, while DeLong's test declares the hybrid better far less
    often than its nominal 2.5 % (Demler et al. 2012: badly conservative) and its two-sided P values are not
    uniform."""
    res = run_simulation(200, seed=2025, workers=2, settings=NULL_PAPER)
    t = res.tables()["simulation_type1_nested"].set_index("test")
    lr = t.loc[sc.LRT_TRAIN]
    assert lr["n_replicates"] == 200
    assert lr["ci_low"] <= 0.05 <= lr["ci_high"], lr
    better = t.loc[sc.DELONG_TRAIN + sc.BETTER]
    assert better["nominal"] == 0.025 and better["ci_high"] < 0.025, t
    # DeLong's P values are not uniform under the null: on new data its two-sided test rejects far more often than
    # 5 %, every time because the hybrid with a useless term is worse; the LRT's P values are uniform
    assert t.loc[sc.DELONG_VALIDATION, "ci_low"] > 0.05, t
    assert t.loc[sc.DELONG_VALIDATION + sc.BETTER, "rejection_rate"] < 0.01, t
    p = res.records.set_index("test")["p_value"]
    assert stats.kstest(p.loc[sc.LRT_TRAIN], "uniform").pvalue > 0.001


# --- the simulated scores --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_cohort() -> pd.DataFrame:
    return sc.stage2_cohort(77, scale=4.0)


def test_scores_have_the_controlled_auc_in_every_stratum(big_cohort: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    strata = {"complete": 0.8, "incomplete": 0.65, "none": 0.55}
    s = sc.simulate_scores(big_cohort, strata, rng, latent_share=0.6)
    y = big_cohort["label"].to_numpy()
    for lv, auc in strata.items():
        m = (big_cohort["hpt_damage"] == lv).to_numpy()
        n1, n0 = int(y[m].sum()), int((1 - y[m]).sum())
        se = np.sqrt(auc * (1 - auc) * (1 + (n1 + n0) / 2) / (n1 * n0))  # a generous bound (Hanley & McNeil-like)
        assert abs(batched_auc(y[m], s[m]) - auc) < 3 * se, lv
    # the latent share ties the score to the damage within a class and stratum
    w = sc.damage_deviates(big_cohort)
    assert stats.spearmanr(w, s).statistic > 0.3


def test_damage_deviates_are_standard_normal_within_cells(big_cohort: pd.DataFrame) -> None:
    w = pd.Series(sc.damage_deviates(big_cohort), index=big_cohort.index)
    for (_, _), g in big_cohort.groupby(["group", "hpt_damage"]):
        x = w.loc[g.index]
        assert abs(x.mean()) < 4 / np.sqrt(len(x)) and 0.8 < x.std() < 1.2
        assert stats.kstest(x, "norm").pvalue > 1e-3


def test_true_sensitivity_and_specificity_match_a_large_sample(big_cohort: pd.DataFrame) -> None:
    rng = np.random.default_rng(1)
    s = sc.simulate_scores(big_cohort, 0.7, rng)
    y = big_cohort["label"].to_numpy()
    for thr in (0.3, 0.5, 0.7):
        sens, spec = (s[y == 1] >= thr).mean(), (s[y == 0] < thr).mean()
        assert abs(sens - sc.true_sensitivity(thr, 0.7)) < 0.04
        assert abs(spec - sc.true_specificity(thr)) < 0.04


def test_null_score_is_pure_noise(big_cohort: pd.DataFrame) -> None:
    s = sc.simulate_scores(big_cohort, 0.5, np.random.default_rng(2), latent_share=0.0)
    assert abs(stats.spearmanr(sc.damage_deviates(big_cohort), s).statistic) < 0.06
    assert abs(batched_auc(big_cohort["label"].to_numpy(), s) - 0.5) < 0.04


# --- the library's own analyses -----------------------------------------------------------------------------------


def test_nested_comparison_equals_compare_models() -> None:
    """The four nested tests of a replicate are compare_models' numbers on fit_models of the same data."""
    cohort = sc.stage2_cohort(5)
    score = sc.simulate_scores(cohort, 0.62, np.random.default_rng(3))
    ours = sc.NestedComparison(cohort).test(score, n_boot=200, boot_seed=17)
    frame = cohort.assign(score=score, subject_id=cohort["subject_id"].astype(str))
    lib = compare_models(fit_models(frame, list(paper.CLINICAL_MODEL)), eval_splits=("train", "validation"),
                         n_boot=200, seed=17)
    lib = lib[lib["comparison"] == "Hybrid model vs Logistic regression"].set_index(["method", "split"])
    assert ours[sc.LRT_TRAIN]["p_value"] == pytest.approx(lib.loc[("likelihood-ratio test", "train"), "p_value"],
                                                          rel=1e-9)
    assert ours[sc.DELONG_TRAIN]["p_value"] == pytest.approx(lib.loc[("DeLong (paired)", "train"), "p_value"],
                                                             rel=1e-9)
    assert ours[sc.DELONG_VALIDATION]["p_value"] == pytest.approx(
        lib.loc[("DeLong (paired)", "validation"), "p_value"], rel=1e-9)
    boot = lib.loc[("bootstrap ΔAUC", "validation")]
    assert (ours[sc.BOOTSTRAP_VALIDATION]["ci_low"], ours[sc.BOOTSTRAP_VALIDATION]["ci_high"]) == pytest.approx(
        (boot["ci_low"], boot["ci_high"]), rel=1e-12)
    assert ours[sc.BOOTSTRAP_VALIDATION]["delta_auc"] == pytest.approx(boot["delta_auc"], rel=1e-12)
    # the one-sided P of "hybrid better" is pROC's alternative="greater"
    from gvisage_lib.stats import delong_test

    val = frame[frame["split"] == "validation"]
    fits = fit_models(frame, list(paper.CLINICAL_MODEL)).scores
    wide = fits[fits["split"] == "validation"].pivot(index="subject_id", columns="model", values="score")
    wide = wide.loc[val["subject_id"]]
    g = delong_test(val["label"], wide["Hybrid model"], wide["Logistic regression"], alternative="greater")
    assert ours[sc.DELONG_VALIDATION]["p_greater"] == pytest.approx(g.p_value, rel=1e-9)


def test_hybrid_predictions_from_the_clinical_design_equal_predict() -> None:
    cohort = sc.stage2_cohort(12, scale=0.5)
    comparison = sc.NestedComparison(cohort)
    clin, _, _ = comparison._clinical_fit("ml")
    score = sc.simulate_scores(cohort, 0.7, np.random.default_rng(8))
    cnn = np.log(score / (1 - score))
    train = comparison.train.assign(cnn_logit=cnn[comparison._train_idx])
    val = comparison.validation.assign(cnn_logit=cnn[comparison._val_idx])
    hyb = comparison._hybrid_fit(train, "ml")
    np.testing.assert_allclose(comparison._hybrid_predict(hyb, clin, train, 0), hyb.predict(train), rtol=1e-13)
    np.testing.assert_allclose(comparison._hybrid_predict(hyb, clin, val, 1), hyb.predict(val), rtol=1e-13)


def test_strata_pvalues_are_strata_tests() -> None:
    from gvisage_lib.endocrine import strata_metrics, strata_tests
    from gvisage_lib.stats import choose_threshold

    cohort = sc.stage2_cohort(6)
    score = sc.simulate_scores(cohort, 0.74, np.random.default_rng(4))
    tr = cohort["split"] == "train"
    thr = choose_threshold(cohort.loc[tr, "label"], score[tr.to_numpy()]).threshold
    expected = strata_tests(strata_metrics(cohort.assign(score=score)[cohort["split"] == "validation"], thr))
    got = sc.strata_test_pvalues(cohort, score)
    assert list(got.values()) == pytest.approx(expected["p_value"].tolist(), rel=1e-12)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_coverage_rows_hold_the_truth_of_the_threshold_in_use() -> None:
    cohort = sc.stage2_cohort(8)
    score = sc.simulate_scores(cohort, 0.74, np.random.default_rng(5))
    thr = sc.training_threshold(cohort, score)
    rows = {r["test"]: r for r in sc.interval_coverage(cohort, score, 0.74, threshold=thr)}
    assert len(rows) == 11
    r = rows["Clopper-Pearson CI of sensitivity, threshold from the training split, validation split"]
    assert r["truth"] == sc.true_sensitivity(thr, 0.74)
    val = cohort["split"].to_numpy() == "validation"
    y = cohort["label"].to_numpy()
    assert r["estimate"] == pytest.approx((score[val & (y == 1)] >= thr).mean())
    assert all(r["covered"] in (0.0, 1.0) for r in rows.values())


# --- summaries ---------------------------------------------------------------------------------------------------


def test_rejection_table_uses_clopper_pearson_and_skips_missing_outcomes() -> None:
    rec = pd.DataFrame({"table": "simulation_power", "scenario": "s", "test": "t", "nominal": 0.05,
                        "outcome": [1.0] * 7 + [0.0] * 13 + [np.nan] * 2})
    row = rejection_table(rec, "simulation_power").iloc[0]
    assert list(rejection_table(rec, "simulation_power").columns) == list(TABLE_COLUMNS)
    assert row["n_replicates"] == 20 and row["rejection_rate"] == 7 / 20
    assert (row["ci_low"], row["ci_high"]) == proportion_ci(7, 20)
    with pytest.raises(ValueError, match="records hold no row of table 'simulation_coverage'"):
        rejection_table(rec, "simulation_coverage")


def test_one_replicate_fills_every_table_and_the_headline() -> None:
    rec = sc.records_frame(sc.simulate_replicate(0, 1, FAST))
    tables = simulation_tables(rec)
    assert list(tables) == list(TABLES)
    for t in tables.values():
        assert list(t.columns) == list(TABLE_COLUMNS) and (t["n_replicates"] == 1).all()
    assert tables["simulation_coverage"]["nominal"].eq(0.95).all()
    text = headline(tables)
    assert "likelihood-ratio test" in text and "Friedman" in text and "Power:" in text
    assert rec["outcome"].isin([0.0, 1.0]).all()


# --- arguments ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"replicates": 0}, "replicates must be a positive integer, got 0"),
    ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ({"workers": 0}, "workers must be a positive integer, got 0"),
    ({"scheduler": "cluster"}, "scheduler must be 'local', 'dask-local' or a Dask scheduler address"),
])
def test_run_simulation_refuses_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"replicates": 2, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        run_simulation(args.pop("replicates"), args.pop("seed"), **args)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"alpha": 1.5}, "alpha must be in"),
    ({"cnn_auc": 1.0}, "cnn_auc must be in"),
    ({"nested_effect_aucs": (0.6, 0.0)}, "nested_effect_aucs must be in"),
    ({"strata_aucs": (("complete", 0.7),)}, "strata_aucs must give one AUC for each of"),
    ({"latent_share": 1.0}, "latent_share must be in"),
    ({"n_boot": 50}, "n_boot must be an integer >= 100, got 50"),
    ({"tables": ("simulation_everything",)}, "tables must name one or more of"),
])
def test_settings_refuse_bad_values(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulationSettings(**kwargs)


def test_scheduler_addresses() -> None:
    for ok in ("local", "dask-local", "tcp://127.0.0.1:8786", "localhost:8786", "inproc://x/1"):
        assert check_scheduler(ok) == ok
    for bad in ("", "dask", "tcp://host", "host:port"):
        with pytest.raises(ValueError, match="scheduler must be"):
            check_scheduler(bad)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from gvisage_lib.simulation import engine

    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", "2s")
    with pytest.raises(ConnectionError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        run_simulation(1, 1, scheduler="tcp://127.0.0.1:9", settings=NULL_ONLY)


# --- command line ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "message"), [
    (["--replicates", "0"], "--replicates must be >= 1, got 0"),
    (["--seed", "-3"], "--seed must be >= 0, got -3"),
    (["--workers", "0"], "--workers must be >= 1, got 0"),
    (["--scheduler", "nope"], "--scheduler: scheduler must be"),
])
def test_cli_bad_arguments_exit_2(argv: list[str], message: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--out", str(tmp_path / "o"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_out_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["simulate", "--replicates", "1", "--out", str(f)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_writes_tables_figures_and_record(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    assert main(["simulate", "--replicates", "2", "--seed", "4", "--out", str(out), "--workers", "1"]) == 0
    for key in TABLES:
        t = pd.read_csv(out / "tables" / f"{table_name(key)}.csv")
        assert list(t.columns) == list(TABLE_COLUMNS) and (t["n_replicates"] == 2).all()
        assert (out / "figures" / f"{figure_name(FIGURES[key])}.png").is_file()
    records = pd.read_parquet(out / "simulation_records.parquet")
    assert sorted(records["replicate"].unique()) == [0, 1] and set(records["table"]) == set(TABLES)
    record = json.loads((out / "simulation.json").read_text())
    assert (record["seed"], record["replicates"], record["scheduler"]) == (4, 2, "local")
    assert record["packages"]["dask"] and record["packages"]["joblib"]
    assert record["settings"]["cnn_auc"] == SimulationSettings().cnn_auc


# --- profile and fast paths ----------------------------------------------------------------------------------------


def test_profiles_carry_the_replicate_counts() -> None:
    assert [get_profile(p).n_sim_replicates for p in ("smoke", "quick", "paper")] == [20, 100, 1000]
    with pytest.raises(ValueError, match="n_sim_replicates must be a positive integer, got 0"):
        get_profile("quick", n_sim_replicates=0)


def test_cached_dispersions_equal_the_computation() -> None:
    d = parameters.effective_dispersions()
    assert d == parameters._compute_effective_dispersions()
    d["tsh"] = -1.0  # a caller's change does not reach the cache
    assert parameters.effective_dispersions()["tsh"] != -1.0


def test_cached_group_sizes_are_fresh_copies() -> None:
    a = parameters.group_sizes(1.0)
    a.iloc[0] = -5
    assert int(parameters.group_sizes(1.0).iloc[0]) > 0
    assert parameters.group_sizes(0.5).equals(parameters._group_sizes_cached.__wrapped__(0.5))
