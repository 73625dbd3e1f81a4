"""The worker processes that execute the suite's notebooks in parallel, and their protocol.

`run_suite` (`runner`) starts `jobs` workers (`_Worker`, each a child process in its own session,
`python -m amo_analysis.suite.workers --worker`); a worker imports papermill and the scientific stack
once (`_worker_main`) and executes the notebooks sent to it one after the other: a JSON line per
notebook on its stdin ({nb, target, parameters, kernel, page}), a JSON reply per line on its stdout
({} or {"title": page title} when done, {"error": sentence} on a failure). `execute_one` runs one
notebook with papermill in the current process; `_execute_on_worker` hands one to an idle worker.
An interrupt or a failure kills every worker and the kernels it started (`_end_workers`), so no cell
keeps writing into the run folder. Times are in seconds.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NoReturn


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
    starts, while the runner validates the source."""

    def __init__(self, env: dict, pages: bool = False):
        self.log = tempfile.TemporaryFile()
        self.kernels: set[int] = set()
        command = [sys.executable, "-m", "amo_analysis.suite.workers", "--worker"] + (["--pages"] if pages else [])
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            start_new_session=True,
            env=env,
            text=True,
            encoding="utf-8",
        )

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
            raise NotebookFailed(f"notebook {nb.name} stopped (exit code {code}): {tail[0]}")
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
        """End the process and, at once, the kernels it started (each in a session of its own, which
        the signal to the worker's group does not reach): no cell keeps writing into the run folder."""
        self.kernels.update(_children(self.proc.pid))
        for pid in [self.proc.pid, *self.kernels]:
            try:
                os.killpg(pid, signal.SIGKILL if pid in self.kernels else signal.SIGTERM)
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


def _worker_main(pages: bool) -> NoReturn:
    """Entry point of a worker process (`_Worker`): execute each notebook named on stdin (and write
    its page when the task asks), reply on stdout."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything else printed goes to the log
    # jsonschema (under nbformat, under papermill) builds an RFC 3987 parser when it is imported if
    # the optional `rfc3987-syntax` is installed, as JupyterLab's dependencies install it: 2.2 s of
    # CPU (python-jsonschema/jsonschema#1392, #1521) for IRI format checks that validating a
    # notebook never makes. This process goes without them.
    sys.modules.setdefault("rfc3987_syntax", None)
    from amo_analysis.suite import kernels

    # the scientific stack imported once here (before papermill), each notebook's kernel a fork of
    # this process; all of it while the runner is still validating the source
    kernels.PRIVATE_FDS.add(replies.fileno())
    kernels.prepare()
    manager = kernels.ForkingKernelManager if kernels.can_fork() else None
    import papermill  # noqa: F401

    if pages:
        from amo_analysis.report.html import _notebook_exporter

        _notebook_exporter()
    for line in sys.stdin:
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


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _worker_main(pages="--pages" in sys.argv[2:])
    sys.exit(2)
