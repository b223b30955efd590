"""Clinical-variable model of stage 2 (iGCT vs other midline tumour): screening, logistic regression, VIF.

The paper (Li et al. 2025, Methods and Results) screens the Table 1 variables on the training split, keeps those that
differ between iGCTs and other midline tumours at P < .05 (it got seven: limb movement disorder, diabetes insipidus,
sexual abnormality, affective disturbance, convulsive seizure, TSH and GH) and fits a multivariable logistic
regression on them. This module does the same with the Table 1 tests of
:func:`gvisage_lib.stats.two_groups.compare_two_groups` and adds what the paper's own Discussion asks for: variance
inflation factors.

Choices where the paper is silent (stated here and in notebook 05):

* Candidates are the Table 1 variables (:data:`CANDIDATE_VARIABLES`): age, sex, disease duration, BMI, tumour site,
  the 10 symptoms and the 16 endocrine values (TT3 and TT4 were measured but are missing from the paper's Table 1;
  they are screened like the rest). Growth retardation, "not applicable" in the paper's Table 1, is screened too.
* Missing values are imputed with statistics of the training split only (median for continuous, mode for binary and
  categorical variables) and the same values are carried to the test and validation splits. The screening tests use
  the observed values only (no imputation).
* Continuous predictors enter on their raw scale (as SPSS would); categorical ones as treatment dummies against the
  first level in sorted order (``sex``: F is the reference; ``tumor_site``: ``fourth_ventricle``).
* Collinearity: the generalised VIF of each predictor (:func:`vif`; R ``car::vif`` on an ``lm`` with the same
  predictors): one value per predictor, a factor's dummies together, so the alarm does not depend on which level
  is the reference.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x1": rng.normal(size=200), "x2": rng.integers(0, 2, 200)})
>>> df["y"] = (rng.random(200) < 1 / (1 + np.exp(-(0.8 * df.x1 + 0.5 * df.x2)))).astype(int)
>>> fit = fit_logistic(df, "y", ["x1", "x2"])
>>> list(fit.table.term)
['const', 'x1', 'x2']
>>> bool(fit.table.set_index("term").loc["x1", "odds_ratio"] > 1)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as sps

from gvisage_lib.cohort.table1 import TABLE1_VARIABLES
from gvisage_lib.core.schema import SPLITS
from gvisage_lib.core.validation import check_frame
from gvisage_lib.paper import CLINICAL_MODEL, training_p

#: Variable kinds understood by the screening (the ``kind`` of ``stats.two_groups.compare_two_groups``).
KINDS: tuple[str, ...] = ("continuous", "binary", "categorical")

#: Table 1 candidates of the stage-2 clinical model and their kinds (``gvisage_lib.cohort.table1.TABLE1_VARIABLES``).
CANDIDATE_VARIABLES: dict[str, str] = dict(TABLE1_VARIABLES)

class SeparationError(ValueError):
    """The outcome is (quasi-)perfectly separated by the predictors: no maximum-likelihood estimate exists."""


def _binary_outcome(frame: pd.DataFrame, outcome: str) -> np.ndarray:
    y = pd.to_numeric(frame[outcome], errors="coerce")
    bad = ~y.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"outcome column {outcome!r} must be 0/1; "
                         f"row {frame.index[i]!r} has {frame[outcome].iloc[i]!r}")
    y = y.to_numpy(dtype=int)
    if y.min() == y.max():
        raise ValueError(f"outcome column {outcome!r} has a single class ({y[0]}); both 0 and 1 are needed")
    return y


def screen_univariate(
    frame: pd.DataFrame,
    outcome: str,
    variables: Mapping[str, str] | None = None,
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Univariate screening with the Table 1 tests: variables with P < ``alpha`` enter the model.

    Each variable is compared between ``outcome == 1`` and ``outcome == 0`` with
    :func:`gvisage_lib.stats.two_groups.compare_two_groups` (Shapiro-Wilk chooses the t test or Mann-Whitney U for
    continuous variables; chi-square, or Fisher's exact test when an expected count is below 5, for binary and
    categorical ones). Missing values are dropped per variable.

    Parameters
    ----------
    frame : DataFrame
        One row per subject (run it on the training split only).
    outcome : str
        0/1 column (1 = iGCT in stage 2).
    variables : mapping, optional
        ``{column: kind}`` with kind in :data:`KINDS`; default :data:`CANDIDATE_VARIABLES` (those present).
    alpha : float
        Entry threshold (the paper's .05).

    Returns
    -------
    DataFrame
        variable, kind, n_pos, n_neg (non-missing), test, statistic, p_value, selected, paper_selected,
        paper_p_train (the paper's printed training-split P).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"y": np.repeat([0, 1], 60), "tsh": np.r_[rng.normal(2, 1, 60), rng.normal(1, 1, 60)],
    ...                    "bmi": rng.normal(18, 2, 120)})
    >>> out = screen_univariate(df, "y", {"tsh": "continuous", "bmi": "continuous"})
    >>> out.set_index("variable").loc["tsh", "selected"]
    np.True_
    """
    from gvisage_lib.stats.two_groups import compare_two_groups

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if variables is None:
        variables = {k: v for k, v in CANDIDATE_VARIABLES.items() if k in frame.columns}
    check_frame(frame, "frame", [outcome, *variables])
    y = _binary_outcome(frame, outcome)
    rows = []
    for var, kind in variables.items():
        if kind not in KINDS:
            raise ValueError(f"kind of variable {var!r} must be one of {KINDS}, got {kind!r}")
        col = frame[var]
        if kind == "continuous":
            col = pd.to_numeric(col, errors="coerce")
        a = col[(y == 1) & col.notna().to_numpy()].to_numpy()
        b = col[(y == 0) & col.notna().to_numpy()].to_numpy()
        if len(a) < 3 or len(b) < 3 or pd.Series(np.r_[a, b]).nunique() < 2:
            res_test, res_stat, res_p = "not tested (too few values or constant)", np.nan, np.nan
        else:
            res = compare_two_groups(a, b, kind=kind)
            res_test, res_stat, res_p = res.test, float(res.statistic), float(res.p_value)
        rows.append({"variable": var, "kind": kind, "n_pos": len(a), "n_neg": len(b), "test": res_test,
                     "statistic": res_stat, "p_value": res_p})
    out = pd.DataFrame(rows)
    out["selected"] = out["p_value"] < alpha
    out["paper_selected"] = out["variable"].isin(CLINICAL_MODEL)
    out["paper_p_train"] = out["variable"].map(training_p())
    return out


@dataclass
class DesignSpec:
    """How raw columns become model columns: kinds, fill values and dummy levels (all learnt on training data)."""

    predictors: list[str]
    kinds: dict[str, str]
    fill: dict[str, object]
    levels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Names of the design columns (without the constant)."""
        cols: list[str] = []
        for p in self.predictors:
            if self.kinds[p] == "categorical":
                cols += [f"{p}[{lv}]" for lv in self.levels[p][1:]]
            else:
                cols.append(p)
        return cols


def _infer_kind(s: pd.Series) -> str:
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().sum() < s.notna().sum():
        return "categorical"
    vals = set(num.dropna().unique().tolist())
    return "binary" if vals <= {0, 1} else "continuous"


def fit_design(frame: pd.DataFrame, predictors: Sequence[str], kinds: Mapping[str, str] | None = None) -> DesignSpec:
    """Learn the imputation values and dummy levels of ``predictors`` from ``frame`` (the training split).

    Examples
    --------
    >>> import pandas as pd
    >>> spec = fit_design(pd.DataFrame({"a": [1.0, None, 3.0], "s": ["M", "F", "M"]}), ["a", "s"])
    >>> spec.fill["a"], spec.columns
    (2.0, ['a', 's[M]'])
    """
    predictors = list(predictors)
    if not predictors:
        raise ValueError("predictors must name at least one column, got an empty list")
    check_frame(frame, "frame", predictors)
    kinds = dict(kinds or {})
    fill: dict[str, object] = {}
    levels: dict[str, list[str]] = {}
    for p in predictors:
        kind = kinds.get(p) or CANDIDATE_VARIABLES.get(p) or _infer_kind(frame[p])
        if kind not in KINDS:
            raise ValueError(f"kind of predictor {p!r} must be one of {KINDS}, got {kind!r}")
        kinds[p] = kind
        col = frame[p]
        if col.notna().sum() == 0:
            raise ValueError(f"predictor {p!r} has no observed value in the training frame")
        if kind == "continuous":
            fill[p] = float(pd.to_numeric(col, errors="coerce").median())
        elif kind == "binary":
            fill[p] = float(pd.to_numeric(col, errors="coerce").mode().min())
        else:
            lv = sorted(col.dropna().astype(str).unique().tolist())
            if len(lv) < 2:
                raise ValueError(f"categorical predictor {p!r} has a single level {lv} in the training frame")
            levels[p] = lv
            fill[p] = str(col.dropna().astype(str).mode().min())
    return DesignSpec(predictors, kinds, fill, levels)


def design_matrix(frame: pd.DataFrame, spec: DesignSpec, *, constant: bool = True) -> pd.DataFrame:
    """Model matrix of ``frame`` under ``spec`` (imputed with the training values, dummies, optional constant).

    Examples
    --------
    >>> import pandas as pd
    >>> spec = fit_design(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), ["a"])
    >>> design_matrix(pd.DataFrame({"a": [None, 5.0]}), spec).to_numpy().tolist()
    [[1.0, 2.0], [1.0, 5.0]]
    """
    check_frame(frame, "frame", spec.predictors)
    cols: dict[str, np.ndarray] = {}
    if constant:
        cols["const"] = np.ones(len(frame))
    for p in spec.predictors:
        kind = spec.kinds[p]
        if kind == "categorical":
            s = frame[p].astype("string").fillna(str(spec.fill[p]))
            unknown = sorted(set(s.unique()) - set(spec.levels[p]))
            if unknown:
                raise ValueError(f"predictor {p!r} has level(s) {unknown} unseen in training {spec.levels[p]}")
            for lv in spec.levels[p][1:]:
                cols[f"{p}[{lv}]"] = (s == lv).to_numpy(dtype=float)
        else:
            num = pd.to_numeric(frame[p], errors="coerce")
            bad = num.isna() & frame[p].notna()
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(f"predictor {p!r}: row {frame.index[i]!r} has non-numeric value {frame[p].iloc[i]!r}")
            cols[p] = num.fillna(float(spec.fill[p])).to_numpy(dtype=float)  # type: ignore[arg-type]
    return pd.DataFrame(cols, index=frame.index)


#: Columns of :func:`imputation_counts`.
IMPUTATION_COLUMNS: tuple[str, ...] = ("variable", "kind", "split", "n", "n_imputed", "pct_imputed", "fill", "rule",
                                       "fitted_on")
#: How :func:`fit_design` learns the fill value of each kind.
_FILL_RULE: dict[str, str] = {"continuous": "median", "binary": "mode", "categorical": "mode"}


def imputation_counts(frame: pd.DataFrame, spec: DesignSpec, *, fitted_on: str = "train",
                      split_column: str = "split") -> pd.DataFrame:
    """How many values of each predictor :func:`design_matrix` imputes, per split of ``frame``.

    Parameters
    ----------
    frame : DataFrame
        The rows the model scores, with ``split_column`` and the predictors of ``spec``.
    spec : DesignSpec
        The fitted design (:func:`fit_design`; ``LogisticFit.spec``), whose fill values replace the missing cells.
    fitted_on : str
        The split the fill values were learned on (stated in the table).
    split_column : str
        Column naming each row's split.

    Returns
    -------
    DataFrame
        :data:`IMPUTATION_COLUMNS`: one row per predictor and split (the contract's splits first, in their order):
        ``n`` rows, ``n_imputed`` missing cells replaced by ``fill`` (``pct_imputed`` of ``n``), ``rule`` the
        statistic of ``fitted_on`` that gave ``fill`` (median for continuous, mode for binary and categorical
        predictors).

    Examples
    --------
    >>> train = pd.DataFrame({"split": "train", "tsh": [1.0, None, 3.0, 5.0]})
    >>> spec = fit_design(train, ["tsh"])
    >>> both = pd.concat([train, pd.DataFrame({"split": "test", "tsh": [None, None]})])
    >>> imputation_counts(both, spec)[["variable", "split", "n", "n_imputed", "fill", "rule"]].values.tolist()
    [['tsh', 'train', 4, 1, 3.0, 'median'], ['tsh', 'test', 2, 2, 3.0, 'median']]
    """
    check_frame(frame, "frame", [split_column, *spec.predictors])
    present = list(dict.fromkeys(frame[split_column]))
    splits = [s for s in SPLITS if s in present] + [s for s in present if s not in SPLITS]
    rows = []
    for p in spec.predictors:
        for split in splits:
            part = frame.loc[frame[split_column] == split, p]
            n, missing = int(part.size), int(part.isna().sum())
            rows.append((p, spec.kinds[p], split, n, missing, 100.0 * missing / n if n else np.nan, spec.fill[p],
                         _FILL_RULE[spec.kinds[p]], fitted_on))
    return pd.DataFrame(rows, columns=list(IMPUTATION_COLUMNS))


def linear_predictor(x: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``x @ coef`` computed row by row in a fixed order, so that identical rows give bitwise identical values.

    A BLAS matrix-vector product may group the terms of a row differently depending on where the row sits (vector
    body or remainder, fused multiply-add or not), and two subjects with identical covariates can then get linear
    predictors that differ in the last bit: a true tie between a case and a control is broken and an AUC changes with
    the order of the rows. Here each row is ``((x_0 b_0 + x_1 b_1) + x_2 b_2) + ...``, one correctly rounded
    element-wise product and sum per column, the same operations for every row wherever it sits.

    Parameters
    ----------
    x : array of shape (N, K)
        Design matrix (constant column included where the model has one).
    coef : array of shape (K,)
        Coefficients, in the order of the columns of ``x``.

    Returns
    -------
    ndarray of shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.tile([1.0, 0.1, 0.7, 3.3], (7, 1))
    >>> lp = linear_predictor(x, np.array([-0.3, 1.1, 0.9, 0.01]))
    >>> bool((lp == lp[0]).all()), lp.shape
    (True, (7,))
    """
    x = np.asarray(x, dtype=np.float64)
    b = np.asarray(coef, dtype=np.float64)
    if x.ndim != 2 or b.ndim != 1 or x.shape[1] != b.size:
        raise ValueError(f"x must be (N, K) and coef (K,), got shapes {x.shape} and {b.shape}")
    eta = np.zeros(x.shape[0])
    for j in range(b.size):
        eta += x[:, j] * b[j]
    return eta


def canonical_order(*columns: np.ndarray) -> np.ndarray:
    """Row order that sorts on ``columns`` (the last one is the primary key): a fixed order of a data set's rows.

    Fitting on the rows in this order makes a fit independent of the order in which the rows came: identical rows
    are interchangeable, so every permutation of the data gives the same sorted arrays and the same floating-point
    sums, hence bitwise identical coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> canonical_order(np.array([1, 0, 1]), np.array([2.0, 1.0, 1.0])).tolist()
    [1, 2, 0]
    """
    return np.lexsort([np.asarray(c) for c in columns])


@dataclass
class LogisticFit:
    """A fitted logistic regression: coefficient table, design, method and (maximum likelihood) statsmodels result.

    ``llf`` is the log-likelihood that the fit maximised: the ordinary one for ``method == "ml"``, the penalised
    one (log L + 0.5 log|I|) for ``method == "firth"``; likelihood-ratio tests compare fits of the same method.
    """

    outcome: str
    spec: DesignSpec
    result: object
    table: pd.DataFrame
    n: int
    llf: float
    method: str = "ml"

    @property
    def df_model(self) -> int:
        """Number of estimated coefficients without the intercept."""
        return len(self.spec.columns)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """P(outcome = 1) for each row of ``frame`` (imputed with the training values)."""
        return np.asarray(special.expit(self.linear_predictor(frame)), dtype=float)

    def linear_predictor(self, frame: pd.DataFrame) -> np.ndarray:
        """Log-odds of each row of ``frame`` (:func:`linear_predictor`: identical rows, identical values)."""
        return linear_predictor(design_matrix(frame, self.spec).to_numpy(), self.table["coef"].to_numpy())


def _firth(y: np.ndarray, x: np.ndarray, maxiter: int = 5000,
           tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, float]:
    """Firth's penalised logistic regression (Heinze & Schemper 2002): (coef, covariance, penalised log-lik)."""

    def pen_loglik(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta = linear_predictor(x, b)
        p = special.expit(eta)
        w = p * (1 - p)
        info = x.T @ (x * w[:, None])
        sign, logdet = np.linalg.slogdet(info)
        ll = float(np.sum(y * eta - np.logaddexp(0, eta)))
        return (ll + 0.5 * logdet if sign > 0 else -np.inf), p, info

    beta = np.zeros(x.shape[1])
    pl, p, info = pen_loglik(beta)
    for _ in range(maxiter):
        inv = np.linalg.inv(info)
        w = p * (1 - p)
        h = w * np.einsum("ij,jk,ik->i", x, inv, x)
        step = inv @ (x.T @ (y - p + h * (0.5 - p)))
        t = 1.0
        while True:
            new_pl, new_p, new_info = pen_loglik(beta + t * step)
            if new_pl >= pl - 1e-12 or t < 1e-8:
                break
            t /= 2
        beta = beta + t * step
        converged = abs(new_pl - pl) < tol and np.max(np.abs(t * step)) < 1e-7
        pl, p, info = new_pl, new_p, new_info
        if converged:
            return beta, np.linalg.inv(info), pl
    raise ValueError("Firth logistic regression did not converge; check predictors")


def _fit_ml(y: np.ndarray, x: np.ndarray, outcome: str) -> tuple[object, np.ndarray, np.ndarray, float]:
    """Maximum-likelihood logistic fit (statsmodels, Newton): (result, coef, se, log-likelihood); raises
    :class:`SeparationError` where no estimate exists."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.Logit(y, x).fit(method="newton", maxiter=100, disp=0)
        except np.linalg.LinAlgError:  # a singular Hessian: fitted probabilities at 0 or 1
            raise SeparationError(f"logistic regression failed (singular information matrix): the predictors "
                                  f"(quasi-)separate the outcome {outcome!r}, no maximum-likelihood estimate "
                                  "exists; use method='firth' or fewer predictors") from None
        p_hat = np.asarray(res.predict(x))
    if not res.mle_retvals.get("converged", True) or np.min(np.abs(p_hat - y)) < 1e-8 and \
            np.max(np.abs(p_hat - y)) < 1e-4:
        raise SeparationError("logistic regression did not converge: the predictors (quasi-)separate the "
                              f"outcome {outcome!r}, no maximum-likelihood estimate exists; use method='firth' "
                              "or fewer predictors")
    return res, np.asarray(res.params, dtype=float), np.asarray(res.bse, dtype=float), float(res.llf)


def fit_logistic(
    frame: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    kinds: Mapping[str, str] | None = None,
    level: float = 0.95,
    method: str = "ml",
) -> LogisticFit:
    """Multivariable logistic regression (statsmodels ``Logit``, Newton) with odds ratios and Wald CIs.

    Parameters
    ----------
    frame : DataFrame
        Training rows; ``outcome`` is 0/1.
    outcome : str
        Outcome column.
    predictors : sequence of str
        Predictor columns; missing values are imputed with the training median/mode (see the module doc).
    kinds : mapping, optional
        ``{column: kind}`` overriding :data:`CANDIDATE_VARIABLES` or the kind inferred from the values.
    level : float
        Confidence level of the Wald intervals.
    method : {"ml", "firth"}
        Maximum likelihood (default, as the paper), or Firth's penalised likelihood (Heinze & Schemper 2002), the
        standard remedy when the data are (quasi-)separated and no maximum-likelihood estimate exists.

    Returns
    -------
    LogisticFit
        ``.table``: term, coef, se, z, p_value, ci_low, ci_high (log-odds), odds_ratio, or_ci_low, or_ci_high;
        ``.predict(frame)`` gives probabilities on new rows with the training imputation.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> df = pd.DataFrame({"x": rng.normal(size=300)})
    >>> df["y"] = (rng.random(300) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> fit = fit_logistic(df, "y", ["x"])
    >>> round(float(fit.table.coef[1]), 1)
    1.0
    """
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    check_frame(frame, "frame", [outcome, *predictors])
    y = _binary_outcome(frame, outcome)
    spec = fit_design(frame, predictors, kinds)
    x = design_matrix(frame, spec)
    # Rows in a canonical order (sorted on the design and the outcome): the fit is then the same, to the last bit,
    # whatever the order of the rows of ``frame``.
    order = canonical_order(y, *(x[c].to_numpy() for c in reversed(x.columns)))
    x, y = x.iloc[order], y[order]
    const_cols = [c for c in spec.columns if np.ptp(x[c].to_numpy()) == 0]
    if const_cols:
        raise ValueError(f"predictor column(s) {const_cols} are constant in the training frame; drop them")
    rank = np.linalg.matrix_rank(x.to_numpy(dtype=float))
    if rank < x.shape[1]:
        raise ValueError(f"the design columns {list(x.columns)} are linearly dependent in the training frame "
                         f"({len(x)} rows, rank {rank} < {x.shape[1]} columns); drop a predictor or fit on more rows")
    if method == "ml":
        res, coef, se, llf = _fit_ml(y, x.to_numpy(), outcome)
    elif method == "firth":
        res = None
        coef, cov, llf = _firth(y.astype(float), x.to_numpy())
        se = np.sqrt(np.diag(cov))
    else:
        raise ValueError(f"method must be 'ml' or 'firth', got {method!r}")
    zcrit = sps.norm.ppf(0.5 + level / 2)
    table = pd.DataFrame({
        "term": list(x.columns),
        "coef": coef,
        "se": se,
        "z": coef / se,
        "p_value": 2 * sps.norm.sf(np.abs(coef / se)),
        "ci_low": coef - zcrit * se,
        "ci_high": coef + zcrit * se,
    })
    with np.errstate(over="ignore"):  # a near-separated term's CI limit beyond e^709: its odds ratio is inf
        table["odds_ratio"] = np.exp(table["coef"])
        table["or_ci_low"] = np.exp(table["ci_low"])
        table["or_ci_high"] = np.exp(table["ci_high"])
    return LogisticFit(outcome=outcome, spec=spec, result=res, table=table, n=len(y), llf=llf, method=method)


#: Alarm thresholds of :func:`vif` on ``gvif_adj`` = GVIF^(1/(2 df)): the square roots of the usual VIF rules of
#: thumb 5 ("worth a look") and 10 ("serious"), so that a 1-df term is flagged exactly when its VIF is.
GVIF_ALARMS: tuple[tuple[float, str], ...] = ((10 ** 0.5, "serious"), (5 ** 0.5, "worth a look"))


def vif(frame: pd.DataFrame, predictors: Sequence[str], *, kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Generalised variance inflation factors, one row per predictor (Fox & Monette 1992; R ``car::vif``).

    For a predictor whose design columns are ``J`` (one column for a number or a binary variable, one dummy per
    non-reference level of a factor), ``GVIF = det(R_JJ) det(R_-J-J) / det(R)`` with ``R`` the correlation matrix of
    all design columns (without the constant). For a 1-df term this is the usual VIF, 1 / (1 - R²); for a factor it
    does not depend on the reference level, where the VIFs of its single dummies do. ``gvif_adj`` = GVIF^(1/(2 df))
    puts factors and 1-df terms on one scale (the factor by which a coefficient's confidence interval widens);
    ``flag`` compares it with √5 ("worth a look") and √10 ("serious"), i.e. VIF 5 and 10 for a 1-df term.
    Missing values are imputed as in :func:`fit_logistic`.

    Returns
    -------
    DataFrame
        term (the predictor), gvif, df, gvif_adj, flag.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=100)
    >>> df = pd.DataFrame({"a": a, "b": a + 0.1 * rng.normal(size=100), "c": rng.normal(size=100)})
    >>> out = vif(df, ["a", "b", "c"]).set_index("term")
    >>> bool(out.loc["a", "gvif"] > 10), out.loc["a", "flag"], bool(out.loc["c", "gvif"] < 2)
    (True, 'serious', True)
    """
    spec = fit_design(frame, predictors, kinds)
    x = design_matrix(frame, spec, constant=False)
    x = x.iloc[canonical_order(*(x[c].to_numpy() for c in reversed(x.columns)))]  # invariant to the rows' order
    groups = {p: [c for c in x.columns if c == p or c.startswith(f"{p}[")] for p in spec.predictors}
    if x.shape[1] < 2:
        rows = [{"term": p, "gvif": 1.0, "df": len(cols)} for p, cols in groups.items()]
    else:
        r = np.corrcoef(x.to_numpy(dtype=float), rowvar=False)
        det_all = np.linalg.det(r)
        pos = {c: i for i, c in enumerate(x.columns)}
        rows = []
        for p, cols in groups.items():
            j = [pos[c] for c in cols]
            rest = [i for i in range(len(pos)) if i not in j]
            with np.errstate(divide="ignore", invalid="ignore"):
                g = np.linalg.det(r[np.ix_(j, j)]) * np.linalg.det(r[np.ix_(rest, rest)]) / det_all
            rows.append({"term": p, "gvif": float(g) if det_all > 1e-12 else np.inf, "df": len(cols)})
    out = pd.DataFrame(rows)
    out["gvif_adj"] = out["gvif"] ** (1.0 / (2.0 * out["df"]))
    out["flag"] = [next((lab for cut, lab in GVIF_ALARMS if v > cut), "") for v in out["gvif_adj"]]
    return out
