"""Giving freed memory back to the system (a foundation: any layer may import it).

A freed array stays in its process: Arrow's allocator (mimalloc, which pandas' text columns and the
Parquet reader use) keeps freed blocks for reuse, and so does the C library's (glibc keeps the heap it
grew for arrays below its mmap threshold, which rises to 32 MB as large blocks are freed). With a
million projects, one forecast cell leaves a kernel 400 MB above what it still uses (measured in
benchmarks/RESULTS.md); a second kernel running beside it cannot have them. `release_freed_memory`
hands them back; `release_after_each_cell` does so after every cell of an IPython kernel.
"""

from __future__ import annotations

import gc
import sys


def release_arrow_memory() -> None:
    """Give the memory Arrow's allocator keeps for reuse back to the system (cheap: no garbage
    collection; `Portfolio.load` calls it once the Parquet reader's buffers are freed)."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


def release_freed_memory() -> None:
    """Collect Python's garbage, then give the memory Arrow's and the C library's allocators keep for
    reuse back to the system (glibc's `malloc_trim`, Linux only; another C library has nothing to trim).
    Frees only memory that nothing uses: no array, table or result changes."""
    gc.collect()
    release_arrow_memory()
    if sys.platform.startswith("linux"):
        import ctypes

        try:  # the C library already loaded: `ctypes.util.find_library` would start a process to find it
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):  # musl has no malloc_trim: nothing to trim
            pass


def _after_cell(result=None) -> None:  # IPython passes the cell's ExecutionResult
    release_freed_memory()


def release_after_each_cell() -> bool:
    """In an IPython kernel (a notebook, JupyterLab), call `release_freed_memory` after every cell from
    now on (IPython's ``post_run_cell`` event; registered once however often this is called). Returns
    whether it is registered: False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return False
    shell = get_ipython()
    if shell is None:
        return False
    if _after_cell not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _after_cell)
    return True
