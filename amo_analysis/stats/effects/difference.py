"""The unadjusted difference in means, treated − control, in outcome units.

Without clusters: scipy's bootstrap interval (BCa by default, stratified by group) with the bootstrap
standard error and a permutation-test p-value (exact when there are no more arrangements than
resamples); above `large_n` rows Welch's t interval and p-value, which they converge to. With
clusters: CR2 standard error and Bell–McCaffrey degrees of freedom of the OLS of the outcome on the
treatment alone.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats as st

from amo_analysis.i18n import Message
from amo_analysis.stats import robust
from amo_analysis.stats.intervals import seeded_bootstrap
from amo_analysis.stats.effects.prepare import _Interval, _Prepared, _result, _t_interval
from amo_analysis.stats.effects.result import EffectError, EffectResult, Reference


#: what every difference-in-means result estimates
ESTIMAND = "unadjusted difference in means"

#: permutations drawn and evaluated together by the permutation test (`scipy.stats.permutation_test`'s
#: `batch`). The null distribution is the same to the bit whatever the batch (the permutations come
#: one by one from the same generator; each one's statistic is a mean over its own row), but one batch
#: of all 9,999 permutations of 2,000 projects gathers a 160 MB array: 1.16 s, against 0.32 s in batches
#: of 1,000 (measured on 2 cores, benchmarks/RESULTS.md)
PERMUTATION_BATCH = 1000


def _mean_difference(x, y, axis=-1):
    """mean(x) − mean(y) along `axis` (vectorised for scipy's resampling)."""
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _group_means(yt: np.ndarray, yc: np.ndarray) -> dict:
    """The first details of every difference in means: the treated and control means (outcome units)."""
    return {"mean_treated": float(yt.mean()), "mean_control": float(yc.mean())}


def _difference_result(prep: _Prepared, interval: _Interval, notes: list, details: dict, model) -> EffectResult:
    """A difference-in-means `EffectResult` (no covariates, outcome units)."""
    return _result(prep, "difference", ESTIMAND, "difference", interval, notes, details, model=model, covariates=())


def _difference(prep, outcome, treatment, seed, conf_level, opts) -> EffectResult:
    """Treated − control mean of the outcome (covariates are not used): clustered, Welch or resampled."""
    yt, yc = prep.y[prep.t == 1], prep.y[prep.t == 0]
    notes = list(prep.notes)
    if len(yt) < 2 or len(yc) < 2:
        raise EffectError(
            f"The difference in means needs at least 2 treated and 2 untreated rows; got "
            f"{len(yt)} treated and {len(yc)} untreated."
        )
    if prep.groups is not None:
        return _clustered_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes)
    large_n = opts.get("large_n")
    if large_n is not None and len(yt) + len(yc) > int(large_n):
        return _welch_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes, int(large_n))
    return _resampled_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes, opts)


def _resampled_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes, opts) -> EffectResult:
    """Bootstrap interval (`bootstrap_method`, falling back to percentile when BCa is undefined) and
    standard error, permutation-test p-value; every resampling seeded with `seed`."""
    asked = str(opts["bootstrap_method"])
    n_boot = int(opts["n_resamples"])
    boot, method = seeded_bootstrap(
        (yt, yc), _mean_difference, seed=seed, n_resamples=n_boot, method=asked, conf_level=conf_level
    )
    if method != asked:
        notes.append(Message("note_bootstrap_undefined", method=asked))
    ci = (boot.confidence_interval.low, boot.confidence_interval.high)
    n_perm = int(opts["permutation_resamples"])
    arrangements = math.comb(len(yt) + len(yc), len(yt))
    perm = st.permutation_test(
        (yt, yc),
        _mean_difference,
        permutation_type="independent",
        vectorized=True,
        n_resamples=n_perm,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
        batch=PERMUTATION_BATCH,
    )
    details = {
        **_group_means(yt, yc),
        "bootstrap_method": method,
        "bootstrap_reps": n_boot,
        "permutation_exact": arrangements <= n_perm,
        "permutation_reps": min(arrangements, n_perm),
        "seed": seed,
    }
    reference = Reference(f"{method} bootstrap")
    interval = _Interval(_mean_difference(yt, yc), ci, perm.pvalue, boot.standard_error, reference, conf_level)
    return _difference_result(prep, interval, notes, details, boot)


def _clustered_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes) -> EffectResult:
    """Difference in means with clusters: OLS of the outcome on the treatment alone, CR2 standard
    error and Bell–McCaffrey degrees of freedom (`robust`), so that a treatment decided per cluster
    is judged on about as many degrees of freedom as there are clusters."""
    X = np.column_stack([np.ones(len(prep.y)), prep.t])
    beta = np.linalg.lstsq(X, prep.y, rcond=None)[0]
    rc = robust.robust_covariance(X, prep.y - X @ beta, prep.groups)
    est, se, df = float(beta[1]), rc.se(1), rc.df(1)
    if not (se > 0 and math.isfinite(df) and df > 0):
        raise EffectError(
            f"The difference in '{outcome}' has no usable cluster-robust standard error (too few clusters on one side)."
        )
    details = {
        **_group_means(yt, yc),
        "se_type": "CR2 cluster-robust, Bell–McCaffrey df",
        "df": float(df),
        "n_clusters": rc.n_clusters,
        "seed": seed,
    }
    return _difference_result(prep, _t_interval(est, se, df, conf_level), notes, details, rc)


def _welch_difference(prep, outcome, treatment, seed, conf_level, yt, yc, notes, large_n) -> EffectResult:
    """Difference in means with Welch's t interval and p-value (used above `large_n` rows, where the
    bootstrap interval and the permutation p-value converge to them; the BCa jackknife is quadratic)."""
    test = st.ttest_ind(yt, yc, equal_var=False)
    ci = test.confidence_interval(confidence_level=conf_level)
    se = float(np.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc)))
    notes.append(Message("note_welch_large", large_n=large_n))
    details = {**_group_means(yt, yc), "se_type": "Welch (unequal variances)", "welch_df": float(test.df), "seed": seed}
    reference = Reference("t", float(test.df))
    interval = _Interval(
        float(yt.mean() - yc.mean()), (float(ci.low), float(ci.high)), float(test.pvalue), se, reference, conf_level
    )
    return _difference_result(prep, interval, notes, details, test)
