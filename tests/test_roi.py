import numpy as np
import pandas as pd
import pytest

from amo_analysis.errors import InputError
from amo_analysis.roi import decode_published_example, portfolio_fee_share, simulate_roi


def planted(n=4000, level=0.2, effect=-0.3, sd=0.1, seed=1):
    rng = np.random.default_rng(seed)
    amo = rng.random(n) < 0.4
    return pd.DataFrame({"amo": amo, "budget_planned": 100_000.0, "complexity": 3,
                         "log_cost_ratio": level + effect * amo + rng.normal(0, sd, n),
                         "amo_cost": np.where(amo, 8_000.0, np.nan)})


def test_published_example_decoded():
    table = decode_published_example().set_index("quantity")["value"]
    assert table["fee"] == 7_500
    assert table["baseline drift without the practice"] == pytest.approx(0.2667, abs=1e-4)
    assert table["residual drift with the practice"] == pytest.approx(0.0)
    assert table["net saving per unit of fee"] == pytest.approx(1.6667, abs=1e-4)   # the stated "1.7"
    assert table["gross drift prevented per unit of fee"] == pytest.approx(2.6667, abs=1e-4)


def test_simulation_recovers_planted_costs():
    # Known answer: cost_without = B·exp(0.2 + e), cost_with = B·exp(0.2 − 0.3 + e), e ~ N(0, 0.1²);
    # E[exp(e)] = exp(0.005). With 4 000 projects the effect's SE is ~0.003, so 1 % tolerances are generous.
    result = simulate_roi(planted(), budget=75_000, fee=5_000, covariates=[], n_draws=20_000, seed=3)
    s = result.summary().set_index("name")
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


def test_no_effect_means_the_fee_is_lost():
    result = simulate_roi(planted(effect=0.0), budget=75_000, fee=7_500, covariates=[], seed=0)
    s = result.summary().set_index("name")
    assert s.loc["saving", "value"] == pytest.approx(-7_500, abs=600)
    assert s.loc["p_pays_for_itself", "value"] < 0.2


def test_seeded_and_deterministic():
    a = simulate_roi(planted(n=200), seed=5).summary()
    b = simulate_roi(planted(n=200), seed=5).summary()
    c = simulate_roi(planted(n=200), seed=6).summary()
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_fee_defaults_to_portfolio_median_share():
    share, source = portfolio_fee_share(planted(n=100))
    assert share == pytest.approx(0.08) and "median" in source
    assert portfolio_fee_share(planted(n=100).drop(columns="amo_cost"))[0] == 0.10


def test_too_few_projects_is_a_sentence():
    with pytest.raises(InputError, match="at least 12 finished projects"):
        simulate_roi(planted(n=8))
    with pytest.raises(InputError, match="budget must be positive"):
        simulate_roi(planted(), budget=0)


def test_example_vs_portfolio_flags_a_contradicted_assumption():
    from amo_analysis.roi import example_vs_portfolio

    data = planted(n=600, level=0.05, effect=0.0)
    data["budget_drift"] = np.exp(data["log_cost_ratio"]) - 1
    result = simulate_roi(data, budget=75_000, covariates=[], seed=0)
    table = example_vs_portfolio(data, result).set_index("assumption")
    # Baseline drift here is ~5 %, far from the example's implied 26.7 %: contradicted.
    assert table.loc["baseline drift without the practice", "verdict"] == "contradicted"
    assert table.loc["fee share of the budget", "estimate"] == pytest.approx(0.08)
    assert set(table["verdict"]) <= {"consistent", "contradicted", "inconclusive"}


def test_default_budget_is_the_published_example_in_euros_else_the_median():
    from amo_analysis.roi import default_budget

    data = pd.DataFrame({"budget_planned": [100.0, 300.0, 1_000.0]})
    assert default_budget(data, "EUR") == 75_000
    assert default_budget(data, "hours") == 300.0
