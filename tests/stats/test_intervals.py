"""Tests of amo_analysis.stats.intervals against published tables."""

import numpy as np
import pytest

from amo_analysis.stats import intervals


def test_median_ci_matches_order_statistic_table():
    # Textbook: for n = 20 the distribution-free 95 % CI of the median is (x(6), x(15)),
    # coverage 95.86 % (e.g. Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, table A.5).
    est, low, high = intervals.quantile_ci(np.arange(1, 21), 0.5)
    assert (est, low, high) == (10.5, 6, 15)


def test_p90_of_ten_projects_has_no_upper_bound():
    est, low, high = intervals.quantile_ci(np.arange(1, 11), 0.9)
    assert low == 7 and np.isnan(high)


def test_share_ci_is_wilson():
    # Wilson interval for 5/10 at 95 %: 0.2366 – 0.7634 (Newcombe 1998, table I).
    share, low, high = intervals.share_ci(5, 10)
    assert share == 0.5 and low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)


def test_mean_t_ci_matches_the_t_table():
    # mean 3, sd sqrt(2.5), n 5: 3 ± t(0.975, 4) · sd/√5 = 3 ± 2.776445 · 0.707107 (Student's t table)
    low, high = intervals.mean_t_ci([1, 2, 3, 4, 5])
    assert low == pytest.approx(3 - 1.963243, abs=1e-5) and high == pytest.approx(3 + 1.963243, abs=1e-5)


def test_empty_inputs_give_nan():
    assert all(np.isnan(v) for v in intervals.quantile_ci([], 0.5))
    assert all(np.isnan(v) for v in intervals.share_ci(0, 0))


def test_seeded_bootstrap_is_scipys_bca_and_falls_back_to_percentile_on_a_constant_sample():
    import numpy as np
    from scipy import stats

    from amo_analysis.stats.intervals import seeded_bootstrap

    x = np.random.default_rng(1).lognormal(size=40)
    res, used = seeded_bootstrap((x,), np.mean, seed=5, n_resamples=999)
    direct = stats.bootstrap((x,), np.mean, n_resamples=999, method="BCa", rng=np.random.default_rng(5))
    assert used == "BCa"
    assert tuple(res.confidence_interval) == tuple(direct.confidence_interval)
    res, used = seeded_bootstrap((np.ones(12),), np.mean, seed=5, n_resamples=199)
    assert used == "percentile"
    assert tuple(res.confidence_interval) == (1.0, 1.0)
