"""Whether the suite forks here: each notebook's kernel from its worker (`kernels`), and the workers
from the first one (`workers.start_workers`). Light on purpose: the runner asks before it has
imported anything of Jupyter."""

from __future__ import annotations

import os
import sys

#: set to "0" to launch every kernel as a new Python, and every worker as a process of its own, instead
#: (as before; the benchmark's launched floor does)
FORK_VARIABLE = "AMO_ANALYSIS_FORK_KERNELS"


def can_fork() -> bool:
    """Whether kernels and workers are forked here: on Linux, unless `FORK_VARIABLE` is "0" (macOS's
    system libraries, Accelerate among them, are not safe to use in a forked child)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux") and os.environ.get(FORK_VARIABLE, "1") != "0"
