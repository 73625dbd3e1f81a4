"""Published claims and the verdict this portfolio gives them.

A claim is *supported* when the estimate's interval excludes 0 and contains the claimed value,
*contradicted* when the interval excludes the claimed value, and *inconclusive* otherwise (the
interval contains both 0 and the claim, or there is no interval). Nothing is ever "confirmed":
an interval that contains the claim only says the data do not rule it out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"


@dataclass(frozen=True)
class Claim:
    """A published figure, on the scale its reading gives it.

    `value` is a fraction: −0.18 is "−18 %" (relative change when `reading` is "relative", i.e.
    the ratio with/without minus 1) or "−18 percentage points" when `reading` is "pp" (a
    difference of two fractions). For risk ratios `reading` is "ratio" and the null value is 1.
    """

    key: str
    text: str
    outcome: str
    value: float
    reading: str
    source: str = "consultancy article (internal data, unpublished method), 24 projects"
    n_projects: int | None = 24

    @property
    def null_value(self) -> float:
        return 1.0 if self.reading == "ratio" else 0.0


def _both_readings(key: str, text: str, outcome: str, value: float) -> tuple[Claim, Claim]:
    return (Claim(f"{key}.relative", text, outcome, value, "relative"),
            Claim(f"{key}.pp", text, outcome, value, "pp"))


# The AMO claims of the consultancy article, each under its two possible readings.
AMO_CLAIMS: tuple[Claim, ...] = (
    *_both_readings("amo_budget_drift", "with AMO: −18 % budget drift", "budget_drift", -0.18),
    *_both_readings("amo_delay", "with AMO: −16 % delay", "schedule_slip", -0.16),
    *_both_readings("amo_adoption", "with AMO: +26 % adoption at M+3", "adoption_m3", 0.26),
)


def verdict(ci_low: float | None, ci_high: float | None, claimed: float, null: float = 0.0) -> str:
    """supported / contradicted / inconclusive for an interval against a claimed value."""
    if ci_low is None or ci_high is None or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return INCONCLUSIVE
    if claimed < ci_low or claimed > ci_high:
        return CONTRADICTED
    if null < ci_low or null > ci_high:
        return SUPPORTED
    return INCONCLUSIVE


CONSISTENT = "consistent"


def consistency(ci_low: float | None, ci_high: float | None, assumed: float) -> str:
    """For an assumption rather than an effect: *consistent* when the interval contains the assumed
    value, *contradicted* when it excludes it, *inconclusive* when there is no interval."""
    if ci_low is None or ci_high is None or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return INCONCLUSIVE
    return CONSISTENT if ci_low <= assumed <= ci_high else CONTRADICTED
