"""What the effects notebook shows (`report.show_effects`): the records of the estimates, claims and
detectable effects, the display tables and the check text, in the report language."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd

from amo_analysis.analyses import claims_check as cc
from amo_analysis.analyses import practice_effects as pe
from amo_analysis.ingest.metrics import derive_metrics
from amo_analysis.report import show_effects
from amo_analysis.report.run_context import RunContext
from amo_analysis.synth import make_portfolio
from tests.analyses.test_claims_check import fake_estimates
from tests.analyses.test_practice_effects import row, synthetic


def test_effects_records_hold_every_estimate_and_claim(tmp_path):
    est = fake_estimates()
    claims = cc.claims_check(est, 100)
    ctx = RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="02_amo_effects", run_dir=tmp_path)
    ctx.keep(show_effects.effects_records(est, claims, cc.detectable_effects(est)))
    saved = json.loads((tmp_path / "results" / "02_amo_effects.json").read_text(encoding="utf-8"))
    names = {r["name"]: r for r in saved}
    assert len(saved) == len(est) + len(claims) + len(pe.SPECS)
    claim = names["claim.amo_delay.pp"]
    assert claim["verdict"] == "supported" and claim["headline"] is True
    assert claim["unit"] == "percentage points" and claim["claimed"] == -0.16
    assert names["claim.amo_delay.relative_mean"]["unit"] == "percent change of the mean"
    ols = names["effect.log_cost_ratio.ols.pct"]
    assert ols["headline"] is True and ols["value"] == -0.2 and ols["unit"] == "percent change"
    assert names["effect.log_cost_ratio.aipw.pct"]["headline"] is False
    assert names["effect.budget_drift.ols.mean_pct"]["unit"] == "percent change of the mean"
    assert names["effect.budget_drift.aipw.pp"]["headline"] is False


def test_text_and_display_tables():
    est = fake_estimates()
    text = show_effects.estimates_text(est)
    assert "log_cost_ratio" in text and "-0.200" in text
    claims = cc.claims_check(est, 100)
    assert "supported" in show_effects.claims_text(claims)
    shown = show_effects.claims_display(claims, "fr")
    assert "sens inverse" in set(shown["verdict"]) and "affirmation publiée" in shown.columns
    assert len(show_effects.missing_display(est)) == 0


def test_covariates_text_names_each_covariate():
    text = show_effects.covariates_text(["log_budget", "complexity"])
    assert "`log_budget`" in text and "`complexity`" in text and "default" in text


def test_estimator_notes_are_shown_and_recorded_in_the_report_language(tmp_path):
    """The notes column keeps the estimators' `i18n.Message`s: English as before, French where a French
    report shows or records them (issue 13)."""
    from amo_analysis.i18n import Message, localise

    data = synthetic(24, 7)
    data.loc[data.index[:2], "log_cost_ratio"] = np.nan
    missing = int(data["log_cost_ratio"].isna().sum())  # the two set here and any the portfolio has
    est = pe.estimate_all(data, methods=("ols", "quantile"), specs=pe.SPECS[:1])
    ols = row(est, "log_cost_ratio", "ols")
    assert isinstance(ols["note"], Message) and ols["note"].startswith(
        f"Dropped {missing} of 24 rows with a missing value"
    )
    assert localise(ols["note"], "fr").startswith(f"{missing} lignes sur 24 écartées")
    why = show_effects.missing_display(est, "fr").iloc[:, -1]
    assert len(why) and why.str.startswith("La régression quantile à P").all()
    assert (
        show_effects.missing_display(est, "en").iloc[:, -1] == est.loc[est["estimate"].isna(), "note"].to_numpy()
    ).all()
    ctx = RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="02_amo_effects", run_dir=tmp_path)
    ctx.lang = "fr"
    ctx.keep(show_effects.effects_records(est, lang="fr"))
    saved = json.loads((tmp_path / "results" / "02_amo_effects.json").read_text(encoding="utf-8"))
    notes = [r["note"] for r in saved if r.get("note")]
    assert notes and all("Dropped" not in note and "Percent change" not in note for note in notes)


def test_a_claims_files_claim_is_checked_and_labelled_with_its_paraphrase(tmp_path):
    path = tmp_path / "rival.toml"
    path.write_text(
        'schema = 1\n[[claim]]\nkey = "rival_budget"\norder = 2.5\nfigure = "rival: -30 % budget drift"\n'
        'paraphrase_en = "A rival says its clients overrun 30 % less."\n'
        'paraphrase_fr = "Un concurrent dit que ses clients dérivent 30 % de moins."\n'
        'source = "brochure"\nsample = "unstated"\n[[claim.reading]]\nname = "relative"\nanalysis = "effects"\n'
        'outcome = "budget_drift"\nexposure = "practice"\nscale = "relative"\ntest = "effect"\nclaimed = -0.30\n',
        encoding="utf-8",
    )
    data = derive_metrics(make_portfolio(150, 5))
    claims = pe.claims_for(data, claims=pe.effect_claims(str(path))).summary_frame()
    assert list(claims["claim"]).index("rival_budget.relative") == 3  # after the three readings of −18 %
    ctx = RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="02_test", run_dir=tmp_path, lang="fr")
    ctx.keep(show_effects.effects_records(pd.DataFrame(columns=pe.ESTIMATE_COLUMNS), claims, lang="fr"))
    labels = {r["name"]: r["label"] for r in ctx.records}
    assert labels["claim.rival_budget.relative"].startswith("Affirmation « Un concurrent dit que ses clients")
    assert labels["claim.amo_budget_drift.relative"].startswith("Affirmation « avec AMO : −18 %")
    rival = claims.set_index("claim").loc["rival_budget.relative"]
    ours = claims.set_index("claim").loc["amo_budget_drift.relative"]
    assert rival["estimate"] == ours["estimate"] and rival["claimed"] == -0.30
