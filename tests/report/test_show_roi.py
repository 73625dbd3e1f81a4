"""Tests of amo_analysis.report.show_roi: the ROI table's records and sentence, the table with adoption's
value, the published example and its assumptions in the report's language, and the fixed-width texts
(notebook 05), from simulations of planted portfolios."""

import numpy as np
import pytest

from amo_analysis.analyses.roi import run_note, simulate_roi, with_adoption_value
from amo_analysis.analyses.roi_example import DECODED_UNITS, decode_published_example, example_vs_portfolio
from amo_analysis.findings import Unavailable
from amo_analysis.i18n import localise
from amo_analysis.report import show_roi
from amo_analysis.report.show_roi import (
    QUANTITY_KEYS,
    UNIT_KEYS,
    assumptions_display,
    describe_run,
    published_example_display,
)
from tests.analyses.test_roi import planted


@pytest.fixture(scope="module")
def result():
    return simulate_roi(planted(n=400), budget=75_000, covariates=[], seed=0)


def test_the_published_example_and_its_assumptions_are_shown_in_the_report_language():
    assert set(QUANTITY_KEYS) == set(DECODED_UNITS) and set(UNIT_KEYS) == set(DECODED_UNITS.values())
    table = decode_published_example()
    assert published_example_display(table, "en").equals(table)  # English: the identifiers themselves
    french = published_example_display(table, "fr")
    assert french.loc[1, "quantity"] == "part des honoraires dans le budget"
    assert not set(french["quantity"]) & set(DECODED_UNITS)
    assert list(table["quantity"]) == list(DECODED_UNITS)  # the raw table keeps its keys
    data = planted(n=600, level=0.05, effect=0.0)
    data["budget_drift"] = np.exp(data["log_cost_ratio"]) - 1
    assumptions = example_vs_portfolio(data, simulate_roi(data, budget=75_000, covariates=[], seed=0))
    assert assumptions_display(assumptions, "en").equals(assumptions)
    shown = assumptions_display(assumptions, "fr")
    assert "dérive de référence sans la pratique" in set(shown["assumption"])
    assert set(shown["verdict_net"]) | set(shown["verdict_gross"]) <= {"compatible", "contredite", "non concluante"}
    assert not set(shown["assumption"]) & set(DECODED_UNITS)
    text = show_roi.assumptions_text(assumptions)
    assert "baseline drift without the practice" in text and "contradicted" in text


def test_the_run_note_is_describe_run_in_every_language(result):
    assert str(run_note(result)) == describe_run(result, "en")
    assert localise(run_note(result), "fr") == describe_run(result, "fr")
    assert describe_run(result, "fr").startswith("Honoraires")


def test_the_roi_finding_keeps_its_record_names_and_headlines(result):
    finding = show_roi.summary_finding(result, "fr")
    assert finding.name == "roi" and finding.text == describe_run(result, "fr")
    by_name = {r["name"]: r for r in finding.records}
    assert list(by_name) == [f"roi.{name}" for name in result.summary_frame()["name"]]
    assert {n for n, r in by_name.items() if r["headline"]} == {
        "roi.saving",
        "roi.prevented_per_euro",
        "roi.p_pays_for_itself",
    }
    saving = result.summary_frame().set_index("name").loc["saving"]
    assert by_name["roi.saving"]["value"] == saving["value"] and by_name["roi.saving"]["unit"] == "cost"
    assert np.isnan(by_name["roi.p_pays_for_itself"]["ci_low"])  # a probability has no interval over refits
    assert "saving" in show_roi.summary_text(result)
    assert show_roi.summary_text(None) == "not estimated"
    assert show_roi.summary_text(Unavailable("too few projects")) == "not estimated"


def test_the_adoption_finding_states_the_users_assumption():
    data = planted(n=300)
    data["adoption_m3"] = np.clip(0.5 + 0.10 * data["amo"] + np.random.default_rng(4).normal(0, 0.05, 300), 0, 1)
    result = simulate_roi(data, budget=100_000.0, covariates=[], n_draws=200, seed=1)
    table = with_adoption_value(data, result, 1_000.0, covariates=[], seed=3)
    finding = show_roi.adoption_value_finding(table, "en")
    assert finding.name == "roi_with_adoption" and "not a finding" in finding.text
    assert [r["name"] for r in finding.records][-1] == "roi.with_adoption.value_per_euro_with_adoption"
    assert all(r["assumption"] == finding.text and not r["headline"] for r in finding.records)
    empty = show_roi.adoption_value_finding(with_adoption_value(data, result, None), "en")
    assert empty.records == [] and empty.text == ""


def test_the_covariates_note_names_both_lists_and_says_when_they_agree():
    data = planted(n=120, effect=-0.2, seed=1)
    data["project_type"] = np.where(np.arange(len(data)) % 2, "ERP", "CRM")
    data["complexity"] = np.arange(len(data)) % 5 + 1  # varies, so notebook 02 keeps it too
    roi = simulate_roi(data, budget=100_000, n_bootstrap=20, n_draws=100)
    note = show_roi.covariates_note(roi, data, "en")
    assert roi.covariates == ["log_budget", "complexity"]
    assert "adjusts for log_budget, complexity; notebook 02" in note and "project_type" in note
    assert "give project_type to simulate a project of that type" in note
    assert "project_type" in show_roi.covariates_note(roi, data, "fr")
    same = simulate_roi(data, budget=100_000, covariates=["log_budget", "complexity", "project_type"], n_bootstrap=20)
    assert "same covariates" in show_roi.covariates_note(same, data, "en")
    assert show_roi.covariates_note(Unavailable("too few"), data, "en") is None
