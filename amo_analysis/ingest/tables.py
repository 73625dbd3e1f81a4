"""Typed tables: Parquet files, SQLite and DuckDB databases, and any database behind a SQLAlchemy URL.

Where it sits: one of the readers `sources.read_source` dispatches to. Databases are only read:
SQLite files are opened with `mode=ro`, DuckDB files `read_only`, and a URL's query runs in a
read-only transaction where the database has one (else in one that is rolled back); a query must be
a single statement. A table is the one named (any case) or the only one there is. Cells keep their
native types; the index is the 1-based record number; blank records are dropped. Passwords in URLs
never appear in messages (`mask_url`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pandas as pd

from amo_analysis.ingest.source_info import SourceInfo
from amo_analysis.errors import InputError


def _finish_typed(df: pd.DataFrame, name: str, info: SourceInfo, what: str) -> pd.DataFrame:
    """Header names stripped and checked, 1-based record index, blank records dropped."""
    header = [str(c).strip().lstrip("\ufeff").strip() for c in df.columns]
    positions: dict[str, list[int]] = {}
    for j, h in enumerate(header):
        positions.setdefault(h, []).append(j)
    for h, js in positions.items():
        if len(js) > 1:
            places = " and ".join(f"column {j + 1}" for j in js)
            raise InputError(
                f"{name}: {what} has the column {h!r} {len(js)} times ({places}); "
                "each column needs a distinct name (use AS in a query)."
            )
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


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------
# Parquet


def read_parquet(path: Path) -> tuple[pd.DataFrame, SourceInfo]:
    """The table in a Parquet file (a stored index becomes ordinary columns)."""
    name = path.name
    info = SourceInfo(display_name=name, kind="parquet", row_label="record")
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise InputError(f"{name}: this is not a readable Parquet file ({_first_line(exc)}).") from exc
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        info.notes.append(
            "index column(s) "
            + ", ".join(repr(str(n)) for n in df.index.names)
            + " stored in the file read as ordinary columns"
        )
        df = df.reset_index()
    return _finish_typed(df, name, info, "the file"), info


# ---------------------------------------------------------------------------------------------
# SQLite and DuckDB files


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _choose_table(name: str, tables: list[str], views: list[str], table: str | None) -> str:
    """The table to read: the one named (case-insensitive match), or the only table there is."""
    available = tables + views
    listing = ", ".join(repr(t) for t in available) if available else "none"
    if table is None:
        if len(tables) == 1:
            return tables[0]
        raise InputError(
            f"{name}: give a table or a query; the database has "
            f"{'no tables' if not available else 'these tables: ' + listing}."
        )
    if table in available:
        return table
    folded = [t for t in available if t.lower() == table.lower()]
    if len(folded) == 1:
        return folded[0]
    raise InputError(f"{name}: there is no table {table!r}; the tables are {listing}.")


def _sql_info(name: str, kind: str, table: str | None, query: str | None, chosen: str | None, sql: str) -> SourceInfo:
    info = SourceInfo(display_name=name, kind=kind, row_label="record", table=chosen, query=sql)
    if table is None and query is None and chosen is not None:
        info.notes.append(f"table {chosen!r} used: it is the only table in the database")
    return info


def read_sqlite(path: Path, table: str | None, query: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    """A table or a query result of a SQLite file, opened read-only."""
    name = path.name
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"{name}: the SQLite database cannot be opened ({exc}).") from exc
    try:
        chosen = None
        if query is None:
            try:
                objects = con.execute(
                    "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                ).fetchall()
            except sqlite3.Error as exc:
                raise InputError(f"{name}: the SQLite database cannot be read ({exc}).") from exc
            chosen = _choose_table(
                name, [n for n, t in objects if t == "table"], [n for n, t in objects if t == "view"], table
            )
            sql = f"SELECT * FROM {_quote_ident(chosen)}"
        else:
            sql = query
        df = _query_frame(
            con,
            sql,
            name,
            sqlite3.Error,
            lambda cur: pd.DataFrame.from_records(cur.fetchall(), columns=[d[0] for d in cur.description]),
        )
    finally:
        con.close()
    info = _sql_info(name, "sqlite", table, query, chosen, sql)
    return _finish_typed(df, name, info, "the query result" if query else f"table {chosen!r}"), info


def _query_frame(con, sql: str, name: str, error: type[Exception], to_frame) -> pd.DataFrame:
    """The table `sql` returns on the connection `con` (`to_frame` reads its cursor); a query that
    returns no table or fails (`error`, the driver's exception) is one `InputError` sentence."""
    try:
        cur = con.execute(sql)
        if cur.description is None:
            raise InputError(f"{name}: the query returned no table (is it a SELECT?).")
        return to_frame(cur)
    except error as exc:
        raise InputError(f"{name}: the query failed: {_first_line(exc)}.") from exc


def read_duckdb(path: Path, table: str | None, query: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    """A table or a query result of a DuckDB file, opened read-only."""
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
                "AND table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2"
            ).fetchall()
            full = {(n if s == "main" else f"{s}.{n}"): (s, n) for s, n, _ in objects}
            tables = [(n if s == "main" else f"{s}.{n}") for s, n, t in objects if t != "VIEW"]
            views = [(n if s == "main" else f"{s}.{n}") for s, n, t in objects if t == "VIEW"]
            chosen = _choose_table(name, tables, views, table)
            schema, bare = full[chosen]
            sql = f"SELECT * FROM {_quote_ident(schema)}.{_quote_ident(bare)}"
        else:
            sql = query
        df = _query_frame(con, sql, name, duckdb.Error, lambda cur: cur.df())
    finally:
        con.close()
    info = _sql_info(name, "duckdb", table, query, chosen, sql)
    return _finish_typed(df, name, info, "the query result" if query else f"table {chosen!r}"), info


# ---------------------------------------------------------------------------------------------
# SQLAlchemy URLs


def mask_url(url: str) -> str:
    """The URL with its password hidden (also when SQLAlchemy cannot parse it)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


_SQL_SKIP = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(\$[A-Za-z_0-9]*\$).*?\1", re.DOTALL)


def _statement_count(sql: str) -> int:
    """How many SQL statements `sql` holds (`;` outside comments, quotes and dollar-quoted text;
    one trailing `;` allowed)."""
    bare = _SQL_SKIP.sub(" ", sql)
    return len([part for part in bare.split(";") if part.strip()])


def read_url(url: str, table: str | None, query: str | None) -> tuple[pd.DataFrame, SourceInfo]:
    """A table or a single-statement query result of the database at a SQLAlchemy URL, never committed;
    the checksum covers the query text and the result."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    masked = mask_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise InputError(
            f"{masked}: this is not a valid database URL (expected e.g. "
            "postgresql://user@host/dbname or sqlite:///path/to/file.db)."
        ) from exc
    secret = parsed.password

    def clean(text: str) -> str:
        return text.replace(str(secret), "***") if secret else text

    backend = parsed.get_backend_name()
    notes: list[str] = []
    try:
        if backend == "sqlite":
            database = parsed.database
            if not database or database == ":memory:":
                raise InputError(
                    f"{masked}: an in-memory SQLite database has no tables to read; give the path of a database file."
                )
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
        raise InputError(
            f"{masked}: unknown database kind {parsed.drivername!r} in the URL "
            "(expected e.g. postgresql://, mysql://, sqlite:///)."
        ) from exc
    except ImportError as exc:
        raise InputError(
            f"{masked}: the Python driver for {parsed.drivername!r} is not installed ({clean(_first_line(exc))})."
        ) from exc
    except Exception as exc:
        raise InputError(f"{masked}: the database URL cannot be used ({clean(_first_line(exc))}).") from exc

    if query is not None and _statement_count(query) > 1:
        # Several statements would run outside the read-only transaction ("COMMIT; DELETE ...").
        raise InputError(
            f"{masked}: the query holds more than one SQL statement; give a single SELECT "
            "(amo-analysis only reads from a database)."
        )
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
                notes.append(
                    f"{backend} has no read-only transaction here: the query runs in a transaction "
                    "that is rolled back, never committed"
                )
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
