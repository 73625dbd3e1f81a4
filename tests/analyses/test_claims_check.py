"""The claims check (`analyses.claims_check`) on a hand-made estimates table: verdicts, the primary method,
the projects an inconclusive claim would need and the minimum detectable effects."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import claims_check as cc
from amo_analysis.analyses import practice_effects as pe
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import power


def fake_estimates(ols=(-0.20, -0.35, -0.05), aipw=(-0.15, -0.30, 0.02), residual_sd=0.4):
    rows = []
    for spec in pe.SPECS:
        for method in spec.methods:
            if method == "quantile":
                continue
            est, low, high = aipw if method == "aipw" else ols
            rows.append(
                {
                    "measure": spec.measure,
                    "outcome": spec.outcome,
                    "scale": spec.scale,
                    "method": method,
                    "quantile": np.nan,
                    "estimand": "ATE",
                    "estimate": est,
                    "ci_low": low,
                    "ci_high": high,
                    "p_value": 0.5,
                    "std_error": 0.1,
                    "n": 100,
                    "n_treated": 40,
                    "residual_sd": residual_sd if method == "ols" else np.nan,
                    "control_mean": 0.5,
                    "note": "",
                }
            )
    return pd.DataFrame(rows, columns=pe.ESTIMATE_COLUMNS)


def test_claims_verdicts_and_primary_method():
    claims = cc.claims_check(fake_estimates(), 100).set_index("claim")
    # OLS interval (−35 %, −5 %) excludes 0 and holds −18 % / −16 %: supported, on every reading
    for reading in ("relative", "pp", "relative_mean"):
        assert claims.loc[f"amo_budget_drift.{reading}", "method"] == "ols"
        assert claims.loc[f"amo_budget_drift.{reading}", "verdict"] == claims_mod.SUPPORTED
    assert claims.loc["amo_delay.pp", "verdict"] == claims_mod.SUPPORTED
    # +26 % adoption lies on the other side of 0 from (−35 %, −5 %): opposite direction
    assert claims.loc["amo_adoption.pp", "verdict"] == claims_mod.OPPOSITE
    assert claims["projects_needed"].isna().all() and claims["organisations_needed"].isna().all()


def test_inconclusive_claims_count_projects_needed():
    est = fake_estimates()
    est.loc[est["method"] == "ols", ["estimate", "ci_low", "ci_high"]] = (-0.1, -0.3, 0.1)
    est.loc[(est["method"] == "ols") & (est["outcome"] == "adoption_m3"), ["estimate", "ci_low", "ci_high"]] = (
        0.1,
        -0.1,
        0.4,
    )
    claims = cc.claims_check(est, 100).set_index("claim")
    rel = claims.loc["amo_budget_drift.relative"]
    assert rel["method"] == "ols" and rel["verdict"] == claims_mod.INCONCLUSIVE
    # relative reading: ln(0.82) on the log outcome, residual SD 0.4, 60 control for 40 treated
    assert rel["projects_needed"] == power.projects_needed(math.log(0.82), 0.4, ratio=60 / 40)
    assert "ln(1 -0.18)" in rel["assumption"]
    pp = claims.loc["amo_budget_drift.pp"]
    assert pp["projects_needed"] == power.projects_needed(-0.18, 0.4, ratio=1.5)
    # relative readings of a mean: the claim as points of the untreated mean
    mean = claims.loc["amo_budget_drift.relative_mean"]
    assert mean["projects_needed"] == power.projects_needed(-0.18 * 0.5, 0.4, ratio=1.5)
    adoption = claims.loc["amo_adoption.relative"]
    assert adoption["method"] == "ols"
    assert adoption["projects_needed"] == power.projects_needed(0.26 * 0.5, 0.4, ratio=1.5)


def test_missing_ols_estimate_gives_no_verdict_and_says_why():
    est = fake_estimates()
    est.loc[est["method"] == "ols", ["estimate", "ci_low", "ci_high"]] = np.nan
    est.loc[est["method"] == "ols", "note"] = "Only 5 complete rows."
    claims = cc.claims_check(est, 100).set_index("claim")
    rel = claims.loc["amo_budget_drift.relative"]
    assert rel["verdict"] == claims_mod.INCONCLUSIVE and "Only 5 complete rows." in rel["note"]


def test_claim_without_any_estimate_says_why():
    est = fake_estimates()
    est[["estimate", "ci_low", "ci_high", "residual_sd"]] = np.nan
    est["note"] = "All 100 complete rows are treated in 'amo'."
    claims = cc.claims_check(est, 100)
    assert (claims["verdict"] == claims_mod.INCONCLUSIVE).all()
    assert claims["projects_needed"].isna().all()
    assert claims["note"].str.contains("All 100 complete rows are treated").all()


def test_detectable_effects_match_power_module():
    det = cc.detectable_effects(fake_estimates()).set_index(["outcome", "scale"])
    mde = power.minimum_detectable_effect(40, 60, 0.4)
    assert det.loc[("budget_drift", pe.PP), "mde_increase"] == pytest.approx(mde)
    assert det.loc[("log_cost_ratio", pe.PCT), "mde_decrease"] == pytest.approx(math.expm1(-mde))
    assert det.loc[("adoption_m3", pe.PCT), "mde_increase"] == pytest.approx(mde / 0.5)
