"""The words, text and records of the tail index of cost overruns (report.show_overruns, notebook 01):
the reading of each regime, the sentence of a tail not estimated, the records in both languages."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from amo_analysis.analyses import overruns
from amo_analysis.report import show_overruns
from amo_analysis.report.run_context import RunContext
from conftest import overrun_portfolio as portfolio


def context(tmp_path, lang="en") -> RunContext:
    return RunContext(
        portfolio=SimpleNamespace(practice_name="AMO"), notebook="01_test", run_dir=tmp_path / "run", lang=lang
    )


def records(tmp_path) -> dict:
    rows = json.loads((tmp_path / "run" / "results" / "01_test.json").read_text(encoding="utf-8"))
    return {r["name"]: r for r in rows}


@pytest.fixture(scope="module")
def pareto_tail():
    return overruns.cost_tail(portfolio(1.5, 2000, seed=4), seed=0)


def test_pareto_one_and_a_half_reads_as_infinite_variance(pareto_tail):
    text = show_overruns.tail_reading_text(pareto_tail, "en")
    assert "variance is infinite" in text and "P80" in text and "Flyvbjerg" in text
    assert "not even defined" not in text  # not the α ≤ 1 reading
    assert show_overruns.tail_reading(pareto_tail, "en") == text
    lines = show_overruns.tail_text(pareto_tail).splitlines()
    assert [line.split()[0] for line in lines] == ["hill", "gpd"] and "regime=infinite variance" in lines[0]


def test_infinite_mean_and_thin_tails_get_their_own_reading():
    heavy = overruns.cost_tail(portfolio(0.7, 2000, seed=2))
    assert "“mean + x %” contingencies mislead" in show_overruns.tail_reading_text(heavy, "en")
    thin = overruns.cost_tail(portfolio(4.0, 2000, seed=2))
    assert "averages are usable" in show_overruns.tail_reading_text(thin)


def test_a_tail_not_estimated_is_one_sentence_and_no_reading_under_the_plot():
    data = portfolio(1.5, 60, seed=1, under=1.0)  # every project on or under budget …
    data.loc[:5, "cost_actual"] = data.loc[:5, "budget_planned"] * 1.3  # … but six
    tail = overruns.cost_tail(data)
    assert show_overruns.tail_reading_text(tail) == tail.why and tail.why.startswith("Only 6 finished projects")
    assert show_overruns.tail_reading(tail) == ""
    assert show_overruns.tail_text(tail) == "not estimated: n=60 overruns=6"
    finding = show_overruns.tail_finding(tail)
    assert finding.name == "tail_index" and finding.table.attrs["why"] == tail.why


def test_a_capped_search_is_said():
    capped = overruns.cost_tail(portfolio(1.5, 3000, seed=7), max_tail=300)
    assert "searched among the 300 largest" in show_overruns.tail_reading_text(capped)


def test_records_of_the_tail(tmp_path, pareto_tail):
    context(tmp_path).keep(show_overruns.tail_records(pareto_tail))
    rec = records(tmp_path)
    hill, gpd = rec["tails.cost_ratio.alpha"], rec["tails.cost_ratio.alpha_gpd"]
    assert (hill["method"], gpd["method"]) == ("Hill", "GPD") and hill["headline"] is True
    assert hill["value"] == pytest.approx(pareto_tail.hill.alpha) and hill["ci_low"] < 1.5 < hill["ci_high"]
    assert hill["k"] == pareto_tail.hill.k and hill["n"] == 2000 and hill["regime"] == "infinite variance"
    assert gpd["threshold"] == pytest.approx(pareto_tail.hill.threshold)  # the GPD fits above Hill's threshold
    assert hill["reading"] == show_overruns.fit_reading(pareto_tail.hill, "en")


def test_records_when_not_estimated(tmp_path):
    tail = overruns.cost_tail(portfolio(1.5, 30, under=1.0), lang="fr")
    context(tmp_path, "fr").keep(show_overruns.tail_records(tail, "fr"))
    rec = records(tmp_path)["tails.cost_ratio.alpha"]
    assert rec["value"] is None and rec["note"] == tail.why and rec["n_overruns"] == 0
    assert rec["label"] == "indice de queue α du coût réel ÷ prévu (Hill)"


def test_french_words_are_french(pareto_tail):
    text = show_overruns.tail_reading_text(pareto_tail, "fr")
    assert "variance est infinie" in text and "provision « moyenne + x % »" in text and "Intervalle à 95 %" in text
    assert re.search(r"α ≈ 1,\d\d ≤ 2", text)  # decimal comma
    for english in ("infinite", "interval", "published", "threshold", "overruns?", "the", "variance is"):
        assert not re.search(rf"\b{english}\b", text), english
