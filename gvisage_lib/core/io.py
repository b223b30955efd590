"""Atomic file writing and content hashing.

Every output of the pipeline is written to a temporary file in the destination folder and moved into place with
:func:`os.replace`, so that a crash never leaves a half-written table, figure or checkpoint behind. The temporary
file is created private (mode 0600, :func:`tempfile.mkstemp`); before it is moved into place it gets the mode an
ordinary ``open(path, "w")`` would give a new file, ``0o666`` less the process's umask, so that outputs can be shared
the way the user's umask says (0644 under the common 022, 0664 under 002).

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> p = write_csv(pd.DataFrame({"a": [1, 2]}), d / "t.csv")
>>> p.read_text().splitlines()[0]
'a'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd


def file_mode() -> int:
    """The mode a new file gets under the process's umask: ``0o666 & ~umask``.

    The umask is read from ``/proc/self/status`` where the kernel reports it (Linux); elsewhere it is read by setting
    and restoring it at once (:func:`os.umask` has no read-only form).

    Examples
    --------
    >>> import os
    >>> old = os.umask(0o027)
    >>> oct(file_mode())
    '0o640'
    >>> _ = os.umask(old)
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``, on error delete it.

    The file moved into place has the mode of :func:`file_mode` (the umask's), not the temporary file's 0600.

    Parameters
    ----------
    path : path-like
        Final destination. Its parent folder is created if missing.
    suffix : str, optional
        Suffix of the temporary file (some writers infer the format from it). Defaults to ``path``'s suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> dest = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_path(dest) as tmp:
    ...     _ = tmp.write_text("hi")
    >>> dest.read_text()
    'hi'
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix if suffix is not None else dest.suffix,
                                    dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, file_mode())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing that replaces ``path`` when the block ends without error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> dest = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_open(dest) as fh:
    ...     _ = fh.write("ok")
    >>> dest.read_text()
    'ok'
    """
    if not any(m in mode for m in "wax"):
        raise ValueError(f"mode must be a writing mode, got {mode!r}")
    with atomic_path(path) as tmp, open(tmp, mode.replace("x", "w").replace("a", "w"), **kwargs) as fh:
        yield fh


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8) and return the path."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return Path(path)


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_json(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``obj`` as indented, key-sorted JSON atomically and return the path."""
    return write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write ``df`` as CSV atomically (no index unless asked, ``\\n`` line ends) and return the path."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    with atomic_path(path) as tmp:
        df.to_csv(tmp, **kwargs)
    return Path(path)


def write_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` as Parquet atomically (no index) and return the path."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


def save_figure(fig: Any, path_stem: str | os.PathLike[str], formats: tuple[str, ...] = ("png", "pdf"),
                dpi: int = 300) -> list[Path]:
    """Save a matplotlib figure under ``path_stem`` in each format, atomically; return the written paths.

    PNG at ``dpi`` (300 by default: print resolution, as journals ask); PDF (and PS/EPS) with the fonts embedded as
    TrueType (``pdf.fonttype`` 42), which viewers render crisply and editors can edit, instead of matplotlib's
    default Type 3 bitmaps-as-glyphs. The PDF carries no creation date, so the same figure gives the same bytes.

    Examples
    --------
    >>> import tempfile, pathlib, matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> paths = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "demo")
    >>> sorted(p.suffix for p in paths)
    ['.pdf', '.png']
    """
    import matplotlib

    stem = Path(path_stem)
    written = []
    with matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42}):
        for fmt in formats:
            dest = stem.with_name(f"{stem.name}.{fmt}")
            metadata = {"CreationDate": None} if fmt == "pdf" else ({"Software": None} if fmt == "png" else None)
            with atomic_path(dest) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
            written.append(dest)
    return written


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:12]
    'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
