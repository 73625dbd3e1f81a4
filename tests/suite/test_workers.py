"""The worker processes (`suite.workers`): where kernels are forked, one worker imports the stack and
forks the others; each forked worker runs notebooks from the same state as the first, reports a
failure by name, and ends (with its kernels) when the run ends or is killed."""

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from amo_analysis.suite.forking import FORK_VARIABLE
from amo_analysis.suite.runner import ensure_kernel
from amo_analysis.suite.workers import (
    NotebookFailed,
    _alive,
    _children,
    _descendants,
    _end_workers,
    _sibling_fds,
    child_environment,
    start_workers,
)

from tests.suite.test_kernels import PROBE, _notebook

forks = pytest.mark.skipif(
    not hasattr(os, "fork") or not sys.platform.startswith("linux") or not Path("/proc").is_dir(),
    reason="workers and kernels are forked on Linux only",
)


def _session(pid: int) -> int:
    """The session id of process `pid` (/proc)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])


def _slow_notebook_running(worker, tmp_path: Path, kernel: str) -> tuple[threading.Thread, list]:
    """Start a notebook that sleeps 120 s on `worker`, in a thread, and return once its cell runs:
    the thread and the list that receives the `NotebookFailed` its run ends with."""
    started = tmp_path / "started"
    slow = _notebook(tmp_path, "slow.ipynb", f"open({str(started)!r}, 'w').close()\nimport time\ntime.sleep(120)")
    errors: list = []

    def run():
        try:
            worker.run(slow, tmp_path / "o.ipynb", {}, kernel)
        except NotebookFailed as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), "the notebook never started"
    return thread, errors


@forks
def test_the_first_worker_forks_the_others_which_run_from_the_same_state(tmp_path):
    kernel = ensure_kernel()
    group = start_workers(child_environment(3), 3)
    try:
        first, *siblings = group
        assert len(siblings) == 2 and first.siblings == siblings
        outs = []
        for i, worker in enumerate(group):
            out = tmp_path / f"state{i}.json"
            worker.run(_notebook(tmp_path, f"probe{i}.ipynb", PROBE, out), tmp_path / f"out{i}.ipynb", {}, kernel)
            outs.append(json.loads(out.read_text()))
        # forked by the first worker, each in a session of its own (an interrupt's signal to one
        # worker's group does not end another's notebook half-way; `_Worker.kill` ends them all)
        pids = [w.proc.pid for w in group]
        assert set(pids[1:]) <= _children(pids[0])
        assert [_session(pid) for pid in pids] == pids
        # the same modules, options, filters and random state as a notebook on the first worker
        assert outs[1] == outs[0] and outs[2] == outs[0]
        assert outs[0]["variable"] is False and outs[0]["figures"] == 0
    finally:
        for worker in group:
            worker.close()
    for worker in group:  # each ended when its task pipe closed
        assert worker.proc.poll() is not None and not _alive(worker.proc.pid)


@forks
def test_a_forked_worker_names_a_failing_notebook_and_goes_on(tmp_path):
    kernel = ensure_kernel()
    group = start_workers(child_environment(2), 2)
    try:
        sibling = group[1]
        with pytest.raises(NotebookFailed, match=r"bad\.ipynb.*ValueError: boom"):
            sibling.run(_notebook(tmp_path, "bad.ipynb", "raise ValueError('boom')"), tmp_path / "o1.ipynb", {}, kernel)
        out = tmp_path / "good.json"
        sibling.run(_notebook(tmp_path, "good.ipynb", PROBE, out), tmp_path / "o2.ipynb", {}, kernel)
        assert json.loads(out.read_text())["variable"] is False
    finally:
        for worker in group:
            worker.close()


@forks
def test_a_forked_worker_that_dies_is_reported_by_notebook_name(tmp_path):
    kernel = ensure_kernel()
    group = start_workers(child_environment(2), 2)
    try:
        first, sibling = group
        sibling.run(_notebook(tmp_path, "one.ipynb", "1"), tmp_path / "o1.ipynb", {}, kernel)
        os.kill(sibling.proc.pid, 9)
        with pytest.raises(NotebookFailed, match=r"notebook two\.ipynb stopped: "):
            sibling.run(_notebook(tmp_path, "two.ipynb", "1"), tmp_path / "o2.ipynb", {}, kernel)
        first.run(_notebook(tmp_path, "three.ipynb", "1"), tmp_path / "o3.ipynb", {}, kernel)  # the first goes on
    finally:
        for worker in group:
            worker.close()


@forks
def test_ending_the_workers_mid_notebook_ends_every_kernel_of_every_worker(tmp_path):
    """An interrupt or a failure (`_execute_all`): the first worker's kill finds the worker it
    forked and that worker's kernel before signalling any of them (the kernel is not orphaned and
    left running its cell, which could write into the run folder)."""
    kernel = ensure_kernel()
    group = start_workers(child_environment(2), 2)
    first, sibling = group
    thread, errors = _slow_notebook_running(sibling, tmp_path, kernel)
    under = _descendants(first.proc.pid)
    sibling_kernels = _children(sibling.proc.pid)
    assert sibling.proc.pid in under and sibling_kernels and sibling_kernels <= under
    first.kill()  # what it signalled: its forked worker and that worker's kernel, found first
    assert {sibling.proc.pid} | sibling_kernels <= first.kernels
    for worker in group:  # as `_execute_all` ends a run: kill, let the notebook's thread end, close
        worker.kill()
    thread.join(timeout=30)
    _end_workers(group)
    assert not thread.is_alive() and errors  # the notebook is reported stopped, not finished
    assert not any(_alive(pid) for pid in under | {first.proc.pid})


@forks
def test_a_kernel_ends_by_itself_when_its_worker_is_killed_outright(tmp_path):
    """A worker killed with no chance to end its kernel (SIGKILL, the out-of-memory killer): its forked
    kernel sees its parent gone and exits, as a kernel jupyter_client launches does; it does not run
    on, orphaned, for as long as the machine runs."""
    kernel = ensure_kernel()
    group = start_workers(child_environment(1), 1)
    worker = group[0]
    thread, errors = _slow_notebook_running(worker, tmp_path, kernel)
    kernels: set[int] = set()
    try:
        kernels = _children(worker.proc.pid)
        assert kernels
        os.kill(worker.proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30  # ipykernel's parent poller looks once a second
        while any(_alive(pid) for pid in kernels) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in kernels)
        thread.join(timeout=30)
        assert errors  # the notebook is reported stopped
    finally:
        for pid in kernels:  # whatever the outcome, nothing left running
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        thread.join(timeout=30)
        _end_workers(group)


@forks
def test_a_worker_killed_before_it_forked_leaves_no_process():
    group = start_workers(child_environment(2), 2)
    first, sibling = group
    _end_workers(group)  # at once: the siblings may not exist yet
    assert first.proc.poll() is not None
    assert sibling.proc.pid is None or not _alive(sibling.proc.pid)
    assert not _children(first.proc.pid)


def test_without_forking_each_worker_is_a_process_of_its_own(monkeypatch):
    monkeypatch.setenv(FORK_VARIABLE, "0")
    group = start_workers(child_environment(2), 2)
    try:
        assert len(group) == 2 and all(w.siblings == [] for w in group)
        assert all(isinstance(w.proc.pid, int) for w in group) and group[0].proc.pid != group[1].proc.pid
    finally:
        _end_workers(group)
    monkeypatch.setenv(FORK_VARIABLE, "1")
    alone = start_workers(child_environment(1), 1)  # one job: nothing to fork
    try:
        assert len(alone) == 1 and alone[0].siblings == []
    finally:
        _end_workers(alone)


def test_sibling_file_descriptors_are_read_from_the_command_line():
    assert _sibling_fds(["--pages", "--siblings", "5:6:7,8:9:10"]) == [(5, 6, 7), (8, 9, 10)]
    assert _sibling_fds(["--pages"]) == []
