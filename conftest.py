"""Pytest set-up shared by the library's docstring examples and the tests (the fixtures are in tests/conftest.py).

A docstring example that trains a network, renders or preprocesses photos, or runs a simulation or a bootstrap of
refits is marked on its costly line with ``# doctest: +SLOW``; the whole example (that docstring) then carries the
``slow`` mark, so ``make test-fast`` (``pytest -m "not slow"``) leaves it out while ``make test`` runs it. The flag
is a doctest option of its own (registered below): it changes nothing in how the example runs.
"""

from __future__ import annotations

import doctest

import pytest

SLOW = doctest.register_optionflag("SLOW")


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by mark
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give the ``slow`` mark to every docstring whose examples carry ``# doctest: +SLOW``."""
    for item in items:
        test = getattr(item, "dtest", None)  # a doctest item
        if test is not None and any(example.options.get(SLOW) for example in test.examples):
            item.add_marker(pytest.mark.slow)
