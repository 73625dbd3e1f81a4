"""One home for defaults: the modules and the notebooks' parameter literals agree with `DEFAULTS`."""

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from amo_analysis.defaults import DEFAULTS, Defaults

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: notebook parameter → the default it repeats (papermill needs plain literals in the cell)
PARAMETER_DEFAULTS = {
    ("*", "seed"): DEFAULTS.seed,
    ("02_amo_effects", "quantiles"): list(DEFAULTS.quantiles),
    ("04_new_project_forecast", "quantiles"): list(DEFAULTS.quantiles),
    ("04_new_project_forecast", "accepted_risk"): DEFAULTS.accepted_risk,
    ("05_roi_simulation", "n_draws"): DEFAULTS.roi_draws,
}


def parameters(notebook: Path) -> dict:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    values = {}
    for node in ast.parse("".join(cell["source"])).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            values[node.target.id] = ast.literal_eval(node.value)  # annotated parameters (report.parameters)
    return values


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_parameter_literals_equal_the_defaults(notebook):
    params = parameters(notebook)
    checked = 0
    for (stem, name), default in PARAMETER_DEFAULTS.items():
        if stem in ("*", notebook.stem) and name in params:
            assert params[name] == default, (notebook.stem, name, params[name], default)
            checked += 1
    assert checked >= 1  # every notebook has at least its seed


def test_framing_threshold_literal_equals_the_module_default():
    from amo_analysis.analyses import framing

    assert parameters(NOTEBOOKS / "03_framing_and_pitfalls.ipynb")["framed_threshold"] == framing.DEFAULT_THRESHOLD


def test_modules_take_their_numbers_from_the_defaults():
    from amo_analysis.analyses import practice_effects as effects, forecast, overview, roi
    from amo_analysis.stats import design, scale
    from amo_analysis.stats.effects import EXTREME_PROPENSITY, REGISTRY

    assert (scale.LARGE_N, scale.SUBSAMPLE_ROWS, scale.ANALYTIC_N) == (
        DEFAULTS.large_n,
        DEFAULTS.subsample_rows,
        DEFAULTS.analytic_n,
    )
    assert tuple(effects.DEFAULT_QUANTILES) == tuple(overview.TAIL_QUANTILES) == DEFAULTS.quantiles
    assert EXTREME_PROPENSITY == DEFAULTS.extreme_propensity
    assert REGISTRY["difference"].options["n_resamples"] == DEFAULTS.difference_resamples
    assert REGISTRY["ols"].options["min_clusters"] == DEFAULTS.min_clusters
    assert design.MIN_ORGANISATIONS_PER_GROUP == DEFAULTS.min_organisations_per_group
    assert (forecast.MIN_REGRESSION, forecast.N_NEIGHBOURS, forecast.MIN_GROUP_RESIDUALS) == (
        DEFAULTS.forecast_min_regression,
        DEFAULTS.forecast_neighbours,
        DEFAULTS.forecast_min_group_residuals,
    )
    assert (roi.DEFAULT_BUDGET, roi.DEFAULT_FEE_SHARE) == (DEFAULTS.roi_budget_eur, DEFAULTS.roi_fee_share)


def test_defaults_are_frozen_and_documented():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULTS.conf_level = 0.9
    source = Path(__import__("amo_analysis.defaults", fromlist=["x"]).__file__).read_text(encoding="utf-8")
    undocumented = [
        f.name
        for f in dataclasses.fields(Defaults)
        if f"{f.name}:" in source and "#:" not in source.split(f"    {f.name}:")[1].split("\n")[0]
    ]
    assert not undocumented, undocumented
