"""The pipeline's notebooks: where they are, their run order (``NN_name.ipynb``) and their titles.

Examples
--------
>>> [p.name for p in list_notebooks()][:1]
['01_cohort.ipynb']
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

__all__ = ["NOTEBOOK_DIR", "STUDY_NOTEBOOKS", "list_notebooks", "notebook_title"]

#: The repository's numbered notebooks.
def _notebook_dir() -> Path:
    """The repository's ``notebooks/`` in a checkout; otherwise the copy installed in the package.

    The wheel ships the notebooks as package data (``gvisage_lib/notebooks`` is a link to the repository's folder),
    so an installed ``gvisage`` finds them without a checkout.
    """
    root = Path(__file__).resolve().parents[2]
    checkout = root / "notebooks"
    if checkout.is_dir() and (root / "pyproject.toml").is_file():
        return checkout
    return Path(__file__).resolve().parents[1] / "notebooks"


NOTEBOOK_DIR = _notebook_dir()
_NB_NAME = re.compile(r"^(\d\d)_[A-Za-z0-9_]+\.ipynb$")
#: Numbered notebooks that are not steps of a run: notebook 08 summarises a replicate study (a folder of runs,
#: ``gvisage replicate``), so ``gvisage reproduce`` never runs it and a run's record and pages never list it.
STUDY_NOTEBOOKS: frozenset[str] = frozenset({"08_replicates.ipynb"})


def list_notebooks(directory: str | os.PathLike[str] | None = None) -> list[Path]:
    """The pipeline's notebooks (``NN_name.ipynb``) in run order, those of :data:`STUDY_NOTEBOOKS` left out.

    Examples
    --------
    >>> all(p.suffix == ".ipynb" for p in list_notebooks())
    True
    >>> "08_replicates.ipynb" in [p.name for p in list_notebooks()]
    False
    """
    folder = Path(NOTEBOOK_DIR if directory is None else directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"notebook folder {folder} does not exist")
    return sorted(p for p in folder.iterdir() if _NB_NAME.match(p.name) and p.name not in STUDY_NOTEBOOKS)


def notebook_title(nb: Any, default: str = "") -> str:
    """The first heading of a notebook (its first markdown line starting with ``#``), without the markup.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · Cohort: *Table 1*\\n\\ntext")])
    >>> notebook_title(nb)
    '01 · Cohort: Table 1'
    >>> notebook_title(nbformat.v4.new_notebook(), default="02_faces")
    '02_faces'
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.lstrip().startswith("#"):
                text = line.lstrip().lstrip("#").strip()
                return re.sub(r"[*_`]", "", text).strip() or default
    return default
