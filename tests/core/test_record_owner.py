"""One owner of ``run.json``: no module but ``gvisage_lib.core.record`` reads or writes it.

Every other module goes through :class:`gvisage_lib.core.record.RunRecord`. The check reads the source: outside the
record module (and ``core/paths.py``, which names the file in the run folder's layout) no code spells the file name
``"run.json"`` as a value or touches ``RunPaths.run_json``, and no ``json.load``/``json.dump``/``write_json``/``open``
/``read_text`` call is given a path that names the run record. Docstrings and messages may mention the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "gvisage_lib" / "core" / "record.py"
LAYOUT = ROOT / "gvisage_lib" / "core" / "paths.py"
#: Calls that read or write a file.
IO_CALLS = {"load", "loads", "dump", "dumps", "write_json", "open", "read_text", "write_text", "read_bytes",
            "write_bytes", "atomic_open", "atomic_path"}


def _sources() -> list[Path]:
    files = sorted((ROOT / "gvisage_lib").rglob("*.py")) + sorted((ROOT / "benchmarks").rglob("*.py"))
    return [p for p in files if p not in (OWNER, LAYOUT)]


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _names_record(node: ast.AST) -> bool:
    """Whether an expression spells the run record's path: ``x.run_json`` or a ``"run.json"`` path part."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "run_json":
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.strip("/") == "run.json":
            return True
    return False


def offences(path: Path) -> list[str]:
    """Where ``path`` reads, writes or builds the path of ``run.json`` itself (line: what)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "run_json":
            found.append(f"{node.lineno}: uses RunPaths.run_json")
        elif (isinstance(node, ast.Constant) and id(node) not in docs and isinstance(node.value, str)
              and node.value.strip("/") == "run.json"):
            found.append(f"{node.lineno}: spells the path 'run.json'")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            receiver = [func.value] if isinstance(func, ast.Attribute) else []
            if name in IO_CALLS and any(_names_record(a) for a in [*node.args, *receiver,
                                                                   *(k.value for k in node.keywords)]):
                found.append(f"{node.lineno}: {name}() on the run record")
    return sorted(set(found))


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_only_the_record_module_reads_or_writes_run_json() -> None:
    bad = {str(p.relative_to(ROOT)): o for p in _sources() if (o := offences(p))}
    assert not bad, f"run.json read or written outside gvisage_lib/core/record.py: {bad}"


@pytest.mark.parametrize("code", [
    "import json\njson.loads(paths.run_json.read_text())",
    "from gvisage_lib.core.io import write_json\nwrite_json({}, root / 'run.json')",
    "p = run_dir / 'run.json'",
    "with open(str(run / 'run.json')) as fh:\n    pass",
])
def test_the_check_finds_each_way_of_touching_the_record(tmp_path: Path, code: str) -> None:
    src = tmp_path / "mod.py"
    src.write_text('"""Mentions run.json in a docstring, which is fine."""\n' + code + "\n", encoding="utf-8")
    assert offences(src)


def test_the_check_allows_mentions_in_docstrings_and_messages(tmp_path: Path) -> None:
    src = tmp_path / "mod.py"
    src.write_text('"""Reads run.json."""\n\ndef f():\n    """Also run.json."""\n'
                   '    raise ValueError("the run has no run.json (make it with gvisage reproduce)")\n',
                   encoding="utf-8")
    assert offences(src) == []
