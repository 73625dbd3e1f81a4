"""Problems on the terminal: one per line up to a screenful, grouped past it, every one in problems.csv."""

from __future__ import annotations

import csv

from amo_analysis.errors import Problem
from amo_analysis.suite.problems import (
    SCREENFUL,
    from_provenance,
    group_problems,
    likely_cause,
    problem_lines,
    rule_kind,
    write_problems_csv,
)


def _many() -> list[Problem]:
    dates = [
        Problem("x.csv", "not a date (e.g. 2024-03-31 or 31/03/2024)", r, "Start", str(39998 + r))
        for r in range(2, 102)
    ]
    money = [
        Problem("x.csv", "text in a numeric column (decimal mark is '.')", r, "Cost", "1.2 M") for r in range(5, 65)
    ]
    dup = [Problem("x.csv", f"duplicate project_id (also on line {r + 1})", r, "ID", "A1") for r in (7, 8)]
    return dates + money + dup


def test_a_screenful_is_printed_one_per_line():
    few = _many()[:SCREENFUL]
    assert problem_lines(few) == [p.sentence() for p in few]


def test_past_a_screenful_problems_are_grouped_by_column_and_rule_with_their_cause():
    lines = problem_lines(_many())
    assert lines[0] == "162 problems in 3 groups (column and rule):"
    start, cost, ids = lines[1:]
    assert "column 'Start': not a date — 100 lines (first: 2, 3, 4); values such as '40000'" in start
    assert "Excel serial day numbers" in start
    assert "column 'Cost': text in a numeric column (decimal mark is '.') — 60 lines" in cost and "unit" in cost
    assert "column 'ID': duplicate project_id — 2 lines (first: 7, 8)" in ids and "two columns" in ids


def test_rule_kinds_and_causes():
    assert rule_kind("duplicate project_id (also on lines 3, 4)") == "duplicate project_id"
    assert rule_kind("golive_actual is before start_date (2020-01-31)") == "golive_actual is before start_date"
    assert rule_kind("must be greater than 0") == "must be greater than 0"
    assert "timestamp" in likely_cause("not a date", ["2020-01-01T10:00:00 CET"] * 5)
    assert likely_cause("not a date", ["31 février"]).startswith("dates written in a form")
    assert "'peut-être'" in likely_cause("not a yes/no value (expected …)", ["peut-être", "peut-être", "?"])
    assert likely_cause("must be greater than 0", ["-5"]) is None


def test_every_problem_goes_to_the_csv(tmp_path):
    problems = _many()
    path = write_problems_csv(problems, tmp_path / "reports")
    assert path == tmp_path / "reports" / "problems.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(problems)
    assert rows[0]["column"] == "Start" and rows[0]["row"] == "2" and rows[0]["value"] == "40000"
    assert "serial day" in rows[0]["likely_cause"] and rows[0]["sentence"] == problems[0].sentence()
    assert {len(g.problems) for g in group_problems(problems)} == {100, 60, 2}


def test_problems_kept_in_a_provenance_read_back():
    prov = {"source": "x.csv", "row_label": "row", "problems": [{"row": 3, "column": "C", "value": "v", "rule": "r"}]}
    assert from_provenance(prov) == [Problem("x.csv", "r", 3, "C", "v", "row")]
