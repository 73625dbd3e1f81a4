"""Tests of amo_analysis.report.show_organisations: notebook 07's tables, sentences and records, from
`analyses.organisations` on pooled synthetic clients (five of 40 projects, one of 3)."""

from __future__ import annotations

import math

import pytest

from amo_analysis.analyses import organisations as org
from amo_analysis.report import show_organisations as show
from amo_analysis.report.run_context import RunContext
from tests.analyses.test_organisations import PLANTED, pooled_clients


def test_the_small_organisations_show_as_one_unnamed_row():
    table = org.organisation_table(pooled_clients(), min_org_size=5, focus="gamma")
    shown = show.organisation_display(table)
    assert "tiny" not in shown.to_csv() and shown.iloc[-1, 0] == "other organisations"


def test_with_fewer_than_two_organisations_the_sentence_says_there_are_too_few():
    portfolio = pooled_clients()
    effects = org.organisation_effects(portfolio)
    meta = org.meta_analyses(effects[effects["group"] == "alpha"])
    assert "too few for a meta-analysis" in show.which_to_believe(meta, org.pooled_projects(portfolio))


def test_which_to_believe_follows_heterogeneity():
    portfolio = pooled_clients()
    meta = org.meta_analyses(org.organisation_effects(portfolio))
    text = show.which_to_believe(meta, org.pooled_projects(portfolio), "en")
    assert text.splitlines()[0].startswith("budget drift:") and "Believe the random-effects figure" in text
    assert "Croyez" in show.which_to_believe(meta, org.pooled_projects(portfolio), "fr")


def test_records_carry_the_names_the_readme_documents():
    portfolio = pooled_clients()
    ctx = RunContext(portfolio=portfolio, notebook="07_organisations")
    meta = org.meta_analyses(org.organisation_effects(portfolio))
    ctx.keep(show.meta_records(meta))
    peers = org.peer_positions(org.organisation_table(portfolio, focus="beta"))
    ctx.keep(show.peer_records(peers, None))
    assert [r["name"] for r in ctx.records] == [
        "meta.log_cost_ratio.random_effects",
        "meta.log_duration_ratio.random_effects",
        "meta.adoption_m3.random_effects",
    ]
    cost = ctx.records[0]
    for field in ("value", "ci_low", "ci_high", "tau2", "i2", "pi_low", "pi_high", "k"):
        assert cost[field] is not None, field
    assert cost["relative"] == pytest.approx(math.expm1(cost["value"]))
    ctx.keep(show.peer_records(peers, "beta"))
    peer = {r["name"]: r for r in ctx.records}["peer.budget_drift.percentile"]
    assert peer["organisation"] == "beta" and set(peer["organisations"]) == set(PLANTED)
    assert peer["value"] == peer["organisations"]["beta"]


def test_sources_table_lists_each_source_or_says_there_is_one():
    single = show.sources_table(pooled_clients())
    assert single.empty and single.attrs["why"] == "One source: clients."
    portfolio = pooled_clients()
    portfolio.sources = [
        {"name": "a.csv", "kind": "csv", "organisations": ["a"], "n_projects": 40},
        {"name": "b.xlsx", "kind": "xlsx", "organisations": ["b"], "n_projects": 40},
    ]
    table = show.sources_table(portfolio, "fr")
    assert table.columns.tolist() == ["source", "format", "organisation", "projets"]
    assert table["source"].tolist() == ["a.csv", "b.xlsx"]
