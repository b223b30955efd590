"""The run's pages in a real browser: ``index.html`` and every rendered notebook opened in headless Chromium.

Each page must load without a console error or a failed request, show every image (``naturalWidth > 0``) and have
every relative link point at a file of the run folder. Playwright drives the system's Chromium through
``executable_path`` (Playwright's own browser download is not needed); ``.ci/run`` installs the Debian package
``chromium`` where it is missing. The test skips, saying why, only where no Chromium can be found.

Uses the session's smoke run (``smoke_run`` in tests/conftest.py), shared with tests/run/test_end_to_end.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.slow

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable: ``$GVISAGE_CHROMIUM``, else the first of the usual names on PATH."""
    given = os.environ.get("GVISAGE_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install .[dev])")
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium found (Debian: apt-get install chromium; or set GVISAGE_CHROMIUM); .ci/run installs it")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def _pages(run: Path) -> list[Path]:
    return [run / "index.html", *sorted((run / "html").glob("*.html"))]


def _check_page(browser, page_path: Path, run: Path) -> list[str]:
    problems: list[str] = []
    page = browser.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.goto(page_path.as_uri(), wait_until="load")
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({src: e.getAttribute('src').slice(0, 80), ok: e.complete && e.naturalWidth > 0}))")
    problems += [f"image not loaded: {im['src']}" for im in images if not im["ok"]]
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path:  # external or same-page (#anchor) links
            if parts.scheme not in ("", "http", "https", "mailto", "file"):
                problems.append(f"odd link: {href}")
            continue
        target = (page_path.parent / unquote(parts.path)).resolve()
        if not target.exists():
            problems.append(f"broken link: {href}")
        elif run.resolve() not in target.parents and target != run.resolve():
            problems.append(f"link leaves the run folder: {href}")
    title = page.title()
    if not title or title == "Notebook":
        problems.append(f"page title is {title!r}")
    page.close()
    return problems


def test_pages_load_with_images_and_links(browser, smoke_run: Path) -> None:
    pages = _pages(smoke_run)
    assert len(pages) >= 2 and pages[0].is_file()
    report = {p.name: _check_page(browser, p, smoke_run) for p in pages}
    bad = {name: probs for name, probs in report.items() if probs}
    assert not bad, bad


def test_index_links_every_notebook_and_figure(browser, smoke_run: Path) -> None:
    page = browser.new_page()
    page.goto((smoke_run / "index.html").as_uri(), wait_until="load")
    hrefs = set(page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"))
    srcs = set(page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src'))"))
    page.close()
    assert {f"html/{p.name}" for p in (smoke_run / "html").glob("*.html")} <= hrefs
    assert {f"figures/{p.name}" for p in (smoke_run / "figures").glob("*.png")} <= srcs
    assert {f"tables/{p.name}" for p in (smoke_run / "tables").glob("*.csv")} <= hrefs
