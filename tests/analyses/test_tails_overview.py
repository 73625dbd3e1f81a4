"""The tail index of cost overruns (analyses.overruns, notebook 01) and the E-values of the framing and
pitfall risk ratios (analyses.pitfalls, notebook 03): known Pareto tails, too few overruns, large
portfolios, rows that cannot be estimated. Their words and records: tests/report/test_show_overruns.py,
test_show_pitfalls.py."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import framing, overruns, pitfalls
from amo_analysis.ingest.portfolio import load_portfolio
from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.stats.sensitivity import evalue
from amo_analysis.stats.tails import hill_tail
from conftest import overrun_portfolio as portfolio


# --------------------------------------------------------------------------- the tail index


@pytest.fixture(scope="module")
def pareto_tail():
    return overruns.cost_tail(portfolio(1.5, 2000, seed=4), seed=0)


def test_pareto_one_and_a_half_is_read_as_infinite_variance(pareto_tail):
    hill, gpd = pareto_tail.hill, pareto_tail.gpd
    assert hill.ci_low < 1.5 < hill.ci_high and gpd.ci_low < 1.5 < gpd.ci_high
    assert hill.ci_high < 2  # the interval itself says "below 2"
    assert pareto_tail.regime == overruns.INFINITE_VARIANCE
    assert (hill.n, hill.n_overruns) == (2000, int((overruns.cost_ratios(portfolio(1.5, 2000, seed=4)) > 1).sum()))


def test_infinite_mean_and_thin_tails_get_their_own_regime():
    heavy = overruns.cost_tail(portfolio(0.7, 2000, seed=2))
    assert heavy.regime == overruns.INFINITE_MEAN and heavy.hill.ci_high < 1
    thin = overruns.cost_tail(portfolio(4.0, 2000, seed=2))
    assert thin.regime == overruns.FINITE_VARIANCE


def test_tail_table_rows_and_unbounded_end(pareto_tail):
    table = overruns.tail_table(pareto_tail, "en")
    assert list(table["method"]) == ["Hill (k largest overruns)", "generalised Pareto (above the threshold)"]
    assert table.loc[0, "alpha"] == pytest.approx(pareto_tail.hill.alpha)
    assert table.loc[0, "k"] == pareto_tail.hill.k and table.loc[0, "threshold"] >= 1
    unbounded = replace(pareto_tail, gpd=replace(pareto_tail.gpd, ci_high=math.inf))
    assert math.isnan(overruns.tail_table(unbounded).loc[1, "ci_high"])  # shown as –, never "inf"


@pytest.mark.parametrize(
    "lang, words",
    [
        ("en", "Only 6 finished projects overran their budget"),
        ("fr", "Seuls 6 projets terminés ont dépassé leur budget"),
    ],
)
def test_too_few_overruns_give_one_sentence(lang, words):
    data = portfolio(1.5, 60, seed=1, under=1.0)  # every project on or under budget …
    data.loc[:5, "cost_actual"] = data.loc[:5, "budget_planned"] * 1.3  # … but six
    tail = overruns.cost_tail(data, lang=lang)
    assert not tail.estimable and tail.n_overruns == 6 and tail.regime is None
    assert tail.why.startswith(words) and tail.why.count(".") == 1
    table = overruns.tail_table(tail, lang)
    assert table.empty and table.attrs["why"] == tail.why


def test_no_cost_column_or_no_overrun_is_not_an_error():
    assert overruns.cost_tail(pd.DataFrame({"amo": [True, False]})).why.startswith("Only 0 finished")
    assert not overruns.cost_tail(portfolio(1.5, 40, under=1.0)).estimable


def test_large_portfolios_search_the_largest_overruns_exactly():
    data = portfolio(1.5, 3000, seed=7)
    capped = overruns.cost_tail(data, max_tail=300)
    assert capped.searched == 300 < capped.n_overruns
    # Hill at the chosen k is the same whether the other overruns were handed over or not
    full = hill_tail(overruns.cost_ratios(data), k=capped.hill.k)
    assert capped.hill.alpha == pytest.approx(full.alpha, rel=1e-9)
    assert capped.hill.threshold == pytest.approx(full.threshold, rel=1e-12)
    assert (capped.hill.ci_low, capped.hill.ci_high) == pytest.approx((full.ci_low, full.ci_high), rel=1e-9)
    assert capped.path["threshold"].iloc[-1] == pytest.approx(np.sort(overruns.cost_ratios(data))[::-1][300])


def test_french_method_names(pareto_tail):
    assert list(overruns.tail_table(pareto_tail, "fr")["method"]) == [
        "Hill (k plus grands dépassements)",
        "Pareto généralisée (au-delà du seuil)",
    ]


# --------------------------------------------------------------------------- E-values (notebook 03)


@pytest.fixture(scope="module")
def sample():
    return framing.with_framing_columns(load_portfolio(SAMPLE_PORTFOLIO).data)


@pytest.fixture(scope="module")
def evalues(sample):
    return pitfalls.evalue_table(sample, framing.framing_risk_table(sample))


def test_evalue_column_is_the_evalue_of_each_risk_ratio(evalues):
    estimable = evalues.dropna(subset=["estimate"])
    assert len(estimable) == len(evalues) == 2 * (12 + 5)  # framing and pitfalls, both failure outcomes
    for r in estimable.itertuples():
        e = evalue(r.estimate, r.ci_low, r.ci_high)
        assert r.evalue == pytest.approx(e.point, rel=1e-12) and r.evalue_ci == pytest.approx(e.ci, rel=1e-12)
    crossing = estimable[(estimable["ci_low"] < 1) & (estimable["ci_high"] > 1)]
    assert len(crossing) and (crossing["evalue_ci"] == 1).all()
    below = estimable[estimable["ci_high"] < 1].iloc[0]  # a protective ratio: its upper limit is the closer one
    assert below["evalue_ci"] == pytest.approx(
        1 / below["ci_high"] + math.sqrt(1 / below["ci_high"] * (1 / below["ci_high"] - 1))
    )


def test_framing_rows_are_the_claim_model_of_the_risk_table(sample, evalues):
    risks = framing.framing_risk_table(sample)
    part = risks[
        (risks["model"] == pitfalls.EVALUE_MODEL)
        & (risks["exposure"] == "well_framed")
        & (risks["outcome"] == "failed")
    ].iloc[0]
    row = evalues[(evalues["exposure"] == "well_framed") & (evalues["outcome"] == "failed")].iloc[0]
    assert row["estimate"] == part["estimate"] and row["ci_high"] == part["ci_high"]
    claim = framing.framing_claim(sample).iloc[0]
    assert row["estimate"] == pytest.approx(claim["estimate"], rel=1e-9)
    assert list(evalues["outcome"].unique()) == ["failed", "failed_or_challenged"]


def test_pitfall_risk_ratios_are_adjusted_risk_ratios(sample):
    table = pitfalls.pitfall_risk_table(sample, outcomes=("failed",))
    assert list(table["exposure"]) == list(pitfalls.PITFALL_COLUMNS)
    scope = table[table["exposure"] == "scope_creep"].iloc[0]
    direct = framing.risk_ratio(
        sample.assign(scope_creep=sample["scope_creep"].astype("boolean")),
        "scope_creep",
        "failed",
        framing.size_type_covariates(sample),
        adjust_amo=True,
    )
    assert scope["estimate"] == pytest.approx(direct.estimate) and scope["model"] == pitfalls.EVALUE_MODEL


def test_unestimable_rows_keep_their_reason_and_no_evalue():
    data = framing.with_framing_columns(load_portfolio(SAMPLE_PORTFOLIO).data.head(24))
    table = pitfalls.evalue_table(data, None)
    missing = table[table["estimate"].isna()]
    assert len(missing) and missing["evalue"].isna().all() and (missing["note"].str.len() > 0).all()
    assert set(table["exposure"]) == set(pitfalls.PITFALL_COLUMNS)  # no framing rows without a risk table


def test_nothing_to_show_says_why_in_french():
    table = pitfalls.evalue_table(pd.DataFrame({"amo": [True, False]}), None, lang="fr")
    assert table.empty and table.attrs["why"].startswith("Le portefeuille n'a ni réponses de cadrage ni écueils")
