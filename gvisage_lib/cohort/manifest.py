"""Read and validate a cohort manifest (docs/data.md): every problem reported at once, nothing written.

The contract itself (columns, categories, numeric ranges, plausible ages) is :mod:`gvisage_lib.core.schema`; this
module checks a file against it, one rule function per check (:data:`TABLE_RULES`, then the photo rules).

Conventions of the report
-------------------------
* ``row`` is the line of the record in the CSV file counting the header as row 1, so the first subject is row 2
  (what a spreadsheet shows). File-level problems (unreadable file, missing column, a split lacking a class) have an
  empty row.
* A ``subject_id`` repeated within ONE split is a "duplicate subject_id"; repeated across DIFFERENT splits it is a
  "subject in more than one split" (a leakage error, reported instead of the duplicate). Each occurrence after the
  first is reported, naming the row of the first.
* The same photo content (SHA-256 of the file's bytes, whatever the file names) under two subjects in different
  splits is a leakage error; under two subjects of one split, or twice within one subject (one photo given as
  several views), a warning. Each occurrence after the first is reported, naming the row and column it repeats.
* One reader, :func:`load_manifest`, is the only way the library reads a manifest (validation, privacy guard,
  preprocessing, training, tables, provenance): cells stripped of surrounding whitespace once, numbers typed, photo
  paths made absolute. It and :func:`validate_manifest` parse the file with the same function, once per call. A
  manifest that is a symbolic link is read where it points (:func:`resolve_manifest_path`): its ``twin.json`` and
  relative photo paths are looked up beside the file it points to, by every step alike.
* A header that parses as one column holding a semicolon, tab or pipe is one error saying which delimiter the file
  seems to use (a manifest is comma-separated), instead of a "missing column" per column.
* Photo paths are relative to the manifest's folder (absolute paths are accepted). ``photo_1`` is required; empty
  ``photo_2..4`` are allowed. Each non-empty path must exist and decode with the pipeline's own decoder
  (:func:`gvisage_lib.core.images.decode_image`: OpenCV, after a header check of the pixel count against
  :data:`gvisage_lib.core.images.MAX_IMAGE_PIXELS`), so a photo that validates is one preprocessing can read.
* Columns each notebook needs are declared in :data:`NOTEBOOK_COLUMNS`; a missing one is an error naming the
  notebook, a missing optional one a warning saying what that notebook skips. A manifest without any subject
  (header only) is an error.
* Ages outside :data:`gvisage_lib.core.schema.PLAUSIBLE_AGE_YEARS` (a paediatric cohort) are warnings; negative
  ones, or above 120, errors.
* Splits that are present must hold the classes of both stages: NC and a tumour group (stage 1), iGCT and other
  (stage 2). An absent split is not an error (a user's cohort may have no test split).
* Clinical values on a normal control are a warning, one row per value; so is a blank ``hpt_damage`` on a tumour row
  (:data:`gvisage_lib.core.schema.TUMOUR_EXPECTED`: notebook 06 leaves the subject out of Table 3's strata). Extra
  columns are kept and ignored.
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


def photo_paths(manifest_dir: str | os.PathLike[str], values: Sequence[str]) -> list[Path]:
    """:func:`photo_path` of many cells: the same paths, each distinct folder resolved once.

    ``Path.resolve`` looks up every component of a path; a cohort's photos share a few folders, so the folder is
    resolved once and the file name appended, unless the file is itself a symbolic link (then it is resolved whole).
    On the twin's 5,580 photos :func:`load_manifest` takes about a quarter of the time it took with one
    :func:`photo_path` per cell (0.055 s against 0.207 s, medians of 5).

    Examples
    --------
    >>> [p.as_posix() for p in photo_paths("/data/cohort", ["photos/a.jpg", "/x/b.jpg"])]
    ['/data/cohort/photos/a.jpg', '/x/b.jpg']
    """
    return [Path(p) for p in _photo_strings(manifest_dir, values)]


def _photo_strings(manifest_dir: str | os.PathLike[str], values: Sequence[str]) -> list[str]:
    """:func:`photo_paths` as strings, with string operations (a ``Path`` per cell costs more than the lookup)."""
    base = os.fspath(manifest_dir)
    folders: dict[str, str] = {}
    out = []
    for value in values:
        full = os.path.expanduser(value)
        full = full if os.path.isabs(full) else os.path.join(base, full)
        head, name = os.path.split(full)
        if name in ("", ".", "..") or os.path.islink(full):
            out.append(str(Path(full).resolve()))
            continue
        if head not in folders:
            folders[head] = str(Path(head).resolve())
        out.append(os.path.join(folders[head], name))
    return out


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


@dataclass(frozen=True)
class _Sheet:
    """A manifest as read by :func:`_read_sheet`: every cell a stripped string, before any typing.

    Attributes
    ----------
    path : pathlib.Path
        The resolved manifest file (photo paths are relative to its folder).
    frame : pandas.DataFrame
        One row per record, every cell a string (``""`` where empty).
    rows : numpy.ndarray
        The file line of each record (header = 1).
    usable : bool
        False when the header cannot be the contract's (one column holding another delimiter): the records are
        counted, not checked.
    """

    path: Path
    frame: pd.DataFrame
    rows: np.ndarray
    usable: bool = True

    @property
    def present(self) -> set[str]:
        """The column names of the file."""
        return set(self.frame.columns)

    def cells(self, column: str) -> np.ndarray:
        """The cells of ``column`` as an object array (all ``""`` when the column is absent)."""
        if column in self.frame.columns:
            return self.frame[column].to_numpy(dtype=object)
        return np.array([""] * len(self.frame), dtype=object)

    def numbers(self, column: str) -> np.ndarray:
        """The cells of ``column`` as floats (NaN where empty or not a number)."""
        return pd.to_numeric(pd.Series(self.cells(column)), errors="coerce").to_numpy(dtype=float)

    @property
    def subject_ids(self) -> np.ndarray:
        """The ``subject_id`` cells."""
        return self.cells("subject_id")


#: Delimiters a spreadsheet may have used instead of the comma, by name (the hint for a one-column header).
_OTHER_DELIMITERS: dict[str, str] = {";": "semicolon", "\t": "tab", "|": "pipe"}


def _read_sheet(path: Path, out: _Collector) -> _Sheet | None:
    """Read ``path`` (resolved) into a :class:`_Sheet`; None, with the reason in ``out``, when it is not a CSV file.
    The one parser of a manifest file: validation and :func:`load_manifest` both use it."""
    text = _read_text(path, out)
    if text is None:
        return None
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
        return None
    header = [h.strip() for h in header]
    used = [name for d, name in _OTHER_DELIMITERS.items() if d in header[0]] if len(header) == 1 else []
    if used:
        out.add(1, "", "", header[0], f"the header reads as one column: the file looks {used[0]}-separated; a "
                                      "manifest is comma-separated (save it as CSV with commas)")
        return _Sheet(path, pd.DataFrame(index=range(len(records))), np.asarray(lines, dtype=int), usable=False)
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
    return _Sheet(path, df, np.asarray(lines, dtype=int))


def _read_text(path: Path, out: _Collector) -> str | None:
    """The file's text (UTF-8, a byte-order mark accepted); None, with the reason in ``out``, if it has none."""
    if not path.exists():
        out.add(None, "", "", str(path), "file not found")
        return None
    if path.is_dir():
        out.add(None, "", "", str(path), "is a folder, not a CSV file")
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.add(None, "", "", str(path), f"not a UTF-8 text CSV file ({exc.reason} at byte {exc.start})")
        return None
    if not text.strip():
        out.add(None, "", "", str(path), "empty file (no header, no rows)")
        return None
    if "\x00" in text:
        out.add(None, "", "", str(path), "not a CSV file (contains NUL bytes)")
        return None
    return text


# --- rules: each checks one thing of the contract and adds its problems to the collector --------------------------


def _rule_columns(sheet: _Sheet, out: _Collector, needs: tuple[NotebookColumns, ...]) -> None:
    """No subjects; missing required columns; columns a notebook needs (errors) or can do without (warnings)."""
    present = sheet.present
    if sheet.frame.empty:
        out.add(None, "", "", "", "no subjects: the manifest has a header but no rows")
    for col in schema.REQUIRED_COLUMNS:
        if col not in present:
            out.add(None, "", col, "", "missing required column")
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


def _rule_required_values(sheet: _Sheet, out: _Collector) -> None:
    """An empty cell in a required column."""
    sid = sheet.subject_ids
    for col in schema.REQUIRED_COLUMNS:
        if col in sheet.present:
            for i in np.flatnonzero(sheet.cells(col) == ""):
                out.add(sheet.rows[i], sid[i], col, "", "missing value")


def _rule_categories(sheet: _Sheet, out: _Collector) -> None:
    """A categorical cell outside :data:`gvisage_lib.core.schema.CATEGORIES`."""
    sid = sheet.subject_ids
    for col, allowed in schema.CATEGORIES.items():
        if col in sheet.present:
            vals = sheet.cells(col)
            for i in np.flatnonzero(~np.isin(vals, list(allowed)) & (vals != "")):
                out.add(sheet.rows[i], sid[i], col, vals[i], f"unknown value (allowed: {', '.join(allowed)})")


def _rule_numbers(sheet: _Sheet, out: _Collector) -> None:
    """A numeric cell that does not parse, is not finite, or lies outside
    :data:`gvisage_lib.core.schema.NUMERIC_RANGES`."""
    sid, rows = sheet.subject_ids, sheet.rows
    for col, (lo, hi) in schema.NUMERIC_RANGES.items():
        if col not in sheet.present:
            continue
        raw, num = sheet.cells(col), sheet.numbers(col)
        for i in np.flatnonzero((raw != "") & np.isnan(num)):
            out.add(rows[i], sid[i], col, raw[i], "not a number")
        for i in np.flatnonzero(~np.isnan(num) & ~np.isfinite(num)):
            out.add(rows[i], sid[i], col, raw[i], "not a finite number")
        ok = np.isfinite(num)
        for i in np.flatnonzero(ok & (num < 0)):
            out.add(rows[i], sid[i], col, raw[i], "impossible value (negative)")
        for i in np.flatnonzero(ok & (num >= 0) & ((num < lo) | (num > hi))):
            out.add(rows[i], sid[i], col, raw[i], f"impossible value (outside {lo:g} to {hi:g})")


def _rule_plausible_age(sheet: _Sheet, out: _Collector) -> None:
    """A possible age outside :data:`gvisage_lib.core.schema.PLAUSIBLE_AGE_YEARS` (a warning)."""
    if "age_years" not in sheet.present:
        return
    raw, num = sheet.cells("age_years"), sheet.numbers("age_years")
    lo, hi = schema.PLAUSIBLE_AGE_YEARS
    low, high = schema.NUMERIC_RANGES["age_years"]
    ok = np.isfinite(num) & (num >= low) & (num <= high)
    for i in np.flatnonzero(ok & ((num < lo) | (num > hi))):
        out.add(sheet.rows[i], sheet.subject_ids[i], "age_years", raw[i],
                f"implausible age for this paediatric cohort (outside {lo:g} to {hi:g} years; kept)", "warning")


def _rule_symptoms(sheet: _Sheet, out: _Collector) -> None:
    """A symptom cell other than 0, 1 or empty."""
    for col in schema.SYMPTOM_COLUMNS:
        if col in sheet.present:
            raw, num = sheet.cells(col), sheet.numbers(col)
            for i in np.flatnonzero((raw != "") & ~np.isin(num, schema.SYMPTOM_VALUES)):
                out.add(sheet.rows[i], sheet.subject_ids[i], col, raw[i], "symptom must be 0 or 1")


def _rule_subject_ids(sheet: _Sheet, out: _Collector) -> None:
    """A ``subject_id`` repeated within one split (duplicate) or across splits (leakage), naming the first row."""
    if "subject_id" not in sheet.present:
        return
    sid, split, rows = sheet.subject_ids, sheet.cells("split"), sheet.rows
    splits_of: dict[str, set[str]] = {}
    for s, sp in zip(sid, split):
        if s != "":
            splits_of.setdefault(s, set()).add(sp)
    first: dict[str, int] = {}
    for i, s in enumerate(sid):
        if s == "":
            continue
        if s not in first:
            first[s] = i
        elif len(splits_of[s]) > 1:
            in_splits = ", ".join(sorted(splits_of[s]))
            out.add(rows[i], s, "split", split[i],
                    f"subject in more than one split ({in_splits}; first at row {rows[first[s]]})")
        else:
            out.add(rows[i], s, "subject_id", s, f"duplicate subject_id (first at row {rows[first[s]]})")


def _rule_stage_classes(sheet: _Sheet, out: _Collector) -> None:
    """A present split lacking the classes of stage 1 (NC and a tumour group) or stage 2 (iGCT and other)."""
    if not {"group", "split"} <= sheet.present:
        return
    df = sheet.frame
    for sp in schema.SPLITS:
        groups = set(df.loc[df["split"] == sp, "group"])
        if not groups:
            continue
        if "NC" not in groups or not groups & set(schema.TUMOUR_GROUPS):
            missing = "NC" if "NC" not in groups else "a tumour group (iGCT or other)"
            out.add(None, "", "group", sp, f"split '{sp}' lacks {missing}, needed by stage 1")
        for g in schema.TUMOUR_GROUPS:
            if g not in groups:
                out.add(None, "", "group", sp, f"split '{sp}' lacks {g}, needed by stage 2")


def _rule_clinical_by_group(sheet: _Sheet, out: _Collector) -> None:
    """Warnings: a clinical value on a normal control (ignored); a blank cell of
    :data:`gvisage_lib.core.schema.TUMOUR_EXPECTED` on a tumour row (the analysis that leaves the subject out)."""
    group, sid, rows = sheet.cells("group"), sheet.subject_ids, sheet.rows
    is_nc, is_tumour = group == "NC", np.isin(group, list(schema.TUMOUR_GROUPS))
    for col in schema.TUMOUR_COLUMNS:
        if col in sheet.present:
            raw = sheet.cells(col)
            for i in np.flatnonzero(is_nc & (raw != "")):
                out.add(rows[i], sid[i], col, raw[i], "clinical value on a normal control (ignored)", "warning")
    for col, consequence in schema.TUMOUR_EXPECTED.items():
        if col in sheet.present:
            for i in np.flatnonzero(is_tumour & (sheet.cells(col) == "")):
                out.add(rows[i], sid[i], col, "", f"missing value on a tumour row ({consequence})", "warning")


#: The rules that read the table only, in the order they run (the photo rules follow with ``check_photos``).
TABLE_RULES = (_rule_required_values, _rule_categories, _rule_numbers, _rule_plausible_age, _rule_symptoms,
               _rule_subject_ids, _rule_stage_classes, _rule_clinical_by_group)


def _check_image(path: Path) -> tuple[str | None, str]:
    """``(reason, digest)``: reason is None if ``path`` decodes with the pipeline's decoder
    (:func:`gvisage_lib.core.images.decode_image`); digest is the SHA-256 of its bytes ("" if unread)."""
    from gvisage_lib.core.images import ImageTooLarge, decode_image

    if not path.is_file():
        return "photo file not found", ""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"photo cannot be read ({exc.strerror or type(exc).__name__})", ""
    digest = hashlib.sha256(data).hexdigest()
    try:
        decode_image(data, name="photo")
    except ImageTooLarge as exc:
        return f"image too large ({str(exc).removeprefix('photo: ')})", digest
    except ValueError:
        return "not a readable image (OpenCV, the pipeline's decoder, cannot decode it)", digest
    return None, digest


@dataclass(frozen=True)
class _Photo:
    """One non-empty photo cell: record index, column, cell value and the SHA-256 of the file's bytes."""

    index: int
    column: str
    value: str
    digest: str


def _rule_photos(sheet: _Sheet, out: _Collector, workers: int | None) -> list[_Photo]:
    """Every non-empty photo cell must name a file the pipeline's decoder reads; returns the photos read."""
    jobs: list[tuple[int, str, str, Path]] = []
    for col in schema.PHOTO_COLUMNS:
        vals = sheet.cells(col)
        rows = np.flatnonzero(vals != "")
        for i, path in zip(rows, photo_paths(sheet.path.parent, [vals[i] for i in rows])):
            jobs.append((int(i), col, vals[i], path))
    n_workers = workers or min(8, (os.cpu_count() or 1) * 2)
    with ThreadPoolExecutor(max_workers=max(1, n_workers)) as pool:
        checked = list(pool.map(lambda job: _check_image(job[3]), jobs))
    photos = []
    for (i, col, val, _), (reason, digest) in zip(jobs, checked):
        if reason is not None:
            out.add(sheet.rows[i], sheet.subject_ids[i], col, val, reason)
        if digest:
            photos.append(_Photo(i, col, val, digest))
    return photos


def _rule_shared_photos(sheet: _Sheet, out: _Collector, photos: list[_Photo]) -> None:
    """The same photo content (SHA-256 of the bytes) twice: under subjects of different splits an error (leakage),
    under two subjects of one split a warning, within one subject a warning (a repeated view). Each occurrence after
    the first is reported against the earliest one it conflicts with."""
    sid, split, rows = sheet.subject_ids, sheet.cells("split"), sheet.rows
    seen: dict[str, list[_Photo]] = {}
    for ph in sorted(photos, key=lambda p: (p.index, p.column)):
        earlier = seen.setdefault(ph.digest, [])
        s, sp = sid[ph.index], split[ph.index]
        others = [e for e in earlier if sid[e.index] != s]
        leak = [e for e in others if split[e.index] != sp]
        if leak:
            e = leak[0]
            out.add(rows[ph.index], s, ph.column, ph.value,
                    f"same photo as row {rows[e.index]}, {e.column} (subject {sid[e.index]}, split "
                    f"{split[e.index]}): a photo in two splits leaks between training and evaluation")
        elif others:
            e = others[0]
            out.add(rows[ph.index], s, ph.column, ph.value,
                    f"same photo as row {rows[e.index]}, {e.column} (subject {sid[e.index]}, same split): two "
                    "subjects share a photo", "warning")
        elif earlier:
            out.add(rows[ph.index], s, ph.column, ph.value,
                    f"same photo as {earlier[0].column} of this subject: a repeated view, not another one", "warning")
        earlier.append(ph)


def _check_sheet(sheet: _Sheet, out: _Collector, *, check_photos: bool, workers: int | None,
                 needs: tuple[NotebookColumns, ...]) -> None:
    """Run every rule on ``sheet``."""
    _rule_columns(sheet, out, needs)
    for rule in TABLE_RULES:
        rule(sheet, out)
    if check_photos:
        _rule_shared_photos(sheet, out, _rule_photos(sheet, out, workers))


def _report(path: Path, out: _Collector, n_subjects: int) -> ValidationReport:
    problems = out.frame()
    if not problems.empty:
        problems = problems.sort_values(["row", "column"], na_position="first", kind="stable").reset_index(drop=True)
    return ValidationReport(path, problems, n_subjects)


def validate_manifest(path: str | os.PathLike[str], *, check_photos: bool = True, workers: int | None = None,
                      notebooks: Sequence[str] | None = None) -> ValidationReport:
    """Check a manifest CSV against the data contract and report every problem at once.

    Parameters
    ----------
    path : path-like
        The manifest CSV. Photo paths in it are relative to its folder.
    check_photos : bool, default True
        Decode every photo with the pipeline's decoder (existence, pixel cap, OpenCV) and compare the photos' contents
        (SHA-256) across and within subjects. False checks the table only.
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
    >>> _ = (d / "m.csv").write_text("subject_id;group;split\\nA;NC;train\\n")
    >>> print(validate_manifest(d / "m.csv").errors.problem.iloc[0][:66])
    the header reads as one column: the file looks semicolon-separated
    """
    p = Path(path)
    needs = notebook_columns(notebooks)
    out = _Collector()
    sheet = _read_sheet(resolve_manifest_path(p), out)
    if sheet is None:
        return _report(p, out, 0)
    if sheet.usable:
        _check_sheet(sheet, out, check_photos=check_photos, workers=workers, needs=needs)
    return _report(p, out, len(sheet.frame))


def _typed(sheet: _Sheet) -> pd.DataFrame:
    """The typed frame of :func:`load_manifest` from a sheet."""
    df = sheet.frame.copy()
    for col in df.columns:
        if col in schema.NUMERIC_RANGES or col in schema.SYMPTOM_COLUMNS:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
        elif col in schema.PHOTO_COLUMNS:
            cells = df[col].astype(str).tolist()
            resolved = iter(_photo_strings(sheet.path.parent, [v for v in cells if v != ""]))
            df[col] = [next(resolved) if v != "" else "" for v in cells]
        elif col != "subject_id":
            df[col] = df[col].where(df[col] != "", np.nan)
    df = df.reset_index(drop=True)
    df.attrs["manifest_path"] = str(sheet.path)
    return df


def load_manifest(path: str | os.PathLike[str], *, validate: bool = True, check_photos: bool = True,
                  notebooks: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a manifest into a typed DataFrame, validating it first: the one reader of a manifest in the library.

    The file is parsed once (the parser :func:`validate_manifest` uses too), checked, then typed: cells are stripped
    of surrounding whitespace (a ``" S01 "`` id is ``"S01"`` in every step), subject ids and the
    other text columns stay strings (``"007"`` keeps its zeros; NaN where empty), numeric and symptom columns become
    float (NaN where empty), and the photo columns become absolute paths with symbolic links followed
    (:func:`photo_path`; ``""`` where empty). Extra columns are kept as read (stripped). The resolved manifest path
    is in ``frame.attrs["manifest_path"]``.

    Parameters
    ----------
    path : path-like
        The manifest CSV (a symbolic link is followed: :func:`resolve_manifest_path`).
    validate : bool, default True
        Run the checks of :func:`validate_manifest` first and raise :class:`ManifestError` on any error.
    check_photos : bool, default True
        With ``validate``: decode and compare the photos too (see :func:`validate_manifest`).
    notebooks : sequence of str, optional
        With ``validate``: the notebooks whose columns must be present (default: every notebook).

    Raises
    ------
    ManifestError
        If ``validate`` and the manifest has errors, or if the file cannot be read as a comma-separated file at all;
        the message is the full report and ``.report`` holds it.

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
    needs = notebook_columns(notebooks) if validate else ()
    out = _Collector()
    sheet = _read_sheet(resolve_manifest_path(p), out)
    if sheet is None or not sheet.usable:
        raise ManifestError(_report(p, out, 0 if sheet is None else len(sheet.frame)))
    if validate:
        _check_sheet(sheet, out, check_photos=check_photos, workers=None, needs=needs)
        _report(p, out, len(sheet.frame)).raise_for_errors()
    return _typed(sheet)


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
