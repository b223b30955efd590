"""Demographics of each group pooled over the three datasets, beside the paper's Results and its Table 1.

The paper's Results give, for each group over training, testing and validation together, the number of subjects,
males and females, and the mean and SD of age (500 NCs, 567 iGCTs, 358 other midline tumours). Its Table 1 gives
the same per split for the tumour groups; what Table 1 implies for the pooled groups does not agree with the Results
(:func:`gvisage_lib.paper.consistency.pooled_demographics`). :func:`pooled_demographics_table` sets the three side
by side: the Results, what Table 1 implies, and this cohort.

Examples
--------
>>> import pandas as pd
>>> m = pd.DataFrame({"group": ["NC", "NC", "iGCT"], "sex": ["M", "F", "M"], "age_years": [10.0, 12.0, 15.0],
...                   "split": ["train", "test", "train"]})
>>> cohort_pooled_demographics(m).set_index("group").loc["NC", ["n", "male", "age_mean"]].tolist()
[2.0, 1.0, 11.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gvisage_lib.core import schema
from gvisage_lib.core.validation import check_frame

__all__ = ["QUANTITIES", "cohort_pooled_demographics", "pooled_demographics_table"]

#: The pooled quantities, in the order of the Results' sentence.
QUANTITIES: tuple[str, ...] = ("n", "male", "female", "age_mean", "age_sd")


def cohort_pooled_demographics(manifest: pd.DataFrame) -> pd.DataFrame:
    """Subjects, males, females, mean and SD (n - 1) of age of each group, all splits together.

    Parameters
    ----------
    manifest : DataFrame
        The cohort manifest (columns ``group``, ``sex`` (M/F), ``age_years``); missing ages are left out of the
        mean and SD.

    Returns
    -------
    DataFrame
        group (NC, iGCT, other, in that order, those present), and :data:`QUANTITIES`.
    """
    check_frame(manifest, "manifest", ["group", "sex", "age_years"])
    rows = []
    for g in [g for g in schema.GROUPS if g in set(manifest["group"])]:
        d = manifest[manifest["group"] == g]
        age = pd.to_numeric(d["age_years"], errors="coerce").dropna().to_numpy(float)
        rows.append({"group": g, "n": float(len(d)), "male": float((d["sex"] == "M").sum()),
                     "female": float((d["sex"] == "F").sum()),
                     "age_mean": float(age.mean()) if age.size else np.nan,
                     "age_sd": float(age.std(ddof=1)) if age.size > 1 else np.nan})
    return pd.DataFrame(rows, columns=["group", *QUANTITIES])


def pooled_demographics_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """The Results' pooled demographics, what Table 1 implies for them, and this cohort's, one row per group and
    quantity.

    Returns
    -------
    DataFrame
        group, quantity, paper_results (the Results' sentence), paper_table1 (implied by Table 1's split-wise
        numbers and the abstract's group sizes; NaN where Table 1 has none, e.g. the NCs' sex and age),
        paper_consistent (whether the two agree within the rounding; NaN where nothing to compare), cohort (this
        run's cohort), note.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"group": ["iGCT", "iGCT"], "sex": ["M", "F"], "age_years": [15.0, 17.0],
    ...                   "split": ["train", "test"]})
    >>> t = pooled_demographics_table(m).set_index(["group", "quantity"])
    >>> t.loc[("iGCT", "age_mean"), ["paper_results", "cohort"]].tolist()
    [12.81, 16.0]
    """
    from gvisage_lib.paper.consistency import pooled_demographics

    paper = pooled_demographics().rename(columns={"results": "paper_results", "table1": "paper_table1",
                                                  "consistent": "paper_consistent"})
    mine = cohort_pooled_demographics(manifest).melt(id_vars="group", var_name="quantity", value_name="cohort")
    out = paper.merge(mine, on=["group", "quantity"], how="left")
    return out[["group", "quantity", "paper_results", "paper_table1", "paper_consistent", "cohort", "note"]]
