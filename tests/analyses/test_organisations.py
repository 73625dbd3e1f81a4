"""Notebook 07's analyses: per-organisation figures, effects, the meta-analysis and peer positions (how
they are shown and recorded: tests/report/test_show_organisations.py)."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import organisations as org
from amo_analysis.ingest.metrics import derive_metrics
from amo_analysis.ingest.portfolio import Portfolio
from amo_analysis.synth import PlantedEffects, make_portfolio

#: planted effect of the practice on ln(actual ÷ planned cost) in each client
PLANTED = {"alpha": -0.45, "beta": 0.05, "gamma": -0.30, "delta": 0.20, "epsilon": -0.15}


def pooled_clients(small: int = 3, same_effect: bool = False) -> Portfolio:
    """Five clients of 40 projects with different planted effects (or the same), and one of `small`."""
    frames = []
    for i, (name, effect) in enumerate(PLANTED.items()):
        planted = PlantedEffects(amo_log_cost=-0.15 if same_effect else effect, confounding=0.0)
        frames.append(make_portfolio(40, 200 + i, effects=planted, n_organisations=1).assign(organisation=name))
    frames.append(make_portfolio(small, 9, n_organisations=1).assign(organisation="tiny"))
    raw = pd.concat(frames, ignore_index=True)
    raw["organisation"] = raw["organisation"].astype(str)
    data = derive_metrics(raw)
    return Portfolio(data=data, source_name="clients", checksum="sha256:0")


def test_the_table_groups_small_organisations_as_one_unnamed_row():
    table = org.organisation_table(pooled_clients(), min_org_size=5, focus="gamma")
    assert list(table["group"]) == ["gamma", "alpha", "beta", "delta", "epsilon", org.OTHERS]
    assert table["projects"].tolist() == [40, 40, 40, 40, 40, 3]
    row = table.iloc[0]
    assert row["budget_drift_p50_low"] <= row["budget_drift_p50"] <= row["budget_drift_p50_high"]


def test_each_organisation_gets_its_own_effect_when_both_groups_are_large_enough():
    portfolio = pooled_clients()
    effects = org.organisation_effects(portfolio, min_org_size=5, min_per_group=5)
    assert set(effects["group"]) == set(PLANTED)  # never the small one
    assert (effects["outcome"].value_counts() == 5).all()
    costs = effects[effects["outcome"] == "log_cost_ratio"].set_index("group")["estimate"]
    assert costs["alpha"] < costs["gamma"] < costs["beta"] and costs["alpha"] < costs["delta"]
    strict = org.organisation_effects(portfolio, min_per_group=40)
    assert strict["estimate"].isna().all() and "fewer than 40 in a group" in strict["note"].iloc[0]


def test_meta_analysis_finds_the_planted_heterogeneity_and_not_where_there_is_none():
    het = org.meta_analyses(org.organisation_effects(pooled_clients()))
    cost = het.set_index("outcome").loc["log_cost_ratio"]
    assert cost["k"] == 5 and cost["tau2"] > 0.01 and cost["i2"] > 0.4
    assert cost["pi_low"] < cost["ci_low"] and cost["pi_high"] > cost["ci_high"]
    assert cost["ci_low"] < np.mean(list(PLANTED.values())) < cost["ci_high"]
    same = org.meta_analyses(org.organisation_effects(pooled_clients(same_effect=True)))
    assert same.set_index("outcome").loc["log_cost_ratio", "i2"] < cost["i2"]


def test_meta_analysis_says_why_with_fewer_than_two_organisations():
    effects = org.organisation_effects(pooled_clients())
    one = effects[effects["group"] == "alpha"]
    meta = org.meta_analyses(one)
    assert (meta["k"] == 1).all() and meta["estimate"].isna().all()
    assert "at least 2" in meta["note"].iloc[0]


def test_peer_positions_are_percentiles_among_named_organisations():
    table = org.organisation_table(pooled_clients())
    peers = org.peer_positions(table)
    assert org.OTHERS not in set(peers["group"])
    drift = peers[peers["outcome"] == "budget_drift"].sort_values("median")
    assert drift["percentile"].tolist() == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])  # 5 organisations, kind "mean"
    assert (drift["k"] == 5).all()


def test_organisations_are_counted_named_or_not():
    assert org.n_organisations(pooled_clients()) == 6


def test_the_pooled_fits_are_made_one_at_a_time(monkeypatch):
    """No outcome's fit (its model holds the n × p design) lives on while the next outcome's is made:
    at 10⁶ projects that is a second design in memory (measured: 369 → 291 MB traced peak)."""
    import gc
    import weakref

    from amo_analysis.stats.effects import EffectResult

    made: list = []
    alive_at_start: list[int] = []
    real = org.estimate_effect

    def counting(*args, **kwargs):
        gc.collect()
        alive_at_start.append(sum(ref() is not None for ref in made))
        result = real(*args, **kwargs)
        assert isinstance(result, EffectResult)
        made.append(weakref.ref(result))
        return result

    monkeypatch.setattr(org, "estimate_effect", counting)
    table = org.pooled_projects(pooled_clients(), seed=0)
    assert len(alive_at_start) == len(org.META_OUTCOMES) and table["estimate"].notna().all()
    assert alive_at_start == [0] * len(org.META_OUTCOMES)
