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


def _traced_peak(compute) -> int:
    """Bytes Python and numpy allocated at most while `compute()` ran."""
    import tracemalloc

    tracemalloc.start()
    try:
        compute()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _tall_design(n: int = 200_000, p: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=(n, p - 2))])
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    return X, y, rng


def test_the_fit_and_the_deletions_hold_one_n_by_p_array_at_a_time():
    """The thin QR writes Q over its first pass, the hat values are summed a block of rows at a time, an
    organisation's scores are taken from X in the loop, the AFT's steps are solved a block of rows at a
    time and a project's AFT deletion drops the scores once its steps are solved: at most ~1.4 (the
    fit), ~1.3 (organisations), ~2.5 (AFT projects) and ~2.5 (AFT organisations) times the design's
    size above it, where second full copies peaked at 2.2, 1.5, 4.1 and 3.5 times."""
    from amo_analysis.stats.survival import LogNormalAFT

    X, y, rng = _tall_design()
    assert _traced_peak(lambda: influence.ols_fit(X, y)) < 1.7 * X.nbytes
    fit = influence.ols_fit(X, y)
    organisations = pd.Series(np.array([f"org{i:03d}" for i in range(300)], dtype=object)[rng.integers(0, 300, len(y))])
    assert _traced_peak(lambda: influence.organisation_deletions(X, y, 1, 0.1, organisations, fit=fit)) < 1.4 * X.nbytes
    model = LogNormalAFT(y, np.asfortranarray(X), rng.random(len(y)) < 0.8)
    params = np.append(np.linalg.lstsq(X, y, rcond=None)[0], 0.0)
    assert _traced_peak(lambda: influence.aft_deletions(model, params, 1, 0.1)) < 3 * X.nbytes
    assert _traced_peak(lambda: influence.aft_deletions(model, params, 1, 0.1, organisations)) < 2.8 * X.nbytes


def test_steps_solved_a_block_of_rows_at_a_time_are_the_whole_solve():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(13, 13))
    H = -(A @ A.T + 13 * np.eye(13))
    for n in (5, influence.DELETION_ROWS, 2 * influence.DELETION_ROWS + 7):
        S = rng.normal(size=(n, 13)) * rng.lognormal(size=13)
        assert np.array_equal(influence._solved_rows(H, S), np.linalg.solve(H, S.T).T)


def test_hat_values_summed_in_blocks_are_the_whole_array_sums():
    for n in (20, 1000, influence.DELETION_ROWS + 3, 3 * influence.DELETION_ROWS):
        X, y, _ = _tall_design(n, seed=n)
        fit = influence.ols_fit(X, y)
        assert np.array_equal(fit.h, (fit.Q * fit.Q).sum(axis=1))
