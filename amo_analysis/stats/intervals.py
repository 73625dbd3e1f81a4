"""Intervals of simple portfolio figures: a quantile, a mean, a share.

* `quantile_ci` — a sample quantile with its exact distribution-free interval (order statistics,
  `scipy.stats.quantile_test`); the unit is the unit of the values (0.27 = 27 % over budget);
* `mean_t_ci` — Student's t interval of a mean;
* `share_ci` — a share count ÷ n (a fraction) with its Wilson interval
  (`statsmodels.stats.proportion.proportion_confint`);
* `seeded_bootstrap` — scipy's bootstrap interval of any statistic, seeded, falling back to the
  percentile interval where BCa is undefined.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

__all__ = ["quantile_ci", "mean_t_ci", "share_ci", "seeded_bootstrap"]


def seeded_bootstrap(
    samples: tuple,
    statistic,
    *,
    seed: int,
    n_resamples: int,
    method: str = "BCa",
    conf_level: float = 0.95,
    vectorized: bool = True,
    paired: bool = False,
):
    """`scipy.stats.bootstrap` of `statistic` over `samples` with `method`, resampled with the
    generator of `seed`; when its interval is not finite (BCa is undefined on a constant sample, or
    on a resample of one), the percentile interval of the same seed. Returns the scipy result and the
    method used (`method`, or "percentile" when it fell back). The warnings of degenerate resamples
    are silenced: the fallback is the answer to them."""
    for used in dict.fromkeys((method, "percentile")):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                samples,
                statistic,
                n_resamples=n_resamples,
                confidence_level=conf_level,
                method=used,
                vectorized=vectorized,
                paired=paired,
                rng=np.random.default_rng(seed),
            )
        if np.isfinite(result.confidence_interval.low) and np.isfinite(result.confidence_interval.high):
            break
    return result, used


def quantile_ci(values, q: float, conf_level: float = 0.95) -> tuple[float, float, float]:
    """Sample quantile `q` of `values` and its exact distribution-free CI (order statistics).

    Returns (estimate, ci_low, ci_high); an end of the interval is NaN when the sample is too
    small to bound it at this confidence (e.g. the P90 of 10 projects has no finite upper bound).
    """
    x = np.asarray(pd.Series(values, dtype="float64").dropna())
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    estimate = float(np.quantile(x, q))
    ci = stats.quantile_test(x, q=estimate, p=q).confidence_interval(conf_level)
    low, high = float(ci.low), float(ci.high)
    return estimate, (low if np.isfinite(low) else np.nan), (high if np.isfinite(high) else np.nan)


def mean_t_ci(values, conf_level: float = 0.95) -> tuple[float, float]:
    """Student t interval of the mean of `values` (what a bootstrap interval of a mean converges to
    on large samples; `scale.ANALYTIC_N`)."""
    x = np.asarray(values, dtype="float64")
    low, high = stats.t.interval(conf_level, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    return float(low), float(high)


def share_ci(count: int, n: int, conf_level: float = 0.95) -> tuple[float, float, float]:
    """A share count/n with its Wilson interval, as fractions."""
    if n == 0:
        return (np.nan, np.nan, np.nan)
    low, high = proportion_confint(count, n, alpha=1 - conf_level, method="wilson")
    return count / n, float(low), float(high)
