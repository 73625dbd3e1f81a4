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
    release_memory_n: int = 50_000  #: projects from which a kernel gives freed memory back after each cell

    # --- effects (stats.effects, stats.design) ---------------------------------------------------
    difference_resamples: int = 9_999  #: bootstrap and permutation draws of the raw difference
    weighting_resamples: int = 999  #: bootstrap draws of IPW / AIPW / quantile when asked for
    extreme_propensity: tuple[float, float] = (0.05, 0.95)  #: propensities outside are "extreme"
    min_clusters: int = 20  #: clusters below which statsmodels' CR1 is not used (non-default cov_type)
    within_share_fe: float = 0.8  #: share of projects in mixed organisations from which FE are kept, unclustered
    within_share_cluster: float = 0.5  #: below it the practice counts as decided per organisation
    min_organisations_per_group: int = 2  #: organisations with and without the practice for any interval
    quantreg_rows_per_parameter: int = 3  #: projects per quantile-regression parameter for an interval

    # --- organisations (ingest.collection, analyses.organisations) ------------------------------
    min_org_size: int = 5  #: projects below which an organisation is never named (k-anonymity)
    org_min_per_group: int = 5  #: projects with and without the practice for an organisation's own effect
    # --- data quality (analyses.overview): plans re-baselined to match reality are flagged when the
    # Wilson interval of the share of finished projects exactly on plan lies above these (a date met to
    # the day is commoner than a cost met to the cent, hence a higher bar for durations)
    exact_plan_cost_flag: float = 0.20  #: share with final cost = planned budget above which plans look reset
    exact_plan_duration_flag: float = 0.35  #: share with actual = planned duration above which plans look reset

    # --- framing and pitfall claims tables (analyses.framing) -------------------------------------
    # which words of a claim those tables show, per report language: "figure" (the article's own, in
    # English) or "paraphrase" (ours, in the report's language); a language not listed shows the figure
    claim_words: tuple[tuple[str, str], ...] = (("en", "figure"), ("fr", "paraphrase"))  #: per language

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


@dataclass(frozen=True)
class InputLimits:
    """What a source may declare before it is refused, unread (ingest.excel, ingest.text): a workbook
    is checked from its zip directory and each sheet's declared dimension before any cell is parsed, so
    a zip bomb is refused in a second instead of hanging the loader. A text cell longer than Python's csv
    field limit (131 072 characters) is refused by the text reader in one sentence."""

    xlsx_max_rows: int = 1_048_576  #: rows of a sheet (Excel's own limit)
    xlsx_max_unpacked_bytes: int = 1024**3  #: declared unpacked size of the workbook's parts (bytes)
    xlsx_max_ratio: float = 200.0  #: unpacked ÷ packed size above which a large part is refused
    xlsx_ratio_from_bytes: int = 100 * 1024**2  #: parts smaller than this (bytes) may compress any amount


INPUT_LIMITS = InputLimits()
