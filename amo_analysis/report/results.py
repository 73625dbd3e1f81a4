"""Headline numbers of a run: one record per estimate, merged into the run's `results.json`.

Every number a report shows as a finding goes through `make_record`, so that it always carries
its interval, the number of projects it rests on and the method that produced it. Each notebook
writes its records to `results/<notebook>.json` in the run folder; the runner merges them.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

RESULTS_SUBDIR = "results"


def _clean(value: Any) -> Any:
    """JSON-safe, deterministic rendering of numbers (NaN/inf → None, numpy → Python)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if not math.isfinite(value) else round(value, 10)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def make_record(
    name: str,
    value: float | None,
    *,
    ci_low: float | None = None,
    ci_high: float | None = None,
    n: int | None = None,
    method: str = "",
    unit: str = "",
    label: str = "",
    notebook: str = "",
    **extra: Any,
) -> dict:
    """One headline estimate.

    `unit` says how to read `value`: "fraction" (0.18 = 18 %), "percentage points" (fraction
    scale too: 0.05 = 5 pp), "percent change" (relative, fraction scale), "count", a cost unit…
    """
    record = {
        "name": name,
        "label": label or name,
        "value": value,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "n": n,
        "method": method,
        "unit": unit,
        "notebook": notebook,
    }
    record.update(extra)
    return _clean(record)


def write_records(run_dir: str | os.PathLike, notebook: str, records: list[dict]) -> Path:
    """Write (replace) one notebook's records into `run_dir/results/<notebook>.json`."""
    folder = Path(run_dir) / RESULTS_SUBDIR
    folder.mkdir(exist_ok=True)  # never re-creates a run folder the runner has removed
    path = folder / f"{notebook}.json"
    path.write_text(json.dumps(_clean(records), indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    return path


def merge_records(run_dir: str | os.PathLike) -> list[dict]:
    """All records of a run, in notebook order then insertion order."""
    folder = Path(run_dir) / RESULTS_SUBDIR
    merged: list[dict] = []
    for path in sorted(folder.glob("*.json")):
        merged.extend(json.loads(path.read_text(encoding="utf-8")))
    return merged


def dumps(document: dict) -> str:
    """Deterministic JSON text for `results.json` (sorted keys, NaN as null)."""
    return json.dumps(_clean(document), indent=2, ensure_ascii=False, sort_keys=True)
