"""IPW and AIPW effects: the `weighting` M-estimators (Hájek IPW, augmented IPW) behind `estimate_effect`.

The steps, in order: read the options (`_choices`, `_trim_bounds`), build the outcome and propensity
designs (`_design`), fit the propensity model and trim it or report extreme scores
(`_propensity_and_trim`), estimate (`_m_estimate`), then the interval — an analytic sandwich that
accounts for the estimated propensity, clustered when clusters are given (`_sandwich_interval`), or a
stratified pairs bootstrap (`_bootstrap_interval`). The effect is μ₁ − μ₀ in outcome units;
propensities are fractions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from amo_analysis.i18n import Message
from amo_analysis.stats import weighting
from amo_analysis.stats.effects.prepare import (
    _estimand,
    _Interval,
    _normal_interval,
    _normal_p,
    _percentile_bootstrap,
    _Prepared,
    _require_rows,
    _result,
    _t_interval,
)
from amo_analysis.stats.effects.propensity import EXTREME_PROPENSITY, _fit_propensity
from amo_analysis.stats.effects.result import EffectError, EffectResult, Reference


@dataclass
class _Rows:
    """The rows a weighting estimate uses: outcome `y` (outcome units), treatment `t` (0/1), outcome
    design `X` and propensity design `Z` (each with a leading constant column), cluster labels
    `groups` (None: independent rows)."""

    y: np.ndarray
    t: np.ndarray
    X: np.ndarray
    Z: np.ndarray
    groups: np.ndarray | None

    def subset(self, rows: np.ndarray) -> "_Rows":
        """The rows selected by a boolean mask or an array of positions."""
        return _Rows(
            self.y[rows], self.t[rows], self.X[rows], self.Z[rows], None if self.groups is None else self.groups[rows]
        )


def _ipw(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Hájek inverse-probability-weighted difference of means (ATE or ATT)."""
    return _weighting(prep, outcome, treatment, seed, conf_level, opts, "ipw")


def _aipw(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Augmented IPW (doubly robust) ATE: one outcome OLS per group plus the weighted residuals."""
    return _weighting(prep, outcome, treatment, seed, conf_level, opts, "aipw")


def _weighting(
    prep: _Prepared, outcome: str, treatment: str, seed: int, conf_level: float, opts: dict, method: str
) -> EffectResult:
    """IPW (Hájek) or AIPW as stacked M-estimators with an analytic sandwich (`weighting`), clustered
    by `prep.groups` when given; extreme propensities are reported, or trimmed (point and interval
    alike) with `trim`."""
    notes = list(prep.notes)
    estimand, link, ci_kind = _choices(opts, method)
    rows, propensity_columns = _design(prep)
    bounds = _trim_bounds(opts["trim"])
    rows, ps, details, estimand_text = _propensity_and_trim(
        rows, propensity_columns, link, treatment, bounds, estimand, notes
    )
    if method == "aipw":
        _check_group_sizes(rows)
    estimate = partial(_m_estimate, method, estimand)
    res = estimate(rows, ps, rows.groups)
    details["k_params"] = res.n_params
    if ci_kind == "sandwich":
        interval = _sandwich_interval(res, rows, conf_level, bool(opts["small_sample"]), details, notes)
    else:
        interval = _bootstrap_interval(
            res.effect, rows, estimate, link, treatment, int(opts["n_resamples"]), conf_level, seed, details, notes
        )
    details["potential_outcome_means"] = {"control": float(res.pom[0]), "treated": float(res.pom[1])}
    return _result(prep, method, estimand_text, "difference", interval, notes, details, t=rows.t, model=res)


def _choices(opts: dict, method: str) -> tuple[str, str, str]:
    """(estimand "ATE"/"ATT", propensity link, interval "sandwich"/"bootstrap"), checked."""
    estimand = _estimand(opts["estimand"])
    if method == "aipw" and estimand == "ATT":
        raise EffectError("AIPW here estimates the ATE only; use method='ipw' with estimand='ATT'.")
    link = str(opts["link"]).lower()
    ci_kind = {"gmm": "sandwich"}.get(str(opts["ci"]).lower(), str(opts["ci"]).lower())
    if ci_kind not in ("sandwich", "bootstrap"):
        raise EffectError(f"ci must be 'sandwich' or 'bootstrap' for {method}; got {opts['ci']!r}.")
    return estimand, link, ci_kind


def _design(prep: _Prepared) -> tuple[_Rows, pd.DataFrame]:
    """The rows with their outcome and propensity designs (the propensity model defaults to the outcome
    covariates), and the propensity covariate terms."""
    propensity_columns = prep.X if prep.extra is None else prep.extra
    y = prep.y
    X = np.column_stack([np.ones(len(y))] + [prep.X[c].to_numpy() for c in prep.X.columns])
    Z = np.column_stack([np.ones(len(y))] + [propensity_columns[c].to_numpy() for c in propensity_columns.columns])
    _require_rows(len(y), X.shape[1] + 1, "constant, treatment and covariates")
    _require_rows(len(y), Z.shape[1], "propensity model")
    return _Rows(y, prep.t, X, Z, prep.groups), propensity_columns


def _trim_bounds(trim) -> tuple[float, float] | None:
    """The propensity band kept by `trim` (None: no trimming; True: `EXTREME_PROPENSITY`)."""
    if trim is None:
        return None
    if trim is True:
        trim = EXTREME_PROPENSITY
    try:
        low, high = (float(trim[0]), float(trim[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise EffectError(f"trim must be a pair like (0.05, 0.95); got {trim!r}.") from exc
    if not 0 <= low < high <= 1:
        raise EffectError(f"trim must satisfy 0 ≤ low < high ≤ 1; got {trim!r}.")
    return low, high


def _propensity_and_trim(
    rows: _Rows,
    propensity_columns: pd.DataFrame,
    link: str,
    treatment: str,
    bounds: tuple[float, float] | None,
    estimand: str,
    notes: list[str],
):
    """Fit the propensity model and record its overlap in `details`. With `bounds`, drop the rows
    outside them and refit on the rest; without, note the scores outside `EXTREME_PROPENSITY`.
    Returns (rows kept, propensity fit on them, details, estimand text)."""
    # with trimming, separation is checked after the extreme rows are gone, not before
    ps = _fit_propensity(rows.t, rows.Z, link, treatment, check_separation=bounds is None)
    prob, t = ps.prob, rows.t
    lo, hi = EXTREME_PROPENSITY
    details: dict = {
        "propensity_link": link,
        "propensity_covariates": list(map(str, propensity_columns.columns)),
        "propensity_min": float(prob.min()),
        "propensity_max": float(prob.max()),
        "propensity_treated_range": [float(prob[t == 1].min()), float(prob[t == 1].max())],
        "propensity_control_range": [float(prob[t == 0].min()), float(prob[t == 0].max())],
        "n_extreme_propensity": int(((prob < lo) | (prob > hi)).sum()),
        "weights": "normalised within group (Hajek), equivalent to stabilised weights",
    }
    if bounds is None:
        if details["n_extreme_propensity"]:
            notes.append(
                Message(
                    "note_propensity_extreme",
                    n_extreme=details["n_extreme_propensity"],
                    n=len(rows.y),
                    low=lo,
                    high=hi,
                    min=float(prob.min()),
                    max=float(prob.max()),
                )
            )
        return rows, ps, details, estimand
    rows, estimand_text = _trim(rows, prob, bounds, estimand, details, notes)
    return rows, _fit_propensity(rows.t, rows.Z, link, treatment), details, estimand_text


def _trim(
    rows: _Rows, prob: np.ndarray, bounds: tuple[float, float], estimand: str, details: dict, notes: list[str]
) -> tuple[_Rows, str]:
    """The rows whose propensity lies within `bounds` (inclusive), and the estimand they define."""
    t_lo, t_hi = bounds
    keep = (prob >= t_lo) & (prob <= t_hi)
    n_trim = int((~keep).sum())
    details["n_trimmed"] = n_trim
    details["trim"] = [t_lo, t_hi]
    if not n_trim:
        return rows, estimand
    notes.append(Message("note_propensity_trimmed", n_trimmed=n_trim, n=len(rows.y), low=t_lo, high=t_hi))
    rows = rows.subset(keep)
    if rows.t.sum() in (0, len(rows.t)):
        raise EffectError(
            f"After trimming propensities outside [{t_lo}, {t_hi}] only one treatment "
            "group is left; the groups do not overlap."
        )
    _require_rows(len(rows.y), rows.X.shape[1] + 1, "after trimming")
    return rows, f"{estimand} on projects with propensity in [{t_lo:g}, {t_hi:g}]"


def _check_group_sizes(rows: _Rows) -> None:
    """AIPW fits one outcome OLS per group: each needs more rows than parameters."""
    for g, name in ((1, "treated"), (0, "untreated")):
        n_g = int((rows.t == g).sum())
        if n_g <= rows.X.shape[1]:
            raise EffectError(
                f"AIPW fits one outcome model per group: the {name} group has {n_g} rows for "
                f"{rows.X.shape[1]} parameters."
            )


def _m_estimate(
    method: str, estimand: str, rows: _Rows, ps: weighting.PropensityFit, groups: np.ndarray | None
) -> weighting.MEstimate:
    """The `weighting` M-estimate of `method` on `rows` with propensity fit `ps`, its sandwich
    clustered by `groups`."""
    if method == "ipw":
        return weighting.ipw(rows.y, rows.t, rows.Z, ps, estimand, groups)
    return weighting.aipw(rows.y, rows.t, rows.X, rows.Z, ps, groups)


def _sandwich_interval(
    res: weighting.MEstimate, rows: _Rows, conf_level: float, small_sample: bool, details: dict, notes: list[str]
) -> _Interval:
    """The interval from the sandwich: with `small_sample`, scaled by
    sqrt(G/(G − 1)) per cluster or sqrt(n/(n − k)) per row and referred to t(G − 1) resp. t(n − k);
    otherwise as is with a normal reference (as Stata's teffects)."""
    est, se = res.effect, res.std_error
    clustered = rows.groups is not None
    units = res.n_clusters if clustered else len(rows.y)
    df_small = units - 1 if clustered else units - res.n_params
    if clustered:
        details["n_clusters"] = units
    if small_sample and df_small > 0:
        scaling = "G/(G−1)" if clustered else "n/(n−k)"
        se *= math.sqrt(units / (units - 1)) if clustered else math.sqrt(units / df_small)
        interval = _t_interval(est, se, df_small, conf_level)
        details["se_type"] = (
            f"{'cluster-robust ' if clustered else ''}sandwich (propensity "
            f"estimation accounted for) × sqrt({scaling}), t({df_small}) reference"
        )
        details["df"] = df_small
    else:
        interval = _normal_interval(est, se, conf_level)
        details["se_type"] = "sandwich (propensity estimation accounted for), normal reference (as Stata teffects)"
    if len(rows.y) < 50:
        notes.append(Message("note_sandwich_small", n=len(rows.y)))
    return interval


def _bootstrap_interval(
    est: float,
    rows: _Rows,
    estimate,
    link: str,
    treatment: str,
    n_boot: int,
    conf_level: float,
    seed: int,
    details: dict,
    notes: list[str],
) -> _Interval:
    """The interval from a pairs bootstrap stratified by treatment
    group (propensity model refitted in each resample; percentile interval, normal p-value). Clusters
    are not resampled (a note says so); a resample that cannot be estimated is an EffectError."""
    idx_t = np.flatnonzero(rows.t == 1)
    idx_c = np.flatnonzero(rows.t == 0)
    failures = 0

    def stat(it, ic):
        nonlocal failures
        sample = rows.subset(np.concatenate([it, ic]).astype(int))
        try:
            ps_b = _fit_propensity(sample.t, sample.Z, link, treatment)
            return estimate(sample, ps_b, None).effect
        except (EffectError, np.linalg.LinAlgError, ValueError):
            failures += 1
            return np.nan

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        boot = _percentile_bootstrap((idx_t, idx_c), stat, n_boot, conf_level, seed)
    ci = (boot.confidence_interval.low, boot.confidence_interval.high)
    if failures or not np.all(np.isfinite(ci)):
        raise EffectError(
            f"{failures} of {n_boot} bootstrap resamples could not be estimated (the "
            "propensity model separates in resamples); use ci='sandwich' or more data."
        )
    se = float(boot.standard_error)
    details.update(
        {"se_type": "stratified pairs bootstrap (percentile interval)", "bootstrap_reps": n_boot, "seed": seed}
    )
    notes.append(Message("note_bootstrap_normal_p"))
    if rows.groups is not None:
        notes.append(Message("note_bootstrap_clusters_ignored"))
    return _Interval(est, ci, _normal_p(est, se), se, Reference("percentile bootstrap"), conf_level)
