"""Known answers for amo_analysis.stats.power (Cohen 1988, Statistical Power Analysis, Table 2.4.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from amo_analysis.errors import InputError
from amo_analysis.stats.power import minimum_detectable_effect, projects_needed


def test_cohen_medium_effect_needs_64_per_group():
    # d = 0.5, two-sided alpha = .05, power .80 -> 64 per group (Cohen 1988, Table 2.4.1)
    assert projects_needed(effect=0.5, sd=1.0) == 128
    # same in outcome units: a 5-day slip with sd 10 days is d = 0.5
    assert projects_needed(effect=5.0, sd=10.0) == 128
    assert projects_needed(effect=-5.0, sd=10.0) == 128


def test_cohen_large_effect_needs_26_per_group():
    assert projects_needed(effect=0.8, sd=1.0) == 52  # Cohen: n = 26 per group


def test_minimum_detectable_effect_inverts_sample_size():
    # with 64 per group the detectable d is just under 0.5 (64 is n rounded up)
    mde = minimum_detectable_effect(64, 64, sd=1.0)
    assert 0.49 < mde < 0.5
    assert minimum_detectable_effect(64, 64, sd=10.0) == pytest.approx(10 * mde)
    # larger groups detect smaller effects; stricter alpha needs a larger one
    assert minimum_detectable_effect(200, 200, 1.0) < mde
    assert minimum_detectable_effect(64, 64, 1.0, alpha=0.01) > mde


def test_normal_approximation_agrees_for_large_groups():
    # MDE ≈ (z_{1−α/2} + z_power) · sd · sqrt(1/n1 + 1/n2) for large n (Bloom 1995)
    from scipy.stats import norm

    n1, n2 = 2000, 3000
    approx = (norm.ppf(0.975) + norm.ppf(0.8)) * math.sqrt(1 / n1 + 1 / n2)
    assert minimum_detectable_effect(n1, n2, 1.0) == pytest.approx(approx, rel=2e-3)


def test_unequal_allocation_needs_more_projects():
    # ratio = control / treated; a 1:2 allocation needs more projects in total than 1:1
    balanced = projects_needed(0.5, 1.0)
    unbalanced = projects_needed(0.5, 1.0, ratio=2.0)
    assert unbalanced > balanced
    # normal-theory total for ratio k: (1 + k)² / k · (z_a + z_b)² / d² ≈ 4.5/4 × balanced
    assert unbalanced == pytest.approx(balanced * 4.5 / 4, rel=0.05)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"effect": 0.0, "sd": 1.0}, "non-zero"),
        ({"effect": 1.0, "sd": 0.0}, "standard deviation"),
        ({"effect": 1.0, "sd": 1.0, "alpha": 1.5}, "alpha"),
        ({"effect": 1.0, "sd": 1.0, "power": 0.0}, "power"),
        ({"effect": 1.0, "sd": 1.0, "ratio": -1.0}, "ratio"),
        ({"effect": 1.0, "sd": float("nan")}, "standard deviation"),
    ],
)
def test_bad_inputs_raise_input_error(kwargs, match):
    with pytest.raises(InputError, match=match):
        projects_needed(**kwargs)


def test_mde_needs_two_per_group():
    with pytest.raises(InputError, match="at least 2 projects per group"):
        minimum_detectable_effect(1, 50, 1.0)


def test_simulated_power_matches_projects_needed():
    # Monte Carlo check (seeded): with 64 per group and d = 0.5, a t-test rejects ≈ 80 % of the time
    from scipy.stats import ttest_ind

    rng = np.random.default_rng(0)
    a = rng.normal(0.5, 1.0, size=(4000, 64))
    b = rng.normal(0.0, 1.0, size=(4000, 64))
    rejected = (ttest_ind(a, b, axis=1).pvalue < 0.05).mean()
    assert 0.78 < rejected < 0.83  # SD of the share ≈ 0.006
