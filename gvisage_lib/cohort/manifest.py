"""Read and validate a cohort manifest (docs/data.md): every problem reported at once, nothing written.

Conventions of the report
-------------------------
* ``row`` is the line of the record in the CSV file counting the header as row 1, so the first subject is row 2
  (what a spreadsheet shows). File-level problems (unreadable file, missing column, a split lacking a class) have an
  empty row.
* A ``subject_id`` repeated within ONE split is a "duplicate subject_id"; repeated across DIFFERENT splits it is a
  "subject in more than one split" (a leakage error, reported instead of the duplicate). Each occurrence after the
  first is reported, naming the row of the first.
* One reader, :func:`load_manifest`, is the only way the library reads a manifest (validation, privacy guard,
  preprocessing, training, tables, provenance): cells stripped of surrounding whitespace once, numbers typed, photo
  paths made absolute. A manifest that is a symbolic link is read where it points (:func:`resolve_manifest_path`):
  its ``twin.json`` and relative photo paths are looked up beside the file it points to, by every step alike.
* Photo paths are relative to the manifest's folder (absolute paths are accepted). ``photo_1`` is required; empty
  ``photo_2..4`` are allowed. Each non-empty path must exist and decode with the pipeline's own decoder
  (:func:`gvisage_lib.core.images.decode_image`: OpenCV, after a header check of the pixel count against
  :data:`gvisage_lib.core.images.MAX_IMAGE_PIXELS`), so a photo that validates is one preprocessing can read.
* Columns each notebook needs are declared in :data:`NOTEBOOK_COLUMNS`; a missing one is an error naming the
  notebook, a missing optional one a warning saying what that notebook skips. A manifest without any subject
  (header only) is an error.
* Ages outside :data:`PLAUSIBLE_AGE_YEARS` (a paediatric cohort) are warnings; negative ones, or above 120, errors.
* Splits that are present must hold the classes of both stages: NC and a tumour group (stage 1), iGCT and other
  (stage 2). An absent split is not an error (a user's cohort may have no test split).
* Clinical values on a normal control are a warning, one row per value. Extra columns are kept and ignored.
* Severities: ``error`` (the pipeline refuses the manifest) and ``warning`` (printed, accepted).

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "m.csv").write_text("subject_id,group\\nA,alien\\n")
>>> rep = validate_manifest(d / "m.csv")
>>> rep.ok
False
>>> kinds = set(rep.errors.problem.str.split(" [(]", regex=True).str[0])
>>> sorted(k for k in kinds if not k.startswith("missing column needed"))
['missing required column', 'unknown value']
>>> sorted(k for k in kinds if k.startswith("missing column needed"))
['missing column needed by 01_cohort', 'missing column needed by 06_endocrine']
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.core.io import sha256_file
from gvisage_lib.paper.numbers import CLINICAL_MODEL

REPORT_COLUMNS: tuple[str, ...] = ("row", "subject_id", "column", "value", "problem", "severity")

#: Allowed values of the categorical columns (an empty cell is allowed only where noted in ``_check_categories``).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "group": schema.GROUPS,
    "split": schema.SPLITS,
    "sex": schema.SEXES,
    "tumor_site": schema.TUMOR_SITES,
    "hpt_damage": schema.HPT_LEVELS,
}
#: Numeric columns and their plausible closed range; values outside are "impossible".
NUMERIC_RANGES: dict[str, tuple[float, float]] = {
    "age_years": (0.0, 120.0),
    "duration_months": (0.0, 1200.0),
    "bmi": (5.0, 100.0),
    **{c: (0.0, math.inf) for c in schema.ENDOCRINE_COLUMNS},
}
CLINICAL_COLUMNS: tuple[str, ...] = tuple(c for c in schema.TUMOUR_COLUMNS)
#: Ages (years) plausible in this paediatric cohort. The study enrolled children and young people, but its Table 1
#: has groups of mean 16.95 (SD 8.01) years, so adults in their thirties occur; the upper bound is that mean + 4 SD
#: (49, rounded up to 50). An age above it is kept with a warning (months typed for years is the likely mistake: a
#: 5-year-old is 60 months); a negative age, or one above 120, is an error (:data:`NUMERIC_RANGES`).
PLAUSIBLE_AGE_YEARS: tuple[float, float] = (0.0, 50.0)


@dataclass(frozen=True)
class NotebookColumns:
    """The manifest columns one notebook of the pipeline reads.

    Attributes
    ----------
    notebook : str
        Notebook stem (``NN_name``).
    required : tuple of str
        Columns without which the notebook fails: a missing one is a validation error.
    purpose : str
        What the required columns (beyond the core contract) are used for, quoted in the error.
    optional : tuple of (str, str)
        Columns the notebook can do without, each with what it skips when the column is absent (a warning).
    """

    notebook: str
    required: tuple[str, ...]
    purpose: str = ""
    optional: tuple[tuple[str, str], ...] = ()


_CORE = ("subject_id", "group", "split")
#: Which notebook reads which manifest columns (checked by ``gvisage validate`` and before ``gvisage reproduce`` writes
#: anything; with ``--from NN`` only the notebooks run). Cells of these columns may still be empty where docs/data.md
#: allows it; this table is about the columns being there.
NOTEBOOK_COLUMNS: tuple[NotebookColumns, ...] = (
    NotebookColumns("01_cohort", schema.REQUIRED_COLUMNS + ("tumor_site", "tumor_type"),
                    "tumour site by institution, Fig 3A, and other tumour types, Fig 3B",
                    tuple((c, "Table 1 leaves out its row") for c in schema.TUMOUR_COLUMNS
                          if c not in ("tumor_site", "tumor_type"))),
    NotebookColumns("02_faces", ("subject_id", "group", "photo_1"), "face preprocessing and the signal check"),
    NotebookColumns("03_train", _CORE, "training and selection of the networks"),
    NotebookColumns("04_stage_roc", (), "reads the predictions only"),
    NotebookColumns("05_clinical_hybrid", _CORE, "the stage-2 subjects",
                    tuple((c, "the clinical and hybrid models are skipped, saying why")
                          for c in CLINICAL_MODEL)),
    NotebookColumns("06_endocrine", _CORE + ("hpt_damage",) + schema.FIG5A_ENDOCRINE,
                    "score-endocrine correlations, Fig 5A, and HPT-damage strata, Table 3"),
    NotebookColumns("07_simulation", (), "simulates studies from the twin's parameters; reads no cohort"),
)


def notebook_columns(notebooks: Sequence[str] | None = None) -> tuple[NotebookColumns, ...]:
    """The :data:`NOTEBOOK_COLUMNS` entries of ``notebooks`` (stems or two-digit prefixes; None = every notebook).

    Examples
    --------
    >>> [n.notebook for n in notebook_columns(["05", "06_endocrine"])]
    ['05_clinical_hybrid', '06_endocrine']
    >>> notebook_columns(["09"])
    Traceback (most recent call last):
    ...
    ValueError: notebooks: '09' names no notebook of NOTEBOOK_COLUMNS (01_cohort, ..., 07_simulation)
    """
    if notebooks is None:
        return NOTEBOOK_COLUMNS
    out = []
    for name in notebooks:
        hit = [n for n in NOTEBOOK_COLUMNS if n.notebook == name or n.notebook[:2] == str(name)]
        if not hit:
            known = ", ".join(n.notebook for n in NOTEBOOK_COLUMNS)
            raise ValueError(f"notebooks: {name!r} names no notebook of NOTEBOOK_COLUMNS ({known})")
        out += [n for n in hit if n not in out]
    return tuple(out)


def resolve_manifest_path(path: str | os.PathLike[str]) -> Path:
    """The manifest's absolute path with every symbolic link followed: the one path every reader and the privacy
    guard use, so ``twin.json`` and relative photo paths are looked up beside the same file by all of them.

    Examples
    --------
    >>> import tempfile, pathlib, os
    >>> d = pathlib.Path(tempfile.mkdtemp()).resolve()
    >>> _ = (d / "real.csv").write_text("subject_id\\n")
    >>> os.symlink(d / "real.csv", d / "link.csv")
    >>> resolve_manifest_path(d / "link.csv") == d / "real.csv"
    True
    """
    return Path(path).expanduser().resolve()


def photo_path(manifest_dir: str | os.PathLike[str], value: str) -> Path:
    """Absolute path of a manifest photo cell: relative to ``manifest_dir`` (the resolved manifest's folder) unless
    absolute, symbolic links followed.

    Examples
    --------
    >>> photo_path("/data/cohort", "photos/a.jpg").as_posix()
    '/data/cohort/photos/a.jpg'
    """
    q = Path(value).expanduser()
    return (q if q.is_absolute() else Path(manifest_dir) / q).resolve()


class ManifestError(ValueError):
    """A manifest failed validation; ``.report`` holds the :class:`ValidationReport`."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        super().__init__(report.format())


@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in one manifest.

    Attributes
    ----------
    path : pathlib.Path
        The manifest file.
    problems : pandas.DataFrame
        One row per problem with columns :data:`REPORT_COLUMNS`.
    n_subjects : int
        Records read (0 if the file could not be read).
    """

    path: Path
    problems: pd.DataFrame
    n_subjects: int = 0

    @property
    def errors(self) -> pd.DataFrame:
        """Problems of severity ``error``."""
        return self.problems[self.problems.severity == "error"].reset_index(drop=True)

    @property
    def warnings(self) -> pd.DataFrame:
        """Problems of severity ``warning``."""
        return self.problems[self.problems.severity == "warning"].reset_index(drop=True)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return bool((self.problems.severity != "error").all())

    def to_frame(self) -> pd.DataFrame:
        """The problems as a tidy DataFrame (a copy), with the file path in a first column."""
        return self.problems.assign(file=str(self.path))[["file", *REPORT_COLUMNS]].copy()

    def format(self, max_value_width: int = 40, *, name_only: bool = False) -> str:
        """A readable plain-text table of every problem under a heading naming the file.

        ``name_only`` names the file by its name, not its path (for a rendered notebook, which shows no machine
        paths).

        Examples
        --------
        >>> ValidationReport(Path("/home/someone/manifest.csv"), pd.DataFrame(columns=REPORT_COLUMNS), 3).format(
        ...     name_only=True)
        'Manifest manifest.csv: OK - 3 subjects, 0 error(s), 0 warning(s)'
        """
        n_e, n_w = len(self.errors), len(self.warnings)
        status = "OK" if self.ok else "INVALID"
        name = self.path.name if name_only else self.path
        head = (f"Manifest {name}: {status} - {self.n_subjects} subjects, {n_e} error(s), {n_w} warning(s)")
        if self.problems.empty:
            return head
        shown = self.problems.copy()
        shown["row"] = shown["row"].map(lambda r: "" if pd.isna(r) else str(int(r)))
        shown["value"] = shown["value"].map(
            lambda v: v if len(v) <= max_value_width else v[: max_value_width - 3] + "...")
        return head + "\n" + shown.to_string(index=False)

    def redacted(self) -> ValidationReport:
        """A copy fit for a rendered output of a real cohort (docs/privacy.md).

        Photo paths can carry a patient's name, so the values of the photo columns are withheld and the manifest is
        named by its file name only. Subject ids are pseudonymous and stay. The command line (``gvisage validate``)
        prints the full report to the cohort's owner; notebooks of a non-synthetic cohort show this one.

        Examples
        --------
        >>> rep = ValidationReport(Path("/home/someone/cohort/manifest.csv"), pd.DataFrame(
        ...     [{"row": 2, "subject_id": "S1", "column": "photo_1", "value": "photos/jane_doe.jpg",
        ...       "problem": "photo file not found", "severity": "error"}], columns=REPORT_COLUMNS), 1)
        >>> red = rep.redacted()
        >>> str(red.path), red.problems.value.tolist()
        ('manifest.csv', ['<withheld>'])
        """
        problems = self.problems.copy()
        is_photo = problems["column"].astype(str).str.match(r"^photo_\d+$|^face_box_\d+$")
        problems.loc[is_photo & (problems["value"].astype(str) != ""), "value"] = "<withheld>"
        return ValidationReport(Path(self.path.name), problems, self.n_subjects)

    def raise_for_errors(self) -> ValidationReport:
        """Raise :class:`ManifestError` (carrying this report) if there is any error; return self otherwise."""
        if not self.ok:
            raise ManifestError(self)
        return self

    def __str__(self) -> str:
        return self.format()

    def _repr_html_(self) -> str:
        return f"<p><b>{self.format().splitlines()[0]}</b></p>" + self.problems.to_html(index=False)


class _Collector:
    def __init__(self) -> None:
        self.rows: list[tuple[object, str, str, str, str, str]] = []

    def add(self, row: int | None, subject_id: str, column: str, value: object, problem: str,
            severity: str = "error") -> None:
        self.rows.append((np.nan if row is None else int(row), subject_id, column, str(value), problem, severity))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(REPORT_COLUMNS))
        df["row"] = df["row"].astype("Int64")
        return df


def _read_raw(path: Path, out: _Collector) -> tuple[pd.DataFrame | None, list[int]]:
    """All cells as strings; returns (frame or None, file line of each record)."""
    if not path.exists():
        out.add(None, "", "", str(path), "file not found")
        return None, []
    if path.is_dir():
        out.add(None, "", "", str(path), "is a folder, not a CSV file")
        return None, []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.add(None, "", "", str(path), f"not a UTF-8 text CSV file ({exc.reason} at byte {exc.start})")
        return None, []
    if not text.strip():
        out.add(None, "", "", str(path), "empty file (no header, no rows)")
        return None, []
    if "\x00" in text:
        out.add(None, "", "", str(path), "not a CSV file (contains NUL bytes)")
        return None, []
    try:
        reader = csv.reader(text.splitlines(keepends=True), strict=True)
        header = next(reader)
        records, lines = [], []
        for rec in reader:
            if not rec or all(c == "" for c in rec) and len(rec) <= 1:
                continue  # blank line
            records.append(rec)
            lines.append(reader.line_num)
    except csv.Error as exc:
        out.add(None, "", "", str(path), f"not a readable CSV file ({exc})")
        return None, []
    header = [h.strip() for h in header]
    dup_cols = sorted({h for h in header if header.count(h) > 1})
    for h in dup_cols:
        out.add(1, "", h, h, "column name appears more than once")
    width = len(header)
    fixed = []
    for rec, line in zip(records, lines):
        if len(rec) != width:
            has_id = "subject_id" in header and header.index("subject_id") < len(rec)
            sid = rec[header.index("subject_id")] if has_id else ""
            out.add(line, sid, "", f"{len(rec)} fields", f"row has {len(rec)} fields, header has {width}")
            rec = (rec + [""] * width)[:width]
        fixed.append([c.strip() for c in rec])
    df = pd.DataFrame(fixed, columns=pd.Index(header), dtype=object)
    if dup_cols:
        df = df.loc[:, ~df.columns.duplicated()]
    return df, lines


def _check_image(path: Path) -> str | None:
    """None if ``path`` decodes with the pipeline's decoder (:func:`gvisage_lib.core.images.decode_image`),
    else the reason."""
    from gvisage_lib.core.images import ImageTooLarge, decode_image

    if not path.is_file():
        return "photo file not found"
    try:
        decode_image(path.read_bytes(), name="photo")
    except ImageTooLarge as exc:
        return f"image too large ({str(exc).removeprefix('photo: ')})"
    except ValueError:
        return "not a readable image (OpenCV, the pipeline's decoder, cannot decode it)"
    except OSError as exc:
        return f"photo cannot be read ({exc.strerror or type(exc).__name__})"
    return None


def _check_notebook_columns(present: set[str], needs: tuple[NotebookColumns, ...], out: _Collector) -> None:
    """Errors for columns a notebook needs (beyond the core contract), warnings for absent optional ones."""
    missing: dict[str, list[NotebookColumns]] = {}
    for need in needs:
        for col in need.required:
            if col not in present and col not in schema.REQUIRED_COLUMNS:
                missing.setdefault(col, []).append(need)
    for col, by in missing.items():
        out.add(None, "", col, "", f"missing column needed by {', '.join(n.notebook for n in by)} "
                                   f"({'; '.join(n.purpose for n in by)})")
    skipped: dict[str, list[str]] = {}
    for need in needs:
        for col, what in need.optional:
            if col not in present and col not in missing:
                skipped.setdefault(col, []).append(f"{need.notebook}: {what}")
    for col, whats in skipped.items():
        out.add(None, "", col, "", f"optional column absent ({'; '.join(whats)})", "warning")


def validate_manifest(path: str | os.PathLike[str], *, check_photos: bool = True, workers: int | None = None,
                      notebooks: Sequence[str] | None = None) -> ValidationReport:
    """Check a manifest CSV against the data contract and report every problem at once.

    Parameters
    ----------
    path : path-like
        The manifest CSV. Photo paths in it are relative to its folder.
    check_photos : bool, default True
        Decode every photo with the pipeline's decoder (existence, pixel cap, OpenCV). False checks the table only.
    workers : int, optional
        Threads used to check photos (default: up to 8).
    notebooks : sequence of str, optional
        Notebooks whose columns (:data:`NOTEBOOK_COLUMNS`) must be present: stems or two-digit prefixes, e.g. the
        ones a partial rerun runs. Default: every notebook.

    Returns
    -------
    ValidationReport
        ``.ok`` is False when any error was found. Never raises for a bad file: an unreadable, empty or non-CSV file
        is itself a reported problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "m.csv").write_text("")
    >>> print(validate_manifest(d / "m.csv").errors.problem.iloc[0])
    empty file (no header, no rows)
    """
    p = Path(path)
    needs = notebook_columns(notebooks)
    out = _Collector()
    df, lines = _read_raw(resolve_manifest_path(p), out)
    if df is None:
        return ValidationReport(p, out.frame(), 0)
    rows = np.asarray(lines, dtype=int)
    present = set(df.columns)
    if df.empty:
        out.add(None, "", "", "", "no subjects: the manifest has a header but no rows")
    for col in schema.REQUIRED_COLUMNS:
        if col not in present:
            out.add(None, "", col, "", "missing required column")
    _check_notebook_columns(present, needs, out)
    sid = df["subject_id"].to_numpy(dtype=object) if "subject_id" in present else np.array([""] * len(df), dtype=object)

    # required values present
    for col in schema.REQUIRED_COLUMNS:
        if col in present:
            for i in np.flatnonzero(df[col].to_numpy(dtype=object) == ""):
                out.add(rows[i], sid[i], col, "", "missing value")

    # categorical values
    group = df["group"].to_numpy(dtype=object) if "group" in present else None
    is_nc = (group == "NC") if group is not None else np.zeros(len(df), dtype=bool)
    for col, allowed in CATEGORIES.items():
        if col not in present:
            continue
        vals = df[col].to_numpy(dtype=object)
        for i in np.flatnonzero(~np.isin(vals, list(allowed)) & (vals != "")):
            out.add(rows[i], sid[i], col, vals[i], f"unknown value (allowed: {', '.join(allowed)})")

    # numbers
    for col, (lo, hi) in NUMERIC_RANGES.items():
        if col not in present:
            continue
        raw = df[col].to_numpy(dtype=object)
        num = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero((raw != "") & np.isnan(num)):
            out.add(rows[i], sid[i], col, raw[i], "not a number")
        finite = ~np.isnan(num)
        for i in np.flatnonzero(finite & ~np.isfinite(num)):
            out.add(rows[i], sid[i], col, raw[i], "not a finite number")
        ok = np.isfinite(num)
        for i in np.flatnonzero(ok & (num < 0)):
            out.add(rows[i], sid[i], col, raw[i], "impossible value (negative)")
        for i in np.flatnonzero(ok & (num >= 0) & ((num < lo) | (num > hi))):
            out.add(rows[i], sid[i], col, raw[i], f"impossible value (outside {lo:g} to {hi:g})")
    if "age_years" in present:
        raw = df["age_years"].to_numpy(dtype=object)
        num = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)
        lo, hi = PLAUSIBLE_AGE_YEARS
        ok = np.isfinite(num) & (num >= NUMERIC_RANGES["age_years"][0]) & (num <= NUMERIC_RANGES["age_years"][1])
        for i in np.flatnonzero(ok & ((num < lo) | (num > hi))):
            out.add(rows[i], sid[i], "age_years", raw[i],
                    f"implausible age for this paediatric cohort (outside {lo:g} to {hi:g} years; kept)", "warning")
    for col in schema.SYMPTOM_COLUMNS:
        if col not in present:
            continue
        raw = df[col].to_numpy(dtype=object)
        num = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero((raw != "") & ~np.isin(num, [0.0, 1.0])):
            out.add(rows[i], sid[i], col, raw[i], "symptom must be 0 or 1")

    # duplicates and subjects in two splits
    if "subject_id" in present:
        split = df["split"].to_numpy(dtype=object) if "split" in present else np.array([""] * len(df), dtype=object)
        first: dict[str, int] = {}
        splits_of: dict[str, set[str]] = {}
        for i, s in enumerate(sid):
            if s != "":
                splits_of.setdefault(s, set()).add(split[i])
        for i, s in enumerate(sid):
            if s == "":
                continue
            if s in first:
                j = first[s]
                if len(splits_of[s]) > 1:
                    out.add(rows[i], s, "split", split[i],
                            f"subject in more than one split ({', '.join(sorted(splits_of[s]))}; "
                            f"first at row {rows[j]})")
                else:
                    out.add(rows[i], s, "subject_id", s, f"duplicate subject_id (first at row {rows[j]})")
            else:
                first[s] = i

    # stage classes per split
    if {"group", "split"} <= present:
        for sp in schema.SPLITS:
            groups = set(df.loc[df["split"] == sp, "group"])
            if not groups:
                continue
            if "NC" not in groups or not groups & set(schema.TUMOUR_GROUPS):
                missing = "NC" if "NC" not in groups else "a tumour group (iGCT or other)"
                out.add(None, "", "group", sp, f"split '{sp}' lacks {missing}, needed by stage 1")
            for g in ("iGCT", "other"):
                if g not in groups:
                    out.add(None, "", "group", sp, f"split '{sp}' lacks {g}, needed by stage 2")

    # clinical values on normal controls
    for col in CLINICAL_COLUMNS:
        if col not in present:
            continue
        raw = df[col].to_numpy(dtype=object)
        for i in np.flatnonzero(is_nc & (raw != "")):
            out.add(rows[i], sid[i], col, raw[i], "clinical value on a normal control (ignored)", "warning")

    # photos
    if check_photos:
        base = resolve_manifest_path(p).parent
        jobs: list[tuple[int, str, str, Path]] = []
        for col in schema.PHOTO_COLUMNS:
            if col not in present:
                continue
            vals = df[col].to_numpy(dtype=object)
            for i in np.flatnonzero(vals != ""):
                jobs.append((i, col, vals[i], photo_path(base, vals[i])))
        n_workers = workers or min(8, (os.cpu_count() or 1) * 2)
        with ThreadPoolExecutor(max_workers=max(1, n_workers)) as pool:
            reasons = list(pool.map(lambda job: _check_image(job[3]), jobs))
        for (i, col, val, _), reason in zip(jobs, reasons):
            if reason is not None:
                out.add(rows[i], sid[i], col, val, reason)

    problems = out.frame()
    if not problems.empty:
        problems = problems.sort_values(["row", "column"], na_position="first", kind="stable").reset_index(drop=True)
    return ValidationReport(p, problems, len(df))


def load_manifest(path: str | os.PathLike[str], *, validate: bool = True, check_photos: bool = True,
                  notebooks: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a manifest into a typed DataFrame, validating it first: the one reader of a manifest in the library.

    Cells are stripped of surrounding whitespace (a ``" S01 "`` id is ``"S01"`` in every step), subject ids and the
    other text columns stay strings (``"007"`` keeps its zeros; NaN where empty), numeric and symptom columns become
    float (NaN where empty), and the photo columns become absolute paths with symbolic links followed
    (:func:`photo_path`; ``""`` where empty). Extra columns are kept as read (stripped). The resolved manifest path
    is in ``frame.attrs["manifest_path"]``.

    Parameters
    ----------
    path : path-like
        The manifest CSV (a symbolic link is followed: :func:`resolve_manifest_path`).
    validate : bool, default True
        Run :func:`validate_manifest` first and raise :class:`ManifestError` on any error.
    check_photos : bool, default True
        With ``validate``: decode every photo too (see :func:`validate_manifest`).
    notebooks : sequence of str, optional
        With ``validate``: the notebooks whose columns must be present (default: every notebook).

    Raises
    ------
    ManifestError
        If ``validate`` and the manifest has errors, or if the file cannot be read as CSV at all; the message is the
        full report and ``.report`` holds it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "m.csv").write_text("subject_id,group\\nA,NC\\n")
    >>> try:
    ...     load_manifest(d / "m.csv")
    ... except ManifestError as e:
    ...     print(len(e.report.errors) > 0)
    True
    >>> _ = (d / "m.csv").write_text("subject_id,age_years,photo_1\\n 007 , 9,a.jpg\\n")
    >>> df = load_manifest(d / "m.csv", validate=False)
    >>> df.subject_id.tolist(), df.age_years.tolist(), df.photo_1.iloc[0] == str(d.resolve() / "a.jpg")
    (['007'], [9.0], True)
    """
    p = Path(path)
    if validate:
        report = validate_manifest(p, check_photos=check_photos, notebooks=notebooks)
        if not report.ok:
            raise ManifestError(report)
    real = resolve_manifest_path(p)
    out = _Collector()
    df, _ = _read_raw(real, out)
    if df is None:
        raise ManifestError(ValidationReport(p, out.frame(), 0))
    for col in df.columns:
        if col in NUMERIC_RANGES or col in schema.SYMPTOM_COLUMNS:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        elif col in schema.PHOTO_COLUMNS:
            df[col] = [str(photo_path(real.parent, v)) if v != "" else "" for v in df[col].astype(str)]
        elif col != "subject_id":
            df[col] = df[col].where(df[col] != "", np.nan)
    df = df.reset_index(drop=True)
    df.attrs["manifest_path"] = str(real)
    return df


def manifest_hashes(manifest_path: str | os.PathLike[str]) -> dict[str, Any]:
    """SHA-256 of the manifest file and one combined SHA-256 over every photo it references.

    The run record's fingerprint of the cohort (``run.json``'s ``data``). The manifest is read with
    :func:`load_manifest`, so the photos hashed are the ones every step reads. The photo digest hashes, in manifest
    order, each photo's subject id, photo column and file digest, so a changed
    photo, or photos swapped between subjects or slots, change it; renaming a file (and its manifest entry) does not.
    Missing photos are recorded as ``missing``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "m.csv").write_text("subject_id,photo_1\\nS1,\\n")
    >>> sorted(manifest_hashes(d / "m.csv"))
    ['manifest_sha256', 'n_photos', 'photos_sha256']
    """
    path = Path(manifest_path)
    df = load_manifest(path, validate=False)
    combined = hashlib.sha256()
    n = 0
    for _, row in df.iterrows():
        for col in schema.PHOTO_COLUMNS:
            photo = row.get(col, "")
            if not photo:
                continue
            digest = sha256_file(photo) if Path(photo).is_file() else "missing"
            combined.update(f"{row.get('subject_id', '')}\t{col}\t{digest}\n".encode())
            n += 1
    return {"manifest_sha256": sha256_file(path), "photos_sha256": combined.hexdigest(), "n_photos": n}
