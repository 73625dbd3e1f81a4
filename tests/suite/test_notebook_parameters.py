"""Every notebook's parameters carry an annotation that says what they accept; a value that does not
fit stops the run with one sentence naming the parameter, whether it comes through `amo-analysis run`
(exit 2 before any notebook runs), plain papermill or JupyterLab (`open_run(name, globals())`)."""

import subprocess
import sys

import pytest

from amo_analysis.errors import InputError
from amo_analysis.paths import SAMPLE_PORTFOLIO
from amo_analysis.report.parameters import KINDS, notebook_specs, read_value
from amo_analysis.ingest.model_columns import available_columns
from amo_analysis.report.run_context import open_run
from amo_analysis.suite import runner
from amo_analysis.suite.parameters import check_parameters, check_values, declared_parameters

NOTEBOOKS = runner.list_notebooks()
DECLARED = [(nb, name) for nb in NOTEBOOKS for name in declared_parameters(nb)]

#: a value each kind refuses
WRONG = {
    "str": {"a": 1},
    "int": "three",
    "float": "abc",
    "bool": "maybe",
    "Column": {"a": 1},
    "Language": "de",
    "Share": 1.5,
    "Positive": 0,
    "Count": 0,
    "Complexity": 6,
    "Questions": 11,
    "ValueOf": {"a": 1},
}


def default_values(nb):
    """The default of each parameter, read from the parameters cell."""
    import ast
    import json

    cell = next(c for c in json.loads(nb.read_text("utf-8"))["cells"] if "parameters" in c["metadata"].get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {n.target.id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.AnnAssign)}


def test_every_notebook_is_checked():
    assert len(NOTEBOOKS) == 8 and len(DECLARED) > 8 * 6


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_says_what_it_accepts_and_its_default_fits(nb):
    specs = notebook_specs(nb)
    assert list(specs) == declared_parameters(nb)  # every parameter annotated
    for name, value in default_values(nb).items():
        assert read_value(specs[name], value) == value, name


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_shows_every_parameter_with_its_type(nb):
    import papermill

    shown = papermill.inspect_notebook(str(nb))
    assert list(shown) == declared_parameters(nb)  # papermill skips a line it cannot read ("X | None")
    for name, spec in notebook_specs(nb).items():
        words = shown[name]["inferred_type_name"]
        assert words != "None" and spec.kind in words, (name, words)


@pytest.mark.parametrize("nb, name", DECLARED, ids=lambda x: getattr(x, "stem", x))
def test_a_wrong_value_of_any_parameter_is_one_sentence_naming_it(nb, name):
    spec = notebook_specs(nb)[name]
    with pytest.raises(InputError) as caught:
        check_parameters({}, {nb.stem: {name: WRONG[spec.kind]}}, NOTEBOOKS)
    sentence = str(caught.value)
    assert sentence.startswith(f"Parameter '{name}' expects ") and "\n" not in sentence


def test_every_kind_has_a_wrong_value():
    assert set(WRONG) == set(KINDS)


def test_lists_given_as_text_pass_the_runners_check():
    # -p quantiles=0.5,0.9 (not a Python literal) and papermill's "['a', 'b']" for every notebook declaring them
    by_stem = check_parameters({"quantiles": "0.5,0.9", "covariates": "['log_budget', 'project_type']"}, {}, NOTEBOOKS)
    assert by_stem == {}
    columns = ["log_budget", "project_type", "amo"]
    check_values({"covariates": "log_budget,project_type"}, {}, NOTEBOOKS, columns=columns)
    with pytest.raises(
        InputError, match="'covariates' names 'nope', which is no column .*: log_budget, project_type, amo"
    ):
        check_values({"covariates": "['log_budget', 'nope']"}, {}, NOTEBOOKS, columns=columns)
    with pytest.raises(InputError, match="Parameter 'cluster' names 'org'"):
        check_values({}, {"02_amo_effects": {"cluster": "org"}}, NOTEBOOKS, columns=columns)


def test_the_runners_check_speaks_the_runs_language():
    with pytest.raises(InputError, match="Le paramètre « accepted_risk » attend un nombre entre 0 et 1"):
        check_parameters({"accepted_risk": 80}, {}, NOTEBOOKS, lang="fr")


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "amo_analysis", *map(str, args)], capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "parameter, sentence",
    [
        ("quantiles=[0.5, 2]", "error: Parameter 'quantiles' expects a list, written ['x', 'y'] or x,y, each item a"),
        ("covariates=log_budget,nope", "error: Parameter 'covariates' names 'nope', which is no column"),
    ],
)
def test_the_command_line_stops_a_bad_parameter_before_any_notebook(tmp_path, parameter, sentence):
    out = tmp_path / "reports"
    result = cli("run", "--data", SAMPLE_PORTFOLIO, "--out", out, "-p", parameter)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(sentence) and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_open_run_checks_the_namespace_and_puts_back_what_it_read():
    namespace = {
        "__annotations__": {
            "data_source": "Optional[str]",
            "lang": "Language",
            "seed": int,
            "covariates": "Optional[list[Column]]",
            "quantiles": "list[Share]",
        },
        "data_source": str(SAMPLE_PORTFOLIO),
        "lang": "fr",
        "seed": "4",
        "covariates": "['log_budget', 'project_type']",
        "quantiles": "0.5,0.8",
    }
    ctx = open_run("02_x", namespace)
    assert namespace["covariates"] == ["log_budget", "project_type"] and namespace["quantiles"] == [0.5, 0.8]
    assert (ctx.lang, ctx.seed, namespace["seed"]) == ("fr", 4, 4)
    assert "log_budget" in available_columns(ctx.data) and "log_budget" not in ctx.data


@pytest.mark.parametrize(
    "given, sentence",
    [
        ({"covariates": "['nope']"}, "Parameter 'covariates' names 'nope', which is no column of the portfolio"),
        ({"seed": "x"}, "Parameter 'seed' expects a whole number; it was given 'x'."),
    ],
)
def test_open_run_stops_at_a_value_that_does_not_fit(given, sentence):
    namespace = {"__annotations__": {"seed": int, "covariates": "Optional[list[Column]]"}, "seed": 0, **given}
    with pytest.raises(InputError) as caught:
        open_run("02_x", namespace)
    assert str(caught.value).startswith(sentence)
    assert namespace["covariates" if "covariates" in given else "seed"] == next(iter(given.values()))


@pytest.mark.parametrize(
    "stem, name, value, sentence",
    [
        ("04_new_project_forecast", "project_type", "Blockchain", "Parameter 'project_type' names 'Blockchain'"),
        ("04_new_project_forecast", "organisation", "Nowhere", "Parameter 'organisation' names 'Nowhere'"),
        ("05_roi_simulation", "project_type", "Blockchain", "Parameter 'project_type' names 'Blockchain'"),
    ],
)
def test_a_value_the_portfolio_never_holds_is_one_sentence_before_any_notebook(stem, name, value, sentence):
    from amo_analysis.ingest.collection import load_any
    from amo_analysis.ingest.model_columns import column_values

    data = load_any(SAMPLE_PORTFOLIO).data
    given = {stem: {name: value}}
    with pytest.raises(InputError) as caught:
        check_values({}, given, NOTEBOOKS, columns=list(data.columns), column_values=column_values(data))
    assert str(caught.value).startswith(sentence) and "never holds; its values are: " in str(caught.value)
    held = str(data[name].dropna().iloc[0])
    check_values({}, {stem: {name: held}}, NOTEBOOKS, columns=list(data.columns), column_values=column_values(data))
