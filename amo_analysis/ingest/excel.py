"""Excel workbooks (.xlsx, .xlsm): the sheet, the header row, the data rows with their native cell types.

Where it sits: one of the readers `sources.read_source` dispatches to. `read_xlsx` opens the
workbook read-only (computed values, not formulas), reads the named sheet or else the first sheet
with a table header (a row with at least 3 filled cells, at least half of them text, within the
first rows), skips title rows above the header and a trailing total row (`total_row_label`, the
text reader's rule too), reads a header split over two rows (group cells such as "Budget" above
"Prévu" | "Réel", merged or not: `_two_row_header`) as combined names ("Budget prévu"), and keeps each
cell as openpyxl gives it (numbers, datetimes, text); the index is the Excel row number. Numbers
stored as text ('75 000,00') set the decimal mark and thousands separator (`detect_number_format`,
the text reader's detection) that `contract` reads them with; typed cells are not affected.

Before openpyxl parses anything, `check_workbook_size` reads the zip directory and the first bytes of
each sheet: a workbook whose parts declare more than `INPUT_LIMITS.xlsx_max_unpacked_bytes` unpacked,
a large part packed more than `xlsx_max_ratio` times (the mark of a zip bomb), or a sheet whose declared
dimension has more rows than Excel allows (`xlsx_max_rows`) is refused in one sentence; a sheet without
a declared dimension is also stopped while it is read, past that many rows.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
import zipfile
from pathlib import Path

import pandas as pd

from amo_analysis.ingest.source_info import (
    HEADER_SEARCH_ROWS,
    NUMBER_SAMPLE_ROWS,
    SourceInfo,
    check_header,
    classify_number,
    detect_number_format,
    distinct_header,
    total_row_label,
)
from amo_analysis.defaults import INPUT_LIMITS, InputLimits
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message


def _present(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _find_header(rows: list[tuple]) -> int | None:
    """0-based position of the header among `rows`: ≥ 3 filled cells, at least half of them text."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        filled = [v for v in row if _present(v)]
        if len(filled) >= 3 and sum(isinstance(v, str) for v in filled) >= len(filled) / 2:
            return i
    return None


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"")


def _size(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB" if n < 1024**3 else f"{n / 1024**3:,.1f} GB"


def check_workbook_size(path: Path, limits: InputLimits = INPUT_LIMITS) -> None:
    """Refuse, before parsing it, a workbook whose zip directory or sheet dimensions declare more than
    `limits` allow (see the module docstring); one `InputError` sentence naming the file and the limit."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
            unpacked = sum(info.file_size for info in parts)
            if unpacked > limits.xlsx_max_unpacked_bytes:
                raise InputError(
                    f"{name}: the workbook declares {_size(unpacked)} once unpacked, above the "
                    f"{_size(limits.xlsx_max_unpacked_bytes)} limit; it was not opened (export the rows "
                    "and columns needed, or save it as CSV)."
                )
            for info in parts:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > limits.xlsx_ratio_from_bytes and ratio > limits.xlsx_max_ratio:
                    raise InputError(
                        f"{name}: the part {info.filename} of the workbook unpacks {ratio:,.0f} times its "
                        f"packed size ({_size(info.file_size)}), the mark of a zip bomb; it was not opened."
                    )
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        head = fh.read(4096)
                    found = _DIMENSION.search(head)
                    if found and int(found.group(1)) > limits.xlsx_max_rows:
                        raise InputError(
                            f"{name}: {info.filename.rsplit('/', 1)[-1]} declares {int(found.group(1)):,} rows, "
                            f"more than Excel's {limits.xlsx_max_rows:,}; it was not opened."
                        )
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return  # openpyxl says the workbook is corrupted, in its own sentence


def _rows(ws, name: str, title: str, limits: InputLimits = INPUT_LIMITS) -> list[tuple]:
    """The rows of a sheet as tuples, stopped past `limits.xlsx_max_rows` (a sheet without a dimension)."""
    rows = []
    for row in ws.iter_rows(values_only=True):
        rows.append(tuple(row))
        if len(rows) > limits.xlsx_max_rows:
            raise InputError(f"{name}: sheet {title!r} has more than Excel's {limits.xlsx_max_rows:,} rows.")
    return rows


def open_workbook(path: Path):
    """The workbook at `path`, opened read-only with cached values, after `check_workbook_size`; a
    file openpyxl cannot open is one `InputError` sentence saying what to do."""
    import openpyxl

    check_workbook_size(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors, ...)
        raise InputError(
            f"{path.name}: the workbook is corrupted and cannot be opened ({type(exc).__name__}); "
            "open it in Excel and save it again as .xlsx, or export a CSV."
        ) from exc


def read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    """The table in one sheet of a workbook (`sheet`, or the first with a table header), and what was found."""
    from openpyxl.utils import get_column_letter

    name = path.name
    info = SourceInfo(display_name=name, kind="xlsx", row_label="row")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wb = open_workbook(path)
        try:
            sheets = {ws.title: ws for ws in wb.worksheets}
            names = list(sheets)
            if sheet is not None:
                if sheet not in sheets:
                    raise InputError(
                        f"{name}: there is no sheet {sheet!r}; the sheets are "
                        + ", ".join(repr(s) for s in names)
                        + "."
                    )
                candidates = [sheet]
            else:
                candidates = names
            chosen = None
            skipped = []
            first_with_data = None
            for title in candidates:
                ws = sheets[title]
                ws.reset_dimensions()
                rows = _rows(ws, name, title)
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
                chosen = (title, rows, h, getattr(ws, "_worksheet_path", None))  # openpyxl's part name
                break
        finally:
            wb.close()
    for message in dict.fromkeys(str(w.message) for w in caught):
        info.notes.append(Message("note_excel_reader", message=message))

    if chosen is None:
        if first_with_data is None:
            raise InputError(f"{name}: the workbook has no data (every sheet is empty).")
        raise InputError(
            f"{name}: no sheet has a table header (a row with at least 3 filled cells, at least half "
            f"of them text, within the first {HEADER_SEARCH_ROWS} rows); sheets: "
            + ", ".join(repr(s) for s in names)
            + "."
        )
    title, rows, h, part = chosen
    where = f"{name}, sheet {title!r}"
    if h is None:
        raise InputError(
            f"{where}: no table header found (a row with at least 3 filled cells, at least "
            "half of them text, "
            f"within the first {HEADER_SEARCH_ROWS} rows)."
        )
    info.sheet = title
    if sheet is None and skipped:
        info.notes.append(
            Message("note_sheet_used", sheet=repr(title), skipped="; ".join(f"sheet {t!r} {why}" for t, why in skipped))
        )
    if len(names) > 1:
        info.notes.append(Message("note_sheets", n=len(names), sheet=repr(title)))

    header_row_number = h + 1
    info.header_row = header_row_number
    if h > 0:
        info.notes.append(Message("note_header_row" + ("_many" if h > 1 else ""), row=header_row_number))
    header_cells = rows[h]
    filled = [j for j, v in enumerate(header_cells) if _present(v)]
    first, last = filled[0], filled[-1]
    split = _two_row_header(rows, h, lambda: _merged_ranges(path, part), where, info.notes)
    if split is not None:
        first, last, header = split
    else:
        for j in range(first, last + 1):
            if not _present(header_cells[j]):
                raise InputError(
                    f"{where}, cell {get_column_letter(j + 1)}{header_row_number} of the header is "
                    "empty (merged header cells?); give every column its own header cell."
                )
        header = [str(header_cells[j]).strip().lstrip("\ufeff").strip() for j in range(first, last + 1)]

    data = []
    data_start = h + (2 if split is not None else 1)
    for offset, row in enumerate(rows[data_start:], start=data_start + 1):
        if not any(_present(v) for v in row):
            continue
        for j, v in enumerate(row):
            if (j < first or j > last) and _present(v):
                raise InputError(
                    f"{where}, cell {get_column_letter(j + 1)}{offset} has a value but no header "
                    "above it (merged header cells?); give that column a header."
                )
        cells = [row[j] if j < len(row) else None for j in range(first, last + 1)]
        data.append((offset, [v if _present(v) else None for v in cells]))

    if data:
        last_row, last_cells = data[-1]
        label = total_row_label(last_cells)
        if label is not None:
            data.pop()
            info.notes.append(Message("note_total_row", row=last_row, label=repr(label)))
    if not data:
        raise InputError(f"{where}: the sheet has a header (row {header_row_number}) but no data rows.")

    columns = [[cells[j] for _, cells in data] for j in range(len(header))]
    index = [r for r, _ in data]
    check_header(
        header,
        f"{where}",
        where=lambda j: f"cell {get_column_letter(first + j + 1)}{header_row_number}",
        first_value_row=lambda j: index[0] if any(v is not None for v in columns[j]) else None,
        row_label="row",
        notes=info.notes,
    )
    header, renamed = distinct_header(
        header, lambda j: f"cell {get_column_letter(first + j + 1)}{header_row_number}", info.notes
    )
    _detect_text_cells(header, columns, info)
    df = pd.DataFrame({j: col for j, col in enumerate(columns)}, index=pd.Index(index, name="source_row"))
    df.columns = pd.Index(header)
    df.attrs["duplicate_headers"] = renamed
    return df, info


# ---------------------------------------------------------------------------------------------
# numbers and dates stored as text


_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


def _number_text(value: str) -> bool:
    """True for a text cell written as a number: what `classify_number` recognises (a decimal mark,
    thousands grouped by '.', ',' or a space) or plain digits ("365")."""
    return classify_number(value) is not None or _WHOLE_NUMBER.fullmatch(value.strip()) is not None


def _detect_text_cells(header: list[str], columns: list[list], info: SourceInfo) -> None:
    """Numbers a workbook stores as text ("nombre stocké sous forme de texte": '75 000,00', '0,62'):
    the decimal mark and thousands separator are detected from the columns whose text cells are
    mostly numbers, by `detect_number_format`, the text reader's detection (`info.decimal`,
    `info.thousands`, which `contract` reads them with); a note names the columns and counts. Typed
    cells (numbers, datetimes) are not looked at; a workbook without such text changes nothing.
    Dates stored as text ('14/03/2022') are read by `contract`, as in a text export."""
    samples, numbers = [], []
    for name, col in zip(header, columns):
        head = [v for v in col[:NUMBER_SAMPLE_ROWS] if isinstance(v, str)]
        if 2 * sum(map(_number_text, head)) <= len(head):
            continue  # no text, or mostly words, in the first rows: a column of typed cells or of text
        texts = Counter(v for v in col if isinstance(v, str))  # each distinct text classified once
        n_numbers = sum(k for v, k in texts.items() if _number_text(v))
        if n_numbers and 2 * n_numbers > texts.total():
            samples.append([v.strip() for v in col[:NUMBER_SAMPLE_ROWS] if isinstance(v, str) and _number_text(v)])
            numbers.append((name, n_numbers))
    if samples:
        info.decimal, info.thousands = detect_number_format(samples, None, info.notes)
        n = sum(k for _, k in numbers)
        listed = ", ".join(f"'{name}' ({k})" for name, k in numbers)
        info.notes.append(Message("note_numbers_as_text" + ("_many" if n > 1 else ""), n=n, columns=listed))


# ---------------------------------------------------------------------------------------------
# a header over two rows (group cells above the names of their columns)


_MERGE_CELL = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+[0-9]+:[A-Z]+[0-9]+)\"")


def _merged_ranges(path: Path, part: str | None) -> list[tuple[int, int, int, int]]:
    """The merged cell ranges of a worksheet part, as (min_col, min_row, max_col, max_row), 1-based
    (openpyxl's read-only sheets do not give them). The part is read by chunks: its <mergeCells>
    element follows the rows."""
    from openpyxl.utils import range_boundaries

    if not part:
        return []
    refs: set[bytes] = set()
    try:
        with zipfile.ZipFile(path) as zf, zf.open(part.lstrip("/")) as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                buf = tail + chunk
                refs.update(m.group(1) for m in _MERGE_CELL.finditer(buf))
                tail = buf[-200:]  # a reference cut by the chunk's end is found in the next one
    except (KeyError, zipfile.BadZipFile, OSError):
        return []
    return sorted(range_boundaries(r.decode("ascii")) for r in refs)


def _combined_name(group: str, name: str) -> str:
    """'Budget' + 'Prévu' -> 'Budget prévu' (a capital kept when the name is an acronym: 'AMO')."""
    group, name = group.strip(), name.strip()
    if name[:1].isupper() and name[1:2].islower():
        name = name[0].lower() + name[1:]
    return f"{group} {name}"


def _two_row_header(rows: list[tuple], h: int, merged, where: str, notes: list) -> tuple[int, int, list[str]] | None:
    """(first column, last column, names) of a header split over rows h and h + 1 (0-based), or None
    when the header is not one (then the one-row header rules apply, unchanged).

    The layout of French reporting workbooks: group cells in the upper row ("Budget", "Délai (jours)")
    stand above the names of their columns in the lower row ("Prévu" | "Réel"); every other column
    has its name in the upper row (often merged down over both rows) and nothing below it. A group
    spans its merged range (`merged()`: the sheet's merged ranges) or, unmerged, its first cell and the
    blank upper cells to its right that have a name below; a column's name is "group name"
    ('Budget prévu'). It is one only when the upper row has a blank cell (or the lower row a name
    beyond the upper row's last one), every filled cell of the lower row is text under a group
    or under a blank upper cell, and no column of a group is without its name; a blank lower cell in
    a group is an `InputError` naming the cell.
    """
    from openpyxl.utils import get_column_letter

    if h + 1 >= len(rows):
        return None
    width = max(len(rows[h]), len(rows[h + 1]))
    up = [v if _present(v) else None for v in rows[h]] + [None] * (width - len(rows[h]))
    low = [v if _present(v) else None for v in rows[h + 1]] + [None] * (width - len(rows[h + 1]))
    filled_up = [j for j in range(width) if up[j] is not None]
    filled_low = [j for j in range(width) if low[j] is not None]
    if not filled_low or any(not isinstance(low[j], str) for j in filled_low):
        return None
    first, last = filled_up[0], max(filled_up[-1], filled_low[-1])
    if filled_low[0] < first or all(up[j] is not None for j in range(first, last + 1)):
        return None
    upper_row = h + 1
    group_of: dict[int, int] = {}  # column -> first column of its group
    for min_col, min_row, max_col, max_row in merged():
        if min_row == max_row == upper_row and max_col > min_col and up[min_col - 1] is not None:
            group_of.update((j, min_col - 1) for j in range(min_col - 1, min(max_col, width)))
    for g in filled_up:
        j = g + 1
        while g not in group_of and j <= last and up[j] is None and low[j] is not None and j not in group_of:
            j += 1
        if j > g + 1:
            group_of.update((k, g) for k in range(g, j))
    if any(j not in group_of and up[j] is not None for j in filled_low):
        return None  # a name below a column that is no group: a data row, not a header
    names, pairs = [], []
    for j in range(first, last + 1):
        g = group_of.get(j)
        if g is None:
            names.append("" if up[j] is None and low[j] is None else str(up[j] if up[j] is not None else low[j]))
            continue
        if low[j] is None:
            raise InputError(
                f"{where}, cell {get_column_letter(j + 1)}{upper_row + 1} is empty under the group "
                f"{str(up[g]).strip()!r} of the header (rows {upper_row}–{upper_row + 1}); give every column "
                "of the group its own name."
            )
        names.append(_combined_name(str(up[g]), str(low[j])))
        pairs.append(f"'{str(up[g]).strip()}' + '{str(low[j]).strip()}' → '{names[-1]}'")
    if not pairs:
        return None  # names below blank cells but no group: not a header this rule reads
    names = [n.strip().lstrip("\ufeff").strip() for n in names]
    notes.append(Message("note_two_row_header", upper=upper_row, lower=upper_row + 1, pairs="; ".join(pairs)))
    return first, last, names
