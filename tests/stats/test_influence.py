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


def test_meat_removed_of_single_rows_equals_the_paired_sum_bit_for_bit():
    """Each row its own unit (`aft_deletions` without `units`) takes a shortcut past the sort of
    (unit, cluster) pairs; the same codes in another order take the general path. Equal to the bit."""
    rng = np.random.default_rng(3)
    n, G_clusters = 400, 23
    w = rng.standard_t(3, n)
    cluster_of = rng.integers(0, G_clusters, n)
    W = np.bincount(cluster_of, weights=w, minlength=G_clusters)
    shortcut = influence._meat_removed(np.arange(n), cluster_of, w, W, n)
    perm = rng.permutation(n)  # unit perm[i] is row i: not arange, so the general path
    general = influence._meat_removed(perm, cluster_of, w, W, n)[perm]
    assert np.array_equal(shortcut, general)
    # and it is what it claims: W_c² − (W_c − w_i)² for row i in cluster c
    np.testing.assert_allclose(shortcut, W[cluster_of] ** 2 - (W[cluster_of] - w) ** 2, rtol=1e-12, atol=1e-12)


def test_project_deletions_in_blocks_of_rows_equal_one_block(monkeypatch):
    """At 10⁶ projects the leave-one-out coefficients are computed a block of rows at a time (no n × p
    intermediates); blocks of 7 rows give the single block's coefficients and ratios."""
    rng = np.random.default_rng(8)
    n = 200
    X = np.column_stack([np.ones(n), rng.random(n) < 0.4, rng.normal(size=(n, 3))]).astype(float)
    y = X @ np.array([1.0, -0.3, 0.5, 0.0, 2.0]) + rng.standard_t(3, n)
    whole = influence.project_deletions(X, y, 1, 0.1)
    monkeypatch.setattr(influence, "DELETION_ROWS", 7)
    blocks = influence.project_deletions(X, y, 1, 0.1)
    np.testing.assert_allclose(blocks.coef, whole.coef, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(blocks.ratio, whole.ratio, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(blocks.se, whole.se)
