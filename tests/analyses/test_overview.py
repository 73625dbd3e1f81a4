import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import overview


def test_median_ci_matches_order_statistic_table():
    # Textbook: for n = 20 the distribution-free 95 % CI of the median is (x(6), x(15)),
    # coverage 95.86 % (e.g. Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, table A.5).
    est, low, high = overview.quantile_ci(np.arange(1, 21), 0.5)
    assert (est, low, high) == (10.5, 6, 15)


def test_p90_of_ten_projects_has_no_upper_bound():
    est, low, high = overview.quantile_ci(np.arange(1, 11), 0.9)
    assert low == 7 and np.isnan(high)


def test_share_ci_is_wilson():
    # Wilson interval for 5/10 at 95 %: 0.2366 – 0.7634 (Newcombe 1998, table I).
    share, low, high = overview.share_ci(5, 10)
    assert share == 0.5 and low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)


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
    assert overview.default_covariates(data) == ["log_budget", "project_type"]
