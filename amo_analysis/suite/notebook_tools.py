"""Maintenance of the suite's notebooks: refresh the outputs that nbval checks.

`python -m amo_analysis.suite.notebook_tools refresh` (or `make notebooks`) executes every notebook of
`notebooks/` top to bottom with its default parameters (the bundled sample) — the suite's `NN_*.ipynb`
and the exploring notebooks outside the report (`explore.ipynb`) — and stores back only the
outputs of cells marked `# NBVAL_CHECK_OUTPUT`: the key numbers `make test` compares against, so a
change in results is caught while the notebooks stay small and free of machine-specific output.
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def _to_refresh(names: list[str] | None) -> list[Path]:
    """The suite's notebooks (`list_notebooks`) and the exploring ones outside the report
    (`notebooks/*.ipynb` without the `NN_` prefix, e.g. `explore.ipynb`): all of them, or those named."""
    suite = list_notebooks()
    exploring = sorted(p for p in NOTEBOOKS_DIR.glob("*.ipynb") if p not in suite)
    if not names:
        return suite + exploring
    chosen = [p for p in exploring if p.name in names or p.stem in names]
    rest = [n for n in names if n not in {p.name for p in chosen} | {p.stem for p in chosen}]
    return (list_notebooks(rest) if rest else []) + chosen


def refresh(names: list[str] | None = None) -> None:
    kernel = ensure_kernel()
    for path in _to_refresh(names):
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
