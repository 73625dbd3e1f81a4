"""The ingest flow runs one way: sources → cells → mapping → privacy → contract → metrics → portfolio
(→ model_columns, the columns a model adds).

Each module of `amo_analysis/ingest` may import only the ingest modules listed for it here (no module
imports one that imports it back, and none reads cells with another's code), and none is over ~600
lines unless its docstring says why."""

from __future__ import annotations

import ast
from pathlib import Path

import amo_analysis.ingest

INGEST = Path(amo_analysis.ingest.__file__).parent

ALLOWED: dict[str, set[str]] = {
    "__init__": set(),
    "columns": set(),  # the catalogue
    "cells": set(),  # reading cells
    "metrics": set(),  # formulas of the derived columns
    "source_info": set(),  # what a reader found
    "text": {"source_info"},
    "excel": {"source_info"},
    "tables": {"source_info"},
    "sources": {"source_info", "text", "excel", "tables"},
    "mapping": {"columns", "cells"},
    "privacy": {"columns", "cells", "mapping"},
    "contract": {"columns", "cells", "metrics"},
    "dictionary": {"columns", "cells", "contract", "metrics"},
    "shared_table": set(),  # the table's memory-mapped copy for a run's kernels
    "portfolio": {"columns", "sources", "mapping", "privacy", "contract", "metrics", "shared_table"},
    "collection": {"sources", "mapping", "metrics", "portfolio"},  # many sources → one portfolio, after it
    "model_columns": {"columns"},  # the columns a model adds (log_budget) and describes, after reading
}


def ingest_imports(path: Path) -> set[str]:
    """The ingest modules `path` imports, function-level imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "amo_analysis.ingest":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("amo_analysis.ingest."):
            found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[2] for a in node.names if a.name.startswith("amo_analysis.ingest."))
    return found


def test_every_ingest_module_has_its_place_in_the_flow():
    assert {p.stem for p in INGEST.glob("*.py")} == set(ALLOWED)


def test_imports_follow_the_flow():
    wrong = {p.stem: sorted(ingest_imports(p) - ALLOWED[p.stem]) for p in INGEST.glob("*.py")}
    assert not {k: v for k, v in wrong.items() if v}


def test_modules_stay_small_or_say_why():
    for path in INGEST.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 600:
            assert "600 lines" in (ast.get_docstring(ast.parse(text)) or ""), path.name
