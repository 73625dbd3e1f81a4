"""amo_analysis.stats.design: which case holds, what it does to covariates and clustering, and the claims
check when there are too few organisations."""

import numpy as np
import pandas as pd
import pytest

from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats import design
from amo_analysis.analyses import practice_effects as pe
from amo_analysis.report import show_effects

COVARIATES = ["log_budget", "complexity", "organisation"]


def portfolio(practice_of, n_per=8, seed=0):
    """`practice_of(org, i)` → bool; 6 organisations of `n_per` projects."""
    rng = np.random.default_rng(seed)
    rows = []
    for org in range(6):
        for i in range(n_per):
            lb = rng.normal(12, 0.7)
            lcr = 0.1 + 0.05 * (lb - 12) + 0.1 * org + rng.normal(0, 0.3)
            rows.append(
                {
                    "organisation": f"org {org}",
                    "amo": practice_of(org, i),
                    "log_budget": lb,
                    "complexity": int(rng.integers(1, 6)),
                    "log_cost_ratio": lcr,
                    "budget_drift": np.expm1(lcr),
                    "log_duration_ratio": lcr / 2,
                    "schedule_slip": np.expm1(lcr / 2),
                    "adoption_m3": rng.uniform(0.3, 0.9),
                }
            )
    return pd.DataFrame(rows)


def test_practice_decided_per_organisation_drops_organisation_and_clusters():
    d = design.assignment_design(portfolio(lambda org, i: org % 2 == 0), COVARIATES)
    assert d.level == design.ORGANISATION and d.share_within == 0
    assert "organisation" not in d.covariates and d.dropped_organisation
    assert d.cluster == "organisation" and d.n_with == 3 and d.n_without == 3 and d.enough
    assert "decided per organisation" in show_effects.design_text(d)
    assert "se décide par organisation" in show_effects.design_text(d, "fr")


def test_practice_varying_within_organisations_keeps_fixed_effects_without_clustering():
    d = design.assignment_design(portfolio(lambda org, i: i % 2 == 0), COVARIATES)
    assert d.level == design.PROJECT and d.share_within == 1.0
    assert "organisation" in d.covariates and d.cluster is None


def test_mixed_assignment_keeps_fixed_effects_and_clusters():
    # four organisations mixed (32 of 48 projects), two all-or-nothing
    d = design.assignment_design(portfolio(lambda org, i: (i % 2 == 0) if org < 4 else org == 4), COVARIATES)
    assert d.level == design.MIXED and d.share_within == pytest.approx(32 / 48)
    assert "organisation" in d.covariates and d.cluster == "organisation"


def test_user_cluster_is_honoured_and_no_organisation_means_independent_projects():
    data = portfolio(lambda org, i: org % 2 == 0)
    assert design.assignment_design(data, COVARIATES, cluster="complexity").cluster == "complexity"
    d = design.assignment_design(data.drop(columns="organisation"), ["log_budget"])
    assert d.level == design.NONE and d.cluster is None


def test_every_claim_gets_an_interval_when_the_practice_is_decided_per_organisation():
    # before: organisation dummies absorbed the practice and no claim had an interval
    claims = pe.claims_for(portfolio(lambda org, i: org in (0, 2, 5), seed=3), COVARIATES).summary_frame()
    plain = claims[claims["reading"].isin(["relative", "pp"]) & (claims["measure"] != "adoption_m3")]
    assert np.isfinite(plain["ci_low"]).all() and np.isfinite(plain["ci_high"]).all()
    assert (plain["method"] == "ols").all()


def test_one_organisation_with_the_practice_gives_no_verdict_and_says_how_many_are_needed():
    data = portfolio(lambda org, i: org == 0)
    d = design.assignment_design(data, COVARIATES)
    assert not d.enough and d.n_with == 1
    claims = pe.claims_for(data, COVARIATES).summary_frame()
    assert (claims["verdict"] == claims_mod.INCONCLUSIVE).all()
    assert claims["note"].str.contains("Too few organisations for any verdict: 1 organisation").all()
    assert claims["organisations_needed"].notna().any()
    assert "Too few organisations" in show_effects.design_text(d)
