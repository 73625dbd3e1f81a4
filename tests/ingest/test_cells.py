"""Tests for amo_analysis.ingest.cells: what one cell says (missing, yes/no, number, date, text).

Most cell reading is tested through `contract.coerce_types` (test_contract.py) and the yes/no
vocabulary in test_mapping.py; these tests pin what each reader gives on its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from amo_analysis.ingest import cells


@pytest.mark.parametrize("marker", ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!", " — ", "None"])
def test_one_list_of_missing_markers_for_every_column(marker):
    assert cells.MISSING_VALUES is cells.MISSING_MARKERS
    assert cells.is_blank(marker)
    assert cells.parse_bool_value(marker) is None  # a yes/no cell reads it as missing too
    assert cells.to_float(marker, ".", None) == (None, False)
    assert cells.to_text(marker) is None
    assert cells.is_excel_error(marker) == marker.startswith("#")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2009-01-01T00:00:00Z", (2009, 1, 1)),
        ("2020-05-25 00:00:00", (2020, 5, 25)),
        ("2021-03-04T09:30:00.123+01:00", (2021, 3, 4)),
        ("2021-03-04T23:30:00-0500", (2021, 3, 4)),  # the calendar date as written, not UTC
        ("2021-03-04T23:30:00,5 +05", (2021, 3, 4)),
        ("04/03/2021T10:00:00Z", (2021, 3, 4)),
    ],
)
def test_timestamps_of_apis_and_databases_read_as_their_date(text, expected):
    assert cells.read_date(text, "day", None) == pd.Timestamp(*expected)
    assert cells.first_timestamp(pd.Series([text, "2020-01-01"], dtype="string")) == text


def test_a_date_with_garbage_after_it_is_still_not_a_date():
    for text in ("2021-03-04T25", "2021-03-04 lunch", "2021-03-04T09:30Zulu"):
        with pytest.raises(ValueError):
            cells.read_date(text, "day", None)
    assert cells.first_timestamp(pd.Series(["2020-01-01"], dtype="string")) is None


@pytest.mark.parametrize(
    "value, missing, blank, unfilled",
    [
        (None, True, True, True),
        (pd.NA, True, True, True),
        (float("nan"), True, True, True),
        (np.float32("nan"), True, True, False),
        (pd.NaT, True, True, False),
        ("  ", False, True, True),
        ("na", False, True, False),
        ("0", False, False, False),
        (0, False, False, False),
    ],
)
def test_the_three_missing_tests(value, missing, blank, unfilled):
    assert (cells.is_missing(value), cells.is_blank(value), cells.is_unfilled(value)) == (missing, blank, unfilled)


@pytest.mark.parametrize(
    "text, decimal, thousands, expected",
    [
        ("1\u00a0234,5 €", ",", "\u00a0", 1234.5),
        ("1 234,5", ",", None, 1234.5),
        ("-€12", ".", None, -12.0),
        ("1,234.56", ".", ",", 1234.56),
        ("12", None, None, 12.0),
    ],
)
def test_numbers_written_as_text(text, decimal, thousands, expected):
    assert cells.to_float(text, decimal, thousands) == (expected, False)


@pytest.mark.parametrize(
    "text, decimal, thousands",
    [
        ("1,5", ".", ","),  # a thousands separator groups digits by three: never 15
        ("12 k€", ",", None),
        ("1.5", ",", None),  # a point where the decimal mark is a comma
    ],
)
def test_numbers_not_guessed(text, decimal, thousands):
    with pytest.raises(ValueError):
        cells.to_float(text, decimal, thousands)


def test_percent_signs_only_when_allowed():
    assert cells.to_float("45 %", ",", None, allow_percent=True) == (45.0, True)
    with pytest.raises(ValueError):
        cells.to_float("45 %", ",", None)
    assert cells.to_float("", ",", None) == (None, False)


@pytest.mark.parametrize(
    "value, expected", [("1 234,5", True), ("12", True), (3, True), ("12 k€", False), ("oui", False)]
)
def test_looks_numeric_is_loose(value, expected):
    assert cells.looks_numeric(value) is expected


def test_dates_and_their_order():
    assert cells.read_date("31/03/2024", "day", None) == pd.Timestamp(2024, 3, 31)
    assert cells.read_date("03/31/2024", "month", None) == pd.Timestamp(2024, 3, 31)
    assert cells.read_date("2024-03-31T10:00", "day", None) == pd.Timestamp(2024, 3, 31)
    assert cells.read_date(pd.Timestamp("2024-03-31 10:00", tz="UTC"), "day", None) == pd.Timestamp(2024, 3, 31)
    assert cells.read_date("31.03.2024", "day", "%d.%m.%Y") == pd.Timestamp(2024, 3, 31)
    with pytest.raises(ValueError):
        cells.read_date("31/31/2024", "day", None)
    column = pd.Series(["13/01/2024", "01/02/2024", None], dtype="string")
    assert cells.date_order_evidence(column) == "day" and cells.has_dmy(column)
    assert cells.date_order_evidence(pd.Series(["01/13/2024"], dtype="string")) == "month"
    assert cells.date_order_evidence(pd.Series(["2024-01-13"], dtype="string")) is None
    assert not cells.has_dmy(pd.Series(["2024-01-13"], dtype="string"))


def test_text_and_status_words():
    assert cells.to_text(12.0) == "12" and cells.to_text("  ERP ") == "ERP" and cells.to_text("-") is None
    assert cells.STATUS_WORDS[cells.norm_word("Terminé")] == "completed"
    assert cells.STATUS_WORDS[cells.norm_word("en_cours")] == "ongoing"


def test_column_readers_give_what_the_cell_readers_give():
    column = pd.Series(["1,5", " 2 ", "x", None, "1,5", "-3"], dtype="string")
    mask, values = cells.plain_numbers(column, ",", None, whole=False)
    assert mask.tolist() == [True, False, False, False, True, True]
    assert values[mask].tolist() == [cells.to_float(v, ",", None)[0] for v in column[mask]]
    codes, outcomes = cells.by_value(column, lambda v: cells.to_float(v, ",", None)[0], (ValueError,))
    assert len(outcomes) == 5  # four distinct texts and the missing cell, each read once
    assert [outcomes[c][0] for c in codes] == [True, True, False, True, True, True]
    texts = pd.Series(["  padded ", "kept as it is", "n/a", None], dtype="string")
    read = cells.text_cells(texts)
    assert read[:2].tolist() == ["padded", "kept as it is"] and read[2:].isna().all()


TRICKY_TEXTS = [
    "P-000123",
    "ERP",
    "x",
    "NA",
    "n/A",
    "N/a",
    "NULL",
    "None",
    "nan",
    "NaT",
    "<NA>",
    "-",
    "–",
    "—",
    "",
    " ",
    "  ERP",
    "ERP\t",
    "\xa0ERP",
    "ERP\xa0",
    "#N/A",
    "#n/a",
    " #DIV/0! ",
    "#Spill!",
    "#getting_data",
    "#GETTING_DATA",
    "#ſpill!",
    "#DİV/0!",
    "Énergie",
    "ſ",
    "a b",
    "12",
    "12.0",
    "ok!",
    "~",
    "code\x1c",
    "un projet dont le nom est long",
    "  un projet dont le nom est long  ",
    None,
]


def test_text_cells_give_what_to_text_gives_on_every_kind_of_cell():
    column = pd.Series(TRICKY_TEXTS * 3, dtype="string")
    read = cells.text_cells(column)
    expected = [cells.to_text(v) for v in column.astype(object).where(column.notna(), None)]
    assert [None if pd.isna(v) else v for v in read.tolist()] == expected


def test_excel_error_values_are_the_cells_is_excel_error_accepts():
    column = pd.Series(TRICKY_TEXTS, dtype="string")
    expected = sorted(v for v in column.dropna().unique() if cells.is_excel_error(v))
    assert (
        cells.excel_error_values(column)
        == expected
        == sorted([" #DIV/0! ", "#GETTING_DATA", "#N/A", "#Spill!", "#getting_data", "#n/a"])
    )
    mixed = pd.Series(["#REF!", 3, None, "ok"], dtype=object)
    assert cells.excel_error_values(mixed) == ["#REF!"]
    assert cells.excel_error_values(pd.Series([1.0, 2.0])) == []


def test_numbers_if_all_read():
    assert cells.numbers_if_all_read(pd.Series(["1,5", "", "2"], dtype="string"), ",", None).tolist()[::2] == [1.5, 2.0]
    unchanged = pd.Series(["1,5", "x"], dtype="string")
    assert cells.numbers_if_all_read(unchanged, ",", None) is unchanged
