"""Injection: names holding HTML or script are shown as text on every report page, and table cells
written to CSV/XLSX that start with = + - @ are neutralised (no spreadsheet formula injection)."""

from __future__ import annotations

import csv
import re

import openpyxl
import pandas as pd
import pytest

from conftest import portfolio_frame, write_csv

from amo_analysis.report.run_context import neutralise_formulas

SCRIPT = "<script>alert('pwned')</script>"
IMG = '<img src=x onerror="alert(1)">'
QUOTES = "Acme \"Ltd\" & O'Brien's <b>bold</b>"
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "-2+3", "@cmd"]
# What must never appear verbatim in a page: live markup from the data.
LIVE = [SCRIPT, "<img src=x onerror", "<img src=y onerror", "<b>bold</b>", "<i onmouseover", "<script>id()"]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """One run of the overview notebook on a portfolio whose organisation names, project ids, file
    name and practice name carry markup or formulas."""
    from amo_analysis.suite.runner import run_suite

    tmp = tmp_path_factory.mktemp("hostile")
    df = portfolio_frame(40)
    names = [SCRIPT, IMG, QUOTES, *FORMULAS]
    df["organisation"] = [names[i % len(names)] for i in range(len(df))]
    df.loc[0, "project_id"] = "=1+1"
    df.loc[1, "project_id"] = "<script>id()</script>"
    df = df.rename(columns={"amo": "Model"})
    source = write_csv(df, tmp / "x<img src=y onerror=alert(3)>.csv")
    mapping = tmp / "map.toml"
    mapping.write_text('practice = { column = "Model", name = "<i onmouseover=alert(4)>AMO</i>" }\n', encoding="utf-8")
    outcome = run_suite(source, mapping=mapping, out=tmp / "reports", only=["01"])
    return outcome


def test_markup_in_names_is_text_on_every_page(hostile_run):
    pages = sorted(hostile_run.run_dir.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "01_portfolio_overview.html"}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for live in LIVE:
            assert live not in html, (page.name, live)
        assert not re.search(r"<script[^>]*>\s*alert", html, re.IGNORECASE), page.name
    # the names are still shown, escaped
    overview = (hostile_run.run_dir / "01_portfolio_overview.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in overview
    index = (hostile_run.run_dir / "index.html").read_text(encoding="utf-8")
    assert "x&lt;img src=y onerror=alert(3)&gt;.csv" in index
    assert "&lt;i onmouseover=alert(4)&gt;AMO&lt;/i&gt;" in index


NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def test_no_csv_or_xlsx_cell_starts_a_formula(hostile_run):
    tables = sorted((hostile_run.run_dir / "tables").glob("*"))
    assert any(p.suffix == ".csv" for p in tables) and any(p.suffix == ".xlsx" for p in tables)
    seen_payload = False
    for path in tables:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                cells = [c for row in csv.reader(fh) for c in row]
        else:
            wb = openpyxl.load_workbook(path)
            assert all(cell.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for cell in row), (
                path.name
            )
            cells = [
                str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None
            ]
        for cell in cells:
            seen_payload |= any(f in cell for f in FORMULAS)
            if cell[:1] in ("=", "+", "-", "@") and not NUMBER.match(cell):
                pytest.fail(f"{path.name}: cell {cell!r} would run as a formula")
    assert seen_payload, "the hostile organisation names should reach at least one saved table"


def test_neutralise_formulas_prefixes_every_dangerous_text_cell():
    frame = pd.DataFrame({"name": [*FORMULAS, "\tTAB", "plain", "-", None], "value": [-1.5, 2, 3, 4, 5, 6, 7, 8]})
    safe = neutralise_formulas(frame)
    assert safe["name"].tolist()[:5] == ["'" + f for f in FORMULAS] + ["'\tTAB"]
    assert safe["name"].tolist()[5] == "plain"
    assert safe["value"].tolist() == frame["value"].tolist()  # numbers (even negative) untouched
    assert frame["name"].iloc[0] == FORMULAS[0]  # the input is not modified


def test_save_table_writes_neutralised_csv_and_xlsx(tmp_path):
    from amo_analysis.ingest.portfolio import load_portfolio
    from amo_analysis.report.run_context import RunContext

    portfolio = load_portfolio(write_csv(portfolio_frame(10), tmp_path / "p.csv"))
    ctx = RunContext(portfolio=portfolio, notebook="99_test", run_dir=tmp_path / "run")
    table = pd.DataFrame({"organisation": FORMULAS, "n": [1, 2, 3, 4]})
    assert ctx.save_table(table, "t") is table
    written = pd.read_csv(tmp_path / "run" / "tables" / "99_test_t.csv")
    assert written["organisation"].tolist() == ["'" + f for f in FORMULAS]
    wb = openpyxl.load_workbook(tmp_path / "run" / "tables" / "99_test_t.xlsx")
    cells = [c for c in wb.active.iter_rows(min_row=2, max_col=1)]
    assert [c[0].value for c in cells] == ["'" + f for f in FORMULAS]
    assert all(c[0].data_type == "s" for c in cells)
