"""Intervals of simple portfolio figures: a quantile, a mean, a share.

* `quantile_ci` — a sample quantile with its exact distribution-free interval (order statistics,
  `scipy.stats.quantile_test`); the unit is the unit of the values (0.27 = 27 % over budget);
* `mean_t_ci` — Student's t interval of a mean;
* `share_ci` — a share count ÷ n (a fraction) with its Wilson interval
  (`statsmodels.stats.proportion.proportion_confint`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

__all__ = ["quantile_ci", "mean_t_ci", "share_ci"]


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
