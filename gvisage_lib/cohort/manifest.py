"""Read and validate a cohort manifest (docs/data.md): every problem reported at once, nothing written.

Conventions of the report
-------------------------
* ``row`` is the line of the record in the CSV file counting the header as row 1, so the first subject is row 2
  (what a spreadsheet shows). File-level problems (unreadable file, missing column, a split lacking a class) have an
  empty row.
* A ``subject_id`` repeated within ONE split is a "duplicate subject_id"; repeated across DIFFERENT splits it is a
  "subject in more than one split" (a leakage error, reported instead of the duplicate). Each occurrence after the
  first is reported, naming the row of the first.
* Photo paths are relative to the manifest's folder (absolute paths are accepted). ``photo_1`` is required; empty
  ``photo_2..4`` are allowed. Each non-empty path must exist and open as an image (PIL ``verify``, which reads the
  header and structure without decoding pixels).
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
>>> sorted(set(rep.errors.problem.str.split(" [(]", regex=True).str[0]))[:2]
['missing required column', 'unknown value']
"""

from __future__ import annotations

import csv
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gvisage_lib.core import schema

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
            sid = rec[header.index("subject_id")] if "subject_id" in header and header.index("subject_id") < len(rec) else ""
            out.add(line, sid, "", f"{len(rec)} fields", f"row has {len(rec)} fields, header has {width}")
            rec = (rec + [""] * width)[:width]
        fixed.append([c.strip() for c in rec])
    df = pd.DataFrame(fixed, columns=pd.Index(header), dtype=object)
    if dup_cols:
        df = df.loc[:, ~df.columns.duplicated()]
    return df, lines


def _check_image(path: Path) -> str | None:
    """None if ``path`` is a readable image, else the reason."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return "photo file not found"
    try:
        with Image.open(path) as im:
            im.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"not a readable image ({type(exc).__name__})"
    return None


def validate_manifest(path: str | os.PathLike[str], *, check_photos: bool = True,
                      workers: int | None = None) -> ValidationReport:
    """Check a manifest CSV against the data contract and report every problem at once.

    Parameters
    ----------
    path : path-like
        The manifest CSV. Photo paths in it are relative to its folder.
    check_photos : bool, default True
        Open every photo (existence and PIL ``verify``). False checks the columns only.
    workers : int, optional
        Threads used to check photos (default: up to 8).

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
    out = _Collector()
    df, lines = _read_raw(p, out)
    if df is None:
        return ValidationReport(p, out.frame(), 0)
    rows = np.asarray(lines, dtype=int)
    present = set(df.columns)
    for col in schema.REQUIRED_COLUMNS:
        if col not in present:
            out.add(None, "", col, "", "missing required column")
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
                            f"subject in more than one split ({', '.join(sorted(splits_of[s]))}; first at row {rows[j]})")
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
        base = p.parent
        jobs: list[tuple[int, str, str, Path]] = []
        for col in schema.PHOTO_COLUMNS:
            if col not in present:
                continue
            vals = df[col].to_numpy(dtype=object)
            for i in np.flatnonzero(vals != ""):
                q = Path(vals[i])
                jobs.append((i, col, vals[i], q if q.is_absolute() else base / q))
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


def load_manifest(path: str | os.PathLike[str], *, validate: bool = True) -> pd.DataFrame:
    """Read a manifest into a typed DataFrame, validating it first.

    Numeric and symptom columns become float (NaN where empty), categorical and text columns strings (NaN where
    empty); the photo columns stay strings ("" where empty). Extra columns are kept as read.

    Parameters
    ----------
    path : path-like
        The manifest CSV.
    validate : bool, default True
        Run :func:`validate_manifest` first and raise :class:`ManifestError` on any error.

    Raises
    ------
    ManifestError
        If ``validate`` and the manifest has errors; the message is the full report and ``.report`` holds it.

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
    """
    p = Path(path)
    if validate:
        report = validate_manifest(p)
        if not report.ok:
            raise ManifestError(report)
    out = _Collector()
    df, _ = _read_raw(p, out)
    if df is None:
        raise ManifestError(ValidationReport(p, out.frame(), 0))
    for col in df.columns:
        if col in NUMERIC_RANGES or col in schema.SYMPTOM_COLUMNS:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        elif col in schema.PHOTO_COLUMNS:
            df[col] = df[col].astype(str)
        else:
            df[col] = df[col].where(df[col] != "", np.nan)
    return df.reset_index(drop=True)
