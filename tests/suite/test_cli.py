"""The command line as a user meets it: exit codes, one-sentence errors, no traceback, inputs untouched."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from amo_analysis.suite.cli import main, parse_parameter
from amo_analysis.paths import SAMPLE_PORTFOLIO, SAMPLE_PORTFOLIO_24


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "amo_analysis", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("sample", [SAMPLE_PORTFOLIO, SAMPLE_PORTFOLIO_24])
def test_validate_accepts_the_bundled_samples(sample):
    result = cli("validate", sample)
    assert result.returncode == 0, result.stderr
    assert "projects can be analysed" in result.stdout
    assert "→ budget_planned" in result.stdout


def test_validate_lists_every_bad_row_and_exits_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "project_id;amo;budget_planned;cost_actual;duration_planned_days;duration_actual_days\n"
        "P1;oui;100000;120000;100;110\n"
        "P2;peut-être;100000;120000;100;110\n"
        "P3;non;-5;120000;100;110\n"
        "P1;non;100000;abc;100;110\n",
        encoding="utf-8",
    )
    before = digest(bad)
    result = cli("validate", bad)
    assert result.returncode == 2
    out = result.stdout
    for needle in ("line 3", "peut-être", "line 4", "budget_planned", "line 5", "abc"):
        assert needle in out, needle
    assert "Traceback" not in out + result.stderr
    assert digest(bad) == before


def test_run_on_bad_input_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    out = tmp_path / "reports"
    result = cli("run", "--data", bad, "--out", out)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "bad.csv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_missing_file_is_one_sentence(tmp_path):
    result = cli("validate", tmp_path / "nope.csv")
    assert result.returncode == 2 and "nope.csv" in result.stderr and "Traceback" not in result.stderr


def test_template_headers_are_recognised(tmp_path):
    assert main(["template", "--out", str(tmp_path)]) == 0
    csv = pd.read_csv(tmp_path / "portfolio_template.csv", encoding="utf-8-sig")
    assert "Planned budget" in csv.columns and len(csv) == 0
    sheets = pd.read_excel(tmp_path / "portfolio_template.xlsx", sheet_name=None)
    assert set(sheets) == {"Projects", "Dictionary"}
    assert "budget_drift" in set(sheets["Dictionary"]["canonical name"])


def test_sample_writes_a_valid_portfolio(tmp_path):
    target = tmp_path / "s.csv"
    assert main(["sample", "--n", "30", "--seed", "3", "--out", str(target)]) == 0
    assert main(["validate", str(target)]) == 0


def test_parse_parameter():
    assert parse_parameter("quantile=0.8") == ("quantile", 0.8)
    assert parse_parameter("name=Agile team") == ("name", "Agile team")
    from amo_analysis.errors import InputError

    with pytest.raises(InputError):
        parse_parameter("no-equals")
