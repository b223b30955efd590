"""2x2 tables at the operating points (gvisage_lib.roc.metrics.two_by_two) and the STARD flow
(gvisage_lib.cohort.figures.stard_flow_counts, plot_stard_flow).

The 2x2 counts must give Table 2's sensitivity and specificity exactly; the flow's counts must add up from the
manifest through the face QC to the 2x2 tables.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from gvisage_lib.cohort import plot_stard_flow, stard_flow_counts
from gvisage_lib.core import schema
from gvisage_lib.roc import metrics as stage_roc
from gvisage_lib.twin import generate_tabular

SEL = {"stage1": "resnet50", "stage2": "inception_v3"}


@pytest.fixture(scope="module")
def pred() -> pd.DataFrame:
    return stage_roc.demo_predictions(seed=7, scale=0.5)


@pytest.fixture(scope="module")
def ops(pred: pd.DataFrame) -> pd.DataFrame:
    return stage_roc.selected_operating_points(pred, SEL)


# ------------------------------------------------------------------------------------------------------- 2x2


def test_two_by_two_reproduces_table2_sensitivity_and_specificity(pred: pd.DataFrame, ops: pd.DataFrame) -> None:
    tbt = stage_roc.two_by_two(pred, ops)
    tidy = stage_roc.gvisagenet_metrics(pred, SEL)
    # every rule: the counts are the numerators and denominators of the tidy Table 2 rows
    t = tidy[tidy["metric"].isin(["sensitivity", "specificity", "accuracy"])].set_index(
        ["stage", "split", "rule", "metric"])
    for r in tbt.itertuples(index=False):
        for metric, k, n in (("sensitivity", r.tp, r.tp + r.fn), ("specificity", r.tn, r.tn + r.fp),
                             ("accuracy", r.tp + r.tn, r.n)):
            row = t.loc[(r.stage, r.split, r.rule, metric)]
            assert (int(row["k"]), int(row["n"])) == (k, n), (r.stage, r.split, r.rule, metric)
            assert getattr(r, metric) == pytest.approx(row["estimate"])
    # the formatted Table 2 rows (Youden) print the same percentages
    table2 = stage_roc.format_table2(tidy).set_index(["stage", "split"])
    for r in tbt[tbt["rule"] == "youden"].itertuples(index=False):
        sens = table2.loc[(r.stage, r.split), "Sensitivity (95% CI)"]
        spec = table2.loc[(r.stage, r.split), "Specificity (95% CI)"]
        assert sens.startswith(f"{100 * r.tp / (r.tp + r.fn):.2f}%")
        assert spec.startswith(f"{100 * r.tn / (r.tn + r.fp):.2f}%")
        assert table2.loc[(r.stage, r.split), "threshold"] == pytest.approx(r.threshold)


def test_two_by_two_counts_by_hand(pred: pd.DataFrame, ops: pd.DataFrame) -> None:
    tbt = stage_roc.two_by_two(pred, ops)
    assert tbt[["stage", "split"]].drop_duplicates().to_numpy().tolist() == [
        [1, "test"], [1, "validation"], [2, "test"], [2, "validation"]]
    assert len(tbt) == 4 * 3  # three rules
    r = tbt[(tbt.stage == 2) & (tbt.split == "validation") & (tbt.rule == "youden")].iloc[0]
    d = pred.query("model == 'inception_v3' and stage == 2 and split == 'validation'")
    call = d["score"] >= r.threshold
    assert r.tp == int((call & (d.label == 1)).sum()) and r.fp == int((call & (d.label == 0)).sum())
    assert r.fn == int((~call & (d.label == 1)).sum()) and r.tn == int((~call & (d.label == 0)).sum())
    assert (r.test_positive, r.test_negative) == (r.tp + r.fp, r.fn + r.tn)
    assert (r.reference_positive, r.reference_negative, r.n) == (int(d.label.sum()), int((d.label == 0).sum()), len(d))
    assert not tbt["in_sample"].any()  # thresholds chosen on train, tabulated on test and validation
    on_train = stage_roc.two_by_two(pred, ops, splits=["train"])
    assert on_train["in_sample"].all()
    # Youden's counts on the training split are the operating points' own sensitivity and specificity
    y = on_train[on_train.rule == "youden"].set_index("stage")
    o = ops[ops.rule == "youden"].set_index("stage")
    assert (y["sensitivity"] - o["sensitivity"]).abs().max() < 1e-12
    assert (y["specificity"] - o["specificity"]).abs().max() < 1e-12


def test_format_two_by_two_block(pred: pd.DataFrame, ops: pd.DataFrame) -> None:
    tbt = stage_roc.two_by_two(pred, ops)
    b = stage_roc.format_two_by_two(tbt, 1, "test", rule="sensitivity_at_specificity")
    r = tbt[(tbt.stage == 1) & (tbt.split == "test") & (tbt.rule == "sensitivity_at_specificity")].iloc[0]
    assert b.columns.tolist() == ["Reference: Midline tumour", "Reference: NC", "Total"]
    assert b.index[0].startswith("Index test positive (score ≥ ")
    assert b.to_numpy().tolist() == [[r.tp, r.fp, r.tp + r.fp], [r.fn, r.tn, r.fn + r.tn],
                                     [r.tp + r.fn, r.fp + r.tn, r.n]]
    with pytest.raises(ValueError, match="rule='best'"):
        stage_roc.format_two_by_two(tbt, 1, "test", rule="best")
    with pytest.raises(ValueError, match="stage must be one of"):
        stage_roc.format_two_by_two(tbt, 3, "test")


def test_two_by_two_bad_input(pred: pd.DataFrame, ops: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="operating_points"):
        stage_roc.two_by_two(pred, ops.to_dict())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\['threshold'\]"):
        stage_roc.two_by_two(pred, ops.drop(columns="threshold"))
    with pytest.raises(ValueError, match="split='external'"):
        stage_roc.two_by_two(pred, ops, splits=["external"])
    with pytest.raises(TypeError, match="'test'"):
        stage_roc.two_by_two(pred, ops, splits="test")


# ------------------------------------------------------------------------------------------------------- flow


@pytest.fixture(scope="module")
def cohort() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A small twin manifest, a faces index with exclusions, and predictions of the included subjects."""
    m = generate_tabular(seed=3, scale=0.15)[0]
    rng = np.random.default_rng(0)
    n = len(m)
    reason = np.array([""] * n, dtype=object)
    bad = rng.choice(n, size=12, replace=False)
    reason[bad[:6]] = "no_face"
    reason[bad[6:10]] = "blurred"
    reason[bad[10:]] = "no_face;blurred"
    faces = pd.DataFrame({"subject_id": m["subject_id"], "included": reason == "", "qc_reason": reason,
                          "n_available": 4, "n_photos": np.where(reason == "", 4, 0)})
    faces.loc[faces.index[faces.included][:3], "n_photos"] = 3  # three subjects kept with one photo dropped
    rows = []
    kept = m[faces["included"].to_numpy()]
    for stage in (1, 2):
        for g in kept.itertuples(index=False):
            lab = schema.stage_label(g.group, stage)
            if lab is None:
                continue
            rows.append({"subject_id": g.subject_id, "split": g.split, "stage": stage, "model": SEL[f"stage{stage}"],
                         "label": lab, "score": float(np.clip(0.5 + 0.25 * (lab - 0.5) + rng.normal(0, 0.2), 0, 1)),
                         "profile": "test", "seed": 0, "checkpoint_sha256": "0" * 64})
    return m, faces, pd.DataFrame(rows)


def test_flow_counts_add_up(cohort: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    m, faces, pred = cohort
    ops = stage_roc.selected_operating_points(pred, SEL)
    tbt = stage_roc.two_by_two(pred, ops)
    flow = stard_flow_counts(m, faces, tbt, reasons=("no_face", "multiple_faces", "blurred"))
    assert flow[["stage", "split"]].to_numpy().tolist() == [[1, "test"], [1, "validation"], [2, "test"],
                                                            [2, "validation"]]
    i = flow.columns.get_loc("excluded_qc")
    assert flow.columns.tolist()[i:i + 4] == ["excluded_qc", "excluded_no_face", "excluded_multiple_faces",
                                           "excluded_blurred"]
    merged = m.merge(faces, on="subject_id")
    for r in flow.itertuples(index=False):
        groups = schema.STAGES[r.stage]["groups"]
        elig = merged[(merged.split == r.split) & merged.group.isin(groups)]
        assert r.eligible == len(elig)
        assert r.eligible_positive == int(elig.group.isin(schema.STAGES[r.stage]["positive"]).sum())
        assert r.excluded_qc == int((~elig.included).sum())
        assert r.excluded_no_face == int(elig.qc_reason.str.contains("no_face").sum())
        assert r.excluded_blurred == int(elig.qc_reason.str.contains("blurred").sum())
        assert r.excluded_multiple_faces == 0
        assert r.not_scored == 0
        assert r.index_test == r.eligible - r.excluded_qc == r.test_positive + r.test_negative
        assert r.photos_failed_qc_kept == int((elig.n_available - elig.n_photos)[elig.included].sum())
        t = tbt[(tbt.stage == r.stage) & (tbt.split == r.split) & (tbt.rule == "youden")].iloc[0]
        assert (r.tp, r.fp, r.fn, r.tn, r.threshold) == (t.tp, t.fp, t.fn, t.tn, t.threshold)
        assert r.chosen_on == "train"
    assert flow["excluded_qc"].sum() > 0


def test_flow_counts_unscored_and_inconsistent(cohort: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    m, faces, pred = cohort
    ops = stage_roc.selected_operating_points(pred, SEL)
    drop = pred[(pred.stage == 2) & (pred.split == "test")].index[:2]
    tbt = stage_roc.two_by_two(pred.drop(index=drop), ops)
    flow = stard_flow_counts(m, faces, tbt).set_index(["stage", "split"])
    assert flow.loc[(2, "test"), "not_scored"] == 2 and flow.loc[(1, "test"), "not_scored"] == 0
    # default reasons: those found, in order of appearance
    assert [c for c in flow.columns if c.startswith("excluded_")][1:] in (
        ["excluded_no_face", "excluded_blurred"], ["excluded_blurred", "excluded_no_face"])
    too_many = stage_roc.two_by_two(pred, ops).assign(tp=lambda d: d.tp + 1000)
    with pytest.raises(ValueError, match="more than the"):
        stard_flow_counts(m, faces, too_many)
    with pytest.raises(ValueError, match="rule='best'"):
        stard_flow_counts(m, faces, tbt, rule="best")
    with pytest.raises(ValueError, match=r"\['no_face'\]"):
        stard_flow_counts(m, faces, tbt, reasons=("blurred",))
    with pytest.raises(ValueError, match="more than once"):
        stard_flow_counts(m, pd.concat([faces, faces.head(1)]), tbt)


def test_plot_stard_flow_shows_the_counts(cohort: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    m, faces, pred = cohort
    tbt = stage_roc.two_by_two(pred, stage_roc.selected_operating_points(pred, SEL))
    flow = stard_flow_counts(m, faces, tbt)
    fig = plot_stard_flow(flow)
    assert len(fig.axes) == 4  # two stages x two splits
    r = flow[(flow.stage == 2) & (flow.split == "validation")].iloc[0]
    ax = fig.axes[3]
    text = " ".join(t.get_text() for t in ax.texts)
    assert f"Eligible subjects (n={r.eligible})" in text
    assert f"Excluded at photo QC (n={r.excluded_qc})" in text
    assert f"iGCT: {r.tp}" in text and f"Other midline tumour: {r.tn}" in text
    assert "Independent validation" in ax.get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="no row"):
        plot_stard_flow(flow.iloc[:0])
