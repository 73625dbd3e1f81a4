"""Known answers of amo_analysis.stats.sensitivity: sensemakr's Darfur example and EValue's published
examples (printed numbers only, no data copied), exact in-sample identities, balance additions."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as st
import statsmodels.api as sm

from amo_analysis.errors import InputError
from amo_analysis.stats.sensitivity import (
    adjusted,
    benchmark_bounds,
    benchmark_partial_r2,
    bias,
    contour_grid,
    evalue,
    evalue_from_difference,
    partial_r2,
    robustness_value,
    sensitivity_stats,
)

# Darfur (Cinelli & Hazlett 2020, §5): peacefactor ~ directlyharmed + covariates, n = 1276.
# Rounded inputs as passed to sensemakr(estimate = 0.09731582, se = 0.02325654, dof = 783, ...) in
# sensemakr's tests/testthat/test-02-darfur.R ("testing darfur sensemakr manually").
EST, SE, DOF = 0.09731582, 0.02325654, 783
# Unrounded, printed by Sensemakr.jl docs/src/quickstart.md: first(coeftable(fitted_model), 2)[2].
EST_FULL, SE_FULL = 0.09731581928495726, 0.023256537809811153
# Benchmark `female`: partial R² with the outcome, partial_r2(fitted_model, covariates = "female")
# ≈ 0.10903391542784427 (Sensemakr.jl test/runtests.jl; PySensemakr's docstring prints 0.10903).
R2YXJ_FEMALE = 0.10903391542784427
# Its partial R² with the treatment is printed nowhere; the 1x bound r2dz.x = 0.00916428667504862
# (test-02-darfur.R) is r2dxj / (1 − r2dxj), so r2dxj follows from it. Everything else below
# (r2yz.dx, the 2x/3x rows, adjusted estimates, SEs, t, intervals) is then an independent check.
R2DZ_1X = 0.00916428667504862
R2DXJ_FEMALE = R2DZ_1X / (1 + R2DZ_1X)


def test_partial_r2_and_robustness_values_of_darfur():
    t = EST / SE
    assert t == pytest.approx(4.18445, abs=5e-6)  # print(sensitivity): "t-value: 4.18445"
    # sensemakr print.sensemakr (vignette, reference/print.sensemakr.html): 0.02187, 0.13878, 0.07626
    assert round(partial_r2(t, DOF), 5) == 0.02187
    assert round(robustness_value(t, DOF), 5) == 0.13878
    assert round(robustness_value(t, DOF, alpha=0.05), 5) == 0.07626
    # more digits from the model's unrounded t: test-02-darfur.R "testing darfur sensitivity stats"
    # (0.02187309, 0.138776, 0.07625797) and Sensemakr.jl test/runtests.jl (partial_r2(model,
    # "directlyharmed") = 0.021873093341109; q = 1/2: 0.072027, with alpha = 0.05: 0.004563)
    t_full = EST_FULL / SE_FULL
    assert partial_r2(t_full, DOF) == pytest.approx(0.021873093341109, abs=1e-14)
    assert partial_r2(t_full, DOF) == pytest.approx(0.02187309, abs=5e-9)
    assert robustness_value(t_full, DOF) == pytest.approx(0.138776, abs=5e-7)
    assert robustness_value(t_full, DOF, alpha=0.05) == pytest.approx(0.07625797, abs=5e-9)
    assert robustness_value(t_full, DOF, q=0.5) == pytest.approx(0.072027, abs=5e-7)
    assert robustness_value(t_full, DOF, q=0.5, alpha=0.05) == pytest.approx(0.004563, abs=5e-7)
    assert partial_r2(4.18445, 783) == pytest.approx(0.021873093496457607, abs=1e-12)
    # sensemakr tests/testthat/test-10-rv-xrv.R "Print RV": robustness_value(t = 2, dof = 100) → 0.1809975
    assert robustness_value(2, 100) == pytest.approx(0.1809975, abs=1e-7)
    stats = sensitivity_stats(EST, SE, DOF)
    assert (stats.rv_q, stats.rv_qa) == (pytest.approx(0.138776, abs=1e-6), pytest.approx(0.07625797, abs=5e-8))
    assert "13.9 %" in stats.sentence() and "7.6 %" in stats.sentence()


def test_robustness_value_definitions_hold():
    t, dof = EST / SE, DOF
    rv = robustness_value(t, dof)
    # a confounder at (RV, RV) brings the estimate exactly to 0 (test-02-darfur.R, adjusted estimates)
    assert adjusted(EST, SE, dof, rv, rv).estimate == pytest.approx(0, abs=1e-12)
    rv_half = robustness_value(t, dof, q=0.5)
    assert bias(SE, dof, rv_half, rv_half) == pytest.approx(EST / 2, rel=1e-12)
    rva = robustness_value(t, dof, alpha=0.05)
    assert adjusted(EST, SE, dof, rva, rva).t == pytest.approx(st.t.ppf(0.975, dof - 1), rel=1e-10)
    # not significant to begin with → 0
    assert robustness_value(1.2, 50, alpha=0.05) == 0.0
    np.testing.assert_allclose(robustness_value(np.array([4.18445, -4.18445]), 783), 0.138776, atol=1e-6)


def test_extreme_robustness_value_when_the_equal_strength_point_does_not_bind():
    # sensemakr tests/testthat/test-10-rv-xrv.R "Non contraining cases (XRV)": dof = 7, estimate 1, se 0.3.
    dof, est, se = 7, 1.0, 0.3
    tcrit = st.t.ppf(0.975, dof - 1)
    fs = tcrit / math.sqrt(dof - 1)
    rv = robustness_value(est / se, dof, alpha=0.05)
    f = est / se / math.sqrt(dof)
    assert f > 1 / fs  # the extreme branch
    assert rv == pytest.approx((f**2 - fs**2) / (1 + f**2), rel=1e-12)
    r2yz = rv / (fs**2 + rv)
    assert adjusted(est, se, dof, rv, r2yz).t == pytest.approx(tcrit, rel=1e-10)  # "needs to be exact here"
    grid = np.arange(1, int(rv * 2_000)) / 2_000  # sensemakr's test steps by 1e-4; 5e-4 here
    t_adj = contour_grid(est, se, dof, r2dz_x=grid, r2yz_dx=grid[grid < r2yz])["adjusted_t"]
    assert len(t_adj) > 100_000 and (t_adj > tcrit).all()  # no weaker confounder is enough


def test_bias_adjusted_estimate_se_t_match_sensemakr_jl():
    # Sensemakr.jl test/runtests.jl: adjusted_estimate / adjusted_se / adjusted_t(0.05, 0.05, model)
    # = 0.06393214421078033, 0.02327140296812648, 2.7472406497513093 (atol 1e-6 there); the model's
    # unrounded estimate and SE reproduce them to 1e-12.
    adj = adjusted(EST_FULL, SE_FULL, DOF, 0.05, 0.05)
    assert adj.estimate == pytest.approx(0.06393214421078033, abs=1e-12)
    assert adj.se == pytest.approx(0.02327140296812648, abs=1e-12)
    assert adj.t == pytest.approx(2.7472406497513093, abs=1e-9)
    up = adjusted(EST_FULL, SE_FULL, DOF, 0.05, 0.05, reduce=False)
    assert up.estimate - EST_FULL == pytest.approx(EST_FULL - adj.estimate, rel=1e-12)
    neg = adjusted(-EST_FULL, SE_FULL, DOF, 0.05, 0.05)
    assert neg.estimate == pytest.approx(-adj.estimate, rel=1e-12)


def test_benchmark_bounds_reproduce_the_darfur_female_table():
    # sensemakr tests/testthat/test-02-darfur.R "testing darfur sensemakr manually" (same numbers in
    # PySensemakr tests/test_darfur.py); printed rounded in the vignette's summary(sensitivity):
    # 1x female 0.0092 0.1246 … 0.0752 0.0219 3.4389 0.0323 0.1182.
    b = benchmark_bounds(EST, SE, DOF, R2DXJ_FEMALE, R2YXJ_FEMALE, kd=[1, 2, 3], label="female")
    assert list(b["bound_label"]) == ["1x female", "2x female", "3x female"]
    expected = {
        "r2dz_x": [0.00916428667504862, 0.0183285733500972, 0.0274928600251459],
        "r2yz_dx": [0.12464092303637, 0.249324064199975, 0.374050471038094],
        "adjusted_estimate": [0.0752202698486415, 0.0529151689180575, 0.0303960178770157],
        "adjusted_se": [0.0218733298036818, 0.0203500639944344, 0.0186700665753491],
        "adjusted_t": [3.43890347394571, 2.60024582392121, 1.62806156873318],
        "adjusted_lower": [0.0322829603180086, 0.0129680276030601, -0.00625329133645187],
        "adjusted_upper": [0.118157579379274, 0.092862310233055, 0.0670453270904833],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(b[column], values, rtol=1e-9, atol=1e-13, err_msg=column)
    assert not b["capped"].any()
    # 3x female: the point estimate survives, the interval no longer excludes 0
    assert b["adjusted_estimate"].iloc[2] > 0 > b["adjusted_lower"].iloc[2]


def test_benchmark_bounds_with_the_models_unrounded_estimate_and_other_alpha():
    # sensemakr tests/testthat/test-07-bounds.R: ovb_bounds(model, "directlyharmed", "female") and alpha = 0.2
    b = benchmark_bounds(EST_FULL, SE_FULL, DOF, R2DXJ_FEMALE, R2YXJ_FEMALE, kd=[1], label="female")
    row = b.iloc[0]
    assert row["adjusted_estimate"] == pytest.approx(0.0752202712144491, abs=1e-12)
    assert row["adjusted_se"] == pytest.approx(0.0218733277437572, abs=1e-12)
    assert row["adjusted_t"] == pytest.approx(3.43890386024675, abs=1e-9)
    assert row["adjusted_lower"] == pytest.approx(0.0322829657274445, abs=1e-12)
    assert row["adjusted_upper"] == pytest.approx(0.118157576701454, abs=1e-12)
    b20 = benchmark_bounds(EST_FULL, SE_FULL, DOF, R2DXJ_FEMALE, R2YXJ_FEMALE, kd=[1], alpha=0.2)
    assert b20["adjusted_lower"].iloc[0] == pytest.approx(0.0471648038348768, abs=1e-12)
    assert b20["adjusted_upper"].iloc[0] == pytest.approx(0.103275738594021, abs=1e-12)


def test_benchmark_bounds_refuse_impossible_multipliers_and_cap_the_outcome_side():
    with pytest.raises(InputError, match="smaller multiplier"):
        benchmark_bounds(EST, SE, DOF, 0.3, 0.1, kd=[3])
    capped = benchmark_bounds(EST, SE, DOF, 0.01, 0.6, kd=[3])
    assert capped["capped"].iloc[0] and capped["r2yz_dx"].iloc[0] == 1.0
    with pytest.raises(InputError, match="same length"):
        benchmark_bounds(EST, SE, DOF, 0.01, 0.1, kd=[1, 2], ky=[1])
    with pytest.raises(InputError, match=r"\[0, 1\)"):
        benchmark_bounds(EST, SE, DOF, 1.2, 0.1)


def _confounded(n=300, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    u = rng.normal(size=n)
    d = 0.5 * x + 0.6 * u + rng.normal(size=n)
    y = 1.0 * d + 0.7 * x + 0.8 * u + rng.normal(size=n)
    return pd.DataFrame({"y": y, "d": d, "x": x, "u": u})


def test_omitted_variable_bias_formula_is_exact_in_sample():
    # Cinelli & Hazlett (2020), eq. 11 and 16, checked as sensemakr's tests/testthat/test-sensemakr.R
    # does: the restricted fit plus the omitted variable's partial R² give the full fit exactly.
    df = _confounded()
    restricted = sm.OLS(df["y"], sm.add_constant(df[["d", "x"]])).fit()
    full = sm.OLS(df["y"], sm.add_constant(df[["d", "x", "u"]])).fit()
    treat = sm.OLS(df["d"], sm.add_constant(df[["x", "u"]])).fit()
    r2yz = partial_r2(full.tvalues["u"], full.df_resid)
    r2dz = partial_r2(treat.tvalues["u"], treat.df_resid)
    est, se, dof = restricted.params["d"], restricted.bse["d"], restricted.df_resid
    assert bias(se, dof, r2dz, r2yz) == pytest.approx(abs(est - full.params["d"]), rel=1e-10)
    adj = adjusted(est, se, dof, r2dz, r2yz)
    assert adj.estimate == pytest.approx(full.params["d"], rel=1e-10)
    assert adj.se == pytest.approx(full.bse["d"], rel=1e-10)


def test_benchmark_partial_r2_from_data():
    df = _confounded()
    df["org"] = np.random.default_rng(1).choice(["a", "b", "c"], size=len(df))
    got = benchmark_partial_r2(df, "y", "d", ["x", "u", "org"], "x")
    fit_d = sm.OLS(df["d"], sm.add_constant(pd.get_dummies(df[["x", "u", "org"]], drop_first=True, dtype=float))).fit()
    assert got.r2dxj_x == pytest.approx(partial_r2(fit_d.tvalues["x"], fit_d.df_resid), rel=1e-10)
    assert got.n == len(df) and got.dof_y == len(df) - 6
    # a group: the classic definition (SSR_without − SSR_with) / SSR_without
    grp = benchmark_partial_r2(df, "y", "d", ["x", "u", "org"], "org")
    dummies = pd.get_dummies(df[["d", "x", "u", "org"]], drop_first=True, dtype=float)
    with_org = sm.OLS(df["y"], sm.add_constant(dummies)).fit()
    without = sm.OLS(df["y"], sm.add_constant(df[["d", "x", "u"]])).fit()
    assert grp.r2yxj_dx == pytest.approx((without.ssr - with_org.ssr) / without.ssr, rel=1e-9)
    with pytest.raises(InputError, match="must be one of the covariates"):
        benchmark_partial_r2(df, "y", "d", ["x"], "u")


def test_contour_grid_matches_adjusted_at_each_point():
    grid = contour_grid(EST, SE, DOF, lim=0.3, points=7)
    assert len(grid) == 49 and grid["r2dz_x"].max() == pytest.approx(0.3)
    row = grid.iloc[17]
    point = adjusted(EST, SE, DOF, row["r2dz_x"], row["r2yz_dx"])
    assert row["adjusted_estimate"] == pytest.approx(point.estimate, rel=1e-12)
    assert row["adjusted_t"] == pytest.approx(point.t, rel=1e-12)
    assert grid.loc[(grid.r2dz_x == 0) | (grid.r2yz_dx == 0), "adjusted_estimate"].eq(EST).all()


# -------------------------------------------------------------------------------------------- E-values


def test_evalues_of_the_published_examples():
    # EValue vignette "E-values for unmeasured confounding" (docs/articles/unmeasured-confounding.html):
    # evalues.RR(est = 10.73, lo = 8.02, hi = 14.36) → 20.94777, 15.52336 (Hammond & Horn smoking)
    e = evalue(10.73, 8.02, 14.36)
    assert (e.point, e.ci) == (pytest.approx(20.94777, abs=5e-6), pytest.approx(15.52336, abs=5e-6))
    # evalues.OR(est = 3.9, lo = 1.8, hi = 8.7, rare = TRUE) → 7.263034, 3.0 (VanderWeele & Ding 2017,
    # breastfeeding and infant death: E-value 7.26, 3.0 for the lower limit)
    e = evalue(3.9, 1.8, 8.7, measure="OR", rare=True)
    assert (e.point, e.ci) == (pytest.approx(7.263034, abs=5e-7), pytest.approx(3.0, abs=1e-12))
    # evalues.RR(est = 0.80, lo = 0.71, hi = 0.91) → 1.809017, upper 1.428571 (a ratio below 1)
    e = evalue(0.80, 0.71, 0.91)
    assert (e.point, e.ci) == (pytest.approx(1.809017, abs=5e-7), pytest.approx(1.428571, abs=5e-7))
    # summary(evalues.RR(est = 2.5, true = 1.5)) → 2.720759 (a non-null true value)
    assert evalue(2.5, true=1.5).point == pytest.approx(2.720759, abs=5e-7)
    assert evalue(2.5).ci is None


def test_evalue_interval_crossing_the_null_and_symmetry():
    e = evalue(1.3, 0.9, 1.8)
    assert e.ci == 1.0 and e.point == pytest.approx(1.3 + math.sqrt(1.3 * 0.3))
    assert evalue(1 / 0.8).point == pytest.approx(evalue(0.8).point)  # EValue's evalues.RR(1/0.80) example
    # EValue tests/testthat: "Annals case #1, preventive version"
    pre = evalue(1 / 3.9, 1 / 8.7, 1 / 1.8)
    assert pre.point == pytest.approx(3.9 + math.sqrt(3.9 * 2.9)) and pre.ci == pytest.approx(3.0)
    # "Lower CI limit < True value < Point estimate, causative": the limit is 1
    assert evalue(1.3, 1.1, 1.4, true=1.2).ci == 1.0
    with pytest.raises(InputError, match="inside its interval"):
        evalue(1.2, 1.3, 1.4)
    with pytest.raises(InputError, match="positive"):
        evalue(-0.1)


def test_common_outcome_conversions():
    # EValue tests/testthat "Common OR": evalues.OR(5, true = 2, rare = FALSE) and with lo = 3
    s5, s3, s2 = math.sqrt(5), math.sqrt(3), math.sqrt(2)
    e = evalue(5, 3, None, measure="OR", rare=False, true=2)
    assert e.point == pytest.approx((s5 + math.sqrt(s5 * (s5 - s2))) / s2, rel=1e-12)
    assert e.ci == pytest.approx((s3 + math.sqrt(s3 * (s3 - s2))) / s2, rel=1e-12)
    assert "sqrt(OR)" in e.note
    # "Common HR": RR = (1 − 0.5^sqrt(HR)) / (1 − 0.5^sqrt(1/HR)), HR 1.3 (1.2, 1.4), true 1.1
    conv = lambda hr: (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))  # noqa: E731
    rr, rr_lo, rr_true = conv(1.3), conv(1.2), conv(1.1)
    e = evalue(1.3, 1.2, 1.4, measure="HR", rare=False, true=1.1)
    assert e.point == pytest.approx((rr + math.sqrt(rr * (rr - rr_true))) / rr_true, rel=1e-12)
    assert e.ci == pytest.approx((rr_lo + math.sqrt(rr_lo * (rr_lo - rr_true))) / rr_true, rel=1e-12)
    # a rare outcome: odds ratio taken as it is ("Rare OR": 5 + sqrt(5·4))
    assert evalue(5, measure="OR").point == pytest.approx(5 + math.sqrt(20))


def test_evalue_of_a_standardised_difference():
    # EValue tests/testthat "SMD, causative": d = 0.5, se = 0.2, true = 0.1
    RR, RRt = math.exp(0.91 * 0.5), math.exp(0.91 * 0.1)
    RRlo = math.exp(0.91 * 0.5 - 1.78 * 0.2)
    e = evalue_from_difference(0.5, se=0.2, true=0.1)
    assert e.point == pytest.approx((RR + math.sqrt(RR * (RR - RRt))) / RRt, rel=1e-12)
    assert e.ci == pytest.approx((RRlo + math.sqrt(RRlo * (RRlo - RRt))) / RRt, rel=1e-12)
    assert "exp(0.91·d)" in e.note
    # "SMD, preventive": d = −0.5, se = 0.4, true = −0.1 → the interval crosses the true value: 1
    assert evalue_from_difference(-0.5, se=0.4, true=-0.1).ci == 1.0
    # interval given on the d scale instead of an SE
    assert evalue_from_difference(0.5, ci_low=0.1, ci_high=0.9).ci == pytest.approx(evalue(math.exp(0.091)).point)


# -------------------------------------------------------------------------------------------- balance
