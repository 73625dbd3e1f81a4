"""Personal data never reaches a report: a portfolio with planted names, e-mails and phone numbers
(by header, English and French, and hidden in free text) is run with --pseudonymise, and every output
file of the run is searched for them; project ids and names come out as salted hashes, and the salt
is written nowhere."""

from __future__ import annotations

import json

import pytest

from conftest import all_output_text, portfolio_frame, write_csv

from amo_analysis.ingest.portfolio import load_portfolio

N = 30
PEOPLE = ["Jeanne Xyzzy-Dupont", "Marcel Quuxley", "Ada Plughworth"]
EMAILS = ["jeanne.xyzzy@example.org", "m.quuxley@corp.example.com", "ada@plugh.example.net"]
PHONES = ["+33 6 12 34 56 78", "06.98.76.54.32", "(555) 123-4567"]
PERSONAL_HEADERS = {
    "Chef de projet": PEOPLE,
    "Project manager": list(reversed(PEOPLE)),
    "Nom": PEOPLE,
    "Sponsor": PEOPLE,
    "Courriel du sponsor": EMAILS,
    "Email": EMAILS,
    "Téléphone": PHONES,
    "Phone": PHONES,
}
FREE_TEXT = ["ask jeanne.xyzzy@example.org first", "call 06 11 22 33 44 after 5pm", "nothing to note"]


def planted_frame():
    df = portfolio_frame(N)
    df["project_id"] = [f"ZQ{i:03d}-SECRETID" for i in range(N)]
    df["Nom du projet"] = [f"Opération Zanzibar-{i:03d}" for i in range(N)]
    for header, values in PERSONAL_HEADERS.items():
        df[header] = [values[i % len(values)] for i in range(N)]
    df["Commentaire"] = [FREE_TEXT[i % len(FREE_TEXT)] for i in range(N)]
    return df


def secrets_in(text: str) -> list[str]:
    needles = (
        PEOPLE
        + EMAILS
        + PHONES
        + ["06 11 22 33 44", "12 34 56 78", "Xyzzy", "Quuxley", "Plughworth", "SECRETID", "Zanzibar"]
    )
    return [n for n in needles if n in text]


@pytest.fixture(scope="module")
def private_run(tmp_path_factory):
    """`amo-analysis run --pseudonymise` (in-process) on the planted portfolio."""
    from amo_analysis.suite.cli import main

    tmp = tmp_path_factory.mktemp("private")
    source = write_csv(planted_frame(), tmp / "portfolio.csv", sep=";")
    out = tmp / "reports"
    code = main(["run", "--data", str(source), "--out", str(out), "--only", "01", "--pseudonymise"])
    assert code == 0
    return out


def test_no_personal_value_in_any_output_file(private_run):
    files = all_output_text(private_run / "latest")
    assert len(files) >= 8  # pages, notebook, tables, figures, results, portfolio data
    leaks = {path.name: found for path, text in files.items() if (found := secrets_in(text))}
    assert not leaks


def test_personal_columns_are_dropped_and_listed(private_run):
    document = json.loads((private_run / "latest" / "results.json").read_text(encoding="utf-8"))
    prov = document["provenance"]
    dropped = {p["column"] for p in prov["personal_columns_dropped"]}
    assert dropped == set(PERSONAL_HEADERS) | {"Commentaire"}
    reasons = {p["column"]: p["reason"] for p in prov["personal_columns_dropped"]}
    assert "e-mail" in reasons["Commentaire"] and "phone" in reasons["Commentaire"]
    assert document["run"]["pseudonymise"] is True
    index = (private_run / "latest" / "index.html").read_text(encoding="utf-8")
    assert "Chef de projet" in index and "Courriel du sponsor" in index  # listed on the summary page


def test_project_ids_and_names_are_salted_hashes(private_run):
    import pandas as pd

    data = pd.read_parquet(private_run / "latest" / "data" / "portfolio.parquet")
    assert data["project_id"].str.fullmatch(r"P-[0-9a-f]{12}").all() and data["project_id"].is_unique
    assert data["Nom du projet"].str.fullmatch(r"P-[0-9a-f]{12}").all()


def test_validate_lists_dropped_personal_columns(tmp_path, run_cli):
    source = write_csv(planted_frame(), tmp_path / "portfolio.csv")
    result = run_cli("validate", source, "--pseudonymise")
    assert result.code == 0, result.err
    for header in PERSONAL_HEADERS:
        assert f"personal data dropped: {header!r}" in result.out
    assert not secrets_in(result.out + result.err)


def test_salt_is_never_written_and_pseudonyms_depend_on_it(tmp_path):
    source = write_csv(planted_frame(), tmp_path / "portfolio.csv")
    salt = "zz9-plural-z-alpha-SALT"
    first = load_portfolio(source, pseudonymise=True, salt=salt)
    again = load_portfolio(source, pseudonymise=True, salt=salt)
    other = load_portfolio(source, pseudonymise=True, salt="another salt")
    random1 = load_portfolio(source, pseudonymise=True)
    random2 = load_portfolio(source, pseudonymise=True)
    assert first.data["project_id"].tolist() == again.data["project_id"].tolist()
    assert set(first.data["project_id"]).isdisjoint(other.data["project_id"])
    assert set(random1.data["project_id"]).isdisjoint(random2.data["project_id"])  # fresh salt per run
    first.save(tmp_path / "saved")
    for path, text in all_output_text(tmp_path / "saved").items():
        assert salt not in text, path.name
        assert not secrets_in(text), path.name
    assert salt not in json.dumps(first.provenance()) and salt not in repr(first.data.attrs)


def test_without_pseudonymise_ids_are_kept_but_personal_columns_still_dropped(tmp_path):
    portfolio = load_portfolio(write_csv(planted_frame(), tmp_path / "portfolio.csv"))
    assert portfolio.data["project_id"].str.endswith("SECRETID").all()
    assert not set(PERSONAL_HEADERS) & set(portfolio.data.columns)
    assert not secrets_in(portfolio.data.drop(columns=["project_id", "Nom du projet"]).to_csv())
