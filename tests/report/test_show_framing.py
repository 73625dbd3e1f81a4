"""What notebook 03 shows of analyses.framing (report.show_framing): names and sentences in the report's
language, what a run saves, the claims and notes as text, the record of the framing claim."""

import math

import pandas as pd
import pytest

from amo_analysis import synth
from amo_analysis.analyses import framing, pitfalls
from amo_analysis.i18n import Message, localise
from amo_analysis.ingest import metrics
from amo_analysis.report import show_framing, show_pitfalls


def _synthetic(n, seed):
    return framing.with_framing_columns(metrics.derive_metrics(synth.make_portfolio(n, seed)))


@pytest.fixture(scope="module")
def claims():
    """(data, pitfall effects, framing claim table, pitfall claims table) on 400 synthetic projects."""
    data = _synthetic(400, 3)
    effects = pitfalls.pitfall_effects(data, only=frozenset({("scope_creep", "drift_median")}))
    framing_claim, pitfall_claims = pitfalls.claims_check(data, 7, effects)
    return data, effects, framing_claim, pitfall_claims


def test_shown_translates_the_names_and_saves_them_as_they_are():
    data = _synthetic(300, 10)
    data["framing_q05"] = False
    table = framing.framing_risk_table(data, outcomes=("failed", "failed_or_challenged"), lang="fr")
    finding = show_framing.shown(table, "risk_ratios", "fr")
    assert finding.name == "risk_ratios" and finding.labels == show_framing.HEADERS
    assert list(finding.saved["model"]) == list(table["model"])  # the names stay in the saved table
    assert set(finding.table["model"]) == {
        "ajusté",
        "ajusté + pratique",
        "sans la pratique",
        "avec la pratique",
        "rapport avec / sans la pratique",
    }
    assert set(finding.table["outcome"]) == {"échec", "échec ou en difficulté"}
    assert finding.table["covariates"].iloc[0] == "log du budget, complexité, type de projet"
    notes = [n for n in finding.saved["note"] if n]
    assert notes and all(type(n) is str and "Aucun projet" in n for n in notes)
    english = show_framing.shown(table, "risk_ratios", "en")
    assert list(english.table["model"]) == list(table["model"])
    assert list(english.table["note"]) == [str(n) for n in table["note"]]


def test_pitfall_meanings_and_claims_show_in_french(claims):
    data, effects, _, _ = claims
    shown = show_framing.shown(effects, "pitfall_effects", "fr").table
    assert shown.loc[0, "meaning"] == "variation en % du rapport médian coût final / budget"
    assert shown.loc[0, "scale"] == "variation en %" and shown.loc[0, "measure"] == "drift_median"
    french = pitfalls.pitfall_claims(data, effects, lang="fr")
    table = show_framing.shown(french, lang="fr").table
    assert table.loc[0, "measure"] == "variation ajustée du rapport médian coût final / budget"
    assert set(table["verdict"]) <= {
        "étayée",
        "non concluante",
        "plus faible qu'annoncé",
        "plus fort qu'annoncé",
        "sens inverse",
    }
    assert set(table["unit"]) == {"variation en %", "proportion"}


def test_localised_keeps_the_names_and_translates_the_sentences():
    table = framing._table([{"model": "adjusted", "note": Message("fe_no_framing"), "estimate": 1.0}])
    saved = show_framing.localised(table, "fr")
    assert saved.loc[0, "model"] == "adjusted" and saved.loc[0, "note"] == localise(Message("fe_no_framing"), "fr")
    assert type(saved.loc[0, "note"]) is str and isinstance(table.loc[0, "note"], Message)


def test_notes_text_gives_each_reason_once_in_french():
    data = _synthetic(300, 10)
    data["framing_q05"] = False
    table = framing.framing_risk_table(data, outcomes=("failed",))
    q5 = table[table["exposure"] == "framing_q05"]
    text = show_framing.notes_text(q5, "fr")
    assert "personne n'y a répondu" in text and len(text.splitlines()) == 1
    assert show_framing.notes_text(table[table["note"] == ""], "fr") == ""


def test_a_record_note_is_in_the_report_language():
    note = Message("fe_no_framing")
    assert show_framing._note_in(note, "fr") == localise(note, "fr")
    assert math.isnan(show_framing._note_in(float("nan"), "fr"))  # a missing note stays missing


def test_claims_text_and_records(claims):
    _, _, framing_claim, pitfall_claims = claims
    lines = show_framing.claims_text(framing_claim, pitfall_claims).splitlines()
    assert [line.split()[0] for line in lines] == [framing.FRAMING_CLAIM.key, *pitfall_claims["key"]]
    assert all("verdict=" in line for line in lines)
    records = show_pitfalls.claims_records(framing_claim, pitfall_claims, "fr")
    assert [r["name"] for r in records] == ["framing.failure_rr.well_framed"] + [
        f"pitfalls.{key}" for key in pitfall_claims["key"]
    ]
    framing_record = show_framing.framing_claim_records(framing_claim, "fr")[0]
    assert framing_record["value"] == framing_claim.loc[0, "estimate"] and framing_record["headline"] is True
    assert show_framing.framing_claim_records(pd.DataFrame()) == []
