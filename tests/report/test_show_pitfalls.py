"""What notebook 03 shows of analyses.pitfalls (report.show_pitfalls): the E-value text, records,
finding and French headers, and the records of the claims."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from amo_analysis.analyses import framing, pitfalls
from amo_analysis.ingest.portfolio import load_portfolio
from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.report import show_framing, show_pitfalls
from amo_analysis.report.run_context import RunContext


@pytest.fixture(scope="module")
def evalues():
    sample = framing.with_framing_columns(load_portfolio(SAMPLE_PORTFOLIO).data)
    return pitfalls.evalue_table(sample, framing.framing_risk_table(sample))


def test_evalue_text_and_finding(evalues):
    lines = show_pitfalls.evalue_text(evalues).splitlines()
    assert len(lines) == len(evalues) and lines[0].split()[:2] == ["framing_score", "failed"]
    assert "evalue=" in lines[0] and "evalue_ci=" in lines[0]
    finding = show_pitfalls.evalue_finding(evalues, "fr", "AMO")
    assert finding.name == "evalues" and finding.labels == show_framing.HEADERS
    assert [r["name"] for r in finding.records] == [r["name"] for r in show_pitfalls.evalue_records(evalues, "fr")]


def test_no_claim_table_gives_no_claim_record():
    bare = pd.DataFrame({"amo": [True, False, True], "budget_planned": [1.0, 2.0, 3.0]})
    claim, pitfall_claims = pitfalls.claims_check(bare, 7, pitfalls.pitfall_data(bare))
    assert show_pitfalls.claims_records(claim, pitfall_claims) == []


def test_evalue_records(tmp_path, evalues):
    ctx = RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="03_test", run_dir=tmp_path, lang="fr")
    ctx.keep(show_pitfalls.evalue_records(evalues, "fr", "AMO"))
    saved = json.loads((tmp_path / "results" / "03_test.json").read_text(encoding="utf-8"))
    rec = {r["name"]: r for r in saved}
    assert len(rec) == len(evalues)
    scope = rec["sensitivity.pitfall.scope_creep.failed.evalue"]
    row = evalues[(evalues["exposure"] == "scope_creep") & (evalues["outcome"] == "failed")].iloc[0]
    assert scope["value"] == pytest.approx(row["evalue"]) and scope["evalue_ci"] == pytest.approx(row["evalue_ci"])
    assert scope["rr"] == pytest.approx(row["estimate"]) and scope["unit"] == "ratio"
    assert scope["label"] == "Valeur E du rapport de risques (échec) : Dérive du périmètre"
    assert "sensitivity.framing.well_framed.failed_or_challenged.evalue" in rec


def test_evalue_headers_are_french(monkeypatch, evalues):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, *a, **k: shown.append(obj))
    RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="03_test", lang="fr").show_table(
        evalues, labels=show_framing.HEADERS
    )
    headers = [str(c) for c in shown[0].data.columns]
    assert "valeur E" in headers and "valeur E de l'intervalle" in headers and "E-value" not in headers
