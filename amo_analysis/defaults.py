"""One home for the suite's defaults and thresholds (a foundation: any layer may import it).

Every number a reader might want to question — confidence level, quantiles, resample counts, the
large-portfolio policy, cluster and propensity limits, forecast and ROI settings — is a field of
`Defaults`, documented with its unit, and the modules take theirs from `DEFAULTS`. The notebooks'
parameter cells repeat some of them as plain literals (papermill needs literals); a test checks that
they agree (`tests/test_defaults.py`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defaults:
    # --- intervals and tests ---------------------------------------------------------------------
    conf_level: float = 0.95  #: level of every interval (fraction)
    alpha: float = 0.05  #: two-sided test level for "projects needed" and detectable effects
    power: float = 0.80  #: power for "projects needed" and detectable effects
    seed: int = 0  #: seed of every random step unless the run gives one
    quantiles: tuple[float, ...] = (0.5, 0.8, 0.9)  #: P50 / P80 / P90 of drift, slip and forecasts

    # --- large portfolios (stats.scale) ----------------------------------------------------------
    analytic_n: int = 5_000  #: projects above which bootstrap intervals of means become t / Welch
    large_n: int = 20_000  #: projects above which iterative fits use a seeded subsample
    subsample_rows: int = 10_000  #: size of that subsample (projects)

    # --- effects (stats.effects, stats.design) ---------------------------------------------------
    difference_resamples: int = 9_999  #: bootstrap and permutation draws of the raw difference
    weighting_resamples: int = 999  #: bootstrap draws of IPW / AIPW / quantile when asked for
    extreme_propensity: tuple[float, float] = (0.05, 0.95)  #: propensities outside are "extreme"
    min_clusters: int = 20  #: clusters below which statsmodels' CR1 is not used (non-default cov_type)
    within_share_fe: float = 0.8  #: share of projects in mixed organisations from which FE are kept, unclustered
    within_share_cluster: float = 0.5  #: below it the practice counts as decided per organisation
    min_organisations_per_group: int = 2  #: organisations with and without the practice for any interval
    quantreg_rows_per_parameter: int = 3  #: projects per quantile-regression parameter for an interval

    # --- forecast (analyses.forecast) ------------------------------------------------------------
    accepted_risk: float = 0.8  #: contingency at P80
    forecast_min_regression: int = 40  #: usable projects for the quantile-regression forecast
    forecast_min_comparable: int = 10  #: fewer comparable projects and the forecast says so
    forecast_neighbours: int = 20  #: nearest projects in small portfolios
    forecast_folds: int = 10  #: cross-fitting folds of the residuals
    forecast_rows_per_parameter: int = 5  #: projects per parameter of the forecast's median regression
    forecast_min_group_residuals: int = 20  #: residuals of a practice group for its own spread
    overrun_thresholds: tuple[float, ...] = (0.10, 0.50, 1.00)  #: "chance of overrunning by more than"

    # --- ROI (analyses.roi) ----------------------------------------------------------------------
    roi_budget_eur: float = 75_000.0  #: the published example's project, for a portfolio in EUR
    roi_fee_share: float = 0.10  #: fee as a share of the budget when the portfolio gives none
    roi_min_projects: int = 12  #: finished projects needed for the simulation
    roi_bootstrap: int = 200  #: refits of the cost model
    roi_draws: int = 10_000  #: Monte Carlo draws for the figures

    # --- comparing runs (suite.diff) -------------------------------------------------------------
    diff_rel_tol: float = 1e-6  #: relative change of a value or interval end below which it is float noise
    diff_abs_tol: float = 1e-9  #: absolute change (record's unit) below which it is float noise
    diff_largest_moves: int = 5  #: changed records shown under "Since the previous run" besides the flips


DEFAULTS = Defaults()
