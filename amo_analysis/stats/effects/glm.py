"""Generalised linear models with robust standard errors: the fractional logit (average marginal effect
on a [0, 1] outcome, in percentage points as a fraction) and the log-linear model (ratio of means − 1,
a percent change as a fraction).

Both are fitted by statsmodels' GLM (IRLS) with a sandwich covariance (`cov_type`, cluster-robust when
there are at least `min_clusters` clusters); their intervals use a normal reference, except the
log-linear one with `small_sample` (HC1 scaling and t(n − k)).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

# the modules used, not statsmodels.api: that also loads time series, graphics and GAM (~0.4 s per kernel)
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from amo_analysis.i18n import Message
from amo_analysis.stats.effects.prepare import (
    _exog,
    _Interval,
    _percent_change,
    _reference_of,
    _require_rows,
    _result,
    _t_interval,
)
from amo_analysis.stats.effects.result import EffectError, EffectResult, Reference


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
                Message(
                    "note_glm_few_clusters", n_groups=n_groups, min_clusters=opts["min_clusters"], cov_type=cov_type
                )
            )
    return fit_kw, details


def _fractional_logit(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Average marginal effect of the treatment on a [0, 1] outcome from a fractional logit (Binomial
    quasi-likelihood GLM, Papke & Wooldridge 1996): mean over the rows of P(t=1) − P(t=0) as fractions,
    delta-method standard error."""
    y = prep.y
    if y.min() < 0 or y.max() > 1:
        bad = y[(y < 0) | (y > 1)][0]
        raise EffectError(f"Fractional logit needs outcome '{outcome}' in [0, 1]; found value {bad:g}.")
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
    ci = tuple(np.asarray(marg.conf_int(alpha=alpha))[j])
    # get_margeff's intervals are always normal
    interval = _Interval(
        float(marg.margeff[j]), ci, float(marg.pvalues[j]), float(marg.margeff_se[j]), Reference("normal"), conf_level
    )
    details["coefficients_logit"] = dict(zip(names, map(float, res.params)))
    details["ame_method"] = (
        "average discrete change P(t=1) − P(t=0) over the sample, delta-method standard error (statsmodels get_margeff)"
    )
    return _result(prep, "fractional_logit", "ATE", "percentage points", interval, notes, details, model=res)


def _log_linear(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Ratio of means from a log-linear model E[y | t, x] = exp(a + b·t + x'g), fitted as a Poisson
    GLM (quasi-likelihood: y need not be a count) with robust standard errors; effect = exp(b) − 1."""
    y = prep.y
    if y.min() < 0:
        raise EffectError(f"A ratio of means needs a non-negative outcome; '{outcome}' has value {y.min():g}.")
    for g, name in ((1, "treated"), (0, "untreated")):
        if y[prep.t == g].sum() <= 0:
            raise EffectError(f"Every {name} row has '{outcome}' = 0; a ratio of means is undefined.")
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
    log_scale = _Interval(b, ci_b, float(res.pvalues[j]), se_b, _reference_of(res), conf_level)
    df_small = len(y) - X.shape[1]
    if opts["small_sample"] and details["se_type"] != "cluster" and df_small > 0:
        # statsmodels' GLM treats HC1–HC3 as HC0, so the HC1 scaling sqrt(n/(n−k)) and a t(n − k)
        # reference are applied here (as for the weighting methods).
        log_scale = _t_interval(b, se_b * math.sqrt(len(y) / df_small), df_small, conf_level)
        details["se_type"] = f"{opts['cov_type']} × sqrt(n/(n−k)), t({df_small}) reference"
        details["df"] = df_small
    interval = _percent_change(log_scale, details)
    details["coefficients_log"] = dict(zip(names, map(float, res.params)))
    details["assumption"] = (
        "the treated/untreated ratio of expected outcomes is the same for every covariate value (log-linear mean model)"
    )
    notes.append(Message("note_log_linear"))
    return _result(prep, "log_linear", "ratio of means − 1", "percent change", interval, notes, details, model=res)
