"""Tests of amo_analysis.analyses.forecast_spread: the conformal quantile, and a spread with running
(right-censored) projects read through the Kaplan–Meier estimate."""

import numpy as np
import pandas as pd

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


def test_category_dummies_from_codes_are_those_of_the_texts():
    """`_design` compares codes of the texts (`_text_codes`), not a Python string per project: the same
    0 / 1 columns as comparing the texts, with missing values, numbers read as text and a level absent
    from the rows."""
    from amo_analysis.analyses.forecast_spread import _design

    frame = pd.DataFrame(
        {
            "amo": [True, False, True, False, True],
            "project_type": pd.array(["web", None, "erp", "web", "crm"], dtype="str"),
            "organisation": pd.Series([3, 1, 3, 2, 1], dtype=object),
            "budget_planned": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    levels = {"project_type": ["crm", "erp", "mobile", "web"], "organisation": ["1", "2", "3"]}
    features = ["project_type", "organisation", "budget_planned"]
    by_text = [np.ones(5), frame["amo"].astype(float).to_numpy()]
    for f in ("project_type", "organisation"):
        texts = frame[f].astype(str).to_numpy()
        by_text.extend((texts == level).astype(float) for level in levels[f][1:])
    by_text.append(frame["budget_planned"].to_numpy())
    assert np.array_equal(_design(frame, features, levels), np.column_stack(by_text))
