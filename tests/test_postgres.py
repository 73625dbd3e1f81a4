"""A real PostgreSQL source: a portfolio loaded through a SQLAlchemy URL, in a read-only transaction.

Needs a server: `.ci/run` installs and starts one and exports AMO_TEST_POSTGRES_URL (e.g.
postgresql+psycopg://amo:secret@127.0.0.1:5432/amo_test) and AMO_REQUIRE_POSTGRES=1. Without the URL
the tests skip, unless AMO_REQUIRE_POSTGRES=1, when they fail.
"""

from __future__ import annotations

import os
import socket

import pytest

from amo_analysis.errors import InputError
from amo_analysis.ingest.portfolio import load_portfolio
from amo_analysis.synth import make_portfolio

URL = os.environ.get("AMO_TEST_POSTGRES_URL")
REQUIRED = os.environ.get("AMO_REQUIRE_POSTGRES") == "1"
N = 30
TABLE = f"amo_portfolio_{os.getpid()}"

if not URL:
    if REQUIRED:
        pytest.fail(
            "AMO_REQUIRE_POSTGRES=1 but AMO_TEST_POSTGRES_URL is not set: .ci/run should have "
            "started PostgreSQL and exported it",
            pytrace=False,
        )
    pytest.skip(
        "no PostgreSQL server: set AMO_TEST_POSTGRES_URL (see .ci/run) to run these tests", allow_module_level=True
    )


@pytest.fixture(scope="module")
def engine():
    import sqlalchemy as sa

    eng = sa.create_engine(URL)
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # the server .ci/run should have started is not there
        message = f"cannot reach the PostgreSQL server at AMO_TEST_POSTGRES_URL ({type(exc).__name__})"
        if REQUIRED:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    make_portfolio(N, 0).to_sql(TABLE, eng, index=False, if_exists="replace")  # the test's own set-up
    yield eng
    with eng.begin() as conn:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{TABLE}"')
    eng.dispose()


def row_count(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f'SELECT count(*) FROM "{TABLE}"').scalar()


def password() -> str:
    from sqlalchemy.engine import make_url

    return make_url(URL).password or ""


def test_load_portfolio_from_a_query(engine):
    portfolio = load_portfolio(URL, query=f'SELECT * FROM "{TABLE}" ORDER BY project_id')
    assert portfolio.n_projects == N
    assert portfolio.row_label == "record"
    assert "note: query run in a read-only transaction" in portfolio.detection
    assert portfolio.data["budget_drift"].notna().sum() > N // 2
    assert password() not in portfolio.source_name and "***" in portfolio.source_name


def test_load_portfolio_from_a_table(engine):
    portfolio = load_portfolio(URL, table=TABLE)
    assert portfolio.n_projects == N


def test_the_loader_session_is_read_only(engine):
    portfolio = load_portfolio(
        URL, query=f"SELECT current_setting('transaction_read_only') AS read_only_flag, p.* FROM \"{TABLE}\" p"
    )
    assert set(portfolio.data["read_only_flag"]) == {"on"}


@pytest.mark.parametrize(
    "sql, why",
    [
        ('WITH gone AS (DELETE FROM "{t}" RETURNING *) SELECT * FROM gone', "read-only transaction"),
        ('UPDATE "{t}" SET budget_planned = 1 RETURNING *', "read-only transaction"),
        ('CREATE TABLE "{t}_copy" AS SELECT * FROM "{t}"', "read-only transaction"),
        ('COMMIT; DELETE FROM "{t}"; SELECT * FROM "{t}"', "more than one SQL statement"),
        ('SELECT 1 AS x; CREATE TABLE "{t}_copy" AS SELECT 1 AS y', "more than one SQL statement"),
    ],
)
def test_a_query_that_writes_fails_and_changes_nothing(engine, sql, why):
    before = row_count(engine)
    with pytest.raises(InputError, match=why):
        load_portfolio(URL, query=sql.format(t=TABLE))
    assert row_count(engine) == before == N
    import sqlalchemy as sa

    assert f"{TABLE}_copy" not in sa.inspect(engine).get_table_names()


def test_validate_command_on_the_url(engine, run_cli):
    result = run_cli("validate", URL, "--query", f'SELECT * FROM "{TABLE}"')
    assert result.code == 0, result.err
    assert f"{N} projects can be analysed" in result.out
    assert "read-only transaction" in result.out
    assert password() not in result.out + result.err


def test_failing_query_is_one_sentence(engine, run_cli, tmp_path):
    result = run_cli("run", "--data", URL, "--query", "SELECT * FROM no_such_table", "--out", tmp_path / "r")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "query failed" in lines[0]
    assert "no_such_table" in lines[0] and password() not in result.err
    assert not (tmp_path / "r").exists()


def test_wrong_password_is_one_sentence_without_the_password(engine, run_cli):
    from sqlalchemy.engine import make_url

    wrong = "Wr0ng-pa55-XYZ"
    url = make_url(URL).set(password=wrong).render_as_string(hide_password=False)
    result = run_cli("validate", url, "--query", "SELECT 1")
    assert result.code == 2 and "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "cannot connect" in lines[0]
    assert wrong not in result.out + result.err and password() not in result.err


def test_unreachable_port_is_one_sentence(run_cli):
    from sqlalchemy.engine import make_url

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = make_url(URL).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    result = run_cli("validate", url, "--query", "SELECT 1")
    assert result.code == 2 and "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "cannot connect" in lines[0]
    assert f":{port}" in lines[0] and password() not in result.err
