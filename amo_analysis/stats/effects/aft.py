"""Censoring-aware effect on the duration ratio: the log-normal accelerated-failure-time model.

``log(duration / planned) = a + b·treatment + x'g + σε``, ε ~ N(0, 1), fitted by maximum likelihood
with projects still running at the export date as right-censored rows (their ratio is at least
elapsed / planned); see `amo_analysis.stats.survival.LogNormalAFT` (analytic score and Hessian).
The effect is ``exp(b) − 1``: the relative change in the duration ratio with the treatment (a
fraction: 0.20 = projects 20 % longer relative to plan; the ratio of median ratios, and of every
quantile, since only the location shifts). Standard errors: HC0 sandwich or inverse Hessian (normal reference), or
with clusters the cluster-robust sandwich (statsmodels CR1) with a t(G − 1) reference.

Not in `REGISTRY`: a registry fit function receives only outcome, treatment, covariates and clusters,
while this model also needs each row's finished / running status; adding that to `_prepare` would
change every method's entry point, so `aft_effect` is its own entry point returning the same
`EffectResult`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from amo_analysis.i18n import Message
from amo_analysis.stats.effects.prepare import (
    _alpha,
    _as_list,
    _exog_alone,
    _normal_interval,
    _percent_change,
    _prepare,
    _require_rows,
    _result,
    _t_interval,
)
from amo_analysis.stats.effects.result import EffectError, EffectResult
from amo_analysis.stats.survival import fit_lognormal_aft

__all__ = ["aft_effect"]


def aft_effect(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    observed: str,
    covariates=(),
    cluster: str | None = None,
    *,
    conf_level: float = 0.95,
    robust: bool = True,
    cluster_se: str = "jackknife",
) -> EffectResult:
    """Relative effect of `treatment` on the duration ratio `outcome`, running projects censored.

    `outcome`: duration / planned duration (> 0) for finished projects, elapsed / planned for running
    ones; `observed`: bool column, True when the project has finished. `covariates` and `cluster` as
    in `estimate_effect`. Returns an `EffectResult` with scale "percent change" (exp(b) − 1, a
    fraction), method "lognormal_aft"; `details` holds ``log_scale`` (b, its interval and SE),
    ``coefficients_log``, ``sigma`` (residual sd of the log ratio), ``n_running``, ``se_type``,
    ``n_clusters`` and ``df`` when clustered. `robust` (default): without clusters, the HC0 sandwich
    standard error (the normal model is an approximation: duration ratios have a fat right tail);
    False: the inverse Hessian. `cluster_se` with clusters: "jackknife" (default; leave one cluster
    out, V = (G − 1)/G · Σ_g (b_(g) − b̄)², the CR3-like variance that keeps its size with few
    clusters) or "cr1" (statsmodels' cluster sandwich); both with a t(G − 1) reference.
    """
    _alpha(conf_level)  # checked before the fit
    prep = _prepare(data, outcome, treatment, _as_list(covariates), cluster, extra_covariates=[observed])
    obs = data.loc[prep.index, observed]
    if not pd.api.types.is_bool_dtype(obs):
        raise EffectError(f"Column '{observed}' must be True (finished) or False (running); found {obs.iloc[0]!r}.")
    obs = obs.to_numpy(dtype=bool)
    if (prep.y <= 0).any():
        raise EffectError(f"A duration ratio must be positive; '{outcome}' has value {prep.y.min():g}.")
    for g, name in ((1, "treated"), (0, "untreated")):
        if not obs[prep.t == g].any():
            raise EffectError(f"No {name} project has finished; the effect on '{outcome}' cannot be estimated.")
    X, names = _exog_alone(prep)
    X = np.asfortranarray(X)  # the fit's layout (`fit_lognormal_aft`): one n × p design in memory, not two
    _require_rows(len(prep.y), X.shape[1] + 1, "constant, treatment, covariates and scale")
    notes = list(prep.notes)
    details: dict = {"n_running": int((~obs).sum())}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_lognormal_aft(prep.y, obs, X, names, groups=prep.groups, robust=robust)
    params, bse = np.asarray(res.params, dtype=float), np.asarray(res.bse, dtype=float)
    b, se_b = float(params[1]), float(bse[1])
    if prep.groups is not None:
        codes = pd.factorize(prep.groups)[0]
        n_groups = int(codes.max() + 1)
        if n_groups < 2:
            raise EffectError(f"Cluster column '{cluster}' has one value only; a clustered interval needs two.")
        if cluster_se not in ("jackknife", "cr1"):
            raise EffectError(f"cluster_se must be 'jackknife' or 'cr1'; got {cluster_se!r}.")
        se_type = "cluster-robust sandwich (CR1), t(G − 1) reference"
        if cluster_se == "jackknife":
            leave_out = _cluster_jackknife(prep.y, obs, X, codes, n_groups, params)
            if leave_out is None:
                notes.append(Message("note_aft_jackknife_failed", n_groups=n_groups))
            else:
                se_b = float(np.sqrt((n_groups - 1) / n_groups * np.sum((leave_out - leave_out.mean()) ** 2)))
                se_type = "leave-one-cluster-out jackknife, t(G − 1) reference"
        df = n_groups - 1
        log_scale = _t_interval(b, se_b, df, conf_level)
        details.update(se_type=se_type, n_clusters=n_groups, df=df)
    else:
        log_scale = _normal_interval(b, se_b, conf_level)
        details["se_type"] = (
            "HC0 sandwich (analytic score and Hessian)" if robust else "inverse analytic Hessian (maximum likelihood)"
        )
    interval = _percent_change(log_scale, details)
    details["coefficients_log"] = dict(zip(names, map(float, params[:-1])))
    details["sigma"] = float(np.exp(params[-1]))
    details["assumption"] = (
        "log duration ratio normal with one residual sd; the treatment shifts it by the same amount for every "
        "project; a running project's remaining duration is independent of why it is still running given the "
        "covariates"
    )
    notes.append(Message("note_lognormal_aft", n_running=details["n_running"], n=len(prep.y)))
    estimand = "relative change of the duration ratio"
    return _result(prep, "lognormal_aft", estimand, "percent change", interval, notes, details, model=res)


def _cluster_jackknife(y, obs, X, codes, n_groups, params) -> np.ndarray | None:
    """Treatment coefficient refitted without each cluster in turn (started from the full fit);
    None when a refit is impossible (a cluster holds every finished treated or untreated project,
    or the likelihood does not converge)."""
    out = np.empty(n_groups)
    for g in range(n_groups):
        keep = codes != g
        t = X[keep, 1]
        if not (obs[keep] & (t == 1)).any() or not (obs[keep] & (t == 0)).any():
            return None
        X_keep = np.ascontiguousarray(X[keep])
        if np.linalg.matrix_rank(X_keep) < X.shape[1]:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit_lognormal_aft(y[keep], obs[keep], X_keep, start_params=params)
        except (np.linalg.LinAlgError, ValueError):
            return None
        out[g] = float(np.asarray(res.params)[1])
    return out
