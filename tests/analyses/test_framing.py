"""Tests of amo_analysis.analyses.framing: risk ratios (textbook, planted, synthetic), pitfalls, claims, degenerate inputs."""

import math

import numpy as np
import pandas as pd
import pytest

from amo_analysis import synth
from amo_analysis.analyses import framing, pitfalls
from amo_analysis.ingest import metrics
from amo_analysis.stats import claims as claims_mod
from amo_analysis.stats.claims import INCONCLUSIVE, LARGER, OPPOSITE, SMALLER, SUPPORTED


def _synthetic(n, seed):
    return framing.with_framing_columns(metrics.derive_metrics(synth.make_portfolio(n, seed)))


def _two_by_two(a, n1, c, n0):
    y = [1] * a + [0] * (n1 - a) + [1] * c + [0] * (n0 - c)
    x = [True] * n1 + [False] * n0
    return pd.DataFrame({"outcome_class": np.where(np.array(y) == 1, "failed", "successful"), "x": x})


def test_risk_ratio_matches_katz_two_by_two():
    a, n1, c, n0 = 30, 100, 15, 120
    rr = framing.risk_ratio(_two_by_two(a, n1, c, n0), "x")
    expected = (a / n1) / (c / n0)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    assert rr.estimate == pytest.approx(expected, rel=1e-6)
    assert rr.ci_low == pytest.approx(expected * math.exp(-1.959964 * se), rel=1e-5)
    assert rr.ci_high == pytest.approx(expected * math.exp(1.959964 * se), rel=1e-5)
    assert (rr.n, rr.n_events, rr.n_exposed) == (220, 45, 100)


def test_planted_log_linear_risk_ratio_is_recovered():
    rng = np.random.default_rng(3)
    n = 5000
    z = rng.normal(size=n)
    x = rng.random(n) < 0.3 + 0.2 * (z > 0)  # exposure confounded by z
    p = np.exp(-1.6 + math.log(0.5) * x + 0.25 * z)
    y = rng.random(n) < p
    data = pd.DataFrame(
        {"outcome_class": np.where(y, "failed", "successful"), "x": x, "z": z, "amo": rng.random(n) < 0.5}
    )
    adjusted = framing.risk_ratio(data, "x", covariates=["z"])
    assert adjusted.ci_low < 0.5 < adjusted.ci_high
    assert abs(math.log(adjusted.estimate / 0.5)) < 0.15
    crude = framing.risk_ratio(data, "x")
    assert crude.estimate > adjusted.estimate  # confounding by z is removed by the adjustment


def test_framing_risk_ratio_on_synthetic_portfolio_agrees_with_large_population():
    # The population (its organisations and their random effects) is drawn once; the estimate on a
    # random sample of 3 000 projects must cover the population value of the same adjusted RR.
    big = _synthetic(60_000, 5)
    small = big.sample(3_000, random_state=1)
    cov = framing.size_type_covariates(small)
    truth = framing.risk_ratio(big, "framing_score", "failed", cov, adjust_amo=True)
    est = framing.risk_ratio(small, "framing_score", "failed", cov, adjust_amo=True)
    assert truth.estimate < 1  # each answered question lowers the log cost, hence failure
    assert est.ci_low <= truth.estimate <= est.ci_high
    est_wf = framing.risk_ratio(small, framing.WELL_FRAMED, "failed", cov, adjust_amo=True)
    truth_wf = framing.risk_ratio(big, framing.WELL_FRAMED, "failed", cov, adjust_amo=True)
    assert est_wf.ci_low <= truth_wf.estimate <= est_wf.ci_high


def test_interaction_rows_are_consistent():
    data = _synthetic(3_000, 8)
    rows = framing.risk_ratio_by_practice(data, "framing_score", "failed", framing.size_type_covariates(data))
    without, with_, ratio = rows
    assert ratio.estimate == pytest.approx(with_.estimate / without.estimate, rel=1e-9)
    assert ratio.ci_low < 1 < ratio.ci_high or ratio.p_value < 0.05


def test_no_failures_gives_a_sentence():
    data = _synthetic(300, 9)
    data["outcome_class"] = data["outcome_class"].replace("failed", "challenged")
    with pytest.raises(framing.FramingError, match="None of the .* is failed"):
        framing.risk_ratio(data, "framing_score")
    table = framing.framing_risk_table(data, outcomes=("failed",))
    assert table["estimate"].isna().all()
    assert table["note"].str.contains("None of the").all()
    claim = framing.framing_claim(data)
    assert claim.loc[0, "verdict"] == INCONCLUSIVE and "None of the" in claim.loc[0, "note"]


def test_question_nobody_answered_gives_a_sentence():
    data = _synthetic(300, 10)
    data["framing_q05"] = False
    with pytest.raises(framing.FramingError, match="No project has 'framing_q05'"):
        framing.risk_ratio(data, "framing_q05")
    table = framing.framing_risk_table(data, outcomes=("failed",))
    q5 = table[table["exposure"] == "framing_q05"]
    assert q5["estimate"].isna().all() and q5["note"].str.contains("nobody answered").all()
    assert table[table["exposure"] == "framing_score"]["estimate"].notna().any()


def test_too_many_parameters_for_the_events_is_refused():
    data = _synthetic(40, 11)
    with pytest.raises(framing.FramingError, match="event"):
        framing.risk_ratio(
            data,
            "framing_score",
            covariates=["log_budget", "complexity", "project_type", "organisation"],
            adjust_amo=True,
        )


def test_pitfall_effects_recover_planted_scope_creep_and_requirements():
    data = _synthetic(3_000, 12)
    effects = pitfalls.pitfall_effects(data)
    row = effects[(effects.pitfall == "scope_creep") & (effects.measure == "drift_median")].iloc[0]
    planted = math.expm1(0.22)
    assert row.ci_low < planted < row.ci_high
    adopt = effects[(effects.pitfall == "poor_requirements") & (effects.measure == "adoption_mean")].iloc[0]
    assert adopt.ci_high < 0  # planted −1.0 on the adoption logit
    claims = pitfalls.pitfall_claims(data, effects)
    assert claims.loc[0, "verdict"] == SUPPORTED  # planted +24.6 % lies in the 20–30 % range


def test_prevalence_and_cooccurrence():
    data = _synthetic(2_000, 13)
    prev = pitfalls.pitfall_prevalence(data)
    assert prev.loc[prev.pitfall == "scope_creep", "share_all"].iloc[0] == pytest.approx(data["scope_creep"].mean())
    # AMO lowers every pitfall's probability in the generator
    assert (prev["share_with"] < prev["share_without"]).all()
    matrix = pitfalls.pitfall_cooccurrence(data)
    assert np.allclose(np.diag(matrix), prev["share_all"])
    assert np.allclose(matrix, matrix.T)


def test_small_portfolio_pitfall_effects_say_why():
    data = _synthetic(24, 7)
    effects = pitfalls.pitfall_effects(data)
    assert effects["estimate"].isna().all()
    assert effects["note"].str.contains("needs at least").all()


def test_verdict_helpers():
    assert claims_mod.range_verdict(0.1, 0.25, 0.2, 0.3) == SUPPORTED
    assert claims_mod.range_verdict(0.35, 0.5, 0.2, 0.3) == LARGER
    assert claims_mod.range_verdict(0.02, 0.15, 0.2, 0.3) == SMALLER
    assert claims_mod.range_verdict(-0.3, -0.05, 0.2, 0.3) == OPPOSITE
    assert claims_mod.range_verdict(-0.1, 0.25, 0.2, 0.3) == INCONCLUSIVE
    assert claims_mod.below_verdict(0.3, 0.45, 0.5) == SUPPORTED
    assert claims_mod.below_verdict(0.55, 0.7, 0.5) == LARGER
    assert claims_mod.below_verdict(0.4, 0.6, 0.5) == INCONCLUSIVE
    assert claims_mod.below_verdict(float("nan"), 0.6, 0.5) == INCONCLUSIVE


def test_missing_framing_or_pitfall_data_is_a_sentence_not_a_crash():
    import pandas as pd
    import pytest

    from amo_analysis.analyses import framing, pitfalls

    bare = pd.DataFrame({"amo": [True, False], "budget_planned": [1.0, 2.0], "outcome_class": ["failed", "successful"]})
    with pytest.raises(framing.FramingError, match="no framing_score"):
        framing.require_framing(bare)
    with pytest.raises(framing.FramingError, match="none of the five pitfall columns"):
        pitfalls.require_pitfalls(bare)
    claim, pitfall_claims = pitfalls.claims_check(bare, 7, None)
    assert claim.empty and pitfall_claims.empty
    assert pitfalls.require_pitfalls(bare.assign(scope_creep=[True, False])) is True


def test_without_framing_or_pitfalls_every_cell_gets_the_reason_not_an_error():
    from amo_analysis.findings import Unavailable
    from amo_analysis.report import framing_plots

    bare = pd.DataFrame({"amo": [True, False, True], "budget_planned": [1.0, 2.0, 3.0]})
    framed, no_pitfalls = framing.framing_data(bare), pitfalls.pitfall_data(bare)
    assert isinstance(framed, Unavailable) and "no framing_score" in framed.reason
    assert isinstance(no_pitfalls, Unavailable) and "none of the five pitfall columns" in no_pitfalls.reason
    risks = framing.framing_risk_table(framed, threshold=7)
    assert risks is framed  # the reason travels down the chain
    assert framing_plots.risk_ratio_forest(risks, "failed") is framed
    assert pitfalls.pitfall_effects(no_pitfalls) is no_pitfalls
    assert framing_plots.cooccurrence_heatmap(pitfalls.pitfall_cooccurrence(no_pitfalls)) is no_pitfalls
    claim, pitfall_claims = pitfalls.claims_check(bare, 7, no_pitfalls)
    assert claim.empty and pitfall_claims.empty
    assert pitfalls.evalue_table(bare, risks).attrs["why"]


def test_subsample_note_is_added_to_each_row_and_recorded_in_the_report_language():
    from amo_analysis.i18n import Message, localise
    from amo_analysis.stats import scale

    note = scale.subsample_note(Message("note_subject_risk_ratios"), 10_000, 30_000, 5)
    table = framing._add_note(pd.DataFrame({"note": ["", "No outcome."]}), note)
    assert list(table["note"]) == [note, f"No outcome. {note}"]
    assert table["note"].iloc[1].startswith("No outcome. Each risk ratio (modified Poisson GLM) was fitted on")
    assert localise(table["note"].iloc[1], "fr").startswith(
        "No outcome. Chaque rapport de risques (GLM de Poisson modifié) : ajustement sur"
    )


def test_any_pitfall_and_the_share_of_troubled_projects_with_one():
    data = pd.DataFrame(
        {
            "scope_creep": pd.array([True, False, False, None, False, True], dtype="boolean"),
            "no_sponsor": pd.array([None, False, None, None, True, False], dtype="boolean"),
            "outcome_class": ["failed", "challenged", "challenged", "failed", "successful", None],
        }
    )
    flags = pitfalls.any_pitfall(data)
    assert flags.iloc[0] == 1.0 and flags.iloc[1] == 0.0 and flags.iloc[4] == 1.0
    assert np.isnan(flags.iloc[2]) and np.isnan(flags.iloc[3])  # no pitfall reported, some unknown
    share, low, high, n, note = pitfalls.pitfall_share(data, "failed_or_challenged", "troubled")
    assert (share, n) == (0.5, 2)  # projects 1 and 2 (3 and 4 unknown; 6 has no outcome class)
    assert low < 0.5 < high and note.startswith("Only 2 of the five pitfalls are recorded")
    share_all, *_, n_all, _ = pitfalls.pitfall_share(data, "failed_or_challenged", "all")
    assert (share_all, n_all) == (1 / 3, 3)  # project 1 of projects 1, 2 and 5


def test_pitfall_effects_can_be_limited_to_the_pairs_a_claim_needs():
    data = _synthetic(300, 4)
    only = frozenset({("scope_creep", "drift_median"), ("no_sponsor", "slip_median")})
    table = pitfalls.pitfall_effects(data, seed=1, only=only)
    assert set(zip(table["pitfall"], table["measure"])) == only
    full = pitfalls.pitfall_effects(data, seed=1).set_index(["pitfall", "measure"])
    for _, row in table.iterrows():
        assert row["estimate"] == pytest.approx(full.loc[(row["pitfall"], row["measure"]), "estimate"])


# --------------------------------------------------------------------------- the words of a French report (#13)


def test_every_framing_error_is_a_message_with_a_french_text():
    import inspect

    from amo_analysis.i18n import Message, localise

    source = inspect.getsource(framing) + inspect.getsource(pitfalls)
    assert 'FramingError(f"' not in source and 'FramingError("' not in source
    data = _synthetic(300, 10)
    data["framing_q05"] = False
    with pytest.raises(framing.FramingError) as info:
        framing.risk_ratio(data, "framing_q05")
    reason = info.value.args[0]
    assert isinstance(reason, Message) and str(info.value) == str(reason)
    assert str(reason).startswith("No project has 'framing_q05' (")
    french = localise(reason, "fr")
    assert french.startswith("Aucun projet n'a « framing_q05 » (Contraintes RGPD/réglementaires connues)")
    table = framing.framing_risk_table(data, outcomes=("failed",))
    q5 = table[table["exposure"] == "framing_q05"]
    assert all(isinstance(n, Message) for n in q5["note"])
    assert "personne n'y a répondu" in localise(q5["note"].iloc[0], "fr")


def test_no_event_in_a_group_reads_in_french_with_french_words():
    from amo_analysis.i18n import localise

    data = _two_by_two(0, 20, 5, 20)
    with pytest.raises(framing.FramingError) as info:
        framing.risk_ratio(data, "x")
    assert str(info.value) == "No project with 'x' is failed (0 of 20): the risk ratio has no finite interval."
    assert localise(info.value.args[0], "fr") == (
        "Aucun projet avec « x » n'est en échec (0 sur 20) : le rapport de risques n'a pas d'intervalle fini."
    )


def test_pitfall_meanings_and_claims_in_french():
    data = _synthetic(400, 3)
    effects = pitfalls.pitfall_effects(data, only=frozenset({("scope_creep", "drift_median")}))
    assert effects.loc[0, "meaning"] == "percent change of the median final-cost ratio"
    english = pitfalls.pitfall_claims(data, effects)
    french = pitfalls.pitfall_claims(data, effects, lang="fr")
    assert list(english["claim"]) == [pitfalls.SCOPE_CREEP_CLAIM.text, pitfalls.REQUIREMENTS_CLAIM.text]
    assert list(french["claim"]) == [
        dict(pitfalls.SCOPE_CREEP_CLAIM.paraphrases)["fr"],
        dict(pitfalls.REQUIREMENTS_CLAIM.paraphrases)["fr"],
    ]
    assert english.loc[0, "measure"] == "adjusted percent change of the median final-cost ratio"
    assert framing.framing_claim(data, lang="fr").loc[0, "claim"] == dict(framing.FRAMING_CLAIM.paraphrases)["fr"]
    assert framing.framing_claim(data).loc[0, "claim"] == framing.FRAMING_CLAIM.text
