"""Published claims and the verdict this portfolio gives them.

A claim states an effect `claimed` against a null (0 for differences and relative changes, 1 for risk
ratios). The verdict compares the 95 % interval [low, high] of this portfolio's estimate with both:

* *supported* — the interval contains the claimed value and excludes the null;
* *inconclusive* — the interval contains both (or there is no interval); the data cannot tell;
* *smaller than claimed* — the interval excludes the claimed value and lies on the null's side of it
  (it may contain the null: a smaller effect, or none);
* *larger than claimed* — the interval lies beyond the claimed value, away from the null;
* *opposite direction* — the whole interval lies on the other side of the null.

"Smaller" and "larger" are in size, in the claim's direction: a −18 % claim is smaller than claimed at
[−10 %, −2 %] and larger at [−40 %, −25 %]. Ratios are compared on the log scale. Nothing is ever
"confirmed": an interval that contains the claim only says the data do not rule it out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SUPPORTED, INCONCLUSIVE = "supported", "inconclusive"
SMALLER, LARGER, OPPOSITE = "smaller than claimed", "larger than claimed", "opposite direction"
#: every verdict a claim can get, in the order a reader meets them
VERDICTS = (SUPPORTED, SMALLER, LARGER, OPPOSITE, INCONCLUSIVE)
#: for an assumption rather than a claimed effect (see `consistency`)
CONTRADICTED = "contradicted"


@dataclass(frozen=True)
class Claim:
    """A published figure, on the scale its reading gives it.

    `value` is a fraction. Readings of "−18 % budget drift" (budget drift = actual ÷ planned − 1):
    * "relative": the ratio actual ÷ planned is 18 % lower with the practice, exp(Δ ln ratio) − 1;
    * "pp": budget drift is 18 percentage points lower (a difference of two fractions);
    * "relative_mean": the mean budget drift is 18 % lower (e.g. 25 % → 20.5 %), the adjusted mean
      drift with ÷ without − 1.
    For adoption (a share) "relative" is the ratio of mean adoption − 1 and "pp" the difference in
    points. For risk ratios `reading` is "ratio" and the null value is 1.
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


def _readings(key: str, text: str, outcome: str, value: float, readings: tuple[str, ...]) -> tuple[Claim, ...]:
    return tuple(Claim(f"{key}.{reading}", text, outcome, value, reading) for reading in readings)


#: the readings of a drift or delay figure, and of an adoption figure (see `Claim`)
DRIFT_READINGS = ("relative", "pp", "relative_mean")
ADOPTION_READINGS = ("relative", "pp")

# The AMO claims of the consultancy article, each under every reading its sentence allows.
AMO_CLAIMS: tuple[Claim, ...] = (
    *_readings("amo_budget_drift", "with AMO: −18 % budget drift", "budget_drift", -0.18, DRIFT_READINGS),
    *_readings("amo_delay", "with AMO: −16 % delay", "schedule_slip", -0.16, DRIFT_READINGS),
    *_readings("amo_adoption", "with AMO: +26 % adoption at M+3", "adoption_m3", 0.26, ADOPTION_READINGS),
)


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def verdict(ci_low: float | None, ci_high: float | None, claimed: float, null: float = 0.0) -> str:
    """The verdict (module docstring) for an interval against a claimed value and the null.
    `null` = 1 means a ratio: the comparison is then made on the log scale (values must be > 0)."""
    if not _finite(ci_low, ci_high, claimed) or claimed == null:
        return INCONCLUSIVE
    if null == 1.0:
        if min(ci_low, ci_high, claimed) <= 0:
            return INCONCLUSIVE
        ci_low, ci_high, claimed, null = math.log(ci_low), math.log(ci_high), math.log(claimed), 0.0
    # distance from the null in the claim's direction: the claim sits at c > 0
    sign = 1.0 if claimed > null else -1.0
    low, high = sorted(((ci_low - null) * sign, (ci_high - null) * sign))
    c = (claimed - null) * sign
    if low <= c <= high:
        return SUPPORTED if low > 0 else INCONCLUSIVE
    if high < c:
        return OPPOSITE if high < 0 else SMALLER
    return LARGER


def range_verdict(ci_low: float, ci_high: float, claimed_low: float, claimed_high: float, null: float = 0.0) -> str:
    """Verdict for a claimed range [claimed_low, claimed_high] on one side of the null: supported when
    the interval overlaps the range and excludes the null, inconclusive when it overlaps the range
    and holds the null, otherwise smaller / larger than claimed or opposite direction as for
    `verdict` (smaller: the interval lies between the null and the range)."""
    if not _finite(ci_low, ci_high):
        return INCONCLUSIVE
    lowest, highest = sorted((claimed_low, claimed_high))
    if ci_high < lowest or ci_low > highest:  # the interval misses the whole range
        near, far = sorted((claimed_low, claimed_high), key=lambda v: abs(v - null))
        on_null_side = (ci_high < lowest) == (lowest > null)
        return verdict(ci_low, ci_high, near if on_null_side else far, null)
    return INCONCLUSIVE if ci_low <= null <= ci_high else SUPPORTED


def below_verdict(ci_low: float, ci_high: float, bound: float) -> str:
    """Verdict for "the level is below `bound`": supported when the whole interval is below it,
    larger than claimed when the whole interval is at or above it, inconclusive otherwise."""
    if not _finite(ci_low, ci_high):
        return INCONCLUSIVE
    if ci_high < bound:
        return SUPPORTED
    if ci_low >= bound:
        return LARGER
    return INCONCLUSIVE


CONSISTENT = "consistent"


def consistency(ci_low: float | None, ci_high: float | None, assumed: float) -> str:
    """For an assumption rather than an effect: *consistent* when the interval contains the assumed
    value, *contradicted* when it excludes it, *inconclusive* when there is no interval."""
    if ci_low is None or ci_high is None or not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return INCONCLUSIVE
    return CONSISTENT if ci_low <= assumed <= ci_high else CONTRADICTED
