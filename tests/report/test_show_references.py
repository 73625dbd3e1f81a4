"""Tests of amo_analysis.report.show_references: notebook 06's table, sources and records, in both
languages, from `analyses.references.compare_with_benchmarks` on small frames and the sample."""

from __future__ import annotations

import pandas as pd
import pytest

from amo_analysis import paths
from amo_analysis.analyses import references
from amo_analysis.i18n import translate
from amo_analysis.ingest.portfolio import load_portfolio
from amo_analysis.report import show_references as show
from tests.analyses.test_references import frame


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return references.load_benchmarks()


def test_a_french_report_shows_the_figures_and_their_sources_in_french(shipped):
    data = frame([0.5] * 10 + [-0.1] * 10)
    french = references.compare_with_benchmarks(data, shipped, seed=0, lang="fr")
    shown = show.benchmark_table(french, "fr")
    assert "Dépassement de coût moyen des projets informatiques" in set(shown.iloc[:, 0])
    labels = {r["name"]: r["label"] for r in show.benchmark_records(french, "fr")}
    assert labels["benchmark.hbr2011_mean_cost_overrun"].startswith("Dépassement de coût moyen")
    assert "IT projects" not in " ".join(labels.values())
    sources = show.sources_table(shipped, "fr")
    for column in references.TRANSLATED_COLUMNS:
        assert list(sources[column]) == list(shipped[f"{column}_fr"]), column
    assert list(show.sources_table(shipped)["quality_note"]) == list(shipped["quality_note"])
    assert set(show.HEADERS) == set(sources.columns)
    assert [translate(show.HEADERS[c]) for c in sources.columns] == list(sources.columns)  # English: the names
    french_headers = [translate(show.HEADERS[c], "fr") for c in sources.columns]
    assert len(set(french_headers)) == len(french_headers) and "remarque sur la qualité" in french_headers


def test_the_sample_table_shows_percentages_and_the_portfolio_interval(shipped):
    data = load_portfolio(paths.SAMPLE_PORTFOLIO).data
    shown = show.benchmark_table(references.compare_with_benchmarks(data, shipped, seed=0))
    assert shown.columns[0] == "reference figure"
    assert shown.iloc[0]["benchmark"] == "27%"
    assert "[" in shown.iloc[0]["portfolio [95% interval]"]


def test_benchmark_records_put_the_headline_rows_on_the_summary(shipped):
    data = frame([0.5] * 10 + [-0.1] * 10)
    records = show.benchmark_records(references.compare_with_benchmarks(data, shipped, seed=0), "en")
    by_name = {r["name"]: r for r in records}
    mean = by_name["benchmark.hbr2011_mean_cost_overrun"]
    assert mean["headline"] is True and mean["benchmark"] == 0.27 and mean["value"] == pytest.approx(0.2)
    assert "27%" in mean["label"] and "Flyvbjerg" in mean["label"]
    assert by_name["benchmark.standish2015_on_budget"]["headline"] is False
    assert "benchmark.amo_claim_roi" not in by_name  # not comparable: nothing recorded


def test_comparison_text_lists_the_comparable_rows_with_three_decimals(shipped):
    data = frame([0.5] * 10 + [-0.1] * 10)
    comparison = references.compare_with_benchmarks(data, shipped, seed=0)
    lines = show.comparison_text(comparison).splitlines()
    assert lines[0].split() == ["key", "benchmark", "estimate", "ci_low", "ci_high", "n"]
    assert len(lines) == 1 + (comparison["portfolio_metric"] != "").sum()
    assert "amo_claim_roi" not in "\n".join(lines) and "0.270" in "\n".join(lines)
