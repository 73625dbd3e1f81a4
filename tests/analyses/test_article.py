"""Tests of amo_analysis.analyses.article: each reading of the article's claims on synthetic portfolios
with a planted answer (one where the claim holds, one where it fails), "not testable" for a missing
column, the page's order (its display and records: tests/report/test_show_article.py)."""

import numpy as np
import pandas as pd
import pytest

from amo_analysis import synth
from amo_analysis.analyses import article
from amo_analysis.report import show_article
from amo_analysis.ingest import metrics
from amo_analysis.stats.claims import INCONCLUSIVE, LARGER, OPPOSITE, SMALLER, SUPPORTED


def _raw(n=500, seed=11):
    """Canonical input columns (no derived column) of a synthetic portfolio, every project finished."""
    raw = synth.make_portfolio(n, seed, share_unfinished=0.0, share_cancelled=0.0)
    for pitfall in article.pitfalls.PITFALL_COLUMNS:
        raw[pitfall] = False
    return raw


def _one(data, key, **options) -> dict:
    table = article.claims_by_article(data, keys=[key], **options)
    assert len(table) == 1, table
    return table.iloc[0].to_dict()


def _planted_pitfall(raw, pitfall, column, factor, seed=5):
    """Half of the projects (at random) get `pitfall`; their `column` is multiplied by `factor`."""
    rng = np.random.default_rng(seed)
    hit = rng.random(len(raw)) < 0.5
    raw = raw.copy()
    raw[pitfall] = hit
    raw[column] = np.where(hit, raw[column] * factor, raw[column])
    return metrics.derive_metrics(raw)


@pytest.mark.parametrize(
    "pitfall, column, factor, key, expected",
    [
        ("no_sponsor", "duration_actual_days", 1.4, "no_sponsor_slip.relative", SUPPORTED),
        ("no_sponsor", "duration_actual_days", 0.6, "no_sponsor_slip.relative", OPPOSITE),
        ("integrator_lockin", "cost_actual", 1.4, "integrator_lockin_cost.relative", SUPPORTED),
        ("integrator_lockin", "cost_actual", 0.6, "integrator_lockin_cost.relative", OPPOSITE),
    ],
)
def test_a_pitfall_claimed_to_raise_slip_or_cost(pitfall, column, factor, key, expected):
    row = _one(_planted_pitfall(_raw(), pitfall, column, factor), key)
    assert row["testable"] and row["verdict"] == expected
    assert (row["estimate"] > 0) == (factor > 1)
    assert row["ci_low"] < row["estimate"] < row["ci_high"]


@pytest.mark.parametrize("shift, expected", [(-0.25, SUPPORTED), (0.25, OPPOSITE)])
def test_late_change_management_and_adoption(shift, expected):
    raw = _raw()
    hit = np.random.default_rng(6).random(len(raw)) < 0.5
    raw["late_change_mgmt"] = hit
    raw["adoption_m3"] = np.clip(raw["adoption_m3"] + np.where(hit, shift, 0.0), 0.0, 1.0)
    row = _one(metrics.derive_metrics(raw), "late_change_mgmt_adoption.pp")
    assert row["verdict"] == expected
    assert row["scale"] == "pp" and (row["estimate"] < 0) == (shift < 0)


@pytest.mark.parametrize("factor, expected", [(1.6, SUPPORTED), (0.6, OPPOSITE)])
def test_run_costs_where_a_column_holds_them(factor, expected):
    raw = _raw()
    rng = np.random.default_rng(8)
    hit = rng.random(len(raw)) < 0.5
    raw["integrator_lockin"] = hit
    data = metrics.derive_metrics(raw)
    data["run_cost"] = data["budget_planned"] * 0.2 * np.exp(rng.normal(0, 0.3, len(data))) * np.where(hit, factor, 1)
    row = _one(data, "integrator_lockin_cost.run_cost")
    assert row["testable"] and row["verdict"] == expected


def test_run_costs_are_not_testable_without_the_column():
    row = _one(metrics.derive_metrics(_raw()), "integrator_lockin_cost.run_cost")
    assert not row["testable"] and row["missing_column"] == "run_cost"
    assert row["verdict"] == INCONCLUSIVE and np.isnan(row["estimate"])
    assert show_article.note_text(row, "en") == "not testable on this portfolio: no column run_cost"
    assert show_article.note_text(row, "fr") == "non testable sur ce portefeuille : pas de colonne run_cost"


def _troubled_with_pitfall(share_troubled_with, share_all_troubled, n=400):
    """A portfolio whose troubled projects (challenged or failed) are `share_all_troubled` of all,
    `share_troubled_with` of them with scope creep and none of the others."""
    data = metrics.derive_metrics(_raw(n))
    troubled = np.arange(n) < round(share_all_troubled * n)
    data["outcome_class"] = np.where(troubled, "challenged", "successful")
    data["scope_creep"] = troubled & (np.arange(n) < round(share_troubled_with * share_all_troubled * n))
    return data


@pytest.mark.parametrize("share, expected", [(0.70, SUPPORTED), (0.30, SMALLER), (1.0, LARGER)])
def test_share_of_troubled_projects_with_a_pitfall(share, expected):
    row = _one(_troubled_with_pitfall(share, 0.5), "pitfalls_70pct.share_of_troubled")
    assert row["estimate"] == pytest.approx(share) and row["n"] == 200
    assert row["verdict"] == expected


@pytest.mark.parametrize("share_all, expected", [(0.70, SUPPORTED), (0.25, SMALLER)])
def test_share_of_all_projects_sunk_by_a_pitfall(share_all, expected):
    row = _one(_troubled_with_pitfall(1.0, share_all), "pitfalls_70pct.share_of_all")
    assert row["estimate"] == pytest.approx(share_all) and row["n"] == 400
    assert row["verdict"] == expected
    assert "Only 1 of the five pitfalls" not in row["note"]  # all five columns are there (False)


@pytest.mark.parametrize("ratio, expected", [(1.02, SUPPORTED), (1.30, SMALLER)])
def test_a_10_percent_margin_from_the_portfolio_and_the_forecast(ratio, expected):
    raw = _raw()
    noise = np.exp(np.random.default_rng(9).normal(0, 0.03, len(raw)))
    raw["cost_actual"] = raw["budget_planned"] * ratio * noise
    data = metrics.derive_metrics(raw)
    share = _one(data, "margin_10pct.portfolio_share")
    assert share["verdict"] == expected and share["n"] == len(data)
    for key in ("margin_10pct.forecast_with", "margin_10pct.forecast_without"):
        row = _one(data, key)
        assert row["verdict"] == expected, row
        assert 0 < row["n"] < len(data)  # the residuals of one practice group


@pytest.mark.parametrize("adoption, expected", [(0.30, SUPPORTED), (0.80, LARGER)])
def test_poor_requirements_and_adoption_below_half(adoption, expected):
    raw = _raw()
    hit = np.random.default_rng(4).random(len(raw)) < 0.3
    raw["poor_requirements"] = hit
    raw["adoption_m3"] = np.where(hit, np.clip(adoption + np.random.default_rng(5).normal(0, 0.1, len(raw)), 0, 1), 0.6)
    row = _one(metrics.derive_metrics(raw), "poor_requirements_adoption.level")
    assert row["verdict"] == expected


def _roi_portfolio(effect: float, n=400) -> pd.DataFrame:
    """Costs 22 % over plan without the practice, × `effect` with it; fee 10 % of the budget."""
    raw = _raw(n)
    rng = np.random.default_rng(12)
    amo = raw["amo"].astype(bool).to_numpy()
    raw["cost_actual"] = raw["budget_planned"] * np.exp(0.2 + rng.normal(0, 0.05, n)) * np.where(amo, effect, 1.0)
    raw["amo_cost"] = np.where(amo, 0.1 * raw["budget_planned"], np.nan)
    return metrics.derive_metrics(raw)


@pytest.mark.parametrize("effect, expected", [(1 - 0.17 / np.exp(0.2 + 0.05**2 / 2), SUPPORTED), (1.15, OPPOSITE)])
def test_drift_prevented_per_euro_of_the_worked_example(effect, expected):
    row = _one(_roi_portfolio(effect), "roi_example.per_euro")
    assert row["verdict"] == expected
    if expected == SUPPORTED:  # planted: 1.7 units of drift prevented per unit of fee
        assert row["estimate"] == pytest.approx(1.7, abs=0.15)


@pytest.mark.parametrize("risk_well_framed, expected", [(0.12, SUPPORTED), (0.6, OPPOSITE)])
def test_framing_risk_ratio_reading(risk_well_framed, expected):
    data = metrics.derive_metrics(_raw(800))
    rng = np.random.default_rng(13)
    well = rng.random(len(data)) < 0.5
    data["framing_score"] = np.where(well, 9.0, 3.0)
    risk = np.where(well, risk_well_framed, 0.3)
    data["outcome_class"] = np.where(rng.random(len(data)) < risk, "failed", "successful")
    row = _one(data, "framing_failure_rr.ratio")
    assert row["verdict"] == expected


def test_inconclusive_readings_say_how_many_projects_would_be_needed():
    table = article.claims_by_article(metrics.derive_metrics(synth.make_portfolio(24, 1)))
    undecided = table[(table["verdict"] == INCONCLUSIVE) & table["testable"] & table["ci_low"].notna()]
    assert len(undecided)
    needed = undecided["projects_needed"].dropna()
    assert len(needed) and (needed > 24).all()


def test_a_large_portfolio_is_summarised_on_a_seeded_subsample(monkeypatch):
    monkeypatch.setattr(article.scale, "LARGE_N", 100)
    data = metrics.derive_metrics(synth.make_portfolio(300, 3))
    monkeypatch.setattr(
        article.scale,
        "model_rows",
        lambda frame, seed, what: (frame.iloc[:150], article.scale.subsample_note(what, 150, len(frame), seed)),
    )
    table = article.claims_by_article(data, keys=["margin_10pct.portfolio_share"])
    assert table.attrs["n_projects"] == 300 and "150 of the 300" in table.attrs["subsample"]
    assert table.iloc[0]["n"] <= 150 and "150 of the 300" in table.iloc[0]["note"]


def test_a_small_portfolio_adjusts_a_pitfall_for_size_and_practice_only():
    raw = _raw(40, seed=21)
    hit = np.arange(40) % 2 == 0
    raw["no_sponsor"] = hit
    raw["duration_actual_days"] = (
        raw["duration_planned_days"] * np.where(hit, 1.6, 1.0) * np.exp(np.random.default_rng(2).normal(0, 0.05, 40))
    )
    row = _one(metrics.derive_metrics(raw), "no_sponsor_slip.relative")
    assert row["fewer_covariates"] and row["verdict"] == SUPPORTED
    assert row["estimate"] == pytest.approx(0.6, abs=0.1)
    note = show_article.note_text(row, "en")
    assert note.startswith("Adjusted for size (log budget) and the practice only") and "5 per parameter" in note
    assert show_article.note_text(row, "fr").startswith("Ajusté sur la taille (log du budget) et la pratique seulement")


def test_without_a_practice_column_the_readings_that_need_none_are_computed_the_others_listed():
    """A portfolio without a practice column (`amo` blank on every row, as the contract leaves it): the
    share within budget + 10 % is counted (and equals the direct count), the pitfall shares and levels
    are computed, every reading that compares or adjusts for the practice is not testable, saying why;
    the effects readings are then recorded here (notebook 02 is not run)."""
    raw = _raw(300)
    hit = np.random.default_rng(4).random(len(raw)) < 0.4
    raw["scope_creep"], raw["poor_requirements"] = hit, ~hit
    data = metrics.derive_metrics(raw)
    data["amo"] = np.nan
    table = article.claims_by_article(data, seed=0).set_index(["claim", "reading"])
    share = table.loc[("margin_10pct", "portfolio_share")]
    within = (data["cost_actual"] <= 1.10 * data["budget_planned"]).mean()
    assert share["testable"] and share["estimate"] == pytest.approx(within) and share["n"] == len(data)
    assert share["ci_low"] < share["estimate"] < share["ci_high"]
    for key in [("pitfalls_70pct", "share_of_troubled"), ("poor_requirements_adoption", "level")]:
        assert table.loc[key, "testable"] and np.isfinite(table.loc[key, "estimate"]), key
    practice = table[table["missing_column"] == "amo"]
    assert set(practice["analysis"]) == set(article.NEEDS_PRACTICE)
    assert practice["estimate"].isna().all() and (practice["verdict"] == INCONCLUSIVE).all()
    row = table.reset_index().iloc[[list(table.index).index(("amo_delay", "relative"))]].iloc[0].to_dict()
    assert "no practice column" in show_article.note_text(row, "en")
    assert "pas de colonne de pratique" in show_article.note_text(row, "fr")
    records = {r["name"]: r for r in show_article.article_records(table.reset_index())}
    assert "claim.amo_delay.relative" in records and records["claim.amo_delay.relative"]["testable"] is False
    assert records["claim.margin_10pct.portfolio_share"]["value"] == pytest.approx(within)
