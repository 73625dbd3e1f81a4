"""Tests for amo_analysis.findings: a reason travels down a chain of calls instead of an error."""

import pytest

from amo_analysis.errors import InputError
from amo_analysis.findings import Finding, Unavailable, first_unavailable, passes_unavailable, unavailable_on


def test_unavailable_is_falsy_and_shows_its_reason():
    why = Unavailable("Only 3 projects.")
    assert not why and str(why) == "Only 3 projects."
    assert "Only 3 projects." in why._repr_html_()


def test_passes_unavailable_returns_the_first_reason_without_running():
    calls = []

    @passes_unavailable
    def double(x, factor=2):
        calls.append(x)
        return x * factor

    first, second = Unavailable("first"), Unavailable("second")
    assert double(3) == 6 and calls == [3]
    assert double(first) is first and double(1, factor=second) is second and calls == [3]
    assert first_unavailable(1, second, first) is second and first_unavailable(1, 2) is None


def test_unavailable_on_turns_the_named_error_into_its_sentence_and_lets_others_raise():
    @unavailable_on(InputError)
    def needs_rows(n):
        if n < 5:
            raise InputError(f"needs 5 projects, has {n}.")
        if n > 100:
            raise ValueError("a bug, not the data")
        return n

    assert needs_rows(7) == 7
    result = needs_rows(2)
    assert isinstance(result, Unavailable) and result.reason == "needs 5 projects, has 2."
    with pytest.raises(ValueError):
        needs_rows(101)


def test_a_finding_holds_a_table_and_its_records():
    finding = Finding(table=None, name="t", records=[{"name": "a", "value": 1}])
    assert finding.records[0]["name"] == "a" and finding.decimals == 3 and finding.text is None
