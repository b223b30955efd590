"""Face QC says what it does not act on: a photo's alpha channel (dropped by the decoder) and a repeated view (the same
photo given twice for one subject) are noted per photo and counted, from the cache too."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from gvisage_lib.core.images import alpha_share
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.faces.preprocess import QC_PHOTO_COLUMNS, load_qc_photos, preprocess_cohort, qc_notes


def _photo(seed: int, alpha_rows: int | None = None) -> bytes:
    """A 48x40 noise photo (sharp enough to pass QC); with ``alpha_rows``, an RGBA PNG whose first rows are
    transparent."""
    img = np.random.default_rng(seed).integers(0, 255, (48, 40, 3), dtype=np.uint8)
    buf = io.BytesIO()
    if alpha_rows is None:
        Image.fromarray(img).save(buf, "PNG")
    else:
        a = np.full((48, 40, 1), 255, np.uint8)
        a[:alpha_rows] = 0
        Image.fromarray(np.concatenate([img, a], axis=2), "RGBA").save(buf, "PNG")
    return buf.getvalue()


def _cohort(folder: Path, photos: dict[str, list[bytes]]) -> Path:
    """A manifest of ``subject -> photo bytes`` (written as photos/<subject>_<k>.png)."""
    (folder / "photos").mkdir(parents=True)
    rows = []
    for sid, blobs in photos.items():
        row = {"subject_id": sid}
        for k, data in enumerate(blobs, start=1):
            (folder / "photos" / f"{sid}_{k}.png").write_bytes(data)
            row[f"photo_{k}"] = f"photos/{sid}_{k}.png"
        rows.append(row)
    path = folder / "manifest.csv"
    pd.DataFrame(rows).fillna("").to_csv(path, index=False)
    return path


def _run(manifest: Path, run: RunPaths) -> pd.DataFrame:
    preprocess_cohort(manifest, run, image_size=16, crop_mode="none", workers=1, progress=False)
    return load_qc_photos(run)


def test_alpha_channel_is_noted_with_its_share(tmp_path):
    manifest = _cohort(tmp_path / "c", {"A": [_photo(1, alpha_rows=12), _photo(2)], "B": [_photo(3)]})
    run = RunPaths(tmp_path / "run")
    for attempt in ("computed", "from the cache"):
        qc = _run(manifest, run).set_index(["subject_id", "photo"])
        assert list(qc.reset_index().columns) == list(QC_PHOTO_COLUMNS), attempt
        assert qc.loc[("A", "photo_1"), "alpha_share"] == 12 / 48, attempt
        assert "alpha channel: 25% of pixels not opaque" in qc.loc[("A", "photo_1"), "note"], attempt
        assert qc.loc[("A", "photo_1"), "passed"], attempt  # a note, not a QC failure
        assert np.isnan(qc.loc[("A", "photo_2"), "alpha_share"]) and qc.loc[("A", "photo_2"), "note"] == ""
        notes = qc_notes(qc.reset_index()).set_index("note")
        assert (notes.loc["alpha channel", "n_photos"], notes.loc["alpha channel", "n_subjects"]) == (1, 1)
        assert notes.loc["repeated view", "n_photos"] == 0
    assert pd.read_parquet(run.faces_index).cache_hit.all()


def test_one_photo_given_as_all_four_views_is_noted(tmp_path):
    same = _photo(7)
    manifest = _cohort(tmp_path / "c", {"A": [same, same, same, same], "B": [_photo(8), _photo(9)]})
    run = RunPaths(tmp_path / "run")
    for attempt in ("computed", "from the cache"):
        qc = _run(manifest, run)
        a = qc[qc.subject_id == "A"]
        assert a.repeat_of.tolist() == ["", "photo_1", "photo_1", "photo_1"], attempt
        assert a.note.iloc[1:].str.fullmatch("repeated view: same file content as photo_1").all(), attempt
        assert (qc[qc.subject_id == "B"].note == "").all()
        notes = qc_notes(qc).set_index("note")
        assert (notes.loc["repeated view", "n_photos"], notes.loc["repeated view", "n_subjects"]) == (3, 1)
    # the notes never name a file (the per-photo table holds no path: docs/privacy.md)
    assert not qc.note.str.contains(".png", regex=False).any()


def test_alpha_share_of_a_palette_with_transparency(tmp_path):
    img = Image.new("P", (10, 10), 0)
    img.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    img.paste(1, (0, 0, 10, 5))
    buf = io.BytesIO()
    img.save(buf, "PNG", transparency=1)
    assert alpha_share(buf.getvalue()) == 0.5
    assert alpha_share(b"not an image") is None
