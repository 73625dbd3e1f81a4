"""What the effects notebook shows of the sensitivity analysis and the refuters (`report.show_sensitivity`,
`report.show_refutations`): the sentences in the report language, the tables and the records' names."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from amo_analysis.paths import REPO_ROOT
from amo_analysis.report import show_refutations, show_sensitivity
from amo_analysis.report.run_context import RunContext
from tests.analyses.test_claims_sensitivity import READINGS, row, strong_case


@pytest.fixture(scope="module")
def strong():
    """A strong planted effect (`test_claims_sensitivity.strong_case`): (data, design, sensitivity, refutations)."""
    return strong_case()


def test_french_sentences_are_french(strong):
    _, _, result, refutations = strong
    r = row(result, "amo_delay.relative")
    fr = show_sensitivity.sentence(r, "fr")
    assert fr.startswith("Robuste : un facteur non mesuré devrait expliquer plus de")
    assert "du retard" in fr and "\u00a0%" in fr and "variation relative" in fr
    assert not re.search(r"\b(unmeasured|the|would|erase|relative change)\b", fr)
    assert "Robust:" in show_sensitivity.sentence(r, "en") and show_sensitivity.sentence(r, "en") != fr
    markdown = show_sensitivity.sentences_markdown(result, "fr")
    assert markdown.count("Affirmation «") == len(READINGS)
    shown = show_refutations.refutation_display(refutations, "fr")
    assert set(shown["résultat"]) == {"réussi"}
    assert shown["signification"].str.contains("tirages|placebo|covariable|sous-échantillons").all()
    assert not shown["signification"].str.contains(r"\b(?:draws|the)\b").any()
    assert "valeur de robustesse RV" in show_sensitivity.sensitivity_display(result, "fr").columns


DOCUMENTED = [  # reports/README.md, record table
    r"sensitivity\.(amo_budget_drift|amo_delay|amo_adoption)\.(relative|pp)",
    r"sensitivity\.(amo_budget_drift|amo_delay|amo_adoption)\.(relative|pp)\.(rv|rv_alpha|partial_r2|evalue)",
    r"sensitivity\.(amo_budget_drift|amo_delay|amo_adoption)\.(relative|pp)\.bound\.(log_budget|complexity)\.[123]x",
    r"refute\.(log_cost_ratio|log_duration_ratio|adoption_m3)\."
    r"(placebo_practice|random_common_cause|data_subsets|dummy_outcome)",
]


def test_records_have_the_documented_names(strong, tmp_path):
    _, _, result, refutations = strong
    ctx = RunContext(
        portfolio=SimpleNamespace(practice_name="AMO"), notebook="02_amo_effects", run_dir=tmp_path, lang="fr"
    )
    ctx.keep(show_sensitivity.sensitivity_records(result, ctx.lang))
    ctx.keep(show_refutations.refutation_records(refutations, ctx.lang))
    saved = json.loads((tmp_path / "results" / "02_amo_effects.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in saved]
    undocumented = [n for n in names if not any(re.fullmatch(p, n) for p in DOCUMENTED)]
    assert undocumented == []
    assert len(names) == len(set(names)) == 6 * (1 + 4 + 2 * 3) + 3 * 4
    by_name = {r["name"]: r for r in saved}
    headline = [r for r in saved if r["headline"]]
    assert [r["name"] for r in headline] == [f"sensitivity.{c}" for c in READINGS]
    cost = by_name["sensitivity.amo_budget_drift.relative"]
    assert cost["label"] == show_sensitivity.sentence(row(result, "amo_budget_drift.relative"), "fr")
    assert cost["robustness"] == "robust" and cost["unit"] == "fraction" and 0 < cost["value"] < 1
    placebo = by_name["refute.log_cost_ratio.placebo_practice"]
    assert placebo["passed"] is True and 0 < placebo["p_value"] <= 0.05
    assert by_name["refute.adoption_m3.random_common_cause"]["p_value"] is None
    bound = by_name["sensitivity.amo_delay.pp.bound.log_budget.2x"]
    assert bound["unit"] == "percentage points" and bound["ci_low"] <= bound["value"] <= bound["ci_high"]
    readme = (REPO_ROOT / "reports" / "README.md").read_text(encoding="utf-8")
    for documented in (
        "`sensitivity.<claim>`",
        "`sensitivity.<claim>.rv`",
        "`sensitivity.<claim>.evalue`",
        "`sensitivity.<claim>.bound.<covariate>.<k>x`",
        "`refute.<outcome>.<refuter>`",
    ):
        assert documented in readme
