"""A glance at the rows a notebook analyses: `rows_glance(data, columns)`.

Every notebook shows, before any estimate, which rows and columns it works on: how many projects, the
columns it uses (those absent from the export are named), and the first few rows in a stable order (by
`project_id` when the export has one, so the glance does not depend on the export's row order). An
analyst who wants more reads `data[columns]` in the next cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from amo_analysis.findings import Finding
from amo_analysis.i18n import Message

__all__ = ["rows_glance", "GLANCE_ROWS"]

#: rows shown by a glance
GLANCE_ROWS = 5


def rows_glance(data: pd.DataFrame, columns: Sequence[str], n: int = GLANCE_ROWS) -> Finding:
    """The first `n` rows of `data[columns]` (those present; `project_id` first when there is one),
    ordered by `project_id`, with a sentence: how many projects and columns, and which named columns the
    export lacks. Nothing is recorded: a glance is for the reader."""
    wanted = list(dict.fromkeys(columns))
    present = [c for c in wanted if c in data.columns]
    missing = [c for c in wanted if c not in data.columns]
    shown = (["project_id"] if "project_id" in data.columns and "project_id" not in present else []) + present
    frame = data[shown]
    if "project_id" in frame.columns:
        frame = frame.sort_values("project_id", kind="stable")
    text = Message("glance_rows", n=len(data), k=len(present), shown=min(n, len(data)))
    if missing:
        text = Message(
            "glance_rows_missing", n=len(data), k=len(present), shown=min(n, len(data)), missing=", ".join(missing)
        )
    return Finding(table=frame.head(n).reset_index(drop=True), text=text)
