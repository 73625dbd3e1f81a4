"""Data preparation shared by every estimator: columns checked, complete rows kept, covariates expanded
into a float design, collinear terms dropped, and the result assembled.

Definitions: the treatment is a bool or 0/1 column (a 0/1 float array here); numeric and bool covariates
enter as they are, text / category covariates as dummies `col=level` (first level dropped); rows with a
missing value in any used column are dropped and counted in a note; covariate terms without variation,
or that are exact linear combinations of earlier terms, are dropped with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd
import scipy.stats as st

from amo_analysis.i18n import Message
from amo_analysis.stats import robust
from amo_analysis.stats.effects.result import EffectError, EffectResult, Reference

_QR_RANK_ROWS = 5_000  # above this many rows column ranks come from one QR factorisation


@dataclass
class _Prepared:
    """The complete rows an estimator works on: outcome `y` (outcome units), treatment `t` (0/1),
    covariate design `X`, cluster labels `groups` (None: independent rows), the rows' `index` in the
    caller's frame and the notes gathered so far (rows and terms dropped); `outcome` and `treatment`:
    the column names as the caller gave them."""

    y: np.ndarray
    t: np.ndarray
    X: pd.DataFrame  # covariate design (no constant), float columns
    groups: np.ndarray | None
    index: pd.Index
    notes: list[str]
    covariates: tuple[str, ...]
    treatment_name: str = "treatment"
    extra: pd.DataFrame | None = None  # propensity-model covariate design, when it differs
    outcome: Any = None
    treatment: Any = None


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
    bad = [
        v for v in values if not (isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)) and v in (0, 1))
    ]
    if bad:
        value = bad[0].item() if isinstance(bad[0], np.generic) else bad[0]
        raise EffectError(f"Treatment column '{name}' must be boolean or 0/1; found value {value!r}.")
    return series.astype(float).to_numpy()


def _numeric_array(series: pd.Series, name: str, role: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(bool).to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(series):
        example = series.iloc[0] if len(series) else None
        raise EffectError(f"{role.capitalize()} column '{name}' must be numeric; found value {example!r}.")
    arr = series.to_numpy(dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][0]
        raise EffectError(f"{role.capitalize()} column '{name}' contains an infinite value ({bad}).")
    return arr


def _is_numeric_covariate(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)


def _expand_covariates(
    frame: pd.DataFrame, covariates: list[str], drop_first: bool, notes: list[str] | None
) -> pd.DataFrame:
    """Float design of the covariates: numeric as is, categorical as dummies `col=level`.

    Columns without variation are dropped (and noted when `notes` is given).
    """
    names: list[str] = []
    columns: list[np.ndarray] = []
    for col in covariates:
        s = frame[col]
        if _is_numeric_covariate(s):
            names.append(col)
            columns.append(_numeric_array(s, col, "covariate"))
        else:
            # `pd.get_dummies` of the text as a category, built directly: the levels in the
            # category's order (sorted text), the first dropped (one call per estimate: pandas'
            # category and concatenation were 60 % of preparing an estimate on the sample)
            codes, levels = pd.factorize(s.astype(str))  # a missing value: code −1, no level
            for code in sorted(range(len(levels)), key=lambda i: levels[i])[1 if drop_first else 0 :]:
                names.append(f"{col}={levels[code]}")
                columns.append((codes == code).astype("float64"))
    if not columns:
        return pd.DataFrame(index=frame.index)
    varies = [len(column) == 0 or not (column == column[0]).all() for column in columns]
    if not all(varies) and notes is not None:
        constant = [name for name, keep in zip(names, varies) if not keep]
        notes.append(Message("note_terms_constant", terms=", ".join(map(str, constant))))
    kept = [name for name, keep in zip(names, varies) if keep]
    if not kept:
        return pd.DataFrame(index=frame.index)
    # one copy: the kept columns stacked as rows are the frame's block as pandas stores it (a column
    # per row, each contiguous); stacking them as columns and letting pandas copy took 3 copies,
    # 0.6 s for 12 columns at 10⁶ projects, 0.2 s now
    block = np.vstack([column for column, keep in zip(columns, varies) if keep])
    return pd.DataFrame(block.T, columns=kept, index=frame.index, copy=False)


def _r_factor(design: pd.DataFrame, t: np.ndarray | None = None) -> np.ndarray:
    """R of the QR factorisation of [1, design, t]. X = QR with Q orthonormal, so any set of columns
    of X has the singular values of the same columns of the small R: one O(n k²) factorisation
    answers every rank question about X's columns (see `_rank_of_columns`)."""
    # in blocks of rows above `robust.BLOCK_ROWS`, each built in place: [1, design, t] is never stacked whole
    return robust.r_factor(design.to_numpy(dtype="float64"), last=t, constant=True)


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
        notes.append(Message("note_terms_collinear", terms=", ".join(map(str, dropped))))
    return design[kept]


def _rank_of_columns(R: np.ndarray, columns: list[int], n: int) -> int:
    """Rank of the chosen columns of an n-row matrix X = QR, from its small R factor (same singular
    values) with numpy's matrix_rank tolerance for the n-row matrix."""
    sv = np.linalg.svd(R[:, columns], compute_uv=False)
    return int((sv > sv.max() * max(n, len(columns)) * np.finfo(float).eps).sum())


def _check_treatment_identified(
    design: pd.DataFrame, t: np.ndarray, treatment: str, R: np.ndarray | None = None, columns: list[int] = ()
) -> None:
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


def _prepare(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: list[str],
    cluster: str | None,
    extra_covariates: list[str] | None = None,
) -> _Prepared:
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
        notes.append(Message("note_rows_dropped", n_dropped=n_dropped, n=len(frame), detail=detail))
    frame = frame.loc[complete]
    if len(frame) == 0:
        raise EffectError(f"No row has all of {', '.join(repr(c) for c in used)} filled in; nothing to estimate.")
    t = _treatment_array(frame[treatment], treatment)
    y = _numeric_array(frame[outcome], outcome, "outcome")
    n_t = int(t.sum())
    if n_t == 0 or n_t == len(t):
        which = "treated" if n_t == len(t) else "untreated"
        raise EffectError(
            f"All {len(t)} complete rows are {which} in '{treatment}'; an effect needs both treated and untreated rows."
        )
    if np.ptp(y) == 0:
        raise EffectError(
            f"Outcome '{outcome}' has no variance (every complete row equals {y[0]:g}); there is no effect to estimate."
        )
    design = _expand_covariates(frame, covariates, drop_first=True, notes=notes)
    R = _r_factor(design, t) if len(t) > _QR_RANK_ROWS and design.shape[1] else None
    terms = list(design.columns)
    design = _drop_collinear(design, notes, None if R is None else R[:, :-1])
    _require_rows(len(y), 2 + design.shape[1], "constant, treatment and covariates")
    _check_treatment_identified(design, t, treatment, R, [0] + [1 + terms.index(c) for c in design.columns])
    groups = frame[cluster].to_numpy() if cluster else None
    return _Prepared(
        y=y,
        t=t,
        X=design,
        groups=groups,
        index=frame.index,
        notes=notes,
        covariates=tuple(covariates),
        treatment_name=str(treatment),
        outcome=outcome,
        treatment=treatment,
    )


def _require_rows(n: int, k_params: int, what: str) -> None:
    if n < k_params + 2:
        raise EffectError(
            f"Only {n} complete rows for {k_params} parameters ({what}); at least {k_params + 2} are needed."
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


def _exog_alone(prep: _Prepared) -> tuple[np.ndarray, list[str]]:
    """`_exog(prep)` for an estimator that reads its covariates from the design alone from then on:
    `prep.X` keeps its column names over no rows, since the design holds its columns (at 10⁶ projects
    and 10 covariate columns, 80 MB held twice through the fit otherwise)."""
    X, names = _exog(prep)
    prep.X = prep.X.iloc[:0].copy()  # a copy: a slice would keep the whole block alive
    return X, names


def _alpha(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise EffectError(f"conf_level must be between 0 and 1; got {conf_level}.")
    return 1.0 - conf_level


def _normal_p(estimate: float, se: float) -> float:
    if not se or not np.isfinite(se) or se <= 0:
        return float("nan")
    return float(2 * st.norm.sf(abs(estimate / se)))


def _percentile_bootstrap(samples: tuple, stat, n_boot: int, conf_level: float, seed: int):
    """scipy's percentile bootstrap of `stat`, called once per resample of `samples` (not vectorised),
    its generator seeded with `seed`."""
    return st.bootstrap(
        samples,
        stat,
        n_resamples=n_boot,
        vectorized=False,
        confidence_level=conf_level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )


def _reference_of(fit: Any) -> Reference:
    """The distribution a statsmodels results object's `conf_int` uses: t(df_resid) or normal."""
    return Reference("t", float(fit.df_resid)) if fit.use_t else Reference("normal")


def _estimand(value: Any) -> str:
    v = str(value).upper()
    if v not in ("ATE", "ATT"):
        raise EffectError(f"Estimand must be 'ATE' or 'ATT'; got {value!r}.")
    return v


@dataclass(frozen=True)
class _Interval:
    """An estimate with its two-sided interval at `conf_level` (0.95 = 95 %), on the result's scale:
    `ci` = (low, high), the p-value of "no effect", the standard error (None: none) and the
    `reference` distribution the interval was built from."""

    estimate: float
    ci: tuple[float, float]
    p_value: float
    std_error: float | None
    reference: Reference
    conf_level: float


def _t_interval(estimate: float, se: float, df: float, conf_level: float) -> _Interval:
    """estimate ± t(df) quantile × se, two-sided t(df) p-value (NaN without a positive se)."""
    alpha = 1 - conf_level
    crit = float(st.t.ppf(1 - alpha / 2, df))
    p = float(2 * st.t.sf(abs(estimate / se), df)) if se > 0 else float("nan")
    return _Interval(
        estimate, (estimate - crit * se, estimate + crit * se), p, se, Reference("t", float(df)), conf_level
    )


def _normal_interval(estimate: float, se: float, conf_level: float) -> _Interval:
    """estimate ± normal quantile × se, two-sided normal p-value (`_normal_p`)."""
    alpha = 1 - conf_level
    crit = st.norm.ppf(1 - alpha / 2)
    ci = (estimate - crit * se, estimate + crit * se)
    return _Interval(estimate, ci, _normal_p(estimate, se), se, Reference("normal"), conf_level)


def _percent_change(log_scale: _Interval, details: dict) -> _Interval:
    """The interval of exp(d) − 1 (a fraction) from that of a log-scale difference d: bounds mapped,
    standard error by the delta method exp(d)·se, same p-value and reference. d's own numbers are
    recorded in `details["log_scale"]`."""
    b, (low, high), se = log_scale.estimate, log_scale.ci, log_scale.std_error
    details["log_scale"] = {"estimate": b, "ci_low": float(low), "ci_high": float(high), "std_error": se}
    ci = (math.expm1(low), math.expm1(high))
    return _Interval(math.expm1(b), ci, log_scale.p_value, math.exp(b) * se, log_scale.reference, log_scale.conf_level)


def _result(
    prep: _Prepared,
    method: str,
    estimand: str,
    scale: str,
    interval: _Interval,
    notes: list[str],
    details: dict,
    *,
    model: Any = None,
    t: np.ndarray | None = None,
    covariates: tuple[str, ...] | None = None,
) -> EffectResult:
    """The EffectResult of an estimator: `method`, `estimand`, `scale` as `EffectResult` names them,
    the numbers from `interval`; outcome, treatment, covariates (unless given: the difference in
    means uses none) and the counts come from `prep`, or the counts from `t`, the treatment of the
    rows used when they are not all of `prep`'s (trimming)."""
    t = prep.t if t is None else t
    return EffectResult(
        outcome=prep.outcome,
        treatment=prep.treatment,
        method=method,
        estimand=estimand,
        estimate=float(interval.estimate),
        ci_low=float(interval.ci[0]),
        ci_high=float(interval.ci[1]),
        p_value=float(interval.p_value),
        std_error=None if interval.std_error is None else float(interval.std_error),
        n=int(len(t)),
        n_treated=int(t.sum()),
        n_control=int(len(t) - t.sum()),
        scale=scale,
        covariates=prep.covariates if covariates is None else covariates,
        conf_level=interval.conf_level,
        notes=notes,
        details=details,
        model=model,
        reference=interval.reference,
        rows=prep.index if len(t) == len(prep.index) else None,
    )
