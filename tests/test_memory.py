"""Giving freed memory back (`amo_analysis.memory`): after the runner validates a portfolio, and after
each cell of a large portfolio's notebook."""

import ctypes
import sys

import numpy as np
import pyarrow
import pytest

from amo_analysis import memory

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; malloc_trim is glibc's")


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


@linux_only
def test_freed_heap_blocks_go_back_and_a_c_library_without_malloc_trim_is_not_an_error(monkeypatch):
    """~200 MB of 32 kB blocks, each followed by a small block still in use: freed, they are holes in
    the heap glibc keeps (no free top to shrink) until `malloc_trim` hands their pages back."""
    pairs = [(np.ones(4096), np.ones(8)) for _ in range(6000)]
    kept = [small for _, small in pairs]
    before = rss_mb()
    del pairs
    memory.release_freed_memory()
    assert rss_mb() < before - 100
    assert len(kept) == 6000 and all(k.sum() == 8 for k in kept)  # what is still used is untouched

    class NoTrim:
        def __init__(self, *_a, **_k):
            pass

        def __getattr__(self, name):
            raise AttributeError(name)

    monkeypatch.setattr(ctypes, "CDLL", NoTrim)
    memory.release_freed_memory()


def test_releasing_starts_no_process(monkeypatch):
    """It runs after every cell of a large portfolio's notebook: a process started from a kernel of a
    gigabyte (`ctypes.util.find_library` runs ldconfig) would cost time and, until it replaces
    itself, count that gigabyte twice."""
    import os
    import subprocess

    def refuse(*_a, **_k):
        raise AssertionError("a process was started")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(os, "posix_spawn", refuse, raising=False)
    memory.release_freed_memory()


@linux_only
def test_text_columns_freed_by_arrow_go_back_too():
    """pandas' text columns live in Arrow's pool (mimalloc), which keeps what is freed for reuse: ten
    ≈ 20 MB columns of text, dropped, still weigh on the process until they are released."""
    numbers = pyarrow.array(np.arange(10**6, 2 * 10**6)).cast(pyarrow.string())  # no Python strings
    memory.release_freed_memory()
    columns = [pyarrow.compute.utf8_upper(numbers) for _ in range(10)]
    assert sum(c.nbytes for c in columns) > 100 * 2**20
    del columns
    before = rss_mb()
    memory.release_freed_memory()
    assert rss_mb() < before - 60


class Shell:
    """IPython's event registry, the part `release_after_each_cell` uses."""

    def __init__(self):
        from IPython.core.events import EventManager, available_events

        self.events = EventManager(self, available_events)


def test_after_each_cell_registers_once_and_runs_after_every_cell(monkeypatch):
    shell = Shell()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    calls = []
    monkeypatch.setattr(memory, "release_freed_memory", lambda: calls.append(1))
    assert memory.release_after_each_cell() is True
    assert memory.release_after_each_cell() is True  # open_run in a second cell, or a second notebook run
    assert shell.events.callbacks["post_run_cell"] == [memory._after_cell]
    for _ in range(3):
        shell.events.trigger("post_run_cell", None)
    assert calls == [1, 1, 1]


def test_outside_ipython_nothing_is_registered(monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    assert memory.release_after_each_cell() is False
