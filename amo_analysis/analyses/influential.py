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
`extreme_outlier` column of the portfolio (the fixed +1000 % flag) is kept as it is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from amo_analysis.analyses import effects, overview
from amo_analysis.errors import InputError
from amo_analysis.i18n import SCALE_KEYS, translate
from amo_analysis.stats import effects as estimators
from amo_analysis.stats import influence

__all__ = ["OUTCOMES", "weighty_projects", "weighty_display", "weighty_text"]

#: (model outcome, measured value shown, reading)
OUTCOMES = (
    ("log_cost_ratio", "budget_drift", "percent change"),
    ("budget_drift", "budget_drift", "percentage points"),
    ("log_duration_ratio", "schedule_slip", "percent change"),
    ("schedule_slip", "schedule_slip", "percentage points"),
)
TOP = 5
COLUMNS = ["outcome", "scale", "project_id", "amo", "value", "weight", "weight_in_se", "extreme", "estimate", "se"]


def weighty_projects(data: pd.DataFrame, covariates=None, cluster: str | None = None, top: int = TOP) -> pd.DataFrame:
    """Per outcome of `OUTCOMES`, the `top` projects whose deletion moves the adjusted estimate most:
    `COLUMNS` — `value` the project's own drift or slip (fraction), `weight` the estimate minus the
    estimate without it (reading's scale), `weight_in_se` that move in standard errors of the full
    estimate, `extreme` when it exceeds one (module docstring), `estimate` / `se` the full fit's
    (reading's scale; the SE of a percent change by the delta method, exp(β̂)·SE(β̂))."""
    if "log_budget" not in data and "budget_planned" in data:
        data = overview.with_model_columns(data)
    design = effects.design_for(data, effects.resolve_covariates(data, covariates), cluster)
    rows = []
    for outcome, shown, scale in OUTCOMES:
        try:
            res = estimators.estimate_effect(
                data, outcome, "amo", design.covariates, method="ols", cluster=design.cluster
            )
        except (InputError, np.linalg.LinAlgError):
            continue
        if res.rows is None or res.model is None or not res.std_error:
            continue
        X, y = res.model.model.exog, res.model.model.endog
        deletions = influence.project_deletions(X, y, 1, res.std_error)
        if outcome.startswith("log_"):
            estimate, se = math.expm1(res.estimate), math.exp(res.estimate) * res.std_error
            weight = math.exp(res.estimate) - np.exp(deletions.coef)
            se_without = np.exp(deletions.coef) * deletions.se
        else:
            estimate, se = res.estimate, res.std_error
            weight = res.estimate - deletions.coef
            se_without = deletions.se
        order = np.argsort(-np.abs(np.nan_to_num(weight, nan=np.inf)), kind="stable")[:top]
        part = data.loc[res.rows[order]]
        for k, pos in enumerate(order):
            rows.append(
                {
                    "outcome": shown,
                    "scale": scale,
                    "project_id": str(part["project_id"].iloc[k]) if "project_id" in part else str(res.rows[pos]),
                    "amo": bool(part["amo"].iloc[k]),
                    "value": float(part[shown].iloc[k]),
                    "weight": float(weight[pos]),
                    "weight_in_se": float(abs(weight[pos]) / se_without[pos]) if se_without[pos] > 0 else math.inf,
                    "extreme": bool(abs(weight[pos]) > se_without[pos]) if math.isfinite(weight[pos]) else True,
                    "estimate": estimate,
                    "se": se,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def weighty_display(table: pd.DataFrame, lang: str = "en", practice: str = "AMO") -> pd.DataFrame:
    """Readable table of `weighty_projects`."""
    return pd.DataFrame(
        {
            translate("pe_measure", lang): table["outcome"].map(lambda m: translate(m, lang, practice=practice)),
            translate("pe_reading", lang): table["scale"].map(lambda s: translate(SCALE_KEYS[s], lang)),
            translate("wp_project", lang): table["project_id"],
            translate("wp_with_practice", lang, practice=practice): table["amo"].map(
                lambda a: translate("yes" if a else "no", lang)
            ),
            translate("wp_value", lang): table["value"],
            translate("wp_weight", lang): table["weight"],
            translate("wp_weight_in_se", lang): table["weight_in_se"],
            translate("wp_extreme", lang): table["extreme"].map(lambda e: translate("yes" if e else "no", lang)),
        }
    )


def weighty_text(table: pd.DataFrame) -> str:
    """Fixed-width text (3 decimals) for the notebook's regression check."""
    shown = table[["outcome", "scale", "project_id", "value", "weight", "weight_in_se", "extreme"]]
    return shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")
