"""A young synthetic portfolio exported while about half of its projects still run, with its truth.

The simulations of the as-of date (`tests/analyses/test_running.py`) draw portfolios from here: the
projects start uniformly over `years` years before the export date; the duration ratio (actual ÷
planned duration, no unit) and the cost ratio (final cost ÷ budget) are log-normal with a heavy upper
tail, drawn independently of the start date; the spend of a running project grows in proportion to
its elapsed share of its true duration. A project is running at the export date when its start plus
its true duration lies after it. Dropping the running ones keeps mostly the short, early projects, so
the finished projects alone understate lateness: that bias is what the censoring-aware quantiles
remove, and the truth (`true_slip_quantile`) lets a test measure the coverage of their intervals.

Units: money in EUR, durations in calendar days, slips and drifts as fractions (0.65 = 65 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: log-normal parameters of the duration ratio and of the cost ratio (median exp(mu))
DURATION_MU, DURATION_SIGMA = 0.15, 0.45
COST_MU, COST_SIGMA = 0.10, 0.40
#: the export date of every simulated portfolio
EXPORT_DATE = pd.Timestamp("2025-06-30")


def true_slip_quantile(p: float) -> float:
    """The population quantile `p` of the schedule slip (duration ratio − 1, fraction)."""
    return float(np.exp(DURATION_MU + DURATION_SIGMA * stats.norm.ppf(p)) - 1)


def true_drift_quantile(p: float) -> float:
    """The population quantile `p` of the budget drift (cost ratio − 1, fraction)."""
    return float(np.exp(COST_MU + COST_SIGMA * stats.norm.ppf(p)) - 1)


def running_portfolio(
    n: int = 120, seed: int = 0, years: float = 2.2, spend_to_date: bool = True, rho: float = 0.6
) -> pd.DataFrame:
    """`n` projects exported on `EXPORT_DATE`, about half still running (with `years` = 2.2), as a
    typed portfolio of canonical columns (project_id, amo, budget_planned, cost_actual,
    duration_planned_days, duration_actual_days, start_date, golive_planned, golive_actual, status,
    and cost_to_date when `spend_to_date`). Finished projects have their actual cost and duration;
    running ones (status "ongoing") have neither, only their spend to date. `rho` is the correlation of
    the log duration ratio and the log cost ratio (late projects overspend). Seeded; the practice is a
    fair coin, without effect."""
    rng = np.random.default_rng(seed)
    start = EXPORT_DATE - pd.to_timedelta(np.floor(rng.uniform(0, years * 365.25, n)), unit="D")
    planned = np.round(np.exp(rng.normal(np.log(240), 0.45, n)))
    z_duration = rng.standard_normal(n)
    z_cost = rho * z_duration + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    ratio = np.exp(DURATION_MU + DURATION_SIGMA * z_duration)
    actual = np.maximum(np.round(planned * ratio), 1.0)
    budget = np.round(np.exp(rng.normal(np.log(200_000), 0.8, n)), -3)
    cost = np.round(budget * np.exp(COST_MU + COST_SIGMA * z_cost))
    end = start + pd.to_timedelta(actual, unit="D")
    running = np.asarray(end > EXPORT_DATE)
    elapsed = np.asarray((EXPORT_DATE - start).days, dtype="float64")
    frame = pd.DataFrame(
        {
            "project_id": [f"R-{i + 1:04d}" for i in range(n)],
            "amo": pd.array(rng.random(n) < 0.5, dtype="boolean"),
            "budget_planned": budget,
            "cost_actual": np.where(running, np.nan, cost),
            "duration_planned_days": planned,
            "duration_actual_days": np.where(running, np.nan, actual),
            "start_date": start,
            "golive_planned": start + pd.to_timedelta(planned, unit="D"),
            "golive_actual": pd.Series(end).where(~running),
            "status": np.where(running, "ongoing", "completed"),
        }
    )
    if spend_to_date:
        frame["cost_to_date"] = np.where(running, np.round(cost * np.clip(elapsed / actual, 0, 1)), np.nan)
    frame.index = pd.RangeIndex(2, n + 2, name="source_row")
    return frame
