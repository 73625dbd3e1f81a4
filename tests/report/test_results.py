import json
import math

import numpy as np

from amo_analysis.report.results import dumps, make_record, merge_records, write_records


def test_record_is_json_safe():
    rec = make_record(
        "x",
        np.float64(0.25),
        ci_low=float("nan"),
        ci_high=np.float32(0.5),
        n=np.int64(10),
        unit="fraction",
        method="m",
        notebook="01_a",
        headline=np.bool_(True),
    )
    text = json.dumps(rec)
    back = json.loads(text)
    assert back["value"] == 0.25 and back["ci_low"] is None and back["n"] == 10 and back["headline"] is True
    assert math.isclose(back["ci_high"], 0.5)


def test_write_and_merge_in_notebook_order(tmp_path):
    write_records(tmp_path, "02_b", [make_record("b", 2.0)])
    write_records(tmp_path, "01_a", [make_record("a1", 1.0), make_record("a2", 1.5)])
    assert [r["name"] for r in merge_records(tmp_path)] == ["a1", "a2", "b"]


def test_dumps_is_deterministic():
    doc = {"b": [make_record("x", 1 / 3)], "a": {"z": 1, "y": float("inf")}}
    assert dumps(doc) == dumps(json.loads(dumps(doc)))
    assert json.loads(dumps(doc))["a"]["y"] is None


def test_rows_recorded_in_one_go_are_all_on_disk(tmp_path):
    from types import SimpleNamespace

    import pandas as pd

    from amo_analysis.report.run_context import RunContext

    ctx = RunContext(portfolio=SimpleNamespace(practice_name="AMO"), notebook="01_x", run_dir=tmp_path)
    ctx.record("first", 1.0)
    tails = pd.DataFrame(
        {
            "outcome": ["budget_drift", "budget_drift"],
            "group": ["all", True],
            "quantile": [0.5, 0.8],
            "estimate": [0.1, 0.3],
            "ci_low": [0.0, 0.2],
            "ci_high": [0.2, 0.4],
            "n": [10, 5],
        }
    )
    ctx.record_quantiles(tails)
    saved = json.loads((tmp_path / "results" / "01_x.json").read_text(encoding="utf-8"))
    assert [r["name"] for r in saved] == ["first", "budget_drift.p50.all", "budget_drift.p80.with"]
    assert [r["headline"] for r in saved[1:]] == [True, False]
