"""Tests for amo_analysis.ingest.columns: the invariants of the canonical column catalogue and the
template `amo-analysis template` writes from it."""

from __future__ import annotations

import typing

import pandas as pd
import pytest

from amo_analysis import paths
from amo_analysis.ingest import columns as cols
from amo_analysis.ingest.mapping import apply_mapping, normalise_header

NAMES = [c.name for c in cols.COLUMNS]
INPUTS = [c for c in cols.COLUMNS if c.role != "derived"]
NUMERIC = [c for c in cols.COLUMNS if c.kind in ("float", "int")]


# --------------------------------------------------------------------------- names and roles


def test_canonical_names_are_unique_snake_case_identifiers():
    assert len(NAMES) == len(set(NAMES))
    for name in NAMES:
        assert name.isidentifier() and name == name.lower(), name


def test_kinds_and_roles_are_the_declared_ones():
    kinds = set(typing.get_args(cols.Kind))
    for c in cols.COLUMNS:
        assert c.kind in kinds, c.name
        assert c.role in ("required", "optional", "derived"), c.name
        assert c.description.strip(), c.name


def test_lookup_tables_agree_with_the_catalogue():
    assert list(cols.BY_NAME) == NAMES
    assert all(cols.BY_NAME[n].name == n for n in NAMES)
    assert cols.REQUIRED == (
        "project_id",
        "amo",
        "budget_planned",
        "cost_actual",
        "duration_planned_days",
        "duration_actual_days",
    )
    assert cols.REQUIRED == tuple(c.name for c in cols.COLUMNS if c.role == "required")
    # inputs then derived, each in catalogue order, and nothing else
    assert set(cols.INPUT_COLUMNS) | set(cols.DERIVED) == set(NAMES)
    assert not set(cols.INPUT_COLUMNS) & set(cols.DERIVED)
    assert list(cols.INPUT_COLUMNS) == [n for n in NAMES if n in cols.INPUT_COLUMNS]
    assert cols.DERIVED == (
        "budget_drift",
        "schedule_slip",
        "log_cost_ratio",
        "log_duration_ratio",
        "outcome_class",
        "running",
        "elapsed_days",
    )


def test_framing_questions_and_pitfalls_are_boolean_optional_columns():
    assert cols.FRAMING_COLUMNS == tuple(f"framing_q{i:02d}" for i in range(1, 11))
    assert len(cols.PITFALL_COLUMNS) == len(set(cols.PITFALL_COLUMNS)) == 5
    for name in cols.FRAMING_COLUMNS + cols.PITFALL_COLUMNS:
        column = cols.BY_NAME[name]
        assert (column.kind, column.role) == ("bool", "optional"), name
    # the ten questions are listed together, in order, as the framing score counts them
    start = NAMES.index("framing_q01")
    assert NAMES[start : start + 10] == list(cols.FRAMING_COLUMNS)
    assert cols.BY_NAME["framing_score"].max_value == len(cols.FRAMING_COLUMNS)


def test_durations_derivable_from_dates_name_date_columns():
    for target, (start, end) in cols.DERIVABLE_FROM_DATES.items():
        assert target in cols.REQUIRED
        assert cols.BY_NAME[start].kind == cols.BY_NAME[end].kind == "date"
    assert cols.DERIVABLE_FROM_DATES["duration_actual_days"][1] == "golive_actual"
    assert cols.DERIVABLE_FROM_DATES["duration_planned_days"][1] == "golive_planned"


# --------------------------------------------------------------------------- headers and synonyms


@pytest.mark.parametrize("column", INPUTS, ids=lambda c: c.name)
def test_every_input_column_has_an_english_and_a_french_header(column):
    assert column.header_en.strip() and column.header_fr.strip()


def test_derived_columns_have_no_user_header_nor_synonym():
    # they are computed, never read from the user's file
    for c in cols.COLUMNS:
        if c.role == "derived":
            assert (c.header_en, c.header_fr, c.synonyms) == ("", "", ()), c.name


@pytest.mark.parametrize("attr", ["header_en", "header_fr"])
def test_headers_are_unique_per_language(attr):
    headers = [getattr(c, attr) for c in INPUTS]
    assert len(headers) == len(set(headers))
    normalised = [normalise_header(h) for h in headers]
    assert len(normalised) == len(set(normalised))


def test_no_header_form_is_claimed_by_two_columns():
    owner: dict[str, str] = {}
    clashes = []
    for c in INPUTS:
        for text in (c.name, c.header_en, c.header_fr, *c.synonyms):
            key = normalise_header(text)
            assert key, (c.name, text)
            if owner.setdefault(key, c.name) != c.name:
                clashes.append((text, owner[key], c.name))
    assert clashes == []


def test_synonyms_are_non_empty_text():
    for c in cols.COLUMNS:
        assert isinstance(c.synonyms, tuple), c.name
        assert all(isinstance(s, str) and s.strip() for s in c.synonyms), c.name


def test_sample_headers_are_french_catalogue_headers():
    header = paths.SAMPLE_PORTFOLIO.read_bytes().decode("cp1252").splitlines()[0].split(";")
    french = {c.header_fr for c in INPUTS}
    assert header and set(header) <= french, set(header) - french
    assert {cols.BY_NAME[n].header_fr for n in cols.REQUIRED} <= set(header)


# --------------------------------------------------------------------------- units, bounds, values


@pytest.mark.parametrize("column", NUMERIC, ids=lambda c: c.name)
def test_every_numeric_column_documents_its_unit(column):
    assert column.unit.strip()


def test_money_duration_and_share_units():
    money = {"budget_planned", "cost_actual", "cost_to_date", "amo_cost"}
    assert {c.name for c in cols.COLUMNS if c.unit == "cost unit"} == money
    days = {"duration_planned_days", "duration_actual_days", "elapsed_days"}
    assert {c.name for c in cols.COLUMNS if c.unit == "days"} == days
    share = cols.BY_NAME["adoption_m3"]
    assert (share.min_value, share.max_value) == (0, 1)
    for name in ("budget_drift", "schedule_slip"):
        assert cols.BY_NAME[name].unit == "fraction"


def test_bounds_are_consistent_and_only_on_numeric_columns():
    for c in cols.COLUMNS:
        if c.min_value is not None or c.max_value is not None:
            assert c.kind in ("float", "int"), c.name
        if c.min_value is not None and c.max_value is not None:
            assert c.min_value < c.max_value, c.name
    # a planned budget or duration of zero makes the ratios undefined: strictly positive
    for name in ("budget_planned", "duration_planned_days"):
        assert cols.BY_NAME[name].min_value == 0 and cols.BY_NAME[name].min_inclusive is False
    assert (cols.BY_NAME["complexity"].min_value, cols.BY_NAME["complexity"].max_value) == (1, 5)


def test_allowed_values_only_on_categories():
    with_values = {c.name: c.allowed for c in cols.COLUMNS if c.allowed}
    assert with_values == {"status": cols.STATUSES, "outcome_class": cols.OUTCOME_CLASSES}
    for name in with_values:
        assert cols.BY_NAME[name].kind == "category"


# --------------------------------------------------------------------------- template


@pytest.mark.parametrize("lang, attr", [("en", "header_en"), ("fr", "header_fr")])
def test_template_has_the_input_headers_in_catalogue_order(lang, attr):
    empty, _ = cols.template_frames(lang)
    assert list(empty.columns) == [getattr(c, attr) for c in INPUTS]
    assert empty.empty


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_template_headers_are_recognised_as_the_canonical_columns(lang):
    empty, _ = cols.template_frames(lang)
    raw = pd.DataFrame([["x"] * len(empty.columns)], columns=empty.columns, index=[2])
    mapped, report = apply_mapping(raw, None, "template.csv")
    assert list(mapped.columns) == list(cols.INPUT_COLUMNS)
    assert report.unrecognised == []


def test_template_dictionary_describes_every_column_in_order():
    _, dictionary = cols.template_frames("fr")
    assert list(dictionary["canonical name"]) == NAMES
    assert list(dictionary.columns) == [
        "canonical name",
        "English header",
        "French header",
        "role",
        "type",
        "unit",
        "description",
    ]
    row = dictionary.set_index("canonical name").loc["budget_planned"]
    c = cols.BY_NAME["budget_planned"]
    assert (row["English header"], row["French header"], row["role"], row["type"], row["unit"]) == (
        c.header_en,
        c.header_fr,
        "required",
        "float",
        "cost unit",
    )
    assert cols.template_frames("en")[1].equals(dictionary)  # the dictionary is the same in both languages
