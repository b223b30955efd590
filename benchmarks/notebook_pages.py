"""Printed length of a run's pages: each rendered notebook (and ``index.html``) printed to PDF by headless Chromium.

What a reviewer gets when printing the rendered notebooks: the page count of each, printed with Chromium's defaults
(Letter or A4 by locale, default margins, no header or footer). Progress bars, path echoes and long raw tables show up
here as pages.

Usage::

    python benchmarks/notebook_pages.py RUN [--chromium PATH] [--keep DIR]

``RUN`` is a run folder of ``gvisage reproduce``; Chromium is ``--chromium``, ``$GVISAGE_CHROMIUM`` or the first of
``chromium``, ``chromium-browser``, ``google-chrome`` on PATH. ``--keep DIR`` keeps the PDFs. Prints one line per page
(``name  pages``) and the total.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(given: str | None = None) -> str:
    """The Chromium executable to use (see the module docstring); raises FileNotFoundError when there is none."""
    for candidate in (given, os.environ.get("GVISAGE_CHROMIUM")):
        if candidate:
            if not Path(candidate).is_file():
                raise FileNotFoundError(f"--chromium / GVISAGE_CHROMIUM: no file {candidate}")
            return candidate
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(f"no Chromium on PATH (looked for {', '.join(_NAMES)}); give --chromium PATH")


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF written by Chromium: the ``/Count`` of its page-tree root (the largest ``/Count``).

    Chromium (Skia) writes the page tree uncompressed, so no PDF library is needed. Raises ValueError when the bytes
    hold no page tree.
    """
    counts = [int(c) for c in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(c) for c in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    if not counts:
        raise ValueError("no PDF page tree (/Type /Pages ... /Count n) found")
    return max(counts)


def print_pages(html: Path, chromium: str, pdf: Path, timeout: int = 300) -> int:
    """Print ``html`` to ``pdf`` with headless Chromium and return its page count."""
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not pdf.is_file():
        raise RuntimeError(f"chromium could not print {html} (exit {proc.returncode}): {proc.stderr[-1500:]}")
    return pdf_pages(pdf.read_bytes())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="run folder (with html/ and index.html)")
    ap.add_argument("--chromium", default=None, help="Chromium executable")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the PDFs in")
    args = ap.parse_args(argv)
    pages = sorted((args.run / "html").glob("*.html"))
    if (args.run / "index.html").is_file():
        pages.append(args.run / "index.html")
    if not pages:
        print(f"no rendered notebooks in {args.run / 'html'}", file=sys.stderr)
        return 2
    chromium = find_chromium(args.chromium)
    out = args.keep or Path(tempfile.mkdtemp(prefix="gvisage-pages-"))
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for html in pages:
        n = print_pages(html, chromium, out / f"{html.stem}.pdf")
        total += n if html.name != "index.html" else 0
        print(f"{html.name:28s} {n:4d}")
    print(f"{'notebooks in all':28s} {total:4d}")
    if args.keep is None:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
