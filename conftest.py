"""Pytest set-up shared by the library's docstring examples and the tests (the fixtures are in tests/conftest.py).

A docstring example that trains a network, renders or preprocesses photos, or runs a simulation or a bootstrap of
refits is marked on its costly line with ``# doctest: +SLOW``; the whole example (that docstring) then carries the
``slow`` mark, so ``make test-fast`` (``pytest -m "not slow"``) leaves it out while ``make test`` runs it. The flag
is a doctest option of its own (registered below): it changes nothing in how the example runs.

The docstring examples make their scratch folders with ``tempfile.mkdtemp()``, as a reader would type them; while
an example runs, ``tempfile``'s folder is one of pytest's own, deleted when the example ends, so the suite leaves
nothing behind in the system's temporary folder.
"""

from __future__ import annotations

import doctest
import shutil
import tempfile
from collections.abc import Iterator

import pytest

SLOW = doctest.register_optionflag("SLOW")


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give the ``slow`` mark to every docstring whose examples carry ``# doctest: +SLOW``."""
    for item in items:
        test = getattr(item, "dtest", None)  # a doctest item
        if test is not None and any(example.options.get(SLOW) for example in test.examples):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _doctest_scratch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point ``tempfile`` at a folder deleted after the docstring example (see the module's docstring)."""
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    scratch = tmp_path_factory.mktemp("doctest")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    yield
    shutil.rmtree(scratch, ignore_errors=True)
