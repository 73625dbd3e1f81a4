import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import overview
from amo_analysis.i18n import translate
from amo_analysis.ingest.model_columns import default_covariates


def test_outcome_quantiles_by_group():
    data = pd.DataFrame(
        {"amo": [True] * 20 + [False] * 20, "budget_drift": list(np.arange(20) / 100) + list(np.arange(20) / 10)}
    )
    table = overview.outcome_quantiles(data, "budget_drift", "amo", quantiles=(0.5,))
    by_group = table.set_index("group")["estimate"]
    assert by_group[True] == pytest.approx(0.095) and by_group[False] == pytest.approx(0.95)
    assert set(table["n"]) == {20, 40}


def test_outcome_class_table_counts():
    data = pd.DataFrame(
        {
            "amo": [True, True, False, False, False],
            "outcome_class": ["successful", "failed", "failed", "challenged", None],
        }
    )
    table = overview.outcome_class_table(data)
    row = table[(table.group == False) & (table.outcome_class == "failed")].iloc[0]  # noqa: E712
    assert row["count"] == 1 and row["n"] == 2 and row["share"] == 0.5


def test_default_covariates_skip_constant_and_mediators():
    data = pd.DataFrame(
        {"budget_planned": [1.0, 2.0], "complexity": [3, 3], "project_type": ["ERP", "CRM"], "framing_score": [3, 9]}
    )
    assert default_covariates(data) == ["log_budget", "project_type"]


def _plans(n_exact: int, n_other: int) -> pd.DataFrame:
    budget = np.linspace(10, 500, n_exact + n_other)
    cost = np.concatenate([budget[:n_exact], budget[n_exact:] * 1.13])
    return pd.DataFrame(
        {
            "budget_planned": budget,
            "cost_actual": cost,
            "duration_planned_days": np.full(len(budget), 100.0),
            "duration_actual_days": np.concatenate([np.full(n_exact, 100.0), np.full(n_other, 101.0)]),
        }
    )


def test_exact_plan_shares_flag_re_baselined_plans_only_when_clearly_high():
    table = overview.exact_plan_table(_plans(60, 40)).set_index("name")
    cost = table.loc["cost"]
    assert (cost["count"], cost["n"], cost["share"]) == (60, 100, 0.6) and bool(cost["flagged"])
    assert cost["ci_low"] == pytest.approx(0.5020, abs=1e-3)  # Wilson, 60 of 100
    assert bool(table.loc["duration", "flagged"])  # sentences: tests/report/test_show_overview.py
    # 15 of 100 exactly on plan: plausible, not flagged; 25 of 100: above 20 % but not clearly (interval)
    assert not overview.exact_plan_table(_plans(15, 85))["flagged"].any()
    assert not overview.exact_plan_table(_plans(25, 75)).set_index("name").at["cost", "flagged"]
    empty = overview.exact_plan_table(_plans(0, 0)).set_index("name")
    assert empty.at["cost", "n"] == 0 and not empty["flagged"].any()


def test_a_portfolio_without_practice_is_one_group():
    data = pd.DataFrame({"amo": pd.array([pd.NA] * 3, dtype="boolean"), "budget_drift": [0.1, 0.2, 0.3]})
    assert overview.group_labels(data, "AMO", "fr").tolist() == [translate("all_projects", "fr")] * 3
    with_practice = pd.DataFrame({"amo": pd.array([True, False], dtype="boolean")})
    assert overview.group_labels(with_practice, "PMO").tolist() == ["with PMO", "without PMO"]


def test_heaping_of_drift_at_round_percentages_is_measured_by_whipples_index():
    rng = np.random.default_rng(0)
    smooth = pd.DataFrame({"budget_drift": rng.integers(1, 60, 400) / 100})  # whole percentages, no preference
    result = overview.drift_heaping(smooth)
    assert result["n"] == 400 and 0.8 < result["value"] < 1.2 and not result["flagged"]
    heaped = pd.DataFrame(
        {"budget_drift": np.r_[rng.integers(1, 60, 100) / 100, np.full(100, 0.10), np.full(60, 0.25)]}
    )
    result = overview.drift_heaping(heaped)
    count = int(np.isin(np.round(heaped["budget_drift"] * 100), np.arange(5, 100, 5)).sum())
    assert result["count"] == count and result["value"] == pytest.approx(count / (260 / 5))
    assert result["flagged"] and result["p_value"] < 1e-6
    # drifts measured to the cent are not whole percentages: nothing to assess
    measured = pd.DataFrame({"budget_drift": rng.normal(0.1, 0.2, 300)})
    assert overview.drift_heaping(measured)["value"] is None
