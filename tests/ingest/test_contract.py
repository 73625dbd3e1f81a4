"""Tests for amo_analysis.ingest.contract (typing, the pandera contract), metrics and the data dictionary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from amo_analysis import paths
from amo_analysis.ingest import columns
from amo_analysis.ingest import contract
from amo_analysis.ingest import dictionary
from amo_analysis.ingest import metrics
from amo_analysis.errors import ContractError, InputError
from amo_analysis.ingest.contract import validate_portfolio
from amo_analysis.ingest.metrics import OutcomeTolerances

FIRST_LINE = 2  # CSV: header is line 1


def frame(n: int = 3, **overrides) -> pd.DataFrame:
    """A valid raw (CSV-like, all strings) mapped portfolio of n rows; index = CSV line numbers."""
    data = {
        "project_id": [f"P{i}" for i in range(1, n + 1)],
        "amo": ["oui" if i % 2 else "non" for i in range(n)],
        "budget_planned": ["1000"] * n,
        "cost_actual": ["1100"] * n,
        "duration_planned_days": ["100"] * n,
        "duration_actual_days": ["105"] * n,
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return pd.DataFrame(data, index=range(FIRST_LINE, FIRST_LINE + n))


def problems_of(df: pd.DataFrame, **kw) -> list:
    with pytest.raises(ContractError) as info:
        validate_portfolio(df, file="data.csv", **kw)
    return info.value.problems


def cells(problems) -> set[tuple]:
    return {(p.row, p.column) for p in problems}


# ------------------------------------------------------------------------------- numbers


def test_clean_frame_passes_and_is_typed():
    result = validate_portfolio(frame(), file="data.csv")
    assert result.problems == [] and result.excluded_rows == []
    d = result.data
    assert list(d.index) == [2, 3, 4]
    assert d["budget_planned"].dtype == "float64"
    assert str(d["amo"].dtype) == "boolean"
    assert d["amo"].tolist() == [False, True, False]
    assert d["project_id"].tolist() == ["P1", "P2", "P3"]


def test_french_numbers_with_spaces_nbsp_and_currency():
    df = frame(3, budget_planned=["1 234,5", "1\u00a0000 €", "2\u202f000,25"], cost_actual=["€1 000", "-", "12,5 $"])
    d = validate_portfolio(df, file="data.csv", decimal=",", thousands=" ").data
    assert d["budget_planned"].tolist() == [1234.5, 1000.0, 2000.25]
    assert d["cost_actual"].iloc[0] == 1000.0 and math.isnan(d["cost_actual"].iloc[1])
    assert d["cost_actual"].iloc[2] == 12.5


def test_english_thousands_separator_must_group_by_three():
    ok = frame(2, budget_planned=["1,234.56", "12,345,678"])
    d = validate_portfolio(ok, file="data.csv", decimal=".", thousands=",").data
    assert d["budget_planned"].tolist() == [1234.56, 12345678.0]
    bad = frame(2, budget_planned=["1,5", "100"])
    (p,) = problems_of(bad, decimal=".", thousands=",")
    assert (p.row, p.column, p.value) == (2, "budget_planned", "1,5")
    assert p.rule.startswith("text in a numeric column")


def test_text_in_numeric_column_is_reported_not_guessed():
    df = frame(4, budget_planned=["12 k€", "1000", "abc", "1.5"])
    problems = problems_of(df, decimal=",")
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "budget_planned", "12 k€"),
        (4, "budget_planned", "abc"),
        (5, "budget_planned", "1.5"),
    ]
    assert all(p.rule.startswith("text in a numeric column") for p in problems)
    assert "line 2, column 'budget_planned', value '12 k€'" in problems[0].sentence()


def test_whole_number_too_large_for_a_float_is_a_problem_not_a_crash():
    df = frame(2, complexity=["123456789012345678901234", "3"])
    (p,) = problems_of(df)
    assert (p.row, p.column, p.value) == (2, "complexity", "123456789012345678901234")
    assert p.rule.startswith("too large for a whole number")


def test_whole_number_column_rejects_fractions():
    df = frame(2, complexity=["2,5", "3"])
    (p,) = problems_of(df, decimal=",")
    assert (p.row, p.column, p.value, p.rule) == (2, "complexity", "2,5", "must be a whole number")
    d = validate_portfolio(frame(2, complexity=["2", "3"]), file="data.csv").data
    assert str(d["complexity"].dtype) == "Int64" and d["complexity"].tolist() == [2, 3]


# ------------------------------------------------------------------------------- percentages


def test_adoption_with_percent_signs_is_divided_and_noted():
    result = validate_portfolio(frame(3, adoption_m3=["87%", "50 %", ""]), file="data.csv")
    assert result.data["adoption_m3"].iloc[:2].tolist() == pytest.approx([0.87, 0.50])
    assert any("adoption_m3" in n and "divided by 100" in n for n in result.notes)


def test_adoption_in_0_100_range_is_read_as_percent():
    result = validate_portfolio(frame(3, adoption_m3=["87", "0.5", "40"]), file="data.csv")
    assert result.data["adoption_m3"].tolist() == pytest.approx([0.87, 0.005, 0.40])
    assert "adoption_m3 read as percentages (max 87): divided by 100" in result.notes


def test_adoption_fractions_are_kept_without_note():
    result = validate_portfolio(frame(3, adoption_m3=["0.87", "1", "0"]), file="data.csv")
    assert result.data["adoption_m3"].tolist() == [0.87, 1.0, 0.0]
    assert not any("adoption" in n for n in result.notes)


def test_adoption_above_100_percent_is_a_problem():
    (p,) = problems_of(frame(2, adoption_m3=["130%", "80%"]))
    assert (p.row, p.column, p.value) == (2, "adoption_m3", "130%")
    assert p.rule == "must be between 0 and 1"
    (q,) = problems_of(frame(2, adoption_m3=["0.5", "150"]))
    assert (q.row, q.value) == (3, "150")


def test_percent_sign_only_allowed_for_adoption():
    (p,) = problems_of(frame(2, team_size=["5%", "3"]))
    assert (p.row, p.column) == (2, "team_size")


# ------------------------------------------------------------------------------- booleans


def test_amo_vocabulary_and_typed_values():
    values = ["oui", "non", "O", "N", "x", "vrai", "faux", "1", "0", "Yes", "no", "TRUE"]
    d = validate_portfolio(frame(len(values), amo=values), file="data.csv").data
    assert d["amo"].tolist() == [True, False, True, False, True, True, False, True, False, True, False, True]
    typed = validate_portfolio(frame(4, amo=[True, False, 1, 0.0]), file="data.xlsx").data
    assert typed["amo"].tolist() == [True, False, True, False]


def test_amo_blank_or_unknown_is_a_problem():
    problems = problems_of(frame(3, amo=["oui", "", "peut-être"]))
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "amo", None), (4, "amo", "peut-être")]
    assert "blank" in problems[0].rule and "yes/no" in problems[1].rule


def test_practice_vocabulary_from_attrs():
    df = frame(3, amo=["Flex", "Seq", "Flex"])
    df.attrs["bool_vocabulary"] = {"amo": (("Flex",), ("Seq",))}
    assert validate_portfolio(df, file="data.csv").data["amo"].tolist() == [True, False, True]
    df.attrs["bool_vocabulary"] = {}
    assert len(problems_of(df)) == 3


def test_framing_blanks_mean_no_by_default_else_missing():
    df = frame(3, framing_q01=["x", "", None], scope_creep=["oui", "", "non"])
    d = validate_portfolio(df, file="data.csv").data
    assert d["framing_q01"].tolist() == [True, False, False]
    assert d["scope_creep"].tolist() == [True, False, False]
    df.attrs["blank_means_no"] = ("scope_creep",)
    result = validate_portfolio(df, file="data.csv")
    assert result.data["framing_q01"].isna().tolist() == [False, True, True]
    assert result.missing["framing_q01"] == 2


def test_unknown_text_in_pitfall_is_a_problem():
    (p,) = problems_of(frame(2, no_sponsor=["oui", "bof"]))
    assert (p.row, p.column, p.value) == (3, "no_sponsor", "bof")


# ------------------------------------------------------------------------------- dates


def _dates(values, **kw):
    df = frame(len(values), start_date=values, **kw)
    return validate_portfolio(df, file="data.csv")


def test_date_formats_iso_french_dotted_and_typed():
    r = _dates(["2024-03-31", "31/03/2024", "31.03.2024"])
    assert (r.data["start_date"] == pd.Timestamp("2024-03-31")).all()
    typed = _dates([dt.datetime(2024, 3, 31, 14, 30), pd.Timestamp("2024-03-31"), dt.date(2024, 3, 31)])
    assert (typed.data["start_date"] == pd.Timestamp("2024-03-31")).all()


def test_ambiguous_dates_day_first_unless_proven_month_first():
    r = _dates(["01/02/2024", "03/04/2024"])
    assert r.data["start_date"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-03")]
    assert any("start_date" in n and "day/month/year" in n and "assumed" in n for n in r.notes)
    r = _dates(["01/02/2024", "03/25/2024"])
    assert r.data["start_date"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-25")]
    assert any("month/day/year" in n for n in r.notes)
    r = _dates(["01/02/2024", "25/03/2024"])
    assert r.data["start_date"].iloc[0] == pd.Timestamp("2024-02-01")


def test_undecided_date_column_follows_the_files_other_date_columns():
    df = frame(2, start_date=["01/02/2024", "02/03/2024"], golive_planned=["05/20/2024", "06/01/2024"])
    r = validate_portfolio(df, file="data.csv")
    assert r.data["start_date"].iloc[0] == pd.Timestamp("2024-01-02")


def test_unparseable_and_impossible_dates_are_problems():
    problems = problems_of(frame(3, start_date=["2024-02-31", "demain", "31/03/2024"]))
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "start_date", "2024-02-31"),
        (3, "start_date", "demain"),
    ]
    assert all(p.rule.startswith("not a date") for p in problems)


def test_date_format_from_attrs_is_enforced():
    df = frame(2, start_date=["2024|03|31", "31/03/2024"])
    df.attrs["date_format"] = "%Y|%m|%d"
    (p,) = problems_of(df)
    assert (p.row, p.value) == (3, "31/03/2024")


def test_durations_derived_from_dates_when_columns_absent():
    df = frame(
        2,
        duration_planned_days=None,
        duration_actual_days=None,
        start_date=["2024-01-01", "2024-01-01"],
        golive_planned=["2024-04-10", "2024-02-01"],
        golive_actual=["2024-05-01", ""],
    )
    r = validate_portfolio(df, file="data.csv")
    assert r.data["duration_planned_days"].tolist() == [100.0, 31.0]
    assert r.data["duration_actual_days"].iloc[0] == 121.0 and math.isnan(r.data["duration_actual_days"].iloc[1])
    assert any(n.startswith("duration_planned_days derived from start_date and golive_planned") for n in r.notes)


def test_blank_duration_cells_filled_from_dates():
    df = frame(
        2,
        duration_actual_days=["", "50"],
        start_date=["2024-01-01", "2024-01-01"],
        golive_actual=["2024-01-31", "2024-03-01"],
    )
    r = validate_portfolio(df, file="data.csv")
    assert r.data["duration_actual_days"].tolist() == [30.0, 50.0]
    assert any("1 blank cell filled" in n for n in r.notes)


def test_golive_before_start_is_a_problem():
    df = frame(2, start_date=["2024-03-01", "2024-03-01"], golive_actual=["2024-02-01", "2024-04-01"])
    (p,) = problems_of(df)
    assert (p.row, p.column, p.value) == (2, "golive_actual", "2024-02-01")
    assert "before start_date" in p.rule


def test_missing_required_column_is_an_input_error():
    with pytest.raises(InputError) as info:
        validate_portfolio(frame(2, budget_planned=None), file="data.csv")
    assert not isinstance(info.value, ContractError)
    assert str(info.value).startswith(
        "data.csv has no column for 'budget_planned' (Planned budget / Budget prévu); columns found: project_id, amo"
    )
    with pytest.raises(InputError, match="golive_actual to derive it"):
        validate_portfolio(frame(2, duration_actual_days=None, start_date=["2024-01-01"] * 2), file="data.csv")


# ------------------------------------------------------------------------------- identifiers and bounds


def test_project_id_empty_and_duplicates_listed_with_other_rows():
    problems = problems_of(frame(4, project_id=["A", "B", "A", " "]))
    got = {(p.row, p.column): p for p in problems}
    assert set(got) == {(2, "project_id"), (4, "project_id"), (5, "project_id")}
    assert got[(2, "project_id")].rule == "duplicate project_id (also on line 4)"
    assert got[(4, "project_id")].rule == "duplicate project_id (also on line 2)"
    assert got[(5, "project_id")].rule == "must not be empty"


def test_numeric_project_ids_become_strings():
    d = validate_portfolio(frame(2, project_id=[12.0, 13]), file="data.xlsx").data
    assert d["project_id"].tolist() == ["12", "13"]


@pytest.mark.parametrize(
    "column, bad, good, rule",
    [
        ("budget_planned", "0", "0.01", "must be greater than 0"),
        ("cost_actual", "-1", "0", "must be at least 0"),
        ("duration_planned_days", "0", "1", "must be greater than 0"),
        ("duration_actual_days", "-3", "0", "must be at least 0"),
        ("complexity", "6", "5", "must be between 1 and 5"),
        ("complexity", "0", "1", "must be between 1 and 5"),
        ("framing_score", "11", "10", "must be between 0 and 10"),
        ("team_size", "-1", "0", "must be at least 0"),
        ("amo_cost", "-5", "0", "must be at least 0"),
    ],
)
def test_bounds(column, bad, good, rule):
    (p,) = problems_of(frame(2, **{column: [bad, good]}))
    assert (p.row, p.column, p.value, p.rule) == (2, column, bad, rule)
    validate_portfolio(frame(2, **{column: [good, good]}), file="data.csv")


def test_missing_cost_actual_is_allowed_and_counted():
    r = validate_portfolio(frame(3, cost_actual=["", "1100", None]), file="data.csv")
    assert r.missing["cost_actual"] == 2 and r.missing["budget_planned"] == 0
    assert math.isnan(r.data["budget_drift"].iloc[0])


def test_status_normalised_and_unknown_rejected():
    words = ["terminé", "Termine", "clos", "livré", "annulé", "abandonné", "en cours", "completed", ""]
    d = validate_portfolio(frame(len(words), status=words), file="data.csv").data
    assert d["status"].tolist()[:8] == ["completed"] * 4 + ["cancelled"] * 2 + ["ongoing", "completed"]
    assert pd.isna(d["status"].iloc[8])
    (p,) = problems_of(frame(2, status=["en pause", "clos"]))
    assert (p.row, p.column, p.value, p.rule) == (
        2,
        "status",
        "en pause",
        "must be one of completed, cancelled, ongoing",
    )


def test_framing_score_computed_and_given_score_replaced():
    answers = {f"framing_q{i:02d}": ["x", ""] if i <= 7 else ["", "x"] for i in range(1, 11)}
    r = validate_portfolio(frame(2, framing_score=["7", "9"], **answers), file="data.csv")
    assert r.data["framing_score"].tolist() == [7, 3]
    assert any("framing_score recomputed" in n and "line 3" in n for n in r.notes)
    r = validate_portfolio(frame(2, **answers), file="data.csv")
    assert r.data["framing_score"].tolist() == [7, 3]


def test_problems_name_the_column_as_in_the_users_file():
    df = frame(2, budget_planned=["abc", "10"])
    df.attrs["source_headers"] = {"budget_planned": "Budget prévu (k€)"}
    (p,) = problems_of(df)
    assert p.column == "Budget prévu (k€)" and p.row == 2


def test_contract_error_lists_every_offending_cell_in_row_order():
    df = frame(3, budget_planned=["x", "0", "10"], amo=["oui", "non", "?"], cost_actual=["-1", "1", "1"])
    with pytest.raises(ContractError) as info:
        validate_portfolio(df, file="data.csv")
    assert [(p.row, p.column) for p in info.value.problems] == [
        (2, "budget_planned"),
        (2, "cost_actual"),
        (3, "budget_planned"),
        (4, "amo"),
    ]
    assert "and 3 more problems" in str(info.value)


# ------------------------------------------------------------------------------- pandera


def test_schema_is_pandera_and_built_from_the_catalogue():
    s = contract.portfolio_schema()
    assert isinstance(s, pa.DataFrameSchema)
    assert set(columns.INPUT_COLUMNS) <= set(s.columns)
    assert s.columns["project_id"].unique and not s.columns["amo"].nullable


def test_bound_change_in_catalogue_changes_validation(monkeypatch):
    df = frame(2, complexity=["5", "4"])
    validate_portfolio(df, file="data.csv")
    changed = tuple(dataclasses.replace(c, max_value=4) if c.name == "complexity" else c for c in columns.COLUMNS)
    monkeypatch.setattr(columns, "COLUMNS", changed)
    (p,) = problems_of(df)
    assert (p.row, p.column, p.rule) == (2, "complexity", "must be between 1 and 4")


# ------------------------------------------------------------------------------- drop_invalid


def test_drop_invalid_excludes_rows_and_keeps_problems():
    df = frame(4, budget_planned=["x", "10", "0", "10"])
    r = validate_portfolio(df, file="data.csv", drop_invalid=True)
    assert r.excluded_rows == [2, 4]
    assert list(r.data.index) == [3, 5]
    assert cells(r.problems) == {(2, "budget_planned"), (4, "budget_planned")}
    assert any("excluded" in n for n in r.notes)


def test_drop_invalid_with_nothing_left_is_an_input_error():
    with pytest.raises(InputError, match="no row left"):
        validate_portfolio(frame(2, amo=["", "?"]), file="data.csv", drop_invalid=True)


def test_single_practice_value_is_not_an_error():
    r = validate_portfolio(frame(3, amo=["oui"] * 3), file="data.csv")
    assert r.data["amo"].all()


# ------------------------------------------------------------------------------- derived metrics


def test_derived_metrics_hand_computed():
    df = frame(
        3,
        budget_planned=["100", "200", "50"],
        cost_actual=["150", "0", ""],
        duration_planned_days=["100", "40", "10"],
        duration_actual_days=["80", "60", "0"],
    )
    d = validate_portfolio(df, file="data.csv").data
    assert d["budget_drift"].iloc[0] == pytest.approx(0.5)
    assert d["budget_drift"].iloc[1] == pytest.approx(-1.0)
    assert math.isnan(d["budget_drift"].iloc[2])
    assert d["schedule_slip"].tolist() == pytest.approx([-0.2, 0.5, -1.0])
    assert d["log_cost_ratio"].iloc[0] == pytest.approx(math.log(1.5))
    assert math.isnan(d["log_cost_ratio"].iloc[1]) and math.isnan(d["log_cost_ratio"].iloc[2])
    assert d["log_duration_ratio"].iloc[1] == pytest.approx(math.log(1.5))
    assert math.isnan(d["log_duration_ratio"].iloc[2])


@pytest.mark.parametrize(
    "cost, duration, status, expected",
    [
        ("110", "100", "", "successful"),  # drift exactly +10 %
        ("90", "110", "", "successful"),  # under-run, slip exactly +10 %
        ("110.01", "100", "", "challenged"),
        ("150", "100", "", "challenged"),  # drift exactly +50 %
        ("150.01", "100", "", "failed"),
        ("100", "151", "", "failed"),
        ("100", "100", "annulé", "failed"),
        ("", "", "cancelled", "failed"),
        ("100", "100", "en cours", None),
        ("", "100", "", None),
        ("300", "", "", "failed"),  # drift alone is enough to fail
    ],
)
def test_outcome_class_at_thresholds(cost, duration, status, expected):
    df = frame(
        1,
        budget_planned=["100"],
        cost_actual=[cost],
        duration_planned_days=["100"],
        duration_actual_days=[duration],
        status=[status],
    )
    got = validate_portfolio(df, file="data.csv").data["outcome_class"].iloc[0]
    assert pd.isna(got) if expected is None else got == expected


def test_outcome_tolerances_are_parameters():
    df = frame(
        1, budget_planned=["100"], cost_actual=["120"], duration_planned_days=["100"], duration_actual_days=["100"]
    )
    assert validate_portfolio(df, file="data.csv").data["outcome_class"].iloc[0] == "challenged"
    loose = OutcomeTolerances(on_target=0.25, failure=0.6)
    assert validate_portfolio(df, file="data.csv", tolerances=loose).data["outcome_class"].iloc[0] == "successful"
    strict = OutcomeTolerances(on_target=0.05, failure=0.15)
    assert metrics.derive_metrics(validate_portfolio(df, file="d").data, strict)["outcome_class"].iloc[0] == "failed"


def test_extreme_drift_kept_and_flagged():
    df = frame(2, budget_planned=["100", "100"], cost_actual=["1200", "1000"])
    r = validate_portfolio(df, file="data.csv")
    assert r.data["extreme_outlier"].tolist() == [True, False]
    assert len(r.data) == 2
    assert any("extreme_outlier" in n and "line 2" in n for n in r.notes)


# ------------------------------------------------------------------------------- typed input, extras, attrs


def test_typed_excel_like_input():
    df = pd.DataFrame(
        {
            "project_id": ["A-1", "A-2"],
            "amo": [True, False],
            "budget_planned": [1000, 2000.5],
            "cost_actual": [1100.0, np.nan],
            "start_date": [pd.Timestamp("2024-01-01"), dt.datetime(2024, 2, 1)],
            "golive_planned": [pd.Timestamp("2024-04-10"), pd.NaT],
            "golive_actual": [pd.Timestamp("2024-05-01"), None],
            "adoption_m3": [0.8, None],
            "complexity": [3, np.nan],
            "framing_q01": [True, None],
            "status": ["completed", "ongoing"],
        },
        index=[5, 6],
    )
    r = validate_portfolio(df, file="data.xlsx", row_label="row")
    d = r.data
    assert d["duration_planned_days"].iloc[0] == 100.0 and pd.isna(d["duration_planned_days"].iloc[1])
    assert d["budget_planned"].tolist() == [1000.0, 2000.5]
    assert d["complexity"].iloc[0] == 3 and pd.isna(d["complexity"].iloc[1])
    assert d["framing_q01"].tolist() == [True, False]
    assert d["outcome_class"].iloc[0] == "challenged" and pd.isna(d["outcome_class"].iloc[1])
    bad = df.assign(budget_planned=[-1, 5])
    (p,) = problems_of(bad, row_label="row")
    assert (p.row, p.column, p.value, p.row_label) == (5, "budget_planned", -1, "row")
    assert "row 5" in p.sentence()


def test_extra_columns_kept_numeric_when_they_parse():
    df = frame(2, **{"Effort (h)": ["1 200,5", ""], "Comment": ["ok", "12"]})
    d = validate_portfolio(df, file="data.csv", decimal=",", thousands=" ").data
    assert d["Effort (h)"].iloc[0] == 1200.5 and d["Effort (h)"].dtype == "float64"
    assert d["Comment"].tolist() == ["ok", "12"]


def test_attrs_are_kept():
    df = frame(2)
    df.attrs.update(cost_unit="hours", practice_name="PMO")
    r = validate_portfolio(df, file="data.csv")
    assert r.data.attrs["cost_unit"] == "hours" and r.data.attrs["practice_name"] == "PMO"


def test_coerce_types_returns_problems_instead_of_raising():
    typed, problems, notes = contract.coerce_types(frame(2, budget_planned=["x", "3"]), file="f.csv")
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "budget_planned", "x")]
    assert pd.isna(typed["budget_planned"].iloc[0]) and typed["budget_planned"].iloc[1] == 3.0


# ------------------------------------------------------------------------------- data dictionary


def test_data_dictionary_file_is_in_sync():
    text = dictionary.data_dictionary_markdown()
    committed = (paths.DATA_DIR / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    assert committed == text, "run: python -m amo_analysis.ingest.dictionary"


def test_data_dictionary_lists_every_column_with_its_rule():
    text = dictionary.data_dictionary_markdown()
    for col in columns.COLUMNS:
        assert f"| `{col.name}` |" in text
        if col.header_fr:
            assert col.header_fr in text
    for section in (
        "## Required columns",
        "## Optional columns",
        "## Derived columns",
        "## Missing values",
        "## Booleans",
        "## Dates",
        "## Percentages",
        "## Outcome class",
        "--drop-invalid",
    ):
        assert section in text
    assert "must be between 1 and 5" in text


def test_derived_columns_in_the_file_are_ignored_and_recomputed():
    df = frame(2, budget_drift=["n/a", "huge"], outcome_class=["great", "bad"])
    r = validate_portfolio(df, file="data.csv")
    assert r.data["budget_drift"].tolist() == pytest.approx([0.1, 0.1])
    assert r.data["outcome_class"].tolist() == ["successful", "successful"]
    assert any("budget_drift, outcome_class in the file ignored" in n for n in r.notes)


def test_empty_table_is_an_input_error():
    with pytest.raises(InputError, match="no data rows"):
        validate_portfolio(frame(0), file="data.csv")


def test_nullable_extension_dtypes_from_parquet():
    df = frame(
        3,
        amo=pd.array([True, False, None], dtype="boolean"),
        budget_planned=pd.array([100, 200, 300], dtype="Int64"),
        complexity=pd.array([1, None, 5], dtype="Int64"),
    )
    (p,) = problems_of(df)
    assert (p.row, p.column) == (4, "amo")
    df["amo"] = pd.array([True, False, True], dtype="boolean")
    d = validate_portfolio(df, file="data.parquet").data
    assert d["budget_planned"].tolist() == [100.0, 200.0, 300.0]
    assert d["complexity"].isna().tolist() == [False, True, False]


# ------------------------------------------------------------------------------- text columns read by value

_AWKWARD_CELLS = {
    "project_id": ["P1", " P2 ", "NA", "P-000004", "p5", "P1", "", "P\u00a08", "ÄÖÜ-9", "İİİİİ10", "  ", "P12"],
    "amo": ["oui", " Non ", "x", "", "peut-être", "1", "0,0", "VRAI", "✓", "n/a", "Flex", "seq"],
    "budget_planned": ["1000", "-5", "+5", "1\u00a0234,5", "1.234,5", "12 k€", "€12", "12,", "٣٤", "1e3", None, "—"],
    "cost_actual": ["1100", "1100,25", "1,100.25", " 9 ", "\u22127", "1 000", "12%", "", "NaN", "1,5", "3.5", "x"],
    "complexity": ["1", "2,0", "2,5", "5", " 3 ", "0", "3.0", "", "4", "9", "-1", "2"],
    "adoption_m3": ["0,5", "50 %", "", "0,25", "1", "0,75", "0,1", "0", "1,5", "0,9", "0,3", "0,2"],
    "start_date": [
        "31/12/2024",
        "2024-01-05",
        "12/31/2024",
        None,
        "30/02/2024",
        "1.2.2023",
        "n/a",
        "2024-13-01",
        " 03/04/2024 ",
        "05-06-2024",
        "hier",
        "2023/07/08",
    ],
    "status": [
        "terminé",
        "En cours",
        "ANNULÉ",
        "",
        "unknown",
        "completed",
        " clos ",
        "open",
        "done",
        "NA",
        "terminé",
        "en_cours",
    ],
    "organisation": [
        "Hôpital Nord",
        "  spaced  ",
        "NA",
        "none",
        "abcd",
        "abcde",
        "\u3000lead",
        "trail\u00a0",
        None,
        "İİİİİ",
        "x\ny",
        "Mutuelle",
    ],
    "Extra": ["12,5", "3", "", "-1", "1\u00a0000,5", "NA", "7", "8", "9", "10", "11", "12"],
}


@pytest.mark.parametrize("decimal, thousands", [(",", "\u00a0"), (".", ","), (",", "."), (None, None)])
def test_text_columns_read_by_value_match_cell_by_cell_reading(decimal, thousands):
    """A text column (str dtype, as read from CSV) is read vectorised and per distinct value; the same
    cells held as Python objects are read one by one: frames, problems and notes must be identical."""
    as_text = pd.DataFrame(_AWKWARD_CELLS, index=range(2, 14))
    as_text.attrs["bool_vocabulary"] = {"amo": (("Flex",), ("Seq",))}
    as_objects = as_text.astype(object)
    as_objects.attrs = dict(as_text.attrs)
    assert all(isinstance(as_text[c].dtype, pd.StringDtype) for c in as_text)
    fast = contract.coerce_types(as_text, file="f.csv", decimal=decimal, thousands=thousands)
    slow = contract.coerce_types(as_objects, file="f.csv", decimal=decimal, thousands=thousands)
    extra_text = not pd.api.types.is_float_dtype(fast[0]["Extra"])
    pd.testing.assert_frame_equal(fast[0].drop(columns="Extra"), slow[0].drop(columns="Extra"), check_exact=True)
    # an extra column left as text keeps its own dtype (str or object)
    pd.testing.assert_series_equal(fast[0]["Extra"], slow[0]["Extra"], check_exact=True, check_dtype=not extra_text)
    assert fast[1] == slow[1] and fast[2] == slow[2]
    assert fast[1]  # the cells above do break rules


def test_text_columns_without_problems_read_by_value_match_cell_by_cell_reading():
    n = 3000
    df = pd.DataFrame(
        {
            "project_id": [f"PRJ-{i:06d}" for i in range(n)],
            "amo": [("oui", "non", " Oui")[i % 3] for i in range(n)],
            "budget_planned": [str(1000 + i * 7) for i in range(n)],
            "cost_actual": [f"{1000 + i},{i % 100:02d}" for i in range(n)],
            "complexity": [str(1 + i % 5) for i in range(n)],
            "adoption_m3": [f"0,{i % 10}" for i in range(n)],
            "start_date": [f"{1 + i % 28:02d}/{1 + i % 12:02d}/20{10 + i % 15}" for i in range(n)],
            "framing_q01": [("oui", "", "non")[i % 3] for i in range(n)],
            "status": [("terminé", "en cours", "annulé")[i % 3] for i in range(n)],
        },
        index=range(2, n + 2),
    )
    fast = contract.coerce_types(df, file="f.csv", decimal=",", thousands=None)
    slow = contract.coerce_types(df.astype(object), file="f.csv", decimal=",", thousands=None)
    pd.testing.assert_frame_equal(fast[0], slow[0], check_exact=True)
    assert fast[1] == slow[1] == [] and fast[2] == slow[2]


def test_a_typed_column_is_read_once_per_distinct_value_as_python_scalars():
    from amo_analysis.ingest.cells import by_value as _by_value

    seen = []

    def read(value):
        seen.append(value)
        if value is not pd.NA and value == 3:
            raise ValueError("three")
        return value

    column = pd.Series([1, 3, 1, None, 2, None, 3], dtype="Int64")
    codes, outcomes = _by_value(column, read, (ValueError,))
    assert len(seen) == 4 and {type(v) for v in seen if v is not pd.NA} == {int}
    per_cell = [outcomes[c] for c in codes]
    assert [ok for ok, _ in per_cell] == [True, False, True, True, True, True, False]
    assert [repr(v) for ok, v in per_cell if ok] == ["1", "1", "<NA>", "2", "<NA>"]
    floats = pd.Series([0.5, float("nan"), 0.5])
    codes, outcomes = _by_value(floats, lambda v: v * 2)
    assert [outcomes[c][1] for c in codes][::2] == [1.0, 1.0] and math.isnan(outcomes[codes[1]][1])
    mixed = pd.Series([1, "1", 1.0], dtype=object)  # read cell by cell: equal values, other types
    _, outcomes = _by_value(mixed, lambda v: type(v).__name__)
    assert [r for _, r in outcomes] == ["int", "str", "float"]


# ------------------------------------------------------------------------------- real exports (#16)


def test_a_portfolio_without_a_practice_column_is_valid_with_amo_blank():
    result = validate_portfolio(frame(3, amo=None), file="data.csv")
    assert result.has_practice is False and result.problems == []
    assert str(result.data["amo"].dtype) == "boolean" and result.data["amo"].isna().all()
    assert "amo" not in result.missing  # not a missing value: there is no practice at all
    note = next(n for n in result.notes if n.startswith("no practice column"))
    assert "colonne de pratique" in note.in_language("fr")
    assert validate_portfolio(frame(3), file="data.csv").has_practice is True
    with pytest.raises(ContractError):  # with a practice column, a blank practice is still a problem
        validate_portfolio(frame(2, amo=["oui", ""]), file="data.csv")


@pytest.mark.parametrize("error", ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!"])
def test_excel_error_cells_are_missing_in_every_column_and_counted(error):
    df = frame(
        3,
        cost_actual=["1100", error, "1200"],
        scope_creep=["oui", error, "non"],
        start_date=["2024-01-01", error, "2024-02-01"],
        sector=["IT", error, "Banque"],
    )
    result = validate_portfolio(df, file="data.csv")
    assert result.problems == []
    d = result.data
    assert pd.isna(d.at[3, "cost_actual"]) and pd.isna(d.at[3, "start_date"]) and pd.isna(d.at[3, "sector"])
    assert d.at[3, "scope_creep"] == False  # noqa: E712  (blank means no in a pitfall column)
    note = next(n for n in result.notes if "Excel error" in n)
    assert note.startswith(f"4 Excel error cell(s) ({error}) read as missing values in 'cost_actual' (1)")
    assert "erreur Excel" in note.in_language("fr")


def test_iso_and_sql_timestamps_are_dates_and_noted():
    df = frame(
        3,
        start_date=["2009-01-01T00:00:00Z", "2020-05-25 00:00:00", "2021-03-04T09:30:00.123+01:00"],
        golive_actual=["2009-06-01T00:00:00Z", "2020-09-25 00:00:00", "2021-08-04T23:30:00-05:00"],
    )
    result = validate_portfolio(df, file="data.csv")
    assert result.problems == []
    assert [f"{d:%Y-%m-%d}" for d in result.data["start_date"]] == ["2009-01-01", "2020-05-25", "2021-03-04"]
    assert [f"{d:%Y-%m-%d}" for d in result.data["golive_actual"]] == ["2009-06-01", "2020-09-25", "2021-08-04"]
    timed = [n for n in result.notes if "read as their calendar date" in n]
    assert len(timed) == 2 and timed[0].startswith("start_date: date and time values (e.g. 2009-01-01T00:00:00Z)")
