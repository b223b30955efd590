"""Correlation of the stage-2 CNN score with the endocrine indicators (the paper's Fig 5A).

The paper says "multinomial logistic regression was used to examine the correlation between the prediction scores
and the endocrine indicators" (Statistical analysis) and then reports signed, significant *correlations* and a
correlation heatmap. A multinomial model needs a categorical outcome with more than two levels; the score is
continuous and the indicators are continuous, so no multinomial regression produces signed pairwise correlations.
We read the analysis as what the figure shows: pairwise correlation coefficients of the score with each indicator
(Spearman by default: hormone values are skewed and the score is bounded; Pearson on request), computed on the
validation split's tumour subjects with pairwise-complete observations, and the indicators' own pairwise
correlations for the heatmap.

Confidence intervals use Fisher's z transform, z = atanh(r) ± z_(1-α/2) · SE, with

* Pearson: SE = 1 / sqrt(n - 3);
* Spearman: SE = sqrt((1 + r²/2) / (n - 3)) (Bonett & Wright 2000, Psychometrika 65:23-28) by default, or
  1 / sqrt(n - 3) with ``se_method="fisher"`` (what pingouin.corr uses for both methods).

P values: Pearson t test; Spearman t approximation with n - 2 df (scipy.stats.spearmanr). Fifteen tests at once:
Benjamini-Hochberg adjusted p values are reported beside the raw ones.

Examples
--------
>>> from gvisage_lib.stats import bh_adjust
>>> bh_adjust([0.01, 0.04, 0.03, 0.2]).round(4).tolist()
[0.04, 0.0533, 0.0533, 0.2]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from gvisage_lib import paper
from gvisage_lib.core import schema
from gvisage_lib.core.paths import RunPaths
from gvisage_lib.core.validation import check_frame
from gvisage_lib.stats import bh_adjust
from gvisage_lib.stats.results import StatResult

METHODS = ("spearman", "pearson")
SE_METHODS = ("auto", "fisher", "bonett_wright")


@dataclass(frozen=True)
class CorrelationCI(StatResult):
    """Fisher-z confidence interval of a correlation and the standard error on the z scale."""

    ci_low: float
    ci_high: float
    se_z: float


def correlation_ci(r: float, n: int, *, method: str = "spearman", se_method: str = "auto",
                   level: float = 0.95) -> CorrelationCI:
    """Fisher-z confidence interval of a correlation.

    Examples
    --------
    >>> ci = correlation_ci(0.5, 30, method="pearson")
    >>> round(ci.ci_low, 4), round(ci.ci_high, 4), round(ci.se_z, 4)
    (0.1704, 0.729, 0.1925)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if se_method not in SE_METHODS:
        raise ValueError(f"se_method must be one of {SE_METHODS}, got {se_method!r}")
    if n < 4:
        return CorrelationCI(float("nan"), float("nan"), float("nan"))
    use_bw = se_method == "bonett_wright" or (se_method == "auto" and method == "spearman")
    se = np.sqrt((1 + r * r / 2) / (n - 3)) if use_bw else 1 / np.sqrt(n - 3)
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    crit = sps.norm.ppf(0.5 + level / 2)
    return CorrelationCI(float(np.tanh(z - crit * se)), float(np.tanh(z + crit * se)), float(se))


def _corr(x: np.ndarray, y: np.ndarray, method: str) -> tuple[float, float]:
    if method == "spearman":
        res = sps.spearmanr(x, y)
    else:
        res = sps.pearsonr(x, y)
    return float(res.statistic), float(res.pvalue)


def score_correlations(frame: pd.DataFrame, *, score: str = "score",
                       indicators: Sequence[str] = schema.FIG5A_ENDOCRINE, method: str = "spearman",
                       se_method: str = "auto", level: float = 0.95, by: str | None = None) -> pd.DataFrame:
    """Correlation of ``score`` with each indicator: r, CI, raw and BH-adjusted p (pairwise-complete rows).

    Parameters
    ----------
    frame : DataFrame
        One row per subject (the validation split's tumour subjects in notebook 06).
    score : str
        Column of the stage-2 CNN score.
    indicators : sequence of str
        Endocrine columns; default the 15 of Fig 5A.
    method : {"spearman", "pearson"}
    se_method : {"auto", "fisher", "bonett_wright"}
        SE of the Fisher-z CI (see the module doc); "auto" = Bonett-Wright for Spearman, 1/sqrt(n-3) for Pearson.
    level : float
        Confidence level.
    by : str, optional
        Column to stratify on (e.g. ``group``): one set of correlations per level, BH-adjusted within each level.

    Returns
    -------
    DataFrame
        [by,] indicator, label, n, method, r, ci_low, ci_high, se_z, se_method, p_value, p_bh, significant_raw,
        significant_bh, paper_sign (+1/-1 where the paper reports a significant correlation, else 0).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"score": rng.random(100)})
    >>> df["tsh"] = df.score + rng.normal(0, .3, 100)
    >>> df["gh"] = -df.score + rng.normal(0, .3, 100)
    >>> out = score_correlations(df, indicators=["tsh", "gh"])
    >>> (out.r > 0).tolist()
    [True, False]
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if by is not None:
        if by not in frame.columns:
            raise ValueError(f"frame lacks the by column {by!r}")
        parts = [score_correlations(g, score=score, indicators=indicators, method=method, se_method=se_method,
                                    level=level).assign(**{by: lv})
                 for lv, g in frame.groupby(by, sort=True, observed=True)]
        out = pd.concat(parts, ignore_index=True)
        return out[[by, *[c for c in out.columns if c != by]]]
    indicators = list(indicators)
    check_frame(frame, "frame", [score, *indicators])
    s = pd.to_numeric(frame[score], errors="coerce").to_numpy(float)
    rows = []
    for ind in indicators:
        x = pd.to_numeric(frame[ind], errors="coerce").to_numpy(float)
        ok = ~(np.isnan(x) | np.isnan(s))
        n = int(ok.sum())
        if n < 4 or np.ptp(x[ok]) == 0:
            r = p = lo = hi = se = float("nan")
        else:
            r, p = _corr(s[ok], x[ok], method)
            ci = correlation_ci(r, n, method=method, se_method=se_method, level=level)
            lo, hi, se = ci.ci_low, ci.ci_high, ci.se_z
        use_bw = se_method == "bonett_wright" or (se_method == "auto" and method == "spearman")
        rows.append({"indicator": ind, "label": schema.ENDOCRINE_LABELS.get(ind, ind), "n": n, "method": method,
                     "r": r, "ci_low": lo, "ci_high": hi, "se_z": se,
                     "se_method": "Bonett-Wright" if use_bw else "1/sqrt(n-3)", "p_value": p})
    out = pd.DataFrame(rows)
    out["p_bh"] = bh_adjust(out["p_value"].to_numpy())
    alpha = 1 - level
    out["significant_raw"] = out["p_value"] < alpha
    out["significant_bh"] = out["p_bh"] < alpha
    out["paper_sign"] = out["indicator"].map(paper.FIG5A_SIGNS).fillna(0).astype(int)
    return out


@dataclass(frozen=True)
class CorrelationMatrix:
    """Square matrices of r, raw P and Benjamini-Hochberg adjusted P over the score and the indicators (score first).

    ``p_bh`` adjusts the P values of all the distinct pairs together (k(k - 1)/2 of them: 120 for the score and the
    15 indicators of Fig 5A), as the heatmap's stars are read all at once.
    """

    r: pd.DataFrame
    p: pd.DataFrame
    p_bh: pd.DataFrame
    method: str

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per pair (``variable_a``, ``variable_b``, ``r``, ``p_value``), lower triangle."""
        cols = list(self.r.columns)
        rows = [{"variable_a": a, "variable_b": b, "method": self.method, "r": float(self.r.loc[a, b]),
                 "p_value": float(self.p.loc[a, b]), "p_bh": float(self.p_bh.loc[a, b])}
                for i, a in enumerate(cols) for b in cols[:i]]
        return pd.DataFrame(rows)


def correlation_matrix(frame: pd.DataFrame, *, score: str = "score",
                       indicators: Sequence[str] = schema.FIG5A_ENDOCRINE,
                       method: str = "spearman") -> CorrelationMatrix:
    """Square matrices of r and raw P over the score and the indicators, pairwise-complete (heatmap of Fig 5A).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["score", "tsh", "gh"])
    >>> cm = correlation_matrix(df, indicators=["tsh", "gh"])
    >>> cm.r.shape, float(cm.r.loc["tsh", "tsh"]), len(cm.to_frame())
    ((3, 3), 1.0, 3)
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    cols = [score, *indicators]
    check_frame(frame, "frame", cols)
    data = frame[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    k = len(cols)
    r = np.eye(k)
    p = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            ok = ~(np.isnan(data[:, i]) | np.isnan(data[:, j]))
            if ok.sum() < 4 or np.ptp(data[ok, i]) == 0 or np.ptp(data[ok, j]) == 0:
                r[i, j] = r[j, i] = p[i, j] = p[j, i] = np.nan
            else:
                r[i, j], p[i, j] = _corr(data[ok, i], data[ok, j], method)
                r[j, i], p[j, i] = r[i, j], p[i, j]
    lower = np.tril_indices(k, -1)
    p_bh = np.zeros((k, k))
    p_bh[lower] = bh_adjust(p[lower])
    p_bh = p_bh + p_bh.T
    return CorrelationMatrix(pd.DataFrame(r, index=cols, columns=cols), pd.DataFrame(p, index=cols, columns=cols),
                             pd.DataFrame(p_bh, index=cols, columns=cols), method)


def fig5a_signs_with_paper(correlations: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """The paper's Fig 5A signs beside this run's correlations (one row per indicator).

    ``paper_sign`` is +1/-1 where the paper reports a significant correlation and 0 where it reports none;
    ``this_run_sign`` is the sign of r where the BH-adjusted P is below ``alpha``, else 0; ``agrees`` compares them.

    Examples
    --------
    >>> corr = pd.DataFrame({"indicator": ["tsh", "lh"], "r": [0.3, 0.01], "ci_low": [0.1, -0.2], "ci_high": [0.5, 0.2],
    ...                      "p_bh": [0.01, 0.9], "paper_sign": [1, 0]})
    >>> fig5a_signs_with_paper(corr)[["indicator", "paper_sign", "this_run_sign", "agrees"]].values.tolist()
    [['tsh', 1, 1, True], ['lh', 0, 0, True]]
    """
    need = ("indicator", "r", "ci_low", "ci_high", "p_bh", "paper_sign")
    check_frame(correlations, "correlations", need)
    out = correlations[list(need)].copy()
    out["this_run_sign"] = np.where(out["p_bh"] < alpha, np.sign(out["r"]), 0).astype(int)
    out["paper_sign"] = out["paper_sign"].astype(int)
    out["agrees"] = out["this_run_sign"] == out["paper_sign"]
    return out[["indicator", "paper_sign", "r", "ci_low", "ci_high", "p_bh", "this_run_sign", "agrees"]]


def planted_sign_check(correlations: pd.DataFrame, loadings: pd.Series, *, alpha: float = 0.05) -> pd.DataFrame:
    """Compare observed correlation signs with the twin's planted loadings (truth check).

    For each indicator with a planted (non-zero) loading: planted sign, observed r, whether the sign matches and
    whether the correlation is significant (BH-adjusted p < ``alpha``) in the planted direction. Indicators planted
    at 0 are listed with ``planted_sign = 0`` and flagged if BH-significant (a false discovery).

    Examples
    --------
    >>> corr = pd.DataFrame({"indicator": ["tsh", "gh", "lh"], "r": [0.3, -0.2, 0.01], "p_bh": [0.001, 0.01, 0.9]})
    >>> planted_sign_check(corr, pd.Series({"tsh": 0.5, "gh": -0.4, "lh": 0.0})).sign_recovered.tolist()
    [True, True, True]
    """
    for c in ("indicator", "r", "p_bh"):
        if c not in correlations.columns:
            raise ValueError(f"correlations lack column {c!r}")
    out = correlations[["indicator", "r", "p_bh"]].copy()
    out["planted_loading"] = out["indicator"].map(loadings).astype(float)
    if out["planted_loading"].isna().any():
        miss = out.loc[out["planted_loading"].isna(), "indicator"].tolist()
        raise ValueError(f"loadings lack indicator(s) {miss}")
    out["planted_sign"] = np.sign(out["planted_loading"]).astype(int)
    obs = np.sign(out["r"]).astype(int)
    sig = out["p_bh"] < alpha
    out["observed_sign"] = obs
    out["significant_bh"] = sig
    out["sign_recovered"] = np.where(out["planted_sign"] != 0, obs == out["planted_sign"], ~sig)
    out["significant_in_planted_direction"] = (out["planted_sign"] != 0) & sig & (obs == out["planted_sign"])
    return out


def twin_truth_check(frame: pd.DataFrame, truth: pd.DataFrame, loadings: pd.Series, table3: pd.DataFrame, *,
                     score: str = "score", group: str = "group", alpha: float = 0.05) -> pd.DataFrame:
    """Does the analysis recover what the twin planted? One row per check (the twin only: needs truth.csv).

    Checks, on the rows of ``frame`` (validation tumours with ``score``):

    * the score tracks the latent ``endocrine_damage`` (Spearman within each tumour group, planted: positive);
    * each planted non-zero loading comes back with its sign and BH-significant, within each tumour group (the
      planted relations hold within split x group; a pooled correlation also carries Table 1's group differences);
    * indicators planted at 0 are not BH-significant;
    * the planted signs once more on both tumour groups together, adjusted for the group (partial Spearman
      correlation with the group as covariate, pingouin ``partial_corr``): the planted relation is the same in both
      groups, so this is the more powerful test of it, and it is free of the between-group differences that a
      pooled correlation carries;
    * HPT strata: the mean score rises with damage (planted: complete > incomplete > none), and so does the
      within-stratum AUC (planted: within a damage level iGCTs' impaired axes are more severely impaired than other
      tumours', a gap that widens with the level; ``twin_parameters.json``, hpt_damage.axis_beta), the ordering of
      the paper's Table 3.

    Returns
    -------
    DataFrame
        check, group, planted, observed, recovered.

    Examples
    --------
    >>> twin_truth_check(pd.DataFrame(), pd.DataFrame(), pd.Series(dtype=float), pd.DataFrame())
    Traceback (most recent call last):
    ...
    ValueError: frame lacks column(s) ['subject_id', 'score', 'group']; it has []
    """
    from gvisage_lib.endocrine.strata import strata_order_check

    check_frame(frame, "frame", ("subject_id", score, group))
    if "endocrine_damage" not in truth.columns:
        raise ValueError("truth lacks column 'endocrine_damage'")
    df = frame.merge(truth[["subject_id", "endocrine_damage"]], on="subject_id", how="left")
    rows = []
    for g, sub in df.groupby(group, sort=True, observed=True):
        r, p = _corr(sub[score].to_numpy(float), sub["endocrine_damage"].to_numpy(float), "spearman")
        rows.append({"check": "score tracks latent endocrine_damage (Spearman)", "group": g, "planted": "r > 0",
                     "observed": f"r = {r:.3f}, {paper.format_p(p, prefix=True)}",
                     "recovered": bool(r > 0 and p < alpha)})
        chk = planted_sign_check(score_correlations(sub, score=score), loadings, alpha=alpha)
        pl = chk[chk["planted_sign"] != 0]
        rows.append({"check": "planted signs recovered, BH-significant", "group": g,
                     "planted": ", ".join(f"{i} {'+' if s > 0 else '-'}"
                                          for i, s in zip(pl.indicator, pl.planted_sign)),
                     "observed": f"{int(pl.significant_in_planted_direction.sum())} of {len(pl)}",
                     "recovered": bool(pl.significant_in_planted_direction.all())})
        nul = chk[chk["planted_sign"] == 0]
        fd = nul.loc[nul["significant_bh"], "indicator"].tolist()
        rows.append({"check": "no BH-significant correlation where none was planted", "group": g,
                     "planted": ", ".join(nul.indicator), "observed": ", ".join(fd) or "none significant",
                     "recovered": not fd})
    rows.append(_pooled_within_group_signs(df, loadings, score=score, group=group, alpha=alpha))
    for metric, planted in (("mean_score", "complete > incomplete > none"), ("auc", "complete > incomplete > none")):
        oc = strata_order_check(table3, metric=metric).set_index("comparison")
        obs = ", ".join(f"{k}: {v:+.3f}" for k, v in oc["difference"].items() if k != "all")
        rows.append({"check": f"HPT strata ordered by {metric}", "group": "all tumours", "planted": planted,
                     "observed": obs, "recovered": bool(oc.loc["all", "holds"])})
    return pd.DataFrame(rows)


def _pooled_within_group_signs(df: pd.DataFrame, loadings: pd.Series, *, score: str, group: str,
                               alpha: float) -> dict[str, object]:
    """Truth-check row: planted signs, partial Spearman of score and indicator adjusted for the tumour group."""
    import pingouin as pg

    planted = loadings[loadings != 0]
    data = df.assign(_group=pd.factorize(df[group])[0].astype(float))
    rs, ps = [], []
    for ind in planted.index:
        sub = data[[score, ind, "_group"]].dropna()
        res = pg.partial_corr(sub, x=score, y=ind, covar="_group", method="spearman")
        rs.append(float(res["r"].iloc[0]))
        ps.append(float(res["p_val"].iloc[0]))
    p_bh = bh_adjust(ps)
    hits = [bool(p < alpha and np.sign(r) == np.sign(lo)) for r, p, lo in zip(rs, p_bh, planted)]
    return {"check": "planted signs recovered, BH-significant (both groups, adjusted for group)",
            "group": "all tumours",
            "planted": ", ".join(f"{i} {'+' if v > 0 else '-'}" for i, v in planted.items()),
            "observed": f"{sum(hits)} of {len(hits)}", "recovered": bool(all(hits))}


TRUTH_CHECK_COLUMNS = ("check", "group", "planted", "observed", "recovered")


def describe_truth_check(checks: pd.DataFrame) -> str:
    """The truth check of :func:`run_truth_check` in words (Markdown), every count from ``checks``.

    Examples
    --------
    >>> t = pd.DataFrame({"check": ["planted signs recovered, BH-significant"], "group": ["iGCT"],
    ...                   "planted": ["8 signs"], "observed": ["7 of 8"], "recovered": [False]})
    >>> print(describe_truth_check(t))  # doctest: +ELLIPSIS
    0 of 1 checks recovered the planted truth.
    <BLANKLINE>
    * Not recovered: planted signs recovered, BH-significant (iGCT): planted 8 signs, observed 7 of 8.
    <BLANKLINE>
    A check not recovered says that the network of this run did not learn that part of the planted mechanism ...
    >>> describe_truth_check(pd.DataFrame(columns=list(TRUTH_CHECK_COLUMNS)))
    'No truth to check: this cohort is not the synthetic twin.'
    """
    if checks.empty:
        return "No truth to check: this cohort is not the synthetic twin."
    ok = checks["recovered"].astype(str).str.lower() == "true"
    lines = [f"{int(ok.sum())} of {len(checks)} checks recovered the planted truth."]
    failed = checks[~ok]
    if len(failed):
        lines.append("\n".join(f"* Not recovered: {r.check} ({r.group}): planted {r.planted}, observed {r.observed}."
                               for r in failed.itertuples(index=False)))
        lines.append("A check not recovered says that the network of this run did not learn that part of the planted "
                     "mechanism (or that the sample is too small to show it), not that the analysis is wrong.")
    return "\n\n".join(lines)


def run_truth_check(frame: pd.DataFrame, table3: pd.DataFrame, paths: RunPaths, *,
                    score: str = "score") -> pd.DataFrame:
    """:func:`twin_truth_check` against the run's twin ``truth.csv`` (``paths.truth``) and planted loadings; empty
    if there is no truth.

    A user's own cohort has no ``truth.csv``: the result is then an empty table with the same columns.

    Examples
    --------
    >>> run_truth_check(pd.DataFrame(), pd.DataFrame(), RunPaths("/nonexistent/run")).columns.tolist()
    ['check', 'group', 'planted', 'observed', 'recovered']
    """
    p = paths.truth
    if not p.exists():
        return pd.DataFrame(columns=list(TRUTH_CHECK_COLUMNS))
    from gvisage_lib.twin.tabular import planted_endocrine_loadings

    truth = pd.read_csv(p, dtype={"subject_id": str})
    return twin_truth_check(frame, truth, planted_endocrine_loadings(), table3, score=score)
