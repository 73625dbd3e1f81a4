"""Get the raw table out of whatever the analyst has, and say what was detected: `read_source`.

Where it sits: the start of the flow, sources → cells → mapping → privacy → contract → metrics →
portfolio. `read_source` tells the kind of source from the file's signature first and its extension
second, checks the options and the size limit, and hands the file to one reader:

* `text` - CSV/TSV/text (encoding, delimiter, decimal mark, thousands separator, header row);
* `excel` - .xlsx/.xlsm (sheet, header row, title and total rows skipped);
* `tables` - Parquet, SQLite and DuckDB files (a table or a query, opened read-only) and any
  SQLAlchemy URL (a query or a table, run in a read-only transaction where the database supports it).

Each reader returns the raw table and a `SourceInfo` (defined in `source_info`, importable from here);
this module adds the checksum of the file. No renaming or type conversion happens here (that is
`mapping`, `cells` and `contract`): text cells stay strings, typed sources keep their native cell
types. The returned DataFrame's index is the row number as the user sees it ("source_row"): the
physical CSV line (header = line 1), the Excel row number, or the 1-based record number for Parquet
and SQL. Input files are never modified.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pandas as pd

from amo_analysis.ingest.excel import read_xlsx
from amo_analysis.ingest.source_info import SourceInfo
from amo_analysis.ingest.tables import mask_url, read_duckdb, read_parquet, read_sqlite, read_url
from amo_analysis.ingest.text import read_text
from amo_analysis.errors import InputError

__all__ = ["SourceInfo", "read_source", "table_sheets"]

XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
SQLITE_EXTENSIONS = {".sqlite", ".sqlite3", ".db"}
DUCKDB_EXTENSIONS = {".duckdb", ".ddb"}

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_SQLITE_SIGNATURE = b"SQLite format 3\x00"
_PARQUET_SIGNATURE = b"PAR1"


def read_source(
    source: str | os.PathLike,
    *,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    max_bytes: int = 500 * 1024**2,
) -> tuple[pd.DataFrame, SourceInfo]:
    """Read the table in `source` and report what was detected.

    `source` is a file path or a SQLAlchemy URL (anything containing "://"). `sheet` applies to
    Excel files, `table`/`query` (at most one) to SQLite/DuckDB files and database URLs.
    `max_bytes` bounds the size of text, Excel and Parquet files (checked before reading).
    Raises `InputError` with one sentence for anything the user can fix.
    """
    is_url = isinstance(source, str) and "://" in source
    if table is not None and query is not None:
        shown = mask_url(source) if is_url else (Path(source).name or str(source))
        raise InputError(f"{shown}: give either a table or a query, not both.")
    if is_url:
        if sheet is not None:
            raise InputError(f"{mask_url(source)}: 'sheet' only applies to Excel files.")
        return read_url(source, table=table, query=query)

    path = Path(source).expanduser()
    name = path.name or str(path)
    if not path.exists():
        raise InputError(f"{name}: the file does not exist (looked for {path.absolute()}).")
    if path.is_dir():
        raise InputError(f"{name}: this is a folder, not a file; give the path of the table file.")
    if name.startswith("~$"):
        raise InputError(
            f"{name}: this is the lock file Excel keeps beside a workbook that is open, not a "
            f"portfolio; give the workbook itself ({name[2:]})."
        )
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(f"{name}: the file cannot be opened ({exc.strerror or exc}).") from exc
    kind = _detect_kind(path, head)

    if kind in ("sqlite", "duckdb"):
        if sheet is not None:
            raise InputError(f"{name}: 'sheet' only applies to Excel files; use a table or a query.")
        reader = read_sqlite if kind == "sqlite" else read_duckdb
        df, info = reader(path, table=table, query=query)
        info.checksum = _file_checksum(path)
        return df, info

    if table is not None or query is not None:
        raise InputError(f"{name}: a table or a query only applies to database sources, not to {kind} files.")
    if kind != "xlsx" and sheet is not None:
        raise InputError(f"{name}: 'sheet' only applies to Excel files, not to {kind} files.")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{name}: the file is {_human_bytes(size)}, above the {_human_bytes(max_bytes)} limit "
            "(raise max_bytes, or export only the columns and rows needed)."
        )
    if kind == "xlsx":
        df, info = read_xlsx(path, sheet=sheet)
    elif kind == "parquet":
        df, info = read_parquet(path)
    else:
        df, info = read_text(path)
    info.checksum = _file_checksum(path)
    return df, info


def table_sheets(path: str | os.PathLike) -> list[str]:
    """The sheets of an Excel workbook that hold a table (a header row found as `read_source` finds
    it), in workbook order; empty sheets and sheets of notes are left out. A folder of client
    exports reads each of them as a source (`collection`)."""
    from amo_analysis.ingest.excel import _find_header, open_workbook

    path = Path(path)
    wb = open_workbook(path)  # a zip bomb in a folder of exports is refused here too, before parsing
    try:
        found = []
        for ws in wb.worksheets:
            ws.reset_dimensions()
            rows = [tuple(r) for _, r in zip(range(40), ws.iter_rows(values_only=True))]
            if _find_header(rows) is not None:
                found.append(ws.title)
        return found
    finally:
        wb.close()


def _detect_kind(path: Path, head: bytes) -> str:
    """The reader to use, from the file's signature first and its extension second."""
    name, ext = path.name, path.suffix.lower()
    if head.startswith(_OLE_SIGNATURE):
        if ext == ".xls":
            raise InputError(
                f"{name}: this is an old-format Excel workbook (.xls); open it in Excel and save it as .xlsx or CSV."
            )
        raise InputError(
            f"{name}: this is a password-protected (encrypted) workbook or an old .xls file; "
            "remove the password (File > Info > Protect Workbook) and save it as .xlsx or CSV."
        )
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
            raise InputError(
                f"{name}: the workbook is corrupted and cannot be opened ({exc}); "
                "open it in Excel and save it again as .xlsx, or export a CSV."
            ) from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            raise InputError(f"{name}: binary Excel workbooks (.xlsb) are not supported; save it as .xlsx or CSV.")
        if "content.xml" in names:
            raise InputError(f"{name}: OpenDocument spreadsheets (.ods) are not supported; save it as .xlsx or CSV.")
        if ext in XLSX_EXTENSIONS:
            raise InputError(
                f"{name}: the workbook is corrupted (no workbook inside the archive); "
                "open it in Excel and save it again as .xlsx, or export a CSV."
            )
        raise InputError(f"{name}: this is a zip archive, not a table; extract the CSV or .xlsx file first.")
    if ext in XLSX_EXTENSIONS:
        raise InputError(
            f"{name}: the workbook is corrupted or is not an Excel file; "
            "open it in Excel and save it again as .xlsx, or export a CSV."
        )
    if ext == ".xls":
        raise InputError(
            f"{name}: this file is not a real Excel workbook (exports named .xls are often "
            "HTML or text); open it in Excel and save it as .xlsx or CSV."
        )
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
