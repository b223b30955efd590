"""The run's pages in a real browser: ``index.html`` and every rendered notebook opened in headless Chromium.

Each page must load without a console error or a failed request, show every image (``naturalWidth > 0``) and have
every relative link point at a file of the run folder. Playwright drives the system's Chromium through
``executable_path`` (Playwright's own browser download is not needed); ``.ci/run`` installs the Debian package
``chromium`` where it is missing. The test skips, saying why, only where no Chromium can be found.

The index must open with the notice of what the data are, show the paper's claims with a verdict each and the
run's limitations, and link each checklist item to an anchor that exists on the notebook page; every notebook page
carries the same notice.

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
    return [run / "index.html", *sorted((run / "html").glob("*.html")), *sorted((run / "docs").glob("*.html"))]


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


def test_index_says_what_the_data_are_and_what_the_paper_claims(browser, smoke_run: Path) -> None:
    from gvisage_lib.paper.claims import TEST_CLAIMS

    page = browser.new_page()
    page.goto((smoke_run / "index.html").as_uri(), wait_until="load")
    notice = page.inner_text("#data-notice")
    assert "no patient is involved" in notice and "Calibrated to the paper" in notice
    assert "cannot show" in notice and page.is_visible("#data-notice")
    # the notice comes before everything the run computed
    assert page.evaluate("document.querySelector('#data-notice').compareDocumentPosition("
                         "document.querySelector('#claims')) & Node.DOCUMENT_POSITION_FOLLOWING")
    rows = page.eval_on_selector_all(
        "#claims ~ table.claims tbody tr",
        "els => els.map(tr => Array.from(tr.querySelectorAll('td,th')).map(td => td.innerText.trim()))")
    claims = {r[0]: r[-1] for r in rows if r}
    for c in TEST_CLAIMS:
        assert c.claim in claims, (c.claim, sorted(claims))
        assert claims[c.claim], c.claim  # every claim has a verdict
    limitations = page.inner_text("#limitations + p + dl")
    for topic in ("Data", "Profile", "One training seed", "Thresholds", "In-sample rows"):
        assert topic in limitations
    page.close()


def test_checklist_links_reach_the_notebook_sections(browser, smoke_run: Path) -> None:
    page = browser.new_page()
    page.goto((smoke_run / "index.html").as_uri(), wait_until="load")
    hrefs = page.eval_on_selector_all("table.checklist a[href]", "els => els.map(e => e.getAttribute('href'))")
    page.close()
    anchored = sorted({h for h in hrefs if h.startswith("html/") and "#" in h})
    assert anchored, "no checklist item links a notebook section"
    missing = []
    for href in anchored:
        path, _, anchor = href.partition("#")
        page = browser.new_page()
        page.goto((smoke_run / path).as_uri(), wait_until="load")
        # a fragment names the id as written (nbconvert percent-encodes it) or, decoded, as the browser also tries
        if not page.evaluate("([a, b]) => document.getElementById(a) !== null || document.getElementById(b) !== null",
                             [anchor, unquote(anchor)]):
            missing.append(href)
        page.close()
    assert not missing, missing


def test_every_notebook_page_carries_the_notice(browser, smoke_run: Path) -> None:
    for html in sorted((smoke_run / "html").glob("*.html")):
        page = browser.new_page()
        page.goto(html.as_uri(), wait_until="load")
        assert "no patient is involved" in page.inner_text("#data-notice"), html.name
        page.close()
