"""What a reader learned about one source (`SourceInfo`), and the header rule the file readers share.

Where it sits: the base of the readers. `text`, `excel` and `tables` each return a raw table and a
`SourceInfo`; `sources.read_source` picks the reader, adds the checksum and re-exports
`SourceInfo`. `check_header` is the header rule of text and Excel files: an empty header cell over an
empty column is dropped, an empty header cell over data is an `InputError`, and a name used twice is
kept, each later copy renamed "name (2)", "name (3)" (`distinct_header`, with a note): exports often
repeat a computed column's name. Whether such a column is harmless is decided by `mapping`, which knows
the columns used: a duplicated name the mapping file or the column catalogue would read is an error there
(which copy is meant is ambiguous), any other is kept as an extra column. The renamed copies are listed in
the table's ``attrs["duplicate_headers"]`` ({new name: name in the file}).

Two more rules are shared by the text and the workbook readers, so that both read a cell the same
way: `total_row_label` (a last row labelled "Total" is dropped) and `detect_number_format` (the
decimal mark and thousands separator shown by the numbers written as text: every cell of a text
export, the text cells of a workbook, where Excel keeps a "number stored as text").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from amo_analysis.errors import InputError
from amo_analysis.i18n import Message

HEADER_SEARCH_ROWS = 20
NUMBER_SAMPLE_ROWS = 2000
"""Data rows whose cells `detect_number_format` looks at (the first ones), in text exports and workbooks."""

TOTAL_ROW = re.compile(r"^\s*(total|totaux|totals|somme|sum|grand total)\b(?![-_./])", re.IGNORECASE)
"""The first filled cell of a totals row ("Total", "TOTAUX", "Grand total", "Somme", "Total général"),
not a code that starts with the word ("TOTAL-2024", "Total_ERP")."""


def _show(value: str) -> str:
    return "'" + value + "'"


def _many(key: str, n: int) -> str:
    """`key` for one, `key_many` for any other count (the locale files hold both)."""
    return key if n == 1 else key + "_many"


def total_row_label(cells) -> str | None:
    """The label of a totals row (its first filled cell, stripped, when that is text matching
    `TOTAL_ROW`), else None. The rule of both file readers: the last data row of a sheet or of a
    text export is dropped when it has such a label; a totals row anywhere else is data (and is
    then reported by the contract, as any row with blank required cells)."""
    label = next((v for v in cells if v is not None and not (isinstance(v, str) and not v.strip())), None)
    return label.strip() if isinstance(label, str) and TOTAL_ROW.match(label) else None


_MARK_KEYS = {
    ",": "mark_comma",
    ".": "mark_point",
    " ": "mark_space",
    "\u00a0": "mark_nbsp",
    "\u202f": "mark_nnbsp",
    "\t": "mark_tab",
    ";": "mark_semicolon",
    "|": "mark_pipe",
}


@dataclass
class SourceInfo:
    """What was read and how: the provenance and detection report of one source.

    `row_label` is the word for `DataFrame.index` values in messages: "line" (CSV, header = line 1),
    "row" (Excel row number) or "record" (1-based, Parquet and SQL). `checksum` is "sha256:<hex>" of
    the file bytes, or for a database URL of the query text plus the CSV serialisation of the result.
    """

    display_name: str
    kind: str
    row_label: str
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    table: str | None = None
    query: str | None = None
    checksum: str = ""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """Readable lines for the `validate` command, one fact a line (each an `i18n.Message`)."""
        lines = [Message("det_source", name=self.display_name, kind=self.kind)]
        if self.encoding:
            lines.append(Message("det_encoding", encoding=self.encoding))
        if self.delimiter:
            lines.append(Message("det_delimiter", mark=mark_text(self.delimiter)))
        if self.decimal:
            lines.append(Message("det_decimal", mark=mark_text(self.decimal)))
        if self.kind == "csv" or self.thousands:
            lines.append(
                Message("det_thousands", mark=mark_text(self.thousands))
                if self.thousands
                else Message("det_no_thousands")
            )
        if self.sheet is not None:
            lines.append(Message("det_sheet", sheet=repr(self.sheet)))
        if self.header_row is not None:
            lines.append(Message("det_header", label=Message(f"row_label_{self.row_label}"), row=self.header_row))
        if self.table is not None:
            lines.append(Message("det_table", table=repr(self.table)))
        if self.query is not None:
            lines.append(Message("det_query", query=" ".join(self.query.split())))
        if self.checksum:
            lines.append(Message("det_checksum", checksum=self.checksum))
        lines.extend(Message("det_note", note=n) for n in self.notes)
        return lines


def mark_name(mark: str | None) -> str:
    """The name of a delimiter, decimal mark or separator ("comma"), as a message when it has one."""
    key = _MARK_KEYS.get(mark or "")
    return Message(key) if key else repr(mark)


def mark_text(mark: str) -> str:
    """'comma ','' for printable marks, just the name for spaces and tabs."""
    return mark_name(mark) if mark.isspace() else Message("mark_with_char", name=mark_name(mark), char=repr(mark))


def check_header(header, name, where, first_value_row, row_label, notes) -> list[int]:
    """Indices of columns to keep: empty header cells over empty columns are dropped; an empty
    header over data is an `InputError` (names used twice: `distinct_header`). `first_value_row(j)` is the row of
    the first value under header cell j, or None when the column is empty."""
    keep = []
    for j, h in enumerate(header):
        if h == "":
            row = first_value_row(j)
            if row is not None:
                raise InputError(
                    f"{name}: {where(j)} of the header is empty but {row_label} {row} has a value "
                    "there; give that column a name."
                )
            notes.append(Message("note_empty_column", where=where(j)))
            continue
        keep.append(j)
    return keep


def distinct_header(header: list[str], where, notes: list) -> tuple[list[str], dict[str, str]]:
    """`header` with each repeated name after its first made distinct ("BREbias" twice -> "BREbias",
    "BREbias (2)"), and {new name: name in the file}; a note names the places. `where(j)` names
    position j ("column 10", "cell J1")."""
    names = list(header)
    taken = set(names)
    renamed: dict[str, str] = {}
    positions: dict[str, list[int]] = {}
    for j, h in enumerate(header):
        positions.setdefault(h, []).append(j)
    for h, js in positions.items():
        if len(js) < 2:
            continue
        for copy, j in enumerate(js[1:], start=2):
            while f"{h} ({copy})" in taken:
                copy += 1
            names[j] = f"{h} ({copy})"
            taken.add(names[j])
            renamed[names[j]] = h
        notes.append(
            Message(
                "note_duplicate_header",
                name=h,
                count=len(js),
                places=" and ".join(where(j) for j in js),
                renamed=", ".join(f"'{names[j]}'" for j in js[1:]),
            )
        )
    return names, renamed


# ---------------------------------------------------------------------------------------------
# decimal mark and thousands separator


_SPACE_GROUPED = re.compile(r"\d{1,3}(?P<sp>[ \u00a0\u202f])\d{3}(?:(?P=sp)\d{3})*(?:(?P<dec>[.,])\d+)?")
_DOT_THOUSANDS_COMMA_DEC = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+")
_COMMA_THOUSANDS_DOT_DEC = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+")
_DOT_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")
_AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
_SIMPLE_DECIMAL = re.compile(r"\d*[.,]\d+")
_NUMBER_EDGES = " \u00a0\u202f+-\u2212()€$£%"


def classify_number(cell: str) -> tuple[str | None, str | None, str | None] | None:
    """(decimal mark, thousands separator, ambiguous mark) shown by one cell, or None if not a number."""
    core = cell.strip(_NUMBER_EDGES)
    if not core or not core[-1].isdigit() or not (core[0].isdigit() or core[0] in ".,"):
        return None
    if m := _SPACE_GROUPED.fullmatch(core):
        return m.group("dec"), m.group("sp"), None
    if _DOT_THOUSANDS_COMMA_DEC.fullmatch(core):
        return ",", ".", None
    if _COMMA_THOUSANDS_DOT_DEC.fullmatch(core):
        return ".", ",", None
    if _DOT_GROUPS.fullmatch(core):
        return None, ".", None
    if _COMMA_GROUPS.fullmatch(core):
        return None, ",", None
    if _AMBIGUOUS.fullmatch(core):
        return None, None, core[-4]
    if _SIMPLE_DECIMAL.fullmatch(core):
        return ("," if "," in core else "."), None, None
    return None


def detect_number_format(samples: list[list[str]], delimiter: str | None, notes: list[str]) -> tuple[str, str | None]:
    """Decimal mark and thousands separator shown by the numeric-looking cells of a text table
    (`samples`: the filled cells of the first data rows, one list per column)."""
    decimal_votes: Counter = Counter()
    thousands_votes: Counter = Counter()
    ambiguous: Counter = Counter()
    examples: dict[tuple[str, str], str] = {}
    for col in samples:
        for value in col:
            found = classify_number(value)
            if found is None:
                continue
            dec, thou, amb = found
            if dec:
                decimal_votes[dec] += 1
                examples.setdefault(("dec", dec), value.strip())
            if thou:
                thousands_votes[thou] += 1
                examples.setdefault(("thou", thou), value.strip())
            if amb:
                ambiguous[amb] += 1
                examples.setdefault(("amb", amb), value.strip())

    locale_default = "," if delimiter == ";" else "."
    if decimal_votes:
        ranked = decimal_votes.most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            decimal = locale_default
        else:
            decimal = ranked[0][0]
        n = decimal_votes[decimal]
        key = "note_decimal_comma" if decimal == "," else "note_decimal_point"
        notes.append(Message(_many(key, n), n=n, example=_show(examples[("dec", decimal)])))
        other = "." if decimal == "," else ","
        if decimal_votes[other]:
            n = decimal_votes[other]
            notes.append(
                Message(
                    _many("note_other_decimal", n),
                    n=n,
                    other=repr(other),
                    decimal=repr(decimal),
                    example=_show(examples[("dec", other)]),
                )
            )
    else:
        marks = [t for t, _ in thousands_votes.most_common() if t in ".,"]
        if marks:
            decimal = "," if marks[0] == "." else "."
        else:
            decimal = locale_default
            if not ambiguous:
                notes.append(Message("note_no_decimal", mark=repr(decimal)))

    for mark, n in ambiguous.items():
        read_as = Message("thousands_separator" if mark != decimal else "decimal_mark")
        if mark != decimal:
            thousands_votes[mark] += n
        notes.append(
            Message(
                _many("note_ambiguous", n),
                n=n,
                example=_show(examples[("amb", mark)]),
                mark=repr(mark),
                read_as=read_as,
            )
        )

    candidates = [(t, n) for t, n in thousands_votes.most_common() if t != decimal]
    thousands = candidates[0][0] if candidates else None
    if thousands is not None:
        example = examples.get(("thou", thousands)) or examples.get(("amb", thousands), "")
        notes.append(Message("note_thousands", mark=mark_name(thousands), example=_show(example)))
        for t, n in candidates[1:]:
            if not t.isspace():  # spaces of any kind are read as thousands separators (`cells.to_float`)
                notes.append(Message(_many("note_other_thousands", n), n=n, mark=mark_name(t)))
    return decimal, thousands
