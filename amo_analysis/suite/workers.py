"""The worker processes that execute the suite's notebooks in parallel, and their protocol.

`run_suite` (`runner`) starts `jobs` workers (`start_workers`; `_Worker`, each a process in its own
session, the first `python -m amo_analysis.suite.workers --worker`, the others forked by it once its
imports are done, where kernels are forked); a worker imports papermill and the scientific stack
once (`_worker_main`) and executes the notebooks sent to it one after the other: a JSON line per
notebook on its stdin ({nb, target, parameters, kernel, page}), a JSON reply per line on its stdout
({} or {"title": page title} when done, {"error": sentence} on a failure). `execute_one` runs one
notebook with papermill in the current process; `_execute_on_worker` hands one to an idle worker.
An interrupt or a failure kills every worker and the kernels it started (`_end_workers`), so no cell
keeps writing into the run folder. Times are in seconds.
"""

from __future__ import annotations

import gc
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from amo_analysis.suite.forking import can_fork


class NotebookFailed(Exception):
    """A notebook raised while executing: names the notebook, the cell and the error."""


#: attempts at starting a notebook's kernel: on a busy machine a kernel may die before its first reply
#: (it lost a race for one of its five TCP ports to another process); no cell has run then, so the
#: notebook is simply started again
KERNEL_START_ATTEMPTS = 3
KERNEL_START_FAILURE = "before replying to kernel_info"


def execute_one(nb: Path, target: Path, parameters: dict, kernel: str, kernel_manager_class=None):
    """Execute one notebook with papermill in this process and return it (a `NotebookNode`);
    a failing cell raises `NotebookFailed`. A kernel that dies before its first reply is started
    again (`KERNEL_START_ATTEMPTS`). `kernel_manager_class`: how its kernel is started (None:
    launched by jupyter_client; a worker forks it, `kernels.ForkingKernelManager`)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    engine = {"kernel_manager_class": kernel_manager_class} if kernel_manager_class is not None else {}

    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        try:
            # written once at the end (or at the failing cell), not twice per cell: papermill's per-cell
            # saves serialise and validate the whole notebook, figures included, each time
            return pm.execute_notebook(
                str(nb),
                str(target),
                parameters=parameters,
                kernel_name=kernel,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                **engine,
            )
        except PapermillExecutionError as exc:
            raise NotebookFailed(
                f"notebook {nb.name} failed at cell {exc.exec_count or exc.cell_index}: {exc.ename}: {exc.evalue}"
            ) from exc
        except RuntimeError as exc:
            if KERNEL_START_FAILURE not in str(exc) or attempt == KERNEL_START_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)


def default_jobs(n_notebooks: int) -> int:
    """Notebooks run at once: one per core, at most 4 (each has its own kernel)."""
    return max(1, min(os.cpu_count() or 1, 4, n_notebooks))


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def child_environment(jobs: int) -> dict:
    """Environment of a notebook's process (and its kernel): the cores shared among the `jobs`
    notebooks running at once. Without it each kernel's BLAS starts a thread per core and the
    kernels fight over them (measured: framing notebook 25.5 s → 19.9 s at 10⁵ projects)."""
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    for name in THREAD_VARIABLES:
        env.setdefault(name, threads)
    return env


class _Worker:
    """A child process, in its own session, that imports papermill once and executes the notebooks
    sent to it one after the other (a JSON line per notebook on stdin, a JSON reply per line on
    stdout), writing each one's HTML page when asked. Its own session lets an interrupt end it and
    its kernel at once; reusing it saves starting Python and importing papermill for every notebook
    (about 4 s of CPU each here). It imports papermill (and nbconvert, with `pages`) as soon as it
    starts, while the runner validates the source.

    `siblings`: that many more workers, forked by this one as soon as its imports are done (each in
    a session of its own, with its own pipes and log, `self.siblings`), instead of each importing the
    stack again on the same cores (see `start_workers`)."""

    def __init__(self, env: dict, pages: bool = False, siblings: int = 0):
        self.log = tempfile.TemporaryFile()
        self.kernels: set[int] = set()
        command = [sys.executable, "-m", "amo_analysis.suite.workers", "--worker"] + (["--pages"] if pages else [])
        # each sibling's ends: (its tasks' read end, its replies' write end, its log) passed to this
        # process, which forks it; (tasks' write end, replies' read end, log) kept here
        passed, kept = [], []
        for _ in range(siblings):
            tasks_read, tasks_write = os.pipe()
            replies_read, replies_write = os.pipe()
            log = tempfile.TemporaryFile()
            passed.append((tasks_read, replies_write, log.fileno()))
            kept.append((tasks_write, replies_read, log))
        if passed:
            command += ["--siblings", ",".join(":".join(map(str, fds)) for fds in passed)]
        try:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
                start_new_session=True,
                env=env,
                text=True,
                encoding="utf-8",
                pass_fds=[fd for fds in passed for fd in fds],
            )
        finally:
            for tasks_read, replies_write, _log in passed:
                os.close(tasks_read)
                os.close(replies_write)
        self.siblings = [_Worker._forked(_SiblingProcess(tasks, replies), log) for tasks, replies, log in kept]

    @classmethod
    def _forked(cls, proc: "_SiblingProcess", log) -> "_Worker":
        """A worker forked by another one (`siblings`), reached through `proc`."""
        worker = cls.__new__(cls)
        worker.log, worker.kernels, worker.siblings, worker.proc = log, set(), [], proc
        return worker

    def run(self, nb: Path, target: Path, parameters: dict, kernel: str, page: dict | None = None) -> str | None:
        """Execute `nb` into `target`, and write its HTML page next to it when `page` gives the
        page's options (`footer`, `back_label`, `lang`): returns the page's title (None without a
        page). A failure raises `NotebookFailed` naming the notebook."""
        task = {"nb": str(nb), "target": str(target), "parameters": parameters, "kernel": kernel, "page": page}
        try:
            self.proc.stdin.write(json.dumps(task) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, ValueError):
            line = ""
        if not line:  # the process ended (killed, or crashed outside papermill)
            code = self.proc.wait()
            self.log.seek(0)
            tail = self.log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            how = "" if code is None else f" (exit code {code})"  # a sibling's code goes to the worker that forked it
            raise NotebookFailed(f"notebook {nb.name} stopped{how}: {tail[0]}")
        reply = json.loads(line)
        if reply.get("error"):
            raise NotebookFailed(reply["error"])
        return reply.get("title")

    def close(self) -> None:
        """Let the process finish (end of its input) and reap it."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self.log.close()

    def kill(self) -> None:
        """End the process and, at once, every process under it: the kernels it started and the
        workers it forked, with theirs (each in a session of its own, which the signal to the
        worker's group does not reach; all found before any is signalled, so that none is orphaned
        unseen): no cell keeps writing into the run folder."""
        pid = self.proc.pid
        if pid is None:  # a sibling not forked yet: killing the worker that forks it ends it
            return
        self.kernels.update(_descendants(pid))
        for target in [pid, *self.kernels]:
            try:
                os.killpg(target, signal.SIGKILL if target in self.kernels else signal.SIGTERM)
            except (ProcessLookupError, PermissionError, AttributeError, OSError):
                pass

    def wait_kernels(self, timeout: float) -> None:
        """Wait until the kernels found by `kill` have ended (at most `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while self.kernels and time.monotonic() < deadline:
            self.kernels = {pid for pid in self.kernels if _alive(pid)}
            if self.kernels:
                time.sleep(0.05)


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (Linux /proc; empty elsewhere: the kernels then end by
    themselves within `KERNEL_GRACE_SECONDS`, when they see their parent gone)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields and int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _descendants(pid: int) -> set[int]:
    """Every process under `pid`: its children, theirs, and so on (`_children`)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in _children(todo.pop()) - found:
            found.add(child)
            todo.append(child)
    return found


class _SiblingProcess:
    """What a `_Worker` uses of a `subprocess.Popen` (`stdin`, `stdout.readline`, `pid`, `poll`,
    `wait`), for a worker forked by another one: its task and reply pipes, and its pid, which it sends
    as its first reply line once forked (None until that line is read)."""

    def __init__(self, tasks_fd: int, replies_fd: int):
        self.stdin = os.fdopen(tasks_fd, "w", encoding="utf-8")
        self._replies = os.fdopen(replies_fd, "r", encoding="utf-8")
        self.stdout = self  # its replies, read past the greeting (`readline`)
        self._pid: int | None = None
        self._greeted = False

    def _greet(self, wait: bool) -> None:
        """Read the greeting (its pid; none when the pipe ended first): when it comes, or only if it
        has come (`wait` False)."""
        if not self._greeted and (wait or _readable(self._replies, 0)):
            self._greeted = True
            line = self._replies.readline()
            if line:
                self._pid = int(json.loads(line)["pid"])

    @property
    def pid(self) -> int | None:
        self._greet(wait=False)
        return self._pid

    def readline(self) -> str:
        """Its next reply line ("" once it has ended)."""
        self._greet(wait=True)
        return self._replies.readline()

    def _ended(self, timeout: float | None) -> bool:
        """Whether its reply pipe reaches its end within `timeout` seconds (None: however long it
        takes); what is still written on it is read on the way."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._replies.closed:
            if not _readable(self._replies, None if deadline is None else max(0.0, deadline - time.monotonic())):
                return False
            if not self._greeted:
                self._greet(wait=True)
            elif not self._replies.readline():
                self._replies.close()
        return True

    def poll(self) -> int | None:
        """0 once its reply pipe is closed (it ended), else None (its exit code is its parent's)."""
        return 0 if self._ended(timeout=0) else None

    def wait(self, timeout: float | None = None) -> None:
        """Wait until it has ended (its reply pipe closed, then its process gone: the pipe closes a
        moment before); `subprocess.TimeoutExpired` after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._ended(timeout):
            raise subprocess.TimeoutExpired("worker", timeout)
        while self._pid is not None and _alive(self._pid):
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("worker", timeout)
            time.sleep(0.005)


def _readable(stream, timeout: float | None) -> bool:
    """Whether `stream` has something to read (its end included) within `timeout` seconds."""
    import select

    return bool(select.select([stream], [], [], timeout)[0])


def start_workers(env: dict, jobs: int, pages: bool = False) -> list[_Worker]:
    """`jobs` workers. Where kernels are forked (`can_fork`), one process imports papermill and the
    stack and then forks the other `jobs` − 1, instead of `jobs` processes importing the same modules
    at once on the same cores while the runner validates the source (2.5 s of CPU each here; measured
    in benchmarks/RESULTS.md); elsewhere `jobs` processes of their own."""
    if jobs <= 1 or not can_fork():
        return [_Worker(env, pages=pages) for _ in range(jobs)]
    first = _Worker(env, pages=pages, siblings=jobs - 1)
    return [first, *first.siblings]


def _alive(pid: int) -> bool:
    """True while process `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path("/proc").is_dir() is False


def _end_workers(workers: list[_Worker]) -> None:
    """Kill and reap `workers` and their kernels (those already ended are left as they are)."""
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.close()
        worker.wait_kernels(KERNEL_GRACE_SECONDS)


def _execute_on_worker(
    nb: Path,
    target: Path,
    parameters: dict,
    kernel: str,
    page: dict | None,
    idle: "queue.Queue",
    workers: list,
    lock: threading.Lock,
    env: dict,
) -> tuple[float, str | None]:
    """Run one notebook on an idle worker (started when none is idle); returns the seconds it took
    and its page's title."""
    start = time.perf_counter()
    try:
        worker = idle.get_nowait()
    except queue.Empty:
        worker = _Worker(env, pages=page is not None)
        with lock:
            workers.append(worker)
    title = worker.run(nb, target, parameters, kernel, page)
    idle.put(worker)  # not after a failure: the run stops and every worker is killed
    return time.perf_counter() - start, title


#: how long a notebook's kernel may outlive its killed worker: ipykernel checks once a second that
#: its parent is alive and exits when it is not; a cell still running until then may write into the
#: run folder (it never re-creates the folder itself: `RunContext` makes sub-folders without parents)
KERNEL_GRACE_SECONDS = 3.0


def _worker_main(pages: bool, siblings: Sequence[tuple[int, int, int]] = ()) -> NoReturn:
    """Entry point of a worker process (`_Worker`): import the stack, fork the `siblings` (each
    (tasks fd, replies fd, log fd)), then execute each notebook named on stdin (and write its page
    when the task asks) and reply on stdout; a sibling does the same on its own pipes."""
    tasks = sys.stdin
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything else printed goes to the log
    # jsonschema (under nbformat, under papermill) builds an RFC 3987 parser when it is imported if
    # the optional `rfc3987-syntax` is installed, as JupyterLab's dependencies install it: 2.2 s of
    # CPU (python-jsonschema/jsonschema#1392, #1521) for IRI format checks that validating a
    # notebook never makes. This process goes without them.
    sys.modules.setdefault("rfc3987_syntax", None)
    # no garbage collection while the stack is imported: its many new objects set off collections
    # that find nothing to free (measured: importing 2.0–2.5 s → 1.9–2.0 s, the start of every run);
    # on again before any notebook's kernel is forked, so each starts as a launched one
    gc.disable()
    from amo_analysis.suite import kernels

    # the scientific stack imported once here (before papermill), each notebook's kernel a fork of
    # this process; all of it while the runner is still validating the source
    kernels.prepare()
    manager = kernels.ForkingKernelManager if can_fork() else None
    import papermill  # noqa: F401

    if pages:
        from amo_analysis.report.html import _notebook_exporter

        _notebook_exporter()
    # what is imported stays for the worker's life: moved out of the collector's sight, a kernel's full
    # collections no longer walk the whole stack (measured on the sample: the kernels' collections 0.38 s
    # → 0.08 s of CPU) nor copy its memory pages from the worker by touching every object
    gc.freeze()
    gc.enable()
    tasks, replies = _fork_siblings(siblings, tasks, replies)
    kernels.PRIVATE_FDS.add(replies.fileno())
    for line in tasks:
        task = json.loads(line)
        nb = Path(task["nb"])
        try:
            executed = execute_one(nb, Path(task["target"]), task["parameters"], task["kernel"], manager)
            reply = {}
            if task.get("page"):
                from amo_analysis.report.html import export_notebook_html

                target = Path(task["target"])
                reply["title"] = export_notebook_html(target, target.with_suffix(".html"), nb=executed, **task["page"])
        except NotebookFailed as exc:
            reply = {"error": str(exc)}
        except Exception as exc:  # the kernel died, papermill could not start it, …
            reply = {"error": f"notebook {nb.name} stopped: {type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    # every kernel was shut down with its notebook: skip the interpreter's teardown of papermill,
    # nbclient and zmq (about 0.5 s per worker, paid at the very end of every run)
    sys.stderr.flush()
    os._exit(0)


def _fork_siblings(siblings, tasks, replies):
    """Fork a worker for each (tasks fd, replies fd, log fd) of `siblings`, in a session of its own,
    from this process, which has imported the stack and started no thread, kernel or socket yet:
    returns the (tasks, replies) streams this process serves: its own, or in a sibling that
    sibling's (it first writes its pid on its replies, `_SiblingProcess`). Each process keeps only
    its own pipes open (the runner learns that a worker ended when its reply pipe closes)."""
    sys.stdout.flush()
    sys.stderr.flush()
    mine = None
    for index in range(len(siblings)):
        if os.fork() == 0:
            os.setsid()
            mine = index
            break
    for index, fds in enumerate(siblings):
        if index != mine:
            for fd in fds:
                os.close(fd)
    if mine is None:
        return tasks, replies
    tasks_fd, replies_fd, log_fd = siblings[mine]
    replies.close()  # the worker's own reply pipe
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the worker's own task pipe
    os.close(null)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    replies = os.fdopen(replies_fd, "w", encoding="utf-8")
    replies.write(json.dumps({"pid": os.getpid()}) + "\n")
    replies.flush()
    return os.fdopen(tasks_fd, "r", encoding="utf-8"), replies


def _sibling_fds(argv: list[str]) -> list[tuple[int, int, int]]:
    """The `--siblings tasks:replies:log,…` file descriptors of a worker's command line."""
    if "--siblings" not in argv:
        return []
    spec = argv[argv.index("--siblings") + 1]
    return [tuple(int(fd) for fd in part.split(":")) for part in spec.split(",") if part]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _worker_main(pages="--pages" in sys.argv[2:], siblings=_sibling_fds(sys.argv[2:]))
    sys.exit(2)
