"""Table headers in the run's language: `RunContext.show_table` translates a column only when it is
one of `CANONICAL_COLUMNS` or the caller maps it with `labels=`; numbers follow the locale file."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from amo_analysis.analyses import framing, roi_example
from amo_analysis.i18n import NNBSP, TRANSLATIONS, translate
from amo_analysis.report import show_forecast, show_framing, show_references, show_roi
from amo_analysis.report.run_context import CANONICAL_COLUMNS, RunContext

MODULE_HEADERS = {
    "framing": show_framing.HEADERS,
    "forecast": show_forecast.HEADERS,
    "roi": show_roi.HEADERS,
    "references": show_references.HEADERS,
}


def context(lang: str, run_dir=None) -> RunContext:
    # show_table needs only the practice name of the portfolio
    return RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="07_test", run_dir=run_dir, lang=lang)


@pytest.fixture
def shown(monkeypatch):
    """The tables `show_table` displays (pandas Stylers), in order."""
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, *a, **k: calls.append(obj))
    return calls


def headers(styler) -> list[str]:
    return [str(c) for c in styler.data.columns]


def test_show_table_translates_canonical_columns_only(shown):
    table = pd.DataFrame({"estimate": [0.1], "ci_low": [0.0], "name": ["a"], "year": [2020], "other": [1]})
    context("fr").show_table(table)
    # "name" and "year" are translation keys too, but not canonical: shown as named
    assert headers(shown[0]) == ["estimation", "IC 95 % bas", "name", "year", "other"]
    context("en").show_table(table)
    assert headers(shown[1]) == ["estimate", "95% CI low", "name", "year", "other"]


def test_labels_map_columns_to_keys_and_may_name_absent_columns(shown):
    table = pd.DataFrame({"name": ["a"], "centre": [1.0], "n": [3]})
    context("fr").show_table(table, labels={"name": "name", "centre": "median", "absent": "year"})
    assert headers(shown[0]) == ["grandeur", "médiane", "n"]


def test_labels_must_name_translation_keys_and_are_checked_before_saving(shown, tmp_path):
    ctx = context("fr", tmp_path / "run")
    with pytest.raises(KeyError, match="no_such_key"):
        ctx.show_table(pd.DataFrame({"a": [1]}), "t", labels={"a": "no_such_key"})
    assert shown == [] and not (tmp_path / "run" / "tables").exists()


def test_headers_that_would_clash_keep_their_names(shown):
    table = pd.DataFrame({"citation": ["x"], "source": ["y"]})  # both are "source" in English
    context("en").show_table(table, labels={"citation": "citation", "source": "source"})
    assert headers(shown[0]) == ["citation", "source"]


def test_saved_table_keeps_its_column_names(shown, tmp_path):
    ctx = context("fr", tmp_path / "run")
    ctx.show_table(pd.DataFrame({"estimate": [1.0]}), "kept")
    assert (tmp_path / "run" / "tables" / "07_test_kept.csv").read_text(encoding="utf-8").splitlines()[0] == "estimate"
    assert headers(shown[0]) == ["estimation"]


@pytest.mark.parametrize("lang, text", [("fr", f"1{NNBSP}234,500"), ("en", "1234.500")])
def test_table_numbers_follow_the_locale(shown, lang, text):
    context(lang).show_table(pd.DataFrame({"value": [1234.5]}))
    assert text in shown[0].to_html()


def test_every_canonical_column_and_module_label_is_a_translation_key():
    assert sorted(CANONICAL_COLUMNS - set(TRANSLATIONS)) == []
    for module, mapping in MODULE_HEADERS.items():
        assert sorted(set(mapping.values()) - set(TRANSLATIONS)) == [], module
        # a module maps only its own columns: canonical ones are translated anyway
        assert sorted(set(mapping) & CANONICAL_COLUMNS) == [], module


def shown_names(table: pd.DataFrame, labels: dict) -> set[str]:
    return {c for c in table.columns if c in CANONICAL_COLUMNS or c in labels}


def test_roi_tables_have_every_column_labelled():
    example = roi_example.decode_published_example()
    assert set(example.columns) == shown_names(example, show_roi.HEADERS)
    assert translate("net_reading", "fr") in [translate(show_roi.HEADERS.get(c, c), "fr") for c in example.columns]


def test_framing_tables_have_every_column_labelled():
    from amo_analysis.ingest.portfolio import load_portfolio
    from amo_analysis.paths import SAMPLE_PORTFOLIO

    data = load_portfolio(SAMPLE_PORTFOLIO).data
    rates = framing.question_answer_rates(data, "fr")
    assert set(rates.columns) == shown_names(rates, show_framing.HEADERS)
    distribution = framing.framing_score_distribution(data)
    # every column, `all` too ("tous" in a French report, #13)
    assert set(distribution.columns) == shown_names(distribution, show_framing.HEADERS)
