"""Problems on the terminal: every one when they fit on a screen, grouped past that, all of them in a CSV.

An export with thousands of offending cells printed one per line is unreadable. `problem_lines` gives the
lines the command line prints: each problem's sentence when there are at most `SCREENFUL` of them; else
one line per column and rule (how many, the first rows and values, and the likely cause when the values
show one, e.g. "every value looks like an Excel serial day number"), the full list being written by
`write_problems_csv` (one row per problem: file, row, column, value, rule, sentence), whose path the
command prints.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from amo_analysis.errors import Problem

#: problems printed one per line; more are grouped by column and rule
SCREENFUL = 40
#: examples shown per group
EXAMPLES = 3
PROBLEMS_FILE = "problems.csv"


@dataclass
class ProblemGroup:
    """The problems of one column under one rule."""

    column: str | None
    rule: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.problems)

    def cause(self) -> str | None:
        """The likely cause, in a few words, when the values show one (None otherwise)."""
        return likely_cause(self.rule, [p.value for p in self.problems if p.value is not None])

    def line(self) -> str:
        first = self.problems[0]
        rows = [p.row for p in self.problems if p.row is not None][:EXAMPLES]
        values = list(dict.fromkeys(str(p.value) for p in self.problems if p.value is not None))[:EXAMPLES]
        where = f"column '{self.column}'" if self.column else "the file"
        text = f"{first.file}, {where}: {self.rule} — {self.count} {first.row_label}{'s' if self.count > 1 else ''}"
        if rows:
            text += f" (first: {', '.join(map(str, rows))})"
        if values:
            text += "; values such as " + ", ".join(_short(v) for v in values)
        cause = self.cause()
        return text + (f"; likely cause: {cause}" if cause else "")


def _short(value: str, limit: int = 30) -> str:
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


_DETAIL = re.compile(r"\s*\((?:also on|[^()]*\d{4}-\d{2}-\d{2})[^()]*\)\s*$")


def rule_kind(rule: str) -> str:
    """A rule without the details that differ from row to row ("duplicate project_id (also on line 4)"
    → "duplicate project_id")."""
    return _DETAIL.sub("", rule)


def group_problems(problems: list[Problem]) -> list[ProblemGroup]:
    """Problems grouped by column and `rule_kind`, largest group first (then in order of appearance)."""
    groups: dict[tuple, ProblemGroup] = {}
    for p in problems:
        key = (p.column, rule_kind(p.rule))
        groups.setdefault(key, ProblemGroup(p.column, key[1])).problems.append(p)
    order = {key: i for i, key in enumerate(groups)}
    return sorted(groups.values(), key=lambda g: (-g.count, order[(g.column, g.rule)]))


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
_SERIAL_DAY = re.compile(r"^[1-6]\d{4}(?:[.,]\d+)?$")
_UNIT = re.compile(r"\d\s*[^\d\s.,+\-]+\s*$")


def likely_cause(rule: str, values: list) -> str | None:
    """What the offending values of one rule have in common, when they have it (all or nearly all of them)."""
    texts = [str(v).strip() for v in values]
    if not texts:
        return "the cells are empty" if "empty" in rule or "blank" in rule else None

    def most(pattern) -> bool:
        return sum(bool(pattern.search(t)) for t in texts) >= 0.9 * len(texts)

    if rule.startswith("not a date"):
        if most(_TIMESTAMP):
            return "every value looks like a timestamp in a form not recognised; set date_format in a mapping file"
        if most(_SERIAL_DAY):
            return "the values look like Excel serial day numbers: format the column as dates before exporting"
        return "dates written in a form not recognised; set date_format in a mapping file"
    if rule.startswith("text in a numeric column"):
        if most(_UNIT):
            return "numbers written with a unit or a word after them; remove it, and say the unit with cost_unit"
        if most(re.compile(r"^[+-]?\d{1,3}(?:[.,]\d{3})*[.,]\d+$")):
            return "another decimal mark or thousands separator than the file's other numbers"
        return None
    if rule.startswith("not a yes/no value"):
        common = Counter(texts).most_common(2)
        shown = " and ".join(repr(v) for v, _ in common)
        return f"values outside the yes/no vocabulary ({shown}); list them as yes or no in the mapping file"
    if rule.startswith("duplicate"):
        return "several rows share a key: is the key made of two columns (project_id = [...] in a mapping file)?"
    if "before start_date" in rule:
        return "the end date comes before the start date: swapped columns, or a typing error"
    return None


def problem_lines(problems: list[Problem], screenful: int = SCREENFUL) -> list[str]:
    """Lines to print: one per problem up to `screenful`, else one per `group_problems` group."""
    if len(problems) <= screenful:
        return [p.sentence() for p in problems]
    groups = group_problems(problems)
    lines = [f"{len(problems)} problems in {len(groups)} groups (column and rule):"]
    lines += [f"  {g.line()}" for g in groups[:screenful]]
    if len(groups) > screenful:
        lines.append(f"  … {len(groups) - screenful} more groups, in the CSV file")
    return lines


def write_problems_csv(problems: list[Problem], folder: str | os.PathLike) -> Path:
    """Write every problem to `folder/problems.csv` (UTF-8 with BOM, so Excel reads the accents) and
    return the path: file, row label, row, column, value, rule, likely cause, sentence."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PROBLEMS_FILE
    causes = {(g.column, g.rule): g.cause() or "" for g in group_problems(problems)}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "row_label", "row", "column", "value", "rule", "likely_cause", "sentence"])
        for p in problems:
            writer.writerow(
                [
                    p.file,
                    p.row_label,
                    "" if p.row is None else p.row,
                    p.column or "",
                    "" if p.value is None else p.value,
                    p.rule,
                    causes[(p.column, rule_kind(p.rule))],
                    p.sentence(),
                ]
            )
    return path


def from_provenance(provenance: dict) -> list[Problem]:
    """The problems a portfolio's provenance keeps (dicts), as `Problem`s."""
    return [
        Problem(
            provenance.get("source", ""),
            d["rule"],
            d.get("row"),
            d.get("column"),
            d.get("value"),
            provenance.get("row_label", "line"),
        )
        for d in provenance.get("problems", [])
    ]
