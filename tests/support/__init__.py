"""Helpers shared by the test folders (importable as ``support``: pyproject's pytest ``pythonpath`` holds ``tests``).

``support.cohorts`` writes small hand-built cohorts (independent of the twin generator), ``support.frames`` builds the
score frames of the statistics tests, ``support.notebooks`` the parameters cell of the fake notebooks the runner tests
execute.
"""
