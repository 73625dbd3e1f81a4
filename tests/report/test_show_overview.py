"""What notebook 01 and the summary page show of analyses.overview (report.show_overview): the records
of the re-baselined-plan checks, their sentences from a run's records, the tail and balance texts."""

import pandas as pd
import pytest

from amo_analysis.analyses import overview
from amo_analysis.report import show_overview


@pytest.fixture
def exact_plan():
    """60 of 100 finished projects cost exactly their budget; every duration overran by a day."""
    budget = [100.0 + i for i in range(100)]
    data = pd.DataFrame(
        {
            "budget_planned": budget,
            "cost_actual": [b if i < 60 else b * 1.13 for i, b in enumerate(budget)],
            "duration_planned_days": [100.0] * 100,
            "duration_actual_days": [101.0] * 100,
        }
    )
    return overview.exact_plan_table(data)


def test_plans_that_look_re_baselined_and_heaped_drifts_are_said_in_both_languages():
    budget = [100.0 + i for i in range(100)]
    both = overview.exact_plan_table(
        pd.DataFrame(
            {
                "budget_planned": budget,
                "cost_actual": [b if i < 60 else b * 1.13 for i, b in enumerate(budget)],
                "duration_planned_days": [100.0] * 100,
                "duration_actual_days": [100.0] * 60 + [101.0] * 40,
            }
        )
    )
    sentences = show_overview.exact_plan_sentences(both, "en")
    assert len(sentences) == 2 and "60% of the finished projects (60 of 100" in sentences[0]
    assert "read it as a lower bound" in sentences[0]
    assert "sous-estimé" in show_overview.exact_plan_sentences(both, "fr")[1]
    assert show_overview.exact_plan_sentences(both.assign(flagged=False), "en") == []
    heaping = {"value": 3.2, "n": 50, "count": 32, "p_value": 1e-9, "flagged": True}
    assert "Whipple's index" in show_overview.heaping_sentences(heaping, "en")[0]
    assert show_overview.heaping_sentences(dict(heaping, flagged=False), "en") == []


def test_exact_plan_records_and_the_warnings_read_back_from_them(exact_plan):
    records = {r["name"]: r for r in show_overview.exact_plan_records(exact_plan, "en")}
    cost, duration = records["quality.exact_plan.cost"], records["quality.exact_plan.duration"]
    assert (cost["value"], cost["count"], cost["n"], cost["unit"]) == (0.6, 60, 100, "fraction")
    assert cost["flagged"] and cost["headline"] and not duration["flagged"] and duration["value"] == 0
    heaping = {"value": 3.2, "n": 50, "count": 32, "p_value": 1e-9, "flagged": True}
    kept = show_overview.exact_plan_records(exact_plan, "fr") + show_overview.drift_heaping_records(heaping, "fr")
    warnings = show_overview.exact_plan_warnings(kept, "fr")
    assert warnings == show_overview.exact_plan_sentences(exact_plan, "fr") + show_overview.heaping_sentences(
        heaping, "fr"
    )
    assert len(warnings) == 2


def test_drift_heaping_record_when_not_assessed():
    (record,) = show_overview.drift_heaping_records(
        {"value": None, "n": 3, "count": 1, "p_value": None, "flagged": False}
    )
    assert record["name"] == "quality.drift_heaping.cost" and record["value"] is None and not record["headline"]
    assert show_overview.exact_plan_warnings([record]) == []


def test_tail_and_balance_texts():
    tails = pd.DataFrame(
        {"outcome": ["budget_drift"], "group": [True], "quantile": [0.5], "estimate": [0.12345], "method": ["exact"]}
    )
    assert show_overview.tail_text(tails).splitlines()[1].split() == ["budget_drift", "True", "0.500", "0.123"]
    empty = pd.DataFrame()
    empty.attrs["why"] = "Covariate balance not computed: no covariate varies."
    assert show_overview.balance_text(empty) == empty.attrs["why"]
    balance = pd.DataFrame({"covariate": ["log_budget"], "smd_unweighted": [0.25]})
    assert show_overview.balance_text(balance).splitlines()[1].split() == ["log_budget", "0.250"]
