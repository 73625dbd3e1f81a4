"""Tests for amo_analysis.ingest.mapping: header recognition, mapping files, yes/no values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from amo_analysis.ingest import columns as cols
from amo_analysis.ingest import cells
from amo_analysis.ingest import mapping as m
from amo_analysis.errors import InputError

INPUT = [c for c in cols.COLUMNS if c.role != "derived"]


def frame(headers, n=3, index=None):
    """A small raw table with the given headers; cell values say which column they came from."""
    data = {h: [f"{h}#{i}" for i in range(n)] for h in headers}
    return pd.DataFrame(data, index=index if index is not None else range(2, 2 + n))


def write(tmp_path, text, name="m.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- normalise_header


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Budget prévu (k€)", "budget prevu k"),
        ("BUDGET PREVU", "budget prevu"),
        ("budget_prevu", "budget prevu"),
        ("  Durée   réelle\t(jours) ", "duree reelle jours"),
        ("Taux d’adoption", "taux d adoption"),
        ("Complexité (1-5)", "complexite 1 5"),
        ("N° projet", "n projet"),
    ],
)
def test_normalise_header(text, expected):
    assert m.normalise_header(text) == expected


def test_header_variants_strip_trailing_parentheses_one_by_one():
    assert m.header_variants("Budget (k€) (HT)") == ["budget k ht", "budget k", "budget"]
    assert m.header_variants("(%)") == []


# --------------------------------------------------------------------------- built-in vocabulary


def test_vocabulary_has_no_form_claimed_by_two_columns():
    assert m._INDEX_CLASHES == []


@pytest.mark.parametrize("column", INPUT, ids=lambda c: c.name)
def test_every_canonical_header_and_synonym_is_recognised_as_its_column(column):
    for text in (column.name, column.header_en, column.header_fr, *column.synonyms):
        if text:
            assert m.recognise_header(text)[0] == column.name, text


def test_derived_columns_are_not_recognised():
    for name in cols.DERIVED:
        assert m.recognise_header(name) == (None, "")


def test_french_headers_with_accents_and_units():
    headers = [
        "Identifiant projet",
        "AMO (oui/non)",
        "Budget prévu (k€)",
        "Coût réel (€)",
        "Durée prévue (jours)",
        "DUREE REELLE (JOURS)",
        "Adoption à M+3 (%)",
        "Complexité (1-5)",
        "Taux d'adoption (%)",
        "Coût AMO [€]",
        "Date de début",
        "Q01 Objectif métier avec indicateur",
        "Dérive du périmètre",
    ]
    df, report = m.apply_mapping(frame(headers[:8] + headers[9:]), None, "data.csv")
    assert list(df.columns) == [
        "project_id",
        "amo",
        "budget_planned",
        "cost_actual",
        "duration_planned_days",
        "duration_actual_days",
        "adoption_m3",
        "complexity",
        "amo_cost",
        "start_date",
        "framing_q01",
        "scope_creep",
    ]
    assert report.recognised["Budget prévu (k€)"] == "budget_planned"
    assert report.unrecognised == []
    assert "'Budget prévu (k€)' recognised as budget_planned ('(k€)' ignored)" in report.notes
    # Exact synonyms are listed in `recognised` only; notes are kept for looser matches.
    assert report.recognised["AMO (oui/non)"] == "amo"
    assert not any(n.startswith("'AMO (oui/non)'") for n in report.notes)
    # The alternative adoption header is recognised on its own too.
    assert m.recognise_header("Taux d'adoption (%)")[0] == "adoption_m3"


def test_english_headers_and_synonyms():
    headers = [
        "Project ID",
        "With AMO",
        "Baseline budget",
        "Final cost",
        "Planned duration (days)",
        "Actual duration (days)",
        "Go-live date",
        "Industry",
        "Headcount",
        "State",
        "Q7",
    ]
    df, report = m.apply_mapping(frame(headers), None, "data.csv")
    assert list(df.columns) == [
        "project_id",
        "amo",
        "budget_planned",
        "cost_actual",
        "duration_planned_days",
        "duration_actual_days",
        "golive_actual",
        "sector",
        "team_size",
        "status",
        "framing_q07",
    ]
    assert report.recognised == dict(zip(headers, df.columns))


def test_trailing_unit_word_without_parentheses():
    assert m.recognise_header("Budget prévu EUR") == ("budget_planned", "unit word 'eur' ignored")
    assert m.recognise_header("Coût réel k€")[0] == "cost_actual"
    assert m.recognise_header("Budget planned colour")[0] is None


def test_unrecognised_columns_are_kept_as_they_are_with_their_values():
    raw = frame(["Project ID", "Nom du projet", "Weather"])
    df, report = m.apply_mapping(raw, None, "data.csv")
    assert list(df.columns) == ["project_id", "Nom du projet", "Weather"]
    assert report.unrecognised == ["Nom du projet", "Weather"]
    assert df["Weather"].tolist() == raw["Weather"].tolist()


def test_values_index_and_order_untouched():
    raw = pd.DataFrame({"Budget": ["1 234,5", "12"], "AMO": ["Oui", "x"], "Extra": [1, 2]}, index=[7, 12])
    df, _ = m.apply_mapping(raw, None, "data.csv")
    assert list(df.index) == [7, 12]
    assert df["budget_planned"].tolist() == ["1 234,5", "12"]
    assert df["amo"].tolist() == ["Oui", "x"]
    assert list(raw.columns) == ["Budget", "AMO", "Extra"]  # the input is not modified


def test_non_text_headers_become_text():
    raw = pd.DataFrame({0: [1], "Budget": [2]})
    df, report = m.apply_mapping(raw, None, "data.xlsx")
    assert list(df.columns) == ["0", "budget_planned"]
    assert report.unrecognised == ["0"]


# --------------------------------------------------------------------------- conflicts


def test_two_columns_recognised_as_the_same_name_is_an_error_naming_both():
    with pytest.raises(InputError) as err:
        m.apply_mapping(frame(["Budget", "Budget prévu (k€)"]), None, "data.csv")
    message = str(err.value)
    assert "data.csv" in message and "'Budget'" in message and "'Budget prévu (k€)'" in message
    assert "budget_planned" in message


def test_duplicated_headers_are_an_error():
    raw = pd.DataFrame([[1, 2]], columns=["Budget", "Budget"])
    with pytest.raises(InputError, match="more than one column headed 'Budget'"):
        m.apply_mapping(raw, None, "data.csv")


def test_mapping_wins_over_vocabulary_and_the_other_column_is_kept(tmp_path):
    path = write(tmp_path, 'practice = { column = "Model", name = "PMO" }\n')
    raw = frame(["ID", "Model", "Practice"])
    df, report = m.apply_mapping(raw, m.load_mapping(path), "data.csv")
    assert list(df.columns) == ["project_id", "amo", "Practice"]
    assert df["amo"].tolist() == raw["Model"].tolist()
    assert report.unrecognised == ["Practice"]
    assert any("'Practice' looks like amo" in n and "kept as an extra column" in n for n in report.notes)


def test_kept_column_clashing_with_a_canonical_name_is_an_error():
    mapping = m.Mapping(renames={"Cost A": "budget_planned"})
    with pytest.raises(InputError, match="'budget_planned' would clash with column 'Cost A'"):
        m.apply_mapping(frame(["Cost A", "budget_planned"]), mapping, "data.csv")


def test_two_explicit_renames_to_the_same_target(tmp_path):
    path = write(tmp_path, '[columns]\n"A" = "budget_planned"\n"B" = "budget_planned"\n')
    with pytest.raises(InputError) as err:
        m.apply_mapping(frame(["A", "B"]), m.load_mapping(path), "data.csv")
    assert "'A'" in str(err.value) and "'B'" in str(err.value) and str(path) in str(err.value)


def test_practice_column_and_columns_table_both_naming_amo(tmp_path):
    path = write(tmp_path, 'practice = { column = "Model" }\n[columns]\n"Flag" = "amo"\n')
    with pytest.raises(InputError, match="both 'Model' \\(practice\\) and 'Flag'"):
        m.load_mapping(path)


# --------------------------------------------------------------------------- mapping files

README_EXAMPLE = """\
practice = { column = "Model", name = "Flexible development", yes = ["Flex"], no = ["Seq"] }
cost_unit = "hours"
date_format = "%d/%m/%Y"     # optional
ignore = ["Comments"]
[columns]                     # source header = canonical name
"Estimate_hrs" = "budget_planned"
"Actual_hrs" = "cost_actual"
"Estimate_days" = "duration_planned_days"
"Actual_days" = "duration_actual_days"
"ID" = "project_id"
"""


def test_load_mapping_reads_the_documented_example(tmp_path):
    mapping = m.load_mapping(write(tmp_path, README_EXAMPLE))
    assert mapping.renames == {
        "Estimate_hrs": "budget_planned",
        "Actual_hrs": "cost_actual",
        "Estimate_days": "duration_planned_days",
        "Actual_days": "duration_actual_days",
        "ID": "project_id",
    }
    assert mapping.practice_column == "Model"
    assert mapping.practice_name == "Flexible development"
    assert mapping.practice_yes == ("Flex",) and mapping.practice_no == ("Seq",)
    assert mapping.cost_unit == "hours"
    assert mapping.date_format == "%d/%m/%Y"
    assert mapping.ignore == ("Comments",)
    assert mapping.blank_means_no == cols.FRAMING_COLUMNS + cols.PITFALL_COLUMNS
    assert mapping.source_file == str(tmp_path / "m.toml")


def test_module_docstring_example_is_a_valid_mapping_file(tmp_path):
    doc = m.__doc__
    start = doc.index("    # The practice being evaluated")
    block = doc[start : doc.index("A source header in the file")]
    text = "\n".join(line[4:] for line in block.splitlines())
    mapping = m.load_mapping(write(tmp_path, text))
    assert mapping.blank_means_no == ("framing_q01", "scope_creep")
    assert mapping.renames["ID"] == "project_id"


def test_apply_mapping_with_user_file_renames_practice_and_attrs(tmp_path):
    mapping = m.load_mapping(write(tmp_path, README_EXAMPLE))
    raw = pd.DataFrame(
        {
            "ID": ["a", "b", "c"],
            "Model": ["Flex", "Seq", "flex "],
            "Estimate_hrs": [10, 20, 30],
            "Actual_hrs": [11, 25, 29],
            "Estimate_days": [5, 6, 7],
            "Actual_days": [5, 9, 7],
            "Comments": ["late", "", "ok"],
            "Team": ["Alpha", "Beta", "Gamma"],
        },
        index=[2, 3, 4],
    )
    df, report = m.apply_mapping(raw, mapping, "data.csv")
    assert list(df.columns) == [
        "project_id",
        "amo",
        "budget_planned",
        "cost_actual",
        "duration_planned_days",
        "duration_actual_days",
        "team_size",
    ]
    assert df["amo"].tolist() == ["Flex", "Seq", "flex "]  # values untouched
    assert list(df.index) == [2, 3, 4]
    assert df.attrs["bool_vocabulary"] == {"amo": (("Flex",), ("Seq",))}
    assert df.attrs["cost_unit"] == "hours"
    assert df.attrs["practice_name"] == "Flexible development"
    assert df.attrs["date_format"] == "%d/%m/%Y"
    assert df.attrs["blank_means_no"] == cols.FRAMING_COLUMNS + cols.PITFALL_COLUMNS
    assert df.attrs["source_headers"]["budget_planned"] == "Estimate_hrs"
    assert df.attrs["source_headers"]["team_size"] == "Team"
    assert report.recognised["Model"] == "amo"
    assert "Comments" not in report.recognised and "Comments" not in report.unrecognised
    assert any("'Flex' / 'Seq' in 'Model' read as practice yes / no" in n for n in report.notes)
    assert any("ignored" in n and "'Comments'" in n for n in report.notes)
    # The vocabulary carried in attrs is what parse_bool_value needs.
    yes, no = df.attrs["bool_vocabulary"]["amo"]
    assert [cells.parse_bool_value(v, yes, no) for v in df["amo"]] == [True, False, True]


def test_default_attrs_without_mapping():
    df, _ = m.apply_mapping(frame(["Project ID"]), None, "data.csv")
    assert df.attrs["bool_vocabulary"] == {"amo": ((), ())}
    assert df.attrs["cost_unit"] == "EUR"
    assert df.attrs["practice_name"] == "AMO"
    assert df.attrs["date_format"] is None
    assert df.attrs["blank_means_no"] == cols.FRAMING_COLUMNS + cols.PITFALL_COLUMNS


def test_mapping_source_header_matched_after_normalisation(tmp_path):
    path = write(tmp_path, '[columns]\n"estimate hrs" = "budget_planned"\n')
    df, _ = m.apply_mapping(frame(["Estimate_HRS"]), m.load_mapping(path), "data.csv")
    assert list(df.columns) == ["budget_planned"]


def test_mapping_naming_a_missing_column(tmp_path):
    path = write(tmp_path, '[columns]\n"Budget" = "budget_planned"\n')
    with pytest.raises(InputError) as err:
        m.apply_mapping(frame(["Cost", "Start"]), m.load_mapping(path), "data.csv")
    assert str(err.value) == (
        f"mapping file {path} names column 'Budget' but data.csv has no such column; its columns are: 'Cost', 'Start'"
    )


def test_missing_practice_column_and_missing_ignored_column(tmp_path):
    path = write(tmp_path, 'practice = { column = "Model" }\n')
    with pytest.raises(InputError, match="names practice column 'Model' but data.csv has no such column"):
        m.apply_mapping(frame(["ID"]), m.load_mapping(path), "data.csv")
    path = write(tmp_path, 'ignore = ["Comments"]\n', "i.toml")
    with pytest.raises(InputError, match="names column 'Comments' but data.csv"):
        m.apply_mapping(frame(["ID"]), m.load_mapping(path), "data.csv")


def test_unknown_canonical_target_lists_valid_names(tmp_path):
    path = write(tmp_path, '[columns]\n"Estimate" = "budget_plan"\n')
    with pytest.raises(InputError) as err:
        m.load_mapping(path)
    message = str(err.value)
    assert str(path) in message and "'Estimate'" in message and "'budget_plan'" in message
    assert "did you mean 'budget_planned'" in message
    for name in cols.INPUT_COLUMNS:
        assert name in message
    # Derived columns are computed, never mapped.
    path = write(tmp_path, '[columns]\n"Drift" = "budget_drift"\n', "d.toml")
    with pytest.raises(InputError, match="not a canonical column"):
        m.load_mapping(path)


def test_unknown_target_given_in_code_is_caught_when_applied():
    with pytest.raises(InputError, match="not a canonical column"):
        m.apply_mapping(frame(["A"]), m.Mapping(renames={"A": "nope"}), "data.csv")


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, 'cost_unit = "hours"\n[columns]\n"Budget" = budget_planned\n')
    with pytest.raises(InputError) as err:
        m.load_mapping(path)
    message = str(err.value)
    assert message.startswith(f"mapping file {path}, line 3: TOML syntax error")
    assert "(at line" not in message


def test_missing_file_and_non_utf8_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        m.load_mapping(tmp_path / "nope.toml")
    path = tmp_path / "latin.toml"  # Notepad's "ANSI" on a French Windows: read as cp1252
    path.write_bytes('cost_unit = "€"\n'.encode("cp1252"))
    assert m.load_mapping(path).cost_unit == "€"
    path.write_bytes(b'cost_unit = "\x81\xff"\n')  # 0x81 is neither UTF-8 here nor a cp1252 character
    with pytest.raises(InputError, match="neither UTF-8 nor Windows-1252"):
        m.load_mapping(path)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('cost-unit = "hours"\n', "unknown setting 'cost-unit'"),
        ('practice = { column = "M", label = "x" }\n', "unknown key 'label' in 'practice'"),
        ('practice = { column = "M", yes = ["A"], no = ["a"] }\n', "listed both as yes and as no"),
        ('practice = { column = "M", yes = [1] }\n', "'practice.yes' must be a text or a list of texts"),
        ('cost_unit = ""\n', "'cost_unit' must be a non-empty text"),
        ('date_format = "dd/mm/yyyy"\n', "'date_format' must be a strftime format"),
        ('blank_means_no = ["budget_planned"]\n', "'blank_means_no' names 'budget_planned'"),
        ('ignore = ["A"]\n[columns]\n"A" = "sector"\n', "'A' is both ignored and mapped"),
        ("columns = 3\n", "'columns' must be a table"),
    ],
)
def test_invalid_settings_are_input_errors(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        m.load_mapping(path)
    assert fragment in str(err.value)
    assert str(path) in str(err.value)


def test_blank_means_no_can_be_overridden_and_emptied(tmp_path):
    mapping = m.load_mapping(write(tmp_path, 'blank_means_no = ["no_sponsor"]\n'))
    df, _ = m.apply_mapping(frame(["ID"]), mapping, "data.csv")
    assert df.attrs["blank_means_no"] == ("no_sponsor",)
    assert m.load_mapping(write(tmp_path, "blank_means_no = []\n", "e.toml")).blank_means_no == ()


def test_practice_as_plain_column_name(tmp_path):
    mapping = m.load_mapping(write(tmp_path, 'practice = "Agile"\n'))
    df, _ = m.apply_mapping(frame(["Agile"]), mapping, "data.csv")
    assert list(df.columns) == ["amo"] and df.attrs["practice_name"] == "AMO"


# --------------------------------------------------------------------------- parse_bool_value


@pytest.mark.parametrize(
    "value, expected",
    [
        ("oui", True),
        ("Oui", True),
        ("OUI ", True),
        ("non", False),
        ("NON", False),
        ("O", True),
        ("N", False),
        ("x", True),
        ("X", True),
        ("", None),
        ("   ", None),
        ("vrai", True),
        ("Faux", False),
        ("1", True),
        ("0", False),
        ("1.0", True),
        ("0,0", False),
        ("true", True),
        ("False", False),
        ("yes", True),
        ("No", False),
        ("avec", True),
        ("sans", False),
        ("n/a", None),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        (np.nan, None),
        (True, True),
        (False, False),
        (np.bool_(True), True),
        (1, True),
        (0, False),
        (1.0, True),
        (np.int64(0), False),
    ],
)
def test_parse_bool_value(value, expected):
    assert cells.parse_bool_value(value) is expected


@pytest.mark.parametrize("value", ["peut-être", "maybe", "2", 2, 0.5, "oui/non"])
def test_parse_bool_value_unknown_raises(value):
    with pytest.raises(ValueError, match="yes/no"):
        cells.parse_bool_value(value)


def test_parse_bool_value_extra_vocabulary_is_normalised_and_wins():
    assert cells.parse_bool_value(" FLEX", yes=("Flex",), no=("Seq",)) is True
    assert cells.parse_bool_value("séq", yes=("Flex",), no=("Seq",)) is False
    with pytest.raises(ValueError, match="flex"):
        cells.parse_bool_value("agile", yes=("Flex",), no=("Seq",))
    # An extra value may reuse a built-in word with the opposite meaning.
    assert cells.parse_bool_value("N", yes=("N",)) is True


def test_yes_and_no_vocabularies_are_disjoint_and_normalised():
    assert not (cells.YES_VALUES & cells.NO_VALUES)
    assert "" not in cells.NO_VALUES and "" not in cells.YES_VALUES
    assert all(cells.normalise_value(v) == v for v in cells.YES_VALUES | cells.NO_VALUES)
    assert {"oui", "o", "yes", "y", "vrai", "true", "1", "x", "avec", "with"} <= cells.YES_VALUES
    assert {"non", "n", "no", "faux", "false", "0", "sans", "without"} <= cells.NO_VALUES


# --------------------------------------------------------------------------- keys made of several columns


@pytest.mark.parametrize(
    "text",
    [
        'project_id = ["Unique Investment Identifier", "Project ID"]\n',
        '[columns]\nproject_id = ["Unique Investment Identifier", "Project ID"]\n',
    ],
)
def test_a_project_key_made_of_two_columns(tmp_path, text):
    mapping = m.load_mapping(write(tmp_path, text))
    assert mapping.composites == {"project_id": ("Unique Investment Identifier", "Project ID")}
    raw = pd.DataFrame(
        {
            "Unique Investment Identifier": ["021-000001", "021-000001", None, "023-9"],
            "Project ID": [1234, 1235.0, None, None],
            "Agency Name": ["A", "B", "C", "D"],
        },
        index=[2, 3, 4, 5],
    )
    df, report = m.apply_mapping(raw, mapping, "itd.csv")
    assert df["project_id"].tolist() == ["021-000001/1234", "021-000001/1235", None, "023-9/"]
    assert "Unique Investment Identifier" not in df and "Project ID" not in df  # consumed
    assert report.recognised["Unique Investment Identifier + Project ID"] == "project_id"
    assert df.attrs["source_headers"]["project_id"] == "Unique Investment Identifier + Project ID"
    note = next(n for n in report.notes if n.startswith("project_id made by joining"))
    assert "'Unique Investment Identifier', 'Project ID'" in note and "'/'" in note
    assert "joignant" in note.in_language("fr")


@pytest.mark.parametrize(
    "text, message",
    [
        ('project_id = ["A"]\n', "two or more different columns"),
        ('project_id = ["A", "A"]\n', "two or more different columns"),
        ('[columns]\nbudget_planned = ["A", "B"]\n', "only these columns can be joined"),
        ('project_id = ["A", "B"]\n[columns]\n"C" = "project_id"\n', "both mapped from one column and joined"),
    ],
)
def test_a_key_of_several_columns_must_be_sound(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        m.load_mapping(write(tmp_path, text))


def test_a_missing_part_of_a_composite_key_is_named(tmp_path):
    mapping = m.load_mapping(write(tmp_path, 'project_id = ["Investment", "Project"]\n'))
    with pytest.raises(InputError, match="names column 'Project' but itd.csv has no such column"):
        m.apply_mapping(pd.DataFrame({"Investment": ["a"]}), mapping, "itd.csv")
