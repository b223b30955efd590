"""The parameters cell of the fake notebooks that the runner tests (``tests/run``) build and execute."""

from __future__ import annotations

from pathlib import Path

import nbformat

PARAMS = (
    'run_dir: str = "."  # run folder\n'
    'manifest: str = ""  # manifest\n'
    'profile: str = "quick"  # profile\n'
    "seed: int = 0  # seed\n"
    'score_fit: str = ""  # score fit\n'
)
"""The parameters every pipeline notebook declares, in the runner's annotated form."""


def write_notebook(path: Path, *cells: str) -> None:
    """Write a fake pipeline notebook at ``path``: the :data:`PARAMS` cell tagged ``parameters``, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    first = nbformat.v4.new_code_cell(PARAMS)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
