"""Synthetic *live* portfolios: projects started over the months before the export date, about half
still running when the export is taken (for the censored-duration statistics, never real projects).

`live_portfolio(n, seed)` draws one portfolio as plain columns; `true_ratio_quantile(p)` gives the
exact quantile of the duration ratio the draws come from, so a test can measure the coverage and
bias of any estimator of it. `amo_analysis.synth.make_portfolio` is the full-schema generator (costs,
mediators, adoption); this one is narrower: only what decides whether a project is still running.

Data-generating process (one row = one project; all draws from `numpy.random.default_rng(seed)`)
-------------------------------------------------------------------------------------------------
Time is in months (1 month = 30.4375 days).

* start: uniform over the ``window`` months before the export date, ``window`` itself drawn once
  per portfolio uniformly in ``window_months`` (default 24–30);
* planned duration: log-normal with median 9 months and log-sd 0.55, clipped to 3–24 months (IT
  projects: a few months for a web portal, two years for an ERP);
* organisations: ``n_organisations`` clusters of unequal sizes (Dirichlet(2) shares), each with a
  random intercept ``u ~ N(0, org_sd)`` on the log duration ratio;
* practice ``amo`` (True/False): with probability ``share_treated`` per project, or — when
  ``assign_by_organisation`` — per organisation (every project of an organisation alike). With
  ``adoption_trend`` (per-project assignment only) the practice spreads over time:
  P(amo) = share_treated + adoption_trend·(1/2 − start_before/window), so recent projects — the
  ones more often still running — get it more often (0.6: from share − 0.3 for the oldest start
  to share + 0.3 for the newest);
* log duration ratio ``ln(duration / planned) = mu + u + effect·amo + sigma·ε + J`` with ε ~ N(0, 1)
  and a fat right tail J: with probability ``jump_share`` an Exponential jump of mean ``jump_mean``,
  else 0. Defaults (mu 0.12, sigma 0.25, jump_share 0.30, jump_mean 0.50, no organisation effect,
  no practice effect) give a true median slip of +22 %, P80 +64.5 %, P90 +112 % (ratio − 1);
* at the export date a project is running when start + duration lies after it; its observed ratio is
  then ``elapsed / planned`` (right-censored), else its true ratio. With the defaults about half of
  the projects run at the export date.

``exp(effect) − 1`` is the relative change in the duration ratio the practice causes (e.g. effect
= ln 1.2: 20 % longer projects); the practice does not change planned durations or start dates, so a
longer-running practice group has more running projects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["LiveShape", "live_portfolio", "true_ratio_quantile"]

DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class LiveShape:
    """Shape of the log duration ratio (see the module docstring): location ``mu``, noise ``sigma``,
    jump probability ``jump_share``, mean jump ``jump_mean`` (all on the natural-log scale)."""

    mu: float = 0.12
    sigma: float = 0.25
    jump_share: float = 0.30
    jump_mean: float = 0.50
    planned_median_months: float = 9.0
    planned_log_sd: float = 0.55
    planned_range_months: tuple[float, float] = (3.0, 24.0)


def live_portfolio(
    n: int,
    seed: int,
    *,
    window_months: tuple[float, float] = (24.0, 30.0),
    effect: float = 0.0,
    share_treated: float = 0.5,
    n_organisations: int = 8,
    org_sd: float = 0.0,
    assign_by_organisation: bool = False,
    adoption_trend: float = 0.0,
    shape: LiveShape = LiveShape(),
    export_date: str = "2026-06-30",
) -> pd.DataFrame:
    """One live portfolio of `n` projects (see the module docstring for the process).

    Columns: ``organisation`` (int code), ``amo`` (bool), ``planned_months``, ``start_date``,
    ``golive_planned`` (dates), ``elapsed_months`` (start to export date), ``ratio_true``
    (duration / planned, also for running projects — unknown in real data), ``observed`` (True =
    finished by the export date), ``ratio`` (``ratio_true`` when finished, ``elapsed / planned`` when
    running: the censored value the estimators see), ``end_date`` (actual end, NaT when running).
    ``df.attrs`` holds ``export_date``, ``window_months`` and ``effect``.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}.")
    rng = np.random.default_rng(seed)
    window = rng.uniform(*window_months)
    start_before = rng.uniform(0.0, window, n)  # months before the export date
    lo, hi = shape.planned_range_months
    planned = np.clip(np.exp(np.log(shape.planned_median_months) + shape.planned_log_sd * rng.normal(size=n)), lo, hi)
    shares = rng.dirichlet(np.full(n_organisations, 2.0))
    org = rng.choice(n_organisations, size=n, p=shares)
    u = rng.normal(0.0, org_sd, n_organisations) if org_sd > 0 else np.zeros(n_organisations)
    if assign_by_organisation:
        treated_org = rng.random(n_organisations) < share_treated
        amo = treated_org[org]
    else:
        # adoption growing over time: P(amo) = share_treated + adoption_trend·(1/2 − start_before/window)
        prob = np.clip(share_treated + adoption_trend * (0.5 - start_before / window), 0.0, 1.0)
        amo = rng.random(n) < prob
    jump = np.where(rng.random(n) < shape.jump_share, rng.exponential(shape.jump_mean, n), 0.0)
    log_ratio = shape.mu + u[org] + effect * amo + shape.sigma * rng.normal(size=n) + jump
    ratio_true = np.exp(log_ratio)
    duration = ratio_true * planned
    observed = duration <= start_before
    ratio = np.where(observed, ratio_true, start_before / planned)
    export = pd.Timestamp(export_date)
    start = export - pd.to_timedelta(np.round(start_before * DAYS_PER_MONTH), unit="D")
    df = pd.DataFrame(
        {
            "organisation": org,
            "amo": amo,
            "planned_months": planned,
            "start_date": start,
            "golive_planned": start + pd.to_timedelta(np.round(planned * DAYS_PER_MONTH), unit="D"),
            "elapsed_months": start_before,
            "ratio_true": ratio_true,
            "observed": observed,
            "ratio": ratio,
            "end_date": (start + pd.to_timedelta(np.round(duration * DAYS_PER_MONTH), unit="D")).where(observed),
        }
    )
    df.attrs.update(export_date=str(export.date()), window_months=float(window), effect=float(effect))
    return df


def _log_ratio_cdf(x, shape: LiveShape, shift: float = 0.0, sd: float | None = None):
    s = shape.sigma if sd is None else sd
    loc = shape.mu + shift
    q, tau = shape.jump_share, shape.jump_mean
    return (1 - q) * stats.norm.cdf(x, loc, s) + q * stats.exponnorm.cdf(x, tau / s, loc=loc, scale=s)


def true_ratio_quantile(
    p: float, *, shape: LiveShape = LiveShape(), effect: float = 0.0, share_treated: float = 0.0, org_sd: float = 0.0
) -> float:
    """The p-quantile of the duration ratio (duration / planned, no unit) over the population of
    projects `live_portfolio` draws from: a mixture of the groups without (weight 1 − share_treated)
    and with the practice (shifted by `effect` on the log scale); an organisation effect of sd `org_sd`
    widens the normal part (the population of organisations, not the ones of one portfolio)."""
    sd = float(np.hypot(shape.sigma, org_sd))

    def cdf(x):
        return (1 - share_treated) * _log_ratio_cdf(x, shape, 0.0, sd) + share_treated * _log_ratio_cdf(
            x, shape, effect, sd
        )

    return float(np.exp(optimize.brentq(lambda x: cdf(x) - p, -5.0, 20.0, xtol=1e-12)))
