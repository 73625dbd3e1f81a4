"""Tests of amo_analysis.stats.scale and of the large-portfolio paths it drives in effects, framing, ROI."""

import math

import numpy as np
import pandas as pd
import pytest

from amo_analysis import synth
from amo_analysis.analyses import framing
from amo_analysis.stats import scale
from amo_analysis.ingest import metrics
from amo_analysis.stats.effects import estimate_effect
from amo_analysis.analyses.roi import simulate_roi
from stats.test_effects import TAU, confounded

N_LARGE = 30_000  # above scale.LARGE_N


def test_subsample_positions_are_seeded_sorted_and_all_rows_below_the_size():
    a = scale.subsample_positions(50_000, seed=3)
    assert len(a) == scale.SUBSAMPLE_ROWS and len(np.unique(a)) == len(a)
    assert np.all(np.diff(a) > 0) and a.min() >= 0 and a.max() < 50_000
    assert np.array_equal(a, scale.subsample_positions(50_000, seed=3))
    assert not np.array_equal(a, scale.subsample_positions(50_000, seed=4))
    assert np.array_equal(scale.subsample_positions(500, seed=3), np.arange(500))


def test_model_rows_keeps_small_frames_and_says_when_it_subsamples():
    small = pd.DataFrame({"x": range(scale.LARGE_N)})
    same, note = scale.model_rows(small, 0, "The model")
    assert same is small and note is None
    big = pd.DataFrame({"x": range(scale.LARGE_N + 1)})
    sub, note = scale.model_rows(big, 0, "The model")
    assert len(sub) == scale.SUBSAMPLE_ROWS and sub.index.is_monotonic_increasing
    assert note.startswith("The model was fitted on a random subsample of 10,000 of the 20,001 projects (seed 0)")


@pytest.fixture(scope="module")
def large():
    return confounded(N_LARGE, seed=77)


@pytest.mark.parametrize("method", ["aipw", "ipw", "quantile"])
def test_subsampled_estimators_recover_the_planted_effect_with_a_subsample_sized_interval(large, method):
    res = estimate_effect(large, "y", "t", ["x1", "x2"], method=method, seed=2)
    assert res.n == scale.SUBSAMPLE_ROWS
    assert any(f"subsample of 10,000 of the {N_LARGE:,} projects (seed 2)" in n for n in res.notes)
    assert res.ci_low < TAU < res.ci_high
    if method == "aipw":  # efficiency bound (Hahn 1998, σ = 1) at the subsample's size, not the portfolio's
        e = large["e"].to_numpy()
        bound = math.sqrt(np.mean(1 / e + 1 / (1 - e)) / scale.SUBSAMPLE_ROWS)
        assert 0.8 * bound < res.std_error < 1.25 * bound
    again = estimate_effect(large, "y", "t", ["x1", "x2"], method=method, seed=2)
    assert again.estimate == res.estimate and again.ci_low == res.ci_low
    other = estimate_effect(large, "y", "t", ["x1", "x2"], method=method, seed=3)
    assert other.estimate != res.estimate


@pytest.mark.parametrize("method", ["ols", "difference"])
def test_cheap_estimators_use_every_row(large, method):
    res = estimate_effect(large, "y", "t", ["x1", "x2"], method=method)
    assert res.n == N_LARGE
    assert not any("subsample" in n for n in res.notes)


@pytest.mark.slow
def test_framing_models_on_a_large_portfolio_use_the_subsample_and_say_so():
    data = framing.with_framing_columns(metrics.derive_metrics(synth.make_portfolio(N_LARGE, 8)))
    table = framing.framing_risk_table(data, outcomes=("failed",), seed=1)
    estimated = table[table["estimate"].notna()]
    assert len(estimated) > 20 and (estimated["n"] <= scale.SUBSAMPLE_ROWS).all()
    assert table["note"].str.contains(f"subsample of 10,000 of the {N_LARGE:,} projects").all()
    score = estimated[(estimated["exposure"] == "framing_score") & (estimated["model"] == "adjusted + amo")]
    assert score["estimate"].iloc[0] < 1 and score["ci_high"].iloc[0] < 1  # planted: framing lowers failure
    claim = framing.framing_claim(data, seed=1)
    assert "subsample" in claim["note"].iloc[0] and claim["n"].iloc[0] <= scale.SUBSAMPLE_ROWS


def test_roi_on_a_large_portfolio_bootstraps_the_subsample_and_recovers_planted_costs():
    rng = np.random.default_rng(4)
    amo = rng.random(N_LARGE) < 0.4
    data = pd.DataFrame(
        {
            "amo": amo,
            "budget_planned": 100_000.0,
            "complexity": 3,
            "log_cost_ratio": 0.2 - 0.3 * amo + rng.normal(0, 0.1, N_LARGE),
        }
    )
    result = simulate_roi(data, budget=75_000, fee=5_000, covariates=[], n_draws=20_000, seed=3)
    assert result.n_projects == scale.SUBSAMPLE_ROWS
    assert any("subsample of 10,000" in n for n in result.notes)
    assert result.notes[0].startswith(f"{N_LARGE} finished projects")
    s = result.summary_frame().set_index("name")
    lognormal = np.exp(0.005)
    assert s.loc["total_without", "value"] == pytest.approx(75_000 * np.exp(0.2) * lognormal, rel=0.01)
    assert s.loc["total_with", "value"] == pytest.approx(75_000 * np.exp(-0.1) * lognormal + 5_000, rel=0.01)
