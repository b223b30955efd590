"""Replicate run folders written by hand for the replicate-study tests: the tables a study reads, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gvisage_lib.core.record import RunRecord, RunSettings


def write_replicate(folder: Path, *, seed: int, val_auc: float, selected: str = "resnet50",
                    recovered: bool = True, profile: str = "smoke") -> Path:
    """A succeeded run folder whose stage-2 GVisageNet validation AUC is ``val_auc`` (CI +-0.05), whose other
    tables hold fixed values, which selected ``selected`` in stage 2, and whose one truth check is ``recovered``."""
    tables = folder / "tables"
    tables.mkdir(parents=True)
    rows = []
    for model, base in (("GVisageNet", val_auc), ("Logistic regression", 0.62), ("Hybrid model", 0.70)):
        for split in ("test", "validation"):
            est = base if split == "validation" else 0.66
            rows.append({"stage": 2, "model": model, "split": split, "metric": "auc", "rule": "youden",
                         "estimate": est, "ci_low": est - 0.05, "ci_high": est + 0.05, "in_sample": False})
    pd.DataFrame(rows).to_csv(tables / "table2_stage2_models.csv", index=False)
    pd.DataFrame([{"stage": 1, "split": s, "metric": "auc", "rule": "youden", "model": "GVisageNet", "estimate": 0.9,
                   "ci_low": 0.85, "ci_high": 0.95} for s in ("test", "validation")]
                 ).to_csv(tables / "gvisagenet_metrics_long.csv", index=False)
    pd.DataFrame({"stratum": ["complete", "incomplete", "none"], "n": [10, 12, 9], "auc": [0.7, 0.6, 0.5],
                  "auc_ci_low": [0.5, 0.4, 0.3], "auc_ci_high": [0.9, 0.8, 0.7]}
                 ).to_csv(tables / "table3_hpt_strata.csv", index=False)
    pd.DataFrame([{"check": "score tracks latent endocrine_damage (Spearman)", "group": "iGCT", "planted": "r > 0",
                   "observed": "r = 0.3", "recovered": recovered}]).to_csv(
        tables / "twin_truth_check_mechanism.csv", index=False)
    (folder / "selected_model.json").write_text(json.dumps({"stage1": "alexnet", "stage2": selected}))
    RunRecord(status="succeeded", settings=RunSettings(profile=profile, seed=seed),
              outputs={"tables/x.csv": str(val_auc)}).save(folder)
    return folder
