"""Column names and allowed values of the cohort manifest and of the files that flow between the steps.

This module is the single source of the data contract (docs/data.md): the columns, the categories and numeric ranges
of the manifest, the files between the steps. Every other module imports the names from here rather than typing them
again; :mod:`gvisage_lib.cohort.manifest` checks a manifest against them.

Examples
--------
>>> from gvisage_lib.core import schema
>>> schema.GROUPS
('NC', 'iGCT', 'other')
>>> len(schema.ENDOCRINE_COLUMNS)
16
>>> schema.CATEGORIES["sex"], schema.NUMERIC_RANGES["bmi"]
(('F', 'M'), (5.0, 100.0))
"""

from __future__ import annotations

import math

GROUPS: tuple[str, ...] = ("NC", "iGCT", "other")
TUMOUR_GROUPS: tuple[str, ...] = ("iGCT", "other")
SPLITS: tuple[str, ...] = ("train", "test", "validation")
SEXES: tuple[str, ...] = ("F", "M")
TUMOR_SITES: tuple[str, ...] = ("sellar", "pineal", "fourth_ventricle")
HPT_LEVELS: tuple[str, ...] = ("complete", "incomplete", "none")
PHOTO_COLUMNS: tuple[str, ...] = ("photo_1", "photo_2", "photo_3", "photo_4")

SYMPTOM_COLUMNS: tuple[str, ...] = (
    "intracranial_hypertension",
    "vision_change",
    "growth_retardation",
    "limb_movement_disorder",
    "diabetes_insipidus",
    "abnormal_feeding",
    "sleep_wake_abnormality",
    "sexual_abnormality",
    "affective_disturbance",
    "convulsive_seizure",
)

ENDOCRINE_COLUMNS: tuple[str, ...] = (
    "acth",
    "cortisol",
    "tsh",
    "tt3",
    "ft3",
    "tt4",
    "ft4",
    "gh",
    "igf1",
    "igfbp3",
    "fsh",
    "lh",
    "testosterone",
    "estradiol",
    "progesterone",
    "prolactin",
)

#: The 15 indicators of the paper's Fig 5A (cortisol is in Table 1 but not in Fig 5A).
FIG5A_ENDOCRINE: tuple[str, ...] = tuple(c for c in ENDOCRINE_COLUMNS if c != "cortisol")

#: Display labels and units (units as in the paper's Table 1).
ENDOCRINE_LABELS: dict[str, str] = {
    "acth": "ACTH (pg/mL)",
    "cortisol": "Cortisol (µg/dL)",
    "tsh": "TSH (mIU/L)",
    "tt3": "TT3 (ng/dL)",
    "ft3": "FT3 (ng/dL)",
    "tt4": "TT4 (µg/dL)",
    "ft4": "FT4 (ng/dL)",
    "gh": "GH (ng/dL)",
    "igf1": "IGF-1 (ng/mL)",
    "igfbp3": "IGFBP-3 (mcg/mL)",
    "fsh": "FSH (IU/mL)",
    "lh": "LH (IU/L)",
    "testosterone": "Testosterone (ng/dL)",
    "estradiol": "Estradiol (pg/mL)",
    "progesterone": "Progesterone (ng/mL)",
    "prolactin": "Prolactin (µg/L)",
}

CORE_COLUMNS: tuple[str, ...] = ("subject_id", "group", "split", "site", "sex", "age_years")
REQUIRED_COLUMNS: tuple[str, ...] = CORE_COLUMNS + ("photo_1",)
TUMOUR_COLUMNS: tuple[str, ...] = (
    ("tumor_site", "tumor_type", "duration_months", "bmi") + SYMPTOM_COLUMNS + ENDOCRINE_COLUMNS + ("hpt_damage",)
)
#: Every column of the contract, in the order the twin writes them.
MANIFEST_COLUMNS: tuple[str, ...] = CORE_COLUMNS + PHOTO_COLUMNS + TUMOUR_COLUMNS

#: Allowed values of the manifest's categorical columns (an empty cell is allowed except in
#: :data:`REQUIRED_COLUMNS`).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "group": GROUPS,
    "split": SPLITS,
    "sex": SEXES,
    "tumor_site": TUMOR_SITES,
    "hpt_damage": HPT_LEVELS,
}
#: Numeric manifest columns and their possible closed range; a value outside is "impossible" (an error).
NUMERIC_RANGES: dict[str, tuple[float, float]] = {
    "age_years": (0.0, 120.0),
    "duration_months": (0.0, 1200.0),
    "bmi": (5.0, 100.0),
    **{c: (0.0, math.inf) for c in ENDOCRINE_COLUMNS},
}
#: The values a symptom cell may hold (absent / present); an empty cell is allowed.
SYMPTOM_VALUES: tuple[float, ...] = (0.0, 1.0)
#: Ages (years) plausible in this paediatric cohort. The study enrolled children and young people, but its Table 1
#: has groups of mean 16.95 (SD 8.01) years, so adults in their thirties occur; the upper bound is that mean + 4 SD
#: (49, rounded up to 50). An age above it is kept with a warning (months typed for years is the likely mistake: a
#: 5-year-old is 60 months); a negative age, or one above 120, is an error (:data:`NUMERIC_RANGES`).
PLAUSIBLE_AGE_YEARS: tuple[float, float] = (0.0, 50.0)
#: Columns a tumour row should fill: a blank one is a warning naming the analysis that leaves the subject out
#: (``hpt_damage`` defines the strata of the paper's Table 3).
TUMOUR_EXPECTED: dict[str, str] = {
    "hpt_damage": "06_endocrine leaves the subject out of Table 3's HPT-damage strata",
}

#: Stage definitions: which groups take part and which group is positive.
STAGES: dict[int, dict[str, object]] = {
    1: {"groups": ("NC", "iGCT", "other"), "positive": ("iGCT", "other"), "name": "midline tumour vs NC"},
    2: {"groups": ("iGCT", "other"), "positive": ("iGCT",), "name": "iGCT vs other midline tumour"},
}

#: Columns of predictions.parquet (one row per subject x model x stage).
PREDICTION_COLUMNS: tuple[str, ...] = (
    "subject_id",
    "split",
    "stage",
    "model",
    "label",
    "score",
    "profile",
    "seed",
    "checkpoint_sha256",
)

CANDIDATE_MODELS: tuple[str, ...] = ("alexnet", "resnet50", "inception_v3")


def stage_label(group: str, stage: int) -> int | None:
    """Binary label of a subject of ``group`` in ``stage`` (1 = positive), or None if it takes no part.

    Examples
    --------
    >>> stage_label("iGCT", 1), stage_label("NC", 1), stage_label("other", 2), stage_label("NC", 2)
    (1, 0, 0, None)
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {sorted(STAGES)}, got {stage!r}")
    spec = STAGES[stage]
    if group not in spec["groups"]:  # type: ignore[operator]
        return None
    return int(group in spec["positive"])  # type: ignore[operator]

#: The one schema of every Table 2 row (stage-wise GVisageNet metrics, the candidates, the stage-2 models): one row per
#: model x stage x split x operating-point rule x metric; ``rule`` and ``threshold`` are empty for the AUC, ``k`` is the
#: numerator of a proportion, ``ci_method`` names the interval (DeLong or Clopper-Pearson), ``in_sample`` is True where
#: the row evaluates something (a threshold, a model) on the split it was fitted on.
TABLE2_COLUMNS: tuple[str, ...] = ("model", "stage", "split", "rule", "threshold", "metric", "estimate", "ci_low",
                                   "ci_high", "k", "n", "ci_method", "in_sample")
