"""`estimate_effect(..., by=)` (one estimate per level, stated reasons) and `interaction_test` (a joint
Wald test of the practice × level terms under the main estimate's HC2 / CR2 covariance), checked against
hand statsmodels fits and, for its size, on null portfolios shaped like the bundled sample."""

import numpy as np
import pytest
import scipy.stats as st
import statsmodels.formula.api as smf

import amo_analysis as amo
from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.stats import robust
from amo_analysis.stats.effects import EffectError, SubgroupEffects

COVARIATES = ["log_budget", "complexity"]


@pytest.fixture(scope="module")
def data():
    return amo.with_model_columns(amo.load_portfolio(SAMPLE_PORTFOLIO).data)


def test_one_estimate_per_project_type_equal_to_the_estimate_on_its_rows(data):
    by = amo.estimate_effect(data, "log_cost_ratio", "amo", COVARIATES, by="project_type")
    assert isinstance(by, SubgroupEffects)
    assert by.levels == sorted(data["project_type"].dropna().unique(), key=str)
    erp = amo.estimate_effect(data[data["project_type"] == "ERP"], "log_cost_ratio", "amo", COVARIATES)
    assert by["ERP"] == erp
    frame = by.summary_frame().set_index("project_type")
    assert frame.loc["ERP", "estimate"] == erp.estimate and frame.loc["ERP", "n"] == erp.n == 17
    assert frame.loc["ERP", "percent_change"] == pytest.approx(np.expm1(erp.estimate))
    assert (frame["reason"] == "").all() and frame["n"].sum() == 115  # 5 rows without a final cost


def test_the_by_column_leaves_the_covariates_and_other_options_pass_through(data):
    by = amo.estimate_effect(
        data, "log_cost_ratio", "amo", [*COVARIATES, "project_type"], by="project_type", method="quantile"
    )
    assert by.covariates == tuple(COVARIATES) and by.method == "quantile"
    assert by["CRM"].method == "quantile" and by["CRM"].covariates == tuple(COVARIATES)


def test_a_level_too_small_to_estimate_gets_its_reason_not_a_crash(data):
    odd = data.assign(kind=np.where(data["amo"], "treated only", "mixed"))
    odd.loc[odd.index[:30], "kind"] = "mixed"
    odd.loc[odd.index[-2:], "kind"] = "two rows"
    by = amo.estimate_effect(odd, "log_cost_ratio", "amo", COVARIATES, by="kind")
    frame = by.summary_frame().set_index("kind")
    assert "untreated" in frame.loc["treated only", "reason"] or "treated" in frame.loc["treated only", "reason"]
    assert frame.loc["two rows", "reason"].startswith("2 rows: ")
    assert np.isnan(frame.loc["two rows", "estimate"]) and frame.loc["mixed", "reason"] == ""
    with pytest.raises(EffectError, match="No estimate for kind = 'two rows'"):
        by["two rows"]
    assert "not estimated" in by.summary()


def test_an_unknown_by_column_is_one_sentence(data):
    with pytest.raises(EffectError, match="'kind' not found"):
        amo.estimate_effect(data, "log_cost_ratio", "amo", COVARIATES, by="kind")


def _hand_fit(data, covariates, cov_type="HC2", **kwds):
    """The same model written by hand with a statsmodels formula."""
    frame = data.dropna(subset=["log_cost_ratio", *covariates]).assign(t=lambda d: d["amo"].astype(float))
    formula = "log_cost_ratio ~ t * C(project_type) + " + " + ".join(covariates)
    return smf.ols(formula, frame).fit(cov_type=cov_type, **kwds), frame


def test_interaction_test_equals_a_hand_statsmodels_wald_test(data):
    test = amo.interaction_test(data, "log_cost_ratio", "amo", by="project_type", covariates=COVARIATES)
    fit, _ = _hand_fit(data, COVARIATES)
    terms = [name for name in fit.params.index if name.startswith("t:C(project_type)")]
    hand = fit.wald_test(", ".join(f"{name} = 0" for name in terms), use_f=True, scalar=True)
    assert test.df_num == len(terms) == 5
    assert test.statistic == pytest.approx(float(hand.statistic), rel=1e-9)
    assert list(test.coefficients) == pytest.approx(list(fit.params[terms]), rel=1e-9)
    assert list(test.std_errors) == pytest.approx(list(fit.bse[terms]), rel=1e-9)  # HC2 both
    # reference: F(q, mean Bell–McCaffrey df of the tested terms)
    X = test.model.model.exog
    rc = robust.robust_covariance(X, test.model.resid)
    df = np.mean([rc.df(j) for j in range(X.shape[1] - 5, X.shape[1])])
    assert test.df_denom == pytest.approx(df) and 5 < df < test.n - X.shape[1]
    assert test.p_value == pytest.approx(st.f.sf(test.statistic, 5, df))


def test_interaction_with_clusters_uses_cr2_and_refuses_more_terms_than_clusters(data):
    with pytest.raises(EffectError, match="Only 5 clusters in 'organisation'.*needs at least 6"):
        amo.interaction_test(
            data, "log_cost_ratio", "amo", by="project_type", covariates=COVARIATES, cluster="organisation"
        )
    two = data.assign(kind=np.where(data["project_type"].isin(["ERP", "CRM"]), "packaged", "other"))
    test = amo.interaction_test(two, "log_cost_ratio", "amo", by="kind", covariates=COVARIATES, cluster="organisation")
    X = test.model.model.exog
    groups = two.loc[two["log_cost_ratio"].notna(), "organisation"].to_numpy()
    rc = robust.robust_covariance(X, test.model.resid, groups)
    assert test.n_clusters == 5 and "CR2" in test.se_type and test.df_num == 1
    assert test.std_errors[0] == pytest.approx(rc.se(X.shape[1] - 1))
    assert test.df_denom == pytest.approx(rc.df(X.shape[1] - 1))
    # one term: the Wald F is the square of the main estimate's t
    assert test.statistic == pytest.approx((test.coefficients[0] / test.std_errors[0]) ** 2)


def test_no_identified_interaction_is_one_sentence(data):
    # level "mixed" (the reference) has both; "with" and "without" hold one practice value each
    one = data.assign(kind=np.where(data["amo"], "with", "without"))
    one.loc[one.index[:60], "kind"] = "mixed"
    with pytest.raises(EffectError, match="No level of 'kind'"):
        amo.interaction_test(one, "log_cost_ratio", "amo", by="kind", covariates=COVARIATES)


def test_row_order_does_not_matter(data):
    a = amo.interaction_test(data, "log_cost_ratio", "amo", by="project_type", covariates=COVARIATES)
    b = amo.interaction_test(data.iloc[::-1], "log_cost_ratio", "amo", by="project_type", covariates=COVARIATES)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-9) and a.p_value == pytest.approx(b.p_value, rel=1e-9)


@pytest.mark.slow
def test_interaction_test_size_on_null_portfolios_shaped_like_the_sample(data):
    """No interaction, t(3) errors, the sample's 120 projects in 6 project types (one with 2 treated):
    the test rejects at 5 % in 2–11 % of 300 draws (measured 7.0 %; HC2 with F(q, n − k) gave 13.7 %)."""
    base = data[["project_type", "amo", "log_budget"]]
    rng = np.random.default_rng(0)
    draws = 300
    rejected = 0
    for _ in range(draws):
        y = 0.1 * base["amo"].astype(float) + 0.05 * base["log_budget"] + 0.3 * rng.standard_t(3, len(base))
        test = amo.interaction_test(base.assign(y=y), "y", "amo", by="project_type", covariates=["log_budget"])
        rejected += test.p_value < 0.05
    assert 0.02 <= rejected / draws <= 0.11
