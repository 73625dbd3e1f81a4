"""Propensity scores, inverse-probability weights, overlap and covariate balance (diagnostics that the
weighting estimators and the reports share): standardised mean differences (`balance_table`), variance
ratios (`variance_ratios`) and Kish's effective sample size of weights (`effective_sample_size`) — the
one home of balance statistics (the tables the notebooks show are `analyses.balance`).

Propensity e(x) = P(treated | covariates), a fraction, from a logit (or probit) model with a constant.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd

from amo_analysis.errors import InputError
from amo_analysis.i18n import Message
from amo_analysis.stats import weighting
from amo_analysis.stats.effects.prepare import (
    _as_list,
    _check_columns,
    _drop_collinear,
    _estimand,
    _expand_covariates,
    _treatment_array,
)
from amo_analysis.stats.effects.result import EffectError
from amo_analysis.defaults import DEFAULTS

#: propensity scores outside this band are reported as extreme (Crump et al. 2009 use 0.1/0.9;
#: 0.05/0.95 is the common, less aggressive choice).
EXTREME_PROPENSITY = DEFAULTS.extreme_propensity


def _fit_propensity(
    t: np.ndarray, Z: np.ndarray, link: str, label: str, check_separation: bool = True
) -> weighting.PropensityFit:
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


def propensity_scores(data: pd.DataFrame, treatment: str, covariates: Iterable[str], link: str = "logit") -> pd.Series:
    """P(treated | covariates) from a logit (or probit) model; indexed like the complete rows of `data`."""
    frame, t, Z = _propensity_design(data, treatment, _as_list(covariates))
    res = _fit_propensity(t, Z, link, treatment)
    return pd.Series(res.prob, index=frame.index, name="propensity")


def ipw_weights(
    data: pd.DataFrame, treatment: str, covariates: Iterable[str], estimand: str = "ATE", stabilised: bool = True
) -> pd.Series:
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
        "treated_min": float(pt.min()),
        "treated_max": float(pt.max()),
        "control_min": float(pc.min()),
        "control_max": float(pc.max()),
        "n_outside": int(outside.sum()),
        "share_outside": share,
        "bounds": [lo, hi],
    }
    # the verdict is an i18n.Message: its English text, shown in the report's language
    if share == 0:
        verdict = Message("note_overlap_good", low=lo, high=hi)
    else:
        kind = "note_overlap_limited" if share < 0.10 else "note_overlap_poor"
        verdict = Message(kind, n_outside=int(outside.sum()), n=len(ps), percent=share * 100, low=lo, high=hi)
    summary["verdict"] = verdict
    return summary


def balance_table(data: pd.DataFrame, treatment: str, covariates: Iterable[str], weights: Any = None) -> pd.DataFrame:
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
                raise EffectError(f"Weights have {arr.size} values but the data has {len(data)} rows.")
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
        row = {
            "covariate": col,
            "mean_treated": mt,
            "mean_control": mc,
            "smd_unweighted": (mt - mc) / sd if sd > 0 else float("nan"),
        }
        if w_all is not None:
            w = frame["__w__"].to_numpy()
            mtw = np.average(xt, weights=w[t])
            mcw = np.average(xc, weights=w[~t])
            row.update(
                {
                    "mean_treated_weighted": mtw,
                    "mean_control_weighted": mcw,
                    "smd_weighted": (mtw - mcw) / sd if sd > 0 else float("nan"),
                }
            )
        rows.append(row)
    cols = ["mean_treated", "mean_control", "smd_unweighted"]
    if w_all is not None:
        cols += ["mean_treated_weighted", "mean_control_weighted", "smd_weighted"]
    if not rows:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="covariate"))
    return pd.DataFrame(rows).set_index("covariate")[cols]


def _weighted_var(x: np.ndarray, w: np.ndarray | None) -> float:
    if w is None:
        return float(np.var(x, ddof=1)) if len(x) > 1 else float("nan")
    sw = w.sum()
    if sw <= 0:
        return float("nan")
    mean = np.sum(w * x) / sw
    denom = sw - np.sum(w * w) / sw  # reliability weights: unbiased for equal weights
    return float(np.sum(w * (x - mean) ** 2) / denom) if denom > 0 else float("nan")


def _treatment_mask(series: pd.Series, name: str) -> np.ndarray:
    values = pd.to_numeric(series.astype(float) if pd.api.types.is_bool_dtype(series) else series, errors="coerce")
    arr = values.to_numpy(dtype=float)
    if not np.all(np.isin(arr, (0.0, 1.0))):
        raise InputError(f"Practice '{name}' must be yes/no (true/false or 1/0).")
    mask = arr == 1
    if mask.all() or not mask.any():
        raise InputError(f"Practice '{name}' has only one value in the complete rows.")
    return mask


def variance_ratios(
    data: pd.DataFrame, treatment: str, covariates: Iterable[str], weights=None, low: float = 0.5, high: float = 2.0
) -> pd.DataFrame:
    """Variance ratio per covariate column: variance among projects with the practice ÷ variance among
    those without (sample variances, ddof = 1; with `weights`, reliability-weighted variances). A
    ratio outside [low, high] (0.5–2, Rubin 2001) is flagged: the groups differ in spread even where
    the means agree. Categorical covariates give one row per level (0/1 columns). Columns: var_treated,
    var_control, variance_ratio, flagged; index: covariate."""
    covariates = list(covariates)
    missing = [c for c in [treatment, *covariates] if c not in data.columns]
    if missing:
        raise InputError(f"Column '{missing[0]}' is not in the data.")
    frame = data[[treatment, *covariates]].copy()
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(data),):
            raise InputError(f"Weights have {w.size} values but the data has {len(data)} rows.")
        if np.any(w[np.isfinite(w)] < 0):
            raise InputError("Weights must not be negative.")
        frame["__w__"] = w
    frame = frame.dropna()
    t = _treatment_mask(frame[treatment], treatment)
    w_all = frame.pop("__w__").to_numpy() if weights is not None else None
    parts = []
    for c in covariates:
        s = frame[c]
        numeric = pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
        parts.append(s.astype(float).rename(c) if numeric else pd.get_dummies(s, prefix=c, prefix_sep="=", dtype=float))
    design = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    rows = []
    for col in design.columns:
        x = design[col].to_numpy()
        vt = _weighted_var(x[t], None if w_all is None else w_all[t])
        vc = _weighted_var(x[~t], None if w_all is None else w_all[~t])
        ratio = vt / vc if vc > 0 else (float("nan") if vt == 0 or math.isnan(vt) else float("inf"))
        rows.append(
            {
                "covariate": col,
                "var_treated": vt,
                "var_control": vc,
                "variance_ratio": ratio,
                "flagged": bool(math.isfinite(ratio) and not low <= ratio <= high) or ratio == float("inf"),
            }
        )
    cols = ["var_treated", "var_control", "variance_ratio", "flagged"]
    if not rows:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="covariate"))
    return pd.DataFrame(rows).set_index("covariate")[cols]


def effective_sample_size(weights, treatment) -> pd.DataFrame:
    """Kish's effective sample size of weights, (Σw)² / Σw², per group (treated, control) and overall,
    next to the number of projects: how many equally weighted projects the weighted comparison is
    worth. Columns: n, ess, ess_share (ess / n); index: group."""
    w = np.asarray(weights, dtype=float)
    t = np.asarray(treatment)
    if w.shape != t.shape or w.ndim != 1:
        raise InputError(f"Weights ({w.size} values) and practice ({t.size} values) must be aligned.")
    keep = np.isfinite(w) & ~pd.isna(t)
    w, t = w[keep], t[keep].astype(float)
    if np.any(w < 0):
        raise InputError("Weights must not be negative.")
    if not np.all(np.isin(t, (0.0, 1.0))):
        raise InputError("The practice must be yes/no (true/false or 1/0).")
    rows = []
    for group, mask in (("treated", t == 1), ("control", t == 0), ("all", np.ones_like(t, dtype=bool))):
        ww = w[mask]
        ess = float(ww.sum() ** 2 / np.sum(ww * ww)) if np.sum(ww * ww) > 0 else 0.0
        rows.append(
            {
                "group": group,
                "n": int(mask.sum()),
                "ess": ess,
                "ess_share": ess / mask.sum() if mask.sum() else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index("group")
