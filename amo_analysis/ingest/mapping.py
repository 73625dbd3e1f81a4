"""Recognise the columns of a user's export and give them their canonical names.

Where it sits: sources → cells → **mapping** → privacy → contract → metrics → portfolio. From
`cells` it takes only the text normalisation of yes/no values (`normalise_value`, `strip_accents`),
to check a mapping file's practice values; `privacy` uses its header recognition.

`apply_mapping` renames the columns of a raw table (as read from CSV, Excel, SQL...) to the
canonical names of `columns.COLUMNS`; it never touches the values (`cells` reads them, `contract`
types them). Columns are recognised in this order:

1. the explicit renames of a mapping file's ``[columns]`` table;
2. the practice column named by the mapping file (renamed to the canonical ``amo``);
3. the built-in vocabulary: for every canonical input column its ``name``, ``header_en``,
   ``header_fr`` and ``synonyms``, all compared after `normalise_header` (lower case, accents
   removed, punctuation and ``_`` read as spaces). A header that does not match as it is is tried
   again without its trailing parenthesis, which usually holds a unit or a scale: "(€)", "(k€)",
   "(jours)", "(days)", "(%)", "(oui/non)", "(yes/no)", "(1-5)". So "Budget prévu (k€)",
   "BUDGET PREVU" and "budget_prevu" all name ``budget_planned``. Last, a single trailing unit
   word ("Budget prévu EUR", "Durée prévue jours") is dropped and the header tried once more.

A column that matches nothing is kept under its own header: it may be a covariate the analyst
wants, or personal data (`privacy` finds and drops those before anything is reported). Columns the
mapping file names explicitly win over the built-in vocabulary: if the file maps "Model" to the
practice and the export also has a column "Practice", that one is kept as an extra column (and the
report says so). Two columns that would both get the same canonical name otherwise are an error.

Mapping file (TOML; every key is optional)::

    # The practice being evaluated: which column holds it, how reports name it, and which
    # values mean "has it" / "does not" besides the usual oui/non, yes/no, x/blank, 1/0, vrai/faux.
    practice = { column = "Model", name = "Flexible development", yes = ["Flex"], no = ["Seq"] }
    cost_unit = "hours"           # unit of every money column: "EUR" (default), "USD", "hours", "person-days"...
    date_format = "%d/%m/%Y"      # optional: force how dates are read (strftime codes)
    ignore = ["Comments"]         # source columns to drop before anything else
    blank_means_no = ["framing_q01", "scope_creep"]  # bool columns where an empty cell means "no"
                                                     # (default: the ten framing questions and the pitfalls)

    [columns]                     # source header = canonical name
    "Estimate_hrs" = "budget_planned"
    "Actual_hrs" = "cost_actual"
    "Estimate_days" = "duration_planned_days"
    "Actual_days" = "duration_actual_days"
    "ID" = "project_id"
    # instead of "ID": a key made of several columns (canonical name = [source headers])
    # project_id = ["Unique Investment Identifier", "Project ID"]

A source header in the file is looked up exactly first, then (if that finds nothing) compared
after `normalise_header`, so stray spaces or case differences do not matter.

A canonical name given a list of source headers (in ``[columns]``, or at the top level for
``project_id``) is built by joining the text of those columns with `COMPOSITE_SEPARATOR`
("021-000001/1234"); the source columns are consumed, and the notes say so. Only identifier and
text columns (``project_id``, ``organisation``, ``project_type``...) can be composed.

A header the file repeats (renamed "name (2)" by the reader, `source_info.distinct_header`) is kept
as an extra column, unless the mapping file or the built-in vocabulary would read it: then which
copy is meant is ambiguous, and that is an error (ignoring the name drops every copy).

What the run needs to know later is carried in ``df.attrs``: ``bool_vocabulary`` (``{"amo":
(yes_values, no_values)}``, the practice's extra yes/no values), ``cost_unit``, ``practice_name``,
``date_format``, ``blank_means_no`` and ``source_headers`` (``{canonical name: header as in the
user's file}``, so later messages can name the column as the user sees it).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field

import pandas as pd

from amo_analysis.ingest import columns as cols
from amo_analysis.ingest.cells import by_value, normalise_value, per_cell, strip_accents, to_text
from amo_analysis.errors import InputError, read_toml_file
from amo_analysis.i18n import Message

DEFAULT_BLANK_MEANS_NO: tuple[str, ...] = cols.FRAMING_COLUMNS + cols.PITFALL_COLUMNS

_BOOL_COLUMNS: tuple[str, ...] = tuple(c.name for c in cols.COLUMNS if c.kind == "bool")

# Trailing words dropped as a last resort ("Budget prévu EUR", "Coût réel k€", "Durée jours").
# fmt: off
_UNIT_WORDS: frozenset[str] = frozenset({
    "eur", "euro", "euros", "keur", "k", "ke", "ht", "ttc", "usd", "kusd", "days", "day", "jours", "jour",
    "j", "hours", "heures", "h", "hrs", "pct", "percent", "pourcent", "pourcentage",
})
# fmt: on

_TOP_LEVEL_KEYS = ("practice", "cost_unit", "date_format", "ignore", "blank_means_no", "columns", "project_id")

COMPOSITE_SEPARATOR = "/"
"""What joins the parts of a key made of several columns ("021-000001" + "1234" -> "021-000001/1234")."""

_COMPOSABLE: tuple[str, ...] = tuple(c.name for c in cols.COLUMNS if c.kind in ("id", "text", "category"))
_PRACTICE_KEYS = ("column", "name", "yes", "no")


@dataclass
class Mapping:
    """How one user's export maps onto the canonical columns (usually read by `load_mapping`)."""

    renames: dict[str, str] = field(default_factory=dict)
    """Source header -> canonical name (the mapping file's ``[columns]`` table)."""
    practice_column: str | None = None
    """Source header holding the practice being evaluated; renamed to ``amo``."""
    practice_name: str = "AMO"
    """How reports name the practice ("PMO", "Agile delivery", ...)."""
    practice_yes: tuple[str, ...] = ()
    """Extra values meaning "has the practice" (compared after `cells.normalise_value`)."""
    practice_no: tuple[str, ...] = ()
    """Extra values meaning "does not have the practice"."""
    blank_means_no: tuple[str, ...] = DEFAULT_BLANK_MEANS_NO
    """Canonical bool columns where a blank cell means False (x/blank checklists)."""
    cost_unit: str = "EUR"
    """Unit of every money column: "EUR", "USD", "hours", "person-days"..."""
    date_format: str | None = None
    """Optional strftime format forcing how dates are parsed."""
    ignore: tuple[str, ...] = ()
    """Source headers dropped before anything else."""
    composites: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Canonical name -> source headers whose texts are joined to make it (a key of two columns)."""
    source_file: str | None = None
    """Where the mapping came from (for messages)."""


@dataclass
class MappingReport:
    """What `apply_mapping` did, in words an analyst can check."""

    recognised: dict[str, str] = field(default_factory=dict)
    """Source header -> canonical name."""
    unrecognised: list[str] = field(default_factory=list)
    """Source headers kept as they are (extra columns are allowed and kept)."""
    notes: list[str] = field(default_factory=list)
    """One sentence per non-obvious decision (synonym used, practice vocabulary, columns ignored...)."""


# --------------------------------------------------------------------------- text normalisation


def normalise_header(text: str) -> str:
    """Header as compared for matching: lower case, accents removed, every run of punctuation,
    symbols, ``_`` or whitespace turned into one space, trimmed.

    "Budget prévu (k€)" -> "budget prevu k"; "BUDGET_PREVU" -> "budget prevu". Trailing
    parentheses are kept here; `header_variants` also tries the header without them.
    """
    text = strip_accents(str(text)).casefold()
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return text.strip()


_TRAILING_PAREN = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")


def _variants(text: str) -> list[tuple[str, str]]:
    """(normalised form, text removed to get it) pairs, as listed by `header_variants`."""
    original = text = str(text).strip()
    pairs = [(normalise_header(text), "")]
    while True:
        shorter = _TRAILING_PAREN.sub("", text)
        if shorter == text or not shorter.strip():
            break
        text = shorter
        pairs.append((normalise_header(text), original[len(text) :].strip()))
    seen: dict[str, str] = {}
    for key, removed in pairs:
        if key and key not in seen:
            seen[key] = removed
    return list(seen.items())


def header_variants(text: str) -> list[str]:
    """Normalised forms tried, in order, when matching a header: as it is, then without each
    trailing parenthesis or bracket in turn ("Budget (k€) (HT)" -> "budget k ht", "budget k",
    "budget"); empty forms are left out."""
    return [key for key, _ in _variants(text)]


# --------------------------------------------------------------------------- built-in vocabulary


def _build_index() -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Normalised header form -> canonical name, over every canonical input column; also the
    forms two different columns would both claim (there must be none; a test checks)."""
    index: dict[str, str] = {}
    clashes: list[tuple[str, str, str]] = []
    for column in cols.COLUMNS:
        if column.role == "derived":
            continue
        for text in (column.name, column.header_en, column.header_fr, *column.synonyms):
            if not text:
                continue
            for key in header_variants(text):
                owner = index.setdefault(key, column.name)
                if owner != column.name:
                    clashes.append((key, owner, column.name))
    return index, clashes


_INDEX, _INDEX_CLASHES = _build_index()


def recognise_header(header: str) -> tuple[str | None, str]:
    """Canonical name the built-in vocabulary gives `header`, and how ("" when it matched as it
    is, else a short phrase such as "'(k€)' ignored"); (None, "") when nothing matches."""
    pairs = _variants(header)
    for key, removed in pairs:
        if key in _INDEX:
            return _INDEX[key], (Message("how_ignored", text=removed) if removed else "")
    variants = [key for key, _ in pairs]
    for key in variants:
        words = key.split(" ")
        if len(words) > 1 and words[-1] in _UNIT_WORDS:
            shorter = " ".join(words[:-1])
            if shorter in _INDEX:
                return _INDEX[shorter], Message("how_unit_word", word=words[-1])
    return None, ""


def canonical_targets() -> tuple[str, ...]:
    """Canonical names a mapping file may map a source column to (every non-derived column)."""
    return cols.INPUT_COLUMNS


# --------------------------------------------------------------------------- mapping file


def _fail(where: str, message: str) -> InputError:
    return InputError(f"mapping file {where}: {message}")


def _string_list(where: str, key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(where, f"'{key}' must be a text or a list of texts, not {value!r}")


def _unknown_target(where: str, source: str, target: object) -> InputError:
    valid = canonical_targets()
    close = difflib.get_close_matches(str(target), valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return _fail(
        where,
        f"column '{source}' is mapped to {target!r}, which is not a canonical column"
        f"{hint}; valid names are: {', '.join(valid)}",
    )


def load_mapping(path: str | os.PathLike) -> Mapping:
    """Read a TOML mapping file (format in the module docstring); every mistake in it is an
    `InputError` naming the file (and the line, for a syntax error)."""
    where = str(path)
    data = read_toml_file(path, "mapping file")

    unknown = [k for k in data if k not in _TOP_LEVEL_KEYS]
    if unknown:
        raise _fail(where, f"unknown setting '{unknown[0]}'; the settings are: {', '.join(_TOP_LEVEL_KEYS)}")

    mapping = Mapping(source_file=where)

    columns_table = data.get("columns", {})
    if not isinstance(columns_table, dict):
        raise _fail(where, '\'columns\' must be a table of "source header" = "canonical name" lines')
    composites = dict(columns_table)
    if "project_id" in data:
        composites["project_id"] = data["project_id"]
    for source, target in columns_table.items():
        if isinstance(target, list):
            continue
        del composites[source]
        if not isinstance(target, str) or target not in canonical_targets():
            raise _unknown_target(where, source, target)
        mapping.renames[source] = target
    for target, parts in composites.items():
        parts = _string_list(where, target, parts)
        if target not in _COMPOSABLE:
            raise _fail(
                where,
                f"'{target}' is given a list of columns, but only these columns can be joined from several: "
                + ", ".join(_COMPOSABLE),
            )
        if len(parts) < 2 or len(set(parts)) < len(parts):
            raise _fail(where, f"'{target}' must name two or more different columns to join, not {list(parts)!r}")
        if target in mapping.renames.values():
            raise _fail(where, f"'{target}' is both mapped from one column and joined from several")
        mapping.composites[target] = parts

    practice = data.get("practice")
    if practice is not None:
        if isinstance(practice, str):
            practice = {"column": practice}
        if not isinstance(practice, dict):
            raise _fail(
                where,
                '\'practice\' must be a table such as { column = "Model", name = "PMO", yes = ["Flex"], no = ["Seq"] }',
            )
        bad = [k for k in practice if k not in _PRACTICE_KEYS]
        if bad:
            raise _fail(where, f"unknown key '{bad[0]}' in 'practice'; its keys are: {', '.join(_PRACTICE_KEYS)}")
        column = practice.get("column")
        if column is not None and (not isinstance(column, str) or not column.strip()):
            raise _fail(where, f"'practice.column' must be a column header, not {column!r}")
        name = practice.get("name", "AMO")
        if not isinstance(name, str) or not name.strip():
            raise _fail(where, f"'practice.name' must be a non-empty text, not {name!r}")
        mapping.practice_column = column
        mapping.practice_name = name.strip()
        mapping.practice_yes = _string_list(where, "practice.yes", practice.get("yes", []))
        mapping.practice_no = _string_list(where, "practice.no", practice.get("no", []))
        both = {normalise_value(v) for v in mapping.practice_yes} & {normalise_value(v) for v in mapping.practice_no}
        if both:
            raise _fail(where, f"practice value {sorted(both)[0]!r} is listed both as yes and as no")
        if column is not None and column in mapping.renames and mapping.renames[column] != "amo":
            raise _fail(
                where, f"column '{column}' is the practice column but [columns] maps it to '{mapping.renames[column]}'"
            )
        others = [s for s, t in mapping.renames.items() if t == "amo" and s != column]
        if column is not None and others:
            raise _fail(where, f"both '{column}' (practice) and '{others[0]}' ([columns]) are mapped to amo")

    if "cost_unit" in data:
        unit = data["cost_unit"]
        if not isinstance(unit, str) or not unit.strip():
            raise _fail(where, f'\'cost_unit\' must be a non-empty text such as "EUR" or "hours", not {unit!r}')
        mapping.cost_unit = unit.strip()

    if "date_format" in data:
        fmt = data["date_format"]
        if not isinstance(fmt, str) or "%" not in fmt:
            raise _fail(where, f"'date_format' must be a strftime format such as \"%d/%m/%Y\", not {fmt!r}")
        mapping.date_format = fmt

    if "ignore" in data:
        mapping.ignore = _string_list(where, "ignore", data["ignore"])
        for header in mapping.ignore:
            if header in mapping.renames or header == mapping.practice_column:
                raise _fail(where, f"column '{header}' is both ignored and mapped")

    if "blank_means_no" in data:
        names = _string_list(where, "blank_means_no", data["blank_means_no"])
        bad = [n for n in names if n not in _BOOL_COLUMNS]
        if bad:
            raise _fail(
                where,
                f"'blank_means_no' names {bad[0]!r}, which is not a yes/no column; "
                f"the yes/no columns are: {', '.join(_BOOL_COLUMNS)}",
            )
        mapping.blank_means_no = names

    return mapping


# --------------------------------------------------------------------------- applying a mapping


def join_columns(parts: list[pd.Series]) -> pd.Series:
    """The texts of `parts` joined cell by cell with `COMPOSITE_SEPARATOR` (numbers written without
    ".0"); a row where every part is blank stays blank, a blank part among others is left empty."""
    texts = []
    for part in parts:
        codes, outcomes = by_value(part, to_text)
        texts.append(per_cell(codes, [t or "" for _, t in outcomes], object))
    joined = [COMPOSITE_SEPARATOR.join(row) for row in zip(*texts)]
    blank = COMPOSITE_SEPARATOR * (len(parts) - 1)
    return pd.Series([None if v == blank else v for v in joined], index=parts[0].index, dtype=object)


def _list_headers(headers: list[str], limit: int = 40) -> str:
    shown = ", ".join(f"'{h}'" for h in headers[:limit])
    return shown + (f", … ({len(headers) - limit} more)" if len(headers) > limit else "")


def _find_source(name: str, headers: list[str], mapping_file: str, source_name: str, role: str) -> str:
    """The header of the source the mapping file means by `name`: exact, else the single header
    equal after `normalise_header`."""
    if name in headers:
        return name
    key = normalise_header(name)
    matches = [h for h in headers if normalise_header(h) == key]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InputError(
            f"mapping file {mapping_file} names {role} '{name}', which could be any of "
            f"{_list_headers(matches)} in {source_name}; write the header exactly"
        )
    raise InputError(
        f"mapping file {mapping_file} names {role} '{name}' but {source_name} has no such "
        f"column; its columns are: {_list_headers(headers)}"
    )


def apply_mapping(raw: pd.DataFrame, mapping: Mapping | None, source_name: str) -> tuple[pd.DataFrame, MappingReport]:
    """Rename the columns of `raw` to canonical names; values and index are left untouched.

    `source_name` names the data in messages ("data.csv"). Columns listed in `mapping.ignore`
    are dropped; unrecognised columns are kept under their own header. Raises `InputError` when
    the mapping names a column the data lacks, or when two columns would get the same name.
    Returns the renamed copy (with the run settings in ``attrs``, see the module docstring) and
    a `MappingReport`.
    """
    mapping = mapping if mapping is not None else Mapping()
    mapping_file = mapping.source_file or "(given in code)"
    report = MappingReport()

    headers = [h if isinstance(h, str) else str(h) for h in raw.columns]
    duplicated = sorted({h for h in headers if headers.count(h) > 1})
    if duplicated:
        raise InputError(
            f"{source_name} has more than one column headed '{duplicated[0]}'; give each column its own header"
        )
    df = raw.copy()
    df.columns = headers

    # 1. Columns the mapping says to drop.
    copies: dict[str, list[str]] = {}  # a name the file repeats -> its renamed copies (`source_info`)
    for renamed, original in (raw.attrs.get("duplicate_headers") or {}).items():
        copies.setdefault(original, []).append(renamed)
    ignored = [_find_source(h, headers, mapping_file, source_name, "column") for h in mapping.ignore]
    ignored += [c for h in ignored for c in copies.get(h, [])]  # ignoring a repeated name ignores every copy
    if ignored:
        df = df.drop(columns=ignored)
        report.notes.append(Message("note_ignored", columns=_list_headers(ignored), file=mapping_file))
    remaining = [h for h in headers if h not in ignored]

    # A repeated name the mapping file or the built-in vocabulary would read: which copy is meant?
    for original, renamed in copies.items():
        if original in ignored:
            continue
        named = [
            n
            for n in (*mapping.renames, mapping.practice_column, *sum(mapping.composites.values(), ()))
            if n is not None and (n == original or normalise_header(n) == normalise_header(original))
        ]
        target = recognise_header(original)[0]
        if named or (
            target is not None
            and target not in mapping.renames.values()
            and target not in mapping.composites
            and not (target == "amo" and mapping.practice_column)
        ):
            used = f"{mapping_file} names it" if named else f"it reads as {target}"
            raise InputError(
                f"{source_name}: the header has '{original}' {len(renamed) + 1} times and {used}, so which "
                f'column is meant is ambiguous; give each copy its own header, or ignore = ["{original}"] '
                "in a mapping file"
            )

    # 2. Keys joined from several columns (their source columns are consumed).
    composed: dict[str, str] = {}  # canonical -> "A + B" as the user's file names it
    for target, parts in mapping.composites.items():
        found = [_find_source(h, remaining, mapping_file, source_name, "column") for h in parts]
        df[target] = join_columns([df[h] for h in found])
        df = df.drop(columns=[h for h in found if h != target])
        remaining = [h for h in remaining if h not in found]
        composed[target] = " + ".join(found)
        report.notes.append(
            Message(
                "note_composite_key",
                column=target,
                parts=", ".join(f"'{h}'" for h in found),
                separator=COMPOSITE_SEPARATOR,
            )
        )

    # 3. Explicit renames, then the practice column: these win over the built-in vocabulary.
    explicit: dict[str, str] = {}  # source header -> canonical
    claimed_by: dict[str, str] = dict.fromkeys(composed, "")  # canonical -> source header
    requests = [(s, t, "column") for s, t in mapping.renames.items()]
    if mapping.practice_column is not None:
        requests.append((mapping.practice_column, "amo", "practice column"))
    for name, target, role in requests:
        if target not in canonical_targets():
            raise _unknown_target(mapping_file, name, target)
        source = _find_source(name, remaining, mapping_file, source_name, role)
        if explicit.get(source, target) != target:
            raise InputError(
                f"mapping file {mapping_file} maps column '{source}' both to '{explicit[source]}' and to '{target}'"
            )
        if target in claimed_by and claimed_by[target] != source:
            raise InputError(
                f"mapping file {mapping_file} maps both '{claimed_by[target]}' and "
                f"'{source}' of {source_name} to '{target}'; keep one"
            )
        explicit[source] = target
        claimed_by[target] = source
        if source != target:
            report.notes.append(Message("note_mapped_by", source=source, target=target, file=mapping_file))

    # 4. Built-in vocabulary for the rest.
    automatic: dict[str, str] = {}
    for header in remaining:
        if header in explicit:
            continue
        target, how = recognise_header(header)
        if target is None:
            report.unrecognised.append(header)
            continue
        if target in composed:
            report.unrecognised.append(header)
            report.notes.append(
                Message(
                    "note_looks_like_joined", header=header, target=target, file=mapping_file, parts=composed[target]
                )
            )
            continue
        if target in claimed_by and claimed_by[target] in explicit:
            report.unrecognised.append(header)
            report.notes.append(
                Message("note_looks_like", header=header, target=target, file=mapping_file, other=claimed_by[target])
            )
            continue
        if target in claimed_by:
            raise InputError(
                f"{source_name}: columns '{claimed_by[target]}' and '{header}' both look like "
                f"{target}; keep one, or say which is which in a mapping file "
                f"([columns] table, or ignore = [...])"
            )
        automatic[header] = target
        claimed_by[target] = header
        if how:  # exact synonyms are listed in `recognised`; only say how a looser match was made
            report.notes.append(Message("note_recognised_as", header=header, target=target, how=how))

    renames = {**explicit, **automatic}
    report.recognised = {
        **{parts: t for t, parts in composed.items()},
        **{h: renames[h] for h in remaining if h in renames},
    }

    # An extra column kept under its own header must not collide with a canonical name.
    final_names = [renames.get(h, h) for h in remaining] + list(composed)
    for header in report.unrecognised:
        if final_names.count(header) > 1:
            other = next(h for h, t in renames.items() if t == header)
            raise InputError(
                f"{source_name}: column '{header}' would clash with column '{other}', "
                f"which is read as {header}; rename or ignore one of them"
            )

    practice_values = [v for v in (*mapping.practice_yes, *mapping.practice_no)]
    if practice_values:
        practice_header = claimed_by.get("amo", Message("the_practice_column"))
        yes = "/".join(f"'{v}'" for v in mapping.practice_yes) or Message("usual_yes_values")
        no = "/".join(f"'{v}'" for v in mapping.practice_no) or Message("usual_no_values")
        report.notes.append(Message("note_practice_values", yes=yes, no=no, column=practice_header))
    if mapping.practice_name != "AMO":
        report.notes.append(Message("note_practice_name", name=mapping.practice_name))
    if mapping.cost_unit != "EUR":
        report.notes.append(Message("note_money_unit", unit=mapping.cost_unit))

    df = df.rename(columns=renames)
    df.attrs["bool_vocabulary"] = {"amo": (tuple(mapping.practice_yes), tuple(mapping.practice_no))}
    df.attrs["cost_unit"] = mapping.cost_unit
    df.attrs["practice_name"] = mapping.practice_name
    df.attrs["date_format"] = mapping.date_format
    df.attrs["blank_means_no"] = tuple(mapping.blank_means_no)
    df.attrs["source_headers"] = {**{t: s for s, t in renames.items()}, **composed}
    return df, report
