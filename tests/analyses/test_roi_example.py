"""Tests of amo_analysis.analyses.roi_example: both readings of the published example reproduce its
numbers, what each implies, and the check of each implied assumption against planted portfolios."""

import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses.roi import simulate_roi
from amo_analysis.analyses.roi_example import (
    READINGS,
    decode_published_example,
    drift_cut_cis,
    example_vs_portfolio,
    published_figures,
)
from tests.analyses.test_roi import planted


def test_both_readings_reproduce_the_published_numbers():
    table = decode_published_example().set_index("quantity")
    for reading in READINGS:
        implied = table[f"{reading}_reading"]
        stated = published_figures(
            75_000,
            implied["fee"],
            implied["baseline drift without the practice"],
            implied["residual drift with the practice"],
            reading,
        )
        assert stated["total_without"] == pytest.approx(95_000, rel=1e-12)
        assert stated["total_with"] == pytest.approx(82_500, rel=1e-12)
        assert stated["saving"] == pytest.approx(12_500, rel=1e-12)
        assert stated["per_euro"] == pytest.approx(12_500 / 7_500, rel=1e-12)
        assert round(stated["per_euro"], 1) == 1.7  # the article's "1.7"
        assert implied["fee"] == 7_500
    # The readings differ in what 82 500 is: the other reading's assumptions give other figures.
    net = table["net_reading"]
    assert (
        published_figures(
            75_000, 7_500, net["baseline drift without the practice"], net["residual drift with the practice"], "gross"
        )["total_with"]
        == 75_000
    )


def test_what_each_reading_implies():
    t = decode_published_example().set_index("quantity")
    net, gross = t["net_reading"], t["gross_reading"]
    assert (
        net["baseline drift without the practice"]
        == gross["baseline drift without the practice"]
        == pytest.approx(0.2667, abs=1e-4)
    )
    # net: 82 500 includes the fee: no drift at all with the practice, 12 500 is the net saving.
    assert net["residual drift with the practice"] == pytest.approx(0.0)
    assert net["drift cut, in points"] == pytest.approx(0.2667, abs=1e-4)
    assert net["relative drift cut"] == pytest.approx(1.0)
    assert net["net saving"] == pytest.approx(12_500) and net["gross drift prevented"] == pytest.approx(20_000)
    assert net["net saving per unit of fee"] == pytest.approx(1.6667, abs=1e-4)
    assert net["gross drift prevented per unit of fee"] == pytest.approx(2.6667, abs=1e-4)
    # gross: 82 500 excludes the fee: 10 % residual drift, 12 500 is the drift prevented.
    assert gross["residual drift with the practice"] == pytest.approx(0.10)
    assert gross["drift cut, in points"] == pytest.approx(0.1667, abs=1e-4)
    assert gross["relative drift cut"] == pytest.approx(0.625)
    assert gross["gross drift prevented"] == pytest.approx(12_500) and gross["net saving"] == pytest.approx(5_000)
    assert gross["gross drift prevented per unit of fee"] == pytest.approx(1.6667, abs=1e-4)
    assert gross["net saving per unit of fee"] == pytest.approx(0.6667, abs=1e-4)
    assert gross["total cost with the practice, fee included"] == pytest.approx(90_000)
    with pytest.raises(ValueError, match="unknown reading"):
        published_figures(75_000, 7_500, 0.2, 0.1, "literal")


def test_example_vs_portfolio_flags_a_contradicted_assumption():
    data = planted(n=600, level=0.05, effect=0.0)
    data["budget_drift"] = np.exp(data["log_cost_ratio"]) - 1
    result = simulate_roi(data, budget=75_000, covariates=[], seed=0)
    table = example_vs_portfolio(data, result).set_index("assumption")
    # Baseline drift here is ~5 %, far from the example's implied 26.7 % (both readings): contradicted.
    assert table.loc["baseline drift without the practice", "verdict_net"] == "contradicted"
    assert table.loc["baseline drift without the practice", "verdict_gross"] == "contradicted"
    assert table.loc["fee share of the budget", "estimate"] == pytest.approx(0.08)
    assert set(table["verdict_net"]) | set(table["verdict_gross"]) <= {"consistent", "contradicted", "inconclusive"}


def test_example_vs_portfolio_tells_the_two_readings_apart():
    # Planted: mean drift 26.7 % without the practice and 10 % with it (the gross reading), fee 10 %.
    base, resid = np.log(95_000 / 75_000) - 0.005, np.log(82_500 / 75_000) - 0.005
    data = planted(n=3000, level=base, effect=resid - base, seed=3)
    data["amo_cost"] = np.where(data["amo"], 10_000.0, np.nan)
    data["budget_drift"] = np.exp(data["log_cost_ratio"]) - 1
    result = simulate_roi(data, budget=75_000, fee=7_500, covariates=[], seed=0)
    table = example_vs_portfolio(data, result).set_index("assumption")
    for row in (
        "residual drift with the practice",
        "drift cut, in points",
        "relative drift cut",
        "gross drift prevented per unit of fee",
        "net saving per unit of fee",
    ):
        assert table.loc[row, "verdict_gross"] == "consistent", row
        assert table.loc[row, "verdict_net"] == "contradicted", row
    assert table.loc["baseline drift without the practice", ["verdict_net", "verdict_gross"]].tolist() == [
        "consistent",
        "consistent",
    ]
    assert table.loc["drift cut, in points", "implied_gross"] == pytest.approx(1 / 6)


def test_drift_cut_intervals_bootstrap_and_analytic_agree():
    rng = np.random.default_rng(7)
    without, with_ = pd.Series(0.25 + rng.normal(0, 0.2, 6_000)), pd.Series(0.10 + rng.normal(0, 0.2, 4_000))
    analytic = drift_cut_cis(without, with_, seed=0)  # above ANALYTIC_N: Welch / delta
    boot = drift_cut_cis(without.iloc[:5_000], with_, seed=0)  # bootstrap
    for key in ("points", "relative"):
        assert analytic[key][1] < analytic[key][0] < analytic[key][2]
        assert boot[key][1] < boot[key][0] < boot[key][2]
        assert analytic[key][2] - analytic[key][1] == pytest.approx(boot[key][2] - boot[key][1], rel=0.15)
    # A baseline drift whose interval reaches 0: no relative interval.
    near_zero = drift_cut_cis(pd.Series(rng.normal(0, 0.2, 50)), pd.Series(rng.normal(0, 0.2, 50)), seed=0)
    assert np.isnan(near_zero["relative"][1]) and np.isfinite(near_zero["points"][1])
