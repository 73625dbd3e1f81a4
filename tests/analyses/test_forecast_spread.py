"""Tests of amo_analysis.analyses.forecast_spread: the conformal quantile, and a spread with running
(right-censored) projects read through the Kaplan–Meier estimate."""

import numpy as np

from amo_analysis.analyses import forecast_spread as spread


def test_conformal_quantile_gives_nothing_when_too_few_values():
    values = np.arange(1.0, 6.0)  # 5 values
    assert spread.conformal_quantile(values, 0.5) == 3.0
    assert np.isnan(spread.conformal_quantile(values, 0.9))  # rank ceil(6*0.9)=6 > 5


def test_a_spread_of_finished_projects_counts_ranks_and_shares():
    values = spread.Spread(np.array([0.3, -0.1, 0.0, 0.2, 0.1]), np.ones(5, dtype=bool))
    assert len(values) == 5 and values.n_running == 0
    assert values.quantile(0.5) == 0.1  # the 3rd smallest of 5
    assert values.share_above(0.15) == 0.4 and list(values.share_above(np.array([-1.0, 1.0]))) == [1.0, 0.0]


def test_a_running_project_raises_the_tail_instead_of_being_left_out():
    finished = np.array([-0.1, 0.0, 0.1, 0.2])
    alone = spread.Spread(finished, np.ones(4, dtype=bool))
    running = spread.Spread(np.append(finished, 0.15), np.array([True] * 4 + [False]))
    assert running.n_running == 1
    # still running at +15 %: it will end above that, so the chance of exceeding +15 % is not lower
    assert running.share_above(0.15) >= alone.share_above(0.15)
    assert np.isnan(spread.Spread(np.array([0.1]), np.array([False])).share_above(0.0))
