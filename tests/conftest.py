"""Shared helpers for the hostile-input tests: a clean portfolio to spoil, the CLI run in-process,
and the checks every user error must pass (exit 2, one sentence, input untouched, nothing written)."""

from __future__ import annotations

import hashlib
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amo_analysis.suite.cli import main
from amo_analysis.synth import make_portfolio


#: what, in a test or in one of its fixtures, runs the notebooks: the runner (or its notebook executor and
#: workers), the CLI's `run`, or the session's full run asked for by name
RUNS_NOTEBOOKS = re.compile(
    r"run_suite\(|_execute_all\(|_Worker\(|execute_one\(|getfixturevalue\(\"sample_run\"\)|\(\s*\[?\s*[\"']run[\"'],"
)


def _runs_notebooks(item) -> bool:
    functions = [getattr(item, "function", None)]
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    if fixtureinfo is not None:
        functions += [d.func for defs in fixtureinfo.name2fixturedefs.values() for d in defs]
    for function in functions:
        try:
            if function is not None and RUNS_NOTEBOOKS.search(inspect.getsource(function)):
                return True
        except (OSError, TypeError):
            continue
    return False


def pytest_collection_modifyitems(config, items):
    """Mark `suite` every test that runs notebooks through the runner or the CLI (itself or through a
    fixture), so `make test-fast` can leave them out; `make test` runs them all."""
    for item in items:
        if _runs_notebooks(item):
            item.add_marker(pytest.mark.suite)


def sha256(path: Path) -> str:
    """Hex digest of the file's bytes; for files above 50 MB (the sparse "huge" input) the digest of
    the first MB plus the size and modification time, which is enough to see any write."""
    path = Path(path)
    stat = path.stat()
    if stat.st_size > 50 * 1024**2:
        with path.open("rb") as fh:
            head = fh.read(1024**2)
        return f"{hashlib.sha256(head).hexdigest()}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def portfolio_frame(n: int = 20, seed: int = 0) -> pd.DataFrame:
    """A clean synthetic portfolio as text cells with canonical headers (ISO dates, yes/no), so a
    test can spoil one cell and know its CSV line (row k is line k + 2)."""
    df = make_portfolio(n, seed)
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.map({True: "yes", False: "no"})
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d").fillna("")
        else:
            out[col] = s.map(
                lambda v: (
                    "" if pd.isna(v) else (str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v))
                )
            )
    return out.astype(object)


def write_csv(frame: pd.DataFrame, path: Path, **kwargs) -> Path:
    frame.to_csv(path, index=False, **kwargs)
    return path


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """`run_cli(*argv)`: `amo_analysis.suite.cli.main` in-process; returns code, stdout and stderr."""

    def call(*argv) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return call


def assert_one_sentence_error(result: CliResult, *needles: str) -> str:
    """Exit code 2, stderr opening with one 'error: ' sentence that holds every needle, no traceback.

    A `ContractError` may list further offending rows under the first line; everything else is a
    single line. Returns the first line."""
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err + result.out
    lines = result.err.strip().splitlines()
    assert lines, "nothing on stderr"
    first = lines[0]
    assert first.startswith("error: "), first
    if "break the portfolio contract" not in result.err and "rerun with --drop-invalid" not in result.err:
        assert len(lines) == 1, result.err
    for needle in needles:
        assert needle in first, (needle, first)
    return first


def assert_nothing_written(out: Path) -> None:
    """The reports folder is absent or empty (no partial run, no `latest`)."""
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


def all_output_text(folder: Path) -> dict[Path, str]:
    """Every file under `folder` (a run), read as text for searching: XLSX cells, Parquet cells and
    plain files (UTF-8, errors replaced)."""
    texts = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            texts[path] = "\n".join(
                str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
            )
            wb.close()
        elif path.suffix == ".parquet":
            texts[path] = pd.read_parquet(path).to_csv() + path.read_bytes().decode("utf-8", "replace")
        else:
            texts[path] = path.read_bytes().decode("utf-8", "replace")
    return texts


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """One full run of the suite on the bundled 120-project sample (seed 0), shared by every test
    that checks a complete run (runner, browser): a full run takes about a minute."""
    from amo_analysis.paths import SAMPLE_PORTFOLIO
    from amo_analysis.suite.runner import run_suite

    out = tmp_path_factory.mktemp("sample_reports")
    return out, run_suite(SAMPLE_PORTFOLIO, out=out, seed=0)


AGENCIES = (
    "Department of Agriculture",
    "Department of Commerce",
    "Department of Defense",
    "Department of Education",
    "Department of Energy",
    "Department of Health and Human Services",
    "Department of Homeland Security",
    "Department of the Interior",
    "Department of Justice",
    "Department of Labor",
    "Department of State",
    "Department of Transportation",
    "Department of the Treasury",
    "Department of Veterans Affairs",
    "Environmental Protection Agency",
    "General Services Administration",
    "National Aeronautics and Space Administration",
    "National Science Foundation",
    "Nuclear Regulatory Commission",
    "Office of Personnel Management",
    "Small Business Administration",
    "Social Security Administration",
    "U.S. Agency for International Development",
    "Department of Housing and Urban Development",
    "National Archives and Records Administration",
    "U.S. Army Corps of Engineers",
)

IT_DASHBOARD_MAPPING = """\
project_id = ["Unique Investment Identifier", "Project ID"]
cost_unit = "USD millions"

[columns]
"Agency Name" = "organisation"
"Start Date" = "start_date"
"Planned Project Completion Date" = "golive_planned"
"Projected/Actual Project Completion Date" = "golive_actual"
"Planned Cost ($ M)" = "budget_planned"
"Projected/Actual Cost ($ M)" = "cost_actual"
"""


def it_dashboard_frame(n: int = 400, seed: int = 0, exact_cost: float = 0.51, exact_date: float = 0.62) -> pd.DataFrame:
    """A portfolio shaped like the US federal IT Dashboard project export (synthetic): a key of two
    columns (investment + project), money in USD millions, the agency as organisation, no practice
    column, ISO 8601 timestamps as APIs write them, Excel error cells, and about `exact_cost` of the
    projects reporting a final cost exactly equal to the plan (`exact_date`: a go-live exactly on
    the planned date), the signature of re-baselined plans."""
    import numpy as np

    rng = np.random.default_rng(seed)
    agency = rng.integers(0, len(AGENCIES), n)
    investment = [f"{100 + a:03d}-{rng.integers(10**8, 10**9):09d}" for a in agency]
    project = rng.integers(1, 30, n)
    start = pd.Timestamp("2009-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    planned_days = rng.integers(60, 900, n)
    planned_end = start + pd.to_timedelta(planned_days, unit="D")
    slip = np.where(rng.random(n) < exact_date, 0, np.round(planned_days * rng.lognormal(-1.5, 0.8, n)))
    actual_end = planned_end + pd.to_timedelta(slip.astype(int), unit="D")
    planned_cost = np.round(rng.lognormal(0.5, 1.2, n), 3)
    drift = np.where(rng.random(n) < exact_cost, 0.0, rng.lognormal(-2.0, 0.9, n) - 0.05)
    actual_cost = np.round(planned_cost * (1 + drift), 3)
    stamp = lambda ts, i: ts.strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if i % 2 else ".000+00:00")  # noqa: E731
    frame = pd.DataFrame(
        {
            "Agency Code": [f"{100 + a:03d}" for a in agency],
            "Agency Name": [AGENCIES[a] for a in agency],
            "Unique Investment Identifier": investment,
            "Project ID": project.astype(str),
            "Project Name": [f"Modernisation phase {i}" for i in range(n)],
            "Start Date": [stamp(ts, i) for i, ts in enumerate(start)],
            "Planned Project Completion Date": [stamp(ts, i) for i, ts in enumerate(planned_end)],
            "Projected/Actual Project Completion Date": [stamp(ts, i) for i, ts in enumerate(actual_end)],
            "Planned Cost ($ M)": [f"{v:.3f}" for v in planned_cost],
            "Projected/Actual Cost ($ M)": [f"{v:.3f}" for v in actual_cost],
            "Schedule Variance (in days)": [str(int(v)) for v in slip],
            "Cost Variance (%)": [f"{100 * v:.2f}" for v in drift],
            "Updated Date": ["2020-05-25 00:00:00"] * n,
        }
    )
    frame.loc[rng.choice(n, 3, replace=False), "Projected/Actual Cost ($ M)"] = ["#N/A", "#DIV/0!", "#VALUE!"]
    frame.loc[rng.choice(n, 2, replace=False), "Cost Variance (%)"] = "#REF!"
    return frame


@pytest.fixture
def it_dashboard(tmp_path):
    """(CSV path, mapping path, frame) of a 400-project IT Dashboard-shaped export (`it_dashboard_frame`)
    whose two rows 10 and 11 (lines 12 and 13) go live before they start."""
    frame = it_dashboard_frame(400, seed=3)
    frame.loc[[10, 11], "Projected/Actual Project Completion Date"] = "2001-01-01T00:00:00Z"
    data, mapping = tmp_path / "it_dashboard_projects.csv", tmp_path / "it_dashboard.toml"
    frame.to_csv(data, index=False)
    mapping.write_text(IT_DASHBOARD_MAPPING, encoding="utf-8")
    return data, mapping, frame


def overrun_portfolio(alpha: float, n: int, seed: int = 0, under: float = 0.3) -> pd.DataFrame:
    """Finished projects whose actual ÷ planned cost is on or under budget (0.6–1.0) for a share
    `under`, else Pareto with tail index `alpha` above the plan (P(X > x) = x^−α, x ≥ 1); budgets vary
    (the tail index of `analyses.overruns` and its words in `report.show_overruns`)."""
    rng = np.random.default_rng(seed)
    budget = rng.uniform(50_000, 2_000_000, n)
    ratio = np.where(rng.random(n) >= under, 1 + rng.pareto(alpha, n), rng.uniform(0.6, 1.0, n))
    return pd.DataFrame({"budget_planned": budget, "cost_actual": budget * ratio, "amo": rng.random(n) < 0.4})
