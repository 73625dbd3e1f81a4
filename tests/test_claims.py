import math

import pytest

from amo_analysis.claims import AMO_CLAIMS, CONTRADICTED, INCONCLUSIVE, SUPPORTED, verdict


@pytest.mark.parametrize("low, high, claimed, expected", [
    (-0.30, -0.05, -0.18, SUPPORTED),      # excludes 0, contains the claim
    (-0.10, -0.02, -0.18, CONTRADICTED),   # excludes the claim (too small an effect)
    (0.02, 0.20, -0.18, CONTRADICTED),     # the opposite sign
    (-0.40, 0.10, -0.18, INCONCLUSIVE),    # contains both 0 and the claim
    (None, 0.1, -0.18, INCONCLUSIVE),
    (float("nan"), 0.1, -0.18, INCONCLUSIVE),
])
def test_verdict(low, high, claimed, expected):
    assert verdict(low, high, claimed) == expected


def test_risk_ratio_verdict_uses_one_as_null():
    assert verdict(0.3, 0.8, 0.5, null=1.0) == SUPPORTED
    assert verdict(0.3, 1.2, 0.5, null=1.0) == INCONCLUSIVE


def test_each_amo_claim_has_both_readings():
    keys = {c.key for c in AMO_CLAIMS}
    for base in ("amo_budget_drift", "amo_delay", "amo_adoption"):
        assert {f"{base}.relative", f"{base}.pp"} <= keys
    assert all(c.null_value == 0 and not math.isnan(c.value) for c in AMO_CLAIMS)


def test_consistency_of_an_assumption():
    from amo_analysis.claims import CONSISTENT, consistency
    assert consistency(0.1, 0.3, 0.267) == CONSISTENT
    assert consistency(0.3, 0.5, 0.0) == CONTRADICTED
    assert consistency(float("nan"), 0.5, 0.0) == INCONCLUSIVE
