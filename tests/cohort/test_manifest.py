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


def _jpeg(seed: int = 0) -> bytes:
    """A small JPEG whose bytes differ with ``seed`` (distinct photos: shared ones are a validation problem)."""
    buf = _io.BytesIO()
    img = np.random.default_rng(seed).integers(0, 255, (16, 12, 3), dtype=np.uint8)
    Image.fromarray(img).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory) -> Path:
    """A small valid twin manifest with tiny JPEG photos (photo_4 left empty for some subjects)."""
    d = tmp_path_factory.mktemp("clean")
    m, t = generate_tabular(seed=2, scale=0.05)
    (d / "photos").mkdir()
    for i, sid in enumerate(m.subject_id):
        for k in range(1, 4):
            (d / "photos" / f"{sid}_{k}.jpg").write_bytes(_jpeg(10 * i + k))
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
@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
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
    (b"subject_id,group\n\"A,NC\n", "not a readable CSV"),
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


# --- one reader, a validator that matches the pipeline -------------------------------------------------------------


def _write_png(path: Path, shape=(40, 32, 3), seed=0) -> None:
    import cv2

    cv2.imwrite(str(path), np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8))


def test_padded_subject_id_survives_preprocessing_and_training_reader(tiny_cohort, tmp_path):
    """A subject id with surrounding spaces validates; every reader must see the same stripped id (none vanishes)."""
    from gvisage_lib.cnn.datasets import load_subjects
    from gvisage_lib.core.paths import RunPaths
    from gvisage_lib.faces.preprocess import preprocess_cohort

    df = pd.read_csv(tiny_cohort, dtype=str, keep_default_na=False)
    df.loc[0, "subject_id"] = "  " + df.loc[0, "subject_id"] + " "
    df.loc[4, "subject_id"] = df.loc[4, "subject_id"] + "\t"
    df.to_csv(tiny_cohort, index=False)
    assert validate_manifest(tiny_cohort).ok
    run = RunPaths(tmp_path / "run")
    faces = preprocess_cohort(tiny_cohort, run, image_size=16, crop_mode="none", workers=1, progress=False)
    want = sorted(s.strip() for s in df.subject_id)
    assert sorted(faces.subject_id) == want and faces.included.all()
    subjects = load_subjects(tiny_cohort, run.faces_index, run.root)
    assert sorted(subjects.subject_id) == want  # nobody lost between preprocessing and training


def test_load_manifest_normalises_once(tiny_cohort):
    df = pd.read_csv(tiny_cohort, dtype=str, keep_default_na=False)
    df.loc[0, "subject_id"] = " 007 "
    df.loc[0, "photo_1"] = " " + df.loc[0, "photo_1"] + " "
    df.to_csv(tiny_cohort, index=False)
    man = load_manifest(tiny_cohort)
    assert man.subject_id.iloc[0] == "007"
    photo = Path(man.photo_1.iloc[0])
    assert photo.is_absolute() and photo.is_file() and photo == photo.resolve()
    assert man.attrs["manifest_path"] == str(tiny_cohort.resolve())
    assert man.age_years.dtype == float


def test_header_only_manifest_is_an_error(tiny_cohort):
    tiny_cohort.write_text(",".join(schema.MANIFEST_COLUMNS) + "\n")
    rep = validate_manifest(tiny_cohort)
    assert not rep.ok
    hit = _one(rep, "no subjects")
    assert hit.row.isna().all() and rep.n_subjects == 0


@pytest.mark.parametrize("column", ["tumor_site", "tumor_type", "hpt_damage", "tsh"])
def test_column_a_notebook_needs_is_an_error_naming_it(tiny_cohort, column):
    _edit(tiny_cohort, lambda d: d.drop(columns=[column]))
    rep = validate_manifest(tiny_cohort)
    assert not rep.ok
    hit = _one(rep, "missing column needed by")
    assert hit.column.tolist() == [column]
    nb = "01_cohort" if column.startswith("tumor") else "06_endocrine"
    assert nb in hit.problem.iloc[0]
    # a partial rerun from 02 to 05 does not read the 06 / 01 columns ... but one from 06 does
    later = validate_manifest(tiny_cohort, notebooks=["02", "03", "04", "05"])
    assert later.ok, str(later)


def test_optional_columns_absent_are_warnings_saying_what_is_skipped(tiny_cohort):
    from gvisage_lib.paper import CLINICAL_MODEL

    _edit(tiny_cohort, lambda d: d.drop(columns=list(CLINICAL_MODEL)))
    rep = validate_manifest(tiny_cohort, notebooks=["05"])
    assert rep.ok
    w = _one(rep, "optional column absent")
    assert sorted(w.column) == sorted(CLINICAL_MODEL) and (w.severity == "warning").all()
    assert w.problem.str.contains("05_clinical_hybrid").all()
    # TSH and GH are in the clinical model (optional for 05) and in Fig 5A (required by 06): the error wins
    rep = validate_manifest(tiny_cohort)
    assert set(rep.errors.column) == {"tsh", "gh"}
    assert set(rep.warnings.column) == set(CLINICAL_MODEL) - {"tsh", "gh"}


def test_implausible_age_is_a_warning(tiny_cohort):
    from gvisage_lib.core.schema import PLAUSIBLE_AGE_YEARS

    df = _edit(tiny_cohort, lambda d: d.assign(age_years=d.age_years.where(d.index != 2, "72")))
    rep = validate_manifest(tiny_cohort)
    assert rep.ok
    w = _one(rep, "implausible age")
    assert (w.row.tolist(), w.value.tolist(), w.severity.tolist()) == ([4], ["72"], ["warning"])
    assert f"{PLAUSIBLE_AGE_YEARS[1]:g}" in w.problem.iloc[0] and df.age_years.iloc[2] == "72"


def _bad_photo(kind: str, path: Path) -> None:
    import cv2

    img = np.random.default_rng(1).integers(0, 255, (48, 40, 3), dtype=np.uint8)
    if kind == "truncated_jpeg":
        _, buf = cv2.imencode(".jpg", img)
        path.write_bytes(buf.tobytes()[: len(buf) // 2])
    elif kind in ("TGA", "PCX", "ICO"):
        buf = _io.BytesIO()
        Image.fromarray(img[:32, :32]).save(buf, kind)
        path.write_bytes(buf.getvalue())
    elif kind == "float_tiff":
        buf = _io.BytesIO()
        Image.fromarray(img[:, :, 0].astype(np.float32)).save(buf, "TIFF")
        path.write_bytes(buf.getvalue())
    else:
        raise ValueError(kind)


@pytest.mark.parametrize("kind", ["truncated_jpeg", "TGA", "PCX", "ICO", "float_tiff"])
def test_photo_the_pipeline_cannot_decode_is_an_error(tiny_cohort, kind):
    """PIL's verify accepts these; OpenCV (the pipeline's decoder) does not, so validation must refuse them."""
    from gvisage_lib.faces.detection import read_image

    df = pd.read_csv(tiny_cohort, dtype=str, keep_default_na=False)
    target = tiny_cohort.parent / df.photo_1.iloc[1]
    _bad_photo(kind, target)
    with pytest.raises(ValueError):
        read_image(target)  # what preprocessing would meet
    hit = _one(validate_manifest(tiny_cohort), "not a readable image")
    assert (hit.row.tolist(), hit.column.tolist()) == ([3], ["photo_1"])


def _bomb_png(path: Path, side: int = 20000) -> None:
    """A 20000x20000 PNG of a few kilobytes (bilevel, all zero): a decompression bomb."""
    Image.new("1", (side, side)).save(path, "PNG")


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_decompression_bomb_is_an_error_not_a_crash(tiny_cohort, tmp_path, capsys):
    from gvisage_lib.faces.detection import MAX_IMAGE_PIXELS
    from gvisage_lib.run.cli import main

    df = pd.read_csv(tiny_cohort, dtype=str, keep_default_na=False)
    bomb = tiny_cohort.parent / "photos" / "bomb.png"
    _bomb_png(bomb)
    assert bomb.stat().st_size < 200_000
    df.loc[0, "photo_2"] = "photos/bomb.png"
    df.to_csv(tiny_cohort, index=False)
    rep = validate_manifest(tiny_cohort)
    hit = _one(rep, "image too large")
    assert (hit.row.tolist(), hit.column.tolist()) == ([2], ["photo_2"])
    assert f"{MAX_IMAGE_PIXELS:,}" in hit.problem.iloc[0]
    assert main(["validate", str(tiny_cohort)]) == 2
    out = tmp_path / "run"
    assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(out), "--profile", "smoke"]) == 2
    assert not out.exists()  # nothing written
    assert "image too large" in capsys.readouterr().err


def test_image_over_the_cap_is_refused_from_its_header(monkeypatch, tmp_path):
    """The cap is checked from the header before decoding: a photo just over it never reaches OpenCV."""
    from gvisage_lib.core import images as F

    p = tmp_path / "big.png"
    _write_png(p, (100, 80, 3))
    monkeypatch.setattr(F, "MAX_IMAGE_PIXELS", 100 * 80 - 1)
    monkeypatch.setattr(F.cv2, "imdecode", lambda *a, **k: pytest.fail("decoded an image over the cap"))
    with pytest.raises(F.ImageTooLarge, match="80x100 = 8,000 pixels"):
        F.read_image(p)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("problem", ["header_only", "missing_tumor_site"])
def test_reproduce_refuses_before_writing(tiny_cohort, tmp_path, problem, capsys):
    from gvisage_lib.run.cli import main

    if problem == "header_only":
        tiny_cohort.write_text(",".join(schema.MANIFEST_COLUMNS) + "\n")
    else:
        _edit(tiny_cohort, lambda d: d.drop(columns=["tumor_site"]))
    out = tmp_path / "run"
    assert main(["validate", str(tiny_cohort)]) == 2
    assert main(["reproduce", "--manifest", str(tiny_cohort), "--out", str(out), "--profile", "smoke"]) == 2
    assert not out.exists()
    assert "nothing was written" in capsys.readouterr().err


def test_notebook_column_table_covers_every_notebook():
    from gvisage_lib.cohort.manifest import NOTEBOOK_COLUMNS
    from gvisage_lib.run.pipeline import list_notebooks

    assert [n.notebook for n in NOTEBOOK_COLUMNS] == [p.stem for p in list_notebooks()]
    for need in NOTEBOOK_COLUMNS:
        assert set(need.required) <= set(schema.MANIFEST_COLUMNS)
        assert not set(need.required) & {c for c, _ in need.optional}


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
@pytest.mark.parametrize("side", [9000, 10000, 20000])
def test_pixel_cap_below_and_above_pillows_bomb_limits(tmp_path, side):
    """64 MP < 81 MP (no Pillow warning) < 100 MP (Pillow warns) < 400 MP (Pillow raises): all refused alike."""
    import warnings

    from gvisage_lib.faces.detection import ImageTooLarge, header_size

    p = tmp_path / "big.png"
    _bomb_png(p, side)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a filter turning Pillow's warning into an error changes nothing
        with pytest.raises(ImageTooLarge):
            header_size(p.read_bytes())


def test_photo_paths_resolve_every_cell_as_photo_path_does(tmp_path):
    """The folder-at-a-time resolver gives photo_path's answer for plain files, linked files, linked folders, '..',
    absolute and missing paths."""
    from gvisage_lib.cohort.manifest import photo_path, photo_paths

    cohort, elsewhere = tmp_path / "cohort", tmp_path / "elsewhere"
    (cohort / "photos").mkdir(parents=True)
    elsewhere.mkdir()
    (cohort / "photos" / "a.jpg").write_bytes(b"a")
    (elsewhere / "b.jpg").write_bytes(b"b")
    (cohort / "photos" / "link.jpg").symlink_to(elsewhere / "b.jpg")
    (cohort / "linked").symlink_to(elsewhere, target_is_directory=True)
    values = ["photos/a.jpg", "photos/link.jpg", "linked/b.jpg", "photos/../photos/a.jpg", str(elsewhere / "b.jpg"),
              "photos/missing.jpg", "nowhere/c.jpg", "linked/../cohort/photos/a.jpg", "photos/",
              "photos//a.jpg", "./photos/./a.jpg"]
    assert photo_paths(cohort, values) == [photo_path(cohort, v) for v in values]
    assert photo_paths(cohort, ["photos/link.jpg"]) == [elsewhere.resolve() / "b.jpg"]
