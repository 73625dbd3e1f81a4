"""Known answers of amo_analysis.stats.robust: Stata/dfadjust values, closed forms, brute force, coverage."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
import statsmodels.api as sm

from amo_analysis.stats import robust
from amo_analysis.stats.robust import fieller_interval, r_factor, robust_covariance


def kolesar_example():
    # dfadjust's test data (Imbens & Kolesár's R package, tests/testthat/test_clustervar.R):
    # y = (cos(0:9), tan(1:10)), x = (sin(1:10), sin(2:11)), clusters (2,1,3,2,2,3,3,1,1,2) recycled.
    y = np.r_[np.cos(np.arange(0, 10)), np.tan(np.arange(1, 11))]
    x = np.r_[np.sin(np.arange(1, 11)), np.sin(np.arange(2, 12))]
    clusters = np.tile([2, 1, 3, 2, 2, 3, 3, 1, 1, 2], 2)
    X = sm.add_constant(x)
    fit = sm.OLS(y, X).fit()
    return X, fit, clusters


def test_hc2_matches_stata_vce_hc2_as_published_by_dfadjust():
    X, fit, _ = kolesar_example()
    np.testing.assert_allclose(fit.params, [-0.4456202905, 0.3241183110], atol=1e-10)
    rc = robust_covariance(X, fit.resid)
    np.testing.assert_allclose(np.sqrt(np.diag(rc.vcov)), [0.4227339762, 0.4421048122], atol=1e-10)
    assert rc.kind == "HC2" and rc.n_clusters == 20


def test_cr2_with_singleton_clusters_is_hc2_and_order_does_not_matter():
    X, fit, clusters = kolesar_example()
    hc2 = robust_covariance(X, fit.resid)
    singletons = robust_covariance(X, fit.resid, np.arange(20)[::-1])
    np.testing.assert_allclose(singletons.vcov, hc2.vcov, rtol=1e-12)
    assert singletons.df(1) == pytest.approx(hc2.df(1), rel=1e-12)
    cr2 = robust_covariance(X, fit.resid, clusters)
    perm = np.random.default_rng(0).permutation(20)
    shuffled = robust_covariance(X[perm], fit.resid[perm], clusters[perm])
    np.testing.assert_allclose(shuffled.vcov, cr2.vcov, rtol=1e-12)
    assert shuffled.df(0) == pytest.approx(cr2.df(0), rel=1e-12)


def _brute_force(X, resid, groups, ell):
    """Bell–McCaffrey from the definition: A_g = (I − H_gg)^(−1/2) by eigendecomposition, G matrix
    with columns (I − H)_{·,g} A_g X_g M ℓ, df = tr(G'G)² / tr((G'G)²)."""
    n = len(resid)
    M = np.linalg.inv(X.T @ X)
    H = X @ M @ X.T
    variance, columns = 0.0, []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        values, vectors = np.linalg.eigh(np.eye(len(idx)) - H[np.ix_(idx, idx)])
        A = vectors @ np.diag(np.where(values > 1e-9, 1 / np.sqrt(np.maximum(values, 1e-9)), 0)) @ vectors.T
        p = A @ X[idx] @ M @ ell
        variance += (p @ resid[idx]) ** 2
        columns.append((np.eye(n) - H)[:, idx] @ p)
    GG = np.column_stack(columns).T @ np.column_stack(columns)
    return math.sqrt(variance), np.trace(GG) ** 2 / np.sum(GG * GG)


@pytest.mark.parametrize("clustered", [False, True])
def test_bell_mccaffrey_df_equals_its_definition(clustered):
    X, fit, clusters = kolesar_example()
    groups = clusters if clustered else np.arange(20)
    rc = robust_covariance(X, fit.resid, clusters if clustered else None)
    for ell in (np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([1.0, 1.0])):
        se, df = _brute_force(X, fit.resid, groups, ell)
        assert rc.se(ell) == pytest.approx(se, rel=1e-10)
        assert rc.df(ell) == pytest.approx(df, rel=1e-10)


@pytest.mark.parametrize("computation", ["row by row", "in blocks"])
@pytest.mark.parametrize("n1, n0", [(3, 27), (5, 12), (12, 12)])
def test_two_group_df_is_imbens_kolesar_closed_form(monkeypatch, n1, n0, computation):
    # Imbens & Kolesár (2016), section 3: with one binary regressor the Bell–McCaffrey df is
    # (N0 + N1)² (N0 − 1)(N1 − 1) / (N1² (N1 − 1) + N0² (N0 − 1)), and HC2 is the Welch variance;
    # the large-portfolio computation (blocks of 4 rows) gives them too.
    if computation == "in blocks":
        monkeypatch.setattr(robust, "FACTORED_ROWS", 0)
        monkeypatch.setattr(robust, "BLOCK_ROWS", 4)
    rng = np.random.default_rng(n1)
    t = np.r_[np.ones(n1), np.zeros(n0)]
    y = rng.normal(size=n1 + n0)
    X = sm.add_constant(t)
    fit = sm.OLS(y, X).fit()
    rc = robust_covariance(X, fit.resid)
    expected = (n0 + n1) ** 2 * (n0 - 1) * (n1 - 1) / (n1**2 * (n1 - 1) + n0**2 * (n0 - 1))
    assert rc.df(1) == pytest.approx(expected, rel=1e-10)
    welch = math.sqrt(y[t == 1].var(ddof=1) / n1 + y[t == 0].var(ddof=1) / n0)
    assert rc.se(1) == pytest.approx(welch, rel=1e-10)


def test_cluster_fixed_effects_are_handled_by_the_pseudo_inverse():
    # organisation dummies make I − H_gg singular; the pseudo-inverse square root keeps CR2 defined
    rng = np.random.default_rng(3)
    org = np.repeat(np.arange(6), 8)
    t = rng.random(48) < 0.5
    X = np.column_stack([np.ones(48), t, *(org == k for k in range(1, 6))]).astype(float)
    y = rng.normal(size=48) + org * 0.3
    fit = sm.OLS(y, X).fit()
    rc = robust_covariance(X, fit.resid, org)
    assert np.isfinite(rc.se(1)) and rc.se(1) > 0 and 1 < rc.df(1) < 48


def _large_portfolio_cases():
    """(X, residuals, clusters): the dfadjust example (clustered and not), organisation fixed effects
    (I − H_gg singular), and 250 uneven clusters of about 12 projects with ten columns (some smaller
    than the design's width)."""
    X, fit, clusters = kolesar_example()
    yield "dfadjust, CR2", X, fit.resid, clusters
    yield "dfadjust, HC2", X, fit.resid, None
    rng = np.random.default_rng(3)
    org = np.repeat(np.arange(6), 8)
    fe = np.column_stack([np.ones(48), rng.random(48) < 0.5, *(org == k for k in range(1, 6))]).astype(float)
    yield "fixed effects", fe, sm.OLS(rng.normal(size=48) + org * 0.3, fe).fit().resid, org
    n = 3000
    small = rng.integers(0, 250, n)
    wide = np.column_stack([np.ones(n), rng.random(n) < 0.4, rng.normal(size=(n, 8))])
    resid = sm.OLS(rng.standard_t(3, n), wide).fit().resid
    yield "small clusters, CR2", wide, resid, small
    yield "3,000 rows, HC2", wide, resid, None


@pytest.mark.parametrize("case", list(_large_portfolio_cases()), ids=lambda case: case[0])
def test_large_portfolio_computation_equals_the_row_by_row_one(monkeypatch, case):
    """Above `FACTORED_ROWS` rows CR2 comes from each cluster's triangular factor and HC2 from blocks
    of rows: forced here on small designs with blocks of 7 rows (so every cluster spans blocks), the
    covariance and the Bell–McCaffrey df of several contrasts equal the row-by-row computation's to
    rounding (1e-12), kind and cluster count included."""
    name, X, resid, groups = case
    exact = robust_covariance(X, resid, groups)
    monkeypatch.setattr(robust, "FACTORED_ROWS", 0)
    monkeypatch.setattr(robust, "BLOCK_ROWS", 7)
    blocked = robust_covariance(X, resid, groups)
    assert blocked._Q is None and blocked._factors is not None and exact._factors is None
    assert (blocked.kind, blocked.n, blocked.n_clusters) == (exact.kind, exact.n, exact.n_clusters)
    np.testing.assert_allclose(blocked.vcov, exact.vcov, rtol=1e-12, atol=1e-14 * np.abs(exact.vcov).max())
    if name == "dfadjust, HC2":  # Stata's vce(hc2), as dfadjust publishes it
        np.testing.assert_allclose(np.sqrt(np.diag(blocked.vcov)), [0.4227339762, 0.4421048122], atol=1e-10)
    p = X.shape[1]
    for contrast in (0, 1, p - 1, np.arange(1.0, p + 1)):
        assert blocked.df(contrast) == pytest.approx(exact.df(contrast), rel=1e-12)
        assert blocked.se(contrast) == pytest.approx(exact.se(contrast), rel=1e-12)


def test_clusters_smaller_than_the_design_keep_the_row_by_row_computation(monkeypatch):
    """Each cluster's factor holds (p + 1)² numbers: with clusters of fewer than p + 1 rows on average
    they would outweigh the design, so the row-by-row computation is kept (the same numbers)."""
    X, fit, _ = kolesar_example()
    monkeypatch.setattr(robust, "FACTORED_ROWS", 0)
    pairs = robust_covariance(X, fit.resid, np.arange(20) // 2)  # 10 clusters × 3 > 20 rows
    quads = robust_covariance(X, fit.resid, np.arange(20) // 4)  # 5 clusters × 3 ≤ 20 rows
    assert pairs._factors is None and quads._factors is not None


@pytest.mark.parametrize("clustered", [True, False])
def test_large_portfolio_computation_holds_no_array_as_large_as_the_design(monkeypatch, clustered):
    """At 10⁶ projects the row-by-row computation's Q and A·Q (and their products) are 96 MB each and
    leave the processor's cache. Above `FACTORED_ROWS` rows the computation keeps only the design it
    is given and a few blocks of rows (8,192 here): its memory peak, covariance and two df included,
    stays under half the design's size, where the row-by-row one (forced) peaks above twice it."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, p = 3 * robust.FACTORED_ROWS, 12
    monkeypatch.setattr(robust, "BLOCK_ROWS", 8192)
    X = np.column_stack([np.ones(n), rng.random(n) < 0.5, rng.normal(size=(n, p - 2))])
    resid = rng.normal(size=n)
    groups = pd.Series(rng.integers(0, 15, n)) if clustered else None  # factorised as it is
    peaks = {}
    for threshold in (robust.FACTORED_ROWS, n):
        tracemalloc.start()
        try:
            rc = robust.robust_covariance(X, resid, groups) if threshold < n else None
            if rc is None:
                saved, robust.FACTORED_ROWS = robust.FACTORED_ROWS, n
                try:
                    rc = robust.robust_covariance(X, resid, groups)
                finally:
                    robust.FACTORED_ROWS = saved
            rc.df(1), rc.df(np.ones(p))
            peaks[threshold < n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peaks[True] < X.nbytes / 2 < X.nbytes < peaks[False] / 2


def test_r_factor_in_blocks_is_the_qr_factor_up_to_the_signs_of_its_rows():
    """`r_factor` of a tall matrix in blocks of rows (with and without an extra last column) is numpy's
    R of the whole matrix, each row possibly negated; R'R = A'A."""
    rng = np.random.default_rng(5)
    A = rng.normal(size=(1000, 6)) * [1, 10, 1e-3, 1, 5, 1]
    y = rng.normal(size=1000)
    whole = np.linalg.qr(np.column_stack([A, y]), mode="r")
    for block_rows in (1000, 64, 7):
        R = r_factor(A, last=y, block_rows=block_rows)
        signs = np.sign(np.diag(R)) * np.sign(np.diag(whole))
        np.testing.assert_allclose(signs[:, None] * R, whole, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(
            r_factor(A, block_rows=block_rows).T @ r_factor(A, block_rows=block_rows), A.T @ A, rtol=1e-10
        )
    assert r_factor(A[:3]).shape == (3, 6)  # fewer rows than columns: k = rows


@pytest.mark.slow
@pytest.mark.parametrize("computation", ["row by row", "factored"])
def test_cr2_bell_mccaffrey_covers_with_ten_organisations_and_a_practice_per_organisation(monkeypatch, computation):
    # The scenario: 10 organisations × 10 projects, practice decided per organisation,
    # organisation shocks (ICC ≈ 0.3), no effect. Statsmodels' HC3 intervals covered 52 %. The
    # large-portfolio computation (each organisation's factor, blocks of 7 rows) is measured too.
    if computation == "factored":
        monkeypatch.setattr(robust, "FACTORED_ROWS", 0)
        monkeypatch.setattr(robust, "BLOCK_ROWS", 7)
    rng = np.random.default_rng(11)
    org = np.repeat(np.arange(10), 10)
    covered, hc3_covered, reps = 0, 0, 1000
    for _ in range(reps):
        decided = np.zeros(10, bool)
        decided[rng.permutation(10)[:5]] = True
        t = decided[org].astype(float)
        x = rng.normal(size=100)
        y = 0.3 * x + rng.normal(0, 0.65, 10)[org] + rng.standard_t(4, 100) * 0.7
        X = np.column_stack([np.ones(100), t, x])
        fit = sm.OLS(y, X).fit()
        rc = robust_covariance(X, fit.resid, org)
        half = st.t.ppf(0.975, rc.df(1)) * rc.se(1)
        covered += abs(fit.params[1]) <= half
        hc3 = sm.OLS(y, X).fit(cov_type="HC3")
        hc3_covered += abs(fit.params[1]) <= 1.96 * hc3.bse[1]
    print(
        f"\ncoverage of the 95 % interval: CR2 + Bell–McCaffrey {covered / reps:.3f}, HC3 normal {hc3_covered / reps:.3f}"
    )
    assert 0.93 <= covered / reps <= 0.99
    assert hc3_covered / reps < 0.85  # what the package did before


def test_fieller_interval():
    # bounded: both ends solve (num − ρ den)² = crit² (v_nn − 2ρ v_nd + ρ² v_dd)
    num, den, vn, vd, c, crit = 1.0, 2.0, 0.04, 0.09, 0.01, 2.1
    low, high = fieller_interval(num, den, vn, vd, c, crit)
    for rho in (low, high):
        assert (num - rho * den) ** 2 == pytest.approx(crit**2 * (vn - 2 * rho * c + rho**2 * vd))
    assert low < num / den < high
    # a denominator not clearly different from 0: unbounded
    assert fieller_interval(1.0, 0.2, 0.04, 0.09, 0.0, 2.1) is None
    # with a precise denominator it tends to the delta-method interval
    low, high = fieller_interval(1.0, 2.0, 0.04, 1e-12, 0.0, 1.96)
    assert (low, high) == pytest.approx((0.5 - 1.96 * 0.1, 0.5 + 1.96 * 0.1), rel=1e-6)


def test_cluster_sums_are_the_per_cluster_totals_of_both_estimators():
    # the one helper behind CR2 (robust_covariance) and the M-estimators' sandwich (weighting)
    from amo_analysis.stats.robust import cluster_codes, cluster_sums

    rng = np.random.default_rng(5)
    labels = np.array(["org-b", "org-a", "org-c", "org-a", "org-b", "org-b"])
    rows = rng.normal(size=(6, 3))
    values = rng.normal(size=6)
    codes, G = cluster_codes(labels, len(labels))
    assert G == 3 and codes.tolist() == [1, 0, 2, 0, 1, 1]  # sorted label order, whatever the row order
    v, sums = cluster_sums(values, rows, codes, G)
    expected = pd.DataFrame(rows).groupby(labels).sum().to_numpy()
    np.testing.assert_allclose(sums, expected)
    np.testing.assert_allclose(v, pd.Series(values).groupby(labels).sum().to_numpy())
    assert cluster_codes(None, 6) == (None, 6)
    v, same = cluster_sums(values, rows, None, 6)
    assert same is rows and v is values


def test_group_sums_of_kept_rows_are_those_of_the_selected_rows_without_copying_them():
    import tracemalloc

    rng = np.random.default_rng(8)
    n, p, G = 200_000, 12, 300
    codes, rows, keep = rng.integers(0, G, n), rng.normal(size=(n, p)), rng.random(n) < 0.9
    expected = robust.group_sums(codes[keep], rows[keep], G)
    tracemalloc.start()
    try:
        sums = robust.group_sums(codes, rows, G, keep=keep)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(sums, expected)
    assert peak < rows.nbytes / 2
    flags = rows > 0  # booleans, as the AFT deletions pass them
    assert np.array_equal(robust.group_sums(codes, flags, G, keep=keep), robust.group_sums(codes[keep], flags[keep], G))


@pytest.mark.parametrize("n", [500, robust.BLOCK_ROWS, 2 * robust.BLOCK_ROWS + 9])
def test_r_factor_with_a_constant_builds_each_block_in_place(n):
    """`constant=True` (a column of ones first) with a `last` column gives the R of the stacked
    [1 A last] to the bit, in blocks or not."""
    rng = np.random.default_rng(n)
    A = rng.normal(size=(n, 10)) * rng.lognormal(size=10)
    last = (rng.random(n) < 0.4).astype(float)
    stacked = np.column_stack([np.ones(n), A, last])
    assert np.array_equal(r_factor(A, last=last, constant=True), r_factor(stacked))
    assert np.array_equal(r_factor(A, constant=True), r_factor(np.column_stack([np.ones(n), A])))


def test_r_factor_with_a_constant_never_stacks_the_whole_matrix():
    import tracemalloc

    rng = np.random.default_rng(2)
    n = 8 * robust.BLOCK_ROWS
    A, last = rng.normal(size=(n, 10)), rng.normal(size=n)
    tracemalloc.start()
    try:
        r_factor(A, last=last, constant=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 * n * 8 / 3  # the stacked [1 A last] alone would be 12 n doubles
