import math

import pytest

from amo_analysis.stats.claims import (
    AMO_CLAIMS,
    CONTRADICTED,
    INCONCLUSIVE,
    LARGER,
    OPPOSITE,
    SMALLER,
    SUPPORTED,
    VERDICTS,
    verdict,
)


@pytest.mark.parametrize(
    "low, high, claimed, expected",
    [
        (-0.30, -0.05, -0.18, SUPPORTED),  # excludes 0, contains the claim
        (-0.10, -0.02, -0.18, SMALLER),  # excludes the claim: a smaller effect in the same direction
        (-0.10, 0.05, -0.18, SMALLER),  # excludes the claim, holds 0: smaller (perhaps none)
        (-0.45, -0.25, -0.18, LARGER),  # beyond the claim
        (0.02, 0.20, -0.18, OPPOSITE),  # the opposite sign
        (-0.40, 0.10, -0.18, INCONCLUSIVE),  # contains both 0 and the claim
        (0.10, 0.40, 0.26, SUPPORTED),  # a positive claim
        (0.30, 0.50, 0.26, LARGER),
        (-0.20, -0.01, 0.26, OPPOSITE),
        (None, 0.1, -0.18, INCONCLUSIVE),
        (float("nan"), 0.1, -0.18, INCONCLUSIVE),
    ],
)
def test_verdict(low, high, claimed, expected):
    assert verdict(low, high, claimed) == expected
    assert expected in VERDICTS


def test_risk_ratio_verdict_uses_one_as_null_on_the_log_scale():
    assert verdict(0.3, 0.8, 0.5, null=1.0) == SUPPORTED
    assert verdict(0.3, 1.2, 0.5, null=1.0) == INCONCLUSIVE
    assert verdict(0.7, 0.9, 0.5, null=1.0) == SMALLER  # risk cut by 10–30 %, not halved
    assert verdict(0.1, 0.4, 0.5, null=1.0) == LARGER
    assert verdict(1.1, 1.6, 0.5, null=1.0) == OPPOSITE  # risk higher, not lower


def test_each_amo_claim_has_every_reading():
    keys = {c.key for c in AMO_CLAIMS}
    for base in ("amo_budget_drift", "amo_delay"):
        assert {f"{base}.relative", f"{base}.pp", f"{base}.relative_mean"} <= keys
    assert {"amo_adoption.relative", "amo_adoption.pp"} <= keys
    assert all(c.null_value == 0 and not math.isnan(c.value) for c in AMO_CLAIMS)


def test_consistency_of_an_assumption():
    from amo_analysis.stats.claims import CONSISTENT, consistency

    assert consistency(0.1, 0.3, 0.267) == CONSISTENT
    assert consistency(0.3, 0.5, 0.0) == CONTRADICTED
    assert consistency(float("nan"), 0.5, 0.0) == INCONCLUSIVE
