"""What a run's data are, and its limitations: generated from the run folder, shown on every page of the report.

:func:`data_notice` says, at the top of ``index.html`` and of every rendered notebook, what the run was computed on.
For the synthetic twin: that no patient is involved, that the photos are rendered drawings, what the twin was
calibrated to (the paper's Table 1 margins, the clinical model's AUC, and the AUC a CNN can reach through the
effect sizes of the drawn phenotypes; see ``docs/twin.md``), and therefore what agreement with the paper can and
cannot show. For a user's cohort: its manifest's name, its size and the manifest's SHA-256 from ``run.json``.

:func:`limitations` lists the run's limitations, each from what the run recorded: the data, the profile, the one
training seed, where the thresholds were chosen (``operating_points.csv``'s ``chosen_on``), which rows are
in-sample, and the selection of GVisageNet on the test split. The index shows them as its "Limitations" section,
which the STARD 26 and TRIPOD+AI 26 checklist items point at.

Both read only the run folder: ``run.json``, ``tables/*.csv`` and ``cohort/``. Missing tables leave their sentence
out (a run stopped early still gets a true notice).

Examples
--------
>>> import json, tempfile, pathlib
>>> run = pathlib.Path(tempfile.mkdtemp())
>>> _ = (run / "run.json").write_text(json.dumps({"parameters": {"synthetic_twin": True, "profile": "smoke",
...                                                               "seed": 3}}))
>>> from gvisage_lib.core.paths import RunPaths
>>> data_notice(RunPaths(run))["title"]
'Synthetic data: no patient is involved'
>>> [item["topic"] for item in limitations(RunPaths(run))][:3]
['Data', 'Profile', 'One training seed']
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from gvisage_lib.core.paths import RunPaths, check_paths
from gvisage_lib.paper.checklists import threshold_provenance

__all__ = ["data_notice", "limitations", "notice_html", "threshold_provenance"]

#: The profile whose settings are the paper's (256 px crops, 10 epochs).
PAPER_PROFILE = "paper"


def _record(run_dir: Path) -> dict[str, Any]:
    """The run record in its JSON form (:class:`gvisage_lib.core.record.RunRecord`, the one reader of run.json)."""
    from gvisage_lib.core.record import RunRecord

    return RunRecord.load(run_dir).to_dict()


def _table(run_dir: Path, name: str) -> pd.DataFrame | None:
    path = run_dir / "tables" / f"{name}.csv"
    return pd.read_csv(path) if path.is_file() else None


def _f3(x: Any) -> str:
    return f"{float(x):.3f}"


def _twin_calibration(run_dir: Path) -> list[str]:
    out = []
    cal = _table(run_dir, "table1_calibration")
    if cal is not None and "flag" in cal.columns:
        z = pd.to_numeric(cal.get("z"), errors="coerce")
        n, flagged = int(z.notna().sum()), int(cal["flag"].astype(str).str.lower().eq("true").sum())
        out.append(f"Table 1's margins (means and proportions per split and tumour group): {n - flagged} of {n} of "
                   f"this twin's Table 1 numbers lie within 3 standard errors of the paper's (notebook 01)")
    else:
        out.append("Table 1's margins (means and proportions per split and tumour group)")
    t2 = _table(run_dir, "table2_stage2_models")
    clin = None
    if t2 is not None and {"model", "split", "metric", "estimate"} <= set(t2.columns):
        clin = t2[(t2["model"] == "Logistic regression") & (t2["split"] == "validation") & (t2["metric"] == "auc")]
    text = "the clinical model's AUC (the paper's seven variables reach a modest AUC"
    if clin is not None and len(clin):
        from gvisage_lib.paper import numbers

        pr = numbers.table2().set_index(["model", "split", "metric"])["estimate"]
        text += (f"; this run's validation AUC {_f3(clin['estimate'].iloc[0])}, the paper's "
                 f"{_f3(pr[('Logistic regression', 'validation', 'auc')])}")
    out.append(text + ")")
    ceil = _table(run_dir, "twin_ceilings")
    text = ("the AUC a CNN can reach, through the effect sizes of the drawn phenotypes, which were raised until a "
            "small CNN reached AUCs like the paper's")
    if ceil is not None and len(ceil):
        parts = [f"stage {int(r.stage)}: phenotype ceiling {_f3(r.phenotype_ceiling_auc)}, image statistics alone "
                 f"{_f3(r.image_statistics_auc)}, the paper's CNN {_f3(r.paper_validation_auc)}"
                 for r in ceil.itertuples(index=False)]
        text += " (" + "; ".join(parts) + "; notebook 02)"
    out.append(text)
    return out


def data_notice(paths: RunPaths) -> dict[str, Any]:
    """What the run's data are: ``{"kind": "twin" | "own", "title": str, "paragraphs": [str, ...],
    "calibrated": [str, ...], "link": str}`` (``link``: the design note, relative to the run folder).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "run.json").write_text(json.dumps({"parameters": {"synthetic_twin": False, "manifest": "/x/m.csv"},
    ...                                               "data": {"manifest_sha256": "ab" * 32}}))
    >>> n = data_notice(RunPaths(run))
    >>> n["kind"], n["title"]
    ('own', 'Cohort m.csv')
    """
    check_paths(paths)
    root = paths.root
    record = _record(root)
    params = record.get("parameters", {})
    if not params.get("synthetic_twin", True):
        manifest = Path(str(params.get("manifest", ""))).name or "(unnamed manifest)"
        sha = str(record.get("data", {}).get("manifest_sha256", ""))
        study = _table(root, "study_flow")
        size = ""
        if study is not None and "n" in study.columns:
            size = f"{int(pd.to_numeric(study['n'], errors='coerce').sum())} subjects"
        paragraphs = [f"This run was computed on the cohort of the manifest {manifest}"
                      + (f" ({size})" if size else "") + (f", SHA-256 {sha}" if sha else "") + ".",
                      "Its results describe that cohort; agreement with the paper's numbers is a comparison of two "
                      "cohorts and two trainings, not a check of this software."]
        return {"kind": "own", "title": f"Cohort {manifest}", "paragraphs": paragraphs, "calibrated": [],
                "link": "docs/data.html"}
    profile = str(params.get("profile", ""))
    paragraphs = [
        "This run was computed on the synthetic twin: no patient is involved. Every photo is a drawing rendered by "
        "this package, and every clinical and endocrine value is drawn at random from distributions set from the "
        "paper.",
        "What agreement with the paper can show: that the pipeline recovers what the twin was built to contain, and "
        "how the paper's statistical choices behave at its sample sizes. What it cannot show: that the paper's "
        "results replicate, or that faces carry this signal in patients. The AUCs were made to come out near the "
        "paper's; the paper's tests (the comparisons, the Friedman test, the correlations) were not calibrated, so "
        "their verdicts below are the informative part.",
    ]
    if profile != PAPER_PROFILE:
        paragraphs.append(f"The {profile} profile trains small networks on small images for a quick check; only the "
                          "paper profile uses the paper's image size and epochs.")
    return {"kind": "twin", "title": "Synthetic data: no patient is involved", "paragraphs": paragraphs,
            "calibrated": _twin_calibration(root), "link": "docs/twin.html"}


def _in_sample_rows(root: Path) -> list[str]:
    out = []
    for name, label in (("table2_stage2_models", None), ("gvisagenet_metrics_long", "GVisageNet")):
        t = _table(root, name)
        if t is None or "in_sample" not in t.columns:
            continue
        rows = t[t["in_sample"].astype(str).str.lower() == "true"]
        for (model, stage, split), g in rows.groupby(["model", "stage", "split"], sort=False):
            metrics = ", ".join(dict.fromkeys(g["metric"].astype(str)))
            who = label or model
            out.append(f"{who} (stage {int(stage)}, {split}: {metrics})")
    return list(dict.fromkeys(out))


def limitations(paths: RunPaths) -> list[dict[str, str]]:
    """The run's limitations, each ``{"topic": str, "text": str}``, from what the run recorded.

    Topics: Data, Profile, One training seed, Thresholds, In-sample rows, Selection on the test split.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "run.json").write_text(json.dumps({"parameters": {"synthetic_twin": True, "profile": "paper",
    ...                                                               "seed": 3}}))
    >>> limitations(RunPaths(run))[2]["text"][:46]
    'Every network was trained once, from seed 3: t'
    """
    check_paths(paths)
    root = paths.root
    record = _record(root)
    params = record.get("parameters", {})
    prof = record.get("profile", {}) if isinstance(record.get("profile"), dict) else {}
    notice = data_notice(paths)
    items = [{"topic": "Data", "text": " ".join(notice["paragraphs"][:2])}]
    name = str(params.get("profile", prof.get("name", "")))
    if name == PAPER_PROFILE:
        text = "The paper profile: the paper's image size and epochs, on one machine's hardware."
    else:
        size, epochs = prof.get("image_size"), prof.get("stage_epochs") or prof.get("epochs")
        text = (f"The {name} profile" + (f" trains on {size}-pixel crops" if size else "")
                + (f" for {epochs} epoch(s)" if epochs else "")
                + ", where the paper used 256-pixel crops and 10 epochs: its networks are weaker than the paper "
                  "profile's, and its AUCs are not meant to be set beside the paper's.")
    items.append({"topic": "Profile", "text": text})
    items.append({"topic": "One training seed",
                  "text": (f"Every network was trained once, from seed {params.get('seed', '')}: the variation "
                           "between trainings is in no confidence interval shown, which cover the sampling of "
                           "subjects only.")})
    where = threshold_provenance(paths)
    score_fit = params.get("score_fit", "")
    items.append({"topic": "Thresholds",
                  "text": ((f"The CNN's thresholds were chosen on {where}" if where else
                            "This run has not chosen thresholds yet")
                           + (f" (score_fit = {score_fit})" if score_fit else "")
                           + "; the rows evaluated on the split a threshold or model was fitted on are in-sample "
                             "(optimistic).")})
    rows = _in_sample_rows(root)
    items.append({"topic": "In-sample rows",
                  "text": ("Computed on the subjects their model or threshold was fitted on, and marked in-sample "
                           "wherever shown: " + "; ".join(rows) + "." if rows else
                           "No row of this run's Table 2 tables is in-sample.")})
    items.append({"topic": "Selection on the test split",
                  "text": ("GVisageNet is the candidate with the best stage-2 test AUC (the paper's rule), so its "
                           "test AUC is the best of three and optimistic; the validation split, used for nothing, "
                           "gives the unbiased estimate.")})
    return items


def notice_html(paths: RunPaths, *, link_prefix: str = "") -> str:
    """The notice as an HTML ``<aside>`` (escaped), for the index (``link_prefix=""``) and the notebook pages
    (``link_prefix="../"``).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "run.json").write_text(json.dumps({"parameters": {"synthetic_twin": True, "profile": "smoke"}}))
    >>> notice_html(RunPaths(run), link_prefix="../").count('href="../docs/twin.html"')
    1
    """
    check_paths(paths)
    n = data_notice(paths)
    parts = [f'<aside class="gv-notice" id="data-notice"><p><b>{escape(n["title"])}.</b> '
             f'{escape(n["paragraphs"][0])}</p>']
    if n["calibrated"]:
        parts.append("<p>Calibrated to the paper:</p><ul>"
                     + "".join(f"<li>{escape(c)}</li>" for c in n["calibrated"]) + "</ul>")
    parts += [f"<p>{escape(p)}</p>" for p in n["paragraphs"][1:]]
    parts.append(f'<p>How the data were made: <a href="{link_prefix}{n["link"]}">{escape(n["link"])}</a>; the '
                 f'run\'s limitations: <a href="{link_prefix}index.html#limitations">index.html#limitations</a>.</p>'
                 "</aside>")
    return "".join(parts)
