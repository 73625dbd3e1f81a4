"""Derived metrics: budget drift, schedule slip, log ratios, the outcome class, and the formulas of
the two columns completed from others (durations from the dates, `framing_score` from the answers).

Where it sits: sources → cells → mapping → privacy → contract → **metrics** → portfolio. Input: a
typed portfolio (as `contract.coerce_types` makes it, or a synthetic frame in tests and benchmarks).
`contract.validate_portfolio` calls `duration_days` and `framing_score` while it completes the
table, and `derive_metrics` last. Imports nothing else of the package.

Units: money in the run's cost unit, durations in calendar days, drifts as fractions (0.27 = 27 %),
log ratios as natural logarithms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# A cost drift above this (as a fraction: 10.0 = +1000 %) is kept but flagged in `extreme_outlier`.
EXTREME_DRIFT = 10.0
# Comparisons against the outcome tolerances allow this much floating-point slack (1.1 / 1 − 1 is
# 0.10000000000000009, which must count as "on target" at a 10 % tolerance).
_TOLERANCE_SLACK = 1e-9


@dataclass(frozen=True)
class OutcomeTolerances:
    """Standish-style resolution thresholds, as fractions (0.10 = 10 %)."""

    on_target: float = 0.10  # drift and slip both <= on_target (and not cancelled) -> "successful"
    failure: float = 0.50  # cancelled, or drift > failure, or slip > failure -> "failed"; otherwise "challenged"


# ---------------------------------------------------------------------------------------------
# Columns completed from others
# ---------------------------------------------------------------------------------------------


def duration_days(start: pd.Series, end: pd.Series) -> pd.Series:
    """Calendar days from `start` to `end` (float64): missing where either date is missing or where
    `end` is before `start` (`contract` reports those)."""
    before = end.notna() & start.notna() & (end < start)
    return (end - start).dt.days.astype("float64").where(~before)


def framing_score(answers: pd.DataFrame) -> pd.Series:
    """Number of yes among the ten framing answers (boolean columns framing_q01…q10), Int64;
    missing on a row with an unanswered question."""
    complete = answers.notna().all(axis=1)
    return answers.fillna(False).astype(int).sum(axis=1).where(complete).astype("Int64")


# ---------------------------------------------------------------------------------------------
# Derived metrics
# ---------------------------------------------------------------------------------------------


def _num(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df:
        return pd.to_numeric(df[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=df.index, dtype="float64")


def derive_metrics(df: pd.DataFrame, tolerances: OutcomeTolerances = OutcomeTolerances()) -> pd.DataFrame:
    """Add the derived columns to a typed portfolio (returns a copy; attrs kept).

    - `budget_drift` = cost_actual / budget_planned − 1 (fraction; 0.27 = 27 % over budget);
    - `schedule_slip` = duration_actual_days / duration_planned_days − 1 (fraction);
    - `log_cost_ratio` = ln(cost_actual / budget_planned), missing when cost_actual is 0 or missing;
    - `log_duration_ratio` = ln(duration_actual_days / duration_planned_days), missing when the
      actual duration is 0 or missing;
    - `outcome_class`: "failed" when cancelled, or drift or slip > `tolerances.failure`;
      "successful" when drift and slip are both ≤ `tolerances.on_target`; "challenged" otherwise;
      missing when the project is ongoing, or not cancelled and a needed drift/slip is unknown
      (comparisons allow 1e-9 of floating-point slack);
    - `extreme_outlier`: True when budget_drift > +1000 % (the row is kept).
    """
    out = df.copy()
    budget, cost = _num(df, "budget_planned"), _num(df, "cost_actual")
    planned, actual = _num(df, "duration_planned_days"), _num(df, "duration_actual_days")
    cost_ratio, duration_ratio = cost / budget, actual / planned
    out["budget_drift"] = cost_ratio - 1
    out["schedule_slip"] = duration_ratio - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        out["log_cost_ratio"] = np.log(cost_ratio.where(cost_ratio > 0))
        out["log_duration_ratio"] = np.log(duration_ratio.where(duration_ratio > 0))

    drift, slip = out["budget_drift"], out["schedule_slip"]
    fail_limit = tolerances.failure + _TOLERANCE_SLACK
    ok_limit = tolerances.on_target + _TOLERANCE_SLACK
    status = df["status"] if "status" in df else pd.Series(pd.NA, index=df.index, dtype="object")
    cancelled = (status == "cancelled").fillna(False).astype(bool)
    ongoing = (status == "ongoing").fillna(False).astype(bool)
    failed = cancelled | (drift > fail_limit) | (slip > fail_limit)
    both_known = drift.notna() & slip.notna()
    successful = both_known & (drift <= ok_limit) & (slip <= ok_limit)
    outcome = pd.Series(np.where(successful, "successful", "challenged"), index=df.index, dtype="object")
    outcome = outcome.where(both_known, None)
    outcome[failed] = "failed"
    outcome[ongoing & ~cancelled] = None
    out["outcome_class"] = pd.Series(outcome, index=df.index, dtype="str")
    out["extreme_outlier"] = (drift > EXTREME_DRIFT).astype(bool)
    out.attrs = dict(df.attrs)
    return out


# ---------------------------------------------------------------------------------------------
# Projects still running at the export date (the as-of date)
# ---------------------------------------------------------------------------------------------

#: the dates an export records as having happened (never a planned date, which may lie ahead)
OBSERVED_DATES = ("start_date", "golive_actual")


def _dates(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df:
        return pd.to_datetime(df[name], errors="coerce")
    return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")


def latest_observed(df: pd.DataFrame) -> tuple[pd.Timestamp | None, str | None, object]:
    """The latest date the export records as having happened: the latest start date or actual
    go-live (`OBSERVED_DATES`; planned dates are ignored, they may lie in the future). Returns
    (date, column, row index) or (None, None, None) when the export has none of these dates."""
    best: tuple[pd.Timestamp | None, str | None, object] = (None, None, None)
    for name in OBSERVED_DATES:
        dates = _dates(df, name).dropna()
        if len(dates) and (best[0] is None or dates.max() > best[0]):
            best = (dates.max(), name, dates.idxmax())
    return best


def running_projects(df: pd.DataFrame) -> pd.Series:
    """True for a project still running at the export date: status "ongoing", or, when the status is
    not given, neither an actual duration nor an actual go-live. A cancelled or completed project is
    never running (a completed one without an actual duration has a missing outcome, not a censored
    one)."""
    status = df["status"] if "status" in df else pd.Series(pd.NA, index=df.index, dtype="object")
    ongoing = (status == "ongoing").fillna(False).astype(bool)
    unknown = status.isna().to_numpy()
    no_end = _num(df, "duration_actual_days").isna() & _dates(df, "golive_actual").isna()
    return (ongoing | (unknown & no_end)).astype(bool)


def with_running(df: pd.DataFrame, as_of: pd.Timestamp | None) -> pd.DataFrame:
    """Add `running` (bool, `running_projects`) and `elapsed_days` (float64: calendar days from the
    start date to `as_of` of a running project; missing for a finished project, one without a start
    date, one starting after `as_of`, or when `as_of` is None). Returns a copy; attrs kept."""
    out = df.copy()
    running = running_projects(df)
    start = _dates(df, "start_date")
    if as_of is None:
        elapsed = pd.Series(np.nan, index=df.index, dtype="float64")
    else:
        elapsed = (pd.Timestamp(as_of) - start).dt.days.astype("float64")
        elapsed = elapsed.where(running & (elapsed >= 0))
    out["running"] = running
    out["elapsed_days"] = elapsed
    out.attrs = dict(df.attrs)
    return out


#: outcome → (numerator, denominator) of the bound a running project's outcome is known to exceed:
#: its slip is at least elapsed_days / duration_planned_days − 1, its drift at least
#: cost_to_date / budget_planned − 1 (when the export gives the spend to date)
CENSORING_BOUNDS = {
    "schedule_slip": ("elapsed_days", "duration_planned_days"),
    "budget_drift": ("cost_to_date", "budget_planned"),
}


def censored_outcome(df: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The outcome of every project that has one, finished or running, as a right-censored sample.

    Columns `value` (fraction, as the outcome: 0.30 = 30 % over plan) and `observed` (bool), index of
    `df`: a project with a known `outcome` is observed; a running project (`running`) without one
    gives its censoring bound (`CENSORING_BOUNDS`: the outcome is at least `value`), observed False;
    every other project is left out (no outcome, or no bound: no start date, no spend to date…).
    An outcome without a bound (adoption) gives the observed values only."""
    value = _num(df, outcome)
    observed = value.notna()
    if outcome in CENSORING_BOUNDS and "running" in df:
        top, bottom = CENSORING_BOUNDS[outcome]
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = _num(df, top) / _num(df, bottom) - 1
        bound = bound.where(np.isfinite(bound))
        censored = ~observed & df["running"].fillna(False).astype(bool) & bound.notna()
        value = value.where(observed, bound.where(censored))
    out = pd.DataFrame({"value": value, "observed": observed}, index=df.index)
    return out[out["value"].notna()]
