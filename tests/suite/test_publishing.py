"""Publishing a benchmark from client exports, end to end ("Done when" of #15).

A folder of five client exports of 40 projects each — French CSV (';', decimal comma, cp1252), English
CSV, XLSX; the same project ids in every file, no organisation column — plus a 3-project client runs in
one command; notebook 07 shows the meta-analysis, the forest plot and the peer positions in both
languages; the small client's name (planted: "Zorglub") is in no output file, and in the focus edition
no other client's name is either."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import all_output_text

from amo_analysis.suite.cli import main
from amo_analysis.synth import PlantedEffects, make_portfolio, write_portfolio_csv

#: client → (format, planted effect of the practice on ln(actual ÷ planned cost))
CLIENTS = {
    "client_alpha": ("fr_csv", -0.45),
    "client_beta": ("en_csv", 0.05),
    "client_gamma": ("xlsx", -0.30),
    "client_delta": ("fr_csv", 0.20),
    "client_epsilon": ("xlsx", -0.15),
}
SMALL = "zorglub_consulting"


def write_xlsx(frame: pd.DataFrame, path) -> None:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(str)
        elif pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.date
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Export": [f"{path.stem} projects"]}).to_excel(writer, sheet_name="Read me", index=False)
        out.to_excel(writer, sheet_name="Projets", index=False, startrow=2)  # a title above the header


def write_client_exports(folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, (kind, effect)) in enumerate(CLIENTS.items()):
        planted = PlantedEffects(amo_log_cost=effect)
        frame = make_portfolio(40, 300 + i, effects=planted, n_organisations=1).drop(columns="organisation")
        if kind == "xlsx":
            write_xlsx(frame, folder / f"{name}.xlsx")
        else:
            write_portfolio_csv(frame, folder / f"{name}.csv", style="fr" if kind == "fr_csv" else "en")
    small = make_portfolio(3, 399, n_organisations=1).drop(columns="organisation")
    write_portfolio_csv(small, folder / f"{SMALL}.csv", style="en")


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    folder = tmp_path_factory.mktemp("publishing") / "clients"
    write_client_exports(folder)
    return folder


def run(clients, out, *options) -> dict:
    assert main(["run", "--data", str(clients), "--out", str(out), *options]) == 0
    return json.loads((out / "latest" / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def english(clients, tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmark_en")
    return out, run(clients, out)


@pytest.fixture(scope="module")
def french_focus(clients, tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmark_fr")
    return out, run(clients, out, "--lang", "fr", "--focus", "client_beta", "--only", "01", "--only", "07")


def records(document) -> dict:
    return {r["name"]: r for r in document["results"]}


def leaks(folder, *names) -> dict:
    lowered = [n.lower() for n in names]
    return {
        str(path.relative_to(folder)): found
        for path, text in all_output_text(folder).items()
        if (found := [n for n in lowered if n in text.lower()])
    }


@pytest.mark.slow
def test_the_whole_suite_runs_on_the_folder_in_one_command(english):
    out, document = english
    run_dir = out / "latest"
    assert document["run"]["notebooks"] == [
        "01_portfolio_overview",
        "02_amo_effects",
        "03_framing_and_pitfalls",
        "04_new_project_forecast",
        "05_roi_simulation",
        "06_benchmark_report",
        "07_organisations",
        "08_article_claims",
    ]
    assert document["provenance"]["n_projects"] == 203
    assert len(document["provenance"]["sources"]) == 5 + 1
    assert (run_dir / "07_organisations.html").is_file() and (
        run_dir / "figures" / "07_organisations_forest.svg"
    ).is_file()
    found = records(document)
    cost = found["meta.log_cost_ratio.random_effects"]
    assert cost["k"] == 5 and cost["i2"] > 0.3 and cost["pi_low"] < cost["ci_low"] < cost["ci_high"] < cost["pi_high"]
    assert found["meta.adoption_m3.random_effects"]["unit"] == "percentage points"
    assert not [name for name in found if name.startswith("peer.")]  # peers are recorded in a focus edition only
    assert not leaks(run_dir, "zorglub")


@pytest.mark.suite
def test_french_focus_edition_names_the_client_only(french_focus):
    out, document = french_focus
    run_dir = out / "latest"
    page = (run_dir / "07_organisations.html").read_text(encoding="utf-8")
    assert "client_beta" in page and "Pair A" in page and "autres organisations" in page
    assert "Méta-analyse" in page or "méta-analyse" in page
    assert not leaks(run_dir, "zorglub", "client_alpha", "client_gamma", "client_delta", "client_epsilon")
    found = records(document)
    peer = found["peer.budget_drift.percentile"]
    assert peer["organisation"] == "client_beta" and 0 <= peer["value"] <= 1
    assert set(peer["organisations"]) == {"client_beta", "Pair A", "Pair B", "Pair C", "Pair D"}
    assert found["meta.log_cost_ratio.random_effects"]["k"] == 5
    assert document["run"]["focus"] == "client_beta"
    notes = document["provenance"]["notes"]
    assert any("prefixed with their source's name" in note for note in notes)
    detection = document["provenance"]["detection"]
    assert "decimal mark: comma ','" in detection and "header: row 3" in detection  # each source its own detection


def test_a_problem_in_one_export_stops_the_run_naming_it(clients, tmp_path, run_cli):
    import shutil

    folder = tmp_path / "clients"
    shutil.copytree(clients, folder)
    text = (folder / "client_beta.csv").read_text(encoding="utf-8").splitlines()
    cells = text[5].split(",")
    cells[2] = "lots"
    text[5] = ",".join(cells)
    (folder / "client_beta.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    result = run_cli("run", "--data", folder, "--out", tmp_path / "out")
    assert result.code == 2
    assert "client_beta.csv" in result.err and "line 6" in result.err and "lots" in result.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_single_organisation_skips_notebook_07_with_one_sentence(tmp_path, capsys):
    folder = tmp_path / "one"
    folder.mkdir()
    write_portfolio_csv(make_portfolio(30, 1, n_organisations=1).drop(columns="organisation"), folder / "solo.csv")
    code = main(
        ["run", "--data", str(folder / "solo.csv"), "--out", str(tmp_path / "out"), "--only", "01", "--only", "07"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "07_organisations skipped: the portfolio has fewer than 2 organisations" in printed
    assert not (tmp_path / "out" / "latest" / "07_organisations.html").exists()


def test_validate_lists_each_source_of_a_folder(clients, run_cli):
    result = run_cli("validate", clients)
    assert result.code == 0, result.err
    assert "203 projects can be analysed" in result.out
    for name in ("client_alpha.csv (csv)", "client_beta.csv (csv)", "client_gamma.xlsx (xlsx)", f"{SMALL}.csv (csv)"):
        assert f"detected: source: {name}" in result.out, name
