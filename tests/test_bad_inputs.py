"""Hostile and malformed inputs: each user error ends with exit code 2 and one sentence naming the file
(and, where it applies, the row, column and value), no traceback, the input byte-identical afterwards
and no report folder left behind. Inputs that are not errors by design (a Total row, data on another
sheet, extreme outliers, every project with the practice, too few projects) get their documented
behaviour instead."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import CliResult, assert_nothing_written, assert_one_sentence_error, portfolio_frame, sha256, write_csv

from amo_analysis.ingest.portfolio import load_portfolio
from amo_analysis.ingest.sources import read_source

N = 20


def spoil(tmp_path: Path, name: str, **cells) -> Path:
    """A clean CSV with cells replaced: `col=(row k, value)`; row k is on CSV line k + 2."""
    df = portfolio_frame(N)
    for col, (k, value) in cells.items():
        df.loc[k, col] = value
    return write_csv(df, tmp_path / name)


def write_xlsx(
    path: Path,
    frame: pd.DataFrame,
    sheet: str = "Projects",
    before: list[list] = (),
    after: list[list] = (),
    other_sheets: dict[str, list[list]] | None = None,
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in (other_sheets or {}).items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    ws = wb.create_sheet(sheet)
    for row in before:
        ws.append(row)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if v == "" else v for v in row])
    for row in after:
        ws.append(row)
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------
# The battery: (id, builder(tmp_path) -> (input path, extra CLI args), words the first line must hold)
# `{name}` in a needle is replaced by the input file's name.


def _text(name, content: bytes | str):
    def build(tmp):
        path = tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path, []

    return build


def _cell(name, col, k, value, *extra):
    def build(tmp):
        return spoil(tmp, name, **{col: (k, value)}), list(extra)

    return build


def _frame(name, change, *extra):
    def build(tmp):
        df = portfolio_frame(N)
        df = change(df)
        return write_csv(df, tmp / name), list(extra)

    return build


def _mapping(toml: str):
    def build(tmp):
        (tmp / "map.toml").write_text(toml, encoding="utf-8")
        return write_csv(portfolio_frame(N), tmp / "ok.csv"), ["--mapping", tmp / "map.toml"]

    return build


def _csv_with(*extra):
    def build(tmp):
        return write_csv(portfolio_frame(N), tmp / "ok.csv"), list(extra)

    return build


def _xlsx_merged(tmp):
    path = write_xlsx(tmp / "merged.xlsx", portfolio_frame(N))
    wb = openpyxl.load_workbook(path)
    ws = wb["Projects"]
    ws.merge_cells("C1:D1")
    wb.save(path)
    return path, []


def _xlsx_no_sheet(tmp):
    return write_xlsx(tmp / "book.xlsx", portfolio_frame(N)), ["--sheet", "Nope"]


def _xlsx_no_header(tmp):
    wb = openpyxl.Workbook()
    wb.active.append(["just a note"])
    wb.active.append([1, 2, 3, 4])
    wb.save(tmp / "noheader.xlsx")
    return tmp / "noheader.xlsx", []


def _xlsx_corrupt(tmp):
    good = write_xlsx(tmp / "good.xlsx", portfolio_frame(N))
    data = good.read_bytes()
    (tmp / "corrupt.xlsx").write_bytes(data[: len(data) // 2])  # truncated download
    return tmp / "corrupt.xlsx", []


def _zip_not_table(tmp):
    with zipfile.ZipFile(tmp / "export.zip", "w") as zf:
        zf.writestr("portfolio.csv", "a,b\n1,2\n")
    return tmp / "export.zip", []


def _huge(tmp):
    path = tmp / "huge.csv"
    with path.open("wb") as fh:
        fh.write(b"project_id,amo,budget_planned,cost_actual,duration_planned_days,duration_actual_days\n")
        fh.truncate(600 * 1024**2)  # sparse: costs nothing on disk
    return path, []


def _sqlite(query=None, table=None):
    def build(tmp):
        path = tmp / "portfolio.sqlite"
        con = sqlite3.connect(path)
        portfolio_frame(N).to_sql("projects", con, index=False)
        con.close()
        extra = (["--query", query] if query else []) + (["--table", table] if table else [])
        return path, extra

    return build


def _sqlite_url(query):
    """A SQLite file given as a database URL: (URL, file to check, extra args)."""

    def build(tmp):
        path, _ = _sqlite()(tmp)
        return f"sqlite:///{path}", path, ["--query", query]

    return build


def _url(url):
    def build(tmp):
        return url, None, ["--query", "SELECT 1"]

    return build


def _missing_file(tmp):
    return tmp / "nowhere.csv", []


def _folder(tmp):
    (tmp / "folder.csv").mkdir()
    return tmp / "folder.csv", []


HEADER = ",".join(portfolio_frame(1).columns)

CASES = [
    # file level
    ("empty file", _text("empty.csv", b""), ["{name}", "empty"]),
    ("blank lines only", _text("blank.csv", "\n \n\t\n"), ["{name}", "empty"]),
    ("header only", _text("header.csv", HEADER + "\n"), ["{name}", "no data rows"]),
    ("binary file", _text("binary.csv", bytes(range(256)) * 40), ["{name}", "binary"]),
    ("undecodable UTF-16", _text("utf16.csv", b"\xff\xfe\x00\xd8"), ["{name}", "UTF-16"]),
    (
        "unknown 8-bit encoding",
        _text("legacy.csv", HEADER.encode() + b"\nP1,\x81\x8d\x8f\x90\x9d\x00\n"),
        ["{name}", "binary"],
    ),
    ("file does not exist", _missing_file, ["nowhere.csv", "does not exist"]),
    ("a folder", _folder, ["folder.csv", "folder"]),
    (
        "missing required column",
        _frame("nocost.csv", lambda d: d.drop(columns=["cost_actual"])),
        ["{name}", "cost_actual"],
    ),
    (
        "duplicated column names",
        _frame("dupcol.csv", lambda d: d.rename(columns={"sector": "organisation"})),
        ["{name}", "'organisation' 2 times"],
    ),
    (
        "value holding the delimiter, unquoted",
        _text(
            "ragged.csv",
            HEADER
            + "\n"
            + ",".join(portfolio_frame(1).iloc[0])
            + "\nP2,yes,1,2,3\nP3,no,1,200,000,3,4,"
            + "," * 40
            + "x\n",
        ),
        ["{name}", "line 4", "delimiter"],
    ),
    (
        "wrong delimiter guessed (header and rows disagree)",
        _text(
            "mixed.csv",
            HEADER.replace(",", ";")
            + "\n"
            + "\n".join(",".join(r) for r in portfolio_frame(N).itertuples(index=False))
            + "\n",
        ),
        ["{name}", "header", "line"],
    ),
    (
        "data under an empty header cell",
        _text("nohead.csv", "project_id,,amo\nP1,x,yes\n"),
        ["{name}", "column 2", "line 2"],
    ),
    # contract rules, one cell each (row k is line k + 2)
    (
        "duplicated project ids",
        _cell("dupid.csv", "project_id", 5, "PRJ-0001"),
        ["{name}", "line 2", "'project_id'", "PRJ-0001", "duplicate"],
    ),
    ("blank project id", _cell("blankid.csv", "project_id", 3, ""), ["{name}", "line 5", "'project_id'", "empty"]),
    (
        "text in a numeric column",
        _cell("text.csv", "budget_planned", 4, "about 100k"),
        ["{name}", "line 6", "'budget_planned'", "about 100k"],
    ),
    (
        "negative budget",
        _cell("negbudget.csv", "budget_planned", 2, "-5000"),
        ["{name}", "line 4", "'budget_planned'", "-5000", "greater than 0"],
    ),
    ("zero budget", _cell("zerobudget.csv", "budget_planned", 7, "0"), ["{name}", "line 9", "'budget_planned'", "'0'"]),
    ("negative cost", _cell("negcost.csv", "cost_actual", 1, "-12"), ["{name}", "line 3", "'cost_actual'", "-12"]),
    (
        "negative duration",
        _cell("negdur.csv", "duration_planned_days", 0, "-30"),
        ["{name}", "line 2", "'duration_planned_days'", "-30"],
    ),
    (
        "unparseable date",
        _cell("date.csv", "start_date", 6, "2021-13-45"),
        ["{name}", "line 8", "'start_date'", "2021-13-45"],
    ),
    (
        "go-live before start",
        _cell("golive.csv", "golive_actual", 8, "1999-01-01"),
        ["{name}", "line 10", "'golive_actual'", "1999-01-01", "before start_date"],
    ),
    (
        "adoption above 1 among fractions",
        _cell("adopt.csv", "adoption_m3", 9, "1.5"),
        ["{name}", "line 11", "'adoption_m3'", "1.5", "between 0 and 1"],
    ),
    (
        "adoption above 100 %",
        _cell("adopt_pct.csv", "adoption_m3", 9, "130%"),
        ["{name}", "line 11", "'adoption_m3'", "130%"],
    ),
    (
        "practice neither yes nor no",
        _cell("practice.csv", "amo", 10, "maybe"),
        ["{name}", "line 12", "'amo'", "maybe", "yes/no"],
    ),
    (
        "complexity off the 1-5 scale",
        _cell("complexity.csv", "complexity", 11, "9"),
        ["{name}", "line 13", "'complexity'", "'9'"],
    ),
    ("unknown status", _cell("status.csv", "status", 12, "frozen"), ["{name}", "line 14", "'status'", "frozen"]),
    # spreadsheets and other files
    ("merged header cells", _xlsx_merged, ["merged.xlsx", "D1", "merged"]),
    ("unknown sheet", _xlsx_no_sheet, ["book.xlsx", "'Nope'", "'Projects'"]),
    ("sheet without a table header", _xlsx_no_header, ["noheader.xlsx", "header"]),
    (
        "password-protected workbook",
        _text("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512),
        ["locked.xlsx", "password"],
    ),
    ("corrupted (truncated) workbook", _xlsx_corrupt, ["corrupt.xlsx", "corrupted"]),
    (
        "HTML saved as .xls",
        _text("export.xls", "<html><table><tr><td>1</td></tr></table></html>"),
        ["export.xls", "not a real Excel"],
    ),
    ("zip archive", _zip_not_table, ["export.zip", "zip archive"]),
    ("corrupted Parquet", _text("data.parquet", b"not parquet at all"), ["data.parquet", "Parquet"]),
    ("file of several hundred MB", _huge, ["huge.csv", "600 MB", "500 MB limit"]),
    # databases
    (
        "SQL query that fails",
        _sqlite(query="SELECT * FROM no_such_table"),
        ["portfolio.sqlite", "query failed", "no_such_table"],
    ),
    ("unknown table", _sqlite(table="projets"), ["portfolio.sqlite", "'projets'", "'projects'"]),
    ("table and query both", _sqlite(query="SELECT 1", table="projects"), ["portfolio.sqlite", "not both"]),
    (
        "several statements in a database URL query",
        _sqlite_url("SELECT * FROM projects; DELETE FROM projects"),
        ["sqlite:///", "more than one SQL statement"],
    ),
    (
        "database URL of an unknown kind",
        _url("nosuchdb://user:pw@host/db"),
        ["nosuchdb://user:***@host/db", "unknown database kind"],
    ),
    ("query on a CSV", _csv_with("--query", "SELECT 1"), ["ok.csv", "database sources"]),
    ("sheet on a CSV", _csv_with("--sheet", "Projects"), ["ok.csv", "'sheet' only applies"]),
    # mapping files
    ("mapping file missing", _csv_with("--mapping", "/nonexistent/map.toml"), ["map.toml", "does not exist"]),
    ("mapping TOML syntax error", _mapping("columns = [\n"), ["map.toml", "TOML syntax error"]),
    (
        "mapping names a column that does not exist",
        _mapping('[columns]\n"Ghost" = "budget_planned"\n'),
        ["map.toml", "'Ghost'", "ok.csv has no such column"],
    ),
    (
        "mapping names a practice column that does not exist",
        _mapping('practice = { column = "Model" }\n'),
        ["map.toml", "'Model'", "no such column"],
    ),
    (
        "mapping to a non-canonical name",
        _mapping('[columns]\n"budget_planned" = "budget_plan"\n'),
        ["map.toml", "'budget_plan'", "did you mean 'budget_planned'"],
    ),
    ("mapping with an unknown setting", _mapping("colums = 3\n"), ["map.toml", "'colums'"]),
    # command-line values
    ("--lang xx", _csv_with("--lang", "xx"), ["--lang", "'xx'"]),
    ("-p without =", _csv_with("-p", "covariates"), ["-p 'covariates'", "NAME=VALUE"]),
    ("-p on a reserved name", _csv_with("-p", "seed=3"), ["-p seed", "runner itself"]),
    ("--only unknown notebook", _csv_with("--only", "99_nothing"), ["--only", "99_nothing"]),
    ("--seed not a number", _csv_with("--seed", "abc"), ["--seed", "'abc'"]),
]


@pytest.mark.parametrize("build, needles", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_sentence_and_leaves_no_trace(tmp_path, run_cli, build, needles):
    built = build(tmp_path)
    data, source, extra = built if len(built) == 3 else (built[0], *built)
    before = sha256(source) if source is not None and source.is_file() else None
    out = tmp_path / "reports"
    result = run_cli("run", "--data", data, "--out", out, *extra)
    first = assert_one_sentence_error(result, *(n.replace("{name}", Path(str(data)).name) for n in needles))
    assert "pw@" not in first  # a password in a URL is never shown
    if before is not None:
        assert sha256(source) == before
    assert_nothing_written(out)


def test_the_battery_has_at_least_30_distinct_errors():
    assert len({c[0] for c in CASES}) == len(CASES) >= 30


REAL_PROCESS_CASES = ["negative budget", "password-protected workbook", "--lang xx"]


def test_real_process_exit_code_and_no_traceback(tmp_path):
    """A few cases through a real `python -m amo_analysis` (started together to save time): the
    real exit code, and stderr without a traceback."""
    started = []
    for i, name in enumerate(REAL_PROCESS_CASES):
        build, needles = next(c[1:] for c in CASES if c[0] == name)
        folder = tmp_path / str(i)
        folder.mkdir()
        source, extra = build(folder)
        out = folder / "reports"
        proc = subprocess.Popen(
            [sys.executable, "-m", "amo_analysis", "run", "--data", str(source), "--out", str(out), *map(str, extra)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append((name, proc, source, sha256(source), out, needles))
    for name, proc, source, before, out, needles in started:
        stdout, stderr = proc.communicate(timeout=300)
        result = CliResult(proc.returncode, stdout, stderr)
        assert_one_sentence_error(result, *(n.replace("{name}", source.name) for n in needles))
        assert sha256(source) == before, name
        assert_nothing_written(out)


def test_validate_reports_every_bad_row_on_stdout_with_exit_2(tmp_path, run_cli):
    df = portfolio_frame(N)
    df.loc[2, "budget_planned"] = "-1"
    df.loc[5, "amo"] = "peut-être"
    path = write_csv(df, tmp_path / "two.csv")
    result = run_cli("validate", path)
    assert result.code == 2 and "Traceback" not in result.out + result.err
    assert "two.csv, line 4, column 'budget_planned', value '-1'" in result.out
    assert "two.csv, line 7, column 'amo', value 'peut-être'" in result.out


def test_huge_file_is_refused_before_reading(tmp_path):
    path, _ = _huge(tmp_path)
    with pytest.raises(Exception, match=r"600 MB, above the 500 MB limit"):
        read_source(path)


# ---------------------------------------------------------------------------------------------
# Not errors by design: the documented behaviour


def test_total_row_at_the_bottom_of_an_excel_export_is_dropped_and_noted(tmp_path, run_cli):
    frame = portfolio_frame(N)
    total = ["Total", None, sum(float(v) for v in frame["budget_planned"])] + [None] * (frame.shape[1] - 3)
    path = write_xlsx(tmp_path / "export.xlsx", frame, after=[total])
    before = sha256(path)
    result = run_cli("validate", path)
    assert result.code == 0, result.err
    assert f"{N} projects can be analysed" in result.out
    assert f"row {N + 2} ('Total') dropped: it looks like a total row" in result.out
    assert sha256(path) == before


def test_data_on_another_sheet_is_found_and_noted(tmp_path, run_cli):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        portfolio_frame(N),
        sheet="Data",
        other_sheets={"Read me": [["This workbook lists our projects."]], "Empty": []},
    )
    result = run_cli("validate", path)
    assert result.code == 0, result.err
    assert f"{N} projects can be analysed" in result.out
    assert "sheet 'Data' used" in result.out and "'Read me' has no table header" in result.out


def test_absurd_outlier_is_kept_flagged_and_does_not_move_the_median(tmp_path):
    from amo_analysis.analyses import overview

    clean = load_portfolio(write_csv(portfolio_frame(40), tmp_path / "clean.csv")).data
    df = portfolio_frame(40)
    df.loc[3, "cost_actual"] = str(float(df.loc[3, "budget_planned"]) * 51)  # drift +5 000 %
    portfolio = load_portfolio(write_csv(df, tmp_path / "outlier.csv"))
    data = portfolio.data
    assert len(data) == 40  # kept
    assert data.loc[5, "budget_drift"] == pytest.approx(50.0)  # line 5 = row 3
    assert bool(data.loc[5, "extreme_outlier"]) and int(data["extreme_outlier"].sum()) == 1
    assert any("kept and flagged in extreme_outlier" in n and "line 5: +5000%" in n for n in portfolio.notes)
    # the overview reports medians and percentiles (robust), not means: one absurd project barely moves them
    tails = overview.tail_table(data)
    tails_clean = overview.tail_table(clean)
    pick = (tails["outcome"] == "budget_drift") & (tails["group"] == "all") & (tails["quantile"] == 0.5)
    median, median_clean = tails.loc[pick, "estimate"].item(), tails_clean.loc[pick, "estimate"].item()
    assert abs(median - median_clean) < 0.05
    assert data["budget_drift"].mean() - clean["budget_drift"].mean() > 1.0  # the mean would have moved


@pytest.fixture(scope="module")
def degenerate_run(tmp_path_factory):
    """The overview notebook on 4 projects, every one with the practice (too few, and one group)."""
    from amo_analysis.suite.runner import run_suite

    tmp = tmp_path_factory.mktemp("degenerate")
    tiny = portfolio_frame(4)
    tiny["amo"] = "yes"
    return run_suite(write_csv(tiny, tmp / "tiny_all_amo.csv"), out=tmp / "reports", only=["01"])


def test_every_project_with_the_practice_still_renders_and_says_why(degenerate_run):
    page = (degenerate_run.run_dir / "01_portfolio_overview.html").read_text(encoding="utf-8")
    assert degenerate_run.index.exists()
    assert "Covariate balance not computed" in page and "only one value" in page


def test_too_few_projects_still_renders_and_says_why_intervals_are_missing(degenerate_run):
    page = (degenerate_run.run_dir / "01_portfolio_overview.html").read_text(encoding="utf-8")
    tails = pd.read_csv(degenerate_run.run_dir / "tables" / "01_portfolio_overview_tails.csv")
    assert (tails["n"] <= 4).all()
    assert tails["ci_high"].isna().any()  # four projects cannot bound a P90
    assert "too small to bound that percentile" in page
