"""The command line as a user meets it: exit codes, one-sentence errors, no traceback, inputs untouched."""

import hashlib
import json
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


USER_CLAIMS = """schema = 1

[[claim]]
key = "pmo_margin"
order = 13
figure = "our PMO: 90 % of projects within budget + 10 %"
paraphrase_en = "Our PMO promises that nine projects in ten finish within their budget plus 10 %."
paraphrase_fr = "Notre PMO promet que neuf projets sur dix finissent dans leur budget plus 10 %."
source = "PMO charter"
sample = "our portfolio"

  [[claim.reading]]
  name = "portfolio_share"
  analysis = "margin_share"
  outcome = "budget_plus_10pct"
  exposure = "all"
  scale = "share_of_all"
  test = "at_least"
  claimed = 0.90
"""


def test_a_claims_file_with_errors_stops_the_run_with_one_sentence_per_error(tmp_path):
    bad = tmp_path / "promises.toml"
    bad.write_text(
        USER_CLAIMS.replace('analysis = "margin_share"', 'analysis = "crystal_ball"').replace(
            "order = 13", 'order = "x"'
        ),
        encoding="utf-8",
    )
    before = digest(bad)
    out = tmp_path / "reports"
    result = cli("run", "--data", SAMPLE_PORTFOLIO, "--out", out, "--claims", bad)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"error: 2 problems in claims file {bad}:"
    assert lines[1].startswith("- promises.toml, claim 1 ('pmo_margin'): field 'order'")
    assert lines[2].startswith("- promises.toml, claim 1 ('pmo_margin'), reading 1 ('portfolio_share'): analysis")
    assert not out.exists() or not any(out.iterdir())
    assert digest(bad) == before


def test_a_users_claims_file_adds_a_claim_end_to_end(tmp_path):
    claims = tmp_path / "promises.toml"
    claims.write_text(USER_CLAIMS, encoding="utf-8")
    before = digest(claims)
    out = tmp_path / "reports"
    result = cli("run", "--data", SAMPLE_PORTFOLIO, "--out", out, "--claims", claims, "--only", "08", "--lang", "fr")
    assert result.returncode == 0, result.stderr
    run = out / "latest"
    document = json.loads((run / "results.json").read_text(encoding="utf-8"))
    assert document["run"]["claims"] == "promises.toml"
    records = {r["name"]: r for r in document["results"]}
    mine = records["claim.pmo_margin.portfolio_share"]
    assert mine["verdict"] == "smaller than claimed" and mine["claimed"] == 0.9  # half the sample stays within +10 %
    assert mine["label"].startswith("Affirmation « Notre PMO promet")
    assert "claim.margin_10pct.portfolio_share" in records  # the register's own claims are still there
    page = (run / "08_article_claims.html").read_text(encoding="utf-8")
    assert "13. Notre PMO promet que neuf projets sur dix" in page
    assert (run / "claims.toml").read_bytes() == claims.read_bytes() and digest(claims) == before
