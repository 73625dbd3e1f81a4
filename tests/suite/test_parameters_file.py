"""`amo-analysis run -f params.yaml` (papermill's -f/--parameters_file): parameters for every
notebook or for one, -p wins over the file, and a parameter no notebook declares is one sentence
naming it and the notebooks' parameters."""

import pytest

from amo_analysis.errors import InputError
from amo_analysis.suite import runner
from amo_analysis.suite.parameters import check_parameters, declared_parameters, read_parameters_file
from tests.conftest import assert_one_sentence_error


def test_declared_parameters_are_read_from_the_parameters_cell():
    names = declared_parameters(next(nb for nb in runner.list_notebooks() if nb.stem == "05_roi_simulation"))
    assert names[:2] == ["portfolio_path", "data_source"] and "budget" in names and "n_draws" in names


def test_yaml_for_all_and_per_notebook(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(
        "# quarterly rerun\nframed_threshold: 6\n05_roi_simulation:\n  budget: 120000\n  fee_share: 0.12\n"
        "'04':\n  budget: 90000\n",
        encoding="utf-8",
    )
    common, sections = read_parameters_file(path)
    assert common == {"framed_threshold": 6}
    assert sections == {"05_roi_simulation": {"budget": 120000, "fee_share": 0.12}, "04": {"budget": 90000}}
    by_stem = check_parameters(common, sections, runner.list_notebooks(), runner.RESERVED_PARAMETERS)
    assert by_stem == {
        "05_roi_simulation": {"budget": 120000, "fee_share": 0.12},
        "04_new_project_forecast": {"budget": 90000},
    }


def test_empty_file_sets_nothing(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert read_parameters_file(path) == ({}, {})


@pytest.mark.parametrize(
    "common, sections, needles",
    [
        ({"budjet": 1}, {}, ["'budjet'", "declared by no notebook", "budget", "framed_threshold"]),
        ({}, {"05_roi_simulation": {"framed_threshold": 6}}, ["'framed_threshold'", "05_roi_simulation", "budget"]),
        ({}, {"09_nothing": {"budget": 1}}, ["'09_nothing'", "01_portfolio_overview"]),
        ({"seed": 3}, {}, ["seed", "runner itself"]),
    ],
)
def test_unknown_parameters_name_themselves_and_the_offer(common, sections, needles):
    with pytest.raises(InputError) as exc:
        check_parameters(common, sections, runner.list_notebooks(), runner.RESERVED_PARAMETERS)
    for needle in needles:
        assert needle in str(exc.value)


@pytest.mark.parametrize(
    "text, needles",
    [
        ("budget: [1, 2\n", ["line", "p.yaml"]),
        ("- a\n- b\n", ["p.yaml", "NAME: VALUE"]),
        ("05_roi_simulation: 3\n", ["05_roi_simulation", "NAME: VALUE"]),
        ("not an identifier: 3\n", ["'not an identifier'"]),
    ],
)
def test_malformed_files_are_one_sentence_and_nothing_is_written(tmp_path, run_cli, text, needles):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "reports"
    result = run_cli("run", "--data", runner.SAMPLE_PORTFOLIO, "--out", out, "-f", path)
    assert_one_sentence_error(result, *needles)
    assert not out.exists()


def test_p_wins_over_the_file_also_in_a_notebook_section(tmp_path, run_cli, monkeypatch):
    seen = {}

    def fake_run_suite(data, **kwargs):
        seen.update(kwargs)
        raise InputError("stop here")

    monkeypatch.setattr(runner, "run_suite", fake_run_suite)
    path = tmp_path / "p.yaml"
    path.write_text("budget: 1\nfee_share: 0.2\n05_roi_simulation:\n  budget: 2\n  n_draws: 500\n", encoding="utf-8")
    result = run_cli("run", "--data", "x.csv", "-f", path, "-p", "budget=3")
    assert result.code == 2
    assert seen["parameters"] == {"budget": 3, "fee_share": 0.2}
    assert seen["notebook_parameters"] == {"05_roi_simulation": {"n_draws": 500}}


def test_missing_file_is_one_sentence(tmp_path, run_cli):
    result = run_cli("run", "--data", runner.SAMPLE_PORTFOLIO, "--out", tmp_path / "r", "-f", tmp_path / "no.yaml")
    assert_one_sentence_error(result, "no.yaml")
