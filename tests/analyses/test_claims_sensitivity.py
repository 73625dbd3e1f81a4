"""Tests of amo_analysis.analyses.claims_sensitivity: could something unmeasured explain the claims check?
Synthetic portfolios with a planted strong effect (robust, refuters pass), with an effect that is pure
confounding by an unmeasured variable (the benchmark bounds reach 0), the French sentences, the records'
names, degenerate portfolios and the figure."""

from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import practice_effects as pe
from amo_analysis.analyses import claims_sensitivity as sa
from amo_analysis.analyses import balance as bl
from amo_analysis.analyses import outcome_refutations as rf
from amo_analysis.ingest.model_columns import with_model_columns
from amo_analysis.i18n import translate
from amo_analysis.ingest.metrics import derive_metrics
from amo_analysis.report import plots, show_balance, show_refutations, show_sensitivity
from amo_analysis.stats import sensitivity as sens
from amo_analysis.synth import PlantedEffects, make_portfolio

READINGS = [
    "amo_budget_drift.relative",
    "amo_budget_drift.pp",
    "amo_delay.relative",
    "amo_delay.pp",
    "amo_adoption.relative",
    "amo_adoption.pp",
]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def synthetic(n: int, seed: int, **effects) -> pd.DataFrame:
    """A synthetic portfolio as the notebook sees it (derived metrics and log_budget)."""
    return with_model_columns(derive_metrics(make_portfolio(n, seed, effects=PlantedEffects(**effects))))


def strong_case():
    """A strong planted effect, practice assigned at random: nothing to confound it: (data, design,
    sensitivity, refutations)."""
    data = synthetic(400, 3, amo_log_cost=-0.45, amo_log_duration=-0.35, amo_adoption_logit=1.6, confounding=0.0)
    design = pe.design_for(data, pe.resolve_covariates(data, None))
    estimates = pe.estimate_all(data, design.covariates, cluster=design.cluster, methods=("ols",))
    return data, design, sa.claims_sensitivity(data, design, estimates), rf.refute_outcomes(data, design, seed=7)


@pytest.fixture(scope="module")
def strong():
    return strong_case()


def confounded(n: int = 600, seed: int = 11) -> pd.DataFrame:
    """No effect of the practice at all: an unmeasured factor U raises both the chance of the practice and
    every outcome, about as strongly as the (measured) budget does."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)  # measured: size
    u = rng.normal(size=n)  # unmeasured
    amo = 0.9 * z + 0.9 * u + rng.normal(size=n) > 0
    log_cost = 0.12 * z + 0.12 * u + rng.normal(0, 0.2, n)
    log_duration = 0.10 * z + 0.10 * u + rng.normal(0, 0.15, n)
    adoption = np.clip(0.55 + 0.06 * z + 0.06 * u + rng.normal(0, 0.12, n), 0, 1)
    return pd.DataFrame(
        {
            "amo": amo,
            "log_budget": np.log(200_000) + 0.6 * z,
            "complexity": rng.integers(1, 6, n).astype(float),
            "log_cost_ratio": log_cost,
            "budget_drift": np.expm1(log_cost),
            "log_duration_ratio": log_duration,
            "schedule_slip": np.expm1(log_duration),
            "adoption_m3": adoption,
        }
    )


def row(result: sa.ClaimsSensitivity, claim: str) -> pd.Series:
    part = result.summary[result.summary["claim"] == claim]
    assert len(part) == 1, claim
    return part.iloc[0]


# --------------------------------------------------------------------------------------------
# Which readings, and the numbers
# --------------------------------------------------------------------------------------------


def test_readings_are_the_ols_claim_readings():
    assert list(sa.CLAIM_READINGS) == READINGS
    transforms = {r.claim.key: r.transform for r in sa.claim_readings()}
    assert transforms["amo_budget_drift.relative"] == sa.LOG
    assert transforms["amo_adoption.relative"] == sa.RATIO
    assert transforms["amo_delay.pp"] == sa.IDENTITY


def test_numbers_follow_sensemakr_from_the_classical_ols_fit(strong):
    data, design, result, _ = strong
    r = row(result, "amo_budget_drift.relative")
    fit = pe.effects.estimate_effect(data, "log_cost_ratio", "amo", design.covariates, method="ols").model
    t, dof = fit.tvalues[1], fit.df_resid
    assert r["t"] == pytest.approx(t) and r["dof"] == dof
    assert r["partial_r2"] == pytest.approx(t * t / (t * t + dof))
    f = abs(t) / np.sqrt(dof)
    assert r["rv"] == pytest.approx(0.5 * (np.sqrt(f**4 + 4 * f**2) - f**2))
    assert 0 < r["rv_alpha"] < r["rv"] < 1
    # E-value of d = β / residual SD through RR ≈ exp(0.91·d), ratio inverted below 1
    rr = np.exp(0.91 * abs(r["coefficient"] / r["residual_sd"]))
    assert r["evalue"] == pytest.approx(rr + np.sqrt(rr * (rr - 1)))
    # the reading's estimate is exp(β) − 1 on the log ratio; adoption's relative one is β ÷ mean without
    assert r["estimate"] == pytest.approx(np.expm1(r["coefficient"]))
    adopt = row(result, "amo_adoption.relative")
    res = pe.effects.estimate_effect(data, "adoption_m3", "amo", design.covariates, method="ols")
    assert adopt["estimate"] == pytest.approx(res.estimate / res.details["ratio_of_means"]["control_mean"])
    assert adopt["estimate"] == pytest.approx(res.details["ratio_of_means"]["estimate"])  # the claims check's
    assert adopt["rv"] == pytest.approx(row(result, "amo_adoption.pp")["rv"])
    # the benchmark's partial R²s, read off the fits, are sensemakr's (`benchmark_partial_r2`)
    strength = sens.benchmark_partial_r2(data, "log_cost_ratio", "amo", design.covariates, r["benchmark"])
    assert r["benchmark_share"] == pytest.approx(max(strength.r2dxj_x, strength.r2yxj_dx))
    one_x = result.bounds[
        (result.bounds["claim"] == r["claim"])
        & (result.bounds["benchmark"] == r["benchmark"])
        & (result.bounds["k"] == 1)
    ].iloc[0]
    assert one_x["r2dz_x"] == pytest.approx(strength.r2dxj_x / (1 - strength.r2dxj_x))
    # the interval is the claims check's (adjusted OLS, HC2): the same with or without `estimates`
    alone = sa.claims_sensitivity(data, design)
    assert row(alone, "amo_delay.pp")["ci_low"] == pytest.approx(row(result, "amo_delay.pp")["ci_low"])


# --------------------------------------------------------------------------------------------
# A strong effect: robust, and the refuters pass
# --------------------------------------------------------------------------------------------


def test_strong_planted_effect_is_robust(strong):
    _, _, result, _ = strong
    for claim in READINGS:
        r = row(result, claim)
        assert r["verdict"] == sa.ROBUST, (claim, r["rv"], r["rv_alpha"], r["benchmark_share"])
        assert show_sensitivity.sentence(r, "en").startswith(
            "Robust: an unmeasured factor would have to explain more than"
        )
    cost = row(result, "amo_budget_drift.relative")
    assert cost["benchmark"] in ("log_budget", "complexity") and cost["rv_alpha"] > cost["benchmark_share"]
    # even 3x the strongest covariate leaves the interval away from 0
    bounds = result.bounds[result.bounds["claim"] == "amo_budget_drift.relative"]
    assert len(bounds) == 1 + 2 * 3 and not bounds["reaches_zero"].any()


def test_strong_planted_effect_passes_every_refuter(strong):
    _, _, _, refutations = strong
    assert len(refutations) == 3 * 4
    assert refutations["passed"].all(), refutations[["outcome", "key", "passed", "p_value"]]
    placebo = refutations[refutations["key"] == "placebo_practice"]
    assert (placebo["p_value"] <= 0.05).all() and (placebo["draws"] == 200).all()
    assert set(refutations["shuffled"]) >= {"across projects"}
    sentence = show_refutations.refutation_sentence(placebo.iloc[0], "en")
    assert sentence.startswith("The real practice stands out from 200 placebo practices shuffled across projects")


def test_null_effect_is_not_called_robust():
    data = synthetic(
        300,
        4,
        amo_log_cost=0.0,
        amo_log_duration=0.0,
        amo_adoption_logit=0.0,
        amo_framing_answer_prob=0.0,
        amo_pitfall_reduction=0.0,
        confounding=0.0,
    )
    design = pe.design_for(data, pe.resolve_covariates(data, None))
    result = sa.claims_sensitivity(data, design)
    verdicts = set(result.summary["verdict"])
    assert sa.ROBUST not in verdicts and sa.UNCERTAIN in verdicts
    uncertain = result.summary[result.summary["verdict"] == sa.UNCERTAIN].iloc[0]
    assert show_sensitivity.sentence(uncertain, "en").startswith("Not established to begin with")


# --------------------------------------------------------------------------------------------
# Pure confounding by an unmeasured variable: the benchmark bounds reach 0
# --------------------------------------------------------------------------------------------


def test_pure_confounding_is_explained_away_by_a_confounder_like_the_budget():
    data = confounded()
    design = pe.design_for(data, ["log_budget", "complexity"])
    result = sa.claims_sensitivity(data, design)
    for claim in ("amo_budget_drift.relative", "amo_delay.pp", "amo_adoption.pp"):
        r = row(result, claim)
        assert r["established"], claim  # the confounding alone makes a "significant" effect
        b = result.bounds[(result.bounds["claim"] == claim) & (result.bounds["benchmark"] == "log_budget")]
        assert list(b["k"]) == [1.0, 2.0, 3.0]
        sign = np.sign(r["estimate"])
        # at some k the bias-adjusted estimate has reached 0 (crossed it)...
        assert (sign * b["estimate"] <= 0).any(), (claim, b[["k", "estimate"]])
        # ...and already at k = 1 its interval holds 0: a confounder as strong as the budget explains it
        assert b.iloc[0]["reaches_zero"], (claim, b.iloc[0])
        assert r["verdict"] in (sa.FRAGILE, sa.DIRECTION)


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Nothing fails on what cannot be computed; seeds; balance additions; figure
# --------------------------------------------------------------------------------------------


def test_degenerate_portfolio_gives_reasons_not_errors(strong):
    data = strong[0].assign(amo=True)
    design = pe.design_for(data, pe.resolve_covariates(data, None))
    result = sa.claims_sensitivity(data, design)
    assert (result.summary["verdict"] == sa.NOT_ASSESSED).all() and result.bounds.empty
    assert result.summary["note"].str.len().gt(0).all()
    assert show_sensitivity.sentence(result.summary.iloc[0], "en").startswith("Not assessed for the cost drift")
    refutations = rf.refute_outcomes(data, design)
    assert refutations["passed"].isna().all() and refutations["note"].str.contains("only one value").all()
    assert show_refutations.refutation_display(refutations, "fr")["résultat"].eq("non effectué").all()
    assert bl.variance_ratio_table(data, design.covariates).attrs["why"]
    assert bl.weights_ess(data, design.covariates).attrs["why"]
    assert bl.weight_diagnostics(data, design.covariates).ess.attrs["why"]
    fig = plots.sensitivity_bounds(result.bounds, "fr")
    assert "Aucune borne" in fig.axes[0].texts[0].get_text()


def test_refuters_follow_the_seed_and_shuffle_organisations_when_clustered(strong):
    data, design, _, first = strong
    again = rf.refute_outcomes(data, design, seed=7)
    pd.testing.assert_frame_equal(first, again)
    other = rf.refute_outcomes(data, design, seed=8)
    assert not np.allclose(first["refuted_estimate"], other["refuted_estimate"])
    # the practice decided per organisation: placebo practices and subsets by organisation
    per_org = data.assign(amo=data["organisation"].isin(sorted(data["organisation"].unique())[:2]))
    org_design = pe.design_for(per_org, pe.resolve_covariates(per_org, None))
    assert org_design.cluster == "organisation"
    table = rf.refute_outcomes(per_org, org_design, seed=0)
    placebo = table[table["key"] == "placebo_practice"]
    assert placebo["shuffled"].str.startswith("across organisations").all()
    assert (table.loc[table["key"] == "data_subsets", "unit"] == "organisations").all()


def test_balance_additions(strong):
    data, design, _, _ = strong
    weighting = bl.weight_diagnostics(data, design.covariates)
    ratios = weighting.variance_ratios
    pd.testing.assert_frame_equal(ratios, bl.variance_ratio_table(data, design.covariates))
    assert {"log_budget", "complexity"} <= set(ratios["covariate"])
    assert ratios["variance_ratio_weighted"].notna().all()
    outside = (ratios["variance_ratio"] < 0.5) | (ratios["variance_ratio"] > 2)
    assert (ratios["flagged"] == outside).all()
    ess = weighting.ess.set_index("group")
    pd.testing.assert_frame_equal(weighting.ess, bl.weights_ess(data, design.covariates))
    assert ess.loc["all", "n"] == ess.loc["treated", "n"] + ess.loc["control", "n"]
    assert (ess["ess"] <= ess["n"] + 1e-9).all() and (ess["ess"] > 0).all()
    shown = show_balance.ess_display(ess.reset_index(), "fr")
    assert list(shown.iloc[:, 0]) == ["avec AMO", "sans AMO", translate("all_projects", "fr")]


def test_bounds_figure_has_a_bar_per_row_and_a_panel_per_outcome(strong):
    _, _, result, _ = strong
    fig = plots.sensitivity_bounds(result.bounds, "en")
    assert len(fig.axes) == 3  # relative readings of cost, delay and adoption
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "estimate (no hidden factor)" and "1× the budget" in labels and "3× complexity" in labels
    assert len(fig.axes[0].patches) == 7
    fr = plots.sensitivity_bounds(result.bounds, "fr", scales=("percentage points",))
    assert fr.axes[0].get_title() == "dérive budgétaire — points de pourcentage"


def test_the_claims_checks_own_ols_fits_stand_in_for_refits_with_the_same_numbers(monkeypatch):
    """`claims_sensitivity(..., fits=)` reads each outcome's classical OLS numbers from the fit the claims
    check kept (`estimate_all(keep=)`) instead of fitting it again (at 10⁶ projects: 14 s → 3 s for the
    notebook's sensitivity step): the same table to the bit, no OLS refit; a kept fit over other rows
    (here an estimate on part of the portfolio) is not used."""
    data = synthetic(300, 5, amo_log_cost=-0.2, amo_log_duration=-0.1, amo_adoption_logit=0.5)
    data.loc[data.index[::7], "adoption_m3"] = np.nan  # rows differ between outcomes
    design = pe.design_for(data, pe.resolve_covariates(data, None))
    fits: dict = {}
    estimates = pe.estimate_all(data, design.covariates, cluster=design.cluster, methods=("ols",), keep=fits)
    refitted = sa.claims_sensitivity(data, design, estimates)
    calls = []
    real = sa.effects.estimate_effect
    monkeypatch.setattr(
        sa.effects,
        "estimate_effect",
        lambda *a, **k: calls.append(a[1]) or real(*a, **k),  # outcome
    )
    reused = sa.claims_sensitivity(data, design, estimates, fits=fits)
    assert calls == []
    pd.testing.assert_frame_equal(reused.summary, refitted.summary)
    pd.testing.assert_frame_equal(reused.bounds, refitted.bounds)
    # fits of another subset of rows: refitted, same table as without them
    other: dict = {}
    pe.estimate_all(data.iloc[10:], design.covariates, cluster=design.cluster, methods=("ols",), keep=other)
    calls.clear()
    guarded = sa.claims_sensitivity(data, design, estimates, fits=other)
    assert calls and set(calls) <= {
        "log_cost_ratio",
        "log_duration_ratio",
        "budget_drift",
        "schedule_slip",
        "adoption_m3",
    }
    pd.testing.assert_frame_equal(guarded.summary, refitted.summary)
