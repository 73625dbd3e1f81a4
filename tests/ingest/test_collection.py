"""Many client exports in, one portfolio out (`load_collection`), and who may be named (`publishable`)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import portfolio_frame, write_csv

from amo_analysis.errors import ContractError, InputError
from amo_analysis.i18n import localise
from amo_analysis.ingest.collection import (
    is_collection,
    load_any,
    load_collection,
    peer_letters,
    publishable,
    source_files,
)


def client(n: int, seed: int, organisation: bool = False) -> pd.DataFrame:
    frame = portfolio_frame(n, seed)
    return frame if organisation else frame.drop(columns="organisation")


@pytest.fixture
def clients(tmp_path):
    """Three clients: a French-style CSV, an English CSV and a workbook; ids repeat across them."""
    folder = tmp_path / "clients"
    folder.mkdir()
    write_csv(client(12, 1), folder / "acme.csv", sep=";", encoding="cp1252")
    write_csv(client(10, 2), folder / "borealis.csv")
    client(8, 3).to_excel(folder / "cygnus.xlsx", sheet_name="Projects", index=False)
    (folder / "notes.md").write_text("not a table", encoding="utf-8")
    (folder / "~$cygnus.xlsx").write_bytes(b"lock")
    return folder


def test_a_folder_a_glob_and_several_paths_name_the_same_sources(clients):
    from_folder = source_files(clients)
    assert [p.name for p in from_folder] == ["acme.csv", "borealis.csv", "cygnus.xlsx"]
    assert [p.name for p in source_files(str(clients / "*.csv"))] == ["acme.csv", "borealis.csv"]
    several = source_files([str(clients / "cygnus.xlsx"), str(clients / "acme.csv"), str(clients / "acme.csv")])
    assert [p.name for p in several] == ["cygnus.xlsx", "acme.csv"]
    assert is_collection(clients) and is_collection([1, 2]) and is_collection(str(clients / "*.csv"))
    assert not is_collection(clients / "acme.csv") and not is_collection("sqlite:///x.db")


@pytest.mark.parametrize(
    "given, needle",
    [("missing_folder", "does not exist"), ("*.parquet", "no table file"), ("empty", "holds no table file")],
)
def test_names_that_match_nothing_are_one_sentence(tmp_path, given, needle):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=needle):
        source_files(str(tmp_path / given))


def test_organisations_come_from_the_file_stem_and_ids_are_namespaced_across_sources(clients):
    portfolio = load_collection(clients)
    data = portfolio.data
    assert portfolio.n_projects == 30
    assert data["organisation"].value_counts().to_dict() == {"acme": 12, "borealis": 10, "cygnus": 8}
    assert data["project_id"].is_unique
    # portfolio_frame ids are PRJ-0001…: the first 8 appear in all three sources, 9-10 in two, 11-12 in one
    assert "acme/PRJ-0001" in set(data["project_id"]) and "cygnus/PRJ-0001" in set(data["project_id"])
    assert set(data.loc[data["organisation"] == "acme", "project_id"]) >= {"PRJ-0011", "PRJ-0012"}
    notes = [str(n) for n in portfolio.notes]
    assert any("10 project ids appear in 3 sources" in n for n in notes), notes
    assert any(n.startswith("acme.csv: no organisation column") for n in notes)
    assert [s["name"] for s in portfolio.sources] == ["acme.csv", "borealis.csv", "cygnus.xlsx"]
    assert [line for line in portfolio.detection if line.startswith("source:")] == [
        "source: acme.csv (csv)",
        "source: borealis.csv (csv)",
        "source: cygnus.xlsx (xlsx)",
    ]
    assert any(line == "delimiter: semicolon ';'" for line in portfolio.detection)  # each source its own detection
    assert list(data.index) == list(range(1, 31))


def test_the_pooled_portfolio_does_not_depend_on_the_order_of_the_sources(clients):
    one = load_collection([str(clients / "acme.csv"), str(clients / "borealis.csv")]).data
    two = load_collection([str(clients / "borealis.csv"), str(clients / "acme.csv")]).data
    key = ["project_id"]
    pd.testing.assert_frame_equal(
        one.sort_values(key).reset_index(drop=True), two.sort_values(key).reset_index(drop=True), check_like=True
    )


def test_an_organisation_column_is_kept_where_there_is_one(tmp_path):
    frame = client(10, 4, organisation=True)
    frame.loc[0, "organisation"] = ""
    write_csv(frame, tmp_path / "group_export.csv")
    write_csv(client(6, 5), tmp_path / "solo.csv")
    portfolio = load_collection(tmp_path)
    orgs = portfolio.data["organisation"]
    assert (orgs == "group_export").sum() == 1 and (orgs == "solo").sum() == 6
    assert any("1 projects without an organisation" in str(n) for n in portfolio.notes)


def test_a_duplicate_within_one_source_is_still_an_error(clients):
    frame = client(5, 6)
    frame.loc[4, "project_id"] = frame.loc[0, "project_id"]
    write_csv(frame, clients / "dup.csv")
    with pytest.raises(ContractError) as info:
        load_collection(clients)
    assert info.value.file == "dup.csv" and "PRJ-0001" in info.value.report()


def test_a_bad_cell_in_any_source_names_source_line_column_and_value(clients):
    frame = client(5, 7)
    frame.loc[2, "budget_planned"] = "douze mille"
    write_csv(frame, clients / "dirty.csv")
    with pytest.raises(ContractError) as info:
        load_collection(clients)
    report = info.value.report()
    assert info.value.file == "dirty.csv"
    assert "line 4" in report and "budget_planned" in report and "douze mille" in report


def test_a_mapping_beside_a_source_applies_to_that_source_only(tmp_path):
    renamed = client(6, 8).rename(columns={"budget_planned": "Enveloppe"})
    write_csv(renamed, tmp_path / "odd.csv")
    (tmp_path / "odd.toml").write_text('[columns]\n"Enveloppe" = "budget_planned"\n', encoding="utf-8")
    write_csv(client(6, 9), tmp_path / "plain.csv")
    portfolio = load_collection(tmp_path)
    assert portfolio.n_projects == 12 and portfolio.data["budget_planned"].notna().all()
    assert any("odd.csv: read with its own mapping file odd.toml" == str(n) for n in portfolio.notes)
    (tmp_path / "odd.toml").unlink()
    with pytest.raises(InputError, match="odd.csv"):
        load_collection(tmp_path)  # without it, odd.csv lacks its budget column


def test_every_sheet_with_a_table_is_a_source(tmp_path):
    with pd.ExcelWriter(tmp_path / "holding.xlsx") as writer:
        client(6, 10).to_excel(writer, sheet_name="2024", index=False)
        client(5, 11).to_excel(writer, sheet_name="2025", index=False)
        pd.DataFrame({"read me": ["exported by hand"]}).to_excel(writer, sheet_name="Notes", index=False)
    write_csv(client(4, 12), tmp_path / "other.csv")
    portfolio = load_collection(tmp_path)
    assert [s["name"] for s in portfolio.sources] == ["holding.xlsx [2024]", "holding.xlsx [2025]", "other.csv"]
    assert portfolio.data["organisation"].value_counts().to_dict() == {"holding": 11, "other": 4}
    assert "holding.2024/PRJ-0001" in set(portfolio.data["project_id"])


def test_sources_in_different_cost_units_are_refused(tmp_path):
    write_csv(client(5, 13), tmp_path / "euros.csv")
    write_csv(client(5, 14), tmp_path / "hours.csv")
    (tmp_path / "hours.toml").write_text('cost_unit = "hours"\n', encoding="utf-8")
    with pytest.raises(InputError, match="same unit"):
        load_collection(tmp_path)


def test_options_of_a_single_source_are_refused_for_a_collection(clients):
    with pytest.raises(InputError, match="--sheet applies to a single source"):
        load_any(clients, sheet="Projects")
    assert load_any(clients / "acme.csv").n_projects == 12


def test_pseudonymised_ids_hash_alike_in_every_source(clients):
    portfolio = load_collection(clients, pseudonymise=True, salt="s")
    ids = portfolio.data["project_id"]
    assert ids.is_unique and ids.str.contains(r"/P-[0-9a-f]{12}$").sum() == 28  # 8 ids × 3 + 2 × 2, namespaced
    assert not ids.str.contains("PRJ-0001").any()


# --- who may be named ------------------------------------------------------------------------------


@pytest.fixture
def with_small(clients):
    write_csv(client(3, 15), clients / "zorglub_tiny.csv")
    return load_collection(clients)


def test_a_small_organisation_is_named_nowhere(with_small):
    public = publishable(with_small, min_org_size=5)
    assert public.data["organisation"].value_counts().to_dict() == {
        "acme": 12,
        "borealis": 10,
        "cygnus": 8,
        "other organisation 1": 3,
    }
    text = json.dumps(public.provenance(), default=str, ensure_ascii=False) + public.data.to_csv()
    assert "zorglub" not in text
    assert public.disclosure == {"min_org_size": 5, "withheld": ["other organisation 1"], "focus": None, "peers": []}
    assert public.n_projects == with_small.n_projects  # its projects still count
    assert "zorglub" in json.dumps(with_small.provenance(), default=str)  # it was there before


def test_labels_follow_the_report_language(with_small):
    public = publishable(with_small, min_org_size=5, lang="fr")
    assert "autre organisation 1" in set(public.data["organisation"])
    assert any("autre organisation 1.csv" in localise(n, "fr") for n in public.notes)


def test_focus_names_one_organisation_and_pseudonymises_the_others(with_small):
    first = publishable(with_small, 5, focus="borealis", seed=3)
    again = publishable(with_small, 5, focus="borealis", seed=3)
    orgs = first.data["organisation"]
    assert set(orgs) == {"borealis", "Peer A", "Peer B", "other organisation 1"}
    assert orgs.tolist() == again.data["organisation"].tolist()  # stable within a run (same seed)
    assert first.disclosure["peers"] == ["Peer A", "Peer B"] and first.disclosure["focus"] == "borealis"
    text = json.dumps(first.provenance(), default=str) + first.data.to_csv()
    for hidden in ("acme", "cygnus", "zorglub"):
        assert hidden not in text, hidden
    assert (first.data["project_id"].str.startswith("Peer ")).any()  # namespaced ids renamed too


def test_focus_must_name_an_organisation_that_may_be_named(with_small):
    with pytest.raises(InputError, match="names no organisation"):
        publishable(with_small, 5, focus="nobody")
    with pytest.raises(InputError, match="fewer than --min-org-size 5"):
        publishable(with_small, 5, focus="zorglub_tiny")
    with pytest.raises(InputError, match="at least 1"):
        publishable(with_small, 0)


def test_nothing_to_rename_returns_the_portfolio_itself(clients):
    portfolio = load_collection(clients)
    assert publishable(portfolio, 5) is portfolio
    assert publishable(portfolio, 9).data["organisation"].value_counts()["other organisation 1"] == 8


def test_peer_letters_go_on_after_z():
    assert [peer_letters(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]
