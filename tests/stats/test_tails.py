"""Tail index of overruns (amo_analysis.stats.tails): hand-computed Hill values, simulated Pareto tails
of known α, agreement with scipy's GPD fit, the plain-words reading, and degenerate inputs."""

import math

import numpy as np
import pytest
import scipy.stats as st

from amo_analysis.errors import InputError
from amo_analysis.stats.tails import _fit_gpd, gpd_tail, hill_plot, hill_tail, overrun_ratios, tail_reading


def ratios(alpha, n, seed, under=0.3):
    """actual ÷ planned for n projects: a share `under` on or under budget (0.6–1.0), the others
    overrun with a Pareto tail of index alpha above the plan (P(X > x) = x^−α for x ≥ 1)."""
    rng = np.random.default_rng(seed)
    over = rng.random(n) >= under
    return np.where(over, 1 + rng.pareto(alpha, n), rng.uniform(0.6, 1.0, n))


def test_hill_by_hand():
    x = np.exp([3.0, 2.0, 1.0, 0.5, 0.25, 0.2, 0.15, 0.1, 0.05, 0.02, 0.01, 0.005]).tolist() + [0.9, 0.5]
    fit = hill_tail(x, k=10, min_k=3)
    # threshold X_(11) = e^0.01; S = Σ_{i≤10} (log X_(i) − 0.01)
    S = sum([3.0, 2.0, 1.0, 0.5, 0.25, 0.2, 0.15, 0.1, 0.05, 0.02]) - 10 * 0.01
    assert fit.alpha == pytest.approx(10 / S, rel=1e-12) and fit.xi == pytest.approx(S / 10, rel=1e-12)
    assert fit.se == pytest.approx(fit.alpha / math.sqrt(10), rel=1e-12)
    assert fit.threshold == pytest.approx(math.exp(0.01)) and (fit.k, fit.n, fit.n_overruns) == (10, 14, 12)
    # exact Pareto interval: 2αS ~ χ²(2k)
    assert fit.ci_low == pytest.approx(st.chi2.ppf(0.025, 20) / (2 * S), rel=1e-12)
    assert fit.ci_high == pytest.approx(st.chi2.ppf(0.975, 20) / (2 * S), rel=1e-12)
    # with every overrun the threshold is the plan itself
    every = hill_tail(x, k=12, min_k=3)
    assert every.threshold == 1.0 and every.alpha == pytest.approx(12 / (S + 10 * 0.01 + 0.01 + 0.005))


@pytest.mark.parametrize("alpha", [1.5, 3.0])
def test_interval_covers_the_true_tail_index_on_2000_simulated_projects(alpha):
    x = ratios(alpha, 2000, seed=int(alpha * 10))
    hill = hill_tail(x)
    assert hill.ci_low < alpha < hill.ci_high and hill.k_rule == "automatic (KS)"
    assert hill.k >= 10 and hill.n == 2000 and hill.n_overruns == int((x > 1).sum())
    gpd = gpd_tail(x, seed=1)
    assert gpd.ci_low < alpha < gpd.ci_high and gpd.xi == pytest.approx(1 / gpd.alpha)
    assert gpd.threshold == hill.threshold and gpd.k == int((x > hill.threshold).sum())
    # the GPD scale of a Pareto tail above u is u/α
    assert gpd.scale == pytest.approx(gpd.threshold / alpha, rel=0.15)
    assert gpd_tail(x, seed=1).ci_low == gpd.ci_low  # seeded
    assert gpd_tail(x, seed=2).ci_low != gpd.ci_low


@pytest.mark.slow
def test_coverage_of_the_intervals():
    for alpha in (1.5, 3.0):
        fixed, auto, gpd = [], [], []
        for s in range(200):
            x = ratios(alpha, 300, s)
            h = hill_tail(x, k=int((x > 1).sum()))
            fixed.append(h.ci_low <= alpha <= h.ci_high)
            h = hill_tail(x)
            auto.append(h.ci_low <= alpha <= h.ci_high)
            if s < 40:
                g = gpd_tail(x, threshold=1.0, bootstrap=100, seed=s)
                gpd.append(g.ci_low <= alpha <= g.ci_high)
        assert 0.91 <= np.mean(fixed) <= 0.98  # exact χ² interval: 94.5 % measured at both α
        assert np.mean(auto) >= 0.85  # k chosen from the data: 90 % measured
        assert np.mean(gpd) >= 0.85  # bootstrap percentile, 40 runs: 90 % and 92.5 % measured


def test_gpd_fit_is_scipys_maximum_likelihood():
    rng = np.random.default_rng(0)
    samples = [
        rng.pareto(1.5, 300),
        rng.pareto(3, 500),
        rng.exponential(2, 50),
        st.genpareto.rvs(-0.3, scale=2, size=100, random_state=rng),
        rng.pareto(0.7, 30),
    ]
    for y in samples:
        xi, scale = _fit_gpd(y)
        c, _, s = st.genpareto.fit(y, floc=0)
        ours = st.genpareto.logpdf(y, xi, 0, scale).sum()
        theirs = st.genpareto.logpdf(y, c, 0, s).sum()
        assert ours >= theirs - 1e-7 and xi == pytest.approx(c, abs=2e-4)


def test_hill_plot_table():
    x = ratios(1.5, 400, seed=3)
    table = hill_plot(x)
    m = int((x > 1).sum())
    assert list(table.columns) == ["k", "threshold", "alpha", "se", "ci_low", "ci_high"]
    assert table["k"].tolist() == list(range(2, m + 1))  # increasing in k
    assert table["threshold"].is_monotonic_decreasing and table["threshold"].iloc[-1] == 1.0
    for k in (10, 57, m):
        row = table.set_index("k").loc[k]
        fit = hill_tail(x, k=k)
        assert (row["alpha"], row["ci_low"], row["threshold"]) == pytest.approx((fit.alpha, fit.ci_low, fit.threshold))
    stable = table[table["k"] >= 50]["alpha"]
    assert stable.between(1.2, 1.9).all()  # a flat stretch near the true 1.5


def test_the_reading_changes_at_one_and_two():
    assert "not even defined" in tail_reading(0.8) and "not even defined" in tail_reading(1.0)
    assert "variance of overruns is infinite" in tail_reading(1.01)
    assert "variance of overruns is infinite" in tail_reading(2.0)
    assert "finite" in tail_reading(2.01) and "infinite" not in tail_reading(2.01).split(":")[0]
    assert "includes α = 1 and 2" in tail_reading(1.4, 0.9, 2.5)
    assert "Flyvbjerg" in tail_reading(3.0) and "in line with" in tail_reading(0.9)
    low = hill_tail(ratios(0.8, 1000, seed=5))
    assert low.alpha < 1 and "not even defined" in low.reading
    thin = gpd_tail(1 + np.random.default_rng(0).uniform(0, 0.5, 300), threshold=1.0)
    assert thin.xi < 0 and math.isinf(thin.alpha) and "No power-law tail" in thin.reading


def test_degenerate_inputs_raise_one_sentence():
    few = np.r_[np.linspace(1.1, 3.0, 9), np.full(50, 0.9)]
    cases = [
        (lambda: hill_tail(few), "Only 9 projects overran their plan"),
        (lambda: gpd_tail(few), "Only 9 projects overran their plan"),
        (lambda: hill_tail(np.full(40, 0.95)), "No project overran its plan"),
        (lambda: hill_plot([0.5, 1.0]), "No project overran its plan"),
        (lambda: hill_tail([1.5, -0.2, 2.0]), "not a positive number"),
        (lambda: hill_tail(ratios(1.5, 100, 0), k=500), "k must be a whole number"),
        (lambda: gpd_tail(ratios(1.5, 100, 0), threshold=50.0), "ratios exceed the threshold 50"),
        (lambda: gpd_tail(ratios(1.5, 100, 0), threshold=0.5), "at least 1"),
        (lambda: gpd_tail(ratios(1.5, 100, 0), bootstrap=10), "at least 50 resamples"),
        (lambda: overrun_ratios([100, 120], [100, 0]), "Project 2 has actual 120 and planned 0"),
    ]
    for call, message in cases:
        with pytest.raises(InputError) as err:
            call()
        text = str(err.value)
        assert message in text and "\n" not in text and text.endswith(".")


def test_overrun_ratios():
    r = overrun_ratios([150, 90, np.nan, 200], [100, 100, 50, 100])
    np.testing.assert_allclose(r, [1.5, 0.9, 2.0])
