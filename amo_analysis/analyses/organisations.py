"""Notebook 07 — organisations: how they differ, the practice's effect pooled across them, where each stands.

Fractions throughout (0.27 = 27 % over budget). Per organisation: projects, median (P50) and P80 budget
drift and schedule slip with exact order-statistic intervals, share of projects with the practice, and
the practice's adjusted effect (OLS with HC2 errors, adjusted for size and complexity) where the
organisation has at least `DEFAULTS.org_min_per_group` projects with and without it. Those effects are
pooled by a random-effects meta-analysis (`stats.meta.random_effects`: Paule–Mandel tau², Hartung–Knapp
interval, Higgins 2009 prediction interval) on three scales: log cost ratio, log duration ratio and
adoption at M+3 in percentage points. Peer position: each organisation's median drift and slip as a
percentile among the organisations (0 % = the lowest).

Publishing rules (k-anonymity, `ingest.collection.publishable`): organisations below `min_org_size`
projects are never named; their projects count in every pooled figure and appear together as one
row, "other organisations", which is left out of the meta-analysis and of the peer positions (it is
not an organisation). In a focus edition the peers are already "Peer A", "Peer B", ….

This module computes; `report.show_organisations` shows its tables in the report's language and
writes their records.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from amo_analysis.defaults import DEFAULTS
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message
from amo_analysis.ingest.portfolio import Portfolio
from amo_analysis.stats.effects import estimate_effect
from amo_analysis.stats.meta import random_effects
from amo_analysis.ingest.model_columns import with_model_columns
from amo_analysis.stats import intervals

ORGANISATION = "organisation"
#: outcome of the meta-analysis → (the notebook 02 outcome it matches, unit, reading)
META_OUTCOMES = {
    "log_cost_ratio": ("budget_drift", "log ratio", "relative"),
    "log_duration_ratio": ("schedule_slip", "log ratio", "relative"),
    "adoption_m3": ("adoption_m3", "percentage points", "pp"),
}
PEER_OUTCOMES = ("budget_drift", "schedule_slip")
OTHERS = "__others__"  # group key of the organisations that are not named
#: what `organisation_effects` keeps of each organisation's fit, and `meta_analyses` of each pooling
EFFECT_FIELDS = ("estimate", "std_error", "ci_low", "ci_high", "n", "n_treated")
META_FIELDS = ("estimate", "std_error", "ci_low", "ci_high", "tau2", "i2", "q", "pi_low", "pi_high")


def organisation_groups(portfolio: Portfolio, min_org_size: int = DEFAULTS.min_org_size) -> pd.Series:
    """Each project's organisation as the report may show it: its (public) name, or `OTHERS` for the
    organisations below `min_org_size` projects and those the run withheld; NaN without one."""
    data = portfolio.data
    if ORGANISATION not in data:
        return pd.Series(np.nan, index=data.index, dtype=object)
    orgs = data[ORGANISATION].astype(object)
    counts = orgs.value_counts()
    withheld = set(portfolio.disclosure.get("withheld", [])) | {o for o, n in counts.items() if n < min_org_size}
    return orgs.map(lambda o: OTHERS if o in withheld else o)


def n_organisations(portfolio: Portfolio) -> int:
    """Distinct organisations of the portfolio (named or not)."""
    data = portfolio.data
    return int(data[ORGANISATION].nunique(dropna=True)) if ORGANISATION in data else 0


def _named(groups: pd.Series) -> list[str]:
    return sorted(str(g) for g in groups.dropna().unique() if g != OTHERS)


def _order(groups: pd.Series, focus: str | None) -> list[str]:
    named = _named(groups)
    if focus in named:
        named = [focus] + [g for g in named if g != focus]
    return named + ([OTHERS] if (groups == OTHERS).any() else [])


def organisation_table(
    portfolio: Portfolio, min_org_size: int = DEFAULTS.min_org_size, focus: str | None = None
) -> pd.DataFrame:
    """One row per organisation (named ones, the focus first, then "other organisations"): `group`,
    `projects`, `share_with` (share of projects with the practice), and for `budget_drift` and
    `schedule_slip` the P50 and P80 with their exact 95 % intervals (`<outcome>_p50`,
    `<outcome>_p50_low`, `<outcome>_p50_high`, …; fractions)."""
    data = portfolio.data
    groups = organisation_groups(portfolio, min_org_size)
    rows = []
    for group in _order(groups, focus):
        part = data[groups == group]
        row = {"group": group, "projects": len(part)}
        row["share_with"] = float(part["amo"].astype(float).mean()) if "amo" in part and len(part) else np.nan
        for outcome in PEER_OUTCOMES:
            for q in (0.5, 0.8):
                est, low, high = intervals.quantile_ci(part[outcome] if outcome in part else [], q)
                key = f"{outcome}_p{round(q * 100)}"
                row[key], row[f"{key}_low"], row[f"{key}_high"] = est, low, high
        rows.append(row)
    return pd.DataFrame(rows)


def _fields(result, names) -> dict:
    """The attributes `names` of a fit's result, by name (in that order)."""
    return {name: getattr(result, name) for name in names}


def _covariates(part: pd.DataFrame) -> list[str]:
    return [c for c in ("log_budget", "complexity") if c in part and part[c].notna().all() and part[c].nunique() > 1]


def organisation_effects(
    portfolio: Portfolio,
    min_org_size: int = DEFAULTS.min_org_size,
    min_per_group: int = DEFAULTS.org_min_per_group,
) -> pd.DataFrame:
    """The practice's adjusted effect in each named organisation with at least `min_per_group`
    projects with and without it: one row per organisation × outcome of `META_OUTCOMES` with
    `estimate`, `std_error`, `ci_low`, `ci_high` (outcome units: log ratio, or a fraction for
    adoption), `n`, `n_treated` and `note` (why there is no estimate). OLS with HC2 errors, adjusted
    for log budget and complexity where they vary."""
    data = with_model_columns(portfolio.data)
    groups = organisation_groups(portfolio, min_org_size)
    rows = []
    for group in _named(groups):
        part = data[groups == group]
        treated = int(part["amo"].sum()) if "amo" in part else 0
        for outcome in META_OUTCOMES:
            row = {"group": group, "outcome": outcome, "estimate": np.nan, "std_error": np.nan}
            row.update(ci_low=np.nan, ci_high=np.nan, n=0, n_treated=treated, note="")
            usable = part[part[outcome].notna()] if outcome in part else part.iloc[:0]
            n_with = int(usable["amo"].sum()) if len(usable) else 0
            n_without = len(usable) - n_with
            if min(n_with, n_without) < min_per_group:
                row["n"], row["n_treated"] = len(usable), n_with
                row["note"] = Message("org_effect_too_few", n_with=n_with, n_without=n_without, minimum=min_per_group)
                rows.append(row)
                continue
            try:
                res = estimate_effect(usable, outcome, "amo", _covariates(usable), method="ols")
            except InputError as exc:
                row["note"] = str(exc)
                rows.append(row)
                continue
            row.update(_fields(res, EFFECT_FIELDS))
            rows.append(row)
    table = pd.DataFrame(rows, columns=["group", "outcome", *EFFECT_FIELDS, "note"])
    table["note"] = pd.Series([row["note"] for row in rows], index=table.index, dtype=object)  # keeps i18n.Message
    return table


def meta_analyses(effects: pd.DataFrame, method: str = "pm") -> pd.DataFrame:
    """The random-effects meta-analysis of each outcome's per-organisation effects: one row per
    outcome with `k`, `estimate`, `std_error`, `ci_low`, `ci_high`, `tau2`, `i2`, `q`, `pi_low`,
    `pi_high` (outcome units) and `note` (why it is missing: fewer than 2 organisations with an
    effect)."""
    rows = []
    for outcome in META_OUTCOMES:
        part = effects[(effects["outcome"] == outcome) & np.isfinite(effects["estimate"].astype(float))]
        part = part[part["std_error"].astype(float) > 0]
        row = {"outcome": outcome, "k": len(part)}
        if len(part) < 2:
            row["note"] = Message("org_meta_too_few", k=len(part))
            rows.append(row)
            continue
        res = random_effects(part["estimate"], part["std_error"], method=method)
        row.update(_fields(res, (*META_FIELDS, "knapp_hartung", "note")))
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=["outcome", "k", *META_FIELDS, "knapp_hartung", "note"])
    table["note"] = pd.Series([row.get("note") for row in rows], index=table.index, dtype=object)  # keeps Message
    return table


def pooled_projects(portfolio: Portfolio, seed: int = 0) -> pd.DataFrame:
    """Notebook 02's pooled-projects estimate of each outcome of `META_OUTCOMES` (adjusted OLS with
    the covariates and clustering its design calls for), to set beside the meta-analysis: `outcome`,
    `estimate`, `ci_low`, `ci_high` (outcome units), `cluster`, `note`."""
    from amo_analysis.analyses import practice_effects as pe

    data = with_model_columns(portfolio.data)
    design = pe.design_for(data, pe.resolve_covariates(data, None))
    rows = []
    for outcome in META_OUTCOMES:
        row = {"outcome": outcome, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "note": ""}
        row["cluster"] = design.cluster or ""
        try:
            res = estimate_effect(
                data, outcome, "amo", design.covariates, method="ols", cluster=design.cluster, seed=seed
            )
            row.update(_fields(res, ("estimate", "ci_low", "ci_high")))
            res = None  # its model (an n × p design) is not kept alive through the next outcome's fit
        except InputError as exc:
            row["note"] = str(exc)
        rows.append(row)
    return pd.DataFrame(rows)


def peer_positions(table: pd.DataFrame) -> pd.DataFrame:
    """Each named organisation's median drift and slip as a percentile among the named organisations
    (`scipy.stats.percentileofscore`, kind "mean": 0 % = the lowest median, 100 % = the highest;
    a fraction): one row per organisation × outcome with `median`, `low`, `high`, `percentile`."""
    named = table[table["group"] != OTHERS]
    rows = []
    for outcome in PEER_OUTCOMES:
        medians = named[f"{outcome}_p50"].astype(float)
        finite = medians[np.isfinite(medians)]
        for r in named.to_dict("records"):
            value = r[f"{outcome}_p50"]
            pct = (
                stats.percentileofscore(finite, value, kind="mean") / 100
                if math.isfinite(value) and len(finite)
                else np.nan
            )
            rows.append(
                {
                    "group": r["group"],
                    "outcome": outcome,
                    "median": value,
                    "low": r[f"{outcome}_p50_low"],
                    "high": r[f"{outcome}_p50_high"],
                    "percentile": pct,
                    "k": len(finite),
                }
            )
    return pd.DataFrame(rows, columns=["group", "outcome", "median", "low", "high", "percentile", "k"])


def overall_medians(data: pd.DataFrame) -> dict[str, float]:
    """The whole portfolio's median of each peer outcome (the dashed line of the peer figure)."""
    return {o: float(data[o].median()) for o in PEER_OUTCOMES if o in data}
