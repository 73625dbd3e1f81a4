"""Known answers of amo_analysis.stats.weighting: Stata teffects, unit invariance, a refitting bootstrap,
clusters, trimming."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels

from amo_analysis.stats import weighting
from amo_analysis.stats.effects import EffectError, estimate_effect

CATTANEO = Path(statsmodels.__file__).parent / "treatment" / "tests" / "results" / "cataneo2.csv"
OUTCOME_COVARIATES = ["prenatal1_", "mmarried_", "mage", "fbaby_"]
PROPENSITY_COVARIATES = ["mmarried_", "mage", "mage2", "fbaby_", "medu"]
# Stata 14 `teffects` on Cattaneo (2010), as stored in statsmodels' results_teffects.py
STATA = {
    ("ipw", "ATE"): (-230.68863779, 25.815243801),
    ("ipw", "ATT"): (-225.17726062, 23.664582687),
    ("aipw", "ATE"): (-230.98920111, 26.210564625),
}


@pytest.fixture(scope="module")
def cattaneo():
    if not CATTANEO.exists():
        pytest.skip("cataneo2.csv is not shipped with this statsmodels")
    d = pd.read_csv(CATTANEO)
    y, t = d["bweight"].to_numpy(float), d["mbsmoke_"].to_numpy(float)
    X = np.column_stack([np.ones(len(d))] + [d[c].to_numpy(float) for c in OUTCOME_COVARIATES])
    Z = np.column_stack([np.ones(len(d))] + [d[c].to_numpy(float) for c in PROPENSITY_COVARIATES])
    return y, t, X, Z


def _fit(y, t, X, Z, method, estimand, groups=None):
    ps = weighting.fit_propensity(t, Z, "probit", check_separation=False)
    if method == "ipw":
        return weighting.ipw(y, t, Z, ps, estimand, groups)
    return weighting.aipw(y, t, X, Z, ps, groups)


@pytest.mark.parametrize("method, estimand", list(STATA))
def test_analytic_sandwich_reproduces_stata_teffects(cattaneo, method, estimand):
    est = _fit(*cattaneo, method, estimand)
    b, se = STATA[(method, estimand)]
    assert est.effect == pytest.approx(b, rel=1e-8)
    assert est.std_error == pytest.approx(se, rel=1e-7)


@pytest.mark.parametrize("method, estimand", list(STATA))
def test_intervals_do_not_move_when_covariates_change_units(cattaneo, method, estimand):
    # statsmodels' GMM took numerical derivatives with a fixed absolute step: its IPW standard error
    # changed with the units of a covariate, and squared covariates × 1000 made it singular
    y, t, X, Z = cattaneo
    base = _fit(y, t, X, Z, method, estimand)
    Z2, X2 = Z.copy(), X.copy()
    Z2[:, 2:4] *= 1000.0  # age in thousandths, age² × 1000
    X2[:, 3] /= 1000.0
    scaled = _fit(y, t, X2, Z2, method, estimand)
    assert scaled.effect == pytest.approx(base.effect, rel=1e-7)
    assert scaled.std_error == pytest.approx(base.std_error, rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ipw", "aipw"])
def test_sandwich_matches_a_bootstrap_that_refits_the_propensity_model(cattaneo, method):
    # 1 000 stratified resamples refitting the probit each time; the bootstrap SE itself has a
    # Monte Carlo error of about 1/sqrt(2·1000) = 2.2 %
    y, t, X, Z = cattaneo
    est = _fit(y, t, X, Z, method, "ATE")
    rng = np.random.default_rng(2026)
    treated, control = np.flatnonzero(t == 1), np.flatnonzero(t == 0)
    draws = []
    for _ in range(1000):
        idx = np.concatenate([rng.choice(treated, len(treated)), rng.choice(control, len(control))])
        draws.append(_fit(y[idx], t[idx], X[idx], Z[idx], method, "ATE").effect)
    boot_se = float(np.std(draws, ddof=1))
    print(f"\n{method}: sandwich SE {est.std_error:.2f}, refitting bootstrap SE {boot_se:.2f}")
    assert est.std_error == pytest.approx(boot_se, rel=0.07)


def test_singleton_clusters_equal_the_unclustered_sandwich(cattaneo):
    y, t, X, Z = cattaneo
    plain = _fit(y, t, X, Z, "aipw", "ATE")
    singletons = _fit(y, t, X, Z, "aipw", "ATE", groups=np.arange(len(y)))
    assert singletons.std_error == pytest.approx(plain.std_error, rel=1e-10)
    clustered = _fit(y, t, X, Z, "aipw", "ATE", groups=np.arange(len(y)) // 50)
    assert clustered.n_clusters == (len(y) + 49) // 50 and clustered.std_error != plain.std_error


def _extreme(n=4000, n_extreme=6, seed=3):
    """A portfolio where `n_extreme` projects have a covariate that all but decides the practice."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[:n_extreme] = 90.0
    t = rng.random(n) < 1 / (1 + np.exp(-(0.3 * x - 0.2)))
    t[:n_extreme] = True
    y = 1.0 + 0.5 * x + 2.0 * t + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t, "x": x})


def test_trimming_rescues_a_portfolio_that_separates_only_at_its_extremes():
    data = _extreme()
    with pytest.raises(EffectError, match="separation|exactly"):
        estimate_effect(data, "y", "t", ["x"], method="ipw")
    trimmed = estimate_effect(data, "y", "t", ["x"], method="ipw", trim=(0.05, 0.95))
    assert trimmed.details["n_trimmed"] >= 6
    assert trimmed.estimand.startswith("ATE on projects with propensity in [0.05, 0.95]")
    assert abs(trimmed.estimate - 2.0) < 4 * trimmed.std_error
    # point and interval come from the same propensities: the interval is centred on the estimate
    assert trimmed.ci_high - trimmed.estimate == pytest.approx(trimmed.estimate - trimmed.ci_low)


def test_clustered_weighting_uses_cluster_degrees_of_freedom():
    rng = np.random.default_rng(4)
    org = np.repeat(np.arange(12), 25)
    decided = np.isin(np.arange(12), rng.permutation(12)[:6])
    x = rng.normal(size=300)
    data = pd.DataFrame(
        {
            "y": 0.5 * x + rng.normal(0, 1, 12)[org] + rng.normal(size=300),
            "t": decided[org] ^ (rng.random(300) < 0.2),
            "x": x,
            "org": org,
        }
    )
    res = estimate_effect(data, "y", "t", ["x"], method="aipw", cluster="org")
    assert res.details["n_clusters"] == 12 and res.details["df"] == 11
    assert "cluster-robust sandwich" in res.details["se_type"]
