"""What changed between two runs: `amo-analysis diff OLD NEW`, and the summary page's
"Since the previous run".

Two runs are compared record by record (`results.json`, matched by the stable record `name`, see
reports/README.md): a record has changed when its value or either end of its interval moved by more
than float noise (`Defaults.diff_rel_tol`, `diff_abs_tol`) or when its verdict changed; a record
present in one run only has changed too. Verdict flips come first, then the other changes, largest
first. Figures (records of kind "figure") are files, not numbers, and are not compared. The inputs
are compared too: the source, its checksum and size, the run's parameters, seed, language and the
package version.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from amo_analysis.defaults import DEFAULTS
from amo_analysis.errors import InputError
from amo_analysis.i18n import format_points, translate
from amo_analysis.report.html import format_value

RESULTS_FILE = "results.json"
#: record units whose change is a difference of two fractions, shown in percentage points
FRACTION_UNITS = {"fraction", "share", "percent change", "percentage points", "percent change of the mean"}


@dataclass(frozen=True)
class RecordChange:
    """One record of the two runs: old and new value (in the record's `unit`), `change` = new − old
    (None when either is missing), intervals as [low, high] and verdicts (None when the record has
    none). `label` is the new run's (the old one's when the record was dropped)."""

    name: str
    label: str
    unit: str
    old: float | None
    new: float | None
    change: float | None
    old_ci: list | None
    new_ci: list | None
    old_verdict: str | None
    new_verdict: str | None

    present_old: bool = True  # the record is in the old run
    present_new: bool = True
    headline: bool = False  # a headline record of the new run (of the old one when dropped)

    @property
    def flipped(self) -> bool:
        """The verdict of a record of both runs changed."""
        return self.present_old and self.present_new and self.old_verdict != self.new_verdict

    @property
    def added(self) -> bool:
        return self.present_new and not self.present_old

    @property
    def removed(self) -> bool:
        return self.present_old and not self.present_new

    def to_json(self) -> dict:
        """The `--json` entry: {name, label, unit, old, new, change, old_ci, new_ci, old_verdict,
        new_verdict}; a record of one run only has null for the other's value, interval and verdict."""
        entry = asdict(self)
        del entry["present_old"], entry["present_new"], entry["headline"]
        return entry


@dataclass(frozen=True)
class InputChange:
    """One input of the run that differs: `what` is a key of the locale files (diff_input_*)."""

    what: str
    old: object
    new: object


@dataclass(frozen=True)
class RunDiff:
    old_run: str  # run id (folder name) or path of the old run
    new_run: str
    changes: list[RecordChange]  # flips first, then the others by size of the change
    inputs: list[InputChange]
    compared: int  # records present in either run (figures left out)

    @property
    def flips(self) -> list[RecordChange]:
        return [c for c in self.changes if c.flipped]

    def to_json(self) -> list[dict]:
        return [c.to_json() for c in self.changes]


def read_results(path: str | os.PathLike) -> dict:
    """The `results.json` document of a run folder (or of the file itself); one sentence when it
    cannot be read or is not a run's results."""
    path = Path(path)
    file = path / RESULTS_FILE if path.is_dir() else path
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} is not a run folder nor its {RESULTS_FILE}: {file} does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{file} cannot be read as a run's {RESULTS_FILE}: {exc}.") from None
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise InputError(f"{file} is not a run's {RESULTS_FILE}: it has no list of results.")
    return document


def _close(a: float | None, b: float | None, rel_tol: float, abs_tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return a == b
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def _numbers(records: list[dict]) -> dict[str, dict]:
    return {r["name"]: r for r in records if isinstance(r, dict) and "name" in r and r.get("kind") != "figure"}


def _ci(rec: dict | None) -> list | None:
    if rec is None or (rec.get("ci_low") is None and rec.get("ci_high") is None):
        return None
    return [rec.get("ci_low"), rec.get("ci_high")]


def _size(change: RecordChange) -> float:
    """How far a record moved, comparable across units: relative to the old value's size."""
    if change.change is None:  # a value appeared or vanished: after the numbers that moved
        return -1.0
    scale = max(abs(change.old or 0.0), abs(change.new or 0.0), 1e-12)
    return abs(change.change) / scale if change.unit not in FRACTION_UNITS else abs(change.change)


def _input_changes(old: dict, new: dict) -> list[InputChange]:
    po, pn = old.get("provenance", {}), new.get("provenance", {})
    ro, rn = old.get("run", {}), new.get("run", {})
    pairs = [
        ("diff_input_source", po.get("source"), pn.get("source")),
        ("diff_input_checksum", po.get("checksum"), pn.get("checksum")),
        ("diff_input_projects", po.get("n_projects"), pn.get("n_projects")),
        ("diff_input_parameters", ro.get("parameters", {}), rn.get("parameters", {})),
        ("diff_input_notebook_parameters", ro.get("notebook_parameters", {}), rn.get("notebook_parameters", {})),
        ("diff_input_seed", ro.get("seed"), rn.get("seed")),
        ("diff_input_lang", ro.get("lang"), rn.get("lang")),
        ("diff_input_version", old.get("package_version"), new.get("package_version")),
    ]
    return [InputChange(what, a, b) for what, a, b in pairs if a != b]


def diff_documents(
    old: dict,
    new: dict,
    *,
    all_records: bool = False,
    rel_tol: float = DEFAULTS.diff_rel_tol,
    abs_tol: float = DEFAULTS.diff_abs_tol,
    old_run: str = "",
    new_run: str = "",
) -> RunDiff:
    """Compare two `results.json` documents (see module docstring); `all_records` keeps the records
    that did not change too. Runs of different practices or cost units cannot be compared."""
    for key in ("practice_name", "cost_unit"):
        a, b = old.get("provenance", {}).get(key), new.get("provenance", {}).get(key)
        if a and b and a != b:
            raise InputError(f"the two runs cannot be compared: the old one's {key} is {a!r}, the new one's {b!r}.")
    before, after = _numbers(old["results"]), _numbers(new["results"])
    names = list(after) + [n for n in before if n not in after]
    changes = []
    for name in names:
        o, n = before.get(name), after.get(name)
        old_value = None if o is None else o.get("value")
        new_value = None if n is None else n.get("value")
        ref = n if n is not None else o
        change = RecordChange(
            name=name,
            label=str(ref.get("label") or name),
            unit=str(ref.get("unit") or ""),
            old=old_value,
            new=new_value,
            change=(
                new_value - old_value
                if isinstance(old_value, (int, float)) and isinstance(new_value, (int, float))
                else None
            ),
            old_ci=_ci(o),
            new_ci=_ci(n),
            old_verdict=None if o is None else o.get("verdict"),
            new_verdict=None if n is None else n.get("verdict"),
            present_old=o is not None,
            present_new=n is not None,
            headline=bool(ref.get("headline")),
        )
        same = (
            o is not None
            and n is not None
            and not change.flipped
            and _close(old_value, new_value, rel_tol, abs_tol)
            and all(_close(o.get(k), n.get(k), rel_tol, abs_tol) for k in ("ci_low", "ci_high"))
        )
        if all_records or not same:
            changes.append(change)
    changes.sort(key=lambda c: (not c.flipped, c.added or c.removed, -_size(c) if not c.flipped else 0.0))
    old_run = old_run or old.get("generated", {}).get("run_id", "")
    new_run = new_run or new.get("generated", {}).get("run_id", "")
    return RunDiff(old_run, new_run, changes, _input_changes(old, new), len(names))


def diff_runs(old: str | os.PathLike, new: str | os.PathLike, *, all_records: bool = False) -> RunDiff:
    """Compare two run folders (or their `results.json`)."""
    return diff_documents(
        read_results(old), read_results(new), all_records=all_records, old_run=str(old), new_run=str(new)
    )


def format_change(change: float | None, unit: str, lang: str, cost_unit: str = "EUR") -> str:
    """new − old as a reader sees it: percentage points for fractions, signed otherwise."""
    if change is None:
        return "–"
    if unit in FRACTION_UNITS:
        return format_points(change, lang)
    text = format_value(change, unit, lang, cost_unit)
    return text if text.startswith(("−", "+", "–")) or change == 0 else "+" + text


def format_interval(ci: list | None, unit: str, lang: str, cost_unit: str = "EUR") -> str:
    if not ci:
        return ""
    return f"[{format_value(ci[0], unit, lang, cost_unit)} … {format_value(ci[1], unit, lang, cost_unit)}]"


def verdict_word(verdict: str | None, lang: str) -> str:
    return translate(verdict, lang) if verdict else translate("diff_no_verdict", lang)


def describe(diff: RunDiff, lang: str = "en", cost_unit: str = "EUR") -> str:
    """The diff as text, in the manner of `dvc metrics diff`: inputs that differ, verdict flips,
    then the other records with old, new and change."""
    lines = [translate("diff_header", lang, old=diff.old_run, new=diff.new_run)]
    if diff.inputs:
        lines.append(translate("diff_inputs", lang))
        for item in diff.inputs:
            lines.append(f"  {translate(item.what, lang)}: {item.old} → {item.new}")
    flips = diff.flips
    others = [c for c in diff.changes if not c.flipped and not c.added and not c.removed]
    if flips:
        lines.append(translate("diff_flips", lang, n=len(flips)))
        for c in flips:
            lines.append(f"  {c.label}: {verdict_word(c.old_verdict, lang)} → {verdict_word(c.new_verdict, lang)}")
    if others:
        lines.append(translate("diff_moves", lang, n=len(others)))
        for c in others:
            old = format_value(c.old, c.unit, lang, cost_unit) + (
                f" {format_interval(c.old_ci, c.unit, lang, cost_unit)}" if c.old_ci else ""
            )
            new = format_value(c.new, c.unit, lang, cost_unit) + (
                f" {format_interval(c.new_ci, c.unit, lang, cost_unit)}" if c.new_ci else ""
            )
            lines.append(f"  {c.label} ({c.name}): {old} → {new} ({format_change(c.change, c.unit, lang, cost_unit)})")
    for key, records in (
        ("diff_added", [c for c in diff.changes if c.added]),
        ("diff_removed", [c for c in diff.changes if c.removed]),
    ):
        if records:
            lines.append(translate(key, lang, n=len(records)))
            lines += [
                f"  {c.label} ({c.name}): {format_value(c.new if c.added else c.old, c.unit, lang, cost_unit)}"
                for c in records
            ]
    if not diff.changes:
        lines.append(translate("diff_nothing", lang, n=diff.compared))
    return "\n".join(lines)


def previous_run_summary(
    diff: RunDiff, href: str, generated: str, lang: str, cost_unit: str = "EUR", moves: int | None = None
) -> dict:
    """What the summary page shows under "Since the previous run": the flips and the `moves`
    largest other changes (headline records first), already formatted, and the link to the
    previous run's page."""
    moves = DEFAULTS.diff_largest_moves if moves is None else moves
    flips = [
        {"label": c.label, "old": verdict_word(c.old_verdict, lang), "new": verdict_word(c.new_verdict, lang)}
        for c in diff.flips
    ]
    moved = [c for c in diff.changes if not c.flipped and c.change is not None]
    others = ([c for c in moved if c.headline] + [c for c in moved if not c.headline])[:moves]
    return {
        "href": href,
        "run_id": diff.old_run,
        "generated": generated,
        "flips": flips,
        "moves": [
            {
                "label": c.label,
                "old": format_value(c.old, c.unit, lang, cost_unit),
                "new": format_value(c.new, c.unit, lang, cost_unit),
                "change": format_change(c.change, c.unit, lang, cost_unit),
            }
            for c in others
        ],
        "inputs": [translate(i.what, lang) for i in diff.inputs],
        "n_changed": len(diff.changes),
    }


def since_previous(previous: Path | None, document: dict, lang: str) -> dict | None:
    """The summary page's "Since the previous run" (see `suite.diff.previous_run_summary`) when
    `previous` is a run of a source with the same name as `document`'s; None otherwise (or when the
    previous run cannot be read or compared)."""
    if previous is None or previous.name == document.get("generated", {}).get("run_id"):
        return None
    try:
        old = read_results(previous)
        if old.get("provenance", {}).get("source") != document["provenance"].get("source"):
            return None
        diff = diff_documents(old, document, old_run=previous.name)
    except InputError:
        return None
    return previous_run_summary(
        diff,
        f"../{previous.name}/index.html",
        old.get("generated", {}).get("at", ""),
        lang,
        document["provenance"].get("cost_unit", "EUR"),
    )
