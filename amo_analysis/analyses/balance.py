"""Covariate balance between projects with and without the practice, as the notebooks show it (the
statistics are `stats.effects.propensity`'s): standardised mean differences (`covariate_balance`,
notebook 01; `weighted_balance`, before and after inverse-probability weighting, notebook 02), variance
ratios of each covariate before and after weighting (flagged outside `VARIANCE_RATIO_RANGE`, 0.5–2) and
Kish's effective sample size of the weights per group, (Σw)² ÷ Σw². The tables' words are in
`report.show_balance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from amo_analysis.errors import InputError
from amo_analysis.i18n import Message
from amo_analysis.ingest.model_columns import default_covariates
from amo_analysis.stats import effects

#: variance ratios outside this range are flagged
VARIANCE_RATIO_RANGE = (0.5, 2.0)

# --------------------------------------------------------------------------------------------
# Standardised mean differences
# --------------------------------------------------------------------------------------------


def covariate_balance(data: pd.DataFrame, covariates=None, weights=None) -> pd.DataFrame:
    """Standardised mean differences between projects with and without the practice.

    One row per covariate (categories expanded), `covariate` as a column; covariates default to
    `default_covariates(data)`. See `effects.balance_table` for the definition.
    When the data cannot support a comparison (every project with the practice, or none, or no
    covariate that varies) the table is empty and ``attrs["why"]`` says why, in one sentence.
    """
    covariates = default_covariates(data) if covariates is None else list(covariates)
    try:
        table = effects.balance_table(data, "amo", covariates, weights=weights)
    except effects.EffectError as exc:
        empty = pd.DataFrame(columns=["covariate", "mean_treated", "mean_control", "smd_unweighted"])
        empty.attrs["why"] = f"Covariate balance not computed: {exc}"
        return empty
    return table.rename_axis("covariate").reset_index()


def weighted_balance(data: pd.DataFrame, covariates, treatment: str = "amo") -> pd.DataFrame:
    """Covariate balance before and after stabilised ATE inverse-probability weighting.

    When the weights cannot be computed the unweighted table is returned and ``attrs["note"]``
    says why (``attrs["why"]`` when no balance can be computed at all)."""
    try:
        weights = effects.ipw_weights(data, treatment, covariates)
    except InputError as exc:
        table = covariate_balance(data, covariates)
        table.attrs["note"] = Message("pe_balance_unavailable", why=str(exc))
        return table
    table = covariate_balance(data, covariates, weights=weights)
    table.attrs["note"] = Message("pe_balance_weighted")
    return table


# --------------------------------------------------------------------------------------------
# Variance ratios and effective sample size of the weights
# --------------------------------------------------------------------------------------------


def ipw_weights(data: pd.DataFrame, covariates, treatment: str = "amo") -> tuple[pd.Series | None, str]:
    """Stabilised ATE inverse-probability weights (`stats.effects.ipw_weights`, the weights of the balance
    table) aligned with `data` (NaN where a row was not used), or None and the reason."""
    try:
        w = effects.ipw_weights(data, treatment, list(covariates))
    except (InputError, np.linalg.LinAlgError) as exc:
        return None, str(exc)
    return w.reindex(data.index), ""


@dataclass
class WeightDiagnostics:
    """The balance additions: `variance_ratios` (`variance_ratio_table`) and `ess` (`weights_ess`), from
    one fit of the propensity model."""

    variance_ratios: pd.DataFrame
    ess: pd.DataFrame


def weight_diagnostics(data: pd.DataFrame, covariates, treatment: str = "amo") -> WeightDiagnostics:
    """Variance ratios and effective sample sizes of the stabilised IPW weights, fitted once."""
    weights, why = ipw_weights(data, covariates, treatment)
    return WeightDiagnostics(
        variance_ratio_table(data, covariates, treatment, weights, why),
        weights_ess(data, covariates, treatment, weights, why),
    )


def variance_ratio_table(
    data: pd.DataFrame, covariates, treatment: str = "amo", weights=None, why: str | None = None
) -> pd.DataFrame:
    """Variance ratio (variance with ÷ without the practice; a pure number) of each covariate column,
    unweighted and after stabilised inverse-probability weighting, each flagged outside 0.5–2
    (`stats.effects.variance_ratios`). `weights` (aligned with `data`) and `why` as `ipw_weights`
    returns them; fitted here when both are None. Columns: covariate, variance_ratio, flagged,
    variance_ratio_weighted, flagged_weighted. `attrs["note"]` says when the weighted ratios are
    missing; an empty table has `attrs["why"]`."""
    covariates = list(covariates)
    low, high = VARIANCE_RATIO_RANGE
    try:
        plain = effects.variance_ratios(data, treatment, covariates, low=low, high=high)
    except InputError as exc:
        empty = pd.DataFrame(
            columns=["covariate", "variance_ratio", "flagged", "variance_ratio_weighted", "flagged_weighted"]
        )
        empty.attrs["why"] = f"Variance ratios not computed: {exc}"
        return empty
    table = plain[["variance_ratio", "flagged"]].copy()
    if weights is None and why is None:
        weights, why = ipw_weights(data, covariates, treatment)
    if weights is not None:
        weighted = effects.variance_ratios(
            data, treatment, covariates, weights=np.asarray(weights, dtype=float), low=low, high=high
        )
        table["variance_ratio_weighted"] = weighted["variance_ratio"].reindex(table.index)
        table["flagged_weighted"] = weighted["flagged"].reindex(table.index).astype("boolean")
        table.attrs["note"] = ""
    else:
        table["variance_ratio_weighted"] = np.nan
        table["flagged_weighted"] = pd.array([pd.NA] * len(table), dtype="boolean")
        table.attrs["note"] = f"Weighted variance ratios not available: {why}"
    out = table.rename_axis("covariate").reset_index()
    out.attrs = dict(table.attrs)
    return out


def weights_ess(
    data: pd.DataFrame, covariates, treatment: str = "amo", weights=None, why: str | None = None
) -> pd.DataFrame:
    """Kish's effective sample size (projects) of the stabilised IPW weights with the practice, without
    and overall, beside the number of projects, and their ratio (fraction): how many equally weighted
    projects the weighted comparison is worth. `weights` and `why` as for `variance_ratio_table`.
    Columns: group ("treated", "control", "all"), n, ess, ess_share. An empty table has
    `attrs["why"]`."""
    if weights is None and why is None:
        weights, why = ipw_weights(data, covariates, treatment)
    if weights is None:
        empty = pd.DataFrame(columns=["group", "n", "ess", "ess_share"])
        empty.attrs["why"] = f"Effective sample size not computed: {why}"
        return empty
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(w)
    practice = data[treatment].to_numpy()[keep]
    try:
        table = effects.effective_sample_size(w[keep], np.asarray(practice, dtype=float))
    except (InputError, TypeError, ValueError) as exc:
        empty = pd.DataFrame(columns=["group", "n", "ess", "ess_share"])
        empty.attrs["why"] = f"Effective sample size not computed: {exc}"
        return empty
    return table.reset_index()
