"""Tests of amo_analysis.analyses.article_stability: the leave-one-out fields of notebook 08's readings
other than the effects check — closed forms checked against brute force (drop each project, rerun the
page), a planted project named, a hidden organisation never named, the bundled sample's records."""

import math
import time

import numpy as np
import pytest

from amo_analysis import synth
from amo_analysis.analyses import article, article_stability, stability
from amo_analysis.report import show_article
from amo_analysis.i18n import localise
from amo_analysis.ingest import metrics
from amo_analysis.ingest.collection import load_any

from tests.analyses.test_stability import SAMPLE_PORTFOLIO

SHARE = "pitfalls_70pct.share_of_troubled"
LEVEL = "poor_requirements_adoption.level"
SCOPE = "scope_creep_drift.relative"


def _portfolio(n=40, seed=3):
    raw = synth.make_portfolio(n, seed, share_unfinished=0.0, share_cancelled=0.0)
    for pitfall in article.pitfalls.PITFALL_COLUMNS:
        raw[pitfall] = False
    return metrics.derive_metrics(raw)


def _share_on_the_edge():
    """20 troubled projects, 10 with a pitfall: Wilson [0.30, 0.7007] holds 0.70 ("supported"); without
    any one of the 10 the interval ends at 0.683 ("smaller than claimed")."""
    data = _portfolio()
    data["outcome_class"] = ["failed"] * 10 + ["challenged"] * 10 + ["successful"] * 20
    data["scope_creep"] = [True] * 10 + [False] * 30
    return data


def _one(data, key, **options) -> dict:
    table = article.claims_by_article(data, keys=[key], **options)
    return table.iloc[0].to_dict()


def test_a_share_on_the_edge_names_the_projects_brute_force_finds():
    data = _share_on_the_edge()
    row = _one(data, SHARE)
    assert row["verdict"] == "supported" and row["n"] == 20
    brute = {}
    for label in data.index:
        part = _one(data.drop(index=[label]), SHARE)
        brute[str(data.loc[label, "project_id"])] = (part["estimate"], part["verdict"])
    changers = {pid for pid, (_, verdict) in brute.items() if verdict != row["verdict"]}
    assert changers == set(data["project_id"].iloc[:10])
    assert row["stability"] == stability.ONE_PROJECT and row["decisive_kind"] == "project"
    assert set(row["decisive"]) <= changers and len(row["decisive"]) == stability.MAX_DECISIVE
    assert row["decisive_verdict"] == "smaller than claimed"
    estimates = [e for e, _ in brute.values()]
    assert row["loo_low"] == pytest.approx(min(estimates)) and row["loo_high"] == pytest.approx(max(estimates))
    assert "Without project" in localise(row["note"], "en") and "Sans le projet" in localise(row["note"], "fr")


def test_a_planted_project_deciding_a_level_is_named_alone():
    """Adoption of the projects with poor requirements at 0.40–0.44 ("below 50 %": supported), but one
    of them at 0.99 pulls the interval over 50 %: only it, left out, changes the verdict."""
    data = _portfolio(60, 4)
    hit = np.arange(len(data)) < 12
    data["poor_requirements"] = hit
    data.loc[hit, "adoption_m3"] = np.linspace(0.40, 0.44, 12)
    monster = data.index[5]
    data.loc[monster, "adoption_m3"] = 0.99
    row = _one(data, LEVEL)
    brute = {str(data.loc[i, "project_id"]): _one(data.drop(index=[i]), LEVEL)["verdict"] for i in data.index[hit]}
    changers = [pid for pid, verdict in brute.items() if verdict != row["verdict"]]
    assert changers == [str(data.loc[monster, "project_id"])]
    assert row["stability"] == stability.ONE_PROJECT and row["decisive"] == changers
    assert row["decisive_verdict"] == "supported" != row["verdict"]
    exposed = data.loc[hit, "adoption_m3"]
    assert row["loo_low"] == pytest.approx(exposed.drop(index=monster).mean())


def test_a_hidden_organisation_is_never_named():
    """80 troubled projects, 66 with a pitfall: Wilson [0.727, 0.89] is above 70 % ("larger than
    claimed"), without any one project too (0.724); one organisation holds 12 of them and without it
    (54 of 68) the interval reaches 0.684. Named when public, counted in decisive_hidden (never
    written, in either language) when not."""
    data = _portfolio(80, 3)
    data["outcome_class"] = "failed"
    data["scope_creep"] = np.arange(80) < 66
    data["organisation"] = ["Secret Org"] * 12 + ["Public Org"] * 68
    public = _one(data, SHARE, public={"Secret Org", "Public Org"})
    assert public["stability"] == stability.ONE_ORGANISATION and public["decisive"] == ["Secret Org"]
    hidden = _one(data, SHARE, public={"Public Org"})
    assert hidden["stability"] == stability.ONE_ORGANISATION
    assert hidden["decisive"] == [] and hidden["decisive_hidden"] == 1
    for lang in ("en", "fr"):
        assert "Secret Org" not in localise(hidden["note"], lang)
    records = show_article.article_records(article.claims_by_article(data, keys=[SHARE], public={"Public Org"}))
    assert "Secret Org" not in str(records)


def test_a_regression_reading_refits_at_most_the_cap_and_every_organisation():
    data = _portfolio(80, 5)
    data["scope_creep"] = np.arange(len(data)) % 2 == 0
    row = _one(data, SCOPE)
    assert row["stability"] in (stability.STABLE, stability.ONE_PROJECT, stability.ONE_ORGANISATION)
    organisations = data["organisation"].nunique()
    assert 1 <= row["n_refits"] <= article_stability.MAX_REFITS + organisations
    assert row["loo_low"] <= row["estimate"] <= row["loo_high"]


@pytest.fixture(scope="module")
def sample_records():
    data = load_any(SAMPLE_PORTFOLIO).data
    return {r["name"]: r for r in show_article.article_records(article.claims_by_article(data))}


def test_the_sample_records_carry_the_fields(sample_records):
    names = [
        "claim.pitfalls_70pct.share_of_troubled",
        "claim.pitfalls_70pct.share_of_all",
        "claim.scope_creep_drift.relative",
        "claim.poor_requirements_adoption.level",
        "claim.no_sponsor_slip.relative",
        "claim.integrator_lockin_cost.relative",
        "claim.late_change_mgmt_adoption.pp",
        "claim.framing_failure_rr.ratio",
        "claim.margin_10pct.portfolio_share",
    ]
    for name in names:
        rec = sample_records[name]
        assert rec["stability"] in (stability.STABLE, stability.ONE_PROJECT, stability.ONE_ORGANISATION), name
        assert len(rec["decisive"]) <= stability.MAX_DECISIVE
        assert rec["loo_low"] is not None and rec["loo_low"] <= rec["value"] + 1e-12 <= rec["loo_high"] + 2e-12, name
        if rec["stability"] != stability.STABLE:
            assert rec["decisive_verdict"] not in (None, rec["verdict"]), name
    for name in (
        "claim.margin_10pct.forecast_with",
        "claim.margin_10pct.forecast_without",
        "claim.roi_example.per_euro",
    ):
        rec = sample_records[name]
        assert rec["stability"] == article_stability.NOT_ASSESSED and rec["loo_low"] is None
        assert "not assessed" in rec["note"]
    # not testable on the sample (no run-cost column): nothing to test
    assert sample_records["claim.integrator_lockin_cost.run_cost"]["stability"] == stability.STABLE


@pytest.mark.slow
def test_two_thousand_projects_stay_affordable():
    """The leave-one-out adds at most MAX_REFITS + 16 refits per regression reading (each refitting that
    reading's model only). Measured on the 2-core machine at 2 000 projects: the whole page 25 s
    (8.7 s without the leave-one-out) idle, 65 s under a load of 6; these six readings 26 s under that
    load. They must stay under 60 s."""
    data = _portfolio(2000, 8)
    rng = np.random.default_rng(8)
    for pitfall in article.pitfalls.PITFALL_COLUMNS:
        data[pitfall] = rng.random(len(data)) < 0.3
    # one reading of each kind: shares, the level, a quantile regression, a fractional logit, the RR GLM
    keys = [
        SHARE,
        "pitfalls_70pct.share_of_all",
        LEVEL,
        SCOPE,
        "late_change_mgmt_adoption.pp",
        "framing_failure_rr.ratio",
    ]
    start = time.perf_counter()
    table = article.claims_by_article(data, keys=keys)
    elapsed = time.perf_counter() - start
    assert elapsed < 60, elapsed
    refitted = table[table["analysis"].isin(["pitfall_effect", "framing_rr"]) & table["testable"]]
    assert len(refitted) and (refitted["n_refits"] <= article_stability.MAX_REFITS + 16).all()
    assert all(math.isfinite(v) for v in table.loc[table["analysis"] == "pitfall_share", "loo_low"])
