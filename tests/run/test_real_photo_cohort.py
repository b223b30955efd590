"""A small cohort of real photographs runs end to end through the CLI (smoke profile).

The photographs are the two portraits that installed packages ship (scikit-image's ``astronaut.png``, Matplotlib's
``grace_hopper.jpg``): both hold a face that OpenCV's Haar cascade finds. Each of the 21 subjects gets four photos
cut from one of them (another window around the face, a mirror image, another brightness), so every file's bytes
differ; the tabular columns are the synthetic twin's. The run must succeed, its overview page must describe the
user's cohort, and, the cohort being real, no rendered output may show a face.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gvisage_lib.core import schema
from gvisage_lib.core.record import RunRecord
from gvisage_lib.faces.detection import detect_faces
from gvisage_lib.faces.preprocess import preprocess_params, qc_photo_bytes
from gvisage_lib.paper.index import figure_name
from gvisage_lib.twin import generate_tabular

pytestmark = pytest.mark.slow

#: Subjects per group in each split (21 in all).
PER_GROUP = {"train": 3, "test": 2, "validation": 2}


def _portraits() -> list[np.ndarray]:
    """The real portraits shipped by scikit-image and Matplotlib (skip when neither package ships them)."""
    found = []
    try:
        from skimage import data

        found.append(np.asarray(data.astronaut()))
    except (ImportError, OSError, ValueError):
        pass
    try:
        import matplotlib.cbook

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
            found.append(np.asarray(Image.open(fh).convert("RGB")))
    except (ImportError, OSError, ValueError):
        pass
    if not found:
        pytest.skip("no installed package ships a portrait photograph")
    return found


def _variant(image: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A different photo of the same face: a window cut around the centre, maybe mirrored, another brightness."""
    h, w = image.shape[:2]
    keep = rng.uniform(0.85, 0.97)
    ch, cw = int(h * keep), int(w * keep)
    y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    out = image[y0:y0 + ch, x0:x0 + cw].astype(np.float64) * rng.uniform(0.85, 1.15)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def write_real_cohort(folder: Path, seed: int = 3) -> Path:
    """Write the manifest of 21 subjects with four real photos each (every one passing face QC); return its path."""
    portraits = _portraits()
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    m, _ = generate_tabular(seed=seed, scale=0.1)
    m = pd.concat([g.head(PER_GROUP[split]) for (split, _), g in m.groupby(["split", "group"])], ignore_index=True)
    rng = np.random.default_rng(seed)
    params = preprocess_params(image_size=64)
    for i, sid in enumerate(m.subject_id):
        for k, col in enumerate(schema.PHOTO_COLUMNS):
            for _ in range(20):  # a variant whose face the cascade misses is drawn again
                path = folder / "photos" / f"{sid}_{k + 1}.jpg"
                _variant(portraits[(i + k) % len(portraits)], rng).save(path, quality=92)
                if qc_photo_bytes(path.read_bytes(), params)[1]["passed"]:
                    break
            else:
                raise RuntimeError(f"no variant of a portrait passed face QC for {sid} {col}")
            m.loc[i, col] = f"photos/{sid}_{k + 1}.jpg"
    path = folder / "manifest.csv"
    m.to_csv(path, index=False)
    return path


def _embedded_images(html: str) -> list[str]:
    """Every image source a page embeds (``<img src>``, CSS ``url()``)."""
    return re.findall(r"<img[^>]*\bsrc=[\"']([^\"']+)", html) + re.findall(r"url\([\"']?([^\"')]+)", html)


def test_real_photo_cohort_end_to_end(tmp_path):
    manifest = write_real_cohort(tmp_path / "cohort")
    photos = pd.read_csv(manifest)[list(schema.PHOTO_COLUMNS)].to_numpy().ravel()
    assert len(photos) == 84 and len({(manifest.parent / p).read_bytes() for p in photos}) == 84
    out = tmp_path / "run"
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "gvisage_lib", "reproduce", "--profile", "smoke", "--manifest",
                           str(manifest), "--out", str(out), "--seed", "3"],
                          capture_output=True, text=True, timeout=1800, check=False)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, f"exit {proc.returncode} after {elapsed:.0f} s\n{proc.stderr[-4000:]}"
    check_real_run(out, manifest)


def check_real_run(out: Path, manifest: Path) -> None:
    """The checks of a finished run of the real cohort ``manifest`` in ``out``."""
    photos = pd.read_csv(manifest)[list(schema.PHOTO_COLUMNS)].to_numpy().ravel()
    assert RunRecord.load(out).status == "succeeded"

    index = out / "index.html"
    assert index.is_file()
    text = index.read_text(encoding="utf-8")
    cohort = re.search(r"<dt>Cohort</dt><dd>(.*?)</dd>", text)
    assert cohort is not None and cohort.group(1) == "manifest.csv (own cohort)", cohort

    # no face is rendered: no face montage (Fig S2, S3), and no figure (Fig 5C's maps included) or image that a
    # page embeds holds a face that the cascade finds
    for key in ("figS2", "figS3"):
        assert not (out / "figures" / f"{figure_name(key)}.png").exists(), key
    figures = {p.resolve() for p in (out / "figures").rglob("*.png")}
    photo_files = {(manifest.parent / p).resolve() for p in photos}
    embedded: list[bytes] = []
    for page in out.rglob("*.html"):
        for src in _embedded_images(page.read_text(encoding="utf-8")):
            if src.startswith("data:image/svg"):
                assert "base64" not in src.split(",", 1)[0] or b"data:image/" not in base64.b64decode(
                    src.split(",", 1)[1]), f"{page} embeds a raster image inside an SVG"
                continue
            if src.startswith("data:image/"):
                embedded.append(base64.b64decode(src.split(",", 1)[1]))
                continue
            target = (page.parent / src).resolve()
            assert target not in photo_files, f"{page} shows the photo {src}"
            if target.suffix.lower() in {".png", ".jpg", ".jpeg", ".svg", ".webp", ".gif"}:
                assert target in figures, f"{page} embeds {src}, not one of the run's figures"
    for name, blob in [(str(p), p.read_bytes()) for p in sorted(figures)] + [("embedded", b) for b in embedded]:
        image = np.asarray(Image.open(io.BytesIO(blob)).convert("RGB"))
        if min(image.shape[:2]) >= 24:  # the cascade's smallest window; a smaller image holds no face it could find
            assert not detect_faces(image, max_side=0), f"{name} shows a face"
