"""Censored duration ratios (`amo_analysis.stats.survival`): published worked examples, invariances,
the no-censoring comparison with the exact order-statistic interval, and coverage by simulation."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.numdiff import approx_fprime, approx_hess

from amo_analysis.stats.intervals import quantile_ci
from amo_analysis.i18n import localise
from amo_analysis.stats.effects import EffectError
from amo_analysis.stats.effects.aft import aft_effect
from amo_analysis.stats.survival import LogNormalAFT, censored_quantiles, fit_lognormal_aft
from amo_analysis.synth_live import live_portfolio, true_ratio_quantile

# Freireich et al. (1963), Blood 21:699-716: weeks of remission, 6-MP and placebo arms ("+" = censored).
SIX_MP = [6, 6, 6, 7, 10, 13, 16, 22, 23]
SIX_MP_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]

# R survival `aml` (Miller 1997): weeks to relapse; status 0 = censored.
AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]


def _one(ratio, observed, p=0.5, **kw):
    return censored_quantiles(ratio, observed, probs=(p,), **kw).iloc[0]


@pytest.mark.parametrize(
    ("times", "status", "median", "low", "high"),
    [
        # R: survfit(Surv(time, cens) ~ group, data = leuk) (conf.type = "log", R's default) prints
        #   group=6 MP    21  9  23  16  NA
        #   group=Placebo 21 21   8   4  12
        (SIX_MP + SIX_MP_CENSORED, [1] * 9 + [0] * 12, 23.0, 16.0, np.nan),
        (PLACEBO, [1] * 21, 8.0, 4.0, 12.0),
        # R: survfit(Surv(time, status) ~ 1, data = aml): median 27, 95% CI 18-45;
        #    survfit(Surv(time, status) ~ x, data = aml), x = Maintained: 31, 18, NA
        (AML_TIME, AML_STATUS, 27.0, 18.0, 45.0),
        (AML_TIME[:11], AML_STATUS[:11], 31.0, 18.0, np.nan),
    ],
)
def test_published_kaplan_meier_medians(times, status, median, low, high):
    row = _one(times, np.asarray(status, bool), transform="log")
    assert row["value"] == median
    assert row["ci_low"] == low
    assert (np.isnan(high) and np.isnan(row["ci_high"])) or row["ci_high"] == high
    assert row["n"] == len(times) and row["n_running"] == len(status) - sum(status)
    if np.isnan(high):
        assert "no upper limit" in row["note"] and "borne haute" in localise(row["note"], "fr")


def test_columns_and_types():
    out = censored_quantiles(AML_TIME, np.asarray(AML_STATUS, bool))
    assert list(out.columns) == ["p", "value", "ci_low", "ci_high", "n", "n_running", "method", "note"]
    assert out["p"].tolist() == [0.5, 0.8, 0.9]
    assert (out["method"] == "kaplan-meier (cloglog)").all()
    assert (out["value"].dropna() >= out["ci_low"].dropna().reindex(out["value"].dropna().index)).all()


def test_curve_not_reaching_level_gives_nan_and_a_sentence():
    # 6-MP: the curve stops at S = 0.448, so P80 and P90 are not estimable
    out = censored_quantiles(SIX_MP + SIX_MP_CENSORED, [True] * 9 + [False] * 12, transform="log")
    p80 = out.set_index("p").loc[0.8]
    assert np.isnan(p80["value"])
    assert "cannot be estimated" in p80["note"] and "55%" in p80["note"] and "12 still running" in p80["note"]
    assert "ne peut pas" in localise(p80["note"], "fr")


def test_row_order_and_ties_do_not_matter():
    rng = np.random.default_rng(3)
    ratio = np.round(np.exp(rng.normal(0.2, 0.4, 120)), 1)  # heaped: many ties
    observed = rng.random(120) < 0.6
    ref = censored_quantiles(ratio, observed)
    perm = rng.permutation(120)
    again = censored_quantiles(ratio[perm], observed[perm])
    pd.testing.assert_frame_equal(ref, again)


def test_no_finished_project_and_bad_input():
    out = censored_quantiles([1.2, 0.5], [False, False])
    assert out["value"].isna().all() and (out["note"] != "").all()
    with pytest.raises(ValueError, match="position 1"):
        censored_quantiles([1.0, -1.0], [True, True])
    with pytest.raises(ValueError, match="3 values"):
        censored_quantiles([1.0, 1.1, 1.2], [True, True])


@pytest.mark.parametrize("n", [40, 80, 160])
def test_no_censoring_matches_exact_order_statistics(n):
    """Without running projects the KM quantile is the inverse empirical CDF and its interval ends are
    order statistics within a few ranks of the exact binomial interval `intervals.quantile_ci`."""
    rng = np.random.default_rng(n)
    x = np.exp(rng.normal(0.3, 0.5, n))
    xs = np.sort(x)
    out = censored_quantiles(x, np.ones(n, bool), probs=(0.5, 0.8))
    for _, row in out.iterrows():
        p = row["p"]
        assert row["value"] == xs[int(np.floor(n * p))]  # smallest x with ECDF > p
        est, lo, hi = quantile_ci(x, p)
        assert abs(row["value"] - est) <= xs[int(np.floor(n * p)) + 1] - xs[int(np.floor(n * p)) - 1]
        rank = {v: i for i, v in enumerate(xs)}
        assert abs(rank[row["ci_low"]] - rank[lo]) <= 3
        assert abs(rank[row["ci_high"]] - rank[hi]) <= 3


N_PORTFOLIOS = 400  # Monte-Carlo SE of a 0.95 coverage: sqrt(0.95 * 0.05 / 400) = 0.011


def _simulate_live_portfolios(n_portfolios=N_PORTFOLIOS, probs=(0.5, 0.8)):
    """Per p: arrays (estimate, low, high) of the censored KM quantile and of the drop-running
    approach (finished projects only, exact order-statistic interval), one row per portfolio."""
    km = {p: [] for p in probs}
    drop = {p: [] for p in probs}
    running = []
    for s in range(n_portfolios):
        seed = 10_000 + s
        n = int(np.random.default_rng(seed).integers(80, 161))
        d = live_portfolio(n, seed)
        running.append(1 - d["observed"].mean())
        out = censored_quantiles(d["ratio"], d["observed"], probs=probs)
        finished = d.loc[d["observed"], "ratio"]
        for _, row in out.iterrows():
            km[row["p"]].append((row["value"], row["ci_low"], row["ci_high"]))
            drop[row["p"]].append(quantile_ci(finished, row["p"]))
    as_array = {k: np.asarray(v, dtype=float) for k, v in km.items()}
    return as_array, {k: np.asarray(v, dtype=float) for k, v in drop.items()}, np.asarray(running)


def _coverage(rows, truth):
    low = np.where(np.isnan(rows[:, 1]), -np.inf, rows[:, 1])  # a missing end is unbounded
    high = np.where(np.isnan(rows[:, 2]), np.inf, rows[:, 2])
    return float(np.mean((low <= truth) & (truth <= high)))


@pytest.mark.slow
def test_coverage_on_live_portfolios():
    """400 live portfolios (80–160 projects started over the 24–30 months before the export, ~half
    running, fat-tailed log-normal ratios): the censored P50/P80 intervals cover the true quantile
    within 3 Monte-Carlo SE of 0.95; dropping running projects understates slip and undercovers.
    Measured (seeds 10000–10399): KM cloglog coverage P50 0.953, P80 0.940, P80 slip bias +2.3 pp;
    drop-running coverage P50 0.62, P80 0.53, bias −9.1 pp (P50) and −22 pp (P80)."""
    km, drop, running = _simulate_live_portfolios()
    assert 0.40 <= running.mean() <= 0.60  # "about half running"
    for p in (0.5, 0.8):
        truth = true_ratio_quantile(p)
        assert 0.91 <= _coverage(km[p], truth) <= 0.985, p
        assert np.isnan(km[p][:, 0]).mean() == 0  # every portfolio gives a value
        bias_km = np.mean(km[p][:, 0]) - truth
        bias_drop = np.mean(drop[p][:, 0]) - truth
        assert abs(bias_km) < 0.05  # ratio units: within 5 pp of slip
        assert bias_drop < -0.05  # the current approach understates lateness ...
        assert _coverage(drop[p], truth) < 0.80  # ... and its interval misses the truth


# ---- log-normal AFT ----------------------------------------------------------------------------------

# R survival, tests/testreg.R and its saved output testreg.Rout.save (results checked against SAS by the
# package authors): test1 <- data.frame(time = c(9, 3, 1, 1, 6, 6, 8), status = c(1, NA, 1, 0, 1, 1, 0),
# x = c(0, 2, 1, 1, 1, 0, 0)); summary(survreg(Surv(time, status) ~ x, test1, dist = "lognormal")):
#   (Intercept)  2.210  0.404 | x  -1.268  0.585 | Log(scale)  -0.446  0.342 | Loglik(model) = -10.5
# (the row with a missing status is dropped).
TEST1_TIME = np.array([9, 1, 1, 6, 6, 8], dtype=float)
TEST1_STATUS = np.array([1, 1, 0, 1, 1, 0], dtype=bool)
TEST1_X = np.array([0, 1, 1, 1, 0, 0], dtype=float)


def _design(x):
    return np.column_stack([np.ones(len(x)), x])


def test_lognormal_aft_reproduces_r_survreg():
    res = fit_lognormal_aft(TEST1_TIME, TEST1_STATUS, _design(TEST1_X), ["const", "x"])
    np.testing.assert_allclose(np.asarray(res.params), [2.210, -1.268, -0.446], atol=6e-4)
    np.testing.assert_allclose(np.asarray(res.bse), [0.404, 0.585, 0.342], atol=6e-4)
    # survreg's log-likelihood is that of the time: ours (of the log time) minus Σ log t over events
    assert res.llf - np.log(TEST1_TIME[TEST1_STATUS]).sum() == pytest.approx(-10.5, abs=0.05)
    assert res.model.exog_names == ["const", "x", "log_sigma"]


def test_lognormal_aft_derivatives_are_analytic_and_right():
    d = live_portfolio(150, 11)
    X = _design(d["amo"].to_numpy(float))
    model = fit_lognormal_aft(d["ratio"], d["observed"], X).model
    p = np.array([0.1, 0.05, np.log(0.3)])
    np.testing.assert_allclose(model.score(p), approx_fprime(p, model.loglike, centered=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.hessian(p), approx_hess(p, model.loglike), rtol=1e-4, atol=1e-4)


def test_lognormal_aft_terms_are_scipy_norm_to_the_bit():
    """The log-likelihood, score and Hessian take log φ and log Φ(−z) only where each is used,
    without scipy.stats' argument checks: the same floats as the formulas written with
    `scipy.stats.norm` on every row (z far in both tails included), so fits do not move."""
    from scipy import stats

    rng = np.random.default_rng(3)
    n = 400
    X = _design((rng.random(n) < 0.5).astype(float))
    y = rng.standard_t(2, n) * 3.0  # residuals up to ±40 σ: the Mills ratio far in the tail
    observed = rng.random(n) < 0.7
    model = LogNormalAFT(y, X, observed)
    for params in (np.array([0.1, 0.05, np.log(0.3)]), np.array([-2.0, 1.0, np.log(0.05)])):
        beta, log_sigma = params[:-1], params[-1]
        sigma = np.exp(log_sigma)
        z = (y - X @ beta) / sigma
        lam = np.exp(stats.norm.logpdf(z) - stats.norm.logsf(z))
        dlam = lam * (lam - z)
        loglike = np.where(observed, stats.norm.logpdf(z) - log_sigma, stats.norm.logsf(z))
        d_beta = np.where(observed, z, lam) / sigma
        d_log_sigma = np.where(observed, z**2 - 1.0, lam * z)
        w_bb = np.where(observed, 1.0, dlam) / sigma**2
        w_bs = np.where(observed, 2.0 * z, dlam * z + lam) / sigma
        w_ss = np.where(observed, 2.0 * z**2, z * (dlam * z + lam))
        hessian = np.empty((3, 3))
        hessian[:2, :2] = -(X * w_bb[:, None]).T @ X
        hessian[:2, 2] = hessian[2, :2] = -(X * w_bs[:, None]).sum(axis=0)
        hessian[2, 2] = -w_ss.sum()
        assert np.isfinite(loglike).all() and np.abs(z).max() > 30
        assert np.array_equal(model.loglikeobs(params), loglike)
        assert np.array_equal(model.score_obs(params), np.column_stack([X * d_beta[:, None], d_log_sigma]))
        assert np.array_equal(model.hessian(params), hessian)


def test_lognormal_aft_without_censoring_is_ols():
    rng = np.random.default_rng(8)
    x = rng.random(60) < 0.5
    ratio = np.exp(0.2 + 0.15 * x + rng.normal(0, 0.3, 60))
    X = _design(x.astype(float))
    res = fit_lognormal_aft(ratio, np.ones(60, bool), X)
    ols = OLS(np.log(ratio), X).fit()
    np.testing.assert_allclose(np.asarray(res.params)[:2], ols.params, rtol=1e-7, atol=1e-9)
    # MLE σ is sqrt(RSS / n) (OLS's uses n − k)
    assert np.exp(res.params[-1]) == pytest.approx(np.sqrt(ols.ssr / 60), rel=1e-6)


def test_lognormal_aft_cluster_covariance_is_cr1_sandwich():
    d = live_portfolio(120, 5)
    X = _design(d["amo"].to_numpy(float))
    res = fit_lognormal_aft(d["ratio"], d["observed"], X, groups=d["organisation"])
    model, p = res.model, np.asarray(res.params)
    bread = np.linalg.inv(-model.hessian(p))
    scores = model.score_obs(p)
    g = d["organisation"].to_numpy()
    meat = sum(np.outer(scores[g == c].sum(0), scores[g == c].sum(0)) for c in np.unique(g))
    n, k, n_groups = len(g), 3, len(np.unique(g))
    expected = bread @ meat @ bread * n_groups / (n_groups - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(np.asarray(res.cov_params()), expected, rtol=1e-8)


def test_aft_effect_result():
    d = live_portfolio(140, 21, effect=np.log(1.3))
    res = aft_effect(d, "ratio", "amo", "observed")
    b = res.details["log_scale"]
    assert res.method == "lognormal_aft" and res.scale == "percent change"
    assert res.estimate == pytest.approx(np.expm1(b["estimate"]))
    assert (res.ci_low, res.ci_high) == pytest.approx((np.expm1(b["ci_low"]), np.expm1(b["ci_high"])))
    assert res.n == 140 and res.details["n_running"] == int((~d["observed"]).sum())
    assert "running" in res.notes[-1] and "en cours" in localise(res.notes[-1], "fr")
    assert res.reference.kind == "normal" and "HC0" in res.details["se_type"]
    shuffled = d.sample(frac=1.0, random_state=1)
    assert aft_effect(shuffled, "ratio", "amo", "observed").estimate == pytest.approx(res.estimate, rel=1e-7)
    clustered = aft_effect(d, "ratio", "amo", "observed", cluster="organisation")
    assert clustered.estimate == pytest.approx(res.estimate, rel=1e-9)
    assert clustered.reference.kind == "t" and clustered.details["df"] == clustered.details["n_clusters"] - 1
    assert res.to_dict()["method"] == "lognormal_aft"


def test_aft_effect_refuses_what_it_cannot_estimate():
    d = live_portfolio(60, 2)
    d.loc[d["amo"], "observed"] = False
    with pytest.raises(EffectError, match="No treated project has finished"):
        aft_effect(d, "ratio", "amo", "observed")
    d = live_portfolio(60, 2)
    d["observed"] = d["observed"].astype(int).astype(str)
    with pytest.raises(EffectError, match="'observed' must be True"):
        aft_effect(d, "ratio", "amo", "observed")


def test_aft_effect_cluster_jackknife_is_leave_one_cluster_out():
    d = live_portfolio(150, 4, org_sd=0.15)
    res = aft_effect(d, "ratio", "amo", "observed", cluster="organisation")
    X = np.column_stack([np.ones(len(d)), d["amo"].to_numpy(float)])
    leave_out = []
    for g in sorted(d["organisation"].unique()):
        keep = (d["organisation"] != g).to_numpy()
        fit = fit_lognormal_aft(d["ratio"].to_numpy()[keep], d["observed"].to_numpy()[keep], X[keep])
        leave_out.append(np.asarray(fit.params)[1])
    leave_out = np.asarray(leave_out)
    G = len(leave_out)
    se = np.sqrt((G - 1) / G * np.sum((leave_out - leave_out.mean()) ** 2))
    assert res.details["log_scale"]["std_error"] == pytest.approx(se, rel=1e-5)
    assert "jackknife" in res.details["se_type"] and res.details["df"] == G - 1
    cr1 = aft_effect(d, "ratio", "amo", "observed", cluster="organisation", cluster_se="cr1")
    assert "CR1" in cr1.details["se_type"] and cr1.estimate == pytest.approx(res.estimate, rel=1e-9)


def test_a_column_major_design_is_fitted_as_it_is_and_gives_the_same_floats():
    """pandas copies a named row-major design into column-major; `aft_effect` builds its design so
    (one n × p array in memory while the model is fitted, not two: 96 MB at 10⁶ projects), and the
    fit is the same to the bit whichever layout it is given."""
    d = live_portfolio(400, 9)
    rng = np.random.default_rng(4)
    X = np.column_stack(
        [np.ones(len(d)), d["amo"].to_numpy(float), rng.normal(size=len(d)), rng.gamma(2.0, size=len(d))]
    )
    names = ["const", "amo", "x1", "x2"]
    fortran = np.asfortranarray(X)
    kept = fit_lognormal_aft(d["ratio"], d["observed"], fortran, names, groups=d["organisation"])
    copied = fit_lognormal_aft(d["ratio"], d["observed"], X, names, groups=d["organisation"])
    assert np.shares_memory(np.asarray(kept.model.exog), fortran)
    assert not np.shares_memory(np.asarray(copied.model.exog), X)
    for a, b in ((kept.params, copied.params), (kept.bse, copied.bse), (kept.cov_params(), copied.cov_params())):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_the_aft_hessian_holds_one_n_by_p_product_at_a_time():
    """The Hessian's X'WX is negated once formed (k × k), not as a second n × k copy of the weighted
    design: its peak above the model is ~1.4 times the design's size (2.4 before)."""
    import tracemalloc

    rng = np.random.default_rng(3)
    n, k = 200_000, 12
    X = np.asfortranarray(np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=(n, k - 2))]))
    y = X @ rng.normal(size=k) * 0.1 + rng.normal(size=n)
    model = LogNormalAFT(y, X, rng.random(n) < 0.8)
    params = np.append(np.linalg.lstsq(X, y, rcond=None)[0], 0.0)
    tracemalloc.start()
    try:
        H = model.hessian(params)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.7 * X.nbytes
    assert np.allclose(H, approx_hess(params, model.loglike), rtol=1e-4, atol=1e-3 * np.abs(H).max())
