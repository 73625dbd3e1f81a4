"""Tests of amo_analysis.analyses.roi: the simulation recovers planted costs, its intervals rest on the
refits and not on the draws, the fee, its inputs, and the return with adoption's value."""

import numpy as np
import pandas as pd
import pytest

from amo_analysis.errors import InputError
from amo_analysis.analyses.roi import (
    interval_stability,
    portfolio_fee_share,
    simulate_roi,
)


def planted(n=4000, level=0.2, effect=-0.3, sd=0.1, seed=1):
    rng = np.random.default_rng(seed)
    amo = rng.random(n) < 0.4
    return pd.DataFrame(
        {
            "amo": amo,
            "budget_planned": 100_000.0,
            "complexity": 3,
            "log_cost_ratio": level + effect * amo + rng.normal(0, sd, n),
            "amo_cost": np.where(amo, 8_000.0, np.nan),
        }
    )


def test_simulation_recovers_planted_costs():
    # Known answer: cost_without = B·exp(0.2 + e), cost_with = B·exp(0.2 − 0.3 + e), e ~ N(0, 0.1²);
    # E[exp(e)] = exp(0.005). With 4 000 projects the effect's SE is ~0.003, so 1 % tolerances are generous.
    result = simulate_roi(planted(), budget=75_000, fee=5_000, covariates=[], n_draws=20_000, seed=3)
    s = result.summary_frame().set_index("name")
    lognormal = np.exp(0.005)
    without = 75_000 * np.exp(0.2) * lognormal
    with_ = 75_000 * np.exp(-0.1) * lognormal
    assert s.loc["total_without", "value"] == pytest.approx(without, rel=0.01)
    assert s.loc["total_with", "value"] == pytest.approx(with_ + 5_000, rel=0.01)
    assert s.loc["break_even_fee", "value"] == pytest.approx(without - with_, rel=0.02)
    assert s.loc["prevented_per_euro", "value"] == pytest.approx((without - with_) / 5_000, rel=0.02)
    low, high = s.loc["break_even_fee", ["ci_low", "ci_high"]]
    assert low < without - with_ < high
    assert s.loc["p_pays_for_itself", "value"] == 1.0


def test_interval_of_the_cost_without_does_not_depend_on_the_number_of_draws():
    # Residual sd 0.3 on 150 projects: with ~50 draws per bootstrap refit (10 000 draws, 200 refits)
    # the old per-draw averages gave an interval ~20 % wider than with 20 000 draws at the same seed.
    data = planted(n=150, sd=0.3)
    for seed in (0, 1):
        widths = []
        for n_draws in (10_000, 20_000):
            s = simulate_roi(data, budget=75_000, covariates=[], n_draws=n_draws, seed=seed).summary_frame()
            low, high = s.set_index("name").loc["total_without", ["ci_low", "ci_high"]]
            widths.append(high - low)
        assert widths[1] / widths[0] - 1 == pytest.approx(0, abs=0.03)
    table = interval_stability(data, n_draws=2_000, budget=75_000, covariates=[], seed=2)
    assert list(table["n_draws"]) == [2_000, 4_000]
    assert abs(table["width_change"].iloc[1]) < 0.03 and table["width"].iloc[0] > 0


def test_exact_expectations_are_the_limit_of_the_draws():
    # Each refit's exact expectation (mean over all its residuals) is what its draws average to.
    result = simulate_roi(planted(n=150, sd=0.3), budget=75_000, covariates=[], n_bootstrap=20, n_draws=400_000, seed=4)
    counts = np.bincount(result.replicate, minlength=20)
    by_fit = np.bincount(result.replicate, weights=result.cost_without, minlength=20) / counts
    assert by_fit == pytest.approx(result.expected_without, rel=0.01)
    by_fit_with = np.bincount(result.replicate, weights=result.cost_with, minlength=20) / counts
    assert by_fit_with == pytest.approx(result.expected_with, rel=0.01)
    pays = np.bincount(result.replicate, weights=(result.saving > 0).astype(float), minlength=20) / counts
    assert pays == pytest.approx(result.p_pays, abs=0.01)
    s = result.summary_frame().set_index("name")
    assert s.loc["total_without", "value"] == pytest.approx(result.cost_without.mean(), rel=0.01)


def test_no_effect_means_the_fee_is_lost():
    result = simulate_roi(planted(effect=0.0), budget=75_000, fee=7_500, covariates=[], seed=0)
    s = result.summary_frame().set_index("name")
    assert s.loc["saving", "value"] == pytest.approx(-7_500, abs=600)
    assert s.loc["p_pays_for_itself", "value"] < 0.2


def test_seeded_and_deterministic():
    a = simulate_roi(planted(n=200), seed=5)
    b = simulate_roi(planted(n=200), seed=5)
    c = simulate_roi(planted(n=200), seed=6)
    pd.testing.assert_frame_equal(a.summary_frame(), b.summary_frame())
    np.testing.assert_array_equal(a.cost_without, b.cost_without)
    np.testing.assert_array_equal(a.cost_with, b.cost_with)
    assert not a.summary_frame().equals(c.summary_frame())
    # The summary rests on the seeded refits only: the same at any number of draws.
    pd.testing.assert_frame_equal(
        simulate_roi(planted(n=200), n_draws=1_000, seed=5).summary_frame(), a.summary_frame()
    )


def test_fee_defaults_to_portfolio_median_share():
    share, source = portfolio_fee_share(planted(n=100))
    assert share == pytest.approx(0.08) and "median" in source
    assert portfolio_fee_share(planted(n=100).drop(columns="amo_cost"))[0] == 0.10


def test_too_few_projects_is_a_sentence():
    with pytest.raises(InputError, match="at least 12 finished projects"):
        simulate_roi(planted(n=8))
    with pytest.raises(InputError, match="budget must be positive"):
        simulate_roi(planted(), budget=0)


def test_default_budget_is_the_published_example_in_euros_else_the_median():
    from amo_analysis.analyses.roi import default_budget

    data = pd.DataFrame({"budget_planned": [100.0, 300.0, 1_000.0]})
    assert default_budget(data, "EUR") == 75_000
    assert default_budget(data, "hours") == 300.0


def test_the_return_with_adoptions_value_adds_the_planted_adoption_gain():
    from amo_analysis.analyses.roi import with_adoption_value

    data = planted(n=2000)
    rng = np.random.default_rng(4)
    data["adoption_m3"] = np.clip(0.5 + 0.10 * data["amo"] + rng.normal(0, 0.05, len(data)), 0, 1)
    result = simulate_roi(data, budget=100_000.0, n_draws=500, seed=3)
    table = with_adoption_value(data, result, 1_000.0, seed=3).set_index("name")
    assert table.loc["adoption_effect_pp", "value"] == pytest.approx(0.10, abs=0.01)
    assert table.loc["adoption_value", "value"] == pytest.approx(10_000.0, rel=0.1)  # 10 points × 1 000
    without = result.summary_frame().set_index("name").loc["prevented_per_euro", "value"]
    assert table.loc["prevented_per_euro", "value"] == pytest.approx(without)
    gained = table.loc["value_per_euro_with_adoption", "value"] - without
    assert gained == pytest.approx(table.loc["adoption_value", "value"] / result.fee, rel=1e-9)
    low, high = table.loc["value_per_euro_with_adoption", ["ci_low", "ci_high"]]
    assert low < table.loc["value_per_euro_with_adoption", "value"] < high
    assert (
        "Assumption given by you, not a finding" in table.attrs["assumption"] and "1,000" in table.attrs["assumption"]
    )


def test_the_return_with_adoptions_value_says_why_it_is_missing():
    from amo_analysis.analyses.roi import with_adoption_value

    data = planted(n=300)
    result = simulate_roi(data, budget=100_000.0, n_draws=200, seed=1)
    none_given = with_adoption_value(data, result, None, lang="fr")
    assert none_given.empty and "value_per_adoption_point" in none_given.attrs["why"]
    assert "not a finding" not in none_given.attrs.get("assumption", "")
    no_column = with_adoption_value(data, result, 500.0)
    assert no_column.empty and "Only 0 finished projects" in no_column.attrs["why"]
    assert with_adoption_value(data, None, 500.0).attrs["why"].startswith("The ROI simulation could not run")


def test_a_project_type_asked_for_is_modelled_not_ignored():
    # Planted: ERP projects overrun by 0.5 more on the log scale than CRM ones. A project type given in
    # `project` enters the model (it was silently ignored before), so an ERP project costs more.
    data = planted(n=600, seed=2)
    rng = np.random.default_rng(5)  # size and complexity vary (they are in the model) but do not matter
    data["budget_planned"] = rng.lognormal(11.5, 0.5, 600)
    data["complexity"] = rng.integers(1, 6, 600)
    data["project_type"] = np.where(np.arange(600) % 2 == 0, "ERP", "CRM")
    data["log_cost_ratio"] += np.where(data["project_type"] == "ERP", 0.5, 0.0)
    options = dict(budget=75_000, fee=5_000, n_draws=500, n_bootstrap=50, seed=1)
    erp = simulate_roi(data, project={"project_type": "ERP"}, **options)
    crm = simulate_roi(data, project={"project_type": "CRM"}, **options)
    unset = simulate_roi(data, **options)
    assert "project_type" in erp.covariates and "project_type" not in unset.covariates
    cost = {
        name: r.summary_frame().set_index("name").loc["total_without", "value"]
        for name, r in [("erp", erp), ("crm", crm)]
    }
    assert cost["erp"] / cost["crm"] == pytest.approx(np.exp(0.5), rel=0.02)
