"""Manifest validation: every bad-input case reported with row, column and value; all at once; nothing written."""

from __future__ import annotations

import io as _io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gvisage_lib.cohort.manifest import ManifestError, load_manifest, validate_manifest
from gvisage_lib.core import schema
from gvisage_lib.twin import generate_tabular, write_twin_tables


def _jpeg() -> bytes:
    buf = _io.BytesIO()
    Image.fromarray(np.full((16, 12, 3), 128, dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory) -> Path:
    """A small valid twin manifest with tiny JPEG photos (photo_4 left empty for some subjects)."""
    d = tmp_path_factory.mktemp("clean")
    m, t = generate_tabular(seed=2, scale=0.05)
    (d / "photos").mkdir()
    data = _jpeg()
    for sid in m.subject_id:
        for k in range(1, 4):
            (d / "photos" / f"{sid}_{k}.jpg").write_bytes(data)
    for k in range(1, 4):
        m[f"photo_{k}"] = "photos/" + m.subject_id + f"_{k}.jpg"
    write_twin_tables(m, t, d)
    return d


@pytest.fixture()
def work(clean_dir, tmp_path) -> Path:
    dst = tmp_path / "cohort"
    shutil.copytree(clean_dir, dst)
    return dst


def _edit(path: Path, fn) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(path, index=False)
    return df


def _one(rep, problem_substring: str) -> pd.DataFrame:
    hit = rep.problems[rep.problems.problem.str.contains(problem_substring, regex=False)]
    assert len(hit) >= 1, f"no problem containing {problem_substring!r} in\n{rep}"
    return hit


def test_clean_manifest_passes(clean_dir):
    before = sorted(p.name for p in clean_dir.rglob("*"))
    rep = validate_manifest(clean_dir / "manifest.csv")
    assert rep.ok, str(rep)
    assert rep.errors.empty and rep.warnings.empty
    assert str(clean_dir / "manifest.csv") in str(rep)
    assert sorted(p.name for p in clean_dir.rglob("*")) == before  # nothing written
    df = load_manifest(clean_dir / "manifest.csv")
    assert df.age_years.dtype == float and df.tsh.dtype == float
    assert df.loc[df.group == "NC", "tsh"].isna().all()


def test_missing_required_column(work):
    _edit(work / "manifest.csv", lambda d: d.drop(columns=["sex"]))
    hit = _one(validate_manifest(work / "manifest.csv"), "missing required column")
    assert hit.column.tolist() == ["sex"] and hit.row.isna().all()


def test_duplicate_subject_same_split(work):
    df = _edit(work / "manifest.csv", lambda d: pd.concat([d, d.iloc[[3]]], ignore_index=True))
    hit = _one(validate_manifest(work / "manifest.csv"), "duplicate subject_id")
    assert hit.row.tolist() == [len(df) + 1]  # header is row 1
    assert hit.subject_id.tolist() == [df.subject_id.iloc[3]]
    assert "first at row 5" in hit.problem.iloc[0]


def test_subject_in_two_splits(work):
    def fn(d):
        extra = d.iloc[[0]].copy()
        extra["split"] = "validation" if d.split.iloc[0] != "validation" else "train"
        return pd.concat([d, extra], ignore_index=True)

    df = _edit(work / "manifest.csv", fn)
    rep = validate_manifest(work / "manifest.csv")
    hit = _one(rep, "subject in more than one split")
    assert hit.subject_id.tolist() == [df.subject_id.iloc[0]] and hit.column.tolist() == ["split"]
    assert rep.problems.problem.str.contains("duplicate").sum() == 0  # reported once, as leakage


@pytest.mark.parametrize("column,value", [("group", "tumour"), ("split", "dev"), ("sex", "X"),
                                          ("tumor_site", "frontal"), ("hpt_damage", "partial")])
def test_unknown_category(work, column, value):
    def fn(d):
        i = d.index[d.group == "iGCT"][0]
        d.loc[i, column] = value
        return d

    df = _edit(work / "manifest.csv", fn)
    i = df.index[df[column] == value][0]
    hit = _one(validate_manifest(work / "manifest.csv"), "unknown value")
    hit = hit[hit.column == column]
    assert hit.value.tolist() == [value] and hit.row.tolist() == [i + 2]


@pytest.mark.parametrize("column,value,problem", [
    ("age_years", "-3", "negative"), ("age_years", "abc", "not a number"), ("age_years", "250", "outside"),
    ("tsh", "-0.5", "negative"), ("gh", "high", "not a number"), ("duration_months", "-1", "negative"),
    ("bmi", "x", "not a number"), ("diabetes_insipidus", "2", "0 or 1"), ("vision_change", "yes", "0 or 1"),
    ("age_years", "inf", "not a finite number"),
])
def test_impossible_numbers(work, column, value, problem):
    def fn(d):
        i = d.index[d.group == "other"][0]
        d.loc[i, column] = value
        return d

    df = _edit(work / "manifest.csv", fn)
    hit = _one(validate_manifest(work / "manifest.csv"), problem)
    hit = hit[hit.column == column]
    assert hit.value.tolist() == [value]
    assert hit.row.tolist() == [df.index[df[column] == value][0] + 2]


def test_photo_missing_unreadable_and_empty_photo1(work):
    df = pd.read_csv(work / "manifest.csv", dtype=str, keep_default_na=False)
    (work / df.photo_2.iloc[0]).unlink()
    (work / df.photo_3.iloc[1]).write_bytes(b"this is not an image")
    df.loc[2, "photo_1"] = ""
    df.to_csv(work / "manifest.csv", index=False)
    rep = validate_manifest(work / "manifest.csv")
    miss = _one(rep, "photo file not found")
    assert (miss.row.tolist(), miss.column.tolist(), miss.value.tolist()) == ([2], ["photo_2"], [df.photo_2.iloc[0]])
    bad = _one(rep, "not a readable image")
    assert (bad.row.tolist(), bad.column.tolist()) == ([3], ["photo_3"])
    empty = _one(rep, "missing value")
    assert (empty.row.tolist(), empty.column.tolist()) == ([4], ["photo_1"])
    # empty photo_4 is allowed: no problem mentions it
    assert "photo_4" not in set(rep.problems.column)


def test_split_lacking_a_stage_class(work):
    _edit(work / "manifest.csv", lambda d: d[~((d.split == "test") & (d.group.isin(["NC", "other"])))])
    rep = validate_manifest(work / "manifest.csv")
    probs = set(rep.errors.problem)
    assert "split 'test' lacks NC, needed by stage 1" in probs
    assert "split 'test' lacks other, needed by stage 2" in probs
    assert set(rep.errors[rep.errors.problem.str.contains("lacks")].value) == {"test"}


def test_clinical_value_on_nc_is_a_warning(work):
    def fn(d):
        i = d.index[d.group == "NC"][0]
        d.loc[i, "tsh"] = "1.2"
        return d

    df = _edit(work / "manifest.csv", fn)
    rep = validate_manifest(work / "manifest.csv")
    assert rep.ok
    w = rep.warnings
    assert w.column.tolist() == ["tsh"] and w.value.tolist() == ["1.2"]
    assert w.row.tolist() == [df.index[df.tsh == "1.2"][0] + 2]
    assert "warning" in str(rep)


def test_extra_columns_are_kept_and_ignored(work):
    _edit(work / "manifest.csv", lambda d: d.assign(my_note="x"))
    assert validate_manifest(work / "manifest.csv").ok
    assert (load_manifest(work / "manifest.csv").my_note == "x").all()


def test_every_problem_at_once(work):
    def fn(d):
        d = d.drop(columns=["site"])
        d.loc[0, "sex"] = "?"
        d.loc[1, "age_years"] = "-1"
        d.loc[2, "photo_1"] = "photos/none.jpg"
        return pd.concat([d, d.iloc[[5]]], ignore_index=True)

    _edit(work / "manifest.csv", fn)
    rep = validate_manifest(work / "manifest.csv")
    kinds = rep.errors.problem.str.split(" \\(").str[0]
    assert {"missing required column", "unknown value", "impossible value", "photo file not found",
            "duplicate subject_id"} <= set(kinds)
    text = str(rep)
    assert text.splitlines()[0].startswith(f"Manifest {work / 'manifest.csv'}: INVALID")
    assert len(text.splitlines()) == len(rep.problems) + 2  # heading + table header + one line per problem
    frame = rep.to_frame()
    assert list(frame.columns) == ["file", "row", "subject_id", "column", "value", "problem", "severity"]
    with pytest.raises(ManifestError) as exc:
        load_manifest(work / "manifest.csv")
    assert len(exc.value.report.errors) == len(rep.errors)
    assert str(work / "manifest.csv") in str(exc.value)


@pytest.mark.parametrize("content,problem", [
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a"),
    ("subject_id,group\n\"A,NC\n".encode(), "not a readable CSV"),
    (b"hello world\n", "missing required column"),
])
def test_garbage_files_are_reported_not_raised(tmp_path, content, problem):
    p = tmp_path / "m.csv"
    p.write_bytes(content)
    rep = validate_manifest(p)
    assert not rep.ok
    _one(rep, problem)
    with pytest.raises(ManifestError):
        load_manifest(p)


def test_missing_file_and_wrong_field_count(tmp_path):
    rep = validate_manifest(tmp_path / "nope.csv")
    assert not rep.ok and "file not found" in rep.errors.problem.iloc[0]
    p = tmp_path / "m.csv"
    p.write_text(",".join(schema.REQUIRED_COLUMNS) + "\nA,NC,train,WYLF,F,10\n")
    rep = validate_manifest(p)
    hit = _one(rep, "fields, header has")
    assert hit.row.tolist() == [2] and hit.subject_id.tolist() == ["A"]
