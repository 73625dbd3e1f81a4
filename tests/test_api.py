"""The curated top-level API: every name resolves to the function its module defines, lazily."""

from amo_analysis.ingest.model_columns import default_covariates, with_model_columns

import subprocess
import sys

import pytest

import amo_analysis


@pytest.mark.parametrize("name", sorted(amo_analysis.API))
def test_each_public_name_is_the_object_of_its_module(name):
    import importlib

    assert getattr(amo_analysis, name) is getattr(importlib.import_module(amo_analysis.API[name]), name)
    assert name in dir(amo_analysis) and name in amo_analysis.__all__


def test_importing_the_package_loads_no_layer():
    code = "import sys, amo_analysis; print(sorted(m for m in sys.modules if m.startswith('amo_analysis.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_an_unknown_name_says_so():
    with pytest.raises(AttributeError, match="has no attribute 'estimate'"):
        amo_analysis.estimate  # noqa: B018


#: the public names an analyst uses (issue #24): a change here is a change of the public API
PUBLIC = {
    "Portfolio",
    "load_portfolio",
    "with_model_columns",
    "default_covariates",
    "model_columns",
    "EffectResult",
    "estimate_effect",
    "interaction_test",
    "balance_table",
    "robust_covariance",
    "assignment_design",
    "random_effects",
    "partial_r2",
    "robustness_value",
    "evalue",
    "claims_for",
    "claims_by_article",
    "load_register",
    "forecast",
    "new_project",
    "simulate_roi",
    "run_suite",
}


def test_the_public_names_are_pinned_and_dir_lists_only_them():
    assert set(amo_analysis.API) == PUBLIC
    assert dir(amo_analysis) == sorted(PUBLIC | {"__version__"})
    for machinery in ("annotations", "importlib", "API", "__getattr__"):
        assert machinery not in dir(amo_analysis)


def test_the_sensitivity_functions_import_from_the_top():
    from amo_analysis import evalue, partial_r2, random_effects, robustness_value
    from amo_analysis.stats import meta, sensitivity

    assert (evalue, partial_r2, robustness_value) == (
        sensitivity.evalue,
        sensitivity.partial_r2,
        sensitivity.robustness_value,
    )
    assert random_effects is meta.random_effects
    assert partial_r2(2.0, 100) == pytest.approx(4 / 104)


def test_the_model_columns_keep_their_old_import_path():

    assert amo_analysis.with_model_columns is with_model_columns
    assert amo_analysis.default_covariates is default_covariates


def test_importing_the_package_stays_cheap():
    code = "import sys, amo_analysis; print(sorted(m for m in ('statsmodels', 'scipy', 'pandas', 'numpy') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_model_columns_says_where_log_budget_and_log_cost_ratio_come_from():
    from amo_analysis.paths import SAMPLE_PORTFOLIO

    data = amo_analysis.load_portfolio(SAMPLE_PORTFOLIO).data
    table = amo_analysis.model_columns(data).set_index("column")
    assert table.loc["log_budget", "made_by"] == "with_model_columns" and not table.loc["log_budget", "in_data"]
    assert table.loc["log_cost_ratio", "made_by"] == "load_portfolio (derived)"
    assert "cost_actual / budget_planned" in table.loc["log_cost_ratio", "definition"]
    assert table.loc["log_budget", "role"] == "default covariate" and table.loc["amo", "role"] == "practice"
    assert table.loc["log_cost_ratio", "non_missing"] == data["log_cost_ratio"].notna().sum()
