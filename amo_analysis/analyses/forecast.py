"""Reference-class forecast of a new project's final cost and duration (Flyvbjerg's method).

The portfolio's finished projects are the reference class. The forecast works on the log ratios
y = ln(cost_actual / budget_planned) and ln(duration_actual / duration_planned) of the *completed*
projects (cancelled ones never reached a final cost). A project still running at the as-of date
(`running`, from ingest) counts as right-censored: its y is at least ln(elapsed / planned) for the
duration and ln(cost_to_date / budget) for the cost when the export gives the spend to date
(`metrics.censored_outcome`); the median regression is fitted on the finished projects, the running
ones give censored residuals, and a spread holding any running project takes its quantiles and tail
chances from the Kaplan–Meier estimate (`forecast_spread.Spread`) instead of the conformal rank, so the P80
contingency is not biased low by leaving the long late projects out. The backtest uses finished
projects only (a running project's elapsed time is measured after the split):

* **quantile regression** (n ≥ `MIN_REGRESSION` usable projects and ≥ 5 per parameter): a median
  regression (statsmodels QuantReg) of y on the practice (`amo`) and the new project's known
  features among ln(budget_planned), complexity, project_type, organisation and framing_score gives
  the project's median m(x); the spread around it is the distribution of **cross-fitted residuals**
  (10 folds, seeded: each project's residual comes from a fit that did not see it) **of the reference
  projects with the same practice value** as the forecast scenario (a group-wise, "Mondrian",
  split-conformal construction: the practice may thin the tail, not only shift the median). A
  practice group with fewer than `MIN_GROUP_RESIDUALS` residuals uses the residuals of both groups
  pooled instead, and the forecast's note says so. The predictive distribution of y is
  m(x) + residual. Above `scale.LARGE_N` usable projects the median regression is fitted on a seeded
  random `scale.SUBSAMPLE_ROWS` of them and the residuals are those of all the others (plain split
  conformal), stated in each row's note (`forecast_spread.RegressionModel`).
* **nearest projects** (smaller portfolios): the empirical distribution of y among the `n_neighbours`
  (20) most similar projects with the same practice value (distance: standardised |Δ| on numeric
  features, 1 for a different category). Every project tied with the k-th nearest on distance is
  kept (so a forecast may rest on more than k projects): a tie is never cut by row position
  (`forecast_spread.NearestProjects`).

From that distribution: quantile q is the ⌈(m+1)·q⌉-th smallest of the m values (the finite-sample
conformal rank; when it exceeds m the quantile is not given — nothing is widened silently), the
chance of overrunning by more than t is the share of values above ln(1 + t). Final cost = budget ×
exp(quantile). The *contingency* at an accepted risk r (P80 by default) is the uplift P_r / budget
− 1; it sits next to the common "budget + 10 %" rule and the chance that 10 % is enough.
A forecast resting on fewer than `MIN_COMPARABLE` (10) projects says so in its `note`.

**Order-free.** The forecast depends on the reference rows as a set, never on their order in the
export: the usable rows are put in a canonical order fixed by their own values (outcome, practice,
budget, features; see `_canonical_order`) before any order-dependent step — the seeded fold
assignment, the seeded subsample of large portfolios, QuantReg (whose solution need not be unique, so
it must always see the same rows in the same order) and the sums behind standard deviations — and
nearest-neighbour ties are all kept. A shuffled export gives the same numbers, bit for bit.

This module computes: the reference class, the forecast table and its backtest. The two predictive
spreads are in `analyses.forecast_spread`; the words, texts and records notebook 04 shows are in
`report.show_forecast`, the figure in `report.plots`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from amo_analysis.analyses.forecast_spread import CATEGORICAL, MIN_GROUP_RESIDUALS, NearestProjects, RegressionModel
from amo_analysis.ingest.model_columns import with_model_columns
from amo_analysis.stats.intervals import share_ci
from amo_analysis.ingest.metrics import CENSORING_BOUNDS, censored_outcome
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message, join_sentences, localise
from amo_analysis.defaults import DEFAULTS
from amo_analysis.results_display import ResultDisplay, short

MIN_REGRESSION = DEFAULTS.forecast_min_regression
MIN_COMPARABLE = DEFAULTS.forecast_min_comparable
N_NEIGHBOURS = DEFAULTS.forecast_neighbours
FOLDS = DEFAULTS.forecast_folds
ROWS_PER_PARAMETER = DEFAULTS.forecast_rows_per_parameter
THRESHOLDS = DEFAULTS.overrun_thresholds
FEATURES = ("log_budget", "complexity", "project_type", "organisation", "framing_score")
TARGETS = {
    "cost": ("log_cost_ratio", "budget_planned", "cost_actual"),
    "duration": ("log_duration_ratio", "duration_planned_days", "duration_actual_days"),
}
AMO_CHOICES = ("as_given", "yes", "no", "both")
#: the outcome whose censoring bound (`metrics.CENSORING_BOUNDS`) a running project gives each target
CENSORED_OUTCOMES = {"cost": "budget_drift", "duration": "schedule_slip"}
#: the columns `forecast` reads from a new project (FEATURES[0], log_budget, it derives from budget_planned)
NEW_PROJECT_COLUMNS = ("project_id", "amo", "budget_planned", "duration_planned_days", *FEATURES[1:])
#: the columns `forecast` reads from the reference portfolio: each target's outcome, the practice,
#: status and features (`_reference`), and for a running project its censoring bound (`censored_outcome`)
_BOUNDS = [c for outcome in CENSORED_OUTCOMES.values() for c in (outcome, *CENSORING_BOUNDS[outcome])]
REFERENCE_COLUMNS = tuple(
    dict.fromkeys([*(t[0] for t in TARGETS.values()), *NEW_PROJECT_COLUMNS[1:], "status", "running", *_BOUNDS])
)
#: The translation key of each forecast method (the `method` / `method_duration` columns keep these English names)
METHOD_KEYS = {
    "quantile regression": "fc_method_quantile_regression",
    "nearest projects": "fc_method_nearest_projects",
    "none": "fc_method_none",
}


class ForecastError(InputError):
    """A new project or option the forecast cannot use (one sentence says why)."""


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


def new_project(
    budget: float,
    duration: float | None = None,
    project_type: str | None = None,
    complexity: int | None = None,
    organisation: str | None = None,
    framing_score: int | None = None,
    amo: bool | None = None,
    project_id: str = "new project",
) -> pd.DataFrame:
    """A one-row DataFrame describing a project about to start (budget in the cost unit, duration in days)."""
    return pd.DataFrame(
        [
            {
                "project_id": project_id,
                "amo": amo,
                "budget_planned": budget,
                "duration_planned_days": duration,
                "project_type": project_type,
                "complexity": complexity,
                "organisation": organisation,
                "framing_score": framing_score,
            }
        ]
    )


def typical_project(
    reference: pd.DataFrame,
    budget: float | None = None,
    duration: float | None = None,
    project_type: str | None = None,
    complexity: int | None = None,
    organisation: str | None = None,
    framing_score: int | None = None,
) -> pd.DataFrame:
    """`new_project` with every value left as None filled from the reference portfolio: median budget
    and planned duration, most common project type, median complexity (organisation and framing
    score stay unused when not given)."""

    def typical(column, value, how):
        if value is not None or column not in reference or reference[column].dropna().empty:
            return value
        values = reference[column].dropna()
        return float(values.median()) if how == "median" else values.mode().iloc[0]

    complexity = typical("complexity", complexity, "median")
    return new_project(
        typical("budget_planned", budget, "median"),
        typical("duration_planned_days", duration, "median"),
        typical("project_type", project_type, "mode"),
        None if complexity is None else int(round(complexity)),
        organisation,
        framing_score,
    )


def _pct(q: float) -> str:
    return f"p{round(q * 100)}"


def _thr(t: float) -> str:
    return f"{round(t * 100)}"


def _view(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Those of `columns` that `frame` has, as a frame sharing their data (`frame[list]` copies them)."""
    return pd.DataFrame({c: frame[c] for c in columns if c in frame}, copy=False)


def _check_new(new: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(new, pd.DataFrame) or len(new) == 0:
        raise ForecastError("Give at least one new project (a DataFrame with budget_planned).")
    if "budget_planned" not in new:
        raise ForecastError("The new projects have no budget_planned column: a forecast needs the planned budget.")
    out = new.copy().reset_index(drop=True)
    if "project_id" not in out:
        out["project_id"] = [f"new-{i + 1}" for i in range(len(out))]
    checks = (
        ("budget_planned", 0, None, "must be a number greater than 0", True),
        ("duration_planned_days", 0, None, "must be a number of days greater than 0", False),
        ("complexity", 1, 5, "must be between 1 and 5", False),
        ("framing_score", 0, 10, "must be between 0 and 10 questions", False),
    )
    for col, lo, hi, rule, required in checks:
        if col not in out:
            out[col] = np.nan
            continue
        values = pd.to_numeric(out[col], errors="coerce")
        blank = out[col].isna()
        too_low = values <= lo if col in ("budget_planned", "duration_planned_days") else values < lo
        bad = values.isna() | too_low | (values > hi if hi is not None else False)
        if not required:
            bad &= ~blank
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise ForecastError(f"New project {out.at[i, 'project_id']!s}, {col} = {out[col].tolist()[i]!r}: {rule}.")
        out[col] = values.astype("float64")
    return with_model_columns(out)


def _scenarios(new: pd.DataFrame, amo: str) -> pd.DataFrame:
    if amo not in AMO_CHOICES:
        raise ForecastError(f"amo must be one of {', '.join(AMO_CHOICES)}, not {amo!r}.")
    if amo == "both":
        return pd.concat([new.assign(amo=False), new.assign(amo=True)]).sort_index(kind="stable").reset_index(drop=True)
    if amo in ("yes", "no"):
        return new.assign(amo=amo == "yes")
    if "amo" not in new or new["amo"].isna().any():
        raise ForecastError("Say whether each new project has the practice (column amo), or ask for amo='both'.")
    return new.assign(amo=new["amo"].astype(bool))


def _reference(reference: pd.DataFrame, target: str) -> pd.DataFrame:
    col = TARGETS[target][0]
    for needed in (col, "amo", "budget_planned"):
        if needed not in reference:
            raise ForecastError(
                f"The reference portfolio has no column '{needed}': validate it first "
                "(contract.validate_portfolio or load_portfolio)."
            )
    used = [c for c in dict.fromkeys([col, "amo", "budget_planned", "status", *FEATURES]) if c in reference]
    ref = with_model_columns(_view(reference, used))
    if ref["amo"].isna().all():  # a portfolio without a practice column: one group, read as "without"
        ref["amo"] = False
    y = ref[col].astype("float64")
    observed = y.notna() & np.isfinite(y)
    if "status" in ref:
        observed &= ~ref["status"].isin(["cancelled", "ongoing"]).fillna(False).astype(bool)
    if "running" in reference:  # a running project's ln ratio is at least ln(its bound): right-censored
        bound = censored_outcome(reference, CENSORED_OUTCOMES[target])
        bound = bound.loc[~bound["observed"], "value"].reindex(ref.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            low = np.log1p(bound)
        censored = ~observed & np.isfinite(low)
        y = y.where(observed, low.where(censored))
    else:
        censored = pd.Series(False, index=ref.index)
    keep = (observed | censored) & ref["amo"].notna()
    ref = ref[keep]
    ref["_y"] = y[keep]
    ref["_observed"] = observed[keep].to_numpy(dtype=bool)
    ref["amo"] = ref["amo"].astype(bool)
    return _canonical_order(ref)


def _canonical_order(ref: pd.DataFrame) -> pd.DataFrame:
    """`ref` with its rows sorted by their own values, so that every later step sees the same rows in
    the same order whatever the order of the export: sort keys, most significant first, are the
    outcome `_y` (ln ratio), whether it is observed, the practice, budget_planned and each of `FEATURES` (numbers by value,
    categories by their text, missing values after the others). Rows equal on every key are equal on
    every column the forecast uses, so their relative order cannot change any result. Index reset."""
    keys = []
    for c in ("_y", "_observed", "amo", "budget_planned", *FEATURES):
        if c not in ref:
            continue
        column = ref[c]
        missing = column.isna().to_numpy()
        if isinstance(column.dtype, pd.CategoricalDtype):  # rank of the text of each category, not its code
            rank = pd.factorize(column.cat.categories.astype(str), sort=True)[0]
            codes = column.cat.codes.to_numpy()
            value = np.where(codes >= 0, rank[codes], -1)
        elif c in CATEGORICAL:
            value = pd.factorize(column.astype(str), sort=True)[0]
        else:
            value = np.where(missing, 0.0, pd.to_numeric(column, errors="coerce").astype("float64").to_numpy())
        keys.extend((missing, value))
    order = np.lexsort(keys[::-1])  # np.lexsort sorts by its last key first
    return ref.iloc[order].reset_index(drop=True)


class _Reference:
    """The usable reference rows of one target, with the features they can offer."""

    def __init__(self, ref: pd.DataFrame):
        self.ref = ref
        self.features = [f for f in FEATURES if f in ref and ref[f].dropna().nunique() >= 2]
        self.levels = {f: set(ref[f].dropna().astype(str).unique()) for f in self.features if f in CATEGORICAL}
        self.usable: dict[tuple, pd.DataFrame] = {}

    def feature_masks(self, projects: pd.DataFrame, notes: list[list[str]], rows: np.ndarray) -> np.ndarray:
        """Which of `self.features` each project can use (projects × features, bool): a feature is
        used when the project gives it and, for a category, the level occurs in the reference (else
        the project's note says it was not used). Only projects where `rows` is True get notes."""
        mask = np.zeros((len(projects), len(self.features)), dtype=bool)
        for j, f in enumerate(self.features):
            if f not in projects:
                continue
            given = projects[f].notna().to_numpy()
            if f in CATEGORICAL:
                known = projects[f].astype(str).isin(self.levels[f]).to_numpy()
                for i in np.flatnonzero(given & ~known & rows):
                    notes[i].append(Message("fc_note_unknown_level", feature=f, value=repr(projects[f].iloc[i])))
                given = given & known
            mask[:, j] = given
        return mask

    def rows(self, features: tuple[str, ...]) -> pd.DataFrame:
        if features not in self.usable:
            self.usable[features] = self.ref.dropna(subset=list(features))
        return self.usable[features]


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def forecast(
    reference: pd.DataFrame,
    new_projects: pd.DataFrame,
    quantiles=DEFAULTS.quantiles,
    seed: int = DEFAULTS.seed,
    *,
    amo: str = "as_given",
    accepted_risk: float = DEFAULTS.accepted_risk,
    thresholds=THRESHOLDS,
    min_regression: int = MIN_REGRESSION,
    n_neighbours: int = N_NEIGHBOURS,
    folds: int = FOLDS,
) -> ForecastResult:
    """Forecast final cost and duration of each new project from the validated `reference` portfolio.

    A `ForecastResult`; its `summary_frame()` is the forecast table: one row per new project (two
    with `amo="both"`: without then with the practice). Columns:
    project_id, amo, budget_planned, duration_planned_days, method / method_duration ("quantile
    regression" or "nearest projects"), n_reference / n_reference_duration (projects the forecast
    rests on), n_spread / n_spread_duration (the residuals or nearest projects the spread, the
    quantiles and the chances are counted over), n_running / n_running_duration (of which running
    projects, right-censored), cost_pNN and duration_pNN (cost unit, days) for each quantile, chance_cost_overrun_TT
    and chance_duration_overrun_TT (probability of exceeding the plan by more than TT %),
    contingency (uplift over the budget to hold at `accepted_risk`, a fraction), chance_10pct_enough
    (probability that budget + 10 % covers the final cost), few_comparables and note.

    The spread of each scenario comes from reference projects with its own practice value (nearest
    projects of that group; the group's residuals for the regression, or the pooled residuals when
    the group has fewer than `MIN_GROUP_RESIDUALS`, said in the note). The result depends on the
    reference rows and `seed`, not on the order of the rows (see the module docstring).
    """
    quantiles = sorted({float(q) for q in quantiles} | {float(accepted_risk)})
    if any(not 0 < q < 1 for q in quantiles):
        raise ForecastError(f"Quantiles and the accepted risk must be strictly between 0 and 1, got {quantiles}.")
    if folds < 2 or n_neighbours < 1:
        raise ForecastError("folds must be at least 2 and n_neighbours at least 1.")
    thresholds = tuple(float(t) for t in thresholds)
    if 0.10 not in thresholds:
        thresholds = tuple(sorted(thresholds + (0.10,)))
    reference = _view(reference, REFERENCE_COLUMNS)
    no_practice = "amo" in reference and bool(reference["amo"].isna().all())
    projects = _scenarios(_check_new(new_projects), "no" if no_practice else amo)
    refs = {t: _Reference(_reference(reference, t)) for t in TARGETS}
    n = len(projects)
    scenario_amo = projects["amo"].to_numpy(dtype=bool)
    notes: list[list[str]] = [[] for _ in range(n)]
    out = pd.DataFrame(
        {
            "project_id": projects["project_id"].tolist(),
            "amo": projects["amo"].astype(bool).to_numpy(),
            "budget_planned": projects["budget_planned"].to_numpy(dtype=float),
            "duration_planned_days": projects["duration_planned_days"].to_numpy(dtype=float),
        }
    )
    cache: dict = {}
    for target, (_, plan_col, _) in TARGETS.items():
        suffix = "" if target == "cost" else "_duration"
        plan = projects[plan_col].to_numpy(dtype=float)
        planned = np.isfinite(plan)
        method = np.full(n, "none", dtype=object)
        n_used = np.zeros(n, dtype=np.int64)
        n_spread = np.zeros(n, dtype=np.int64)  # the values the chances and quantiles are counted over
        n_running = np.zeros(n, dtype=np.int64)  # of which running projects, right-censored
        y_q = {q: np.full(n, np.nan) for q in quantiles}
        chance = {t: np.full(n, np.nan) for t in thresholds}
        for i in np.flatnonzero(~planned):
            notes[i].append(Message(f"fc_note_no_plan_{target}"))
        ref = refs[target]
        masks = ref.feature_masks(projects, notes, planned)
        codes = masks.astype(np.int64) @ (1 << np.arange(masks.shape[1], dtype=np.int64))
        for code in np.unique(codes[planned]):
            idx = np.flatnonzero(planned & (codes == code))
            features = tuple(f for j, f in enumerate(ref.features) if code >> j & 1)
            usable = ref.rows(features)
            key = (target, features)
            if key not in cache:
                k_params = 2 + sum(usable[f].astype(str).nunique() - 1 if f in CATEGORICAL else 1 for f in features)
                regression = len(usable) >= max(min_regression, ROWS_PER_PARAMETER * k_params) and (
                    usable["amo"].nunique() == 2 or no_practice
                )
                cache[key] = (
                    RegressionModel(usable, list(features), seed, folds)
                    if regression
                    else NearestProjects(usable, list(features))
                )
            model = cache[key]
            if isinstance(model, RegressionModel):
                method[idx], n_used[idx] = "quantile regression", len(usable)
                for group in (False, True):  # the spread of the scenario's own practice group
                    sub = idx[scenario_amo[idx] == group]
                    if not len(sub):
                        continue
                    median = model.medians(projects.iloc[sub])
                    values, own = model.spread(group)
                    n_spread[sub], n_running[sub] = len(values), values.n_running
                    for q in quantiles:
                        y_q[q][sub] = median + values.quantile(q)
                    for t in thresholds:
                        chance[t][sub] = values.share_above(math.log1p(t) - median)
                    if not own:
                        for i in sub:
                            notes[i].append(
                                Message(
                                    f"fc_note_pooled_{target}",
                                    n=len(model.by_group[group]),
                                    side=Message("fc_note_side_with" if group else "fc_note_side_without"),
                                    min_group=MIN_GROUP_RESIDUALS,
                                )
                            )
                if model.note:
                    for i in idx:
                        notes[i].append(model.note)
                continue
            for i in idx:  # nearest projects: only for small reference portfolios
                values = model.values(projects.iloc[i], n_neighbours)
                method[i], n_used[i] = "nearest projects", len(values)
                n_spread[i], n_running[i] = len(values), values.n_running
                for q in quantiles:
                    y_q[q][i] = values.quantile(q)
                for t in thresholds:
                    chance[t][i] = values.share_above(math.log1p(t))
        for i in np.flatnonzero(planned & (n_used == 0)):
            notes[i].append(Message(f"fc_note_no_comparable_{target}"))
        for i in np.flatnonzero(planned & (n_used > 0) & (n_used < MIN_COMPARABLE)):
            notes[i].append(Message(f"fc_note_few_{target}", n=int(n_used[i]), min_comparable=MIN_COMPARABLE))
        out[f"method{suffix}"] = method.tolist()
        out[f"n_reference{suffix}"] = n_used
        out[f"n_spread{suffix}"] = n_spread
        out[f"n_running{suffix}"] = n_running
        for q in quantiles:
            finite = np.isfinite(y_q[q])
            out[f"{target}_{_pct(q)}"] = np.where(finite, plan * np.exp(np.where(finite, y_q[q], 0.0)), np.nan)
            for i in np.flatnonzero((n_used > 0) & ~finite):
                notes[i].append(Message(f"fc_note_quantile_missing_{target}", q=_pct(q).upper()))
        for t in thresholds:
            out[f"chance_{target}_overrun_{_thr(t)}"] = chance[t]
    out["contingency"] = out[f"cost_{_pct(accepted_risk)}"] / out["budget_planned"] - 1
    out["accepted_risk"] = float(accepted_risk)
    out["chance_10pct_enough"] = 1 - out["chance_cost_overrun_10"]
    n_duration = out["n_reference_duration"].where(out["n_reference_duration"] > 0, out["n_reference"])
    out["few_comparables"] = np.minimum(out["n_reference"], n_duration) < MIN_COMPARABLE
    # object dtype: a string column would turn the notes (i18n.Message) into plain English str
    out["note"] = pd.Series([join_sentences(dict.fromkeys(x), "; ") for x in notes], index=out.index, dtype=object)
    if no_practice:  # one scenario, for every project: the practice is not known
        out["amo"] = pd.array([pd.NA] * n, dtype="boolean")
    return ForecastResult(out, tuple(quantiles), float(accepted_risk), seed)


def scenario_group(amo) -> str:
    """ "with" / "without" the practice for a scenario's `amo`, "all" when it is not known (a
    portfolio without a practice column): the last part of the records' names."""
    return "all" if pd.isna(amo) else ("with" if amo else "without")


def _amount(value: float) -> str:
    return f"{value:,.0f}" if np.isfinite(value) else "—"


@dataclass(repr=False)
class ForecastResult(ResultDisplay):
    """The forecast of `forecast`, read like a statsmodels result: a short repr, an HTML table in
    JupyterLab, `summary(lang)` (text; the notes in `lang`) and `summary_frame()`, the forecast table
    (one row per new project and scenario; its columns in `forecast`).

    `table` is that table (costs in the cost unit, durations in days, chances and the contingency as
    fractions); `quantiles` the quantiles computed (the accepted risk among them), `accepted_risk`
    the one the contingency holds at, `seed` the seed of the folds and subsamples.
    """

    table: pd.DataFrame
    quantiles: tuple[float, ...]
    accepted_risk: float
    seed: int

    def summary_frame(self) -> pd.DataFrame:
        """The forecast table (a copy, so the result stays as computed)."""
        return self.table.copy()

    def _display_title(self) -> str:
        return "Reference-class forecast"

    def _scenario_rows(self, brief: bool = False) -> list[tuple[str, str]]:
        """(project and scenario, its forecast at the accepted risk) per row of the table; `brief`: the
        cost and contingency only (the one-line repr)."""
        p = _pct(self.accepted_risk)
        rows = []
        for r in self.table.to_dict("records"):
            value = f"cost {p.upper()} {_amount(r[f'cost_{p}'])}, contingency {r['contingency']:+.1%}"
            if not brief:
                value += (
                    f", chance that budget + 10 % is enough {r['chance_10pct_enough']:.0%}; duration {p.upper()} "
                    f"{_amount(r[f'duration_{p}'])} days; {r['method']}, {r['n_reference']} projects"
                )
            rows.append((f"{r['project_id']} ({scenario_group(r['amo'])})", value))
        return rows

    def _display_rows(self) -> list[tuple[str, str]]:
        return [
            *self._scenario_rows(),
            ("Quantiles", ", ".join(_pct(q).upper() for q in self.quantiles)),
            (
                "Accepted risk",
                f"{_pct(self.accepted_risk).upper()} (the contingency's level; costs in the cost unit, durations in days)",
            ),
            ("Seed", str(self.seed)),
        ]

    def _repr_rows(self) -> list[tuple[str, str]]:
        shown = [(short(label, 60), value) for label, value in self._scenario_rows(brief=True)[:3]]
        return [*shown, ("Scenarios", str(len(self.table)))]

    def _display_notes(self, lang: str = "en") -> list[str]:
        return [localise(note, lang) for note in dict.fromkeys(self.table["note"]) if note]


# ---------------------------------------------------------------------------------------------
# Calibration and backtest
# ---------------------------------------------------------------------------------------------


def calibration(forecasts: pd.DataFrame, actual: pd.DataFrame, quantile: float = 0.8) -> pd.DataFrame:
    """Share of projects whose actual cost (duration) exceeded the forecast quantile, with Wilson CIs.

    `forecasts` the table of `forecast` (its `summary_frame()`, amo as given) and `actual` holding
    cost_actual and duration_actual_days, row-aligned. A well-calibrated P80 is exceeded by about 20 %
    of projects. Rows: target (cost / duration) × group (all / with / without).
    """
    rows = []
    for target, (_, _, actual_col) in TARGETS.items():
        predicted = forecasts[f"{target}_{_pct(quantile)}"].to_numpy(dtype=float)
        observed = actual[actual_col].to_numpy(dtype=float)
        ok = np.isfinite(predicted) & np.isfinite(observed)
        known = forecasts["amo"].notna().to_numpy(dtype=bool)
        amo = forecasts["amo"].fillna(False).to_numpy(dtype=bool)
        for group, mask in (("all", ok), ("with", ok & known & amo), ("without", ok & known & ~amo)):
            above = int((observed[mask] > predicted[mask]).sum())
            share, low, high = share_ci(above, int(mask.sum()))
            rows.append(
                {
                    "target": target,
                    "group": group,
                    "quantile": quantile,
                    "n": int(mask.sum()),
                    "exceeded": above,
                    "share_exceeded": share,
                    "ci_low": low,
                    "ci_high": high,
                    "expected": 1 - quantile,
                }
            )
    return pd.DataFrame(rows)


def backtest(
    portfolio: pd.DataFrame, share_earlier: float = 0.5, quantile: float = 0.8, seed: int = 0, **options
) -> tuple[pd.DataFrame, str]:
    """Forecast the later completed projects from the earlier ones (by start_date) and check calibration.

    Projects are ordered by start_date; the first `share_earlier` of the completed projects set the
    split date, every project started before it is the reference, and the completed projects started
    on or after it are forecast with their own practice value (projects started on the split date
    are all on the same side, so the split does not depend on row order). Only when there is no
    start_date is the file order taken as the order of the projects, and the sentence says so.
    Returns (`calibration` table, one sentence describing the split or why it could not be made: an
    `i18n.Message`, its English text, that `ctx.show` shows in the report's language).
    """
    if not 0 < share_earlier < 1:
        raise ForecastError(f"share_earlier must be strictly between 0 and 1, not {share_earlier!r}.")
    data = portfolio
    done = data["log_cost_ratio"].notna()
    if "status" in data:
        done &= (data["status"] == "completed").fillna(False).astype(bool)
    by_date = "start_date" in data and data["start_date"].notna().any()
    if by_date:
        order = pd.to_datetime(data["start_date"])
    else:
        order = pd.Series(np.arange(len(data)), index=data.index)
    completed = order[done].sort_values(kind="stable")
    n_early = int(round(len(completed) * share_earlier))
    if n_early < MIN_COMPARABLE or len(completed) - n_early < MIN_COMPARABLE:
        empty = calibration(
            pd.DataFrame({"amo": [], f"cost_{_pct(quantile)}": [], f"duration_{_pct(quantile)}": []}),
            pd.DataFrame({"cost_actual": [], "duration_actual_days": []}),
            quantile,
        )
        return empty, Message("fc_backtest_too_few", n=len(completed), min_comparable=MIN_COMPARABLE)
    split = completed.iloc[n_early]
    # finished projects only: a project running at the as-of date was running at the split too, but its
    # elapsed time is measured at the as-of date, after the split, so it would leak the future
    # only the columns the forecast and the calibration read: half a million projects of all 41 columns
    # would be copied three times over (≈ 400 MB at 10⁶ projects)
    earlier = _view(data, [c for c in REFERENCE_COLUMNS if c != "running"])[order < split]
    actual = [actual_col for _, _, actual_col in TARGETS.values()]
    later = _view(data, [*NEW_PROJECT_COLUMNS, *actual]).loc[completed.index[completed >= split]]
    inputs = later.drop(columns=actual, errors="ignore")
    result = forecast(earlier, inputs, quantiles=(quantile,), seed=seed, accepted_risk=quantile, **options).table
    table = calibration(result, later.reset_index(drop=True), quantile)
    text = Message(
        "fc_backtest_split",
        how=Message("fc_split_start_date" if by_date else "fc_split_file_order"),
        n_earlier=len(earlier),
        split=f"{split:%Y-%m-%d}" if by_date else str(split),
        n_later=len(later),
        methods=join_sentences([Message(METHOD_KEYS[m]) for m in sorted(set(result["method"]))], ", "),
    )
    return table, text
