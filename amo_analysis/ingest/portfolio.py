"""A validated portfolio and the one function that makes it: `load_portfolio`.

Where it sits: the end of the flow, which runs one way:

    sources → cells → mapping → privacy → contract → metrics → portfolio

`sources` reads the raw table (with `text`, `excel` or `tables`), `mapping` names its columns,
`privacy` drops personal data, `contract` reads the cells (with `cells`), types and validates them,
and hands the typed table to `metrics` for the derived columns. Imports follow the flow and never
come back: `columns` (the catalogue), `cells` and `metrics` import nothing of the package; `mapping`
imports `cells`; `privacy` imports `cells` and `mapping`; `contract` imports `cells` and `metrics`;
this module imports the stages (tests/ingest/test_flow.py checks it). The result, a `Portfolio`,
carries the data and its provenance (what was detected, recognised, dropped, excluded and why).
`dictionary` writes the data dictionary beside this flow.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from datetime import date as dt_date

import pandas as pd

from amo_analysis.ingest import contract
from amo_analysis.ingest import mapping as mapping_mod
from amo_analysis.ingest import metrics
from amo_analysis.ingest import privacy
from amo_analysis.ingest import sources
from amo_analysis.ingest.shared_table import read_shared_table, write_shared_table
from amo_analysis.errors import InputError, Problem
from amo_analysis.i18n import Message, to_json_text
from amo_analysis.memory import release_arrow_memory
from amo_analysis.results_display import ResultDisplay, short

PORTFOLIO_FILE = "portfolio.parquet"
PROVENANCE_FILE = "provenance.json"
#: the run's memory-mapped copy of `PORTFOLIO_FILE` that its kernels share (`save_shared`), removed
#: before the run is published
SHARED_TABLE_FILE = "portfolio.arrow"


@dataclass(repr=False)
class Portfolio(ResultDisplay):
    """Validated project table (one row per project, canonical + derived columns) and its provenance.

    `data.index` holds each project's row number in the user's file (CSV line or Excel row), so every
    message can point back at the source. In a console or JupyterLab it shows as a short summary
    (source, projects, practice, period, columns); `summary()` adds the provenance counts.
    """

    data: pd.DataFrame
    source_name: str
    checksum: str
    detection: list[str] = field(default_factory=list)
    recognised: dict[str, str] = field(default_factory=dict)
    unrecognised: list[str] = field(default_factory=list)
    personal_columns: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    excluded_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: dict[str, int] = field(default_factory=dict)
    cost_unit: str = "EUR"
    practice_name: str = "AMO"
    row_label: str = "line"
    #: one dict per source of a collection (`collection.load_collection`): name, kind, organisations,
    #: n_projects, checksum; empty for a single source
    sources: list[dict] = field(default_factory=list)
    #: who may be named (`collection.publishable`): min_org_size, withheld (labels of the small
    #: organisations), focus, peers; empty when nothing was renamed
    disclosure: dict = field(default_factory=dict)
    has_practice: bool = True
    """False when the source has no practice column: `amo` is blank on every row, and only the
    analyses that need no practice run (overview, forecast, benchmarks)."""
    as_of: str | None = None
    """The date (ISO) at which the export was taken: running projects' elapsed time ends there
    (`at`). None until `at` is called, or when the export has no start date nor actual go-live."""
    as_of_given: bool = False
    """True when the user gave the as-of date (`--as-of`), False when it is the latest observed date."""

    @property
    def n_projects(self) -> int:
        return len(self.data)

    def _display_title(self) -> str:
        return f"Portfolio {short(self.source_name, 60)}"

    def _display_rows(self) -> list[tuple[str, str]]:
        period = self.period()
        if self.has_practice and "amo" in self.data:
            with_practice = int(self.data["amo"].fillna(False).astype(bool).sum())
            practice = (
                f"{self.practice_name} (column amo): {with_practice} with, {self.n_projects - with_practice} without"
            )
        else:
            practice = "none (no practice column)"
        return [
            ("Projects", str(self.n_projects)),
            ("Practice", practice),
            ("Period", "—" if period is None else f"{period[0]} to {period[1]}"),
            ("Columns", f"{self.data.shape[1]} ({short(', '.join(map(str, self.data.columns)), 120)})"),
            ("Rows excluded", str(len(self.excluded_rows))),
            ("Problems", str(len(self.problems))),
            ("Unrecognised columns", short(", ".join(self.unrecognised), 80) or "none"),
            ("Cost unit", self.cost_unit),
            ("Checksum", short(self.checksum, 16)),
        ]

    def _repr_rows(self) -> list[tuple[str, str]]:
        return [row for row in self._display_rows() if row[0] in ("Projects", "Practice", "Period")]

    def provenance(self) -> dict:
        """Everything about where the data came from, JSON-serialisable (no data values)."""
        return {
            "source": self.source_name,
            "checksum": self.checksum,
            "detection": [str(line) for line in self.detection],
            "detection_translatable": [to_json_text(line) for line in self.detection],
            "recognised_columns": dict(self.recognised),
            "unrecognised_columns": list(self.unrecognised),
            "personal_columns_dropped": list(self.personal_columns),
            "problems": list(self.problems),
            "excluded_rows": [int(r) for r in self.excluded_rows],
            "notes": [str(note) for note in self.notes],
            "notes_translatable": [to_json_text(note) for note in self.notes],
            "missing_values": {k: int(v) for k, v in self.missing.items()},
            "cost_unit": self.cost_unit,
            "practice_name": self.practice_name,
            "has_practice": self.has_practice,
            "row_label": self.row_label,
            "n_projects": self.n_projects,
            "period": self.period(),
            "as_of": self.as_of,
            "as_of_given": self.as_of_given,
            "n_running": self.n_running,
            **({"sources": list(self.sources)} if self.sources else {}),
            **({"disclosure": dict(self.disclosure)} if self.disclosure else {}),
        }

    @property
    def n_running(self) -> int:
        """Projects still running at the as-of date (`metrics.running_projects`)."""
        return int(self.data["running"].sum()) if "running" in self.data else 0

    def at(self, as_of: str | None = None) -> "Portfolio":
        """This portfolio as of a date: `running` and `elapsed_days` (`metrics.with_running`) computed
        to `as_of` (text YYYY-MM-DD, a date, or None for the latest observed date,
        `metrics.latest_observed`). Raises `InputError` (one sentence) when `as_of` is not a date or
        is before a date the export records as having happened."""
        date = parse_as_of(as_of, self.data, self.source_name, self.row_label)
        given = as_of is not None and str(as_of).strip() != ""
        data = metrics.with_running(self.data, date)
        return dataclasses.replace(
            self, data=data, as_of=None if date is None else f"{date:%Y-%m-%d}", as_of_given=given
        )

    def period(self) -> list[str] | None:
        """First and last start dates (ISO), or None when the portfolio has no start dates."""
        if "start_date" not in self.data or self.data["start_date"].isna().all():
            return None
        start = pd.to_datetime(self.data["start_date"])
        return [f"{start.min():%Y-%m-%d}", f"{start.max():%Y-%m-%d}"]

    def save(self, folder: str | os.PathLike) -> Path:
        """Write `portfolio.parquet` and `provenance.json` into `folder`; returns the Parquet path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        frame = self.data.copy(deep=False)  # a new frame over the same arrays: its attrs only are dropped
        frame.attrs = {}
        path = folder / PORTFOLIO_FILE
        frame.to_parquet(path)
        (folder / PROVENANCE_FILE).write_text(
            json.dumps(self.provenance(), indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        return path

    def save_shared(self, parquet_path: str | os.PathLike) -> Path | None:
        """Write beside `parquet_path` (written by `save`) the memory-mapped copy of the table that
        `load` reads in place (`ingest.shared_table`), so that the kernels of a run share one copy of
        the table instead of holding one each; returns its path (None if the table cannot be stored
        so). The suite runner removes it before publishing the run. The frame's attrs are not written."""
        parquet_path = Path(parquet_path)
        return write_shared_table(self.data, parquet_path.parent / SHARED_TABLE_FILE, parquet_path)

    @classmethod
    def load(cls, parquet_path: str | os.PathLike) -> "Portfolio":
        """Read a portfolio saved by `save` (the runner does this once per run; each notebook reads it),
        in place from its memory-mapped copy when `save_shared` wrote one beside it.

        The Parquet reader's buffers, freed once the frame is built, go back to the system: Arrow's
        allocator would keep them for reuse (226 MB in every notebook's kernel at 10⁶ projects, two
        kernels at a time)."""
        parquet_path = Path(parquet_path)
        data = read_shared_table(parquet_path.parent / SHARED_TABLE_FILE, parquet_path)
        if data is None:
            data = pd.read_parquet(parquet_path)
        release_arrow_memory()
        prov = json.loads((parquet_path.parent / PROVENANCE_FILE).read_text(encoding="utf-8"))
        stored = {f.name: _PROVENANCE_KEYS.get(f.name, f.name) for f in dataclasses.fields(cls)}
        return cls(
            data=data,
            **{name: prov[key] for name, key in stored.items() if key in prov and name not in _TRANSLATABLE},
            **{
                name: [Message.from_json(line) for line in prov.get(f"{name}_translatable", prov[name])]
                for name in _TRANSLATABLE
            },
        )


#: the provenance key of a `Portfolio` field, where it is not the field's own name
_PROVENANCE_KEYS = {
    "source_name": "source",
    "recognised": "recognised_columns",
    "unrecognised": "unrecognised_columns",
    "personal_columns": "personal_columns_dropped",
    "missing": "missing_values",
}
#: the fields stored twice, as text and as translatable messages (`<name>_translatable`)
_TRANSLATABLE = ("detection", "notes")


_OBSERVED_WORDS = {"start_date": "start date", "golive_actual": "actual go-live"}


def parse_as_of(as_of, data: pd.DataFrame, file: str = "the export", row_label: str = "line") -> pd.Timestamp | None:
    """The as-of date: `as_of` (YYYY-MM-DD text or a date) checked against the export, or the latest
    observed date (`metrics.latest_observed`) when `as_of` is None or blank. A value that is not a
    date, or a date before the latest start or actual go-live of the export, is an `InputError` of
    one sentence (an export cannot be taken before a date it records)."""
    latest, column, row = metrics.latest_observed(data)
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        return latest
    text = str(as_of).strip()
    try:
        date = pd.Timestamp(as_of) if not isinstance(as_of, str) else pd.Timestamp(dt_date.fromisoformat(text))
    except (ValueError, TypeError):
        raise InputError(
            f"--as-of {text!r} is not a date; give the date the export was taken as YYYY-MM-DD, for example 2024-06-30."
        ) from None
    date = date.normalize()
    if latest is not None and date < latest:
        raise InputError(
            f"--as-of {date:%Y-%m-%d} is before the {_OBSERVED_WORDS[column]} {latest:%Y-%m-%d} of {file}, "
            f"{row_label} {row}: the export cannot have been taken before a date it records; give a date on "
            f"or after {latest:%Y-%m-%d}, or leave --as-of out to use it."
        )
    return date


# Header words that mark an extra column as the project's name (pseudonymised with the ids).
_NAME_WORDS = frozenset({"name", "names", "nom", "noms", "libelle", "intitule", "title", "titre", "designation"})


def project_name_columns(data: pd.DataFrame) -> list[str]:
    """Extra (non-canonical) text columns whose header names a project ("Project name", "Nom du
    projet", "Libellé"): `pseudonymise` hashes them together with ``project_id``."""
    from amo_analysis.ingest.columns import BY_NAME

    found = []
    for column in data.columns:
        name = str(column)
        if name in BY_NAME or not (data[column].dtype == object or pd.api.types.is_string_dtype(data[column])):
            continue
        if set(mapping_mod.normalise_header(name).split()) & _NAME_WORDS:
            found.append(name)
    return found


def problem_message(p: Problem) -> Message:
    """`p.sentence()` as a message, so a report shows it in its language (the rule too when it is one)."""
    key = "problem_" + "".join(
        part for part, given in (("r", p.row), ("c", p.column), ("v", p.value)) if given is not None
    )
    values: dict = {"file": p.file, "rule": p.rule}
    if p.row is not None:
        values.update(label=contract.row_label_word(p.row_label), row=p.row)
    if p.column is not None:
        values["column"] = p.column
    if p.value is not None:
        text = repr(p.value) if isinstance(p.value, str) else str(p.value)
        values["value"] = text if len(text) <= 60 else text[:59] + "…"
    return Message(key if key != "problem_" else "problem_file", **values)


def _problem_dict(p: Problem) -> dict:
    return {
        "row": p.row,
        "column": p.column,
        "value": None if p.value is None else str(p.value),
        "rule": str(p.rule),
        "sentence": p.sentence(),
        "sentence_translatable": to_json_text(problem_message(p)),
    }


def load_portfolio(
    source: str | os.PathLike,
    mapping: str | os.PathLike | mapping_mod.Mapping | None = None,
    *,
    drop_invalid: bool = False,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    tolerances: metrics.OutcomeTolerances = metrics.OutcomeTolerances(),
    cost_unit: str | None = None,
    pseudonymise: bool = False,
    salt: str | None = None,
    as_of=None,
) -> Portfolio:
    """Read, map, strip personal data from, validate and enrich a portfolio export.

    `source` is a file (CSV/TSV, XLSX, Parquet, SQLite, DuckDB) or a SQLAlchemy URL (with `query`
    or `table`). `mapping` is a TOML mapping file or a `Mapping`. Strict by default: any row that
    breaks the contract raises `ContractError` listing every offending cell; `drop_invalid=True`
    excludes those rows instead and records them. `cost_unit` overrides the mapping's unit.
    `pseudonymise` replaces project ids and project names (`project_name_columns`) by salted
    hashes (`salt`, or a fresh random one; never stored). `as_of` is the date the export was taken
    (`Portfolio.at`; None: the latest start date or actual go-live it records).
    """
    raw, info = sources.read_source(source, sheet=sheet, table=table, query=query)
    if mapping is not None and not isinstance(mapping, mapping_mod.Mapping):
        mapping = mapping_mod.load_mapping(mapping)
    mapped, report = mapping_mod.apply_mapping(raw, mapping, info.display_name)
    cleaned, personal = privacy.drop_personal_columns(mapped)
    cleaned.attrs = dict(mapped.attrs)
    result = contract.validate_portfolio(
        cleaned,
        file=info.display_name,
        row_label=info.row_label,
        decimal=info.decimal,
        thousands=info.thousands,
        drop_invalid=drop_invalid,
        tolerances=tolerances,
    )
    data = result.data
    if pseudonymise:
        data = privacy.pseudonymise(data, columns=("project_id", *project_name_columns(data)), salt=salt)
    attrs = dict(mapped.attrs)
    # what reading needed (source headers, vocabularies, the cost unit) is now in the Portfolio's fields:
    # the frame carries no attrs, which pandas would deep-copy on every operation an analysis does
    data.attrs = {}
    unit = cost_unit or attrs.get("cost_unit") or "EUR"
    if len(data) == 0:
        raise InputError(f"{info.display_name} has no project left to analyse.")
    return Portfolio(
        data=data,
        source_name=info.display_name,
        checksum=info.checksum,
        detection=info.describe(),
        recognised=dict(report.recognised),
        unrecognised=[c for c in report.unrecognised if c not in {p.column for p in personal}],
        personal_columns=[
            {"column": p.column, "reason": str(p.reason), "reason_translatable": to_json_text(p.reason)}
            for p in personal
        ],
        problems=[_problem_dict(p) for p in result.problems],
        excluded_rows=list(result.excluded_rows),
        notes=list(report.notes) + list(result.notes),
        missing=dict(result.missing),
        cost_unit=unit,
        practice_name=attrs.get("practice_name") or "AMO",
        row_label=info.row_label,
        has_practice=result.has_practice,
    ).at(as_of)
