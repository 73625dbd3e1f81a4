"""amo_analysis.report.parameters: what a notebook parameter accepts, read from its annotation, and
the one sentence when a value does not fit."""

from typing import Optional

import pytest

from amo_analysis.errors import InputError
from amo_analysis.report.parameters import (
    Spec,
    check_columns,
    language_of,
    read_parameters,
    read_value,
    spec_of,
    specs_of,
)


@pytest.mark.parametrize(
    "annotation, expected",
    [
        ("Optional[list[Column]]", Spec("x", "Column", is_list=True, optional=True)),
        ("list[Share]", Spec("x", "Share", is_list=True)),
        ("Optional[Column]", Spec("x", "Column", optional=True)),
        ("Language", Spec("x", "Language")),
        ("str | None", Spec("x", "str", optional=True)),
        ("None | int", Spec("x", "int", optional=True)),
        (int, Spec("x", "int")),  # unquoted builtins reach the namespace evaluated
        (list[float], Spec("x", "float", is_list=True)),
        (int | None, Spec("x", "int", optional=True)),
        (Optional[str], Spec("x", "str", optional=True)),  # noqa: UP045 - typing's own spelling is read too
    ],
)
def test_annotations_are_read_as_specs(annotation, expected):
    assert spec_of("x", annotation) == expected


@pytest.mark.parametrize("annotation", ["dict[str, int]", "Colum", "list[list[int]]", "Optional[Optional[int]]", "1 +"])
def test_an_annotation_of_other_words_is_the_authors_mistake(annotation):
    with pytest.raises(ValueError, match="not one notebook parameters understand"):
        spec_of("x", annotation)


COVARIATES = Spec("covariates", "Column", is_list=True, optional=True)
QUANTILES = Spec("quantiles", "Share", is_list=True)


@pytest.mark.parametrize(
    "given, expected",
    [
        ("['log_budget', 'project_type']", ["log_budget", "project_type"]),  # papermill's -p hands lists as text
        ("log_budget,project_type", ["log_budget", "project_type"]),
        (" log_budget , project_type ", ["log_budget", "project_type"]),
        ("log_budget", ["log_budget"]),
        (["log_budget"], ["log_budget"]),
        (("log_budget", "complexity"), ["log_budget", "complexity"]),
        ([], []),
        ("[]", []),
        (None, None),
        ("None", None),
    ],
)
def test_a_list_is_read_from_its_text(given, expected):
    assert read_value(COVARIATES, given) == expected


@pytest.mark.parametrize(
    "given, expected",
    [("[0.5, 0.9]", [0.5, 0.9]), ("0.5,0.9", [0.5, 0.9]), (0.8, [0.8]), ([0.5, "0.8"], [0.5, 0.8]), ((0.5,), [0.5])],
)
def test_a_list_of_numbers_is_read_from_its_text(given, expected):
    assert read_value(QUANTILES, given) == expected


@pytest.mark.parametrize(
    "spec, given, expected",
    [
        (Spec("seed", "int"), "7", 7),
        (Spec("seed", "int"), 7.0, 7),
        (Spec("budget", "Positive", optional=True), 80000, 80000.0),
        (Spec("budget", "Positive", optional=True), "80000.5", 80000.5),
        (Spec("lang", "Language"), "fr", "fr"),
        (Spec("complexity", "Complexity", optional=True), 5, 5),
        (Spec("framed_threshold", "Questions"), 0, 0),
        (Spec("n_draws", "Count"), 1, 1),
        (Spec("organisation", "str", optional=True), 12, "12"),  # papermill reads -p organisation 12 as a number
        (Spec("flag", "bool"), "False", False),
        (Spec("value", "float", optional=True), -3, -3.0),
    ],
)
def test_scalars_are_read(spec, given, expected):
    read = read_value(spec, given)
    assert read == expected and type(read) is type(expected)


@pytest.mark.parametrize(
    "spec, given, needles",
    [
        (QUANTILES, "[0.5, 1.2]", ["'quantiles'", "each item a number between 0 and 1 (both excluded)", "1.2"]),
        (QUANTILES, "0.5,abc", ["'quantiles'", "a list", "'0.5,abc'"]),
        (QUANTILES, None, ["'quantiles'", "None"]),
        (Spec("seed", "int"), 1.5, ["'seed'", "a whole number", "1.5"]),
        (Spec("seed", "int"), "seven", ["'seed'", "a whole number", "'seven'"]),
        (Spec("seed", "int"), True, ["'seed'", "a whole number"]),
        (Spec("lang", "Language"), "de", ["'lang'", "one of en, fr", "'de'"]),
        (Spec("accepted_risk", "Share"), 80, ["'accepted_risk'", "between 0 and 1", "80"]),
        (Spec("budget", "Positive", optional=True), -1, ["'budget'", "greater than 0", ", or None", "-1"]),
        (Spec("complexity", "Complexity", optional=True), 6, ["'complexity'", "from 1 to 5", "6"]),
        (Spec("framed_threshold", "Questions"), 11, ["'framed_threshold'", "from 0 to 10", "11"]),
        (Spec("n_draws", "Count"), 0, ["'n_draws'", "at least 1", "0"]),
        (Spec("min_org_size", "Count"), float("nan"), ["'min_org_size'", "nan"]),
        (Spec("cluster", "Column", optional=True), ["organisation"], ["'cluster'", "column", "['organisation']"]),
        (Spec("cluster", "Column", optional=True), "  ", ["'cluster'"]),
        (Spec("flag", "bool"), "yes", ["'flag'", "true or false"]),
    ],
)
def test_a_value_that_does_not_fit_is_one_sentence_naming_the_parameter(spec, given, needles):
    with pytest.raises(InputError) as caught:
        read_value(spec, given)
    sentence = str(caught.value)
    assert sentence.startswith("Parameter ") and sentence.endswith(".") and "\n" not in sentence
    for needle in needles:
        assert needle in sentence, (needle, sentence)


def test_the_sentence_is_in_the_runs_language():
    with pytest.raises(InputError, match="Le paramètre « lang » attend l'une des langues en, fr ; il a reçu 'de'."):
        read_value(Spec("lang", "Language"), "de", "fr")
    assert language_of({"lang": "fr"}) == "fr"
    assert language_of({"lang": "de"}) == language_of({}) == "en"


def test_read_parameters_reads_what_is_given_and_leaves_the_rest():
    specs = specs_of({"covariates": "Optional[list[Column]]", "seed": int, "lang": "Language"})
    assert read_parameters({"covariates": "a,b", "seed": "3", "other": 1}, specs) == {
        "covariates": ["a", "b"],
        "seed": 3,
    }


def test_columns_are_checked_against_the_portfolio():
    specs = specs_of({"covariates": "Optional[list[Column]]", "cluster": "Optional[Column]", "lang": "Language"})
    columns = ["amo", "log_budget", "organisation"]
    check_columns({"covariates": ["log_budget"], "cluster": "organisation", "lang": "en"}, specs, columns)
    check_columns({"covariates": None, "cluster": None}, specs, columns)
    with pytest.raises(InputError) as caught:
        check_columns({"covariates": ["log_budget", "nope"]}, specs, columns)
    assert str(caught.value) == (
        "Parameter 'covariates' names 'nope', which is no column of the portfolio; "
        "its columns are: amo, log_budget, organisation."
    )
    with pytest.raises(InputError, match="« cluster » nomme 'org'"):
        check_columns({"cluster": "org"}, specs, columns, "fr")


def test_an_input_error_shows_as_its_sentence_in_a_notebook():
    # IPython (and so papermill's error) shows `_render_traceback_` instead of a traceback
    assert InputError("Parameter 'x' expects a number.")._render_traceback_() == [
        "InputError: Parameter 'x' expects a number."
    ]


def test_a_value_of_a_column_is_checked_against_what_the_column_holds():
    spec = spec_of("project_type", "Optional[ValueOf[project_type]]")
    assert spec == Spec("project_type", "ValueOf", optional=True, column="project_type")
    specs = {"project_type": spec}
    held = {"project_type": ["ERP", "CRM", "ERP"]}
    check_columns({"project_type": "CRM"}, specs, [], column_values=held.get)
    check_columns({"project_type": "Nope"}, specs, [])  # nothing to check against: not checked
    with pytest.raises(InputError) as caught:
        check_columns({"project_type": "erp"}, specs, [], column_values=held.get)
    assert str(caught.value) == (
        "Parameter 'project_type' names 'erp', which the portfolio's column 'project_type' never holds; "
        "its values are: CRM, ERP."
    )
    with pytest.raises(InputError, match="« project_type » nomme 'erp', que la colonne « project_type »"):
        check_columns({"project_type": "erp"}, specs, [], "fr", column_values=held.get)
    with pytest.raises(InputError, match="expects one of the values of the portfolio's column 'project_type', or None"):
        read_value(spec, ["ERP"])
