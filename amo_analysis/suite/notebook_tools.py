"""Maintenance of the suite's notebooks: refresh the outputs that nbval checks.

`python -m amo_analysis.suite.notebook_tools refresh` (or `make notebooks`) executes every notebook of
`notebooks/` top to bottom with its default parameters (the bundled sample) and stores back only the
outputs of cells marked `# NBVAL_CHECK_OUTPUT`: the key numbers `make test` compares against, so a
change in results is caught while the notebooks stay small and free of machine-specific output.
"""

from __future__ import annotations

import sys

import nbformat
from nbclient import NotebookClient

from amo_analysis.paths import NOTEBOOKS_DIR
from amo_analysis.suite.runner import ensure_kernel, list_notebooks

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def keep_checked_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Clear every output except those of `# NBVAL_CHECK_OUTPUT` cells.

    Checked cells keep an execution count (nbval ignores stored outputs of unrun cells).
    """
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if CHECK_MARK in cell.source:
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count
        else:
            cell.outputs = []
            cell.execution_count = None
    return nb


def refresh(names: list[str] | None = None) -> None:
    kernel = ensure_kernel()
    for path in list_notebooks(names):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}
        ).execute()
        nbformat.write(keep_checked_outputs(nb), path)
        print(f"refreshed {path.name}")


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "refresh":
        sys.exit("usage: python -m amo_analysis.suite.notebook_tools refresh [NOTEBOOK ...]")
    refresh(sys.argv[2:] or None)
