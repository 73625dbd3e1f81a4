"""The live-portfolio generator: its stated truth matches its draws, and censoring is consistent."""

import numpy as np
import pandas as pd
import pytest

from amo_analysis.synth_live import DAYS_PER_MONTH, live_portfolio, true_ratio_quantile


@pytest.mark.parametrize(
    ("kwargs", "truth_kwargs"),
    [
        ({}, {}),
        ({"effect": np.log(1.3), "share_treated": 0.4}, {"effect": np.log(1.3), "share_treated": 0.4}),
        ({"org_sd": 0.2, "n_organisations": 5000}, {"org_sd": 0.2}),
    ],
)
def test_true_quantiles_match_the_draws(kwargs, truth_kwargs):
    d = live_portfolio(100_000, 1, **kwargs)
    for p in (0.5, 0.8, 0.9):
        assert np.quantile(d["ratio_true"], p) == pytest.approx(true_ratio_quantile(p, **truth_kwargs), rel=0.015)


def test_censoring_is_consistent_and_deterministic():
    d = live_portfolio(500, 7)
    pd.testing.assert_frame_equal(d, live_portfolio(500, 7))
    run = ~d["observed"]
    assert 0.35 < run.mean() < 0.65
    assert (d.loc[run, "ratio"] < d.loc[run, "ratio_true"]).all()
    assert (d.loc[~run, "ratio"] == d.loc[~run, "ratio_true"]).all()
    assert d.loc[run, "end_date"].isna().all() and d.loc[~run, "end_date"].notna().all()
    export = pd.Timestamp(d.attrs["export_date"])
    assert (d["start_date"] <= export).all()
    assert ((export - d["start_date"]).dt.days / DAYS_PER_MONTH).sub(d["elapsed_months"]).abs().max() < 0.02
    assert d["planned_months"].between(3, 24).all()


def test_assignment_by_organisation():
    d = live_portfolio(300, 3, assign_by_organisation=True)
    assert (d.groupby("organisation")["amo"].nunique() == 1).all()
