"""Shared helpers for the hostile-input tests: a clean portfolio to spoil, the CLI run in-process,
and the checks every user error must pass (exit 2, one sentence, input untouched, nothing written)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from amo_analysis.suite.cli import main
from amo_analysis.synth import make_portfolio


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
