"""How the report names things and prints numbers: one label map, one number format, one P-value format.

Every page a reader sees (the rendered notebooks, the run's ``index.html``, the figures) names columns and levels and
prints numbers through this module, so that one identifier reads the same everywhere:

* **Names** (:func:`label`): a column or a level such as ``this_run_se``, ``fourth_ventricle``, ``phen_beard`` or
  ``resnet50`` reads as "This run, SE", "Fourth ventricle", "Beard", "ResNet-50"; ``True``/``False`` as
  "yes"/"no". Names not in :data:`LABELS` are spelled out by a rule (underscores as spaces, known abbreviations in
  capitals: ``auc`` -> "AUC"); names that are already words ("Hybrid model") are left as they are.
* **Numbers** (:func:`format_number`): 3 decimals below 1 in absolute value (AUCs, proportions, correlations), 2 below
  100, 1 below 1000, none above; whole numbers without decimals ("358", never "358.0").
* **P values** (:func:`format_p`), APA and JMIR style: no leading zero, ``"<.001"`` below .001, three decimals below
  .01 (``".004"``), else two (``".04"``), ``">.99"`` from .995 up, and a P below .05 is never rounded up to ``".05"``
  (``".0496"``). In a table the column says P and the cell holds ``".04"``; in a sentence ``format_p(p,
  prefix=True)`` writes ``"P=.04"`` and ``"P<.001"``.

The figures' display names (:data:`SPLIT_LABEL`, :data:`MODEL_LABEL`, ...) are part of the one map and are
re-exported by :mod:`gvisage_lib.core.style`.

Examples
--------
>>> [label(x) for x in ("this_run_se", "fourth_ventricle", "phen_beard", True, "resnet50", "Hybrid model")]
['This run, SE', 'Fourth ventricle', 'Beard', 'yes', 'ResNet-50', 'Hybrid model']
>>> [format_p(p) for p in (6.8e-24, 0.0042, 0.287, 0.0496)], format_p(0.04, prefix=True)
(['<.001', '.004', '.29', '.0496'], 'P=.04')
>>> format_number(358.0), format_number(8.93912), format_number(0.94213)
('358', '8.94', '0.942')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from gvisage_lib.core import schema

__all__ = ["GROUP_LABEL", "LABELS", "METRIC_LABEL", "MODEL_LABEL", "PHENOTYPE_LABEL", "RULE_LABEL", "SITE_LABEL",
           "SPLIT_LABEL", "decimals_for", "format_number", "format_p", "label", "shorten_hash"]

#: Display names of the splits.
SPLIT_LABEL: Mapping[str, str] = MappingProxyType(
    {"train": "Training", "test": "Testing", "validation": "Independent validation"})
#: Display names of the tumour groups.
GROUP_LABEL: Mapping[str, str] = MappingProxyType({"NC": "NC", "iGCT": "iGCT", "other": "Other midline tumour"})
#: Display names of the tumour sites.
SITE_LABEL: Mapping[str, str] = MappingProxyType(
    {"sellar": "Sellar", "pineal": "Pineal", "fourth_ventricle": "Fourth ventricle"})
#: Display names of the CNN candidates (the stage-2 models of notebook 05 are named for display already).
MODEL_LABEL: Mapping[str, str] = MappingProxyType(
    {"alexnet": "AlexNet", "resnet50": "ResNet-50", "inception_v3": "Inception-v3"})
#: Display names of the diagnostic metrics, in the order the bar charts show them.
METRIC_LABEL: Mapping[str, str] = MappingProxyType(
    {"auc": "AUC", "accuracy": "Accuracy", "sensitivity": "Sensitivity", "specificity": "Specificity"})
#: Display names of the operating-point rules (:func:`gvisage_lib.stats.operating_points`).
RULE_LABEL: Mapping[str, str] = MappingProxyType(
    {"youden": "Youden", "sensitivity_at_specificity": "sensitivity at specificity floor",
     "specificity_at_sensitivity": "specificity at sensitivity floor"})
#: Display names of the twin's planted phenotypes (:mod:`gvisage_lib.twin.phenotype`).
PHENOTYPE_LABEL: Mapping[str, str] = MappingProxyType({
    "phen_childlike": "Childlike face", "phen_puffiness": "Puffiness", "phen_periorbital": "Periorbital swelling",
    "phen_acne": "Acne", "phen_oily": "Oily skin", "phen_beard": "Beard", "phen_mature": "Mature face",
    "phen_pallor": "Pallor", "phen_fatigue": "Fatigue"})

#: Names of columns and levels that the spelling rule of :func:`label` would not get right.
_NAMES: dict[str, str] = {
    # the paper beside this run
    "paper": "Paper", "this_run": "This run", "paper_value": "Paper", "this_run_value": "This run",
    "paper_auc": "AUC (paper)", "paper_p": "P (paper)", "this_run_p": "P (this run)", "paper_in_ci": "Paper in CI",
    "paper_text": "Paper (as printed)", "auc_text": "AUC (as printed)", "agrees": "Agrees",
    "this_run_test": "Test (this run)", "paper_test": "Test (paper)", "recomputed_test": "Test (recomputed)",
    "recomputed_p": "P (recomputed)", "other": "Other",
    # estimates
    "estimate": "Estimate", "ci_low": "CI low", "ci_high": "CI high", "se": "SE", "z": "z", "n": "n",
    "p": "P", "p_value": "P", "pvalue": "P", "p_holm": "P (Holm)", "p_bh": "P (BH)", "p_adj": "P (adjusted)",
    "or": "OR", "odds_ratio": "Odds ratio", "coef": "Coefficient", "df": "df", "statistic": "Statistic",
    "auc": "AUC", "ppv": "PPV", "npv": "NPV", "tp": "TP", "fp": "FP", "tn": "TN", "fn": "FN",
    "n_pos": "n positive", "n_neg": "n negative", "positives": "Positives", "negatives": "Negatives",
    "rejection_rate": "Rejection rate", "mc_ci_low": "Monte-Carlo CI low", "mc_ci_high": "Monte-Carlo CI high",
    "chosen_on": "Threshold chosen on", "fitted_on": "Fitted on", "fit_split": "Fitted on",
    "checkpoint": "Checkpoint", "checkpoint_sha256": "Checkpoint (SHA-256)", "sha256": "SHA-256",
    # levels
    "train": "Training", "test": "Testing", "validation": "Independent validation",
    "out_of_fold": "out-of-fold training scores", "F": "Female", "M": "Male",
    "gvisagenet": "GVisageNet", "stage1": "Stage 1", "stage2": "Stage 2",
    "ml": "maximum likelihood", "firth": "Firth", "mann_whitney": "Mann-Whitney U", "t_test": "t test",
    "no_face": "no face", "multiple_faces": "multiple faces", "face_too_small": "face too small",
    "unreadable": "unreadable", "passed": "passed",
}

#: Every name the report shows for an identifier: the figures' labels, Table 1's variables, the endocrine
#: indicators, the phenotypes and :data:`_NAMES`. One map; :func:`label` reads it.
LABELS: Mapping[str, str] = MappingProxyType({
    **{k: v for k, v in schema.ENDOCRINE_LABELS.items()}, **SITE_LABEL, **MODEL_LABEL, **METRIC_LABEL,
    **RULE_LABEL, **PHENOTYPE_LABEL, **{k: v for k, v in GROUP_LABEL.items() if k != "other"}, **_NAMES,
    **{c: c.replace("_", " ").capitalize() for c in schema.SYMPTOM_COLUMNS},
    "age_years": "Age (years)", "duration_months": "Duration of symptoms (months)", "bmi": "BMI (kg/m²)",
    "tumor_site": "Tumour site", "tumor_type": "Tumour type", "hpt_damage": "HPT-axis damage", "sex": "Sex",
    "subject_id": "Subject", "group": "Group", "split": "Split", "stage": "Stage", "model": "Model",
    "metric": "Metric", "site": "Institution", "label": "Label", "score": "Score", "threshold": "Threshold",
    "rule": "Rule", "variable": "Variable", "level": "Level", "note": "Note", "reason": "Reason",
})

#: Words spelled in capitals (or their own way) when a name is spelled out by rule.
_WORDS: dict[str, str] = {
    "auc": "AUC", "ci": "CI", "se": "SE", "sd": "SD", "ppv": "PPV", "npv": "NPV", "bmi": "BMI", "cnn": "CNN",
    "hpt": "HPT", "qc": "QC", "igct": "iGCT", "nc": "NC", "vif": "VIF", "gvif": "GVIF", "lr": "LR", "id": "ID",
    "roc": "ROC", "pr": "PR", "bh": "BH", "sha256": "SHA-256", "mc": "Monte-Carlo", "oof": "out-of-fold",
    "p": "P", "n": "n", "z": "z", "df": "df", "tp": "TP", "fp": "FP", "tn": "TN", "fn": "FN", "stard": "STARD",
    "tripod": "TRIPOD", "delong": "DeLong", "gvisagenet": "GVisageNet", "dof": "df", "iqr": "IQR", "or": "OR",
    "pct": "%", "vs": "vs", "a": "a", "of": "of", "the": "the", "and": "and", "in": "in", "on": "on",
}
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$")
_WORD = re.compile(r"^[a-z][a-z0-9]*$")


def _lower_first(text: str) -> str:
    # "Validation AUC" -> "validation AUC" after a prefix; an acronym ("SE", "AUC") keeps its capitals
    return text[0].lower() + text[1:] if len(text) > 1 and text[0].isupper() and not text[1].isupper() else text


def _spell(name: str) -> str:
    for prefix, words in (("this_run_", "This run"), ("paper_", "Paper")):
        if name.startswith(prefix):
            return f"{words}, {_lower_first(str(label(name[len(prefix):], column=True)))}"
    if name.startswith("phen_"):
        return f"{name[5:].replace('_', ' ').capitalize()} (phenotype)"
    words = [_WORDS.get(w.lower(), w) for w in name.split("_")]
    first = words[0]
    if first and first[0].islower() and first.lower() not in _WORDS:
        words[0] = first[0].upper() + first[1:]
    return " ".join(words)


def label(value: Any, *, column: bool = False) -> Any:
    """The readable name of a column or a level; anything else (numbers, sentences, words) unchanged.

    Parameters
    ----------
    value : object
        A column name, a level of a categorical column, a boolean; a tuple (a column of a MultiIndex) is labelled
        element by element.
    column : bool, default False
        ``value`` names a column: a single lower-case word is capitalised too ("apparent" -> "Apparent"); a level
        is changed only when it is in :data:`LABELS` or is an identifier with underscores.

    Examples
    --------
    >>> [label(x) for x in ("this_run_se", "fourth_ventricle", "phen_beard", False, "stage2_vif", "tsh")]
    ['This run, SE', 'Fourth ventricle', 'Beard', 'no', 'Stage2 VIF', 'TSH (mIU/L)']
    >>> label("paper_validation_auc"), label("this_run_ci_low")
    ('Paper, validation AUC', 'This run, CI low')
    >>> label(("apparent", "auc"), column=True), label(0.5), label("Logistic regression"), label("ok")
    (('Apparent', 'AUC'), 0.5, 'Logistic regression', 'ok')
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return tuple(label(v, column=column) for v in value)
    if not isinstance(value, str):
        return value
    if value in LABELS:
        return LABELS[value]
    if _IDENTIFIER.match(value) and not value.isupper() or column and _WORD.match(value):
        return _spell(value)
    return value


def shorten_hash(value: str, keep: int = 10) -> str:
    """A hex digest (a checkpoint's SHA-256) shortened for reading: its first ``keep`` characters and an ellipsis.

    Examples
    --------
    >>> shorten_hash("9f2c" * 16)
    '9f2c9f2c9f…'
    >>> shorten_hash("abc")
    'abc'
    """
    text = str(value)
    return f"{text[:keep]}…" if len(text) > keep + 2 and re.fullmatch(r"[0-9a-fA-F]+", text) else text


def decimals_for(value: float) -> int:
    """Decimals to show for a number: 3 below 1 in absolute value, 2 below 100, 1 below 1000, else 0.

    Decided per value, not per column: a column that mixes counts, means and proportions (the paper's Table 1
    numbers) keeps the precision of each. A table shows a column whose values all lie in [-1, 1] with 3 decimals
    throughout (:mod:`gvisage_lib.run.display`).

    Examples
    --------
    >>> decimals_for(0.942), decimals_for(8.939), decimals_for(-16.95), decimals_for(249.1), decimals_for(1016.0)
    (3, 2, 2, 1, 0)
    """
    top = abs(float(value))
    return 3 if top < 1 else 2 if top < 100 else 1 if top < 1000 else 0


def format_number(value: Any, decimals: int | None = None) -> str:
    """A number for reading: ``decimals`` decimals (default :func:`decimals_for`); whole numbers as integers;
    blank when missing.

    Examples
    --------
    >>> [format_number(v) for v in (0.94213, 17.974615, 358.0, 12345.6, float("nan"), float("inf"), -0.0004)]
    ['0.942', '17.97', '358', '12346', '', 'inf', '-0.000']
    >>> format_number(1.0, decimals=3)
    '1.000'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "NaT"):
        return ""
    v = float(value)
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return str(v)
    if decimals is None:
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):d}"
        decimals = decimals_for(v)
    return f"{v:.{decimals}f}"


def format_p(p: Any, *, missing: str = "—", prefix: bool = False) -> str:
    """A P value as the paper, APA and JMIR print it: ``"<.001"``, ``".004"``, ``".04"``, ``">.99"``.

    The one P-value format of the report: no leading zero; ``"<.001"`` below .001; three decimals below .01, two
    from .01 up; ``">.99"`` where two decimals would print 1.00. Where the rounding would print a P below .05 as
    ``".05"``, more decimals are kept (``".0496"``), so that the printed value never crosses the .05 line.

    Parameters
    ----------
    p : float
        The P value, in [0, 1] or NaN.
    missing : str, default "—"
        What a NaN or None prints as (the paper's dash; a table cell passes ``""``).
    prefix : bool, default False
        Write it for a sentence: ``"P=.04"``, ``"P<.001"``, ``"P>.99"`` (JMIR's style).

    Examples
    --------
    >>> [format_p(v) for v in (0.0004, 0.0042, 0.0312, 0.0496, 0.312, 0.994, 0.996, float("nan"))]
    ['<.001', '.004', '.03', '.0496', '.31', '.99', '>.99', '—']
    >>> format_p(0.0312, prefix=True), format_p(3e-29, prefix=True), format_p(None, missing="")
    ('P=.03', 'P<.001', '')
    >>> format_p(1.2)
    Traceback (most recent call last):
    ...
    ValueError: p must be in [0, 1] or NaN, got 1.2
    """
    if p is None or str(p) in ("<NA>", "NaT"):
        return missing
    try:
        v = float(p)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"p must be a number in [0, 1] or NaN, got {p!r}") from exc
    if math.isnan(v):
        return missing
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"p must be in [0, 1] or NaN, got {p!r}")
    if v < 0.001:
        text = "<.001"
    elif v >= 0.995:  # two decimals would print 1.00
        text = ">.99"
    else:
        digits = 3 if v < 0.01 else 2
        while v < 0.05 and float(f"{v:.{digits}f}") >= 0.05:  # never print a P below .05 as ".05"
            digits += 1
        text = f"{v:.{digits}f}".lstrip("0")
    if not prefix:
        return text
    return f"P{text}" if text[0] in "<>" else f"P={text}"
