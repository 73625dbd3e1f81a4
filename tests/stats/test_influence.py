"""Leave-one-out for OLS (`stats.influence`): the analytic deletions against brute-force refits and
against statsmodels' `OLSInfluence` on the Longley data (Longley 1967, the classic ill-conditioned
regression shipped with statsmodels), and the screening rule."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import OLSInfluence

from amo_analysis.stats import influence


def _design(rng, n=30):
    t = (rng.random(n) < 0.5).astype(float)
    t[:2] = [0.0, 1.0]
    size = rng.normal(0, 1, n)
    kind = rng.integers(0, 3, n)
    X = np.column_stack([np.ones(n), t, size, kind == 1, kind == 2]).astype(float)
    y = 0.3 * t + 0.2 * size + rng.standard_t(3, n) * 0.3
    return X, y


def _ratio(beta, X, j=1):
    c0 = X.mean(axis=0)
    c0[j] = 0.0
    return beta[j] / (c0 @ beta)


def test_project_deletions_equal_brute_force_refits():
    X, y = _design(np.random.default_rng(1))
    d = influence.project_deletions(X, y, 1, se=0.1)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        beta = np.linalg.lstsq(X[keep], y[keep], rcond=None)[0]
        assert d.coef[i] == pytest.approx(beta[1], abs=1e-10)
        assert d.ratio[i] == pytest.approx(_ratio(beta, X[keep]), rel=1e-9)
    assert not d.unidentified.any()


def test_project_deletions_match_statsmodels_on_longley():
    data = sm.datasets.longley.load_pandas()
    X = sm.add_constant(data.exog).to_numpy()
    y = data.endog.to_numpy()
    fit = sm.OLS(y, X).fit()
    reference = OLSInfluence(fit).params_not_obsi  # statsmodels' own leave-one-out parameters
    d = influence.project_deletions(X, y, 1, se=float(fit.bse[1]))
    np.testing.assert_allclose(d.coef, reference[:, 1], rtol=1e-6)
    # Longley's GNP deflator coefficient: 15.06 with every year (Longley 1967, table of the full fit)
    assert fit.params[1] == pytest.approx(15.0619, abs=1e-3)


def test_a_project_that_alone_identifies_a_parameter_is_flagged():
    X, y = _design(np.random.default_rng(2))
    only = np.zeros(len(y))
    only[5] = 1.0  # the only project of its category
    X = np.column_stack([X, only])
    d = influence.project_deletions(X, y, 1, se=0.1)
    assert d.unidentified[5] and d.unidentified.sum() == 1
    assert np.isnan(d.coef[5])


def test_organisation_deletions_equal_brute_force_refits_with_their_own_dummy():
    rng = np.random.default_rng(3)
    X, y = _design(rng, n=40)
    org = np.repeat(["a", "b", "c", "d"], 10)
    dummies = pd.get_dummies(pd.Series(org), drop_first=True).to_numpy(float)
    X = np.column_stack([X, dummies])  # each organisation but "a" has its own column
    d = influence.organisation_deletions(X, y, 1, se=0.1, organisations=org)
    assert list(d.labels) == ["a", "b", "c", "d"]
    for g, name in enumerate(d.labels):
        keep = org != name
        beta = np.linalg.lstsq(X[keep], y[keep], rcond=None)[0]  # minimum norm: the lost column drops out
        assert d.coef[g] == pytest.approx(beta[1], abs=1e-9)
        assert d.ratio[g] == pytest.approx(_ratio(beta, X[keep]), rel=1e-7)


def test_screen_keeps_the_deletions_that_cross_a_boundary_first():
    estimate = np.array([0.0, -0.05, -0.30, 0.01])
    se = np.full(4, 0.05)
    # full interval [-0.1, 0.1] holds 0; the claim is -0.18; crit 2
    picked = influence.screen(estimate, se, -0.1, 0.1, 2.0, [0.0, -0.18])
    assert picked[0] == 2 and 0 not in picked
    assert len(influence.screen(estimate, se, -0.1, 0.1, 2.0, [0.0, -0.18], max_refits=1)) == 1
    assert influence.screen(estimate, se, float("nan"), 0.1, 2.0, [0.0]).size == 0
