"""Get the raw table out of whatever the analyst has, and say what was detected.

Supported sources: CSV/TSV/text (encoding, delimiter, decimal mark and thousands separator
detected), Excel `.xlsx`/`.xlsm` (sheet and header row detected, title and total rows skipped),
Parquet, SQLite and DuckDB files (a table or a query, opened read-only) and any SQLAlchemy URL
(a query or a table, run in a read-only transaction where the database supports it).

No renaming or type conversion happens here (that is `mapping` and `schema`): text cells stay
strings, typed sources keep their native cell types. The returned DataFrame's index is the row
number as the user sees it ("source_row"): the physical CSV line (header = line 1), the Excel row
number, or the 1-based record number for Parquet and SQL. Input files are never modified.

Text files are parsed by pyarrow's CSV reader when their layout lets it give exactly what the `csv`
module gives (the usual case: a million lines in seconds), else by the `csv` module line by line.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import os
import re
import sqlite3
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from amo_analysis.errors import InputError, Problem

XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
SQLITE_EXTENSIONS = {".sqlite", ".sqlite3", ".db"}
DUCKDB_EXTENSIONS = {".duckdb", ".ddb"}

DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 20
TOTAL_ROW = re.compile(r"^\s*(total|totaux|totals|somme|sum|grand total)\b", re.IGNORECASE)

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_SQLITE_SIGNATURE = b"SQLite format 3\x00"
_PARQUET_SIGNATURE = b"PAR1"
_SNIFF_RECORDS = 50
_NUMBER_SAMPLE_RECORDS = 2000

_MARK_NAMES = {
    ",": "comma",
    ".": "point",
    " ": "space",
    "\u00a0": "non-breaking space (U+00A0)",
    "\u202f": "narrow non-breaking space (U+202F)",
    "\t": "tab",
    ";": "semicolon",
    "|": "pipe",
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
        """Readable lines for the `validate` command, one fact a line."""
        lines = [f"source: {self.display_name} ({self.kind})"]
        if self.encoding:
            lines.append(f"encoding: {self.encoding}")
        if self.delimiter:
            lines.append(f"delimiter: {_mark_text(self.delimiter)}")
        if self.decimal:
            lines.append(f"decimal mark: {_mark_text(self.decimal)}")
        if self.kind == "csv":
            lines.append("thousands separator: "
                         + (_mark_text(self.thousands) if self.thousands else "none"))
        if self.sheet is not None:
            lines.append(f"sheet: {self.sheet!r}")
        if self.header_row is not None:
            lines.append(f"header: {self.row_label} {self.header_row}")
        if self.table is not None:
            lines.append(f"table: {self.table!r}")
        if self.query is not None:
            lines.append(f"query: {' '.join(self.query.split())}")
        if self.checksum:
            lines.append(f"checksum: {self.checksum}")
        lines.extend(f"note: {n}" for n in self.notes)
        return lines


def read_source(source: str | os.PathLike, *, sheet: str | None = None, table: str | None = None,
                query: str | None = None,
                max_bytes: int = 500 * 1024**2) -> tuple[pd.DataFrame, SourceInfo]:
    """Read the table in `source` and report what was detected.

    `source` is a file path or a SQLAlchemy URL (anything containing "://"). `sheet` applies to
    Excel files, `table`/`query` (at most one) to SQLite/DuckDB files and database URLs.
    `max_bytes` bounds the size of text, Excel and Parquet files (checked before reading).
    Raises `InputError` with one sentence for anything the user can fix.
    """
    is_url = isinstance(source, str) and "://" in source
    if table is not None and query is not None:
        shown = _mask_url(source) if is_url else (Path(source).name or str(source))
        raise InputError(f"{shown}: give either a table or a query, not both.")
    if is_url:
        if sheet is not None:
            raise InputError(f"{_mask_url(source)}: 'sheet' only applies to Excel files.")
        return _read_url(source, table=table, query=query)

    path = Path(source).expanduser()
    name = path.name or str(path)
    if not path.exists():
        raise InputError(f"{name}: the file does not exist (looked for {path.absolute()}).")
    if path.is_dir():
        raise InputError(f"{name}: this is a folder, not a file; give the path of the table file.")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(f"{name}: the file cannot be opened ({exc.strerror or exc}).") from exc
    kind = _detect_kind(path, head)

    if kind in ("sqlite", "duckdb"):
        if sheet is not None:
            raise InputError(f"{name}: 'sheet' only applies to Excel files; use a table or a query.")
        reader = _read_sqlite if kind == "sqlite" else _read_duckdb
        df, info = reader(path, table=table, query=query)
        info.checksum = _file_checksum(path)
        return df, info

    if table is not None or query is not None:
        raise InputError(f"{name}: a table or a query only applies to database sources, not to {kind} files.")
    if kind != "xlsx" and sheet is not None:
        raise InputError(f"{name}: 'sheet' only applies to Excel files, not to {kind} files.")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{name}: the file is {_human_bytes(size)}, above the {_human_bytes(max_bytes)} limit "
                         "(raise max_bytes, or export only the columns and rows needed).")
    if kind == "xlsx":
        df, info = _read_xlsx(path, sheet=sheet)
    elif kind == "parquet":
        df, info = _read_parquet(path)
    else:
        df, info = _read_text(path)
    info.checksum = _file_checksum(path)
    return df, info


# ---------------------------------------------------------------------------------------------
# format detection


def _detect_kind(path: Path, head: bytes) -> str:
    """The reader to use, from the file's signature first and its extension second."""
    name, ext = path.name, path.suffix.lower()
    if head.startswith(_OLE_SIGNATURE):
        if ext == ".xls":
            raise InputError(f"{name}: this is an old-format Excel workbook (.xls); open it in Excel and "
                             "save it as .xlsx or CSV.")
        raise InputError(f"{name}: this is a password-protected (encrypted) workbook or an old .xls file; "
                         "remove the password (File > Info > Protect Workbook) and save it as .xlsx or CSV.")
    if head.startswith(_SQLITE_SIGNATURE):
        return "sqlite"
    if head[8:12] == b"DUCK":
        return "duckdb"
    if head.startswith(_PARQUET_SIGNATURE):
        return "parquet"
    if head.startswith(_ZIP_SIGNATURE):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"{name}: the workbook is corrupted and cannot be opened ({exc}); "
                             "open it in Excel and save it again as .xlsx, or export a CSV.") from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            raise InputError(f"{name}: binary Excel workbooks (.xlsb) are not supported; save it as .xlsx or CSV.")
        if "content.xml" in names:
            raise InputError(f"{name}: OpenDocument spreadsheets (.ods) are not supported; save it as .xlsx or CSV.")
        if ext in XLSX_EXTENSIONS:
            raise InputError(f"{name}: the workbook is corrupted (no workbook inside the archive); "
                             "open it in Excel and save it again as .xlsx, or export a CSV.")
        raise InputError(f"{name}: this is a zip archive, not a table; extract the CSV or .xlsx file first.")
    if ext in XLSX_EXTENSIONS:
        raise InputError(f"{name}: the workbook is corrupted or is not an Excel file; "
                         "open it in Excel and save it again as .xlsx, or export a CSV.")
    if ext == ".xls":
        raise InputError(f"{name}: this file is not a real Excel workbook (exports named .xls are often "
                         "HTML or text); open it in Excel and save it as .xlsx or CSV.")
    if ext == ".xlsb":
        raise InputError(f"{name}: binary Excel workbooks (.xlsb) are not supported; save it as .xlsx or CSV.")
    if ext in PARQUET_EXTENSIONS:
        raise InputError(f"{name}: this is not a valid Parquet file (corrupted or truncated?).")
    if ext in SQLITE_EXTENSIONS and ext != ".db":
        raise InputError(f"{name}: this is not a valid SQLite database (corrupted or truncated?).")
    if ext in DUCKDB_EXTENSIONS:
        raise InputError(f"{name}: this is not a valid DuckDB database (corrupted or truncated?).")
    return "csv"


def _file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _human_bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _mark_name(mark: str | None) -> str:
    return _MARK_NAMES.get(mark or "", repr(mark))


def _mark_text(mark: str) -> str:
    """'comma ','' for printable marks, just the name for spaces and tabs."""
    return _mark_name(mark) if mark.isspace() else f"{_mark_name(mark)} {mark!r}"


def _show(value: str) -> str:
    return "'" + value + "'"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


# ---------------------------------------------------------------------------------------------
# text files


def _decode(raw: bytes, name: str, notes: list[str]) -> tuple[str, str]:
    """Decode with a strict cascade: BOMs, UTF-8, then cp1252; binary content is refused."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: the file starts like UTF-16 text but cannot be decoded; "
                             "export it again as CSV (UTF-8).") from exc
        encoding = "utf-16"
    else:
        if b"\x00" in raw:
            raise _binary_error(name)
        if raw.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        else:
            encoding = "utf-8"
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as utf8_error:
            text, encoding = _decode_legacy(raw, utf8_error, name, notes)
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    if sample and controls > max(2, len(sample) // 100):
        raise _binary_error(name)
    notes.append(f"encoding {encoding} detected")
    return text.lstrip("\ufeff"), encoding


def _decode_legacy(raw: bytes, utf8_error: UnicodeDecodeError, name: str, notes: list[str]) -> tuple[str, str]:
    """cp1252 for the whole file, or line by line when some lines hold UTF-8 accents and others cp1252."""
    if raw.decode("utf-8", "ignore").isascii():  # no line holds UTF-8 accents: plain cp1252
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise _binary_error(name) from utf8_error
    lines = raw.split(b"\n")
    decoded, legacy_lines, utf8_accented = [], [], False
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
            utf8_accented = utf8_accented or not line.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                raise _binary_error(name) from utf8_error
            legacy_lines.append(number)
        decoded.append(text)
    if not utf8_accented:
        return raw.decode("cp1252"), "cp1252"
    notes.append(f"the file mixes UTF-8 and cp1252 text: {_plural(len(legacy_lines), 'line')} read as cp1252 "
                 f"(first: line {legacy_lines[0]}), the others as UTF-8")
    return "\n".join(decoded), "utf-8+cp1252"


def _binary_error(name: str) -> InputError:
    return InputError(f"{name}: the file does not look like a text table (it contains binary data); "
                      "export it as CSV or .xlsx.")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _records(text: str, delimiter: str, limit: int | None = None):
    """Yield (first physical line number, fields) for each CSV record, quotes honoured.

    Lines end at \\n, \\r\\n or \\r (as `io.StringIO(newline="")` splits them); they are read lazily,
    so reading the first records of a large text costs nothing for the rest.
    """
    lines = (m.group() for m in _LINE.finditer(text))
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True)
    previous_end = 0
    count = 0
    for fields in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        yield start, fields
        count += 1
        if limit is not None and count >= limit:
            return


def _filled(fields: list[str]) -> list[str]:
    return [f for f in fields if f.strip()]


def _is_blank(fields: list[str]) -> bool:
    return not "".join(fields).strip()


def _sniff_delimiter(text: str) -> tuple[str | None, str]:
    """Pick the delimiter whose per-record field count (outside quotes) is the most consistent."""
    best: tuple | None = None
    for priority, delim in enumerate(DELIMITERS):
        try:
            counts = [len(f) for _, f in _records(text, delim, limit=_SNIFF_RECORDS * 2) if not _is_blank(f)]
        except csv.Error:
            continue
        counts = counts[:_SNIFF_RECORDS]
        if not counts:
            continue
        mode, n_mode = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        score = (n_mode / len(counts), mode, -priority)
        if best is None or score > best[0]:
            best = (score, delim)
    if best is None:
        return None, "no delimiter found: the file is read as a single column"
    delim = best[1]
    return delim, f"delimiter {delim!r} detected" if delim != "\t" else "delimiter tab detected"


@dataclass
class _TextTable:
    """A parsed text file: its header, one Series per header cell (index = physical line of each
    data row, blank cells missing) and the notes made while parsing."""

    header_line: int
    header: list[str]
    columns: list[pd.Series]
    notes: list[str]


def _read_text(path: Path) -> tuple[pd.DataFrame, SourceInfo]:
    name = path.name
    info = SourceInfo(display_name=name, kind="csv", row_label="line")
    raw = path.read_bytes()
    if not raw or raw.isspace():
        raise InputError(f"{name}: the file is empty: it has no header and no data rows.")
    text, info.encoding = _decode(raw, name, info.notes)
    del raw

    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).strip().strip('"')
    sep_hint = re.fullmatch(r"sep=(.)", first_line, re.IGNORECASE)
    if sep_hint:
        delimiter = sep_hint.group(1)
        info.notes.append(f"delimiter {delimiter!r} declared on line 1 ('sep=')")
    else:
        if path.suffix.lower() == ".tsv" and "\t" in text[:65536]:
            delimiter, note = "\t", "delimiter tab (.tsv file)"
        else:
            delimiter, note = _sniff_delimiter(text)
        info.notes.append(note)
    info.delimiter = delimiter

    table = _parse_text_fast(text, delimiter, bool(sep_hint)) or _parse_text(text, delimiter, bool(sep_hint), name)
    del text
    info.header_row = table.header_line
    info.notes.extend(table.notes)
    header, columns = table.header, table.columns
    keep = _check_header(header, name,
                         where=lambda j: f"column {j + 1}",
                         first_value_row=lambda j: columns[j].first_valid_index(),
                         row_label="line", notes=info.notes)
    header = [header[j] for j in keep]
    columns = [columns[j] for j in keep]

    samples = [col.iloc[:_NUMBER_SAMPLE_RECORDS].dropna().tolist() for col in columns]
    info.decimal, info.thousands = _detect_number_format(samples, delimiter, info.notes)
    df = pd.DataFrame(dict(zip(header, columns)), index=columns[0].index)
    df.columns = pd.Index(header)
    return df, info


def _header_names(fields: list[str]) -> list[str]:
    return [h.strip().lstrip("\ufeff").strip() for h in fields]


def _locate_header(records: list) -> tuple[int, list[str]]:
    """Position of the header among the non-blank `records`, and a note for each title line above it.

    Title lines (one filled cell each, then a row of ≥ 3 filled cells, mostly text, within the first
    lines) are skipped, as Excel "save as CSV" keeps them.
    """
    if len(_filled(records[0][1])) <= 1:
        for i, (_, fields) in enumerate(records[:HEADER_SEARCH_ROWS]):
            cells = _filled(fields)
            if len(cells) > 1:
                if len(cells) >= 3 and sum(_classify_number(c) is None for c in cells) > len(cells) / 2:
                    return i, [f"line {line} skipped: it looks like a title above the header "
                               f"({(_filled(skipped) or [''])[0].strip()!r})" for line, skipped in records[:i]]
                break
    return 0, []


def _parse_text(text: str, delimiter: str | None, sep_hint: bool, name: str) -> _TextTable:
    """Every record through the `csv` module: any layout, ragged lines reported."""
    try:
        records = list(_records(text, delimiter or "\x1f"))
    except csv.Error as exc:
        raise InputError(f"{name}: the file cannot be parsed as CSV ({exc}); check quotes and the delimiter.") from exc
    if sep_hint:
        records = records[1:]
    records = [(line, fields) for line, fields in records if not _is_blank(fields)]
    if not records:
        raise InputError(f"{name}: the file is empty: it has no header and no data rows.")
    start, notes = _locate_header(records)
    header_line, header_fields = records[start]
    header = _header_names(header_fields)
    data = records[start + 1:]
    if not data:
        raise InputError(f"{name}: the file has a header (line {header_line}) but no data rows.")

    n_header = len(header)
    ragged = [(line, len(f)) for line, f in data if len(f) > n_header and not _is_blank(f[n_header:])]
    if ragged:
        line, n = ragged[0]
        more = f" (and {len(ragged) - 1} more line{'s' if len(ragged) > 2 else ''})" if len(ragged) > 1 else ""
        delim_txt = "tab" if delimiter == "\t" else repr(delimiter)
        raise InputError(
            f"{name}: line {line} has {n} fields but the header has {n_header}{more} — "
            f"is the delimiter {delim_txt} right, or is a value containing {delim_txt} missing its quotes?",
            [Problem(name, f"has {c} fields but the header has {n_header}", row=ln, row_label="line")
             for ln, c in ragged])
    if any(len(f) > n_header for _, f in data):
        notes.append("empty cells beyond the last header column were ignored")
    short = sum(1 for _, f in data if len(f) < n_header)
    if short:
        notes.append(f"{short} line{'s have' if short > 1 else ' has'} fewer fields than the header; "
                     "the missing cells are read as empty")

    index = pd.Index([line for line, _ in data], name="source_row")
    padded = [f if len(f) == n_header else (f[:n_header] if len(f) > n_header else f + [""] * (n_header - len(f)))
              for _, f in data]
    columns = [pd.Series([v if v and not v.isspace() else None for v in col], index=index) for col in zip(*padded)]
    return _TextTable(header_line, header, columns, notes)


def _parse_text_fast(text: str, delimiter: str | None, sep_hint: bool) -> _TextTable | None:
    """The table `_parse_text` would return, parsed by pyarrow's CSV reader, or None when the file
    has anything that reader could read differently: no delimiter or a non-ASCII one, a lone \\r
    line break, a quoted value spanning lines or a quote outside a well-formed quoted value, a line
    whose field count differs from the header's (short, ragged, or only spaces), a value above the
    `csv` module's size limit, or no data row. Only the lines up to the header go through the `csv`
    module.
    """
    if delimiter is None or not delimiter.isascii():  # pyarrow takes a one-byte delimiter
        return None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # unpaired surrogates
        return None
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None
    if b'"' in data and not _well_quoted(text, delimiter):
        return None
    head = []
    try:
        for number, (line, fields) in enumerate(_records(text, delimiter)):
            if (sep_hint and number == 0) or _is_blank(fields):
                continue
            head.append((line, fields))
            if len(_filled(fields)) > 1 or len(head) >= HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        return None
    if not head:
        return None
    start, notes = _locate_header(head)
    header_line, header_fields = head[start]
    header = _header_names(header_fields)

    offset = 0  # first byte of the line after the header
    for _ in range(header_line):
        offset = data.find(b"\n", offset) + 1
        if offset == 0:
            return None
    names = [str(j) for j in range(len(header))]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data)[offset:]),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=False,
                                              ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.large_string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                  null_values=[]))
    except pa.ArrowInvalid:
        return None
    lines = _data_lines(data, offset, header_line + 1, table.num_rows)
    if len(lines) != table.num_rows or table.num_rows == 0:
        return None
    if any(pc.max(pc.binary_length(col)).as_py() > csv.field_size_limit() for col in table.columns):
        return None

    cells, blanks = [], []
    for col in table.columns:
        blank = pc.or_(pc.equal(col, ""), pc.utf8_is_space(col))
        if pc.any(blank).as_py():
            col = pc.if_else(blank, pa.scalar(None, pa.large_string()), col)
            blanks.append(blank)
        cells.append(col)
    if len(blanks) == len(cells):  # only then can a row be blank in every column
        filled = pc.invert(functools.reduce(pc.and_, blanks))
        cells = [col.filter(filled) for col in cells]
        lines = lines[filled.to_numpy()]
        if not len(lines):
            return None
    index = pd.Index(lines, name="source_row")
    columns = [pd.Series(pd.array(col, dtype="str"), index=index) if col.null_count < len(col)
               else pd.Series([None] * len(col), index=index, dtype=object) for col in cells]
    return _TextTable(header_line, header, columns, notes)


_QUOTED_VALUE = re.compile(r'"(?:[^"\r\n]|"")*"')


def _well_quoted(text: str, delimiter: str) -> bool:
    """True when every quote belongs to a quoted value that holds no line break and starts and ends
    at field boundaries (the values pyarrow and the `csv` module read alike).

    Where no closing quote comes before the line break, the pattern ends the value at the first
    quote of a doubled "", which leaves the second one unmatched: the file is declined.
    """
    if "\x00" in text:
        return False
    marked = _QUOTED_VALUE.sub("\x00", text)  # one NUL per quoted value
    if '"' in marked:
        return False
    n = marked.count("\x00")
    starts = marked.startswith("\x00") + marked.count(delimiter + "\x00") + marked.count("\n\x00")
    ends = marked.endswith("\x00") + sum(marked.count("\x00" + edge) for edge in (delimiter, "\r", "\n"))
    return starts == n == ends


def _data_lines(data: bytes, offset: int, first_line: int, n_records: int) -> np.ndarray:
    """Physical line numbers of the non-empty lines of `data[offset:]` (an empty line holds nothing,
    or only \\r before its \\n), the first line being `first_line`; `n_records` lines read give the
    answer without looking for empty ones."""
    n_lines = data.count(b"\n", offset) + (0 if data.endswith(b"\n") or offset >= len(data) else 1)
    if n_lines == n_records:
        return np.arange(first_line, first_line + n_lines)
    buf = np.frombuffer(data, np.uint8, offset=offset)
    breaks = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(buf)]))
    if starts[-1] == len(buf):  # nothing after the last line break
        starts, ends = starts[:-1], ends[:-1]
    length = ends - starts
    empty = (length == 0) | ((length == 1) & (buf[np.minimum(starts, len(buf) - 1)] == 13))
    return first_line + np.flatnonzero(~empty)


def _check_header(header, name, where, first_value_row, row_label, notes) -> list[int]:
    """Indices of columns to keep: empty header cells over empty columns are dropped; an empty
    header over data, or a name used twice, is an `InputError`. `first_value_row(j)` is the row of
    the first value under header cell j, or None when the column is empty."""
    keep = []
    for j, h in enumerate(header):
        if h == "":
            row = first_value_row(j)
            if row is not None:
                raise InputError(f"{name}: {where(j)} of the header is empty but {row_label} {row} has a value "
                                 "there; give that column a name.")
            notes.append(f"{where(j)} has no header and no data: ignored")
            continue
        keep.append(j)
    positions: dict[str, list[int]] = {}
    for j in keep:
        positions.setdefault(header[j], []).append(j)
    for h, js in positions.items():
        if len(js) > 1:
            places = " and ".join(where(j) for j in js)
            raise InputError(f"{name}: the header has {h!r} {len(js)} times ({places}); "
                             "each column needs a distinct name.")
    return keep


# --- decimal mark and thousands separator ---

_SPACE_GROUPED = re.compile(r"\d{1,3}(?P<sp>[ \u00a0\u202f])\d{3}(?:(?P=sp)\d{3})*(?:(?P<dec>[.,])\d+)?")
_DOT_THOUSANDS_COMMA_DEC = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+")
_COMMA_THOUSANDS_DOT_DEC = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+")
_DOT_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")
_AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
_SIMPLE_DECIMAL = re.compile(r"\d*[.,]\d+")
_NUMBER_EDGES = " \u00a0\u202f+-\u2212()€$£%"


def _classify_number(cell: str) -> tuple[str | None, str | None, str | None] | None:
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


def _detect_number_format(samples: list[list[str]], delimiter: str | None,
                          notes: list[str]) -> tuple[str, str | None]:
    """Decimal mark and thousands separator shown by the numeric-looking cells of a text table
    (`samples`: the filled cells of the first data rows, one list per column)."""
    decimal_votes: Counter = Counter()
    thousands_votes: Counter = Counter()
    ambiguous: Counter = Counter()
    examples: dict[tuple[str, str], str] = {}
    for col in samples:
        for value in col:
            found = _classify_number(value)
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
        word = "comma" if decimal == "," else "point"
        notes.append(f"decimal {word} detected ({_plural(decimal_votes[decimal], 'cell')}, "
                     f"e.g. {_show(examples[('dec', decimal)])})")
        other = "." if decimal == "," else ","
        if decimal_votes[other]:
            notes.append(f"{_plural(decimal_votes[other], 'cell')} with {other!r} as decimal mark instead of "
                         f"{decimal!r} (e.g. {_show(examples[('dec', other)])}) will not convert as numbers")
    else:
        marks = [t for t, _ in thousands_votes.most_common() if t in ".,"]
        if marks:
            decimal = "," if marks[0] == "." else "."
        else:
            decimal = locale_default
            if not ambiguous:
                notes.append(f"no decimal marks found; {decimal!r} assumed")

    for mark, n in ambiguous.items():
        thousands_votes_mark = "thousands separator" if mark != decimal else "decimal mark"
        if mark != decimal:
            thousands_votes[mark] += n
        notes.append(f"{_plural(n, 'ambiguous cell')} such as {_show(examples[('amb', mark)])}: "
                     f"{mark!r} read as {thousands_votes_mark}")

    candidates = [(t, n) for t, n in thousands_votes.most_common() if t != decimal]
    thousands = candidates[0][0] if candidates else None
    if thousands is not None:
        example = examples.get(("thou", thousands)) or examples.get(("amb", thousands), "")
        notes.append(f"thousands separator {_mark_name(thousands)} detected (e.g. {_show(example)})")
        for t, n in candidates[1:]:
            notes.append(f"{_plural(n, 'cell')} with {_mark_name(t)} as thousands separator instead "
                         "will not convert as numbers")
    return decimal, thousands


# ---------------------------------------------------------------------------------------------
# Excel


def _present(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _find_header(rows: list[tuple]) -> int | None:
    """0-based position of the header among `rows`: ≥ 3 filled cells, at least half of them text."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        filled = [v for v in row if _present(v)]
        if len(filled) >= 3 and sum(isinstance(v, str) for v in filled) >= len(filled) / 2:
            return i
    return None


def _read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    import openpyxl
    from openpyxl.utils import get_column_letter

    name = path.name
    info = SourceInfo(display_name=name, kind="xlsx", row_label="row")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors, ...)
            raise InputError(f"{name}: the workbook is corrupted and cannot be opened ({type(exc).__name__}); "
                             "open it in Excel and save it again as .xlsx, or export a CSV.") from exc
        try:
            sheets = {ws.title: ws for ws in wb.worksheets}
            names = list(sheets)
            if sheet is not None:
                if sheet not in sheets:
                    raise InputError(f"{name}: there is no sheet {sheet!r}; the sheets are "
                                     + ", ".join(repr(s) for s in names) + ".")
                candidates = [sheet]
            else:
                candidates = names
            chosen = None
            skipped = []
            first_with_data = None
            for title in candidates:
                ws = sheets[title]
                ws.reset_dimensions()
                rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
                if not any(_present(v) for r in rows for v in r):
                    if sheet is not None:
                        raise InputError(f"{name}: sheet {sheet!r} is empty.")
                    skipped.append((title, "is empty"))
                    continue
                if first_with_data is None:
                    first_with_data = title
                h = _find_header(rows)
                if h is None:
                    skipped.append((title, "has no table header"))
                    if sheet is None:
                        continue
                chosen = (title, rows, h)
                break
        finally:
            wb.close()
    for message in dict.fromkeys(str(w.message) for w in caught):
        info.notes.append(f"Excel reader: {message}")

    if chosen is None:
        if first_with_data is None:
            raise InputError(f"{name}: the workbook has no data (every sheet is empty).")
        raise InputError(f"{name}: no sheet has a table header (a row with at least 3 filled cells, at least half "
                         f"of them text, within the first {HEADER_SEARCH_ROWS} rows); sheets: "
                         + ", ".join(repr(s) for s in names) + ".")
    title, rows, h = chosen
    where = f"{name}, sheet {title!r}"
    if h is None:
        raise InputError(f"{where}: no table header found (a row with at least 3 filled cells, at least "
                         "half of them text, "
                         f"within the first {HEADER_SEARCH_ROWS} rows).")
    info.sheet = title
    if sheet is None and skipped:
        info.notes.append(f"sheet {title!r} used: " + "; ".join(f"sheet {t!r} {why}" for t, why in skipped))
    if len(names) > 1:
        info.notes.append(f"the workbook has {len(names)} sheets; sheet {title!r} was read")

    header_row_number = h + 1
    info.header_row = header_row_number
    if h > 0:
        info.notes.append(f"header found on row {header_row_number}; "
                          f"row{'s' if h > 1 else ''} above it skipped (title)")
    header_cells = rows[h]
    filled = [j for j, v in enumerate(header_cells) if _present(v)]
    first, last = filled[0], filled[-1]
    for j in range(first, last + 1):
        if not _present(header_cells[j]):
            raise InputError(f"{where}, cell {get_column_letter(j + 1)}{header_row_number} of the header is "
                             "empty (merged header cells?); give every column its own header cell.")
    header = [str(header_cells[j]).strip().lstrip("\ufeff").strip() for j in range(first, last + 1)]

    data = []
    for offset, row in enumerate(rows[h + 1:], start=h + 2):
        if not any(_present(v) for v in row):
            continue
        for j, v in enumerate(row):
            if (j < first or j > last) and _present(v):
                raise InputError(f"{where}, cell {get_column_letter(j + 1)}{offset} has a value but no header "
                                 "above it (merged header cells?); give that column a header.")
        cells = [row[j] if j < len(row) else None for j in range(first, last + 1)]
        data.append((offset, [v if _present(v) else None for v in cells]))

    if data:
        last_row, last_cells = data[-1]
        label = next((v for v in last_cells if v is not None), None)
        if isinstance(label, str) and TOTAL_ROW.match(label):
            data.pop()
            info.notes.append(f"row {last_row} ({label.strip()!r}) dropped: it looks like a total row")
    if not data:
        raise InputError(f"{where}: the sheet has a header (row {header_row_number}) but no data rows.")

    columns = [[cells[j] for _, cells in data] for j in range(len(header))]
    index = [r for r, _ in data]
    _check_header(header, f"{where}",
                  where=lambda j: f"cell {get_column_letter(first + j + 1)}{header_row_number}",
                  first_value_row=lambda j: index[0] if any(v is not None for v in columns[j]) else None,
                  row_label="row", notes=info.notes)
    df = pd.DataFrame({j: col for j, col in enumerate(columns)}, index=pd.Index(index, name="source_row"))
    df.columns = pd.Index(header)
    return df, info


# ---------------------------------------------------------------------------------------------
# typed sources: Parquet, SQLite, DuckDB, SQLAlchemy URLs


def _finish_typed(df: pd.DataFrame, name: str, info: SourceInfo, what: str) -> pd.DataFrame:
    """Header names stripped and checked, 1-based record index, blank records dropped."""
    header = [str(c).strip().lstrip("\ufeff").strip() for c in df.columns]
    positions: dict[str, list[int]] = {}
    for j, h in enumerate(header):
        positions.setdefault(h, []).append(j)
    for h, js in positions.items():
        if len(js) > 1:
            places = " and ".join(f"column {j + 1}" for j in js)
            raise InputError(f"{name}: {what} has the column {h!r} {len(js)} times ({places}); "
                             "each column needs a distinct name (use AS in a query).")
    df = df.copy()
    df.columns = pd.Index(header)
    df.index = pd.Index(range(1, len(df) + 1), name="source_row")
    blank_rows = pd.Series(True, index=df.index)
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        blank = col.isna()
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            blank |= col.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
        blank_rows &= blank
    if df.shape[1] and blank_rows.any():
        n = int(blank_rows.sum())
        info.notes.append(f"{n} entirely blank record{'s' if n > 1 else ''} dropped")
        df = df.loc[~blank_rows]
    if df.empty:
        raise InputError(f"{name}: {what} has no data rows.")
    return df


def _read_parquet(path: Path) -> tuple[pd.DataFrame, SourceInfo]:
    name = path.name
    info = SourceInfo(display_name=name, kind="parquet", row_label="record")
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise InputError(f"{name}: this is not a readable Parquet file ({_first_line(exc)}).") from exc
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        info.notes.append("index column(s) " + ", ".join(repr(str(n)) for n in df.index.names)
                          + " stored in the file read as ordinary columns")
        df = df.reset_index()
    return _finish_typed(df, name, info, "the file"), info


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _choose_table(name: str, tables: list[str], views: list[str], table: str | None) -> str:
    """The table to read: the one named (case-insensitive match), or the only table there is."""
    available = tables + views
    listing = ", ".join(repr(t) for t in available) if available else "none"
    if table is None:
        if len(tables) == 1:
            return tables[0]
        raise InputError(f"{name}: give a table or a query; the database has "
                         f"{'no tables' if not available else 'these tables: ' + listing}.")
    if table in available:
        return table
    folded = [t for t in available if t.lower() == table.lower()]
    if len(folded) == 1:
        return folded[0]
    raise InputError(f"{name}: there is no table {table!r}; the tables are {listing}.")


def _sql_info(name: str, kind: str, table: str | None, query: str | None, chosen: str | None,
              sql: str) -> SourceInfo:
    info = SourceInfo(display_name=name, kind=kind, row_label="record", table=chosen, query=sql)
    if table is None and query is None and chosen is not None:
        info.notes.append(f"table {chosen!r} used: it is the only table in the database")
    return info


def _read_sqlite(path: Path, table: str | None, query: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    name = path.name
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"{name}: the SQLite database cannot be opened ({exc}).") from exc
    try:
        chosen = None
        if query is None:
            try:
                objects = con.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                                      "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
            except sqlite3.Error as exc:
                raise InputError(f"{name}: the SQLite database cannot be read ({exc}).") from exc
            chosen = _choose_table(name, [n for n, t in objects if t == "table"],
                                   [n for n, t in objects if t == "view"], table)
            sql = f"SELECT * FROM {_quote_ident(chosen)}"
        else:
            sql = query
        try:
            cur = con.execute(sql)
            if cur.description is None:
                raise InputError(f"{name}: the query returned no table (is it a SELECT?).")
            cols = [d[0] for d in cur.description]
            df = pd.DataFrame.from_records(cur.fetchall(), columns=cols)
        except sqlite3.Error as exc:
            raise InputError(f"{name}: the query failed: {_first_line(exc)}.") from exc
    finally:
        con.close()
    info = _sql_info(name, "sqlite", table, query, chosen, sql)
    return _finish_typed(df, name, info, "the query result" if query else f"table {chosen!r}"), info


def _read_duckdb(path: Path, table: str | None, query: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    import duckdb

    name = path.name
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:  # duckdb.IOException, duckdb.Error, ...
        raise InputError(f"{name}: the DuckDB database cannot be opened ({_first_line(exc)}).") from exc
    try:
        chosen = None
        if query is None:
            objects = con.execute(
                "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                "WHERE table_catalog = current_database() "
                "AND table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2").fetchall()
            full = {(n if s == "main" else f"{s}.{n}"): (s, n) for s, n, _ in objects}
            tables = [(n if s == "main" else f"{s}.{n}") for s, n, t in objects if t != "VIEW"]
            views = [(n if s == "main" else f"{s}.{n}") for s, n, t in objects if t == "VIEW"]
            chosen = _choose_table(name, tables, views, table)
            schema, bare = full[chosen]
            sql = f"SELECT * FROM {_quote_ident(schema)}.{_quote_ident(bare)}"
        else:
            sql = query
        try:
            cur = con.execute(sql)
            if cur.description is None:
                raise InputError(f"{name}: the query returned no table (is it a SELECT?).")
            df = cur.df()
        except duckdb.Error as exc:
            raise InputError(f"{name}: the query failed: {_first_line(exc)}.") from exc
    finally:
        con.close()
    info = _sql_info(name, "duckdb", table, query, chosen, sql)
    return _finish_typed(df, name, info, "the query result" if query else f"table {chosen!r}"), info


def _mask_url(url: str) -> str:
    """The URL with its password hidden (also when SQLAlchemy cannot parse it)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


_SQL_SKIP = re.compile(
    r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(\$[A-Za-z_0-9]*\$).*?\1", re.DOTALL)


def _statement_count(sql: str) -> int:
    """How many SQL statements `sql` holds (`;` outside comments, quotes and dollar-quoted text;
    one trailing `;` allowed)."""
    bare = _SQL_SKIP.sub(" ", sql)
    return len([part for part in bare.split(";") if part.strip()])


def _read_url(url: str, table: str | None, query: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    masked = _mask_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InputError(f"{masked}: this is not a valid database URL (expected e.g. "
                         "postgresql://user@host/dbname or sqlite:///path/to/file.db).") from exc
    secret = parsed.password

    def clean(text: str) -> str:
        return text.replace(str(secret), "***") if secret else text

    backend = parsed.get_backend_name()
    notes: list[str] = []
    try:
        if backend == "sqlite":
            database = parsed.database
            if not database or database == ":memory:":
                raise InputError(f"{masked}: an in-memory SQLite database has no tables to read; "
                                 "give the path of a database file.")
            db_path = Path(database).expanduser()
            if not db_path.exists():
                raise InputError(f"{masked}: the database file does not exist (looked for {db_path.absolute()}).")
            uri = f"{db_path.resolve().as_uri()}?mode=ro"
            engine = sa.create_engine("sqlite+pysqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
            notes.append("opened read-only")
        else:
            engine = sa.create_engine(parsed)
    except InputError:
        raise
    except sa.exc.NoSuchModuleError as exc:
        raise InputError(f"{masked}: unknown database kind {parsed.drivername!r} in the URL "
                         "(expected e.g. postgresql://, mysql://, sqlite:///).") from exc
    except ImportError as exc:
        raise InputError(f"{masked}: the Python driver for {parsed.drivername!r} is not installed "
                         f"({clean(_first_line(exc))}).") from exc
    except Exception as exc:
        raise InputError(f"{masked}: the database URL cannot be used ({clean(_first_line(exc))}).") from exc

    if query is not None and _statement_count(query) > 1:
        # Several statements would run outside the read-only transaction ("COMMIT; DELETE ...").
        raise InputError(f"{masked}: the query holds more than one SQL statement; give a single SELECT "
                         "(amo-analysis only reads from a database).")
    read_only_sql = {
        "postgresql": "SET TRANSACTION READ ONLY",
        "oracle": "SET TRANSACTION READ ONLY",
        "mysql": "SET SESSION TRANSACTION READ ONLY",
        "mariadb": "SET SESSION TRANSACTION READ ONLY",
    }.get(backend)
    chosen = None
    sql = query
    try:
        try:
            conn = engine.connect()
        except Exception as exc:
            raise InputError(f"{masked}: cannot connect to the database ({clean(_first_line(exc))}).") from exc
        try:
            if read_only_sql:
                conn.exec_driver_sql(read_only_sql)
                notes.append("query run in a read-only transaction")
            elif backend != "sqlite":
                notes.append(f"{backend} has no read-only transaction here: the query runs in a transaction "
                             "that is rolled back, never committed")
            if query is None:
                inspector = sa.inspect(conn)
                tables = inspector.get_table_names()
                views = inspector.get_view_names()
                chosen = _choose_table(masked, tables, views, table)
                sql = f"SELECT * FROM {engine.dialect.identifier_preparer.quote(chosen)}"
            result = conn.execution_options(no_parameters=True).exec_driver_sql(sql)
            if not result.returns_rows:
                raise InputError(f"{masked}: the query returned no table (is it a SELECT?).")
            cols = list(result.keys())
            df = pd.DataFrame.from_records(result.fetchall(), columns=cols)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"{masked}: the query failed: {clean(_first_line(exc))}.") from exc
        finally:
            try:
                conn.rollback()
            finally:
                conn.close()
    finally:
        engine.dispose()

    info = _sql_info(masked, "sql", table, query, chosen, sql)
    info.notes[:0] = notes
    digest = hashlib.sha256()
    digest.update(sql.encode("utf-8") + b"\n")
    digest.update(df.to_csv(index=False).encode("utf-8"))
    info.checksum = "sha256:" + digest.hexdigest()
    return _finish_typed(df, masked, info, "the query result" if query else f"table {chosen!r}"), info
