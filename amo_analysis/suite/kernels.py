"""Kernels forked from a worker that has imported the scientific stack once ("pre-warmed").

Measured (benchmarks/RESULTS.md, 2 cores): importing the stack costs each kernel about 2–2.5 s of
CPU (scipy.stats 1.5 s, statsmodels.api 2.0 s, seaborn 2.4 s, matplotlib.pyplot 1.2 s, pandas 0.7 s,
each alone; they share most of it), ipykernel 0.5 s and the package's analyses 0.6 s; the suite
starts eight kernels, so 8 × ~3 s of the bundled sample's ~40 s of CPU went to imports. A worker
(`workers._Worker`) imports them once (`prepare`), and each notebook's kernel is a *fork* of it
(`ForkingKernelManager`): a new process, in a session of its own like a launched kernel, whose
memory starts as a copy of the worker's. So

- a notebook's kernel still starts with nothing of any other notebook: it is a fresh process, forked
  from a worker that only imports (it never executes notebook code, never draws, never sets an
  option or a seed); its state is that of a kernel that has just imported the same modules;
- the imports are paid once per worker, not once per notebook, with what the libraries import on a
  notebook's first table, figure or Parquet read and what ipykernel imports when a kernel starts;
- the worker has frozen its objects for the garbage collector (`gc.freeze`, `workers._worker_main`): a
  kernel's collections do not walk the imported stack, which changes no value a notebook computes;
- like a launched kernel it watches its parent (ipykernel's parent poller, `JPY_PARENT_PID`) and
  exits when its worker is gone, however the worker ended.

Nothing that depends on a notebook's run happens at import time in the modules imported here. The
matplotlib backend is *not* resolved here (no `matplotlib.get_backend()`, nor the package's
`report` modules, which call it): the inline backend must be loaded in the kernel, where IPython
runs, for figures to be shown inline as in a launched kernel.

Linux only (`os.fork`); elsewhere, for a kernel that is not `ipykernel_launcher`, or with
`AMO_ANALYSIS_FORK_KERNELS=0` in the environment, the kernel is launched as usual.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
import time
import warnings
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async
from traitlets import DottedObjectName, Type

from amo_analysis.suite.forking import can_fork

#: imported once per worker, inherited by every kernel forked from it (what the notebooks import,
#: with what their cells import through the package); imported before papermill. Not
#: `statsmodels.api`: no notebook imports it (the package imports the statsmodels modules it uses),
#: and its time-series and graphics modules cost each worker 0.4 s of CPU while the run starts
WARM_MODULES = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "scipy.stats",
    "scipy.optimize",
    "matplotlib.pyplot",
    "seaborn",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    # what each kernel imports when it starts (its debugger, the shell's magics and completion):
    # measured on a forked kernel running a one-cell notebook, 138 modules
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "tornado.locks",
    "tornado.platform.asyncio",
    "tornado.queues",
    # what the libraries import lazily, on the first call a notebook makes: reading the portfolio's
    # Parquet, writing tables as CSV and XLSX, styled tables, SVG figures, covariance types and
    # meta-analysis. Measured in processes forked after `prepare` (CPU seconds of the 8 sample
    # notebooks, each run twice in its own fork): first run 1.8–3.4 s more than the second
    # without these, 0.0–0.9 s with them (benchmarks/RESULTS.md); tests/suite/test_kernels.py
    # checks that the report's writers import nothing more
    "pyarrow.dataset",
    "pyarrow.pandas_compat",
    "pandas.core.arrays.arrow._arrow_utils",
    "pandas.core.arrays.arrow.extension_types",
    "pandas.core.methods.to_dict",
    "pandas.core.reshape.reshape",
    "pandas.io.formats.csvs",
    "pandas.io.formats.excel",
    "pandas.io.formats.string",
    "pandas.io.formats.style",
    "openpyxl",
    "openpyxl.packaging.extended",
    "matplotlib.backends.backend_svg",
    "statsmodels.base.covtype",
    "statsmodels.discrete.discrete_margins",
    "statsmodels.stats.meta_analysis",
    "statsmodels.stats.sandwich_covariance",
)
#: every module of these subpackages is imported too (what notebooks import: no list of names to keep)
WARM_PACKAGES = ("amo_analysis.analyses", "amo_analysis.report")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def prepare() -> None:
    """Import `WARM_MODULES` and every module of `WARM_PACKAGES` into this process (a worker), as a launched kernel would import them:
    with the inline backend named (ipykernel names it before any cell runs) but not loaded."""
    import importlib
    import pkgutil

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    # debugpy (ipykernel's debugger, imported here) warns on import that Python's frozen modules may
    # hide breakpoints; nobody debugs a worker, and the warning would be the last line of its log
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    names = list(WARM_MODULES)
    for package in WARM_PACKAGES:
        path = importlib.import_module(package).__path__
        names += [f"{package}.{module.name}" for module in pkgutil.iter_modules(path)]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional module missing: the kernel imports what it needs itself
            pass
    # the warning filters of a process that has imported these and nothing else (the worker then
    # imports papermill, whose dependencies add their own): a forked kernel starts with these
    _WARNING_FILTERS[:] = warnings.filters


_WARNING_FILTERS: list = []


class _ForkedProcess:
    """The `subprocess.Popen` calls jupyter_client's `LocalProvisioner` makes, for a forked child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        return self._reap(0)

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


#: file descriptors of this process a forked kernel must not keep open (a worker's reply pipe: the
#: runner learns that a worker died when that pipe closes, which a kernel holding it would prevent)
PRIVATE_FDS: set[int] = set()


def _kernel_arguments(cmd: list[str]) -> list[str] | None:
    """The arguments of `python [options] -m ipykernel_launcher ARGS…` (None for another command)."""
    for i in range(1, len(cmd) - 1):
        if cmd[i : i + 2] == ["-m", "ipykernel_launcher"]:
            return cmd[i + 2 :]
    return None


#: seconds between two checks that a kernel asked to shut down has exited (jupyter_client: 0.1 s; a
#: forked kernel exits within a few milliseconds of its reply, and `_ForkedProcess.poll` is a
#: `waitpid`, so the 0.1 s was waited after every notebook)
SHUTDOWN_POLL = 0.005
#: seconds of IOPub silence that end the flush after a kernel's first `kernel_info` reply
#: (jupyter_client waits 0.2 s; what is left to flush then are the status messages of that exchange,
#: which nbclient would ignore anyway: it reads only the replies to its own requests)
READY_FLUSH = 0.02


class ForkedKernelClient(AsyncKernelClient):
    """The client of a forked kernel: jupyter_client's, whose wait for a ready kernel ends its IOPub
    flush after `READY_FLUSH` seconds of silence instead of 0.2 s (paid once per notebook)."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """jupyter_client's `wait_for_ready` for a client its kernel manager made: `kernel_info` until
        a reply comes while IOPub is connected (an IOPub message within 0.2 s), then an IOPub flush,
        ended by `READY_FLUSH` seconds of silence."""
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        while True:
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=READY_FLUSH))
            except Empty:
                break


class ForkingKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels are forks of this process (see the module docstring); papermill
    passes it on to nbclient (`kernel_manager_class`). Everything else — ports, connection file,
    messages, shutdown, interrupt, kill — is jupyter_client's, on the forked process, with two waits
    shortened: the IOPub flush once the kernel is ready (`ForkedKernelClient`) and the poll for its
    exit after a shutdown (`SHUTDOWN_POLL`)."""

    client_class = DottedObjectName("amo_analysis.suite.kernels.ForkedKernelClient")
    client_factory = Type(klass=AsyncKernelClient, default_value=ForkedKernelClient)

    async def _async_finish_shutdown(self, waittime=None, pollinterval: float = 0.1, restart: bool = False) -> None:
        await super()._async_finish_shutdown(waittime, min(pollinterval, SHUTDOWN_POLL), restart)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        arguments = _kernel_arguments(kernel_cmd)
        if not can_fork() or arguments is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        env = dict(kw.get("env") or os.environ)
        cwd = kw.get("cwd")
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _kernel_child(kernel_cmd[0], arguments, env, cwd)  # never returns
        provisioner = self.provisioner
        provisioner.process = _ForkedProcess(pid)
        provisioner.pid = pid
        provisioner.pgid = pid  # the child made itself a session (and group) leader, as launched kernels are
        provisioner.cwd = cwd or os.getcwd()
        self._reconcile_connection_info(provisioner.connection_info)


def _kernel_child(executable: str, arguments: list[str], env: dict, cwd: str | None) -> None:
    """In the forked child: become what `python -m ipykernel_launcher -f FILE` would be, run the
    kernel, and exit without running this process's (the worker's) teardown."""
    code = 1
    try:
        os.setsid()
        for fd in PRIVATE_FDS:
            try:
                os.close(fd)
            except OSError:
                pass
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(env)
        # ended when its worker is, as a kernel jupyter_client launches is (`JPY_PARENT_PID`, read by
        # ipykernel's parent poller): given as an argument too, since `IPKernelApp` read the variable
        # when the worker imported it, before this fork
        parent = os.getppid()
        os.environ["JPY_PARENT_PID"] = str(parent)
        arguments = [*arguments, f"--IPKernelApp.parent_handle={parent}"]
        # as `ipykernel_launcher` does (IPython puts the working folder back when the shell starts)
        if sys.path and (sys.path[0] == "" or os.path.abspath(sys.path[0]) == os.getcwd()):
            del sys.path[0]
        if cwd:
            os.chdir(cwd)
        if _WARNING_FILTERS:
            warnings.filters[:] = _WARNING_FILTERS
            warnings._filters_mutated()
        # the worker was inside its event loop (nbclient's) when it forked: this process has none
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(asyncio.new_event_loop())
        sys.argv = [executable, *arguments]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=arguments)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001  (reported on stderr, as a launched kernel's would be)
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
