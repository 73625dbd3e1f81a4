"""Kernels forked from a pre-warmed worker (`suite.kernels`): a notebook starts from the same state
whichever notebook ran before it on the same worker, and the start order comes from the notebooks'
own metadata."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from amo_analysis.suite import kernels
from amo_analysis.suite.runner import ensure_kernel, notebook_weight, start_order
from amo_analysis.suite.workers import NotebookFailed, _Worker, child_environment, execute_one

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or not sys.platform.startswith("linux"), reason="kernels are forked on Linux only"
)

# what a notebook could leave behind for the next one in the same process
POLLUTE = """
import gc, os, random, warnings
import numpy as np, pandas as pd, matplotlib as mpl, matplotlib.pyplot as plt
import amo_analysis.defaults as defaults_module
gc.disable()
leaked_variable = 1
mpl.rcParams["lines.linewidth"] = 9.5
plt.figure()
pd.set_option("display.max_rows", 3)
np.random.seed(123)
np.random.random(10)
random.seed(5)
defaults_module._leaked_cache = {"x": 1}
os.environ["AMO_LEAKED"] = "1"
warnings.simplefilter("ignore")
"""

PROBE = """
import gc, os, sys, json, logging, warnings
import numpy as np, pandas as pd, matplotlib as mpl, matplotlib.pyplot as plt
import scipy.stats, seaborn, statsmodels.api
import amo_analysis.defaults as defaults_module
state = {
    "variable": "leaked_variable" in globals(),
    "garbage_collection": [gc.isenabled(), gc.get_threshold()],
    "stack_frozen": gc.get_freeze_count() > 100_000,
    "linewidth": mpl.rcParams["lines.linewidth"],
    "rc_changed": sorted(k for k, v in mpl.rcParams.items() if k in mpl.rcParamsDefault and v != mpl.rcParamsDefault[k]),
    "figures": len(plt.get_fignums()),
    "max_rows": pd.get_option("display.max_rows"),
    "numpy_draw": float(np.random.random()),
    "module_cache": hasattr(defaults_module, "_leaked_cache"),
    "environment": os.environ.get("AMO_LEAKED"),
    "warning_filters": sorted(repr(f) for f in warnings.filters),
    "sys_path": sys.path,
    "cwd": os.getcwd(),
    "root_logger": [logging.getLogger().level, len(logging.getLogger().handlers)],
    "backend": mpl.get_backend(),
    "pid_is_fresh": os.getpid() != int(os.environ.get("JPY_PARENT_PID", "0")),
}
open(OUT, "w").write(json.dumps(state))
"""


def _notebook(folder: Path, name: str, source: str, out: Path | None = None) -> Path:
    cells = [] if out is None else [new_code_cell(f"OUT = {str(out)!r}")]
    nb = new_notebook(cells=[*cells, new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_no_state_leaks_from_one_notebook_to_the_next_on_a_worker(tmp_path):
    kernel = ensure_kernel()
    probe_a = _notebook(tmp_path, "probe_a.ipynb", PROBE, tmp_path / "a.json")
    polluter = _notebook(tmp_path, "polluter.ipynb", POLLUTE)
    probe_b = _notebook(tmp_path, "probe_b.ipynb", PROBE, tmp_path / "b.json")
    worker = _Worker(child_environment(1))
    try:
        for nb in (probe_a, polluter, probe_b):
            worker.run(nb, tmp_path / f"out_{nb.name}", {}, kernel)
    finally:
        worker.close()
    before = json.loads((tmp_path / "a.json").read_text())
    after = json.loads((tmp_path / "b.json").read_text())
    assert after == before  # the random state included: both kernels start from the worker's
    assert before["variable"] is False and before["module_cache"] is False and before["environment"] is None
    assert before["garbage_collection"][0] is True  # the worker collects no garbage while it imports only
    assert before["stack_frozen"] is True  # the worker's imports, frozen for the collector (`gc.freeze`)
    assert before["figures"] == 0 and before["max_rows"] == 60
    assert before["backend"] == kernels.INLINE_BACKEND and before["pid_is_fresh"]


def test_a_forked_kernel_starts_as_a_launched_one(tmp_path):
    """The state a notebook sees (rcParams, options, backend, …) in a forked kernel is the state of
    a kernel launched the usual way (papermill in this process, no fork)."""
    kernel = ensure_kernel()
    forked = _notebook(tmp_path, "forked.ipynb", PROBE, tmp_path / "forked.json")
    launched = _notebook(tmp_path, "launched.ipynb", PROBE, tmp_path / "launched.json")
    worker = _Worker(child_environment(1))
    try:
        worker.run(forked, tmp_path / "out_forked.ipynb", {}, kernel)
    finally:
        worker.close()
    execute_one(launched, tmp_path / "out_launched.ipynb", {}, kernel)
    a = json.loads((tmp_path / "forked.json").read_text())
    b = json.loads((tmp_path / "launched.json").read_text())
    a.pop("numpy_draw"), b.pop("numpy_draw")  # a launched kernel's global state is seeded from entropy
    # the worker's imports are out of the collector's sight (`gc.freeze`): a kernel's full collections
    # do not walk them, which changes no value a notebook computes
    assert a.pop("stack_frozen") is True and b.pop("stack_frozen") is False
    assert a == b


def test_a_failing_notebook_on_a_forked_kernel_is_named(tmp_path):
    kernel = ensure_kernel()
    bad = _notebook(tmp_path, "bad.ipynb", "raise ValueError('boom')")
    good = _notebook(tmp_path, "good.ipynb", PROBE, tmp_path / "good.json")
    worker = _Worker(child_environment(1))
    try:
        with pytest.raises(NotebookFailed, match=r"bad\.ipynb.*ValueError: boom"):
            worker.run(bad, tmp_path / "out_bad.ipynb", {}, kernel)
        worker.run(good, tmp_path / "out_good.ipynb", {}, kernel)  # the worker goes on with a new kernel
    finally:
        worker.close()
    assert json.loads((tmp_path / "good.json").read_text())["variable"] is False


def test_a_kernel_that_is_not_ipykernel_is_launched_as_usual():
    assert kernels._kernel_arguments(
        [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c"]
    ) == [
        "-f",
        "c",
    ]
    assert kernels._kernel_arguments(["/usr/bin/R", "--slave", "-e", "IRkernel::main()", "c"]) is None


def test_start_order_reads_each_notebooks_weight(tmp_path):
    def notebook(name, weight=None):
        nb = new_notebook(cells=[new_code_cell("1")])
        if weight is not None:
            nb.metadata["amo_analysis"] = {"weight": weight}
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    light = notebook("01_light.ipynb", {"small": 1, "large": 1})
    new = notebook("02_new.ipynb")  # a notebook added without a weight: after those with one
    heavy_large = notebook("03_heavy_large.ipynb", {"small": 2, "large": 9})
    heavy_small = notebook("04_heavy_small.ipynb", {"small": 9, "large": 2})
    suite = [light, new, heavy_large, heavy_small]
    assert start_order(suite) == [heavy_large, heavy_small, light, new]
    assert start_order(suite, n_projects=120) == [heavy_small, heavy_large, light, new]
    assert notebook_weight(new) == 0.0


def test_a_forked_kernel_is_ready_and_gone_sooner_and_loses_no_output(tmp_path):
    """Two of jupyter_client's waits are shortened for forked kernels: the IOPub flush once the kernel
    answers (`READY_FLUSH`, not 0.2 s) and the poll for its exit after the shutdown (`SHUTDOWN_POLL`,
    not 0.1 s); 0.52 s → 0.26 s per notebook measured on a trivial one. Nothing is lost by it: the
    first cell's output, printed the moment the kernel runs it, and a stream of outputs after it are
    all in every one of five executed notebooks; each kernel has exited when its notebook is done."""
    kernel = ensure_kernel()
    assert isinstance(kernels.ForkingKernelManager().client(), kernels.ForkedKernelClient)
    assert kernels.READY_FLUSH < 0.2 and kernels.SHUTDOWN_POLL < 0.1
    nb = new_notebook(
        cells=[
            new_code_cell("print('first', flush=True)"),
            new_code_cell(
                "import os\nprint(os.getpid())\nfor i in range(50):\n    print(i)\ndisplay({'text/plain': 'shown'}, raw=True)"
            ),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / "outputs.ipynb"
    nbformat.write(nb, source)
    for run in range(5):
        executed = execute_one(source, tmp_path / f"out{run}.ipynb", {}, kernel, kernels.ForkingKernelManager)
        first, second = executed.cells[-2], executed.cells[-1]
        assert "".join(o.get("text", "") for o in first.outputs) == "first\n"
        lines = "".join(o.get("text", "") for o in second.outputs if o.output_type == "stream").split()
        assert lines[1:] == [str(i) for i in range(50)]
        assert second.outputs[-1]["data"]["text/plain"] == "shown"
        with pytest.raises(ProcessLookupError):  # the kernel has exited (and was reaped)
            os.kill(int(lines[0]), 0)


FIRST_USES = """
import sys
from amo_analysis.suite import kernels
kernels.prepare()
before = set(sys.modules)
import matplotlib.figure
from amo_analysis.ingest.portfolio import Portfolio
from amo_analysis.report.run_context import RunContext, svg_text
context = RunContext(Portfolio.load(sys.argv[1]), "first_uses", run_dir=sys.argv[2])
table = context.data.head(5)
context.save_table(table, "rows")  # CSV and XLSX
table.style.hide(axis="index").format(precision=2, escape="html").to_html()  # as show_table does
str(table), table.to_dict()
figure = matplotlib.figure.Figure()  # not pyplot: the backend stays unresolved, as in a worker
figure.subplots().plot([0, 1], [0, 1])
svg_text(figure)
print("\\n".join(sorted(set(sys.modules) - before)))
"""


def test_a_worker_has_imported_what_the_reports_writers_import_on_first_use(tmp_path):
    """What a notebook's first table, figure and portfolio read import lazily is imported by the
    worker (`kernels.WARM_MODULES`), not again in each forked kernel: measured, 1.8–3.4 s of CPU over
    the 8 sample notebooks. The portfolio is saved in another process, which imports the writers."""
    from amo_analysis.paths import SAMPLE_PORTFOLIO

    saving = f"import amo_analysis as amo; amo.load_portfolio({str(SAMPLE_PORTFOLIO)!r}).save({str(tmp_path)!r})"
    subprocess.run([sys.executable, "-c", saving], check=True)
    run = subprocess.run(
        [sys.executable, "-c", FIRST_USES, str(tmp_path / "portfolio.parquet"), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.split() == []
    assert (tmp_path / "run" / "tables" / "first_uses_rows.xlsx").exists()


KERNEL_START = """
import os, sys
sys.modules.setdefault("rfc3987_syntax", None)  # as a worker does
from amo_analysis.suite import kernels
kernels.prepare()
import papermill  # noqa: F401
before = set(sys.modules)
from ipykernel.kernelapp import IPKernelApp
IPKernelApp.instance().initialize(["-f", sys.argv[1]])
with open(sys.argv[2], "w") as out:
    out.write(" ".join(sorted(set(sys.modules) - before)))
os._exit(0)
"""


def test_a_forked_kernel_imports_almost_nothing_when_it_starts(tmp_path):
    """ipykernel imports its debugger (debugpy, pydevd), IPython's debugger and completion when each
    kernel starts: 138 modules, 0.09 s of CPU per notebook (a one-cell notebook 0.21 → 0.12 s). The
    worker imports them once (`kernels.WARM_MODULES`). Left: what the worker imports when it starts
    its first kernel, before the fork (psutil, by jupyter_client), and two tiny modules."""
    listed = tmp_path / "imported.txt"
    subprocess.run(
        [sys.executable, "-c", KERNEL_START, str(tmp_path / "kernel.json"), str(listed)],
        capture_output=True,
        check=True,
    )
    imported = listed.read_text().split()
    left = [m for m in imported if m.split(".")[0] not in ("psutil", "faulthandler", "resource")]
    assert left == [] and len(imported) < 12, imported
