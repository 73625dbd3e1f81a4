"""Regression adjustment: OLS (mean difference) and quantile regression (difference of a conditional
quantile), both with the treatment as one regressor beside a constant and the covariate design.

The effect is the treatment coefficient, in outcome units. OLS defaults to HC2 standard errors (CR2
with clusters) and Bell–McCaffrey degrees of freedom (`robust`); quantile regression uses statsmodels'
QuantReg kernel sandwich (t(n − k) reference) or a pairs bootstrap.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import scipy.stats as st
from statsmodels.regression.linear_model import OLS
from statsmodels.regression.quantile_regression import QuantReg
from statsmodels.tools.sm_exceptions import ConvergenceWarning, IterationLimitWarning

from amo_analysis.i18n import Message
from amo_analysis.stats import robust
from amo_analysis.stats.effects.compact import compact_design, held_design
from amo_analysis.stats.effects.prepare import (
    _exog,
    _exog_alone,
    _Interval,
    _normal_p,
    _percentile_bootstrap,
    _reference_of,
    _require_rows,
    _result,
    _t_interval,
)
from amo_analysis.stats.effects.result import EffectError, EffectResult, Reference


class LeanOLS(OLS):
    """statsmodels `OLS` that keeps no copy of its design's pseudo-inverse once fitted, and above
    `robust.FACTORED_ROWS` rows fits from the design's small triangular factor.

    statsmodels' pinv fit stores `pinv_wexog` (n × p, as large as the design: 96 MB at 10⁶ projects
    and 12 columns) for the model's lifetime; the claims check keeps one fit per outcome for its
    leave-one-out and sensitivity steps, which never read it. `forget_pseudo_inverse()` drops it after
    the fit; a statsmodels method that asks for it later (HC0–HC3 standard errors, a refit) gets it
    recomputed by the same function statsmodels uses (`pinv_extended`), so its numbers are unchanged."""

    def fit(self, method="pinv", cov_type="nonrobust", cov_kwds=None, use_t=None, **kwargs):
        """statsmodels' fit; above `robust.FACTORED_ROWS` rows its pinv fit is computed from R of
        [X y] (`robust.r_factor`, blocks of rows in cache) instead of X's n × p SVD and pseudo-inverse:
        X = P·R_x and y = P·c + (a part orthogonal to X) give pinv(X) = pinv(R_x)·P', so the
        coefficients pinv(R_x)·c, `normalized_cov_params` pinv(R_x)·pinv(R_x)', the singular values and
        the rank are statsmodels' to rounding, rank-deficient designs included (the same
        `pinv_extended` on R_x); the results object is statsmodels' own. At 10⁶ projects and 12
        columns: 0.68 → 0.1 s per fit. `pinv_wexog` is computed when a statsmodels method asks for it."""
        if method != "pinv" or kwargs or self.wexog.shape[0] <= robust.FACTORED_ROWS:
            return super().fit(method=method, cov_type=cov_type, cov_kwds=cov_kwds, use_t=use_t, **kwargs)
        from statsmodels.regression.linear_model import OLSResults, RegressionResultsWrapper
        from statsmodels.tools.sm_exceptions import SingularMatrixWarning
        from statsmodels.tools.tools import pinv_extended

        T = robust.r_factor(self.wexog, last=self.wendog)
        pinv_small, singular_values = pinv_extended(T[:, :-1])
        self.normalized_cov_params = pinv_small @ pinv_small.T
        self.wexog_singular_values = singular_values
        self.rank = np.linalg.matrix_rank(np.diag(singular_values))
        if self.rank < self.wexog.shape[1]:
            warnings.warn(
                "The design matrix is rank-deficient. The model parameters are not uniquely determined.",
                SingularMatrixWarning,
                stacklevel=2,
            )
        beta = pinv_small @ T[:, -1]
        self.forget_pseudo_inverse()  # statsmodels' `initialize` set it to None: computed when asked for
        if self._df_model is None:
            self._df_model = float(self.rank - self.k_constant)
        if self._df_resid is None:
            self.df_resid = self.nobs - self.rank
        results = OLSResults(
            self,
            beta,
            normalized_cov_params=self.normalized_cov_params,
            cov_type=cov_type,
            cov_kwds=cov_kwds,
            use_t=use_t,
        )
        return RegressionResultsWrapper(results)

    def forget_pseudo_inverse(self) -> None:
        self.__dict__.pop("pinv_wexog", None)

    def __getattr__(self, name: str):
        # only reached when normal lookup fails: after `forget_pseudo_inverse`, for a fitted model
        if name == "pinv_wexog" and "normalized_cov_params" in self.__dict__:
            from statsmodels.tools.tools import pinv_extended

            self.pinv_wexog = pinv_extended(self.wexog)[0]
            return self.pinv_wexog
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


#: the n-vectors statsmodels caches on an OLS fit as they are asked for (`cache_readonly`); a fit kept
#: for later steps gives them back, and they are computed again, the same floats, if asked for again
_CACHED_VECTORS = ("resid", "wresid", "fittedvalues", "resid_pearson")


def slim_kept_fit(result: EffectResult, kept) -> None:
    """Make a fit kept for later steps (the claims' leave-one-out and sensitivity) hold no vector it can
    share or compute again: its rows' labels point at equal ones of the first such fit before it in
    `kept` (an iterable of `EffectResult`s, `result` among them), its design is held compact
    (`compact.compact_design`: the same floats when read; one copy for the fits before it with an
    equal design, as outcomes measured on the same rows have), its cached residuals and fitted values
    are dropped (statsmodels computes them again when asked) and an OLS model's weights, all ones,
    become one value read for every row. At 10⁶ projects and 13 columns the design is 104 MB as
    float64 and 19 MB compact; each of the vectors is 8 MB, five to six per OLS fit. Every number a
    method of the fit gives is unchanged."""
    earlier = list(itertools.takewhile(lambda other: other is not result, kept))
    rows = result.rows
    if isinstance(rows, pd.Index):
        for other in earlier:
            if isinstance(getattr(other, "rows", None), pd.Index) and len(other.rows) == len(rows):
                if other.rows is rows or other.rows.equals(rows):
                    result.rows = other.rows
                    break
    results = getattr(getattr(result.model, "_results", result.model), "_cache", None)
    if isinstance(results, dict):
        for name in _CACHED_VECTORS:
            results.pop(name, None)
    model = getattr(result.model, "model", None)
    if model is None:
        return
    shared = [held_design(other.model) for other in earlier if getattr(other, "model", None) is not None]
    compact_design(result.model, [design for design in shared if design is not None])
    weights = model.__dict__.get("weights")
    if isinstance(model, OLS) and isinstance(weights, np.ndarray) and weights.ndim == 1 and (weights == 1).all():
        model.weights = np.broadcast_to(np.ones(1), weights.shape)  # a read-only row of ones, no memory per row


def _ols(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Regression adjustment: OLS of the outcome on the treatment and the covariates.

    Default inference (`cov_type="HC2"`): HC2 standard errors — CR2 when `prep.groups` holds clusters —
    with Bell–McCaffrey degrees of freedom (`robust`), whatever the number of clusters. Other
    `cov_type`s go through statsmodels with a t reference (t(n − k); clustered: t(G − 1), CR1 or, below
    `min_clusters`, `few_clusters`). `details["ratio_of_means"]` gives the adjusted mean outcome with
    and without the treatment and their ratio − 1 with Fieller's interval."""
    X, names = _exog_alone(prep)
    _require_rows(len(prep.y), X.shape[1], "constant, treatment and covariates")
    notes = list(prep.notes)
    alpha = 1 - conf_level
    cov_type = str(opts["cov_type"])
    model = LeanOLS(prep.y, X)
    fit = model.fit()
    j = 1
    details: dict = {"se_type": cov_type}
    if cov_type.upper() == "HC2":
        model.forget_pseudo_inverse()  # HC2 / CR2 come from X below: 96 MB less at 10⁶ projects while they do
        rc = robust.robust_covariance(X, fit.resid, prep.groups)
        vcov = rc.vcov
        df_of = rc.df
        clustered = prep.groups is not None
        details["se_type"] = ("CR2 cluster-robust" if clustered else "HC2") + ", Bell–McCaffrey df"
        if clustered:
            details["n_clusters"] = rc.n_clusters
        fitted = fit  # the point fit; its own bse are the plain ones, the reported SE is HC2 / CR2
    else:
        res = _statsmodels_ols(model, prep, cov_type, opts, notes, details)
        vcov = np.asarray(res.cov_params())
        df_fixed = float(details.get("df", res.df_resid))
        df_of = lambda _contrast: df_fixed  # noqa: E731 (one df for every contrast)
        fitted = res
    b = float(fit.params[j])
    se = float(math.sqrt(max(vcov[j, j], 0.0)))
    df = df_of(j)
    if not (se > 0 and math.isfinite(df) and df > 0):
        raise EffectError(
            f"The effect of '{treatment}' on '{outcome}' has no usable standard error: the residuals "
            "carry no information on it (every cluster holds only one treatment value and no other "
            "cluster to compare within, or the fit is exact)."
        )
    details["df"] = float(df)
    details["coefficients"] = dict(zip(names, map(float, fit.params)))
    details["assumption"] = "constant effect, outcome linear in the covariates"
    details["r_squared"] = float(fit.rsquared)
    details["residual_sd"] = float(math.sqrt(fit.mse_resid)) if fit.df_resid > 0 else float("nan")
    details["ratio_of_means"] = _ratio_of_means(np.asarray(fit.params), vcov, X, j, df_of, alpha)
    return _result(prep, "ols", "ATE", "difference", _t_interval(b, se, df, conf_level), notes, details, model=fitted)


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
    out = {"control_mean": mu0, "treated_mean": mu0 + b, "estimate": None, "ci_low": None, "ci_high": None, "df": None}
    if mu0 == 0:
        return out
    ratio = b / mu0
    df = df_of(ell - ratio * c0)
    if not (math.isfinite(df) and df > 0):
        return out
    crit = float(st.t.ppf(1 - alpha / 2, df))
    interval = robust.fieller_interval(
        b, mu0, float(ell @ vcov @ ell), float(c0 @ vcov @ c0), float(ell @ vcov @ c0), crit
    )
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
        notes.append(
            Message("note_ols_few_clusters_crv3", n_groups=n_groups, min_clusters=min_clusters, df=n_groups - 1)
        )
        return model.fit(cov_type="cluster-crv3", cov_kwds={"groups": codes}, use_t=True)
    if few == "hc3":
        notes.append(
            Message("note_ols_few_clusters_hc3", n_groups=n_groups, min_clusters=min_clusters, cov_type=cov_type)
        )
        return model.fit(cov_type=cov_type, use_t=True)
    raise EffectError(f"few_clusters must be 'hc3' or 'crv3'; got {few!r}.")


def _quantile(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Quantile regression of the outcome at `quantile` (a fraction, 0.5 = median) on the treatment
    and the covariates: the treatment coefficient is the difference of that conditional quantile.
    Interval: QuantReg's kernel sandwich (`ci="analytic"`) or a seeded pairs bootstrap (percentile)."""
    q = float(opts["quantile"])
    if not 0 < q < 1:
        raise EffectError(f"quantile must be strictly between 0 and 1; got {opts['quantile']!r}.")
    X, names = _exog(prep)
    _require_rows(len(prep.y), X.shape[1], "constant, treatment and covariates")
    notes = list(prep.notes)
    alpha = 1 - conf_level
    res = _quantreg_fit(prep.y, X, q)
    if res.iterations >= 4999:
        notes.append(Message("note_quantreg_iterations"))
    j = 1
    estimate = float(res.params[j])
    ci_kind = str(opts["ci"]).lower()
    details: dict = {"quantile": q, "coefficients": dict(zip(names, map(float, res.params)))}
    if ci_kind == "analytic":
        ci = tuple(res.conf_int(alpha=alpha)[j])
        interval = _Interval(estimate, ci, float(res.pvalues[j]), float(res.bse[j]), _reference_of(res), conf_level)
        details["se_type"] = "QuantReg robust kernel sandwich (Hall–Sheather bandwidth)"
    elif ci_kind == "bootstrap":
        n_boot = int(opts["n_resamples"])

        def stat(idx):
            idx = idx.astype(int)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _quantreg_fit(prep.y[idx], X[idx], q).params[j]

        boot = _percentile_bootstrap((np.arange(len(prep.y)),), stat, n_boot, conf_level, seed)
        ci = (boot.confidence_interval.low, boot.confidence_interval.high)
        se = float(boot.standard_error)
        interval = _Interval(estimate, ci, _normal_p(estimate, se), se, Reference("percentile bootstrap"), conf_level)
        details.update({"se_type": "pairs bootstrap (percentile interval)", "bootstrap_reps": n_boot, "seed": seed})
        notes.append(Message("note_bootstrap_normal_p"))
    else:
        raise EffectError(f"ci must be 'analytic' or 'bootstrap' for quantile; got {opts['ci']!r}.")
    if prep.groups is not None:
        notes.append(Message("note_quantreg_clusters_ignored"))
    estimand = f"quantile {q:g} difference" + (" (conditional)" if prep.X.shape[1] else "")
    return _result(prep, "quantile", estimand, "difference", interval, notes, details, model=res)


def _quantreg_fit(y: np.ndarray, X: np.ndarray, q: float):
    """statsmodels QuantReg at quantile q (robust kernel covariance); warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        return QuantReg(y, X).fit(q=q, max_iter=5000)
