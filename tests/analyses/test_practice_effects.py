"""Tests of amo_analysis.analyses.practice_effects: the effects notebook's analysis on synthetic portfolios
with planted effects, the claims check, detectable effects, records and degenerate portfolios."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from amo_analysis.stats import claims as claims_mod
from amo_analysis.report import plots
from amo_analysis.analyses import balance as balance_checks
from amo_analysis.analyses import claims_check as cc
from amo_analysis.analyses import practice_effects as pe
from amo_analysis.report import show_effects
from amo_analysis.ingest.model_columns import with_model_columns
from amo_analysis.ingest.metrics import derive_metrics
from amo_analysis.synth import PlantedEffects, make_portfolio
from amo_analysis.errors import InputError
from tests.analyses.test_claims_check import fake_estimates

FAST = ("difference", "ols", "ipw", "aipw", "fractional_logit", "log_linear")


def synthetic(n: int, seed: int, **effects) -> pd.DataFrame:
    """A synthetic portfolio with the derived metrics and log_budget, as the notebook sees it."""
    return with_model_columns(derive_metrics(make_portfolio(n, seed, effects=PlantedEffects(**effects))))


@pytest.fixture(scope="module")
def medium():
    data = synthetic(200, 5)
    return data, pe.estimate_all(data, seed=0)


def row(table, outcome, method, scale=None, q=None):
    mask = (table["outcome"] == outcome) & (table["method"] == method)
    if scale is not None:
        mask &= table["scale"] == scale
    if q is not None:
        mask &= np.isclose(table["quantile"], q)
    part = table[mask]
    assert len(part) == 1, (outcome, method, scale, q, len(part))
    return part.iloc[0]


# --------------------------------------------------------------------------------------------
# Shape of the estimates table
# --------------------------------------------------------------------------------------------


def test_estimate_all_has_every_outcome_method_and_scale(medium):
    data, est = medium
    assert list(est.columns) == pe.ESTIMATE_COLUMNS
    # drift and slip: 4 methods + 3 quantiles on two scales each, plus the OLS relative change of the
    # mean; the log-normal AFT of the duration ratio; adoption: 5 (pp) + 2 (relative: OLS ratio of
    # adjusted means, log-linear)
    assert len(est) == 2 * (2 * 7 + 1) + 1 + 5 + 2
    assert est["estimate"].notna().all(), est.loc[est["estimate"].isna(), "note"].tolist()
    assert (est["ci_low"] <= est["estimate"]).all() and (est["estimate"] <= est["ci_high"]).all()
    assert set(est.loc[est["outcome"].isin(["log_cost_ratio", "log_duration_ratio"]), "scale"]) == {pe.PCT}
    assert set(est.loc[est["outcome"].isin(["budget_drift", "schedule_slip"]), "scale"]) == {pe.PP, pe.MEAN_PCT}
    assert sorted(est.loc[est["method"] == "quantile", "quantile"].unique()) == [0.5, 0.8, 0.9]
    assert est.attrs["covariates"] == ["log_budget", "complexity", "project_type", "organisation"]
    # n counts the projects whose outcome is known
    assert row(est, "log_cost_ratio", "ols")["n"] == int(data["cost_actual"].notna().sum())


def test_percent_change_is_back_transformed_log_effect(medium):
    data, est = medium
    from amo_analysis.stats.effects import estimate_effect

    log_fit = estimate_effect(data, "log_cost_ratio", "amo", est.attrs["covariates"], method="ols")
    r = row(est, "log_cost_ratio", "ols")
    assert r["estimate"] == pytest.approx(math.expm1(log_fit.estimate))
    assert r["ci_low"] == pytest.approx(math.expm1(log_fit.ci_low))
    assert r["residual_sd"] == pytest.approx(log_fit.details["residual_sd"])


def test_methods_filter_and_string_covariates():
    data = synthetic(150, 2)
    est = pe.estimate_all(data, "log_budget, complexity", methods=("ols",))
    assert set(est["method"]) == {"ols"}
    assert est.attrs["covariates"] == ["log_budget", "complexity"]


# --------------------------------------------------------------------------------------------
# Planted effects (n = 2 000, confounded generator)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large():
    data = synthetic(2000, 2024)
    return data, pe.estimate_all(
        data,
        seed=0,
        methods=("difference", "ols", "aipw", "log_linear"),
        specs=tuple(s for s in pe.SPECS if s.outcome in ("log_cost_ratio", "adoption_m3") and s.scale == pe.PCT),
    )


def test_adjusted_estimates_recover_planted_cost_effect_and_naive_does_not(large):
    """Tolerance 4 standard errors (false alarm ≈ 6e-5 per check when the SE is right) around the
    sample's true ATE on ln(actual/planned), compared on the log scale."""
    data, est = large
    truth = data.attrs["true_effects"]["log_cost_ratio"]["ate"]
    for method in ("ols", "aipw"):
        r = row(est, "log_cost_ratio", method)
        log_est, log_se = math.log1p(r["estimate"]), r["std_error"] / (1 + r["estimate"])
        assert abs(log_est - truth) < 4 * log_se, (method, log_est, truth, log_se)
        assert r["ci_low"] < math.expm1(truth) < r["ci_high"]
    naive = row(est, "log_cost_ratio", "difference")
    assert math.log1p(naive["estimate"]) - truth > 4 * naive["std_error"] / (1 + naive["estimate"])


def test_claims_on_large_portfolio_use_ols_and_are_not_inconclusive(large):
    data, est = large
    claims = cc.claims_check(
        est,
        len(data),
        claims=[c for c in claims_mod.AMO_CLAIMS if c.key in ("amo_budget_drift.relative", "amo_adoption.relative")],
    )
    by = claims.set_index("claim")
    assert by.loc["amo_budget_drift.relative", "method"] == "ols"
    assert by.loc["amo_adoption.relative", "method"] == "ols"  # the OLS ratio of adjusted means
    # planted −14 % cost: the −18 % relative claim is within reach of a 2 000-project interval
    assert by.loc["amo_budget_drift.relative", "verdict"] in (claims_mod.SUPPORTED, claims_mod.SMALLER)
    assert pd.isna(by.loc["amo_budget_drift.relative", "projects_needed"])


# --------------------------------------------------------------------------------------------
# Degenerate portfolios: a sentence, never a crash
# --------------------------------------------------------------------------------------------


def everything(data, covariates=None):
    """Run the notebook's whole chain; return (estimates, claims, detectable, balance, overlap)."""
    est = pe.estimate_all(data, covariates, methods=FAST, quantiles=(0.5,))
    claims = cc.claims_check(est, len(data))
    det = cc.detectable_effects(est)
    cov = est.attrs["covariates"]
    balance = balance_checks.weighted_balance(data, cov)
    overlap = show_effects.overlap_text(data, cov)
    plt.close(plots.effects_forest(est, claims))
    plt.close(plots.love_plot(balance))
    return est, claims, det, balance, overlap


@pytest.mark.parametrize("value", [True, False])
def test_all_or_no_projects_with_the_practice(value):
    data = synthetic(60, 3).assign(amo=value)
    est, claims, det, balance, overlap = everything(data)
    assert est["estimate"].isna().all()
    which = "treated" if value else "untreated"
    assert est["note"].str.contains(f"complete rows are {which} in 'amo'").all()
    assert (claims["verdict"] == "inconclusive").all()
    assert overlap.startswith("Overlap not assessed:")
    assert balance.empty and "only one value" in balance.attrs["why"]


def test_fewer_projects_than_parameters():
    data = synthetic(120, 4).iloc[:9]
    est, claims, *_ = everything(data)
    ols = est[est["method"] == "ols"]
    assert ols["estimate"].isna().all()
    assert ols["note"].str.contains(r"complete rows for \d+ parameters", regex=True).all()
    assert (claims["verdict"] == "inconclusive").all()


def test_constant_covariate_is_dropped_with_a_note():
    data = synthetic(150, 6).assign(complexity=3)
    est, *_ = everything(data, ["log_budget", "complexity"])
    ols = row(est, "log_cost_ratio", "ols")
    assert math.isfinite(ols["estimate"])
    assert "without variation" in ols["note"] and "complexity" in ols["note"]


def test_perfect_separation_in_propensity_model():
    data = synthetic(150, 7)
    data = data.assign(log_budget=np.where(data["amo"], 14.0, 11.0) + np.linspace(0, 0.5, len(data)))
    est, claims, det, balance, overlap = everything(data, ["log_budget"])
    for method in ("ipw", "aipw"):
        assert row(est, "log_cost_ratio", method)["note"].count("perfect separation") == 1
    assert math.isfinite(row(est, "log_cost_ratio", "ols")["estimate"])
    assert claims.set_index("claim").loc["amo_budget_drift.relative", "method"] == "ols"
    assert "perfect separation" in overlap and "perfect separation" in balance.attrs["note"]


def test_outcome_without_variance():
    data = synthetic(150, 8).assign(adoption_m3=lambda d: d["adoption_m3"].where(d["adoption_m3"].isna(), 0.5))
    est, claims, *_ = everything(data)
    adoption = est[est["outcome"] == "adoption_m3"]
    assert adoption["estimate"].isna().all()
    assert adoption["note"].str.contains("has no variance").all()
    assert math.isfinite(row(est, "log_cost_ratio", "ols")["estimate"])


def test_quantile_regression_with_too_few_projects_per_parameter_is_missing():
    data = synthetic(24, 7)
    est = pe.estimate_all(data, methods=("quantile",), specs=pe.SPECS[:1])
    assert est["estimate"].isna().all()
    assert est["note"].str.contains("not estimable here").all()


# --------------------------------------------------------------------------------------------
# The forest plot
# --------------------------------------------------------------------------------------------


def test_forest_plot_has_a_panel_per_reading_and_marks_claims():
    est = fake_estimates()
    claims = cc.claims_check(est, 100)
    fig = plots.effects_forest(est, claims)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == 8  # drift and slip: three readings each; adoption: two
    stars = [line for ax in visible for line in ax.get_lines() if line.get_marker() == "*"]
    assert len(stars) == len(claims)
    markers = {line.get_marker() for ax in visible for line in ax.get_lines()}
    assert {"o", "s", "D"} <= markers  # methods differ by shape, not only colour
    plt.close(fig)


def test_given_covariates_that_allow_no_adjusted_estimate_are_one_sentence():
    # instead of a table whose adjusted estimates are all missing (n = 0)
    data = synthetic(150, 9)
    with pytest.raises(InputError, match=r"^Parameter 'covariates' names 'nope', which is no column .*: project_id"):
        pe.resolve_covariates(data, ["log_budget", "nope"])
    treated_blank = data.assign(complexity=data["complexity"].where(~data["amo"].astype(bool)))
    with pytest.raises(InputError) as caught:
        pe.resolve_covariates(treated_blank, "log_budget,complexity")
    n_without = int((~data["amo"].astype(bool) & data["complexity"].notna()).sum())
    assert str(caught.value) == (
        "Parameter 'covariates': with the covariates log_budget, complexity, only 0 project(s) with the practice "
        f"and {n_without} without it have every covariate filled in, so no adjusted estimate can be made; the "
        f"covariate most often missing is 'complexity' ({int(treated_blank['complexity'].isna().sum())} projects "
        "without it)."
    )
    with pytest.raises(InputError, match="^Paramètre « covariates » : avec les covariables log_budget, complexity"):
        pe.resolve_covariates(treated_blank, ["log_budget", "complexity"], "fr")
    with pytest.raises(InputError):  # estimate_all checks the covariates it is given the same way
        pe.estimate_all(treated_blank, ["log_budget", "complexity"], methods=("ols",))
    assert pe.resolve_covariates(data, ["log_budget", "complexity"]) == ["log_budget", "complexity"]
    assert pe.resolve_covariates(treated_blank, ["log_budget"]) == ["log_budget"]
