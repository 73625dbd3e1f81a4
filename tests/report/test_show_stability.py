"""The leave-one-out sentence (`report.show_stability.stability_sentence`) on the summary page's claim
card (`report.summary_claims.claim_cards`)."""

from amo_analysis.report.summary_claims import claim_cards


def _record(name, reading, verdict, **loo):
    return {
        "name": name,
        "label": f"The practice lowers drift ({reading})",
        "verdict": verdict,
        "value": -0.15,
        "ci_low": -0.3,
        "ci_high": 0.02,
        "n": 120,
        "unit": "percentage points",
        "claimed": -0.18,
        "headline": True,
        "stability": "stable",
        **loo,
    }


def test_the_card_says_which_reading_rests_on_which_project_in_both_languages():
    records = [
        _record("claim.drift.relative", "percent change", "supported", loo_low=-0.2, loo_high=-0.1),
        _record(
            "claim.drift.pp",
            "percentage points",
            "inconclusive",
            stability="rests on one project",
            decisive=["PRJ-0041", "PRJ-0100"],
            decisive_kind="project",
            decisive_verdict="supported",
        ),
    ]
    card = claim_cards(records, "en", "EUR")[1][0]
    assert card["sentence"].endswith(
        'percentage points: Without project PRJ-0041 the verdict would be "supported"; leaving out PRJ-0100 '
        "alone changes it too."
    )
    french = claim_cards(records, "fr", "EUR")[1][0]["sentence"]
    assert "Sans le projet PRJ-0041, le verdict serait « étayée »" in french
    # a stable first reading adds nothing; a hidden organisation is never named
    records[1].update(
        stability="rests on one organisation", decisive=[], decisive_hidden=1, decisive_kind="organisation"
    )
    assert "organisation that is not named" in claim_cards(records, "en", "EUR")[1][0]["sentence"]
    records[1]["stability"] = "stable"
    assert "verdict would be" not in claim_cards(records, "en", "EUR")[1][0]["sentence"]
