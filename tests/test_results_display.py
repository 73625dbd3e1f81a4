"""Every result object reads like a statsmodels result: a repr of at most 400 characters on one line, an
HTML table (every text escaped), a `summary()` that is text and HTML and names what was computed, and,
when tabular, `summary_frame()` (a DataFrame)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import amo_analysis as amo
from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.results_display import REPR_LIMIT, ResultDisplay, Summary
from amo_analysis.stats import claims, refuters, sensitivity, tails


@pytest.fixture(scope="module")
def portfolio():
    return amo.load_portfolio(SAMPLE_PORTFOLIO)


@pytest.fixture(scope="module")
def data(portfolio):
    return amo.with_model_columns(portfolio.data)


@pytest.fixture(scope="module")
def results(portfolio, data):
    """name → (result, words its summary must contain)."""
    ratios = 1 + np.random.default_rng(3).pareto(1.5, 300)
    effect = amo.estimate_effect(data, "log_cost_ratio", "amo", ["log_budget", "complexity"], cluster="organisation")
    return {
        "portfolio": (portfolio, ["sample_portfolio.csv", "120", "AMO"]),
        "effect": (effect, ["log_cost_ratio ~ amo + log_budget + complexity", "CR2", "Percent change"]),
        "percent": (effect.as_percent_change(), ["Log difference", "percent change"]),
        "subgroups": (
            amo.estimate_effect(data, "log_cost_ratio", "amo", ["log_budget"], by="project_type"),
            ["ERP", "by project_type", "log_budget"],
        ),
        "interaction": (
            amo.interaction_test(data, "log_cost_ratio", "amo", by="project_type", covariates=["log_budget"]),
            ["Wald F", "amo * C(project_type)", "HC2"],
        ),
        "roi": (amo.simulate_roi(data, n_draws=500, n_bootstrap=50), ["log_cost_ratio ~ amo", "Saving", "Fee"]),
        "forecast": (
            amo.forecast(data, amo.new_project(75_000, 180, "ERP", 3), amo="both"),
            ["Reference-class forecast", "cost P80", "contingency", "Accepted risk"],
        ),
        "random_effects": (
            amo.random_effects([0.1, 0.2, -0.05, 0.3], [0.01, 0.02, 0.015, 0.03]),
            ["Paule–Mandel", "Prediction interval", "I²"],
        ),
        "hill": (tails.hill_tail(ratios), ["Tail index α", "exceedances"]),
        "gpd": (tails.gpd_tail(ratios, bootstrap=50), ["gpd", "GPD scale σ"]),
        "refutation": (
            refuters.placebo_practice(data, "log_cost_ratio", "amo", ["log_budget"], draws=200),
            ["Refutation", "Verdict", "Refuted estimate"],
        ),
        "evalue": (sensitivity.evalue(1.5, 1.1, 2.0), ["E-value", "1.5 [1.1, 2]"]),
        "claim": (claims.as_claim_of("amo_budget_drift.relative"), ["-18.0%", "budget_drift (relative reading)"]),
        "registered_claim": (amo.load_register()[0], ["Registered claim", "Readings"]),
        "claims_check": (amo.claims_for(data), ["Claims check", "amo_budget_drift.relative", "vs claimed", "Design"]),
    }


NAMES = ["portfolio", "effect", "percent", "subgroups", "interaction", "roi", "forecast", "random_effects"]
NAMES += ["hill", "gpd", "refutation", "evalue", "claim", "registered_claim", "claims_check"]


@pytest.mark.parametrize("name", NAMES)
def test_repr_is_one_short_line(results, name):
    result, _ = results[name]
    text = repr(result)
    assert "\n" not in text and len(text) <= REPR_LIMIT, (len(text), text)
    assert text.startswith(f"<{type(result).__name__}")


@pytest.mark.parametrize("name", NAMES)
def test_html_is_a_table(results, name):
    result, _ = results[name]
    page = result._repr_html_()
    assert page.startswith("<table><caption>") and page.endswith("</table>")
    assert page.count("<tr>") >= 3 and len(page) < 6_000


@pytest.mark.parametrize("name", NAMES)
def test_summary_is_text_and_html_and_names_what_was_computed(results, name):
    result, words = results[name]
    summary = result.summary()
    assert isinstance(summary, Summary) and isinstance(summary, str)
    assert summary.as_text() == str(summary) and summary.as_html() == summary._repr_html_()
    for word in words:
        assert word in summary, (word, summary)


@pytest.mark.parametrize(
    "name",
    [
        "subgroups",
        "interaction",
        "roi",
        "forecast",
        "random_effects",
        "hill",
        "refutation",
        "evalue",
        "registered_claim",
        "claims_check",
    ],
)
def test_tabular_results_have_a_summary_frame(results, name):
    frame = results[name][0].summary_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 1


def test_the_summary_frames_hold_the_results_values(results):
    pooled = results["random_effects"][0]
    row = pooled.summary_frame().iloc[0]
    assert (row["estimate"], row["tau2"], row["k"]) == (pooled.estimate, pooled.tau2, pooled.k)
    hill = results["hill"][0]
    assert hill.summary_frame().iloc[0]["alpha"] == hill.alpha and np.isnan(hill.summary_frame().iloc[0]["scale"])
    e = results["evalue"][0]
    assert e.summary_frame().iloc[0]["point"] == e.point
    check = results["claims_check"][0]
    assert check.summary_frame().equals(check.table) and check.summary_frame() is not check.table
    roi = results["roi"][0]
    assert roi.summary_frame().set_index("name").loc["saving", "value"] == pytest.approx(
        roi.expectations()["saving"].mean()
    )


def test_every_text_is_escaped():
    class Toy(ResultDisplay):
        def _display_title(self):
            return "a <title>"

        def _display_rows(self):
            return [("<b>label</b>", "x & y")]

        def _display_notes(self, lang="en"):
            return ["1 < 2"]

    page = Toy()._repr_html_()
    assert "<b>" not in page and "&lt;b&gt;label&lt;/b&gt;" in page and "x &amp; y" in page
    assert "a &lt;title&gt;" in page and "1 &lt; 2" in page
    assert "<b>" not in Toy().summary().as_html()


def test_a_long_repr_is_cut_at_the_limit():
    class Long(ResultDisplay):
        def _display_rows(self):
            return [("x", "y" * 1_000)]

    text = repr(Long())
    assert len(text) == REPR_LIMIT and text.endswith("…>")


def test_a_portfolio_no_longer_prints_its_data(portfolio):
    # the dataclass repr dumped the whole table (8 000+ characters); the repr now names it
    assert len(repr(portfolio)) < 200 and "Projects 120" in repr(portfolio)
    assert "44 with, 76 without" in repr(portfolio)


def test_the_display_does_not_change_equality_or_records(results):
    pooled = results["random_effects"][0]
    assert replace(pooled) == pooled
    effect = results["effect"][0]
    assert "Percent change" not in str(effect.to_dict())
