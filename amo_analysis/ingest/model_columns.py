"""The columns the effect models use, and where each comes from: `model_columns(data)`.

Two steps make them. Reading an export (`load_portfolio`) adds the derived outcomes of the catalogue
(`ingest.columns`, computed by `ingest.metrics.derive_metrics`): `budget_drift`, `schedule_slip`,
`log_cost_ratio` = ln(cost_actual ÷ budget_planned), `log_duration_ratio`, `outcome_class`,
`extreme_outlier`. Before a model, `with_model_columns` adds `log_budget` =
ln(budget_planned), the size covariate; `default_covariates` picks the pre-treatment covariates present
(log_budget, complexity, project_type, organisation). This module adds `log_budget` and describes them all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from amo_analysis.ingest.columns import BY_NAME, DERIVED

__all__ = [
    "with_model_columns",
    "default_covariates",
    "model_columns",
    "available_columns",
    "column_values",
    "LOG_BUDGET_DEFINITION",
]

LOG_BUDGET_DEFINITION = (
    "Natural log of budget_planned (the planned budget in the cost unit): the size covariate "
    "(one unit more = a budget e ≈ 2.72 times larger)."
)
_OUTCOMES = ("budget_drift", "schedule_slip", "log_cost_ratio", "log_duration_ratio", "adoption_m3")


def default_covariates(data: pd.DataFrame) -> list[str]:
    """Pre-treatment covariates present in the portfolio, in a sensible default order.

    Size (log of planned budget), complexity, project type and organisation: the things that decide
    who gets the practice and also drive drift. Framing and pitfalls are left out on purpose: the
    practice may change them (they can be mediators), and adjusting for them would hide its effect.
    """
    covariates = []
    if "log_budget" in data or "budget_planned" in data:
        covariates.append("log_budget")
    for col in ("complexity", "project_type", "organisation"):
        if col in data and data[col].notna().any() and data[col].nunique(dropna=True) > 1:
            covariates.append(col)
    return covariates


def with_model_columns(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of the portfolio plus `log_budget` = ln(budget_planned), the size covariate every model
    uses (the one place it is computed). Shallow: with pandas' copy-on-write the columns are shared
    until someone writes to them, so a million-row portfolio is not duplicated."""
    out = data.copy(deep=False)
    if "budget_planned" in out:
        out["log_budget"] = np.log(out["budget_planned"].astype("float64"))
    return out


def available_columns(data: pd.DataFrame) -> list[str]:
    """The columns a parameter may name: the portfolio's and those the analyses derive from them
    (`log_budget`, `with_model_columns`)."""
    return [str(c) for c in with_model_columns(data.iloc[:0]).columns]


def column_values(data: pd.DataFrame):
    """The values a column of `data` holds (none when it has no such column), for the parameters
    that name one (`ValueOf[column]`)."""
    return lambda column: data[column].dropna().unique() if column in data else []


def model_columns(data: pd.DataFrame, practice: str = "amo") -> pd.DataFrame:
    """One row per column an effect model may use: the practice (`role` "practice"), the outcomes
    ("outcome"), the default covariates ("default covariate", `default_covariates`) and the other
    derived columns ("derived"). Columns: column, role, definition (the catalogue's words), unit,
    made_by (which function adds it: the export itself, `load_portfolio` or `with_model_columns`),
    non_missing (rows with a value, after `with_model_columns`), in_data (present in `data` as given)."""
    modelled = with_model_columns(data)
    covariates = default_covariates(modelled)
    names = [practice, *_OUTCOMES, *covariates, *[c for c in DERIVED if c not in _OUTCOMES]]
    rows = []
    for name in dict.fromkeys(names):
        if name not in modelled:
            continue
        column = BY_NAME.get(name)
        if name == "log_budget":
            definition, unit, made_by = LOG_BUDGET_DEFINITION, "log of cost unit", "with_model_columns"
        else:
            definition = column.description if column is not None else ""
            unit = (column.unit or "") if column is not None else ""
            made_by = "load_portfolio (derived)" if name in DERIVED else "the export"
        role = (
            "practice"
            if name == practice
            else "outcome"
            if name in _OUTCOMES
            else "default covariate"
            if name in covariates
            else "derived"
        )
        rows.append(
            {
                "column": name,
                "role": role,
                "definition": definition,
                "unit": unit,
                "made_by": made_by,
                "non_missing": int(modelled[name].notna().sum()),
                "in_data": name in data,
            }
        )
    return pd.DataFrame(rows)
