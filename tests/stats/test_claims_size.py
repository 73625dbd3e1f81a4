"""How often the claims check cries wolf, and how often it finds a real effect, on portfolios shaped
like the ones published claims come from: 24 projects, fat-tailed overruns (Student t with 3 df plus
rare large jumps), heaped budgets (rounded to 10 000) and adoption (rounded to 10 %), a practice that
goes with bigger projects, and pooled portfolios where the practice is decided per organisation
(organisation shocks in every outcome). The data-generating processes are this file's own.

A false alarm is a claim interval that excludes 0 when the practice does nothing. Nominal: 5 %;
the promise (issue "claims you can trust"): at most 7 % in every scenario. Seeds are fixed, so the
measured rates are reproducible; they are printed with `pytest -s`.
"""

import math

import numpy as np
import pandas as pd
import pytest

from amo_analysis.analyses import practice_effects as pe

MAX_FALSE_ALARMS = 0.07


def simulated_portfolio(rng, *, n=24, organisations=None, per_organisation=None, log_effect=0.0):
    """One portfolio. `organisations` given: the practice is decided per organisation (half of them
    have it) and every outcome carries an organisation shock; otherwise 24 independent projects,
    half with the practice, in 3 organisations that do not matter. `log_effect` is the practice's
    effect on ln(actual/planned) cost and duration; adoption moves by −log_effect (points)."""
    if organisations:
        org = np.repeat(np.arange(organisations), per_organisation)
        n = len(org)
        decided = np.zeros(organisations, bool)
        decided[rng.permutation(organisations)[: organisations // 2]] = True
        t = decided[org]
        shock_cost = rng.normal(0, 0.15, organisations)[org]
        shock_duration = rng.normal(0, 0.12, organisations)[org]
        shock_adoption = rng.normal(0, 0.08, organisations)[org]
    else:
        org = rng.integers(0, 3, n)
        t = np.zeros(n, bool)
        t[rng.permutation(n)[: n // 2]] = True
        shock_cost = shock_duration = shock_adoption = 0.0
    log_budget = np.log(np.round(np.exp(rng.normal(np.log(200_000), 0.8, n)), -4)) + 0.3 * t
    complexity = np.clip(np.round(3 + 0.6 * (log_budget - np.log(200_000)) + rng.normal(0, 0.8, n)), 1, 5)
    noise = 0.22 * rng.standard_t(3, n)
    jump = np.where(rng.random(n) < 0.1, rng.exponential(0.5, n), 0.0)
    lcr = 0.08 + 0.06 * (log_budget - 12) + 0.04 * (complexity - 3) + noise + jump + shock_cost + log_effect * t
    ldr = (
        0.06
        + 0.05 * (complexity - 3)
        + 0.7 * noise
        + 0.5 * jump
        + 0.12 * rng.standard_t(3, n)
        + shock_duration
        + log_effect * t
    )
    adoption = np.clip(
        0.55 - 0.04 * (complexity - 3) + 0.11 * rng.standard_t(4, n) + shock_adoption - log_effect * t, 0, 1
    ).round(1)
    return pd.DataFrame(
        {
            "amo": t,
            "budget_planned": np.exp(log_budget),
            "complexity": complexity,
            "project_type": rng.choice(["ERP", "CRM", "web"], n),
            "organisation": [f"org {o}" for o in org],
            "log_cost_ratio": lcr,
            "budget_drift": np.expm1(lcr),
            "log_duration_ratio": ldr,
            "schedule_slip": np.expm1(ldr),
            "adoption_m3": adoption,
        }
    )


SCENARIOS = {
    "24 independent projects": {},
    "8 organisations x 6, practice per organisation": {"organisations": 8, "per_organisation": 6},
    "10 organisations x 10, practice per organisation": {"organisations": 10, "per_organisation": 10},
}


def claim_rates(scenario: dict, reps: int, seed: int, log_effect: float = 0.0) -> pd.DataFrame:
    """Per claim: share of portfolios whose interval excludes 0, and share with an interval."""
    rng = np.random.default_rng(seed)
    tables = []
    for _ in range(reps):
        claims = pe.claims_for(simulated_portfolio(rng, log_effect=log_effect, **scenario)).summary_frame()
        finite = np.isfinite(claims["ci_low"]) & np.isfinite(claims["ci_high"])
        tables.append(
            pd.DataFrame(
                {
                    "claim": claims["claim"],
                    "interval": finite,
                    "excludes_zero": finite & ((claims["ci_low"] > 0) | (claims["ci_high"] < 0)),
                    "method": claims["method"],
                }
            )
        )
    both = pd.concat(tables)
    return both.groupby("claim").agg(
        intervals=("interval", "mean"), excludes_zero=("excludes_zero", "sum"), with_interval=("interval", "sum")
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_false_alarm_rate_of_the_claims_check_is_at_most_seven_percent(name):
    rates = claim_rates(SCENARIOS[name], reps=300, seed=2026)
    overall = rates["excludes_zero"].sum() / rates["with_interval"].sum()
    print(f"\n{name}: false alarms {overall:.3f} over {int(rates['with_interval'].sum())} intervals")
    print((rates["excludes_zero"] / rates["with_interval"]).round(3).to_string())
    assert overall <= MAX_FALSE_ALARMS
    # no single reading is badly off either (300 portfolios: a 5 % rate exceeds 10 % with p < 0.001)
    assert (rates["excludes_zero"] / rates["with_interval"]).max() <= 0.10
    # every claim gets an interval, including when the practice is decided per organisation. The
    # readings that divide by a mean (relative change of the mean drift or slip, relative adoption)
    # use Fieller's interval, which is unbounded — inconclusive, said in the note — whenever the
    # mean without the practice is not clearly different from 0
    ratio_readings = rates.index.str.endswith("relative_mean") | (rates.index == "amo_adoption.relative")
    assert (rates.loc[~ratio_readings, "intervals"] == 1.0).all(), rates
    assert (rates.loc[ratio_readings, "intervals"] > 0.1).all(), rates


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_power_of_the_claims_check_with_an_effect_of_the_claimed_size(name):
    # −18 % on the final-cost ratio (and the slip), +0.20 on adoption: the article's figures
    rates = claim_rates(SCENARIOS[name], reps=100, seed=7, log_effect=math.log(0.82))
    power = rates["excludes_zero"] / rates["with_interval"]
    print(f"\n{name}: share of intervals excluding 0 with a −18 % effect\n{power.round(3).to_string()}")
    # it decides far more often than under the null, but 24 fat-tailed projects cannot reliably
    # detect −18 %: that is what the "projects needed" column tells the reader
    assert power["amo_adoption.pp"] > 0.5
    assert power["amo_budget_drift.relative"] > MAX_FALSE_ALARMS
    assert power.mean() > 3 * MAX_FALSE_ALARMS
