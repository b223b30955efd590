"""Seeded score frames for the statistics tests (stage-2 hybrid models, Table 3's strata) and the figure tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def stage2_frame(seed: int = 0, n_train: int = 400, n_test: int = 150, n_val: int = 200) -> pd.DataFrame:
    """Stage-2 frame: label, CNN ``score``, ``tsh`` (two missing) and ``diabetes_insipidus`` on the three splits."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test + n_val
    y = rng.integers(0, 2, n)
    df = pd.DataFrame({"subject_id": [f"S{i:04d}" for i in range(n)],
                       "split": ["train"] * n_train + ["test"] * n_test + ["validation"] * n_val,
                       "label": y,
                       "tsh": np.exp(rng.normal(0.5 - 0.5 * y, 0.7)),
                       "diabetes_insipidus": (rng.random(n) < 0.2 + 0.2 * y).astype(int)})
    df["score"] = 1 / (1 + np.exp(-(1.2 * (y - 0.5) + rng.normal(size=n))))
    df.loc[[2, 9], "tsh"] = np.nan
    return df


def strata_frame(seed: int = 0, n: int = 120, effects: tuple[float, ...] = (1.5, 0.8, 0.0)) -> pd.DataFrame:
    """Scores in the three ``hpt_damage`` strata, the score's separation in each given by ``effects``."""
    rng = np.random.default_rng(seed)
    parts = []
    for lv, eff in zip(("complete", "incomplete", "none"), effects):
        y = rng.integers(0, 2, n)
        parts.append(pd.DataFrame({"hpt_damage": lv, "label": y, "score": eff * y + rng.normal(size=n)}))
    return pd.concat(parts, ignore_index=True)
