"""Tests for amo_analysis.ingest.portfolio: `load_portfolio` on a clean export, the provenance it
keeps, `Portfolio.save`/`Portfolio.load`, personal data dropped, the input never touched."""

from __future__ import annotations

import hashlib
import json

from dataclasses import replace

import pandas as pd
import pytest

from conftest import portfolio_frame, write_csv

from amo_analysis.errors import ContractError, InputError
from amo_analysis.ingest.portfolio import PORTFOLIO_FILE, PROVENANCE_FILE, Portfolio, load_portfolio

N = 20


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A clean 20-project CSV export with canonical headers, and the frame it was written from
    (shared: no test writes to it)."""
    frame = portfolio_frame(N)
    return write_csv(frame, tmp_path_factory.mktemp("export") / "export.csv"), frame


@pytest.fixture(scope="module")
def loaded(export):
    return load_portfolio(export[0])


# --------------------------------------------------------------------------- load


def test_one_row_per_project_indexed_by_csv_line(export, loaded):
    _, frame = export
    assert loaded.n_projects == len(loaded.data) == N
    assert list(loaded.data.index) == list(range(2, N + 2))  # header is line 1
    assert list(loaded.data["project_id"]) == list(frame["project_id"])
    assert loaded.row_label == "line" and loaded.source_name == "export.csv"


def test_defaults_practice_amo_and_cost_unit_eur(loaded):
    assert loaded.practice_name == "AMO"
    assert loaded.cost_unit == "EUR"
    assert loaded.excluded_rows == [] and loaded.problems == [] and loaded.personal_columns == []


def test_canonical_columns_typed_and_derived_columns_added(loaded):
    data = loaded.data
    assert pd.api.types.is_bool_dtype(data["amo"])
    assert pd.api.types.is_float_dtype(data["budget_planned"])
    assert pd.api.types.is_datetime64_any_dtype(data["start_date"])
    finished = data["cost_actual"].notna()
    expected = data.loc[finished, "cost_actual"] / data.loc[finished, "budget_planned"] - 1
    pd.testing.assert_series_equal(data.loc[finished, "budget_drift"], expected, check_names=False)


def test_mapping_sets_practice_name_and_cost_unit_and_argument_wins(export, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('practice = { name = "PMO" }\ncost_unit = "hours"\n', encoding="utf-8")
    portfolio = load_portfolio(export[0], mapping)
    assert (portfolio.practice_name, portfolio.cost_unit) == ("PMO", "hours")
    assert load_portfolio(export[0], mapping, cost_unit="person-days").cost_unit == "person-days"


# --------------------------------------------------------------------------- checksum and period


def test_checksum_is_the_sha256_of_the_file_bytes(export, tmp_path, loaded):
    path, _ = export
    assert loaded.checksum == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    # same bytes under another name: same checksum
    copy = tmp_path / "other_name.csv"
    copy.write_bytes(path.read_bytes())
    assert load_portfolio(copy).checksum == loaded.checksum
    # one cell changed: another checksum
    frame = portfolio_frame(N)
    frame.loc[0, "budget_planned"] = str(int(frame.loc[0, "budget_planned"]) + 1)
    changed = write_csv(frame, tmp_path / "changed.csv")
    assert load_portfolio(changed).checksum != loaded.checksum


def test_period_is_first_and_last_start_date(export, loaded):
    _, frame = export
    starts = sorted(frame["start_date"])
    assert loaded.period() == [starts[0], starts[-1]]
    assert loaded.provenance()["period"] == loaded.period()


@pytest.mark.parametrize("how", ["absent", "empty"])
def test_period_is_none_without_start_dates(tmp_path, how):
    frame = portfolio_frame(6)
    if how == "absent":
        frame = frame.drop(columns=["start_date"])
    else:
        frame["start_date"] = ""
    assert load_portfolio(write_csv(frame, tmp_path / "p.csv")).period() is None


# --------------------------------------------------------------------------- save / load


def test_save_then_load_round_trips_data_and_provenance(loaded, tmp_path):
    folder = tmp_path / "run" / "inputs"  # parents made
    path = loaded.save(folder)
    assert path == folder / PORTFOLIO_FILE
    assert sorted(p.name for p in folder.iterdir()) == sorted([PORTFOLIO_FILE, PROVENANCE_FILE])
    back = Portfolio.load(path)
    pd.testing.assert_frame_equal(back.data, loaded.data, check_exact=True)  # dtypes and index included
    assert list(back.data.dtypes) == list(loaded.data.dtypes)
    assert back.data.index.name == loaded.data.index.name
    assert back.provenance() == loaded.provenance()
    assert (back.practice_name, back.cost_unit, back.checksum, back.row_label) == (
        loaded.practice_name,
        loaded.cost_unit,
        loaded.checksum,
        loaded.row_label,
    )


def test_round_trip_keeps_a_custom_practice_and_unit(export, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('practice = { name = "Agile" }\ncost_unit = "USD"\n', encoding="utf-8")
    back = Portfolio.load(load_portfolio(export[0], mapping).save(tmp_path / "saved"))
    assert (back.practice_name, back.cost_unit) == ("Agile", "USD")


def test_a_loaded_portfolio_carries_no_attrs(loaded):
    # pandas deep-copies a frame's attrs on every operation: the sample's reading attrs (~1 800 characters
    # of source headers and vocabularies) cost a sixth of the claims page's time
    assert loaded.data.attrs == {}
    assert loaded.practice_name and loaded.cost_unit  # what the attrs said is in the Portfolio's fields


_FREEABLE_AFTER = """
import sys, psutil, pyarrow, pandas as pd
from amo_analysis.ingest.portfolio import Portfolio
read = pd.read_parquet if sys.argv[2] == "pandas" else Portfolio.load
kept = read(sys.argv[1])
before = psutil.Process().memory_info().rss
pyarrow.default_memory_pool().release_unused()
print((before - psutil.Process().memory_info().rss) / 2**20)
"""


def test_loading_a_portfolio_gives_the_readers_buffers_back(tmp_path):
    """Each notebook's kernel reads the portfolio: Arrow's allocator keeps the Parquet reader's freed
    buffers for reuse (34 MB at 50,000 projects, 226 MB at 10⁶, two kernels at a time) unless they
    are released. Measured in fresh processes: what releasing them frees after `pd.read_parquet`,
    and after `Portfolio.load` (nothing left to free)."""
    import subprocess
    import sys

    from amo_analysis import synth

    csv = tmp_path / "p.csv"
    synth.write_portfolio_csv(synth.make_portfolio(50_000, 0), csv, style="fr")
    path = load_portfolio(csv).save(tmp_path / "saved")
    freed = {
        how: float(
            subprocess.run(
                [sys.executable, "-c", _FREEABLE_AFTER, str(path), how], capture_output=True, text=True, check=True
            ).stdout
        )
        for how in ("pandas", "portfolio")
    }
    assert freed["portfolio"] < 2 < 10 < freed["pandas"], freed


def test_save_leaves_the_portfolio_in_memory_intact(loaded, tmp_path):
    mine = replace(loaded, data=loaded.data.copy())  # the module's fixture stays as loaded
    mine.data.attrs["analyst_note"] = "kept in memory"
    before = mine.data.copy()
    mine.save(tmp_path / "saved")
    assert mine.data.attrs == {"analyst_note": "kept in memory"}  # only the saved copy loses its attrs
    pd.testing.assert_frame_equal(mine.data, before)


def test_provenance_file_holds_no_data_values(loaded, tmp_path):
    loaded.save(tmp_path)
    text = (tmp_path / PROVENANCE_FILE).read_text(encoding="utf-8")
    prov = json.loads(text)
    assert prov["n_projects"] == N and prov["source"] == "export.csv"
    for value in list(loaded.data["project_id"]) + list(loaded.data["organisation"].dropna().unique()):
        assert value not in text


# --------------------------------------------------------------------------- personal data


def test_personal_columns_are_dropped_and_listed(tmp_path):
    frame = portfolio_frame(N)
    frame["Chef de projet"] = ["Jean Dupont", "Marie Curie"] * (N // 2)
    frame["E-mail"] = [f"person{i}@example.org" for i in range(N)]
    frame["Notes"] = ["kept"] * N
    portfolio = load_portfolio(write_csv(frame, tmp_path / "p.csv"))
    dropped = [p["column"] for p in portfolio.personal_columns]
    assert dropped == ["Chef de projet", "E-mail"]
    assert not set(dropped) & set(portfolio.data.columns)
    assert all(
        p["reason"] and "Dupont" not in p["reason"] and "@" not in p["reason"] for p in portfolio.personal_columns
    )
    # an ordinary extra column is kept and reported as unrecognised; personal ones are not
    assert "Notes" in portfolio.data.columns
    assert portfolio.unrecognised == ["Notes"]
    saved = portfolio.save(tmp_path / "saved")
    assert "Dupont" not in saved.read_bytes().decode("utf-8", "replace")
    assert Portfolio.load(saved).personal_columns == portfolio.personal_columns


def test_pseudonymise_hashes_ids_and_project_names(tmp_path):
    frame = portfolio_frame(6)
    frame["Project name"] = [f"Alpha {i}" for i in range(6)]
    path = write_csv(frame, tmp_path / "p.csv")
    first = load_portfolio(path, pseudonymise=True, salt="salt")
    again = load_portfolio(path, pseudonymise=True, salt="salt")
    other = load_portfolio(path, pseudonymise=True, salt="pepper")
    assert not set(first.data["project_id"]) & set(frame["project_id"])
    assert not set(first.data["Project name"]) & set(frame["Project name"])
    assert first.data["project_id"].is_unique
    assert list(first.data["project_id"]) == list(again.data["project_id"])
    assert not set(first.data["project_id"]) & set(other.data["project_id"])


# --------------------------------------------------------------------------- strictness


def test_invalid_row_is_an_error_unless_dropped(tmp_path):
    frame = portfolio_frame(6)
    frame.loc[2, "budget_planned"] = "-5"  # CSV line 4
    path = write_csv(frame, tmp_path / "p.csv")
    with pytest.raises(ContractError, match="line 4"):
        load_portfolio(path)
    portfolio = load_portfolio(path, drop_invalid=True)
    assert portfolio.n_projects == 5 and 4 not in portfolio.data.index
    assert portfolio.excluded_rows == [4]
    assert [(p["row"], p["column"]) for p in portfolio.problems] == [(4, "budget_planned")]


def test_no_project_left_is_an_input_error(tmp_path):
    frame = portfolio_frame(4)
    frame["budget_planned"] = "-5"
    with pytest.raises(InputError):
        load_portfolio(write_csv(frame, tmp_path / "p.csv"), drop_invalid=True)


# --------------------------------------------------------------------------- input untouched


def test_input_file_is_never_modified(tmp_path):
    frame = portfolio_frame(N)
    frame["Chef de projet"] = ["Jean Dupont"] * N
    frame.loc[3, "budget_planned"] = "0"
    path = write_csv(frame, tmp_path / "p.csv")
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    portfolio = load_portfolio(path, drop_invalid=True, pseudonymise=True, salt="s")
    portfolio.save(tmp_path / "saved")
    Portfolio.load(tmp_path / "saved" / PORTFOLIO_FILE)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "saved"]


def test_what_the_loader_says_reaches_a_french_report_in_french(tmp_path):
    from amo_analysis.report.show_overview import data_quality_table
    from amo_analysis.i18n import localise

    frame = portfolio_frame(12)
    frame.loc[3, "budget_planned"] = "12 k€"  # line 5: a problem, excluded
    frame["start_date"] = [f"2015-01-{d:02d}T00:00:00Z" for d in range(1, 13)]
    path = write_csv(frame, tmp_path / "export.csv", sep=";")
    portfolio = Portfolio.load(load_portfolio(path, drop_invalid=True).save(tmp_path / "run"))
    fr = [localise(line, "fr") for line in portfolio.detection]
    assert "séparateur de champs : point-virgule ';'" in fr and "encodage : utf-8" in fr
    assert "remarque : séparateur ';' détecté" in fr
    notes = [localise(note, "fr") for note in portfolio.notes]
    assert any(n.startswith("start_date : valeurs date et heure") for n in notes)
    assert "1 ligne en erreur exclue(s) (ligne 5)" in notes
    table = data_quality_table(portfolio, "fr")
    values = table.iloc[:, 1].astype(str).tolist()
    assert (
        "export.csv, ligne 5, colonne « budget_planned », valeur '12 k€' : "
        "texte dans une colonne numérique (séparateur décimal « . »)"
    ) in values
    # and in English, the very sentences `validate` prints
    assert portfolio.problems[0]["sentence"] in data_quality_table(portfolio, "en").iloc[:, 1].astype(str).tolist()
