"""Treatment-effect estimators with intervals: one entry point, `estimate_effect`, for any DataFrame.

Definitions used throughout (units are those of the outcome column unless stated):

* effect = treated − control. `estimate` is in outcome units for scale "difference", a fraction for
  "percentage points" (0.26 = 26 pp) and for "percent change" (−0.18 = −18 %).
* ATE = average treatment effect over everyone in the (complete-case, possibly trimmed) sample;
  ATT = average effect on the treated.
* Treatment is a bool or 0/1 column; numeric and bool covariates enter as they are; text / category
  covariates are expanded to dummies (first level dropped, levels without variation dropped).
* Rows with a missing value in any used column are dropped and counted in `notes`.

Methods (`method=`): "difference", "ols", "ipw", "aipw", "quantile", "fractional_logit",
"log_linear" (ratio of means, reported as a percent change).
Inference comes from statsmodels / scipy: HC3 or cluster-robust OLS, GMM sandwich standard errors
of `statsmodels.treatment.treatment_effects.TreatmentEffect` for IPW / AIPW (they account for the
estimated propensity score, as Stata's `teffects` does), QuantReg's kernel sandwich, delta-method
average marginal effects of a fractional logit, and scipy's bootstrap / permutation test.
Every random step takes `seed`. Nothing here reads files or prints.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Iterable

import numpy as np
import pandas as pd
import scipy.stats as st
# the modules used, not statsmodels.api: that also loads time series, graphics and GAM (~0.4 s per kernel)
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS
from statsmodels.regression.quantile_regression import QuantReg
from statsmodels.tools.sm_exceptions import ConvergenceWarning, IterationLimitWarning, PerfectSeparationWarning

from amo_analysis.stats import robust
from amo_analysis.stats import scale
from amo_analysis.stats import weighting
from amo_analysis.errors import InputError

__all__ = [
    "EffectError",
    "EffectResult",
    "METHODS",
    "estimate_effect",
    "balance_table",
    "propensity_scores",
    "ipw_weights",
    "overlap_summary",
]

METHODS = ("difference", "ols", "ipw", "aipw", "quantile", "fractional_logit", "log_linear")

#: propensity scores outside this band are reported as extreme (Crump et al. 2009 use 0.1/0.9;
#: 0.05/0.95 is the common, less aggressive choice).
EXTREME_PROPENSITY = (0.05, 0.95)
_QR_RANK_ROWS = 5_000  # above this many rows column ranks come from one QR factorisation

# Above `scale.LARGE_N` rows these run on a seeded subsample (iterative fits over every row: QuantReg's
# and the GLMs' IRLS, the weighting estimators' GMM and margins with numerical derivatives); see `scale`.
SUBSAMPLED_METHODS = ("ipw", "aipw", "quantile", "fractional_logit", "log_linear")
_METHOD_WORDS = {"ipw": "The IPW estimate (propensity model and GMM)",
                 "aipw": "The AIPW estimate (outcome and propensity models and GMM)",
                 "quantile": "The quantile regression",
                 "fractional_logit": "The fractional logit (and its average marginal effect)",
                 "log_linear": "The log-linear GLM"}

# Options each method accepts (anything else is a typo and raises EffectError).
_OPTIONS: dict[str, dict[str, Any]] = {
    "difference": {"n_resamples": 9_999, "bootstrap_method": "BCa", "permutation_resamples": 9_999,
                   "large_n": scale.ANALYTIC_N},
    "ols": {"cov_type": "HC2", "min_clusters": 20, "few_clusters": "hc3"},
    "ipw": {"estimand": "ATE", "trim": None, "ci": "sandwich", "small_sample": True, "n_resamples": 999,
            "propensity_covariates": None, "link": "logit"},
    "aipw": {"estimand": "ATE", "trim": None, "ci": "sandwich", "small_sample": True, "n_resamples": 999,
             "propensity_covariates": None, "link": "logit"},
    "quantile": {"quantile": 0.5, "ci": "analytic", "n_resamples": 999},
    "fractional_logit": {"cov_type": "HC0", "min_clusters": 20},
    "log_linear": {"cov_type": "HC0", "min_clusters": 20, "small_sample": True},
}


class EffectError(InputError):
    """The data cannot support the requested estimate (degenerate, unknown column, bad option)."""


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars -> Python, NaN/inf -> None, tuples/arrays -> lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return [_plain(v) for v in list(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass
class EffectResult:
    """One effect estimate with its interval.

    `estimate`, `ci_low`, `ci_high` and `std_error` are on `scale`: "difference" (outcome units),
    "percentage points" (a fraction: 0.26 = 26 pp) or "percent change" (a fraction: −0.18 = −18 %).
    `p_value` tests "no effect". `n` counts the rows actually used (after dropping and trimming).
    """

    outcome: str
    treatment: str
    method: str
    estimand: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    std_error: float | None
    n: int
    n_treated: int
    n_control: int
    scale: str
    covariates: tuple[str, ...]
    conf_level: float = 0.95
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-serialisable dict (Python floats; NaN and infinities become None)."""
        return {
            "outcome": self.outcome,
            "treatment": self.treatment,
            "method": self.method,
            "estimand": self.estimand,
            "estimate": _plain(self.estimate),
            "ci_low": _plain(self.ci_low),
            "ci_high": _plain(self.ci_high),
            "p_value": _plain(self.p_value),
            "std_error": _plain(self.std_error),
            "n": int(self.n),
            "n_treated": int(self.n_treated),
            "n_control": int(self.n_control),
            "scale": self.scale,
            "covariates": list(self.covariates),
            "conf_level": float(self.conf_level),
            "notes": [str(n) for n in self.notes],
            "details": _plain(self.details),
        }

    def as_percent_change(self) -> "EffectResult":
        """Back-transform an effect estimated on a natural-log outcome: x -> exp(x) − 1.

        The CI bounds are transformed the same way (exact for a monotone map); the standard
        error becomes the delta-method exp(x)·se; the p-value is unchanged (x = 0 ⇔ exp(x) − 1 = 0).
        """
        if self.scale != "difference":
            raise EffectError(
                f"Only an effect on the 'difference' scale of a log outcome can be turned into a "
                f"percent change; this one ({self.method} on '{self.outcome}') is in {self.scale}."
            )
        se = None if self.std_error is None else float(math.exp(self.estimate) * self.std_error)
        details = dict(self.details)
        details["log_scale"] = {"estimate": self.estimate, "ci_low": self.ci_low,
                                "ci_high": self.ci_high, "std_error": self.std_error}
        return replace(
            self,
            estimate=math.expm1(self.estimate),
            ci_low=math.expm1(self.ci_low),
            ci_high=math.expm1(self.ci_high),
            std_error=se,
            scale="percent change",
            notes=list(self.notes) + [
                f"Percent change = exp(effect on log '{self.outcome}') − 1; the interval is "
                "transformed the same way, the standard error by the delta method."
            ],
            details=details,
        )


# --------------------------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    y: np.ndarray
    t: np.ndarray
    X: pd.DataFrame            # covariate design (no constant), float columns
    groups: np.ndarray | None
    index: pd.Index
    notes: list[str]
    covariates: tuple[str, ...]
    treatment_name: str = "treatment"
    extra: pd.DataFrame | None = None  # propensity-model covariate design, when it differs


def _check_columns(data: pd.DataFrame, names: Iterable[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise EffectError(f"Effects need a pandas DataFrame; got {type(data).__name__}.")
    missing = [n for n in names if n not in data.columns]
    if missing:
        available = ", ".join(map(str, data.columns))
        plural = "s" if len(missing) > 1 else ""
        raise EffectError(
            f"Column{plural} {', '.join(repr(m) for m in missing)} not found in the data; "
            f"available columns: {available}."
        )


def _as_list(cols: Any) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def _treatment_array(series: pd.Series, name: str) -> np.ndarray:
    """0/1 float array from a bool or 0/1 column (no missing values left)."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool).to_numpy(dtype=float)
    values = pd.unique(series)
    bad = [v for v in values if not (isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating))
                                     and v in (0, 1))]
    if bad:
        value = bad[0].item() if isinstance(bad[0], np.generic) else bad[0]
        raise EffectError(
            f"Treatment column '{name}' must be boolean or 0/1; found value {value!r}."
        )
    return series.astype(float).to_numpy()


def _numeric_array(series: pd.Series, name: str, role: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool).to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(series):
        example = series.iloc[0] if len(series) else None
        raise EffectError(
            f"{role.capitalize()} column '{name}' must be numeric; found value {example!r}."
        )
    arr = series.to_numpy(dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][0]
        raise EffectError(f"{role.capitalize()} column '{name}' contains an infinite value ({bad}).")
    return arr


def _is_numeric_covariate(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)


def _expand_covariates(frame: pd.DataFrame, covariates: list[str], drop_first: bool,
                       notes: list[str] | None) -> pd.DataFrame:
    """Float design of the covariates: numeric as is, categorical as dummies `col=level`.

    Columns without variation are dropped (and noted when `notes` is given).
    """
    parts: list[pd.DataFrame] = []
    for col in covariates:
        s = frame[col]
        if _is_numeric_covariate(s):
            arr = _numeric_array(s, col, "covariate")
            parts.append(pd.DataFrame({col: arr}, index=frame.index))
        else:
            cat = s.astype(str).astype("category")
            dummies = pd.get_dummies(cat, prefix=col, prefix_sep="=", drop_first=drop_first,
                                     dtype=float)
            parts.append(dummies)
    if not parts:
        return pd.DataFrame(index=frame.index)
    design = pd.concat(parts, axis=1)
    values = design.to_numpy(dtype="float64")
    constant = list(design.columns[(values == values[:1]).all(axis=0)]) if len(values) else []
    if constant:
        design = design.drop(columns=constant)
        if notes is not None:
            notes.append(
                "Dropped covariate term(s) without variation in the analysed rows: "
                + ", ".join(map(str, constant)) + "."
            )
    return design


def _r_factor(design: pd.DataFrame, t: np.ndarray | None = None) -> np.ndarray:
    """R of the QR factorisation of [1, design, t]. X = QR with Q orthonormal, so any set of columns
    of X has the singular values of the same columns of the small R: one O(n k²) factorisation
    answers every rank question about X's columns (see `_rank_of_columns`)."""
    parts = [np.ones(len(design)), design.to_numpy(dtype="float64")] + ([] if t is None else [t])
    return np.linalg.qr(np.column_stack(parts), mode="r")


def _drop_collinear(design: pd.DataFrame, notes: list[str], R: np.ndarray | None = None) -> pd.DataFrame:
    """Drop covariate terms that are exact linear combinations of the constant and earlier terms
    (kept in the order given), with a note. `R`: `_r_factor` of this design (computed when needed)."""
    if design.shape[1] == 0:
        return design
    kept: list[str] = []
    dropped: list[str] = []
    n = len(design)
    if n > _QR_RANK_ROWS:
        # one factorisation instead of one SVD of n rows per term; numpy's matrix_rank tolerance
        R = _r_factor(design) if R is None else R
        chosen, rank = [0], 1
        for i, col in enumerate(design.columns, start=1):
            r = _rank_of_columns(R, chosen + [i], n)
            if r > rank:
                kept.append(col)
                chosen, rank = chosen + [i], r
            else:
                dropped.append(col)
    else:
        current = np.ones((n, 1))
        rank = 1
        for col in design.columns:
            cand = np.column_stack([current, design[col].to_numpy()])
            r = np.linalg.matrix_rank(cand)
            if r > rank:
                kept.append(col)
                current, rank = cand, r
            else:
                dropped.append(col)
    if dropped:
        notes.append(
            "Dropped covariate term(s) that are exact linear combinations of other terms: "
            + ", ".join(map(str, dropped)) + "."
        )
    return design[kept]


def _rank_of_columns(R: np.ndarray, columns: list[int], n: int) -> int:
    """Rank of the chosen columns of an n-row matrix X = QR, from its small R factor (same singular
    values) with numpy's matrix_rank tolerance for the n-row matrix."""
    sv = np.linalg.svd(R[:, columns], compute_uv=False)
    return int((sv > sv.max() * max(n, len(columns)) * np.finfo(float).eps).sum())


def _check_treatment_identified(design: pd.DataFrame, t: np.ndarray, treatment: str,
                                R: np.ndarray | None = None, columns: list[int] = ()) -> None:
    """EffectError when the covariates determine the treatment exactly (linear span). With `R` (the
    `_r_factor` of [1, covariates, t]), `columns` are the positions in it of the constant and the
    covariates in `design`; the treatment is R's last column."""
    if design.shape[1] == 0:
        return
    if R is not None:
        base = list(columns)
        same = _rank_of_columns(R, base + [R.shape[1] - 1], len(t)) == _rank_of_columns(R, base, len(t))
    else:
        full = np.column_stack([np.ones(len(t)), design.to_numpy(), t])
        same = np.linalg.matrix_rank(full) == np.linalg.matrix_rank(full[:, :-1])
    if same:
        raise EffectError(
            f"Treatment '{treatment}' is an exact linear function of the covariates "
            f"({', '.join(map(str, design.columns))}); its effect cannot be separated from theirs."
        )


def _prepare(data: pd.DataFrame, outcome: str, treatment: str, covariates: list[str],
             cluster: str | None, extra_covariates: list[str] | None = None) -> _Prepared:
    used = [outcome, treatment] + covariates + (extra_covariates or []) + ([cluster] if cluster else [])
    used = list(dict.fromkeys(used))
    _check_columns(data, used)
    if treatment == outcome:
        raise EffectError(f"Outcome and treatment are the same column '{outcome}'.")
    if treatment in covariates:
        raise EffectError(f"Treatment column '{treatment}' is also listed as a covariate.")
    if outcome in covariates:
        raise EffectError(f"Outcome column '{outcome}' is also listed as a covariate.")
    notes: list[str] = []
    frame = data[used]
    missing_mask = frame.isna()
    complete = ~missing_mask.any(axis=1)
    n_dropped = int((~complete).sum())
    if n_dropped:
        per_col = missing_mask.sum()
        detail = ", ".join(f"{c}: {int(k)}" for c, k in per_col.items() if k)
        notes.append(
            f"Dropped {n_dropped} of {len(frame)} rows with a missing value in the used columns "
            f"({detail})."
        )
    frame = frame.loc[complete]
    if len(frame) == 0:
        raise EffectError(
            f"No row has all of {', '.join(repr(c) for c in used)} filled in; nothing to estimate."
        )
    t = _treatment_array(frame[treatment], treatment)
    y = _numeric_array(frame[outcome], outcome, "outcome")
    n_t = int(t.sum())
    if n_t == 0 or n_t == len(t):
        which = "treated" if n_t == len(t) else "untreated"
        raise EffectError(
            f"All {len(t)} complete rows are {which} in '{treatment}'; an effect needs both "
            "treated and untreated rows."
        )
    if np.ptp(y) == 0:
        raise EffectError(
            f"Outcome '{outcome}' has no variance (every complete row equals {y[0]:g}); there is "
            "no effect to estimate."
        )
    design = _expand_covariates(frame, covariates, drop_first=True, notes=notes)
    R = _r_factor(design, t) if len(t) > _QR_RANK_ROWS and design.shape[1] else None
    terms = list(design.columns)
    design = _drop_collinear(design, notes, None if R is None else R[:, :-1])
    _require_rows(len(y), 2 + design.shape[1], "constant, treatment and covariates")
    _check_treatment_identified(design, t, treatment, R, [0] + [1 + terms.index(c) for c in design.columns])
    groups = frame[cluster].to_numpy() if cluster else None
    return _Prepared(y=y, t=t, X=design, groups=groups, index=frame.index, notes=notes,
                     covariates=tuple(covariates), treatment_name=str(treatment))


def _require_rows(n: int, k_params: int, what: str) -> None:
    if n < k_params + 2:
        raise EffectError(
            f"Only {n} complete rows for {k_params} parameters ({what}); at least "
            f"{k_params + 2} are needed."
        )


def _exog(prep: _Prepared, with_treatment: bool = True) -> tuple[np.ndarray, list[str]]:
    cols = [np.ones(len(prep.y))]
    names = ["const"]
    if with_treatment:
        cols.append(prep.t)
        names.append(prep.treatment_name)
    for c in prep.X.columns:
        cols.append(prep.X[c].to_numpy())
        names.append(str(c))
    return np.column_stack(cols), names


def _alpha(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise EffectError(f"conf_level must be between 0 and 1; got {conf_level}.")
    return 1.0 - conf_level


def _normal_p(estimate: float, se: float) -> float:
    if not se or not np.isfinite(se) or se <= 0:
        return float("nan")
    return float(2 * st.norm.sf(abs(estimate / se)))


# --------------------------------------------------------------------------------------------
# Propensity model
# --------------------------------------------------------------------------------------------


def _fit_propensity(t: np.ndarray, Z: np.ndarray, link: str, label: str,
                    check_separation: bool = True) -> weighting.PropensityFit:
    """Logit/Probit of treatment on Z (with constant), `weighting.fit_propensity`; separation,
    singular covariates or non-convergence -> EffectError (unless `check_separation` is False)."""
    try:
        return weighting.fit_propensity(t, Z, link, label, check_separation=check_separation)
    except weighting.WeightingError as exc:
        raise EffectError(str(exc)) from exc


def _propensity_design(data: pd.DataFrame, treatment: str, covariates: list[str]):
    _check_columns(data, [treatment] + covariates)
    frame = data[[treatment] + covariates].dropna()
    if len(frame) == 0:
        raise EffectError(f"No complete row in '{treatment}' and the covariates.")
    t = _treatment_array(frame[treatment], treatment)
    if t.sum() in (0, len(t)):
        raise EffectError(f"Treatment '{treatment}' has only one value; no propensity to model.")
    design = _expand_covariates(frame, covariates, drop_first=True, notes=None)
    design = _drop_collinear(design, [])
    Z = np.column_stack([np.ones(len(t))] + [design[c].to_numpy() for c in design.columns])
    return frame, t, Z


def propensity_scores(data: pd.DataFrame, treatment: str, covariates: Iterable[str],
                      link: str = "logit") -> pd.Series:
    """P(treated | covariates) from a logit (or probit) model; indexed like the complete rows of `data`."""
    frame, t, Z = _propensity_design(data, treatment, _as_list(covariates))
    res = _fit_propensity(t, Z, link, treatment)
    return pd.Series(res.prob, index=frame.index, name="propensity")


def ipw_weights(data: pd.DataFrame, treatment: str, covariates: Iterable[str],
                estimand: str = "ATE", stabilised: bool = True) -> pd.Series:
    """Inverse-probability weights from a logit propensity e(x).

    ATE: treated 1/e, control 1/(1−e); stabilised multiplies by P(T=1) resp. P(T=0)
    (Robins, Hernán & Brumback 2000). ATT: treated 1, control e/(1−e); stabilised rescales the
    control weights by (1 − P(T=1))/P(T=1) so they sum to about the number of controls.
    """
    estimand = _estimand(estimand)
    frame, t, Z = _propensity_design(data, treatment, _as_list(covariates))
    e = _fit_propensity(t, Z, "logit", treatment).prob
    p1 = t.mean()
    if estimand == "ATE":
        w = np.where(t == 1, 1 / e, 1 / (1 - e))
        if stabilised:
            w = w * np.where(t == 1, p1, 1 - p1)
    else:
        w = np.where(t == 1, 1.0, e / (1 - e))
        if stabilised:
            w = np.where(t == 1, w, w * (1 - p1) / p1)
    return pd.Series(w, index=frame.index, name="ipw_weight")


def overlap_summary(data: pd.DataFrame, treatment: str, covariates: Iterable[str]) -> dict:
    """Common-support check of the logit propensity score.

    Returns min/max propensity per group, the number and share of rows outside
    [0.05, 0.95], and a one-sentence `verdict`.
    """
    ps = propensity_scores(data, treatment, covariates)
    t = _treatment_array(data.loc[ps.index, treatment], treatment).astype(bool)
    lo, hi = EXTREME_PROPENSITY
    outside = (ps < lo) | (ps > hi)
    share = float(outside.mean())
    pt, pc = ps[t], ps[~t]
    summary = {
        "n": int(len(ps)),
        "treated_min": float(pt.min()), "treated_max": float(pt.max()),
        "control_min": float(pc.min()), "control_max": float(pc.max()),
        "n_outside": int(outside.sum()), "share_outside": share,
        "bounds": [lo, hi],
    }
    if share == 0:
        verdict = (f"Good overlap: every propensity score lies within [{lo}, {hi}].")
    elif share < 0.10:
        verdict = (f"Limited overlap: {outside.sum()} of {len(ps)} projects ({share:.1%}) have a "
                   f"propensity outside [{lo}, {hi}]; weighted estimates lean on them — consider "
                   "trimming.")
    else:
        verdict = (f"Poor overlap: {outside.sum()} of {len(ps)} projects ({share:.1%}) have a "
                   f"propensity outside [{lo}, {hi}]; treated and untreated projects are hardly "
                   "comparable, so any adjusted effect extrapolates.")
    summary["verdict"] = verdict
    return summary


def balance_table(data: pd.DataFrame, treatment: str, covariates: Iterable[str],
                  weights: Any = None) -> pd.DataFrame:
    """Covariate balance: one row per covariate term (categorical covariates: one row per level;
    terms without variation are omitted; rows with a missing value are left out).

    Columns: mean_treated, mean_control, smd_unweighted and, with `weights` (array-like aligned with
    `data`, a Series indexed like it, or a column name), mean_treated_weighted,
    mean_control_weighted, smd_weighted. SMD = (mean_t − mean_c) / sqrt((var_t + var_c) / 2) with
    unweighted sample variances (ddof = 1) in the denominator for both columns (Austin 2009).
    """
    covariates = _as_list(covariates)
    _check_columns(data, [treatment] + covariates)
    frame = data[[treatment] + covariates].copy()
    w_all = None
    if weights is not None:
        if isinstance(weights, str):
            _check_columns(data, [weights])
            w_all = data[weights]
        elif isinstance(weights, pd.Series):
            w_all = weights.reindex(data.index)
        else:
            arr = np.asarray(weights, dtype=float)
            if arr.shape != (len(data),):
                raise EffectError(
                    f"Weights have {arr.size} values but the data has {len(data)} rows."
                )
            w_all = pd.Series(arr, index=data.index)
        frame["__w__"] = w_all.astype(float)
    frame = frame.dropna()
    t = _treatment_array(frame[treatment], treatment).astype(bool)
    if t.all() or (~t).all():
        raise EffectError(f"Treatment '{treatment}' has only one value in the complete rows.")
    design = _expand_covariates(frame, covariates, drop_first=False, notes=None)
    rows = []
    for col in design.columns:
        x = design[col].to_numpy()
        xt, xc = x[t], x[~t]
        mt, mc = xt.mean(), xc.mean()
        sd = math.sqrt((xt.var(ddof=1) + xc.var(ddof=1)) / 2) if min(len(xt), len(xc)) > 1 else float("nan")
        row = {"covariate": col, "mean_treated": mt, "mean_control": mc,
               "smd_unweighted": (mt - mc) / sd if sd > 0 else float("nan")}
        if w_all is not None:
            w = frame["__w__"].to_numpy()
            mtw = np.average(xt, weights=w[t])
            mcw = np.average(xc, weights=w[~t])
            row.update({"mean_treated_weighted": mtw, "mean_control_weighted": mcw,
                        "smd_weighted": (mtw - mcw) / sd if sd > 0 else float("nan")})
        rows.append(row)
    cols = ["mean_treated", "mean_control", "smd_unweighted"]
    if w_all is not None:
        cols += ["mean_treated_weighted", "mean_control_weighted", "smd_weighted"]
    if not rows:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="covariate"))
    return pd.DataFrame(rows).set_index("covariate")[cols]


# --------------------------------------------------------------------------------------------
# Methods
# --------------------------------------------------------------------------------------------


def _estimand(value: Any) -> str:
    v = str(value).upper()
    if v not in ("ATE", "ATT"):
        raise EffectError(f"Estimand must be 'ATE' or 'ATT'; got {value!r}.")
    return v


def _result(prep: _Prepared, outcome: str, treatment: str, method: str, estimand: str,
            estimate: float, ci: tuple[float, float], p: float, se: float | None, scale: str,
            covariates: tuple[str, ...], conf_level: float, notes: list[str], details: dict,
            n: int | None = None, t: np.ndarray | None = None) -> EffectResult:
    t = prep.t if t is None else t
    n = len(t) if n is None else n
    return EffectResult(
        outcome=outcome, treatment=treatment, method=method, estimand=estimand,
        estimate=float(estimate), ci_low=float(ci[0]), ci_high=float(ci[1]), p_value=float(p),
        std_error=None if se is None else float(se), n=int(n), n_treated=int(t.sum()),
        n_control=int(len(t) - t.sum()), scale=scale, covariates=covariates,
        conf_level=conf_level, notes=notes, details=details,
    )


def _difference(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    yt, yc = prep.y[prep.t == 1], prep.y[prep.t == 0]
    notes = list(prep.notes)
    if len(yt) < 2 or len(yc) < 2:
        raise EffectError(
            f"The difference in means needs at least 2 treated and 2 untreated rows; got "
            f"{len(yt)} treated and {len(yc)} untreated."
        )

    def diff(x, y, axis=-1):
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    if prep.groups is not None:
        return _clustered_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes)
    large_n = opts.get("large_n")
    if large_n is not None and len(yt) + len(yc) > int(large_n):
        return _welch_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes, int(large_n))
    rng = np.random.default_rng(seed)
    method = str(opts["bootstrap_method"])
    n_boot = int(opts["n_resamples"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = st.bootstrap((yt, yc), diff, n_resamples=n_boot, vectorized=True,
                            confidence_level=conf_level, method=method, rng=rng)
    ci = (boot.confidence_interval.low, boot.confidence_interval.high)
    if not (np.isfinite(ci[0]) and np.isfinite(ci[1])) and method.lower() != "percentile":
        notes.append(f"The {method} bootstrap interval was undefined; percentile interval used.")
        method = "percentile"
        boot = st.bootstrap((yt, yc), diff, n_resamples=n_boot, vectorized=True,
                            confidence_level=conf_level, method=method,
                            rng=np.random.default_rng(seed))
        ci = (boot.confidence_interval.low, boot.confidence_interval.high)
    n_perm = int(opts["permutation_resamples"])
    arrangements = math.comb(len(yt) + len(yc), len(yt))
    perm = st.permutation_test((yt, yc), diff, permutation_type="independent", vectorized=True,
                               n_resamples=n_perm, alternative="two-sided",
                               rng=np.random.default_rng(seed))
    details = {
        "mean_treated": float(yt.mean()), "mean_control": float(yc.mean()),
        "bootstrap_method": method, "bootstrap_reps": n_boot,
        "permutation_exact": arrangements <= n_perm,
        "permutation_reps": min(arrangements, n_perm), "seed": seed,
    }
    return _result(prep, outcome, treatment, "difference", "unadjusted difference in means",
                   diff(yt, yc), ci, perm.pvalue, boot.standard_error, "difference", (),
                   conf_level, notes, details)


def _clustered_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes) -> EffectResult:
    """Difference in means with clusters: OLS of the outcome on the treatment alone, CR2 standard
    error and Bell–McCaffrey degrees of freedom (`robust`), so that a treatment decided per cluster
    is judged on about as many degrees of freedom as there are clusters."""
    X = np.column_stack([np.ones(len(prep.y)), prep.t])
    beta = np.linalg.lstsq(X, prep.y, rcond=None)[0]
    rc = robust.robust_covariance(X, prep.y - X @ beta, prep.groups)
    est, se, df = float(beta[1]), rc.se(1), rc.df(1)
    if not (se > 0 and math.isfinite(df) and df > 0):
        raise EffectError(f"The difference in '{outcome}' has no usable cluster-robust standard error "
                          "(too few clusters on one side).")
    crit = float(st.t.ppf((1 + conf_level) / 2, df))
    p = float(2 * st.t.sf(abs(est / se), df))
    details = {"mean_treated": float(yt.mean()), "mean_control": float(yc.mean()),
               "se_type": "CR2 cluster-robust, Bell–McCaffrey df", "df": float(df),
               "n_clusters": rc.n_clusters, "seed": seed}
    return _result(prep, outcome, treatment, "difference", "unadjusted difference in means", est,
                   (est - crit * se, est + crit * se), p, se, "difference", (), conf_level, notes, details)


def _welch_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes, large_n) -> EffectResult:
    """Difference in means with Welch's t interval and p-value (used above `large_n` rows, where the
    bootstrap interval and the permutation p-value converge to them; the BCa jackknife is quadratic)."""
    test = st.ttest_ind(yt, yc, equal_var=False)
    ci = test.confidence_interval(confidence_level=conf_level)
    se = float(np.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc)))
    notes.append(f"More than {large_n} rows: Welch t interval and p-value instead of the bootstrap and "
                 "permutation test (at this size they give the same interval and p-value).")
    details = {"mean_treated": float(yt.mean()), "mean_control": float(yc.mean()),
               "se_type": "Welch (unequal variances)", "welch_df": float(test.df), "seed": seed}
    return _result(prep, outcome, treatment, "difference", "unadjusted difference in means",
                   float(yt.mean() - yc.mean()), (float(ci.low), float(ci.high)), float(test.pvalue), se,
                   "difference", (), conf_level, notes, details)


def _ols(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Regression adjustment: OLS of the outcome on the treatment and the covariates.

    Default inference (`cov_type="HC2"`): HC2 standard errors — CR2 when `prep.groups` holds clusters —
    with Bell–McCaffrey degrees of freedom (`robust`), whatever the number of clusters. Other
    `cov_type`s go through statsmodels with a t reference (t(n − k); clustered: t(G − 1), CR1 or, below
    `min_clusters`, `few_clusters`). `details["ratio_of_means"]` gives the adjusted mean outcome with
    and without the treatment and their ratio − 1 with Fieller's interval."""
    X, names = _exog(prep)
    _require_rows(len(prep.y), X.shape[1], "constant, treatment and covariates")
    notes = list(prep.notes)
    alpha = 1 - conf_level
    cov_type = str(opts["cov_type"])
    model = OLS(prep.y, X)
    fit = model.fit()
    j = 1
    details: dict = {"se_type": cov_type}
    if cov_type.upper() == "HC2":
        rc = robust.robust_covariance(X, fit.resid, prep.groups)
        vcov = rc.vcov
        df_of = rc.df
        clustered = prep.groups is not None
        details["se_type"] = ("CR2 cluster-robust" if clustered else "HC2") + ", Bell–McCaffrey df"
        if clustered:
            details["n_clusters"] = rc.n_clusters
    else:
        res = _statsmodels_ols(model, prep, cov_type, opts, notes, details)
        vcov = np.asarray(res.cov_params())
        df_fixed = float(details.get("df", res.df_resid))
        df_of = lambda _contrast: df_fixed  # noqa: E731 (one df for every contrast)
    b = float(fit.params[j])
    se = float(math.sqrt(max(vcov[j, j], 0.0)))
    df = df_of(j)
    if not (se > 0 and math.isfinite(df) and df > 0):
        raise EffectError(
            f"The effect of '{treatment}' on '{outcome}' has no usable standard error: the residuals "
            "carry no information on it (every cluster holds only one treatment value and no other "
            "cluster to compare within, or the fit is exact)."
        )
    crit = float(st.t.ppf(1 - alpha / 2, df))
    details["df"] = float(df)
    details["coefficients"] = dict(zip(names, map(float, fit.params)))
    details["assumption"] = "constant effect, outcome linear in the covariates"
    details["r_squared"] = float(fit.rsquared)
    details["residual_sd"] = float(math.sqrt(fit.mse_resid)) if fit.df_resid > 0 else float("nan")
    details["ratio_of_means"] = _ratio_of_means(np.asarray(fit.params), vcov, X, j, df_of, alpha)
    p = float(2 * st.t.sf(abs(b / se), df))
    return _result(prep, outcome, treatment, "ols", "ATE", b, (b - crit * se, b + crit * se), p, se,
                   "difference", prep.covariates, conf_level, notes, details)


def _ratio_of_means(params: np.ndarray, vcov: np.ndarray, X: np.ndarray, j: int, df_of, alpha: float) -> dict:
    """Adjusted means without (μ₀) and with (μ₁ = μ₀ + β_t) the treatment, averaged over the analysed
    rows' covariates, and the relative change μ₁/μ₀ − 1 = β_t/μ₀ with Fieller's interval (t on the
    Bell–McCaffrey df of the pivot β_t − ρ̂·μ₀). `ci_low`/`ci_high` are None when μ₀ is not itself
    clearly different from 0 (the interval is then unbounded)."""
    c0 = X.mean(axis=0)
    c0[j] = 0.0
    ell = np.zeros(len(params))
    ell[j] = 1.0
    mu0 = float(c0 @ params)
    b = float(params[j])
    out = {"control_mean": mu0, "treated_mean": mu0 + b, "estimate": None, "ci_low": None,
           "ci_high": None, "df": None}
    if mu0 == 0:
        return out
    ratio = b / mu0
    df = df_of(ell - ratio * c0)
    if not (math.isfinite(df) and df > 0):
        return out
    crit = float(st.t.ppf(1 - alpha / 2, df))
    interval = robust.fieller_interval(b, mu0, float(ell @ vcov @ ell), float(c0 @ vcov @ c0),
                                       float(ell @ vcov @ c0), crit)
    out.update(estimate=ratio, df=float(df))
    if interval is not None:
        out.update(ci_low=interval[0], ci_high=interval[1])
    return out


def _statsmodels_ols(model, prep, cov_type: str, opts, notes: list[str], details: dict):
    """OLS fit with a statsmodels covariance `cov_type` and a t reference (details["df"] set when
    clustered)."""
    if prep.groups is None:
        return model.fit(cov_type=cov_type, use_t=True)
    codes = pd.factorize(prep.groups)[0]
    n_groups = int(codes.max() + 1)
    details["n_clusters"] = n_groups
    min_clusters = int(opts["min_clusters"])
    if n_groups >= min_clusters:
        details["se_type"] = "cluster (CR1)"
        details["df"] = n_groups - 1
        return model.fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    few = str(opts["few_clusters"]).lower()
    if few == "crv3":
        details["se_type"] = "cluster (CR3 jackknife)"
        details["df"] = n_groups - 1
        notes.append(f"Only {n_groups} clusters (fewer than {min_clusters}): CR3 (jackknife) cluster-robust "
                     f"standard errors with a t({n_groups - 1}) reference are used.")
        return model.fit(cov_type="cluster-crv3", cov_kwds={"groups": codes}, use_t=True)
    if few == "hc3":
        notes.append(f"Only {n_groups} clusters (fewer than {min_clusters}): {cov_type} standard errors are "
                     "used instead of cluster-robust ones; they ignore within-cluster correlation and the "
                     "interval may be too narrow (the default cov_type='HC2' gives CR2 errors with "
                     "Bell–McCaffrey degrees of freedom, valid with few clusters).")
        return model.fit(cov_type=cov_type, use_t=True)
    raise EffectError(f"few_clusters must be 'hc3' or 'crv3'; got {few!r}.")


def _weighting(prep, outcome, treatment, seed, conf_level, opts, method: str) -> EffectResult:
    """IPW (Hájek) or AIPW as stacked M-estimators with an analytic sandwich (`weighting`), clustered
    by `prep.groups` when given; extreme propensities are reported, or trimmed (point and interval
    alike) with `trim`."""
    notes = list(prep.notes)
    estimand = _estimand(opts["estimand"])
    if method == "aipw" and estimand == "ATT":
        raise EffectError("AIPW here estimates the ATE only; use method='ipw' with estimand='ATT'.")
    link = str(opts["link"]).lower()
    ci_kind = {"gmm": "sandwich"}.get(str(opts["ci"]).lower(), str(opts["ci"]).lower())
    if ci_kind not in ("sandwich", "bootstrap"):
        raise EffectError(f"ci must be 'sandwich' or 'bootstrap' for {method}; got {opts['ci']!r}.")
    # design of the propensity model (defaults to the outcome covariates)
    Zdf = prep.X if prep.extra is None else prep.extra
    y, t, groups = prep.y, prep.t, prep.groups
    X_out = np.column_stack([np.ones(len(y))] + [prep.X[c].to_numpy() for c in prep.X.columns])
    Z = np.column_stack([np.ones(len(y))] + [Zdf[c].to_numpy() for c in Zdf.columns])
    _require_rows(len(y), X_out.shape[1] + 1, "constant, treatment and covariates")
    _require_rows(len(y), Z.shape[1], "propensity model")
    trim = opts["trim"]
    if trim is True:
        trim = EXTREME_PROPENSITY
    if trim is not None:
        try:
            t_lo, t_hi = (float(trim[0]), float(trim[1]))
        except (TypeError, ValueError, IndexError) as exc:
            raise EffectError(f"trim must be a pair like (0.05, 0.95); got {trim!r}.") from exc
        if not 0 <= t_lo < t_hi <= 1:
            raise EffectError(f"trim must satisfy 0 ≤ low < high ≤ 1; got {trim!r}.")
    # with trimming, separation is checked after the extreme rows are gone, not before
    ps = _fit_propensity(t, Z, link, treatment, check_separation=trim is None)
    prob = ps.prob
    lo, hi = EXTREME_PROPENSITY
    details: dict = {
        "propensity_link": link,
        "propensity_covariates": list(map(str, Zdf.columns)),
        "propensity_min": float(prob.min()), "propensity_max": float(prob.max()),
        "propensity_treated_range": [float(prob[t == 1].min()), float(prob[t == 1].max())],
        "propensity_control_range": [float(prob[t == 0].min()), float(prob[t == 0].max())],
        "n_extreme_propensity": int(((prob < lo) | (prob > hi)).sum()),
        "weights": "normalised within group (Hajek), equivalent to stabilised weights",
    }
    estimand_text = estimand
    if trim is not None:
        keep = (prob >= t_lo) & (prob <= t_hi)
        n_trim = int((~keep).sum())
        details["n_trimmed"] = n_trim
        details["trim"] = [t_lo, t_hi]
        if n_trim:
            notes.append(
                f"Trimmed {n_trim} of {len(y)} rows with a propensity outside [{t_lo}, {t_hi}] and "
                "refitted the propensity model; the estimate and its interval apply to the remaining, "
                "overlapping population."
            )
            estimand_text = f"{estimand} on projects with propensity in [{t_lo:g}, {t_hi:g}]"
            y, t, X_out, Z = y[keep], t[keep], X_out[keep], Z[keep]
            groups = None if groups is None else groups[keep]
            if t.sum() in (0, len(t)):
                raise EffectError(
                    f"After trimming propensities outside [{t_lo}, {t_hi}] only one treatment "
                    "group is left; the groups do not overlap."
                )
            _require_rows(len(y), X_out.shape[1] + 1, "after trimming")
        ps = _fit_propensity(t, Z, link, treatment)
        prob = ps.prob
    elif details["n_extreme_propensity"]:
        notes.append(
            f"{details['n_extreme_propensity']} of {len(y)} propensity scores lie outside "
            f"[{lo}, {hi}] (range {prob.min():.3f}–{prob.max():.3f}); their weights dominate — "
            "consider trim=(0.05, 0.95)."
        )
    if method == "aipw":
        for g, name in ((1, "treated"), (0, "untreated")):
            n_g = int((t == g).sum())
            if n_g <= X_out.shape[1]:
                raise EffectError(
                    f"AIPW fits one outcome model per group: the {name} group has {n_g} rows for "
                    f"{X_out.shape[1]} parameters."
                )

    def estimate(yv, tv, Xv, Zv, psv, gv):
        if method == "ipw":
            return weighting.ipw(yv, tv, Zv, psv, estimand, gv)
        return weighting.aipw(yv, tv, Xv, Zv, psv, gv)

    res = estimate(y, t, X_out, Z, ps, groups)
    est = res.effect
    alpha = 1 - conf_level
    details["k_params"] = res.n_params
    if ci_kind == "sandwich":
        se = res.std_error
        clustered = groups is not None
        units = res.n_clusters if clustered else len(y)
        df_small = units - 1 if clustered else units - res.n_params
        if clustered:
            details["n_clusters"] = units
        if opts["small_sample"] and df_small > 0:
            # finite-sample scaling of the sandwich (G/(G − 1) per cluster, n/(n − k) per row) and a
            # t reference on those degrees of freedom
            scaling = "G/(G−1)" if clustered else "n/(n−k)"
            se *= math.sqrt(units / (units - 1)) if clustered else math.sqrt(units / df_small)
            crit = st.t.ppf(1 - alpha / 2, df_small)
            p = float(2 * st.t.sf(abs(est / se), df_small)) if se > 0 else float("nan")
            details["se_type"] = (f"{'cluster-robust ' if clustered else ''}sandwich (propensity "
                                  f"estimation accounted for) × sqrt({scaling}), t({df_small}) reference")
            details["df"] = df_small
        else:
            crit = st.norm.ppf(1 - alpha / 2)
            p = _normal_p(est, se)
            details["se_type"] = ("sandwich (propensity estimation accounted for), normal reference "
                                  "(as Stata teffects)")
        ci = (est - crit * se, est + crit * se)
        if len(y) < 50:
            notes.append(
                f"Only {len(y)} rows: sandwich standard errors can be optimistic in small samples; "
                "the claims check uses regression adjustment with Bell–McCaffrey intervals instead."
            )
    else:
        n_boot = int(opts["n_resamples"])
        idx_t = np.flatnonzero(t == 1)
        idx_c = np.flatnonzero(t == 0)
        failures = 0

        def stat(it, ic):
            nonlocal failures
            idx = np.concatenate([it, ic]).astype(int)
            try:
                ps_b = _fit_propensity(t[idx], Z[idx], link, treatment)
                return estimate(y[idx], t[idx], X_out[idx], Z[idx], ps_b, None).effect
            except (EffectError, np.linalg.LinAlgError, ValueError):
                failures += 1
                return np.nan

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            boot = st.bootstrap((idx_t, idx_c), stat, n_resamples=n_boot, vectorized=False,
                                confidence_level=conf_level, method="percentile",
                                rng=np.random.default_rng(seed))
        ci = (boot.confidence_interval.low, boot.confidence_interval.high)
        if failures or not np.all(np.isfinite(ci)):
            raise EffectError(
                f"{failures} of {n_boot} bootstrap resamples could not be estimated (the "
                "propensity model separates in resamples); use ci='sandwich' or more data."
            )
        se = float(boot.standard_error)
        p = _normal_p(est, se)
        details.update({"se_type": "stratified pairs bootstrap (percentile interval)",
                        "bootstrap_reps": n_boot, "seed": seed})
        notes.append("p-value from a normal approximation with the bootstrap standard error.")
        if groups is not None:
            notes.append("The bootstrap resamples projects, not organisations: it ignores the clusters.")
    details["potential_outcome_means"] = {"control": float(res.pom[0]), "treated": float(res.pom[1])}
    return _result(prep, outcome, treatment, method, estimand_text, est, ci, p, se,
                   "difference", prep.covariates, conf_level, notes, details, t=t)


def _quantile(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    q = float(opts["quantile"])
    if not 0 < q < 1:
        raise EffectError(f"quantile must be strictly between 0 and 1; got {opts['quantile']!r}.")
    X, names = _exog(prep)
    _require_rows(len(prep.y), X.shape[1], "constant, treatment and covariates")
    notes = list(prep.notes)
    alpha = 1 - conf_level
    res = _quantreg_fit(prep.y, X, q)
    if res.iterations >= 4999:
        notes.append("QuantReg hit its iteration limit; the estimate may be imprecise.")
    j = 1
    estimate = float(res.params[j])
    ci_kind = str(opts["ci"]).lower()
    details: dict = {"quantile": q, "coefficients": dict(zip(names, map(float, res.params)))}
    if ci_kind == "analytic":
        ci = tuple(res.conf_int(alpha=alpha)[j])
        se, p = float(res.bse[j]), float(res.pvalues[j])
        details["se_type"] = "QuantReg robust kernel sandwich (Hall–Sheather bandwidth)"
    elif ci_kind == "bootstrap":
        n_boot = int(opts["n_resamples"])

        def stat(idx):
            idx = idx.astype(int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _quantreg_fit(prep.y[idx], X[idx], q).params[j]

        boot = st.bootstrap((np.arange(len(prep.y)),), stat, n_resamples=n_boot,
                            vectorized=False, confidence_level=conf_level, method="percentile",
                            rng=np.random.default_rng(seed))
        ci = (boot.confidence_interval.low, boot.confidence_interval.high)
        se = float(boot.standard_error)
        p = _normal_p(estimate, se)
        details.update({"se_type": "pairs bootstrap (percentile interval)", "bootstrap_reps": n_boot,
                        "seed": seed})
        notes.append("p-value from a normal approximation with the bootstrap standard error.")
    else:
        raise EffectError(f"ci must be 'analytic' or 'bootstrap' for quantile; got {opts['ci']!r}.")
    if prep.groups is not None:
        notes.append("Clusters are ignored by quantile regression: the interval assumes "
                     "independent rows.")
    estimand = f"quantile {q:g} difference" + (" (conditional)" if prep.X.shape[1] else "")
    return _result(prep, outcome, treatment, "quantile", estimand, estimate, ci, p, se,
                   "difference", prep.covariates, conf_level, notes, details)


def _quantreg_fit(y: np.ndarray, X: np.ndarray, q: float):
    """statsmodels QuantReg at quantile q (robust kernel covariance); warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return QuantReg(y, X).fit(q=q, max_iter=5000)


def _glm_setup(prep, opts):
    """What both GLM methods start from: design matrix (enough rows checked), notes, fit options."""
    X, names = _exog(prep)
    _require_rows(len(prep.y), X.shape[1], "constant, treatment and covariates")
    notes = list(prep.notes)
    fit_kw, details = _glm_covariance(prep, opts, notes)
    return X, names, notes, fit_kw, details


def _glm_covariance(prep, opts, notes: list[str]) -> tuple[dict, dict]:
    """GLM fit options: robust `cov_type`, or cluster-robust when there are enough clusters
    (fewer: the robust type, with a note). Returns (fit keyword arguments, details)."""
    cov_type = str(opts["cov_type"])
    details: dict = {"se_type": cov_type}
    fit_kw: dict = {"cov_type": cov_type}
    if prep.groups is not None:
        codes = pd.factorize(prep.groups)[0]
        n_groups = int(codes.max() + 1)
        details["n_clusters"] = n_groups
        if n_groups >= int(opts["min_clusters"]):
            fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
            details["se_type"] = "cluster"
        else:
            notes.append(
                f"Only {n_groups} clusters (fewer than {opts['min_clusters']}): {cov_type} standard "
                "errors are used; they ignore within-cluster correlation."
            )
    return fit_kw, details


def _fractional_logit(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    y = prep.y
    if y.min() < 0 or y.max() > 1:
        bad = y[(y < 0) | (y > 1)][0]
        raise EffectError(
            f"Fractional logit needs outcome '{outcome}' in [0, 1]; found value {bad:g}."
        )
    X, names, notes, fit_kw, details = _glm_setup(prep, opts)
    alpha = 1 - conf_level
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GLM(y, X, family=families.Binomial())
        res = model.fit(**fit_kw)
    if any(issubclass(type(w.message), (PerfectSeparationWarning,)) for w in caught):
        raise EffectError(
            f"The fractional logit of '{outcome}' separates perfectly (the treatment or a "
            "covariate predicts 0 or 1 exactly); no finite effect."
        )
    if not res.converged:
        raise EffectError(f"The fractional logit of '{outcome}' did not converge.")
    marg = res.get_margeff(at="overall", method="dydx", dummy=True)
    j = 0  # margeff excludes the constant; treatment is the first regressor
    estimate = float(marg.margeff[j])
    se = float(marg.margeff_se[j])
    ci = tuple(np.asarray(marg.conf_int(alpha=alpha))[j])
    p = float(marg.pvalues[j])
    details["coefficients_logit"] = dict(zip(names, map(float, res.params)))
    details["ame_method"] = ("average discrete change P(t=1) − P(t=0) over the sample, "
                             "delta-method standard error (statsmodels get_margeff)")
    return _result(prep, outcome, treatment, "fractional_logit",
                   "ATE", estimate, ci, p, se,
                   "percentage points", prep.covariates, conf_level, notes, details)


def _log_linear(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Ratio of means from a log-linear model E[y | t, x] = exp(a + b·t + x'g), fitted as a Poisson
    GLM (quasi-likelihood: y need not be a count) with robust standard errors; effect = exp(b) − 1."""
    y = prep.y
    if y.min() < 0:
        raise EffectError(
            f"A ratio of means needs a non-negative outcome; '{outcome}' has value {y.min():g}."
        )
    for g, name in ((1, "treated"), (0, "untreated")):
        if y[prep.t == g].sum() <= 0:
            raise EffectError(
                f"Every {name} row has '{outcome}' = 0; a ratio of means is undefined."
            )
    X, names, notes, fit_kw, details = _glm_setup(prep, opts)
    alpha = 1 - conf_level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = GLM(y, X, family=families.Poisson()).fit(**fit_kw)
    if not res.converged or not np.all(np.isfinite(res.params)):
        raise EffectError(f"The log-linear model of '{outcome}' did not converge.")
    j = 1
    b, se_b = float(res.params[j]), float(res.bse[j])
    ci_b = np.asarray(res.conf_int(alpha=alpha))[j]
    p_value = float(res.pvalues[j])
    df_small = len(y) - X.shape[1]
    if opts["small_sample"] and details["se_type"] != "cluster" and df_small > 0:
        # statsmodels' GLM treats HC1–HC3 as HC0, so the HC1 scaling sqrt(n/(n−k)) and a t(n − k)
        # reference are applied here (as for the weighting methods).
        se_b *= math.sqrt(len(y) / df_small)
        crit = st.t.ppf(1 - alpha / 2, df_small)
        ci_b = np.array([b - crit * se_b, b + crit * se_b])
        p_value = float(2 * st.t.sf(abs(b / se_b), df_small))
        details["se_type"] = f"{opts['cov_type']} × sqrt(n/(n−k)), t({df_small}) reference"
        details["df"] = df_small
    details["log_scale"] = {"estimate": b, "ci_low": float(ci_b[0]), "ci_high": float(ci_b[1]),
                            "std_error": se_b}
    details["coefficients_log"] = dict(zip(names, map(float, res.params)))
    details["assumption"] = ("the treated/untreated ratio of expected outcomes is the same for every "
                             "covariate value (log-linear mean model)")
    notes.append("Percent change = exp(coefficient of the treatment in a log-linear (Poisson "
                 "quasi-likelihood) model) − 1: the adjusted ratio of mean outcomes minus 1.")
    return _result(prep, outcome, treatment, "log_linear", "ratio of means − 1",
                   math.expm1(b), (math.expm1(ci_b[0]), math.expm1(ci_b[1])), p_value,
                   math.exp(b) * se_b, "percent change", prep.covariates, conf_level, notes, details)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def estimate_effect(data: pd.DataFrame, outcome: str, treatment: str, covariates: Iterable[str] = (),
                    method: str = "ols", cluster: str | None = None, seed: int = 0, *,
                    conf_level: float = 0.95, **options: Any) -> EffectResult:
    """Effect of `treatment` (bool / 0-1 column) on `outcome`, adjusted for `covariates`.

    Options by method (defaults in brackets):
      difference: n_resamples [9999] bootstrap draws, bootstrap_method ["BCa"|"percentile"],
        permutation_resamples [9999] (exact permutation p when there are no more arrangements),
        large_n [scale.ANALYTIC_N = 5000]: above this many rows Welch's t interval and p instead
        (None: always resample).
      ols: cov_type ["HC3"], min_clusters [20], few_clusters ["hc3"|"crv3"] used below min_clusters.
      ipw / aipw: estimand ["ATE"|"ATT" (ipw only)], trim [None, e.g. (0.05, 0.95)],
        ci ["gmm"|"bootstrap"], small_sample [True: GMM SE × sqrt(n/(n−k)) with t(n−k);
        False: exactly Stata teffects], n_resamples [999], propensity_covariates [= covariates],
        link ["logit"|"probit"].
      quantile: quantile [0.5], ci ["analytic"|"bootstrap"], n_resamples [999].
      fractional_logit: cov_type ["HC0"], min_clusters [20].
      log_linear: cov_type ["HC0"], min_clusters [20], small_sample [True: SE × sqrt(n/(n−k)) with
        t(n−k), unless clustered]; result on the "percent change" scale.
    Above `scale.LARGE_N` rows, `SUBSAMPLED_METHODS` run on a seeded subsample of
    `scale.SUBSAMPLE_ROWS` rows (their notes say so). Raises EffectError (an InputError) with one
    sentence for any degenerate input.
    """
    if method not in METHODS:
        raise EffectError(f"Unknown method {method!r}; choose one of: {', '.join(METHODS)}.")
    _alpha(conf_level)
    allowed = _OPTIONS[method]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise EffectError(
            f"Option {unknown[0]!r} is not used by method '{method}'; its options are: "
            f"{', '.join(allowed) or 'none'}."
        )
    opts = {**allowed, **options}
    covariates = _as_list(covariates)
    if method == "difference" and covariates:
        covariates_used: list[str] = []
    else:
        covariates_used = covariates
    extra = None
    if method in ("ipw", "aipw") and opts.get("propensity_covariates") is not None:
        extra = _as_list(opts["propensity_covariates"])
    subsample_note = None
    if method in SUBSAMPLED_METHODS:
        data, subsample_note = scale.model_rows(data, seed, _METHOD_WORDS[method])
    prep = _prepare(data, outcome, treatment, covariates_used, cluster, extra_covariates=extra)
    if subsample_note:
        prep.notes.append(subsample_note)
    if method == "difference" and covariates:
        prep.notes.append("The difference method ignores covariates: "
                          + ", ".join(covariates) + " (use ols, ipw or aipw to adjust).")
    if extra is not None:
        frame = data.loc[prep.index]
        prep.extra = _drop_collinear(
            _expand_covariates(frame, extra, drop_first=True, notes=prep.notes), prep.notes
        )
    dispatch = {
        "difference": _difference,
        "ols": _ols,
        "quantile": _quantile,
        "fractional_logit": _fractional_logit,
        "log_linear": _log_linear,
        "ipw": partial(_weighting, method="ipw"),
        "aipw": partial(_weighting, method="aipw"),
    }
    try:
        with np.errstate(all="ignore"):
            result = dispatch[method](prep, outcome, treatment, seed, conf_level, opts)
    except EffectError:
        raise
    except (np.linalg.LinAlgError, ArithmeticError, ValueError) as exc:
        # a numerical failure inside an estimator (singular matrix, overflow, NaN in a solver) is a
        # stated reason, never a traceback
        raise EffectError(f"The {method} estimate of '{outcome}' failed numerically "
                          f"({type(exc).__name__}: {exc}).") from exc
    if not math.isfinite(result.estimate):
        raise EffectError(f"The {method} estimate of '{outcome}' is not finite (a numerical failure); "
                          "the data cannot support it.")
    return result
