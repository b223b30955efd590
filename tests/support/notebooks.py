"""The parameters cell of the fake notebooks that the runner tests (``tests/run``) build and execute."""

from __future__ import annotations

PARAMS = (
    'run_dir: str = "."  # run folder\n'
    'manifest: str = ""  # manifest\n'
    'profile: str = "quick"  # profile\n'
    "seed: int = 0  # seed\n"
    'score_fit: str = ""  # score fit\n'
)
"""The parameters every pipeline notebook declares, in the runner's annotated form."""
