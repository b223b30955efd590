"""Manifest checks that a user's mistakes are said, not silent: photos shared between subjects or splits (by their
content), a manifest saved with another delimiter, a blank HPT-damage cell on a tumour row; and the data contract
read from one place (core.schema) by one parser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from gvisage_lib.cohort import manifest as M
from gvisage_lib.core import schema
from gvisage_lib.run.cli import main


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _add_views(cohort: Path, subject_index: int, sources: list[str]) -> pd.DataFrame:
    """Give the subject of row ``subject_index`` the photos ``sources`` (relative paths) as photo_1..photo_k."""
    df = _read(cohort)
    for k, src in enumerate(sources, start=1):
        df.loc[subject_index, f"photo_{k}"] = src
    df.to_csv(cohort, index=False)
    return df


def _copy_photo(cohort: Path, rel: str, name: str) -> str:
    """A copy of photo ``rel`` under another name (same bytes): the check must compare content, not paths."""
    dst = cohort.parent / "photos" / name
    shutil.copyfile(cohort.parent / rel, dst)
    return f"photos/{name}"


def test_test_subject_with_a_training_subjects_photos_is_a_leakage_error(tiny_cohort, tmp_path, capsys):
    df = _read(tiny_cohort)
    train = int(df.index[(df.split == "train") & (df.group == "iGCT")][0])
    test = int(df.index[(df.split == "test") & (df.group == "iGCT")][0])
    src = df.photo_1.iloc[train]
    # four views of the training subject: its own file twice under its name and twice as renamed copies
    views = [src, src, _copy_photo(tiny_cohort, src, "copy_a.jpg"), _copy_photo(tiny_cohort, src, "copy_b.jpg")]
    _add_views(tiny_cohort, test, views)
    rep = M.validate_manifest(tiny_cohort)
    assert not rep.ok
    leak = rep.errors[rep.errors.problem.str.contains("a photo in two splits leaks")]
    assert leak.row.tolist() == [test + 2] * 4
    assert leak.column.tolist() == ["photo_1", "photo_2", "photo_3", "photo_4"]
    assert leak.value.tolist() == views
    assert leak.subject_id.unique().tolist() == [df.subject_id.iloc[test]]
    first = f"same photo as row {train + 2}, photo_1 (subject {df.subject_id.iloc[train]}, split train)"
    assert leak.problem.str.startswith(first).all()
    # the command line and the run refuse it before writing anything
    assert main(["validate", str(tiny_cohort)]) == 2
    assert "leaks between training and evaluation" in capsys.readouterr().out
    out = tmp_path / "run"
    assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(out), "--profile", "smoke"]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "leaks between training and evaluation" in err and "nothing was written" in err


def test_two_subjects_of_one_split_sharing_a_photo_is_a_warning(tiny_cohort):
    df = _read(tiny_cohort)
    a = int(df.index[(df.split == "validation") & (df.group == "NC")][0])
    b = int(df.index[(df.split == "validation") & (df.group == "other")][0])
    copy = _copy_photo(tiny_cohort, df.photo_1.iloc[a], "shared.jpg")
    _add_views(tiny_cohort, b, [copy])
    rep = M.validate_manifest(tiny_cohort)
    assert rep.ok, str(rep)
    w = rep.warnings[rep.warnings.problem.str.contains("share a photo")]
    assert (w.row.tolist(), w.column.tolist(), w.value.tolist()) == ([b + 2], ["photo_1"], [copy])
    assert f"row {a + 2}, photo_1 (subject {df.subject_id.iloc[a]}, same split)" in w.problem.iloc[0]


def test_one_photo_given_as_all_four_views_is_a_warning(tiny_cohort):
    df = _read(tiny_cohort)
    i = 4
    src = df.photo_1.iloc[i]
    _add_views(tiny_cohort, i, [src, src, src, _copy_photo(tiny_cohort, src, "again.jpg")])
    rep = M.validate_manifest(tiny_cohort)
    assert rep.ok, str(rep)
    w = rep.warnings[rep.warnings.problem.str.contains("repeated view")]
    assert w.row.tolist() == [i + 2] * 3 and w.column.tolist() == ["photo_2", "photo_3", "photo_4"]
    assert w.problem.str.startswith("same photo as photo_1 of this subject").all()
    assert (w.severity == "warning").all()
    # without the photo check nothing is hashed, and nothing is said
    assert M.validate_manifest(tiny_cohort, check_photos=False).warnings.empty


def test_distinct_photos_raise_no_photo_problem(tiny_cohort):
    rep = M.validate_manifest(tiny_cohort)
    assert rep.ok and rep.problems.empty, str(rep)


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_manifest_with_another_delimiter_gets_one_error_with_the_hint(tiny_cohort, sep, name, capsys):
    _read(tiny_cohort).to_csv(tiny_cohort, index=False, sep=sep)
    rep = M.validate_manifest(tiny_cohort)
    assert len(rep.problems) == 1 and rep.n_subjects == 9, str(rep)
    hit = rep.errors.iloc[0]
    assert hit.row == 1 and hit.value.startswith(f"subject_id{sep}group")
    assert f"looks {name}-separated" in hit.problem and "comma-separated" in hit.problem
    assert main(["validate", str(tiny_cohort)]) == 2
    assert f"{name}-separated" in capsys.readouterr().out
    with pytest.raises(M.ManifestError, match=f"{name}-separated"):
        M.load_manifest(tiny_cohort, validate=False)


def test_one_column_without_another_delimiter_gets_no_hint(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("subject_id\nA\n")
    rep = M.validate_manifest(p)
    assert not rep.problems.problem.str.contains("separated").any()
    assert "missing required column" in set(rep.errors.problem)


def test_blank_hpt_damage_on_a_tumour_row_is_flagged(tiny_cohort):
    df = _read(tiny_cohort)
    tumour = int(df.index[df.group == "other"][1])
    df.loc[tumour, "hpt_damage"] = ""
    df.to_csv(tiny_cohort, index=False)
    rep = M.validate_manifest(tiny_cohort)
    assert rep.ok
    w = rep.warnings
    assert (w.row.tolist(), w.column.tolist(), w.value.tolist()) == ([tumour + 2], ["hpt_damage"], [""])
    assert w.subject_id.tolist() == [df.subject_id.iloc[tumour]]
    assert "tumour row" in w.problem.iloc[0] and "06_endocrine" in w.problem.iloc[0]
    # a normal control's blank hpt_damage is what the contract expects: nothing to say
    assert (df.loc[df.group == "NC", "hpt_damage"] == "").all()


def test_the_contract_lives_in_core_schema(tiny_cohort, monkeypatch):
    """The rules read the categories and ranges from core.schema at check time: changing the contract there changes
    what validates; the manifest module keeps no copy."""
    for name in ("CATEGORIES", "NUMERIC_RANGES", "PLAUSIBLE_AGE_YEARS"):
        assert not hasattr(M, name), name
    df = _read(tiny_cohort)
    df.loc[0, "sex"] = "X"
    df.loc[1, "age_years"] = "130"
    df.to_csv(tiny_cohort, index=False)
    assert set(M.validate_manifest(tiny_cohort).errors.column) == {"sex", "age_years"}
    monkeypatch.setitem(schema.CATEGORIES, "sex", ("F", "M", "X"))
    monkeypatch.setitem(schema.NUMERIC_RANGES, "age_years", (0.0, 150.0))
    monkeypatch.setattr(schema, "PLAUSIBLE_AGE_YEARS", (0.0, 140.0))
    assert M.validate_manifest(tiny_cohort).problems.empty


def test_validation_and_use_share_one_parse(tiny_cohort, monkeypatch):
    """load_manifest parses the file once and validates what it parsed, with the parser validate_manifest uses."""
    calls = []
    parse = M._read_sheet

    def counting(path, out):
        calls.append(path)
        return parse(path, out)

    monkeypatch.setattr(M, "_read_sheet", counting)
    frame = M.load_manifest(tiny_cohort)
    assert calls == [tiny_cohort.resolve()]
    M.validate_manifest(tiny_cohort)
    assert len(calls) == 2 and len(frame) == M.validate_manifest(tiny_cohort).n_subjects


def test_validate_manifest_is_made_of_short_rules():
    import inspect

    for fn in (M.validate_manifest, M._check_sheet, *M.TABLE_RULES, M._rule_columns, M._rule_photos,
               M._rule_shared_photos, M._read_sheet):
        body = inspect.getsource(fn)
        doc = fn.__doc__ or ""
        assert len(body.splitlines()) - len(doc.splitlines()) <= 45, fn.__name__
