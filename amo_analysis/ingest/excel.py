"""Excel workbooks (.xlsx, .xlsm): the sheet, the header row, the data rows with their native cell types.

Where it sits: one of the readers `sources.read_source` dispatches to. `read_xlsx` opens the
workbook read-only (computed values, not formulas), reads the named sheet or else the first sheet
with a table header (a row with at least 3 filled cells, at least half of them text, within the
first rows), skips title rows above the header and a trailing total row, and keeps each cell as
openpyxl gives it (numbers, datetimes, text); the index is the Excel row number.

Before openpyxl parses anything, `check_workbook_size` reads the zip directory and the first bytes of
each sheet: a workbook whose parts declare more than `INPUT_LIMITS.xlsx_max_unpacked_bytes` unpacked,
a large part packed more than `xlsx_max_ratio` times (the mark of a zip bomb), or a sheet whose declared
dimension has more rows than Excel allows (`xlsx_max_rows`) is refused in one sentence; a sheet without
a declared dimension is also stopped while it is read, past that many rows.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd

from amo_analysis.ingest.source_info import HEADER_SEARCH_ROWS, SourceInfo, check_header, distinct_header
from amo_analysis.defaults import INPUT_LIMITS, InputLimits
from amo_analysis.errors import InputError
from amo_analysis.i18n import Message

TOTAL_ROW = re.compile(r"^\s*(total|totaux|totals|somme|sum|grand total)\b", re.IGNORECASE)


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
                chosen = (title, rows, h)
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
    title, rows, h = chosen
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
    for j in range(first, last + 1):
        if not _present(header_cells[j]):
            raise InputError(
                f"{where}, cell {get_column_letter(j + 1)}{header_row_number} of the header is "
                "empty (merged header cells?); give every column its own header cell."
            )
    header = [str(header_cells[j]).strip().lstrip("\ufeff").strip() for j in range(first, last + 1)]

    data = []
    for offset, row in enumerate(rows[h + 1 :], start=h + 2):
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
        label = next((v for v in last_cells if v is not None), None)
        if isinstance(label, str) and TOTAL_ROW.match(label):
            data.pop()
            info.notes.append(Message("note_total_row", row=last_row, label=repr(label.strip())))
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
    df = pd.DataFrame({j: col for j, col in enumerate(columns)}, index=pd.Index(index, name="source_row"))
    df.columns = pd.Index(header)
    df.attrs["duplicate_headers"] = renamed
    return df, info
