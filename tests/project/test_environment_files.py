"""environment.yml (conda) and pyproject.toml (pip) list the same dependencies with the same bounds; requirements.lock
pins every one of them at a version inside those bounds (checked without the network)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[2]
#: pip distribution name -> conda-forge package name, where they differ.
CONDA_NAMES = {"opencv-python-headless": "py-opencv", "torch": "pytorch"}
#: name, optional extras (``dask[distributed]``: conda-forge's ``dask`` includes distributed), version bounds.
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[[A-Za-z0-9_,\s\-]*\])?\s*(.*)$")


def _split(req: str) -> tuple[str, str]:
    m = _REQ.match(req)
    if m is None:
        raise ValueError(f"cannot parse requirement {req!r}")
    name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
    return name, ",".join(sorted(spec.split(","))) if spec else ""


def _pyproject() -> tuple[dict[str, str], str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    deps = dict(_split(r) for r in reqs)
    return {CONDA_NAMES.get(k, k): v for k, v in deps.items()}, data["project"]["requires-python"]


def _conda() -> dict[str, str]:
    data = yaml.safe_load((ROOT / "environment.yml").read_text())
    return dict(_split(d) for d in data["dependencies"] if isinstance(d, str))


def test_same_packages_and_bounds() -> None:
    pip_deps, _ = _pyproject()
    conda = _conda()
    conda.pop("pip")
    conda.pop("python")
    assert conda == pip_deps


def test_same_python_bounds() -> None:
    _, requires_python = _pyproject()
    assert _conda()["python"] == ",".join(sorted(requires_python.replace(" ", "").split(",")))


@pytest.mark.parametrize("req", ["numpy>=1", "torch>=2.2,<=2.14.1", "pip", "dask[distributed]>=2024.1"])
def test_parser_accepts(req: str) -> None:
    assert _split(req)[0] in {"numpy", "torch", "pip", "dask"}


def _lock() -> dict[str, tuple[str, str]]:
    """requirements.lock as ``name -> (version, marker)``; every line must pin one exact version."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins: dict[str, tuple[str, str]] = {}
    for n, line in enumerate((ROOT / "requirements.lock").read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"requirements.lock line {n}: not one exact pin: {line!r}"
        pins[canonicalize_name(req.name)] = (specs[0].version, str(req.marker or ""))
    return pins


def test_lock_pins_every_declared_dependency_within_its_bounds() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    pins = _lock()
    for text in declared:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"requirements.lock does not pin the declared dependency {req.name}"
        version, marker = pins[name]
        assert not marker, f"requirements.lock pins {req.name} for some platforms only ({marker})"
        assert req.specifier.contains(version, prereleases=True), \
            f"requirements.lock pins {req.name}=={version}, outside the declared {req.specifier}"
    assert pins["torch"][0] == "2.14.1" and pins["torchvision"][0] == "0.29.1"
    assert "gvisage" not in pins  # the package itself is installed from the checkout


def test_make_installs_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -q -r $(LOCK)" in makefile and "pip install -q --no-deps -e ." in makefile
    assert "LOCK    ?= requirements.lock" in makefile


def test_parser_drops_extras() -> None:
    assert _split("dask[distributed]>=2024.1") == ("dask", ">=2024.1")
