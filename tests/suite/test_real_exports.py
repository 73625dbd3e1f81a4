"""Real exports as they come (#16): a public portfolio shaped like the US federal IT Dashboard project
file (a key of two columns, money in USD millions, the agency as organisation, no practice column, API
timestamps, Excel error cells, plans re-baselined to match reality) and the real RK31 survey (a header
repeated) go through `validate` and `run --drop-invalid` with exit code 0."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

#: the published datasets of `shared/realdata/`, beside the repository (as on the team's machines and CI) or
#: where `AMO_REALDATA` points; the tests that read them are skipped elsewhere
REALDATA = Path(os.environ.get("AMO_REALDATA", Path(__file__).resolve().parents[3] / "shared" / "realdata"))
RK31 = REALDATA / "RK31-surveycostestim.csv"
RK31_MAPPING = """\
practice = { column = "Model", name = "Flexible development", yes = ["Flex"], no = ["Seq"] }
cost_unit = "hours"
[columns]
"Nr" = "project_id"
"Estimate_hrs" = "budget_planned"
"Actual_hrs" = "cost_actual"
"Estimate_days" = "duration_planned_days"
"Actual_days" = "duration_actual_days"
"""


@pytest.mark.parametrize(
    "write",
    [
        lambda frame, path: frame.to_csv(path, index=False, sep="|"),
        lambda frame, path: frame.to_csv(path, index=False, sep="\t", encoding="utf-16"),
        lambda frame, path: frame.to_csv(path, index=False, sep=";", encoding="cp1252"),
    ],
    ids=["pipe", "utf-16", "semicolon-cp1252"],
)
def test_an_it_dashboard_export_validates_in_any_dress(it_dashboard, run_cli, tmp_path, write):
    _, mapping, frame = it_dashboard
    data = tmp_path / "export.txt"
    write(frame, data)
    result = run_cli("validate", data, "--mapping", mapping, "--drop-invalid")
    assert result.code == 0, result.err
    assert "398 projects can be analysed" in result.out
    assert "'Unique Investment Identifier + Project ID' → project_id" in result.out
    assert "no practice column" in result.out
    assert "read as their calendar date" in result.out  # the ISO timestamps
    assert "Excel error cell(s) (#DIV/0!, #N/A, #VALUE!, #REF!) read as missing values" in result.out


def test_an_xlsx_export_with_error_cells_and_timestamps(it_dashboard, run_cli, tmp_path):
    _, mapping, frame = it_dashboard
    data = tmp_path / "export.xlsx"
    frame.to_excel(data, index=False, sheet_name="Projects")
    result = run_cli("validate", data, "--mapping", mapping, "--drop-invalid")
    assert result.code == 0, result.err
    assert "398 projects can be analysed" in result.out and "Excel error cell(s)" in result.out


def test_an_it_dashboard_export_runs_without_a_practice(it_dashboard, run_cli, tmp_path):
    data, mapping, _ = it_dashboard
    out = tmp_path / "reports"
    result = run_cli("run", "--data", data, "--mapping", mapping, "--drop-invalid", "--out", out)
    assert result.code == 0, result.err
    assert result.out.count("was not run: the portfolio has no practice column") == 3
    run = out / "latest"
    doc = json.loads((run / "results.json").read_text(encoding="utf-8"))
    assert doc["run"]["notebooks"] == [
        "01_portfolio_overview",
        "04_new_project_forecast",
        "06_benchmark_report",
        "07_organisations",  # Agency Name gives the organisations: their positions need no practice
        "08_article_claims",  # the readings that need no practice
    ]
    assert [s["notebook"] for s in doc["run"]["skipped"]] == [
        "02_amo_effects",
        "03_framing_and_pitfalls",
        "05_roi_simulation",
    ]
    claims = {r["name"]: r for r in doc["results"] if r["name"].startswith("claim.")}
    share = claims["claim.margin_10pct.portfolio_share"]  # share of finished projects within budget + 10 %
    assert share["testable"] is True and 0.6 < share["value"] < 0.95 and share["n"] == 395
    assert share["ci_low"] < share["value"] < share["ci_high"]
    for name in ("claim.amo_budget_drift.relative", "claim.margin_10pct.forecast_with", "claim.roi_example.per_euro"):
        assert claims[name]["testable"] is False and claims[name]["value"] is None  # listed, with the reason
        assert "no practice column" in claims[name]["note"] and claims[name]["missing_column"] == "amo"
    assert claims["claim.poor_requirements_adoption.level"]["note"].endswith("no column adoption_m3")
    assert len(claims) == 21  # every reading of the register once, 02's readings included
    page = (run / "08_article_claims.html").read_text(encoding="utf-8")
    assert "not testable on this portfolio: it compares (or adjusts for) projects with and without" in page
    assert doc["provenance"]["has_practice"] is False and doc["provenance"]["cost_unit"] == "USD millions"
    records = {r["name"]: r for r in doc["results"]}
    cost, duration = records["quality.exact_plan.cost"], records["quality.exact_plan.duration"]
    assert (
        0.45 < cost["value"] < 0.58 and cost["flagged"] is True and cost["n"] == 395
    )  # 398 projects, 3 final costs that are Excel errors
    assert 0.55 < duration["value"] < 0.68 and duration["flagged"] is True
    assert records["forecast.cost_p80.all"]["unit"] == "USD millions"
    assert records["quality.exact_plan.cost"]["headline"] is True  # on the summary page, being flagged
    assert records["quality.drift_heaping.cost"]["value"] is None  # drifts measured to the thousandth
    index = (run / "index.html").read_text(encoding="utf-8")
    assert index.count("was not run: the portfolio has no practice column") == 3
    assert 'id="verdicts"' in index and ">not testable<" in index and "claim.margin_10pct" not in index
    assert "exactly equal to the planned budget" in index and "exactly on the planned date" in index
    overview = (run / "01_portfolio_overview.html").read_text(encoding="utf-8")
    assert "Re-baselined plans?" in overview and "exactly equal to the planned budget" in overview
    for page in ("01_portfolio_overview", "04_new_project_forecast", "06_benchmark_report"):
        assert (run / f"{page}.html").exists()


@pytest.mark.skipif(not RK31.exists(), reason=f"the real datasets of {REALDATA} are not on this machine")
def test_the_rk31_survey_with_its_repeated_header_validates_and_runs(run_cli, tmp_path):
    mapping = tmp_path / "rk31.toml"
    mapping.write_text(RK31_MAPPING, encoding="utf-8")
    result = run_cli("validate", RK31, "--mapping", mapping, "--drop-invalid")
    assert result.code == 0, result.err
    assert "the header has 'BREbias' 2 times (column 7 and column 10)" in result.out
    assert "'BREbias (2)' kept as an extra column" in result.out
    out = tmp_path / "reports"
    result = run_cli("run", "--data", RK31, "--mapping", mapping, "--drop-invalid", "--out", out, "--only", "01")
    assert result.code == 0, result.err
