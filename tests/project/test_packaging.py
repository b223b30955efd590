"""Packaging: the wheel carries the notebooks and an installed copy reproduces from them; JupyterLab, the licence, the
citation, the hooks and the declared dependencies."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[2]
_SKIP = shutil.ignore_patterns(".git", ".venv", "runs", "build", "dist", "*.egg-info", "__pycache__", ".ruff_cache",
                               ".pytest_cache", "figures")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the checkout, offline (the environment's setuptools, no build isolation)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_SKIP)
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                          "-q", str(src), "-w", str(base / "dist")], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    wheels = list((base / "dist").glob("gvisage-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_wheel_holds_the_notebooks_the_code_and_its_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks and all(f"gvisage_lib/notebooks/{n}" in names for n in notebooks)
    code = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gvisage_lib").rglob("*.py")
            if "__pycache__" not in p.parts and "notebooks" not in p.parts}
    assert code - names == set()
    data = {p.relative_to(ROOT).as_posix() for pat in ("paper/data/*.csv", "twin/data/*.json")
            for p in (ROOT / "gvisage_lib").glob(pat)}
    assert data and data - names == set()
    assert any(n.endswith(".dist-info/entry_points.txt") for n in names)
    assert any(re.search(r"\.dist-info/(licenses/)?LICENSE$", n) for n in names)


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_an_installed_copy_finds_its_notebooks_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                          str(target), str(wheel)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(target), "PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    probe = ("import gvisage_lib, json; from gvisage_lib.run import pipeline; "
             "print(json.dumps([gvisage_lib.__file__, str(pipeline.NOTEBOOK_DIR), "
             "[p.name for p in pipeline.list_notebooks()]]))")
    res = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    module, folder, books = json.loads(res.stdout)
    assert Path(module).is_relative_to(target) and Path(folder) == target / "gvisage_lib" / "notebooks"
    from gvisage_lib.run.catalog import STUDY_NOTEBOOKS

    assert books == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                           if p.name not in STUDY_NOTEBOOKS)  # notebook 08 summarises a study, not a run
    # the command reads the installed notebooks' parameters
    res = subprocess.run([sys.executable, "-m", "gvisage_lib", "reproduce", "--out", str(elsewhere / "run"),
                          "-p", "crop_mod", "box"], cwd=elsewhere, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 2 and "did you mean crop_mode?" in res.stderr, res.stderr[-3000:]


def test_notebooks_default_to_the_run_folder_make_reproduce_writes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "PROFILE ?= quick" in makefile and "--out runs/$(PROFILE)" in makefile
    for book in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(book, as_version=4)
        source = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert re.search(r'^run_dir: str = "\.\./runs/quick"', source, re.M), book.name


def test_make_lab_opens_the_notebooks_with_jupyterlab_installed() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab: \$\(STAMP\)\n(\t.*\n)*\t\$\(VENV\)/bin/jupyter lab --notebook-dir=notebooks$", makefile,
                     re.M)
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("jupyterlab") for d in deps)
    import jupyterlab  # noqa: F401 - installed with the package

    assert (Path(sys.executable).parent / "jupyter-lab").exists()


def test_licence_and_citation() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "The GVisage contributors" in licence
    assert project["license"] == {"text": "MIT"}
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software" and cff["license"] == "MIT"
    assert {"message", "title", "authors"} <= set(cff) and cff["version"] == project["version"]
    paper = cff["references"][0]
    assert paper["type"] == "article" and paper["year"] == 2025 and paper["start"] == "e58760"
    assert paper["doi"] == "10.2196/58760" and paper["authors"][0] == {"family-names": "Li", "given-names": "Yanong"}
    assert paper["journal"] == "Journal of Medical Internet Research"


@pytest.mark.slow  # over a quarter second (a kernel, a subprocess, a fit or a rendering): make test, not make test-fast
def test_pre_commit_runs_ruff_and_nbstripout_and_the_notebooks_pass() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert hooks["ruff"]["entry"].startswith("ruff check") and hooks["nbstripout"]["entry"].startswith("nbstripout")
    assert all(repo["repo"] == "local" for repo in config["repos"])  # nothing to download
    nbstripout = Path(sys.executable).parent / "nbstripout"
    books = [str(p) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    res = subprocess.run([str(nbstripout), *hooks["nbstripout"]["entry"].split()[1:], "--verify", *books],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


#: declared dependencies that nothing imports by name: what they serve
RUNTIME_ONLY = {
    "ipykernel": "the kernel papermill runs the notebooks in",
    "nbclient": "papermill's execution engine",
    "jupyterlab": "make lab, the notebooks' interface",
    "pyarrow": "pandas' Parquet engine (predictions.parquet, faces.parquet)",
}
IMPORT_NAMES = {"scikit-learn": "sklearn", "opencv-python-headless": "cv2", "pillow": "PIL", "pyyaml": "yaml"}


def _declared() -> list[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [re.split(r"[<>=!~ \[]", d, maxsplit=1)[0].lower() for d in deps]


def _sources() -> str:
    files = [*(ROOT / "gvisage_lib").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    for book in (ROOT / "notebooks").glob("*.ipynb"):
        text += "\n".join(c.source for c in nbformat.read(book, as_version=4).cells if c.cell_type == "code")
    return text


@pytest.mark.parametrize("dist", _declared())
def test_every_declared_dependency_is_used(dist: str) -> None:
    if dist in RUNTIME_ONLY:
        return
    module = IMPORT_NAMES.get(dist, dist.replace("-", "_"))
    assert re.search(rf"^\s*(import|from)\s+{re.escape(module)}\b", _sources(), re.M), \
        f"{dist} is declared in pyproject.toml but nothing imports {module}"
