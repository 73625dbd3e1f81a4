"""Power of a two-group comparison: smallest detectable effect and projects needed.

Two-sided two-sample t-test (statsmodels `TTestIndPower`). Effects are in outcome units and
converted to Cohen's d = effect / sd, where `sd` is the outcome's standard deviation within a
group (same units as the effect). `ratio` = n_control / n_treated.
"""

from __future__ import annotations

import math
import warnings
from statistics import NormalDist

import numpy as np

from statsmodels.stats.power import TTestIndPower

from amo_analysis.errors import InputError

__all__ = ["minimum_detectable_effect", "projects_needed"]


def _check(alpha: float, power: float, sd: float) -> None:
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1; got {alpha}.")
    if not 0 < power < 1:
        raise InputError(f"power must be between 0 and 1; got {power}.")
    if not (sd > 0 and math.isfinite(sd)):
        raise InputError(f"The outcome standard deviation must be a positive number; got {sd}.")


def minimum_detectable_effect(
    n_treated: int, n_control: int, sd: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest true effect (outcome units, = Cohen's d × sd) that a two-sided t-test at level
    `alpha` detects with probability `power`, given the group sizes."""
    _check(alpha, power, sd)
    if n_treated < 2 or n_control < 2:
        raise InputError(
            f"A minimum detectable effect needs at least 2 projects per group; got "
            f"{n_treated} treated and {n_control} control."
        )
    d = TTestIndPower().solve_power(
        effect_size=None,
        nobs1=n_treated,
        alpha=alpha,
        power=power,
        ratio=n_control / n_treated,
        alternative="two-sided",
    )
    return float(d) * float(sd)


def projects_needed(effect: float, sd: float, ratio: float = 1.0, alpha: float = 0.05, power: float = 0.8) -> int:
    """Total number of projects (treated + control) needed to detect `effect` (outcome units)
    with a two-sided t-test at level `alpha` and the given `power`; control = ratio × treated,
    each group rounded up to a whole project."""
    _check(alpha, power, sd)
    if not (effect != 0 and math.isfinite(effect)):
        raise InputError(f"The effect to detect must be a non-zero number; got {effect}.")
    if not (ratio > 0 and math.isfinite(ratio)):
        raise InputError(f"ratio (control / treated) must be positive; got {ratio}.")
    d = abs(effect) / sd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n1 = TTestIndPower().solve_power(
            effect_size=d, nobs1=None, alpha=alpha, power=power, ratio=ratio, alternative="two-sided"
        )
    n1 = float(np.squeeze(n1))
    if not math.isfinite(n1):
        # the root finder gives up when so few projects are needed that the t-test has < 2 per
        # group; the normal approximation is then an upper bound of the tiny answer
        z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
        n1 = (1 + 1 / ratio) * (z / d) ** 2
    n_treated = math.ceil(float(n1) - 1e-9)
    n_control = math.ceil(ratio * float(n1) - 1e-9)
    return int(max(n_treated, 2) + max(n_control, 2))
