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
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amo_analysis.errors import InputError
from amo_analysis.i18n import Message

HEADER_SEARCH_ROWS = 20

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
        if self.kind == "csv":
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
