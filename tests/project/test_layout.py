"""The package layout: one package per pipeline stage, dependencies pointing one way, no import circle."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "gvisage_lib"
#: Packages below the stages, the stages in pipeline order (notebook 01 to 07), and the driver on top.
BASE = ("core", "paper", "stats", "twin")
STAGES = ("cohort", "faces", "cnn", "roc", "clinical", "endocrine", "simulation")
TOP = ("run",)
#: What each base package may import (besides itself).
BASE_ALLOWED = {"core": set(), "paper": {"core", "stats"}, "stats": {"core"}, "twin": {"core", "paper"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the gvisage_lib modules a file imports (at any depth of the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    pkg = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("gvisage_lib")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            if not mod.startswith("gvisage_lib"):
                continue
            for a in node.names:  # "from gvisage_lib.core import schema" imports the module, not the package
                sub = f"{mod}.{a.name}"
                sub_path = LIB.parent / Path(*sub.split("."))
                if sub_path.with_suffix(".py").is_file() or (sub_path / "__init__.py").is_file():
                    out.add(sub)
                else:
                    out.add(mod)
    return out - {me}


@functools.cache
def _graph() -> dict[str, set[str]]:
    """The import graph of the package, parsed once per session (every parametrised test reads it)."""
    files = [p for p in LIB.rglob("*.py")]
    mods = {_module_name(p): p for p in files}
    return {m: {i for i in _imports(p) if i in mods} for m, p in mods.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[1:] == ["__main__"]:  # ``python -m gvisage_lib`` runs the command: the driver
        return "run"
    return parts[1] if len(parts) > 1 else ""


def test_every_module_lives_in_a_declared_package() -> None:
    known = set(BASE) | set(STAGES) | set(TOP) | {""}
    stray = sorted(m for m in _graph() if _package(m) not in known)
    assert not stray, f"modules outside the declared packages: {stray}"


def test_no_import_circle() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                pytest.fail(f"import circle: {' -> '.join(cycle)}")
            if n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


@pytest.mark.parametrize("module", sorted(_graph()))
def test_dependencies_point_one_way(module: str) -> None:
    src = _package(module)
    for target in _graph()[module]:
        dst = _package(target)
        if dst in ("", src):
            continue
        if src in BASE:
            assert dst in BASE_ALLOWED[src], f"{module} (base package {src!r}) imports {target}"
        elif src in STAGES:
            assert dst in BASE or (dst in STAGES and STAGES.index(dst) < STAGES.index(src)), \
                f"{module} (stage {src!r}) imports {target}, which is not below it"
        assert dst not in TOP or src in TOP, f"{module} imports the driver {target}"
