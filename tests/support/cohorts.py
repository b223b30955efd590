"""Hand-built cohorts, independent of the twin generator: a tiny valid manifest with photos, a manifest + truth pair."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from gvisage_lib.core import schema


def write_tiny_cohort(folder: Path, n_per_cell: int = 1) -> Path:
    """Write a minimal valid manifest (every group in every split) with small JPEG photos; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "photos").mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    rows = []
    for split in schema.SPLITS:
        for group in schema.GROUPS:
            for k in range(n_per_cell):
                sid = f"T{len(rows) + 1:03d}"
                img = (rng.random((40, 32, 3)) * 255).astype(np.uint8)
                Image.fromarray(img).save(folder / "photos" / f"{sid}_1.jpg", quality=90)
                row = {c: "" for c in schema.MANIFEST_COLUMNS}
                row.update(subject_id=sid, group=group, split=split, site="SiteA" if group != "NC" else "WYLF",
                           sex="FM"[k % 2], age_years=10 + k, photo_1=f"photos/{sid}_1.jpg")
                if group != "NC":
                    row.update(tumor_site="sellar", tumor_type="germinoma" if group == "iGCT" else "craniopharyngioma",
                               duration_months=6, bmi=18.0, hpt_damage="none")
                    row.update({c: 0 for c in schema.SYMPTOM_COLUMNS})
                    row.update({c: 1.0 for c in schema.ENDOCRINE_COLUMNS})
                rows.append(row)
    path = folder / "manifest.csv"
    pd.DataFrame(rows, columns=list(schema.MANIFEST_COLUMNS)).to_csv(path, index=False)
    return path


DAMAGE_AXES = {"none": 0.08, "incomplete": 0.35, "complete": 0.75}


def make_truth(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A small manifest + truth pair following the twin's truth contract (built by hand, independent of the tabular twin)."""
    rng = np.random.default_rng(seed)
    groups = np.array(["NC", "iGCT", "other"])[np.arange(n) % 3]
    damage = np.where(groups == "NC", "none", rng.choice(list(DAMAGE_AXES), size=n))
    sex = rng.choice(["F", "M"], size=n)
    age = rng.uniform(3, 25, size=n).round(1)
    tum = groups != "NC"
    base = np.array([DAMAGE_AXES[d] for d in damage]) * tum
    axes = {a: np.clip(base + rng.normal(0, 0.05, n) * tum, 0, 1) for a in
            ("axis_thyroid", "axis_gh", "axis_adrenal", "axis_gonadal")}
    truth = pd.DataFrame({
        "subject_id": [f"T{i:03d}" for i in range(n)], "group": groups, "split": "train", "sex": sex,
        "age_years": age, "hpt_damage": damage, **axes,
        "hcg_precocious_puberty": ((groups == "iGCT") & (sex == "M") & (rng.random(n) < 0.4)).astype(int),
        "endocrine_damage": np.mean(list(axes.values()), axis=0),
        "intracranial_hypertension": (tum & (rng.random(n) < 0.65)).astype(int),
        "vision_change": (tum & (rng.random(n) < 0.35)).astype(int),
        "growth_retardation": (tum & (rng.random(n) < 0.2)).astype(int),
    })
    manifest = truth[["subject_id", "group", "split", "sex", "age_years"]].assign(site="twin")
    return manifest, truth
