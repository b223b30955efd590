"""A small valid cohort: notebook 05 skips the clinical and hybrid models with a stated reason, and 06 still runs.

The run is fabricated from the statistics notebooks' inputs (a small twin manifest, seeded stage scores of every
candidate, the selected model), so only notebooks 05 and 06 are executed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvisage_lib.clinical.hybrid import stage2_model_tables
from gvisage_lib.clinical.skipped import SKIPPED_COLUMNS
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.paper.index import table_name
from gvisage_lib.twin import generate_tabular

pytestmark = pytest.mark.slow


def make_small_run(root: Path, seed: int = 0) -> tuple[RunPaths, Path]:
    """3 subjects per group in train and test, 6 per group in validation (HPT strata holding both tumour groups)."""
    paths = RunPaths(root).ensure()
    m, _ = generate_tabular(seed=seed, scale=0.1)
    size = {"train": 3, "test": 3, "validation": 6}
    m = pd.concat([g.head(size[split]) for (split, _), g in m.groupby(["split", "group"])], ignore_index=True)
    tum = (m.split == "validation") & (m.group != "NC")
    m.loc[tum, "hpt_damage"] = np.tile(["complete", "incomplete", "none"], 4)
    m["photo_1"] = "photos/" + m.subject_id + ".jpg"  # never opened by 05 and 06
    cohort = paths.root / "own"
    cohort.mkdir(exist_ok=True)
    m.to_csv(cohort / "manifest.csv", index=False)
    rng = np.random.default_rng(seed)
    rows = []
    for stage in (1, 2):
        for model in schema.CANDIDATE_MODELS:
            for r in m.itertuples():
                label = schema.stage_label(r.group, stage)
                if label is not None:
                    rows.append({"subject_id": r.subject_id, "split": r.split, "stage": stage, "model": model,
                                 "label": label, "score": float(1 / (1 + np.exp(-(label - 0.5 + rng.normal())))),
                                 "profile": "smoke", "seed": seed, "checkpoint_sha256": "x"})
    pd.DataFrame(rows, columns=list(schema.PREDICTION_COLUMNS)).to_parquet(paths.predictions, index=False)
    paths.selected_model.write_text(json.dumps({"stage1": "resnet50", "stage2": "resnet50", "rule": "test"}))
    return paths, cohort / "manifest.csv"


def test_small_cohort_reaches_notebook_06(tmp_path):
    import papermill as pm

    from gvisage_lib.run.pipeline import NOTEBOOK_DIR, _kernel_env

    paths, manifest = make_small_run(tmp_path / "run")
    _kernel_env()
    params = {"run_dir": str(paths.root), "manifest": str(manifest), "profile": "smoke", "seed": 1,
              "score_fit": "test"}
    for name in ("05_clinical_hybrid", "06_endocrine"):
        pm.execute_notebook(str(NOTEBOOK_DIR / f"{name}.ipynb"), str(paths.notebooks / f"{name}.ipynb"),
                            parameters=params, cwd=str(paths.root), kernel_name="python3", progress_bar=False)
    text = (paths.notebooks / "05_clinical_hybrid.ipynb").read_text()
    assert "The clinical and hybrid models are skipped: split" in text
    for key in stage2_model_tables():
        if key == "stage2_sensitivity_screened_models":
            continue  # written only when the screening selected a variable
        t = pd.read_csv(paths.tables / f"{table_name(key)}.csv")
        assert list(t.columns) == list(SKIPPED_COLUMNS) and "rarer class" in t.reason.iloc[0]
    assert (paths.tables / f"{table_name('table3_hpt_strata')}.csv").is_file()  # 06 ran to its tables
