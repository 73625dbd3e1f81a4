"""Tests of amo_analysis.report.show_article: the article page's table, sources and records, in both
languages, from `analyses.article.claims_by_article` on synthetic portfolios."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from amo_analysis import synth
from amo_analysis.analyses import article
from amo_analysis.ingest import metrics
from amo_analysis.report import show_article
from amo_analysis.report.run_context import RunContext
from amo_analysis.stats import claims as claims_mod


def _roi_portfolio(effect: float, n=400) -> pd.DataFrame:
    """Costs 22 % over plan without the practice, × `effect` with it; fee 10 % of the budget."""
    raw = synth.make_portfolio(n, 11, share_unfinished=0.0, share_cancelled=0.0)
    for pitfall in article.pitfalls.PITFALL_COLUMNS:
        raw[pitfall] = False
    rng = np.random.default_rng(12)
    amo = raw["amo"].astype(bool).to_numpy()
    raw["cost_actual"] = raw["budget_planned"] * np.exp(0.2 + rng.normal(0, 0.05, n)) * np.where(amo, effect, 1.0)
    raw["amo_cost"] = np.where(amo, 0.1 * raw["budget_planned"], np.nan)
    return metrics.derive_metrics(raw)


def test_the_roi_reading_and_the_samples_are_shown_in_french():
    table = article.claims_by_article(_roi_portfolio(1.0), keys=["roi_example.per_euro"])
    row = table.iloc[0]
    assert row["note"].startswith("Fee: ")  # the saved table keeps the English sentence
    assert show_article.note_text(row, "en") == row["note"]
    assert show_article.note_text(row, "fr").startswith("Honoraires : ") and "Fee" not in show_article.note_text(
        row, "fr"
    )
    records = show_article.article_records(table, lang="fr")
    assert records[0]["note"].startswith("Honoraires : ")
    sources = show_article.sources_display(lang="fr")
    assert "24 projets de clients du cabinet" in set(sources.iloc[:, 2])
    assert not {"unstated", "24 projects of the consultancy's clients"} & set(sources.iloc[:, 2])
    assert "unstated" in set(show_article.sources_display(lang="en").iloc[:, 2])


def test_every_reading_in_the_register_order_and_recorded_under_claim(tmp_path):
    data = metrics.derive_metrics(synth.make_portfolio(150, 2))
    table = article.claims_by_article(data)
    register = claims_mod.load_register()
    assert list(table["claim"] + "." + table["reading"]) == [r.key for c in register for r in c.readings]
    assert list(table["order"]) == sorted(table["order"])
    assert set(table["verdict"]) <= set(claims_mod.VERDICTS)
    shown = show_article.article_display(table, lang="fr")
    assert len(shown) == len(table) and shown.iloc[0, 0].startswith("1. Cinq pièges")
    ctx = RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="08_test", run_dir=tmp_path, lang="en")
    ctx.keep(show_article.article_records(table, lang=ctx.lang))
    names = [r["name"] for r in ctx.records]
    expected = [f"claim.{r.key}" for c in register for r in c.readings if r.analysis != "effects"]
    assert names == expected  # the effects readings are recorded by notebook 02 under the same names
    assert all(r["verdict"] in claims_mod.VERDICTS and r["headline"] for r in ctx.records)
