"""Tests of amo_analysis.report.show_forecast: the forecast's paragraph, summary, backtest table, texts and
records (notebook 04), in both languages, from forecasts of synthetic portfolios and small tables."""

import numpy as np
import pandas as pd
import pytest

from amo_analysis import synth
from amo_analysis.analyses import forecast as fc
from amo_analysis.i18n import localise
from amo_analysis.ingest import metrics
from amo_analysis.report import show_forecast as show
from amo_analysis.stats import scale


@pytest.fixture(scope="module")
def synthetic():
    return metrics.derive_metrics(synth.make_portfolio(4_000, 11))


def _table(method: str, n: int, note: str = "", few: bool = False) -> pd.DataFrame:
    """A one-row forecast table with only the columns `method_paragraph` reads."""
    return pd.DataFrame(
        {
            "method": [method],
            "n_reference": [n],
            "method_duration": [method],
            "n_reference_duration": [n],
            "note": [note],
            "few_comparables": [few],
        }
    )


def test_method_paragraph_says_how_the_forecast_was_computed():
    regression = show.method_paragraph(_table("quantile regression", 300))
    assert "10-fold cross-fitted residuals" in regression and "its own spread" in regression
    assert "nearest" not in regression and "That is the case here" not in regression
    assert "indicative" not in regression
    large = show.method_paragraph(_table("quantile regression", scale.LARGE_N + 1))
    assert "split conformal" in large and f"random {scale.SUBSAMPLE_ROWS:,} of the" in large
    nearest = show.method_paragraph(_table("nearest projects", 8, few=True))
    assert "most similar" in nearest and "indicative" in nearest and "its own spread" not in nearest
    pooled = _table("quantile regression", 70, "the cost spread uses the residuals of both practice groups pooled")
    assert "That is the case here" in show.method_paragraph(pooled)
    assert "projets les plus proches" in show.method_paragraph(_table("nearest projects", 8), "fr")


def test_forecast_text_shows_amounts_with_their_decimals():
    table = pd.DataFrame(
        {
            "project_id": ["P1"],
            "amo": [True],
            "method": ["quantile regression"],
            "n_reference": [120],
            "cost_p80": [123_456.789],
            "chance_cost_overrun_10": [0.41234],
            "contingency": [0.23456],
            "chance_10pct_enough": [0.58766],
            "duration_p80": [np.nan],
        }
    )
    text = show.forecast_text(table)
    assert "123457" in text and "0.412" in text and "0.235" in text and "nan" in text
    calib = pd.DataFrame({"target": ["cost"], "group": ["all"], "share_exceeded": [0.21234]})
    assert "0.212" in show.calibration_text(calib)


ENGLISH_WORDS = ("quantile regression", "nearest projects", "final cost", "reference projects", "Split by", "Only ")


def test_forecast_records_keep_their_names_and_english_words(synthetic):
    table = fc.forecast(synthetic.iloc[:300], fc.new_project(100_000, 200, "ERP", 3), amo="both").summary_frame()
    calib, _ = fc.backtest(synthetic.iloc[:300], folds=5)
    records = show.forecast_records(table, calib, "en", "PMO", "kEUR")
    by_name = {r["name"]: r for r in records}
    assert list(by_name)[:6] == [
        "forecast.cost_p80.without",
        "forecast.contingency.without",
        "forecast.chance_10pct_enough.without",
        "forecast.cost_p80.with",
        "forecast.contingency.with",
        "forecast.chance_10pct_enough.with",
    ]
    assert {f"forecast.backtest.{t}.{g}" for t in ("cost", "duration") for g in ("all", "with", "without")} <= set(
        by_name
    )
    cost = by_name["forecast.cost_p80.with"]
    n = int(table.loc[1, "n_reference"])
    assert cost["value"] == table.loc[1, "cost_p80"] and cost["unit"] == "kEUR" and cost["headline"]
    assert cost["label"] == "Forecast final cost P80 (with PMO)"
    assert cost["method"] == f"reference-class forecast (quantile regression, {n} projects)"
    assert cost["note"] == table.loc[1, "note"]
    chance = by_name["forecast.chance_10pct_enough.without"]
    assert chance["label"] == "Chance that budget + 10 % is enough (without PMO)" and not chance["headline"]
    assert by_name["forecast.backtest.cost.all"]["headline"] and not by_name["forecast.backtest.cost.with"]["headline"]


def test_forecast_words_are_french_in_a_french_report(synthetic):
    small = metrics.derive_metrics(synth.make_portfolio(16, 7))
    new = fc.new_project(250_000, 300, "Quantum", 2)
    for reference in (synthetic.iloc[:300], small):  # quantile regression, then nearest projects with notes
        table = fc.forecast(reference, new, amo="both").summary_frame()
        calib, split = fc.backtest(reference, folds=5)
        texts = [show.method_paragraph(table, "fr"), localise(split, "fr")]
        records = show.forecast_records(table, calib, "fr")
        texts += [v for r in records for k, v in r.items() if isinstance(v, str) and k not in ("name", "unit")]
        summary = show.forecast_summary(table, "AMO", "fr")
        texts += list(summary["quantity"]) + [str(v) for v in summary.iloc[:, 1:].to_numpy().ravel()]
        for text in texts:
            assert not any(word in text for word in ENGLISH_WORDS), text
            assert "spread" not in text and "forecast" not in text, text
    assert "projets les plus proches" in show.method_paragraph(table, "fr")
    assert "Quantum" in localise(table.loc[0, "note"], "fr")  # the notes are French, their values kept
    assert "does not occur" in table.loc[0, "note"]  # ...and English where English is asked for


def test_calibration_display_names_target_and_group_in_the_report_language(synthetic):
    calib, _ = fc.backtest(synthetic.iloc[:300], folds=5)
    shown = show.calibration_display(calib, "fr", "PMO")
    assert set(shown["target"]) == {"coût", "durée"} and set(shown["group"]) == {
        "tous les projets",
        "avec PMO",
        "sans PMO",
    }
    assert shown.drop(columns=["target", "group"]).equals(calib.drop(columns=["target", "group"]))
    assert set(show.calibration_display(calib)["group"]) == {"all projects", "with AMO", "without AMO"}


def test_a_portfolio_without_practice_is_shown_as_one_scenario():
    data = metrics.derive_metrics(synth.make_portfolio(120, 0))
    data["amo"] = pd.array([pd.NA] * len(data), dtype="boolean")
    project = fc.new_project(budget=75_000, duration=180, project_type="ERP", complexity=3)
    table = fc.forecast(data, project, amo="both").summary_frame()
    assert show.scenario_group(table.at[0, "amo"]) == "all"
    assert show.scenario_name(table.at[0, "amo"], "AMO", "fr") == "tous les projets"
    assert list(show.forecast_summary(table, "AMO", "en").columns) == ["quantity", "all projects"]
