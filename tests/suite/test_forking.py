"""Whether the suite forks (`suite.forking`): on Linux unless switched off."""

import os
import sys

import pytest

from amo_analysis.suite import forking


@pytest.mark.skipif(
    not hasattr(os, "fork") or not sys.platform.startswith("linux"), reason="kernels are forked on Linux only"
)
def test_forking_can_be_switched_off(monkeypatch):
    monkeypatch.setenv(forking.FORK_VARIABLE, "0")
    assert forking.can_fork() is False
    monkeypatch.setenv(forking.FORK_VARIABLE, "1")
    assert forking.can_fork() is True


def test_nothing_is_forked_off_linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert forking.can_fork() is False
