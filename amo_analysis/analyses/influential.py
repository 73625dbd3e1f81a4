"""The projects that weigh most on the drift and slip estimates (notebook 01).

For each outcome of the effects check — budget drift and schedule slip, each as a percent change of
actual ÷ planned (ln ratio) and in percentage points — the adjusted OLS fit of notebook 02 (same
covariates and clustering, `effects.design_for`) is refitted without each project, exactly and
analytically (`stats.influence.project_deletions`). A project's **weight** is how much the estimate
moves without it, on the reading's scale (percent change: exp(β̂) − exp(β̂₍₋ᵢ₎) in ratio points;
percentage points: β̂ − β̂₍₋ᵢ₎), positive when the project pushes the estimate up.

**Extreme** (the rule, justified in the notebook): a project whose deletion alone moves the estimate
by more than the standard error the estimate has without it (first order, `influence`; the deleted
scale, as Belsley, Kuh & Welsch's DFBETAS: a monster cannot hide behind the noise it adds itself). It
measures what matters to a reader — how much one
project decides the figure — where a fixed overrun threshold (+1000 %) or a tail fit's return level
measures rarity: in a fat tail (α ≤ 2) large overruns are expected and the return level moves with
every new project, so a rarity rule flags nothing exactly when a few projects dominate the mean. The
`extreme_outlier` column of the portfolio (the fixed +1000 % flag) is kept as it is. The notebook's
table and text are in `report.show_influential`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from amo_analysis.analyses import practice_effects as effects
from amo_analysis.errors import InputError
from amo_analysis.stats.effects.prepare import _exog_alone, _prepare
from amo_analysis.stats import influence
from amo_analysis.ingest.model_columns import with_model_columns

__all__ = ["OUTCOMES", "weighty_projects"]

#: (model outcome, measured value shown, reading)
OUTCOMES = (
    ("log_cost_ratio", "budget_drift", "percent change"),
    ("budget_drift", "budget_drift", "percentage points"),
    ("log_duration_ratio", "schedule_slip", "percent change"),
    ("schedule_slip", "schedule_slip", "percentage points"),
)
TOP = 5
COLUMNS = ["outcome", "scale", "project_id", "amo", "value", "weight", "weight_in_se", "extreme", "estimate", "se"]


def _weighty_rows(data: pd.DataFrame, design, outcome: str, shown: str, scale: str, top: int) -> list[dict]:
    """The `top` rows of `weighty_projects` for one outcome (none when it cannot be fitted)."""
    rows = []
    try:
        prep = _prepare(data, outcome, "amo", list(design.covariates), design.cluster)
    except (InputError, np.linalg.LinAlgError):
        return []
    X, _ = _exog_alone(prep)
    fit = influence.ols_fit(X, prep.y)
    se_fit = influence.hc2_se(fit, 1, prep.groups)
    if not se_fit > 0:
        return []
    deletions = influence.project_deletions(X, prep.y, 1, se_fit, prep.groups, fit=fit)
    coef = float(fit.beta[1])
    rows_index = prep.index
    if outcome.startswith("log_"):
        estimate, se = math.expm1(coef), math.exp(coef) * se_fit
        weight = math.exp(coef) - np.exp(deletions.coef)
        se_without = np.exp(deletions.coef) * deletions.se
    else:
        estimate, se = coef, se_fit
        weight = coef - deletions.coef
        se_without = deletions.se
    order = np.argsort(-np.abs(np.nan_to_num(weight, nan=np.inf)), kind="stable")[:top]
    part = data.loc[rows_index[order]]
    for k, pos in enumerate(order):
        rows.append(
            {
                "outcome": shown,
                "scale": scale,
                "project_id": str(part["project_id"].iloc[k]) if "project_id" in part else str(rows_index[pos]),
                "amo": bool(part["amo"].iloc[k]),
                "value": float(part[shown].iloc[k]),
                "weight": float(weight[pos]),
                "weight_in_se": float(abs(weight[pos]) / se_without[pos]) if se_without[pos] > 0 else math.inf,
                "extreme": bool(abs(weight[pos]) > se_without[pos]) if math.isfinite(weight[pos]) else True,
                "estimate": estimate,
                "se": se,
            }
        )
    return rows


def weighty_projects(data: pd.DataFrame, covariates=None, cluster: str | None = None, top: int = TOP) -> pd.DataFrame:
    """Per outcome of `OUTCOMES`, the `top` projects whose deletion moves the adjusted estimate most:
    `COLUMNS` — `value` the project's own drift or slip (fraction), `weight` the estimate minus the
    estimate without it (reading's scale), `weight_in_se` that move in standard errors of the full
    estimate, `extreme` when it exceeds one (module docstring), `estimate` / `se` the full fit's
    (reading's scale; the SE of a percent change by the delta method, exp(β̂)·SE(β̂)). The fit is
    notebook 02's OLS (same rows, covariates and design, `effects.prepare`) computed here once with
    its HC2 standard error (`influence.hc2_se`; clustered: the cluster sums of HC2 scores), without
    the Bell–McCaffrey machinery of the claims check: what is compared here is a move with an SE."""
    if "log_budget" not in data and "budget_planned" in data:
        data = with_model_columns(data)
    design = effects.design_for(data, effects.resolve_covariates(data, covariates), cluster)
    rows = []
    for outcome, shown, scale in OUTCOMES:
        # one outcome at a time in its own call: its design, QR and deletions (n × p each, 96 MB at 10⁶
        # projects) are freed before the next outcome's are built
        rows += _weighty_rows(data, design, outcome, shown, scale, top)
    return pd.DataFrame(rows, columns=COLUMNS)
