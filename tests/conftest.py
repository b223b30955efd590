"""Shared fixtures: a tiny valid cohort written by hand (independent of the twin generator), and one smoke run of the
whole pipeline shared by every test that needs one (tests/run/test_end_to_end.py, tests/run/test_browser.py).

The tests that use the smoke run are collected first and, under pytest-xdist (``make test`` runs two workers), form
one group (``xdist_group``) that a single worker runs: the run, the longest thing the suite does, starts at once and
is made once, while the other worker takes the rest. Helpers shared by test files are in ``tests/support``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.cohorts import write_tiny_cohort


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the ``xdist_group`` marks to name each item's group
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the tests that use ``smoke_run`` first, in one xdist group (see the module's docstring)."""
    uses_run = [item for item in items if "smoke_run" in getattr(item, "fixturenames", ())]
    for item in uses_run:
        item.add_marker(pytest.mark.xdist_group("smoke_run"))
    items[:] = uses_run + [item for item in items if "smoke_run" not in getattr(item, "fixturenames", ())]


@pytest.fixture
def tiny_cohort(tmp_path: Path) -> Path:
    """Path of a minimal valid manifest with one subject per group and split."""
    return write_tiny_cohort(tmp_path / "cohort")


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished ``gvisage reproduce --profile smoke --seed 11`` run folder, made once per test session.

    Its command's standard error (the progress lines) is kept in ``<run>/../reproduce.stderr``. For working on the
    display or browser tests, ``GVISAGE_SMOKE_RUN=<folder>`` makes the fixture run the pipeline into that folder once
    and reuse it while it holds a succeeded run (its ``reproduce.stderr`` beside it; delete the folder after changing
    the code); the
    end-to-end tests write into it (a ``--from 04`` rerun), so point it at a scratch folder.
    """
    import json
    import os

    from gvisage_lib.run.pipeline import list_notebooks

    given = os.environ.get("GVISAGE_SMOKE_RUN")
    if given:
        out = Path(given)
        record = out / "run.json"
        if (record.is_file() and json.loads(record.read_text()).get("status") == "succeeded"
                and (out.parent / "reproduce.stderr").is_file()):
            return out
    else:
        out = tmp_path_factory.mktemp("smoke") / "run"
    proc = subprocess.run([sys.executable, "-m", "gvisage_lib", "reproduce", "--profile", "smoke", "--out", str(out),
                           "--seed", "11"], capture_output=True, text=True, timeout=1800, check=False)
    (out.parent / "reproduce.stderr").write_text(proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        pytest.fail(f"gvisage reproduce --profile smoke exited {proc.returncode}\n{proc.stderr[-4000:]}")
    # progress lines name each notebook
    for book in list_notebooks():
        assert book.stem in proc.stderr
    return out
