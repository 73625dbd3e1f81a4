"""Many client exports in, one portfolio out (`load_collection`), and who may be named in it (`publishable`).

Where it sits: beside `portfolio`, one step after it. A consultancy pooling its clients' projects holds
one export per client, each in that client's format. `source_files` turns what `--data` was given (a
folder, a glob, several paths) into the table files found; `load_collection` reads each one as its own
source with `portfolio.load_portfolio` (its own detection of delimiter, decimal mark, encoding and
header row; every sheet with a table of a workbook is a source) and pools them:

* the organisation of a project is its organisation column, else the source's name (the file stem);
* project ids that repeat across sources are namespaced by source (``client_beta/P-001``, said in the
  notes); within one source a duplicate stays an error, as in any single export;
* one mapping (`--mapping`) applies to every source; a mapping file beside a source with the same
  stem (``client_beta.toml`` next to ``client_beta.xlsx``) applies to that source instead;
* strict as a single export: a problem in any source stops the run with a sentence naming source,
  line, column and value (the readers' and the contract's own errors).

`publishable` then applies the publishing rules before anything is written (k-anonymity): an
organisation with fewer than `min_org_size` projects is never named — its projects keep counting in
every pooled figure, under a label such as "other organisation 1", and its name is replaced in the
provenance too (source names, detection lines, notes, problems); with `focus` (a client-facing
edition) every other named organisation becomes "Peer A", "Peer B", … in an order drawn from the
seed, the same throughout a run.
"""

from __future__ import annotations

import glob
import hashlib
import os
import secrets
from pathlib import Path

import pandas as pd

from amo_analysis.errors import InputError
from amo_analysis.i18n import Message, translate
from amo_analysis.ingest import mapping as mapping_mod
from amo_analysis.ingest import metrics
from amo_analysis.ingest.portfolio import Portfolio, load_portfolio
from amo_analysis.ingest.sources import XLSX_EXTENSIONS, table_sheets

#: extensions of the files a folder or a glob contributes as sources
TABLE_EXTENSIONS = frozenset(
    {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq", ".sqlite", ".sqlite3", ".db", ".duckdb", ".ddb"}
)
GLOB_CHARACTERS = frozenset("*?[")
ORGANISATION = "organisation"


def _is_url(item: object) -> bool:
    return isinstance(item, str) and "://" in item


def _is_glob(item: object) -> bool:
    return isinstance(item, str) and bool(GLOB_CHARACTERS & set(item)) and not Path(item).expanduser().exists()


def is_collection(data) -> bool:
    """True when `data` names several sources: a list of more than one, a folder, or a glob pattern."""
    items = list(data) if isinstance(data, (list, tuple)) else [data]
    if len(items) > 1:
        return True
    item = items[0]
    if _is_url(item):
        return False
    return _is_glob(str(item)) or Path(item).expanduser().is_dir()


def _table_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in TABLE_EXTENSIONS
        and not p.name.startswith((".", "~$"))  # hidden files, Excel's lock files of open workbooks
    )


def source_files(data) -> list[Path]:
    """The table files named by `data` (a path, a folder, a glob, or a list of them), each once, in
    the order given (a folder's and a glob's files sorted by name). Raises `InputError` for a name
    that matches nothing, a folder without table files, or a database URL among several sources."""
    items = list(data) if isinstance(data, (list, tuple)) else [data]
    found: dict[Path, None] = {}
    for item in items:
        if _is_url(item):
            if len(items) > 1:
                raise InputError("a database URL cannot be pooled with other sources; export it to a file first.")
            raise InputError("a database URL is one source, not a collection.")
        text = str(item)
        path = Path(text).expanduser()
        if _is_glob(text):
            matches = [Path(p) for p in sorted(glob.glob(str(path))) if Path(p).is_file()]
            matches = [p for p in matches if p.suffix.lower() in TABLE_EXTENSIONS and not p.name.startswith("~$")]
            if not matches:
                raise InputError(
                    f"{text}: no table file (CSV, TSV, XLSX, Parquet, SQLite, DuckDB) matches this pattern."
                )
        elif path.is_dir():
            matches = _table_files(path)
            if not matches:
                raise InputError(
                    f"{path.name or text}: the folder holds no table file (CSV, TSV, XLSX, Parquet, SQLite, DuckDB)."
                )
        elif not path.exists():
            raise InputError(f"{path.name or text}: the file does not exist (looked for {path.absolute()}).")
        else:
            matches = [path]
        for match in matches:
            found.setdefault(match.resolve(), None)
    return list(found)


def _collection_name(data, files: list[Path]) -> str:
    items = list(data) if isinstance(data, (list, tuple)) else [data]
    if len(items) == 1 and Path(str(items[0])).expanduser().is_dir():
        return f"{Path(str(items[0])).expanduser().resolve().name}/ ({len(files)} files)"
    names = [f.name for f in files]
    return " + ".join(names) if len(names) <= 3 else f"{names[0]} + {len(names) - 1} more files"


def _source_mapping(path: Path, mapping):
    """The mapping of one source: a TOML file beside it with its stem, else the collection's."""
    beside = path.with_suffix(".toml")
    return (beside, True) if beside.is_file() else (mapping, False)


def load_collection(
    data,
    mapping: str | os.PathLike | mapping_mod.Mapping | None = None,
    *,
    drop_invalid: bool = False,
    tolerances: metrics.OutcomeTolerances = metrics.OutcomeTolerances(),
    cost_unit: str | None = None,
    pseudonymise: bool = False,
    salt: str | None = None,
    as_of=None,
) -> Portfolio:
    """Read every source named by `data` (see `source_files`) and pool them into one `Portfolio`.

    The pooled table is indexed 1…n in source order; `Portfolio.sources` lists each source (name,
    kind, organisations, projects, checksum) and the detection lines of every source follow each
    other. `pseudonymise` uses one salt for every source (the same id hashes alike everywhere).
    `as_of` is the date the exports were taken (`Portfolio.at`; None: the latest observed date of all).
    """
    files = source_files(data)
    if mapping is not None and not isinstance(mapping, mapping_mod.Mapping):
        mapping = mapping_mod.load_mapping(mapping)
    salt = salt if salt is not None else (secrets.token_hex(32) if pseudonymise else None)
    specs = []
    for path in files:
        sheets = table_sheets(path) if path.suffix.lower() in XLSX_EXTENSIONS else []
        if len(sheets) > 1:
            specs.extend((path, sheet, f"{path.stem}.{sheet}") for sheet in sheets)
        else:
            specs.append((path, None, path.stem))
    parts: list[tuple[str, Portfolio]] = []
    sources: list[dict] = []
    notes: list = []
    for path, sheet, label in specs:
        source_mapping, beside = _source_mapping(path, mapping)
        part = load_portfolio(
            path,
            source_mapping,
            drop_invalid=drop_invalid,
            sheet=sheet,
            tolerances=tolerances,
            cost_unit=cost_unit,
            pseudonymise=pseudonymise,
            salt=salt,
        )
        name = part.source_name if sheet is None else f"{part.source_name} [{sheet}]"
        frame = part.data
        if ORGANISATION not in frame or frame[ORGANISATION].isna().all():
            frame = frame.assign(**{ORGANISATION: path.stem})
            notes.append(Message("collection_org_from_name", source=name, organisation=path.stem))
        elif frame[ORGANISATION].isna().any():
            n_blank = int(frame[ORGANISATION].isna().sum())
            frame = frame.assign(**{ORGANISATION: frame[ORGANISATION].fillna(path.stem)})
            notes.append(Message("collection_org_blank", source=name, n=n_blank, organisation=path.stem))
        if beside:
            notes.append(Message("collection_own_mapping", source=name, mapping=Path(source_mapping).name))
        part.data = frame
        parts.append((label, part))
        sources.append(
            {
                "name": name,
                "label": label,
                "kind": next((line.split("(")[-1].rstrip(")") for line in part.detection[:1]), ""),
                "organisations": sorted(str(o) for o in frame[ORGANISATION].unique()),
                "n_projects": part.n_projects,
                "checksum": part.checksum,
            }
        )
        notes.extend(Message("collection_source_note", source=name, note=note) for note in part.notes)

    _check_agreement(parts, "cost_unit", "collection_cost_units")
    _check_agreement(parts, "practice_name", "collection_practices")
    frames = [part.data.assign(_source=label) for label, part in parts]
    pooled = pd.concat(frames, ignore_index=True, sort=False)
    ids = pooled["project_id"].astype(str)
    spread = pooled.groupby(ids)["_source"].transform("nunique")  # sources each id appears in
    repeated = spread > 1
    if repeated.any():
        pooled.loc[repeated, "project_id"] = pooled.loc[repeated, "_source"] + "/" + ids[repeated]
        notes.append(
            Message(
                "collection_ids_namespaced",
                n=int(ids[repeated].nunique()),
                sources=int(pooled.loc[repeated, "_source"].nunique()),
            )
        )
    pooled = pooled.drop(columns="_source")
    pooled.index = pd.RangeIndex(1, len(pooled) + 1, name="record")
    pooled.attrs = {}
    first = parts[0][1]
    return Portfolio(
        data=pooled,
        source_name=_collection_name(data, files),
        checksum="sha256:" + hashlib.sha256("\n".join(sorted(s["checksum"] for s in sources)).encode()).hexdigest(),
        detection=[line for _, part in parts for line in part.detection],
        recognised={k: v for _, part in parts for k, v in part.recognised.items()},
        unrecognised=list(dict.fromkeys(c for _, part in parts for c in part.unrecognised)),
        personal_columns=[
            {**p, "source": s["name"]} for (_, part), s in zip(parts, sources) for p in part.personal_columns
        ],
        problems=[p for _, part in parts for p in part.problems],
        excluded_rows=[r for _, part in parts for r in part.excluded_rows],
        notes=notes,
        missing={c: int(pooled[c].isna().sum()) for c in first.missing if c in pooled},
        cost_unit=first.cost_unit,
        practice_name=first.practice_name,
        row_label="record",
        sources=sources,
    ).at(as_of)


def _check_agreement(parts, attribute: str, key: str) -> None:
    values = {getattr(part, attribute) for _, part in parts}
    if len(values) > 1:
        detail = ", ".join(f"{part.source_name}: {getattr(part, attribute)}" for _, part in parts)
        raise InputError(translate(key, detail=detail))


def load_any(data, mapping=None, **options) -> Portfolio:
    """`load_collection` when `data` names several sources (`is_collection`), else `load_portfolio`
    (with `sheet`, `table` and `query`, which only a single source takes)."""
    if is_collection(data):
        given = [k for k in ("sheet", "table", "query") if options.get(k) is not None]
        if given:
            raise InputError(
                f"--{given[0]} applies to a single source; in a collection every sheet with a table is read."
            )
        for key in ("sheet", "table", "query"):
            options.pop(key, None)
        return load_collection(data, mapping, **options)
    single = data[0] if isinstance(data, (list, tuple)) else data
    return load_portfolio(single, mapping, **options)


# --- who may be named --------------------------------------------------------------------------


def peer_letters(i: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA" (as spreadsheet columns)."""
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def publishable(
    portfolio: Portfolio,
    min_org_size: int,
    focus: str | None = None,
    lang: str = "en",
    seed: int = 0,
) -> Portfolio:
    """The portfolio as it may be published (see module docstring): organisations with fewer than
    `min_org_size` projects renamed "other organisation 1, 2, …" (in `lang`; numbered by name, so the
    same run gives the same labels), and with `focus` every other named organisation "Peer A, B, …"
    (ordered by a hash of the seed and the name). Their names are replaced everywhere in the
    provenance as well. Returns `portfolio` itself when nothing is renamed and there is no focus.
    Raises `InputError` when `focus` names no organisation, or one too small to be named."""
    if min_org_size < 1:
        raise InputError(f"--min-org-size must be at least 1 (got {min_org_size}).")
    data = portfolio.data
    if ORGANISATION not in data or data[ORGANISATION].isna().all():
        if focus is not None:
            raise InputError(f"--focus {focus!r}: the portfolio has no organisation column.")
        return portfolio
    counts = data[ORGANISATION].dropna().astype(str).value_counts()
    small = sorted(name for name, n in counts.items() if n < min_org_size)
    named = sorted(name for name, n in counts.items() if n >= min_org_size)
    renames = {name: translate("org_other_n", lang, n=i + 1) for i, name in enumerate(small)}
    peers: list[str] = []
    if focus is not None:
        if focus not in counts:
            raise InputError(
                f"--focus {focus!r} names no organisation of the portfolio (organisations with at least "
                f"{min_org_size} projects: {', '.join(named) or 'none'})."
            )
        if focus in renames:
            raise InputError(
                f"--focus {focus!r}: this organisation has {int(counts[focus])} projects, fewer than "
                f"--min-org-size {min_org_size}, so it is never named; lower --min-org-size to publish it."
            )
        others = sorted(
            (name for name in named if name != focus),
            key=lambda name: hashlib.sha256(f"{seed}\0{name}".encode()).hexdigest(),
        )
        for i, name in enumerate(others):
            renames[name] = translate("org_peer", lang, letter=peer_letters(i))
            peers.append(renames[name])
    if not renames and focus is None:
        return portfolio
    # the names to replace in any text: each organisation's name, and the stems of the sources that
    # hold only renamed organisations (the file name of a small client's export names it too)
    replace = dict(renames)
    for source in portfolio.sources:
        orgs = source.get("organisations", [])
        if orgs and all(o in renames for o in orgs):
            replace.setdefault(source["label"], renames[orgs[0]] if len(orgs) == 1 else translate("org_others", lang))
            replace.setdefault(
                Path(source["name"].split(" [")[0]).stem,
                renames[orgs[0]] if len(orgs) == 1 else translate("org_others", lang),
            )
    order = sorted(replace, key=len, reverse=True)

    def scrub(value):
        if isinstance(value, Message):
            return Message(value.key, **{k: scrub(v) for k, v in value.values.items()})
        if isinstance(value, str):
            for needle in order:
                if needle in value:
                    value = value.replace(needle, replace[needle])
            return value
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    new = data.copy()
    new[ORGANISATION] = new[ORGANISATION].map(lambda o: renames.get(str(o), o) if pd.notna(o) else o)
    ids = new["project_id"].astype(str)
    namespaced = ids.str.contains("/", regex=False)
    if namespaced.any():
        new.loc[namespaced, "project_id"] = ids[namespaced].map(scrub)
    new.attrs = dict(data.attrs)
    disclosure = {
        "min_org_size": int(min_org_size),
        "withheld": [renames[name] for name in small],
        "focus": focus,
        "peers": peers,
    }
    return Portfolio(
        data=new,
        source_name=scrub(portfolio.source_name),
        checksum=portfolio.checksum,
        detection=scrub(list(portfolio.detection)),
        recognised=dict(portfolio.recognised),
        unrecognised=list(portfolio.unrecognised),
        personal_columns=scrub(list(portfolio.personal_columns)),
        problems=scrub(list(portfolio.problems)),
        excluded_rows=list(portfolio.excluded_rows),
        notes=scrub(list(portfolio.notes)),
        missing=dict(portfolio.missing),
        cost_unit=portfolio.cost_unit,
        practice_name=portfolio.practice_name,
        row_label=portfolio.row_label,
        sources=scrub(list(portfolio.sources)),
        disclosure=disclosure,
        as_of=portfolio.as_of,
        as_of_given=portfolio.as_of_given,
    )


__all__ = [
    "TABLE_EXTENSIONS",
    "is_collection",
    "load_any",
    "load_collection",
    "peer_letters",
    "publishable",
    "source_files",
]
