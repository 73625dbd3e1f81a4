"""Propensity scores, inverse-probability weights, overlap and covariate balance (diagnostics that the
weighting estimators and the reports share).

Propensity e(x) = P(treated | covariates), a fraction, from a logit (or probit) model with a constant.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd

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
