"""What a run records about itself: parameters, seed, code version, package versions and data hashes.

They go into the run record, ``run.json`` (:class:`gvisage_lib.core.record.RunRecord`), which
:func:`gvisage_lib.run.pipeline.reproduce` writes at the start of a run (status ``running``), around each notebook,
and at the end (``succeeded`` or ``failed``), always atomically.

Examples
--------
>>> v = package_versions(["numpy"])
>>> sorted(v) == ["numpy"]
True
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from gvisage_lib.core.io import sha256_file

#: Distributions whose versions every run records.
RECORDED_PACKAGES: tuple[str, ...] = (
    "gvisage", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "pingouin", "matplotlib", "seaborn",
    "pyarrow", "papermill", "nbclient", "nbconvert", "ipykernel", "opencv-python-headless", "torch", "torchvision",
    "captum", "pillow", "joblib", "dask", "distributed",
)


def package_versions(names: Iterable[str] = RECORDED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution in ``names`` (None when not installed).

    Examples
    --------
    >>> package_versions(["surely-not-installed-xyz"])
    {'surely-not-installed-xyz': None}
    """
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_state(repo: str | os.PathLike[str]) -> dict[str, Any]:
    """Commit hash of ``repo`` and whether tracked files differ from it (None when not a git checkout).

    Examples
    --------
    >>> import tempfile
    >>> git_state(tempfile.mkdtemp())["commit"] is None
    True
    """
    def run(*args: str) -> str | None:
        try:
            res = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return res.stdout.strip() if res.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    dirty = None
    if commit is not None:
        status = run("status", "--porcelain", "--untracked-files=no")
        dirty = bool(status) if status is not None else None
    return {"commit": commit, "dirty": dirty}


def output_hashes(root: str | os.PathLike[str],
                  patterns: Iterable[str] = ("tables/*.csv", "*.parquet")) -> dict[str, str]:
    """SHA-256 of the run's tabular outputs, keyed by path relative to ``root`` (for determinism checks).

    Examples
    --------
    >>> import tempfile
    >>> output_hashes(tempfile.mkdtemp())
    {}
    """
    base = Path(root)
    files = sorted({p for pat in patterns for p in base.glob(pat) if p.is_file()})
    return {str(p.relative_to(base)): sha256_file(p) for p in files}


def environment_info() -> dict[str, Any]:
    """Python, platform and CPU facts of this machine, and the CUDA device when PyTorch sees one.

    Examples
    --------
    >>> sorted(environment_info())[:3]
    ['cpu_count', 'cuda_device', 'machine']
    """
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cuda_device": None,
    }
    try:
        import torch

        if torch.cuda.is_available():
            info["cuda_device"] = torch.cuda.get_device_name(0)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return info
