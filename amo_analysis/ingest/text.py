"""Text tables (CSV, TSV, any delimited text): encoding, delimiter, header row, decimal mark and
thousands separator detected; the cells kept as strings.

Where it sits: one of the readers `sources.read_source` dispatches to (the start of the flow:
sources → cells → mapping → privacy → contract → metrics → portfolio). `read_text` decodes the bytes
(BOMs, UTF-8, cp1252, UTF-16, or UTF-8 and cp1252 line by line), takes the delimiter from a `sep=`
line, the .tsv extension or the most consistent field count, skips title lines above the header,
parses the records, drops a last line labelled "Total" (`total_row_label`, the workbook's rule), and
detects the number format from the numeric-looking cells (`detect_number_format`, shared with the
workbook reader: `SourceInfo.decimal` and `thousands`, which `contract` passes to `cells`). No cell
is converted: cells stay strings (blank -> missing); the index is the physical line number (header =
line 1).

Two parsers give the same table. pyarrow's CSV reader (`_parse_text_fast`) is used when the file's
layout lets it give exactly what the `csv` module gives (the usual case: a million lines in
seconds); otherwise the `csv` module reads it line by line (`_parse_text`), which also reports
ragged lines.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from amo_analysis.ingest import source_info
from amo_analysis.errors import InputError, Problem
from amo_analysis.i18n import Message

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_RECORDS = 50


def _many(key: str, n: int) -> str:
    """`key` for one, `key_many` for any other count (the locale files hold both)."""
    return key if n == 1 else key + "_many"


@dataclass
class _TextTable:
    """A parsed text file: its header, one Series per header cell (index = physical line of each
    data row, blank cells missing) and the notes made while parsing."""

    header_line: int
    header: list[str]
    columns: list[pd.Series]
    notes: list[str]


def read_text(path: Path) -> tuple[pd.DataFrame, source_info.SourceInfo]:
    """The table in a text file, its cells as strings (blank cells missing), and what was detected."""
    name = path.name
    info = source_info.SourceInfo(display_name=name, kind="csv", row_label="line")
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
        info.notes.append(Message("note_sep_declared", mark=repr(delimiter)))
    else:
        if path.suffix.lower() == ".tsv" and "\t" in text[:65536]:
            delimiter, note = "\t", Message("note_tsv")
        else:
            delimiter, note = _sniff_delimiter(text)
        info.notes.append(note)
    info.delimiter = delimiter

    table = _parse_text_fast(text, delimiter, bool(sep_hint)) or _parse_text(text, delimiter, bool(sep_hint), name)
    del text
    info.header_row = table.header_line
    info.notes.extend(table.notes)
    header, columns = table.header, _without_total_line(table.columns, name, table.header_line, info.notes)
    keep = source_info.check_header(
        header,
        name,
        where=lambda j: f"column {j + 1}",
        first_value_row=lambda j: columns[j].first_valid_index(),
        row_label="line",
        notes=info.notes,
    )
    header = [header[j] for j in keep]
    columns = [columns[j] for j in keep]
    header, renamed = source_info.distinct_header(header, lambda j: f"column {keep[j] + 1}", info.notes)

    samples = [col.iloc[: source_info.NUMBER_SAMPLE_ROWS].dropna().tolist() for col in columns]
    info.decimal, info.thousands = source_info.detect_number_format(samples, delimiter, info.notes)
    df = pd.DataFrame(dict(zip(header, columns)), index=columns[0].index)
    df.columns = pd.Index(header)
    df.attrs["duplicate_headers"] = renamed
    return df, info


def _without_total_line(columns: list[pd.Series], name: str, header_line: int, notes: list) -> list[pd.Series]:
    """`columns` without their last data line when it is a totals line (`total_row_label`, the
    workbook's rule; blank lines are never data lines, so a totals line between or after blank
    lines at the end of an export is the last one); a note says so."""
    label = source_info.total_row_label([col.iloc[-1] for col in columns])
    if label is None:
        return columns
    line = int(columns[0].index[-1])
    if len(columns[0]) == 1:
        raise InputError(
            f"{name}: the file has a header (line {header_line}) and a total line (line {line}) but no data rows."
        )
    notes.append(Message("note_total_line", line=line, label=repr(label)))
    return [col.iloc[:-1] for col in columns]


# ---------------------------------------------------------------------------------------------
# decoding


def _decode(raw: bytes, name: str, notes: list[str]) -> tuple[str, str]:
    """Decode with a strict cascade: BOMs, UTF-8, then cp1252; binary content is refused."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: the file starts like UTF-16 text but cannot be decoded; export it again as CSV (UTF-8)."
            ) from exc
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
    notes.append(Message("note_encoding", encoding=encoding))
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
    notes.append(Message(_many("note_mixed_encoding", len(legacy_lines)), n=len(legacy_lines), first=legacy_lines[0]))
    return "\n".join(decoded), "utf-8+cp1252"


def _binary_error(name: str) -> InputError:
    return InputError(
        f"{name}: the file does not look like a text table (it contains binary data); export it as CSV or .xlsx."
    )


# ---------------------------------------------------------------------------------------------
# records, delimiter and header


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
        return None, Message("note_no_delimiter")
    delim = best[1]
    return delim, Message("note_delimiter", mark=repr(delim)) if delim != "\t" else Message("note_delimiter_tab")


def _header_names(fields: list[str]) -> list[str]:
    return [h.strip().lstrip("\ufeff").strip() for h in fields]


def _locate_header(records: list) -> tuple[int, list[str]]:
    """Position of the header among the non-blank `records`, and a note for each title line above it.

    Title lines (one filled cell each, then a row of ≥ 3 filled cells, mostly text, within the first
    lines) are skipped, as Excel "save as CSV" keeps them.
    """
    if len(_filled(records[0][1])) <= 1:
        for i, (_, fields) in enumerate(records[: source_info.HEADER_SEARCH_ROWS]):
            cells = _filled(fields)
            if len(cells) > 1:
                if len(cells) >= 3 and sum(source_info.classify_number(c) is None for c in cells) > len(cells) / 2:
                    return i, [
                        Message("note_title_line", line=line, title=repr((_filled(skipped) or [""])[0].strip()))
                        for line, skipped in records[:i]
                    ]
                break
    return 0, []


# ---------------------------------------------------------------------------------------------
# the csv-module parser (any layout) and the pyarrow parser (the usual layouts, fast)


def _parse_text(text: str, delimiter: str | None, sep_hint: bool, name: str) -> _TextTable:
    """Every record through the `csv` module: any layout, ragged lines reported."""
    try:
        records = list(_records(text, delimiter or "\x1f"))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise InputError(
                f"{name}: a value is longer than {csv.field_size_limit():,} characters, which no portfolio cell "
                "is (a quote left open, or not a table); check the quotes, or export the table again."
            ) from exc
        raise InputError(f"{name}: the file cannot be parsed as CSV ({exc}); check quotes and the delimiter.") from exc
    if sep_hint:
        records = records[1:]
    records = [(line, fields) for line, fields in records if not _is_blank(fields)]
    if not records:
        raise InputError(f"{name}: the file is empty: it has no header and no data rows.")
    start, notes = _locate_header(records)
    header_line, header_fields = records[start]
    header = _header_names(header_fields)
    data = records[start + 1 :]
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
            [
                Problem(name, f"has {c} fields but the header has {n_header}", row=ln, row_label="line")
                for ln, c in ragged
            ],
        )
    if any(len(f) > n_header for _, f in data):
        notes.append(Message("note_cells_beyond_header"))
    short = sum(1 for _, f in data if len(f) < n_header)
    if short:
        notes.append(Message(_many("note_short_lines", short), n=short))

    index = pd.Index([line for line, _ in data], name="source_row")
    padded = [
        f if len(f) == n_header else (f[:n_header] if len(f) > n_header else f + [""] * (n_header - len(f)))
        for _, f in data
    ]
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
            if len(_filled(fields)) > 1 or len(head) >= source_info.HEADER_SEARCH_ROWS:
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
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=True,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
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
    columns = [
        pd.Series(pd.array(col, dtype="str"), index=index)
        if col.null_count < len(col)
        else pd.Series([None] * len(col), index=index, dtype=object)
        for col in cells
    ]
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
